"""Hand a selection off to NASA Harmony: a runnable harmony-py script (nothing is sent here).

Harmony subsets a CMR collection's granules on NASA's side and returns NetCDF-4 files. The
script asks it for the selection's variables, box and time range; what Harmony does not do (the
nearest point, a level, the CF masks, a reduction) the script then does locally with xarray, with
the very ops the explorer runs (written by :mod:`~vstore_explorer.codegen`).

- A point becomes a small box around it (one grid cell each way on a regular grid, else
  :data:`POINT_MARGIN_DEG`); the nearest grid point is then picked locally.
- A selection without a time range asks for the store's whole record (its first to last step).
- Longitudes are sent in -180..180 (Harmony's convention); a box crossing the antimeridian keeps
  west > east.
- Preview decimation (``stride``) is not applied: Harmony returns full resolution.

The script imports ``harmony`` (``pip install harmony-py``, or this package's ``harmony``
extra) and reads Earthdata Login credentials from ``~/.netrc`` or ``EDL_USERNAME`` /
``EDL_PASSWORD``: none is ever written in it. Its ``request`` is built at import; the job is
submitted only when it runs as a program (``if __name__ == "__main__"``).

Example:
    >>> import numpy as np, pandas as pd, xarray as xr
    >>> ds = xr.Dataset({"sst": (("time", "lat", "lon"), np.zeros((3, 2, 4)))},
    ...                 coords={"time": pd.date_range("2024-01-01T12:00", periods=3),
    ...                         "lat": [-10.0, 10.0], "lon": [0.0, 90.0, 180.0, 270.0]})
    >>> sel = Selection(variables=("sst",), bbox=(200, -10, 300, 10), reduction="time_mean")
    >>> script = harmony_script(ds, sel, "C1234567890-PODAAC")
    >>> print(script[script.index("request ="):script.index("format=")].strip())
    request = Request(
        collection=Collection(id="C1234567890-PODAAC"),
        variables=["sst"],
        spatial=BBox(-160.0, -10.0, -60.0, 10.0),
        temporal={"start": datetime(2024, 1, 1, 12, 0, 0), "stop": datetime(2024, 1, 3, 12, 0, 0)},
"""

from __future__ import annotations

import ast
import calendar
import os
import re
import textwrap
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

import black
import numpy as np
import pandas as pd
import xarray as xr
from xarray.coding.cftimeindex import CFTimeIndex

from vstore_explorer.axes import Axes, find_axes
from vstore_explorer.catalog.links import StoreLink
from vstore_explorer.catalog.records import Collection
from vstore_explorer.codegen import helper_source, render_ops
from vstore_explorer.compute import Request, StoreLike
from vstore_explorer.errors import InvalidInputError
from vstore_explorer.literals import comment_text, literal
from vstore_explorer.ops import KINDS, Op, describe, plan
from vstore_explorer.selection import Selection, _iso_bounds, bbox_width
from vstore_explorer.stores.open import StoreHandle
from vstore_explorer.stores.urls import public_url

NETCDF4 = "application/x-netcdf4"
"""The output format asked of Harmony (what the script's local step opens)."""
POINT_MARGIN_DEG = 0.25
"""Half-width (degrees) of the box around a point where the grid's spacing in degrees is not
known (a swath, a curvilinear or projected grid)."""
CONCEPT_ID = re.compile(r"C\d+-[A-Za-z0-9_]+")
# ops Harmony's subset makes moot: positions in the store's index (not in Harmony's files), a
# preview decimation, dask chunking (open_mfdataset gives dask arrays)
_NOT_LOCAL = frozenset({"lon_runs", "cell_window", "stride", "chunk"})


