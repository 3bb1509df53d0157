"""Kerchunk references (JSON or Parquet) from granules, written with VirtualiZarr / kerchunk.

The references decode exactly as the Icechunk store of the same granules does: a variable without
a ``_FillValue`` attribute gets no fill value (Zarr v2 readers would otherwise mask HDF5's default
fill, 0, in valid data), and one with a ``_FillValue`` gets that value as its Zarr fill value (pure
HDF5 files often declare a different HDF5 fill). Several groups become nested Zarr groups. The
references are read back and compared with the granules (:mod:`.verify`) before the file is written.

Example:
    >>> build_kerchunk(["/data/a.nc", "/data/b.nc"], "/stores/sst.json")  # doctest: +SKIP
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import struct
import tempfile
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import xarray as xr

from vstore_explorer.build.executors import Parallel
from vstore_explorer.build.layout import store_group
from vstore_explorer.build.plan import layout_of, plan_granules
from vstore_explorer.build.report import StoreUpdate
from vstore_explorer.build.verify import verify_store
from vstore_explorer.build.virtualize import Source
from vstore_explorer.errors import InvalidInputError
from vstore_explorer.stores.access import LOCAL, Access
from vstore_explorer.stores.urls import scheme_of, to_url

KerchunkFormat = Literal["json", "parquet"]


def _fill_from_attr(value: Any, dtype: np.dtype) -> Any:
    """The Zarr v2 ``fill_value`` for a ``_FillValue`` attribute (as VirtualiZarr encodes it)."""
    if isinstance(value, str) and dtype.kind == "f":  # base64 of the little-endian value
        try:
            raw = base64.b64decode(value)
            number = struct.unpack("<d" if len(raw) == 8 else "<f", raw)[0]
        except (ValueError, struct.error):
            return value
    else:
        number = value[0] if isinstance(value, list) and value else value
    if dtype.kind == "f":
        number = float(number)
        return "NaN" if np.isnan(number) else number
    return int(number) if dtype.kind in "iub" else number


MAX_INLINED_BYTES = 50_000_000
"""Most bytes of fill chunks one reference set may inline (see :func:`normalized_refs`)."""


def _chunk_keys(name: str, zarray: dict[str, Any]) -> list[str]:
    import itertools
    import math

    grid = [
        math.ceil(n / c) if c else 0 for n, c in zip(zarray["shape"], zarray["chunks"], strict=True)
    ]
    sep = zarray.get("dimension_separator") or "."
    if not grid:
        return [f"{name}/0"]
    return [f"{name}/" + sep.join(map(str, idx)) for idx in itertools.product(*map(range, grid))]


def _encoded_fill_chunk(zarray: dict[str, Any], value: Any) -> str:
    """A whole chunk of ``value``, encoded with the array's filters and compressor, inlined."""
    import numcodecs

    dtype = np.dtype(zarray["dtype"])
    data: Any = np.full(tuple(zarray["chunks"]) or (), value, dtype=dtype).tobytes()
    for config in zarray.get("filters") or []:
        data = numcodecs.get_codec(dict(config)).encode(data)
    if zarray.get("compressor"):
        data = numcodecs.get_codec(dict(zarray["compressor"])).encode(data)
    return "base64:" + base64.b64encode(bytes(data)).decode("ascii")


def normalized_refs(refs: dict[str, Any]) -> dict[str, Any]:
    """References that decode as the granules (and their Icechunk store) do.

    - VirtualiZarr writes a 0-d array's chunk as ``name/``; Zarr v2 (and kerchunk's Parquet
      writer, which sorts keys) expect ``name/0``.
    - Zarr v2 readers mask an array's ``fill_value`` as missing data. So each array's
      ``fill_value`` becomes its ``_FillValue`` attribute, or null without one; chunks the granule
      never wrote, which read as HDF5's own fill value, are inlined holding that value, so they
      still do.
    """
    inner = refs["refs"]
    fixed = {(k + "0" if k.endswith("/") else k): v for k, v in inner.items()}
    inlined = 0
    for key in [k for k in fixed if k.endswith(".zarray")]:
        zarray = json.loads(fixed[key])
        name = key[: -len("/.zarray")]
        attrs = json.loads(fixed.get(f"{name}/.zattrs", "{}"))
        dtype = np.dtype(zarray["dtype"]) if isinstance(zarray["dtype"], str) else None
        numeric = dtype is not None and dtype.kind in "iufcb"
        stored_fill = zarray.get("fill_value")
        if "_FillValue" in attrs:
            if dtype is None or not numeric:
                continue
            new_fill = _fill_from_attr(attrs["_FillValue"], dtype)
        else:
            new_fill = None
        zarray["fill_value"] = new_fill
        fixed[key] = json.dumps(zarray)
        if stored_fill is None or stored_fill == new_fill or not numeric:
            continue
        missing = [k for k in _chunk_keys(name, zarray) if k not in fixed]
        if not missing:
            continue
        chunk = _encoded_fill_chunk(zarray, stored_fill)
        inlined += len(chunk) * len(missing)
        if inlined > MAX_INLINED_BYTES:
            raise InvalidInputError(
                f"variable {name} has {len(missing)} chunks the granules never wrote, too many to "
                "describe in Kerchunk references: build an Icechunk store instead (--store)"
            )
        fixed.update(dict.fromkeys(missing, chunk))
    return {**refs, "refs": fixed}