def concept_id_of(collection: Collection | str | None, store: str = "the store") -> str:
    """The CMR concept id of ``collection`` (a catalog record or its id), checked.

    Raises:
        InvalidInputError: no collection (``store`` links to none), a record without a concept
            id, or text that is not one; the message says to pass ``collection="C…"``.

    Example:
        >>> concept_id_of("C1996881146-POCLOUD")
        'C1996881146-POCLOUD'
    """
    if collection is None:
        raise InvalidInputError(
            f"{store} links to no CMR collection, and Harmony subsets CMR collections: pass "
            "collection='C…-PROVIDER' (the collection's concept id, e.g. "
            "vx.search(...).first().concept_id) or the catalog Collection record"
        )
    if isinstance(collection, Collection):
        if not collection.concept_id:
            raise InvalidInputError(
                f"collection {collection.short_name!r} has no CMR concept id (a record without "
                "CMR metadata); pass collection='C…-PROVIDER', its concept id in CMR"
            )
        text = collection.concept_id
    elif isinstance(collection, str):
        text = collection.strip()
    else:
        raise InvalidInputError(
            f"collection must be a Collection or a concept id, got {type(collection).__name__}"
        )
    if not CONCEPT_ID.fullmatch(text):
        raise InvalidInputError(
            f"{text!r} is not a CMR collection concept id (like C1996881146-POCLOUD)"
        )
    return text


def _instant(parts: Iterable[int]) -> datetime:
    """A datetime from (year, month, day, hour, minute, second), the day clamped to the month
    (the latest bound of '2024-02' is 2024-02-29; a 360-day calendar's 30 February, the 29th)."""
    year, month, day, hour, minute, second = parts
    return datetime(
        year, month, min(day, calendar.monthrange(year, month)[1]), hour, minute, second
    )


def _as_datetime(value: Any) -> datetime:
    """A store time (pandas Timestamp, numpy datetime64, cftime date), to the second, UTC."""
    if isinstance(value, np.datetime64):
        value = pd.Timestamp(value)
    fields = (value.year, value.month, value.day, value.hour, value.minute, value.second)
    return _instant(int(v) for v in fields)


def time_bounds(ds: xr.Dataset, sel: Selection, axes: Axes) -> tuple[datetime, datetime] | None:
    """``(start, stop)`` asked of Harmony: the selection's time range (partial dates cover their
    whole period), its open ends and no range at all the store's first and last steps; ``None``
    for a store without a decoded time axis. A single instant becomes one second long.

    Example:
        >>> ds = xr.Dataset(coords={"time": pd.date_range("2024-01-01T12:00", periods=40)})
        >>> start, stop = time_bounds(ds, Selection(time=("2024-02", None)), find_axes(ds))
        >>> start.isoformat(), stop.isoformat()
        ('2024-02-01T00:00:00', '2024-02-09T12:00:00')
    """
    if axes.time is None:
        return None
    index = ds.indexes[axes.time]
    if not isinstance(index, pd.DatetimeIndex | CFTimeIndex) or not len(index):
        return None
    start_text, stop_text = sel.time or (None, None)
    start = (
        _instant(_iso_bounds(start_text, "time")[0]) if start_text else _as_datetime(index.min())
    )
    stop = _instant(_iso_bounds(stop_text, "time")[1]) if stop_text else _as_datetime(index.max())
    if stop <= start:
        stop = start + timedelta(seconds=1)
    return start, stop


def _lon180(lon: float) -> float:
    return lon - 360.0 if lon > 180.0 else lon


def _half_box(ds: xr.Dataset, axes: Axes) -> float:
    """One grid cell (degrees) on a regular grid, else :data:`POINT_MARGIN_DEG`."""
    if axes.grid != "regular":
        return POINT_MARGIN_DEG
    steps = [
        float(np.median(np.abs(np.diff(np.asarray(ds.indexes[d].values, dtype=float)))))
        for d in (str(axes.lat), str(axes.lon))
        if ds.sizes[d] > 1
    ]
    return max([*steps, 1e-3]) if steps else POINT_MARGIN_DEG


def harmony_box(
    ds: xr.Dataset, sel: Selection, axes: Axes
) -> tuple[float, float, float, float] | None:
    """``(west, south, east, north)`` in -180..180 for Harmony's ``BBox``: the selection's box,
    or a point's small box (see the module's notes); ``None`` without either.

    Example:
        >>> ds = xr.Dataset(coords={"lat": [0.0, 0.5, 1.0], "lon": [359.0, 359.5]})
        >>> harmony_box(ds, Selection(point=(359.5, 0.5)), find_axes(ds))
        (-1.0, 0.0, 0.0, 1.0)
    """
    if sel.bbox is not None:
        west, south, east, north = sel.bbox
        if bbox_width(west, east) >= 360.0:
            return (-180.0, south, 180.0, north)
        return (_lon180(west), south, _lon180(east), north)
    if sel.point is None:
        return None
    lon, lat = _lon180(sel.point[0]), sel.point[1]
    half = _half_box(ds, axes)
    west, east = lon - half, lon + half
    west, east = (west + 360.0 if west < -180.0 else west), (east - 360.0 if east > 180.0 else east)
    box = (west, max(-90.0, lat - half), east, min(90.0, lat + half))
    return tuple(round(v, 6) for v in box)  # type: ignore[return-value]


def _comments(notes: Iterable[str], width: int = 92) -> str:
    """Each note as comment lines (sanitised, wrapped), each line ending with a newline."""
    lines = (line for note in notes for line in textwrap.wrap(comment_text(note), width))
    return "".join(f"# {line}\n" for line in lines)


def _datetime_code(value: datetime) -> str:
    parts = (value.year, value.month, value.day, value.hour, value.minute, value.second)
    return f"datetime({', '.join(str(int(p)) for p in parts)})"


def _request_code(
    concept_id: str,
    variables: list[str],
    box: tuple[float, float, float, float] | None,
    times: tuple[datetime, datetime] | None,
    notes: list[str],
) -> str:
    args = [f"collection=Collection(id={literal(concept_id)})", f"variables={literal(variables)}"]
    if box is not None:
        args.append(f"spatial=BBox({', '.join(literal(float(v)) for v in box)})")
    if times is not None:
        start, stop = (_datetime_code(t) for t in times)
        args.append(f'temporal={{"start": {start}, "stop": {stop}}}')
    args.append(f"format={literal(NETCDF4)}")
    return _comments(notes) + "request = Request(\n    " + ",\n    ".join(args) + ",\n)"


def _local_code(ops: tuple[Op, ...], group: str | None, reduction: str) -> str:
    """``subset_locally(paths)``: the ops Harmony does not do, on the files it returns."""
    opened = f", group={literal(group)}" if group else ""
    body = [
        "ds = xr.open_mfdataset(paths, combine='by_coords', data_vars='minimal', "
        f"coords='minimal', compat='override'{opened})"
    ]
    source = "ds"
    for op in ops:
        if reduction != "none" and op is ops[-1]:
            what = describe([op])[0]
            note = f"Harmony subsets; the reduction ({what}) is then done here, locally with xarray"
            body += _comments([note]).splitlines()
        body += render_ops((op,), source, "result").splitlines()
        source = "result"
    if not ops:
        body.append("result = ds")
    return (
        "def subset_locally(paths):\n"
        '    """The rest of the selection, done locally with xarray on the files Harmony returns\n'
        '    (granules along time; without a time coordinate, use combine="nested")."""\n'
        + "".join(f"    {line}\n" for line in body)
        + "    return result"
    )