def _group_refs(vds: xr.Dataset, group: str) -> dict[str, Any]:
    refs = normalized_refs(vds.vz.to_kerchunk(format="dict"))["refs"]
    path = store_group(group)
    if path is None:
        return refs
    out = {f"{path}/{k}": v for k, v in refs.items()}
    parts = path.split("/")
    for i in range(1, len(parts)):  # intermediate groups
        out.setdefault("/".join(parts[:i]) + "/.zgroup", json.dumps({"zarr_format": 2}))
    return out


def refs_reader(refs: dict[str, Any], access: Access) -> Any:
    """``read(group)``: a group of in-memory references, opened as readers open the file."""
    protocols = {
        scheme_of(v[0])
        for v in refs["refs"].values()
        if isinstance(v, list) and v and isinstance(v[0], str)
    }
    remote = next(iter(protocols), "file")
    options: dict[str, Any] = {"fo": refs, "remote_protocol": remote}
    if remote != "file":
        options["remote_options"] = {
            **access.fsspec_options(f"{remote}://x/y"),
            "asynchronous": True,
        }

    def read(group: str) -> xr.Dataset:
        return xr.open_dataset(
            "reference://",
            engine="zarr",
            group=store_group(group),
            backend_kwargs={"consolidated": False, "storage_options": options},
            chunks=None,
        )

    return read


def build_kerchunk(
    sources: Iterable[Source],
    output: str | os.PathLike[str],
    *,
    format: KerchunkFormat | None = None,
    access: Access = LOCAL,
    dim: str = "time",
    loadable_variables: Sequence[str] | None = None,
    overwrite: bool = False,
    workers: int = 4,
    record_size: int = 100_000,
    parser: str = "auto",
    group: str | Sequence[str] | None = None,
    time_from: str | None = None,
    parallel: Parallel = None,
    verify: bool = True,
) -> StoreUpdate:
    """Write Kerchunk references for ``sources`` concatenated along ``dim``.

    ``format`` defaults from the suffix (``.json`` or ``.parq``/``.parquet``). The output is written
    to a temporary sibling and moved into place, so a failed build leaves any previous file intact.
    ``parser``, ``group``, ``time_from``, ``parallel`` and ``verify`` are as for
    :func:`~vstore_explorer.build.icechunk_store.build_icechunk`.

    Example:
        >>> update = build_kerchunk(["/data/a.nc", "/data/b.nc"], "/stores/sst.parq")  # doctest: +SKIP
        >>> update.branch  # Kerchunk references have no versions  # doctest: +SKIP
        ''
    """
    from kerchunk.df import refs_to_dataframe

    started = time.perf_counter()
    out = Path(output).expanduser().resolve()
    fmt = format or (
        "json"
        if out.suffix == ".json"
        else "parquet"
        if out.suffix in (".parq", ".parquet")
        else None
    )
    if fmt not in ("json", "parquet"):
        raise InvalidInputError(
            f"cannot tell the Kerchunk format of {out.name!r}: name it *.json or *.parq, or pass format="
        )
    if out.exists() and not overwrite:
        raise FileExistsError(f"{out} exists; pass overwrite=True (--overwrite) to replace it")
    layout = layout_of(parser, group, dim, time_from, loadable_variables)
    plan = plan_granules(sources, layout, access=access, parallel=parallel, workers=workers)
    inner: dict[str, Any] = {".zgroup": json.dumps({"zarr_format": 2})}
    for group_path, vds in plan.datasets.items():
        if fmt == "parquet":
            # fsspec's Parquet references cannot hold 0-d arrays (e.g. a ``crs`` grid mapping):
            # their chunk has no record file. Keep them in JSON references only.
            vds = vds.drop_vars([n for n, v in vds.data_vars.items() if v.ndim == 0])
        inner.update(_group_refs(vds, group_path))
    refs = {"version": 1, "refs": inner}
    verified = (
        verify_store(refs_reader(refs, access), plan.granules, dim, access=access)
        if verify
        else None
    )

    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        staged = tmp / out.name
        if fmt == "json":
            staged.write_text(json.dumps(refs))
        else:
            refs_to_dataframe(refs, str(staged), record_size=record_size)
        if out.is_dir():
            shutil.rmtree(out)
        elif out.exists():
            out.unlink()
        os.replace(staged, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return StoreUpdate(
        store=to_url(out),
        branch="",
        snapshot_id="",
        previous_snapshot_id=None,
        added=tuple(g.url for g in plan.granules),
        seconds=time.perf_counter() - started,
        groups=plan.groups,
        parsers=plan.parsers,
        verified=verified,
    )