def harmony_script(
    ds: xr.Dataset,
    sel: Selection,
    collection: Collection | str,
    *,
    ops: Iterable[Op] | None = None,
    group: str | None = None,
    header: str = "",
) -> str:
    """The black-formatted harmony-py script for ``sel`` on a store whose dataset is ``ds``
    (pure: metadata and coordinates only). ``ops`` is the plan of ``sel`` on ``ds`` (planned
    here when not given); ``group`` the store group opened (its variables are asked as
    ``/group/name``); ``header`` free text, one comment line per line.

    Raises:
        InvalidInputError: a bad concept id, a selection that does not apply to ``ds``.

    Example:
        >>> ds = xr.Dataset({"t": (("lat", "lon"), np.zeros((2, 2)))},
        ...                 coords={"lat": [0.0, 1.0], "lon": [10.0, 11.0]})
        >>> script = harmony_script(ds, Selection(variables=("t",)), "C1-DEMO")
        >>> "spatial" in script, "temporal" in script, 'variables=["t"]' in script
        (False, False, True)
    """
    concept_id = concept_id_of(collection)
    plan_ops = tuple(plan(ds, sel) if ops is None else ops)
    local = tuple(op for op in plan_ops if op.name not in _NOT_LOCAL)
    axes = find_axes(ds)
    box, times = harmony_box(ds, sel, axes), time_bounds(ds, sel, axes)
    prefix = f"/{group.strip('/')}/" if group else ""
    variables = [prefix + name for name in sel.variables] or ["all"]
    notes = ["Harmony subsets on NASA's side; times are UTC"]
    if sel.point is not None and box is not None:
        notes.append(
            f"the point (lon {sel.point[0]:g}, lat {sel.point[1]:g}) as a small box around it "
            "(Harmony subsets boxes); its nearest grid point is picked locally below"
        )
    if box is not None and box[0] > box[2]:
        notes.append("the box crosses the antimeridian: west > east, as lon(west:east) says")
    if sel.time is None and times is not None:
        notes.append("no time range selected: the store's whole record, first to last step")
    if group:
        notes.append(f"variables of group {group!r}, named by their full path")
    if sel.stride > 1:
        notes.append(f"the preview's stride ({sel.stride}) is not applied: full resolution")
    header_lines = [
        "Generated by vstore_explorer: a hand-off to NASA Harmony",
        *header.splitlines(),
    ]
    imports = ["from datetime import datetime\n"] if times is not None else []
    if any(KINDS[op.name].needs_numpy for op in local):
        imports.append("import numpy as np")
    imports += ["import xarray as xr", "from harmony import BBox, Client, Collection, Request"]
    helpers = dict.fromkeys(fn for op in local for fn in KINDS[op.name].helpers)
    parts = [
        "\n".join(f"# {comment_text(line)}".rstrip() for line in header_lines)
        + "\n\n"
        + "\n".join(imports),
        *(helper_source(fn) for fn in helpers),
        _request_code(concept_id, variables, box, times, notes),
        _local_code(local, group, sel.reduction),
        _MAIN,
    ]
    source = "\n\n\n".join(parts) + "\n"
    try:
        ast.parse(source)
        return black.format_str(source, mode=black.Mode(line_length=100))
    except (SyntaxError, black.InvalidInput) as exc:
        raise InvalidInputError(f"the generated Harmony script does not parse: {exc}") from exc


_MAIN = """\
if __name__ == "__main__":
    client = Client()  # Earthdata Login from ~/.netrc or EDL_USERNAME / EDL_PASSWORD
    job_id = client.submit(request)
    client.wait_for_processing(job_id, show_progress=True)
    paths = sorted(future.result() for future in client.download_all(job_id, directory="."))
    result = subset_locally(paths)
    print(result)"""


def to_harmony(
    store: StoreLike | Collection,
    sel: Selection | Mapping[str, Any],
    *,
    collection: Collection | str | None = None,
    **open_kwargs: Any,
) -> str:
    """A runnable harmony-py script asking NASA Harmony for ``sel`` (see the module's notes).

    ``store`` is an opened handle, a store link or path (opened here, with ``open_kwargs``), or
    a catalog :class:`~vstore_explorer.catalog.records.Collection` (its first store is opened
    and it is the collection). ``collection`` is the CMR collection the store belongs to: a
    record or its concept id; a store links to no collection by itself, so pass it (the
    explorer passes the collection it opened).

    Raises:
        InvalidInputError: no CMR collection (pass ``collection="C…"``), a selection that does
            not apply to the store.

    Example:
        >>> import vstore_explorer as vx
        >>> sst = vx.search("sea surface temperature").first()  # doctest: +SKIP
        >>> script = vx.to_harmony(sst, vx.Selection(variables=("analysed_sst",),
        ...                        point=(-40.0, 35.0), reduction="time_mean"))  # doctest: +SKIP
        >>> "client.submit(request)" in script  # doctest: +SKIP
        True
    """
    if isinstance(store, Collection):
        collection = store if collection is None else collection
        if not store.stores:
            raise InvalidInputError(
                f"collection {store.short_name!r} has no virtual store to plan the request on; "
                "give one of its stores (or a path) and collection="
            )
        store = store.stores[0]
    concept_id = concept_id_of(collection, f"the store {_where(store)}")
    request = Request.of(store, sel, **open_kwargs)
    handle = request.handle
    header = (
        f"Collection: {concept_id}\n"
        f"Store: {public_url(handle.link.url)} ({handle.link.kind}, {handle.version.label})\n"
        f"Selection: {request.selection.to_query()}"
    )
    return harmony_script(
        handle.dataset,
        request.selection,
        concept_id,
        ops=request.ops,
        group=handle.group,
        header=header,
    )


def _where(store: StoreLike) -> str:
    if isinstance(store, StoreHandle):
        return public_url(store.link.url)
    if isinstance(store, StoreLink):
        return public_url(store.url)
    return public_url(os.fspath(store))
