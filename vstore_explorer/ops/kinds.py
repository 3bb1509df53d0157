"""The op vocabulary, in one place: each kind of :class:`~vstore_explorer.ops.Op` defines how it
runs on xarray, how it reads in plain English, the Python code that does the same, and what the
cost estimate must know of it. ``ops.execute``, ``ops.describe``, ``codegen`` and ``cost`` all
read this table, so a new op is one entry here (and its planning in :mod:`.planning`).

Pure: no I/O.

Example:
    >>> kind = KINDS["time_mean"]
    >>> kind.code("ds", {"dim": "time"}), kind.describe({"dim": "time"}), kind.selects
    ("ds.mean('time', keep_attrs=True)", "Mean over time 'time'", False)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from types import MappingProxyType
from typing import Any, Literal, get_args

import numpy as np

from vstore_explorer import geodesy, projection
from vstore_explorer.literals import literal, mapping, slice_code
from vstore_explorer.ops import curvilinear as cv

OpName = Literal[
    "select_variable",
    "select_variables",
    "chunk",
    "time_range",
    "level_nearest",
    "point_nearest",
    "bbox_slice",
    "lon_runs",
    "geolocate",
    "nearest_cell",
    "far_mask",
    "cell_window",
    "xy_nearest",
    "stride",
    "project_lonlat",
    "box_mask",
    "mask_invalid",
    "mask_flags",
    "area_mean",
    "cell_mean",
    "cell_area_mean",
    "time_mean",
    "zonal_mean",
    "meridional_mean",
]
OP_NAMES: tuple[str, ...] = get_args(OpName)

Args = Mapping[str, Any]


@dataclass(frozen=True)
class OpKind:
    """One kind of op.

    Attributes:
        execute: ``(obj, args) -> obj``: the xarray operation (lazy).
        describe: ``(args) -> str``: one plain-English line for the UI.
        code: ``(source, args) -> str``: the Python expression doing the same on ``source``.
        selects: it narrows which stored elements are read (the cost probe runs it); reductions
            and re-chunking do not.
        needs_numpy: its code uses ``np``.
        variables: ``(args) -> names`` of the variables it selects, for selection ops.
        comment: ``(args) -> str``: a comment the script writes above the op's line, if any.
        helpers: functions its code calls; the script carries their source.
        elementwise: it masks values in place (run after the read on data without dask).
    """

    name: OpName
    execute: Callable[[Any, Args], Any]
    describe: Callable[[Args], str]
    code: Callable[[str, Args], str]
    selects: bool = True
    needs_numpy: bool = False
    variables: Callable[[Args], tuple[str, ...]] | None = None
    comment: Callable[[Args], str] | None = None
    helpers: tuple[Callable[..., Any], ...] = ()
    elementwise: bool = False


def area_weights(obj: Any, lat: str) -> Any:
    """float64 cos(latitude) weights (a float32 latitude would bias a global mean by ~1e-5
    relative); the ``area_mean`` code writes this exact expression.

    Example:
        >>> import xarray as xr
        >>> ds = xr.Dataset(coords={"lat": [-60.0, 0.0, 60.0]})
        >>> area_weights(ds, "lat").values.round(3).tolist()
        [0.5, 1.0, 0.5]
    """
    return np.cos(np.deg2rad(obj[lat].astype("float64")))


def _bound(value: Any) -> str:
    return "the start" if value is None else repr(value)


def _chunks_value(a: Args) -> Any:
    return a["chunks"] if a["chunks"] == "auto" else dict(a["chunks"])


def _describe_chunk(a: Args) -> str:
    if a["chunks"] == "auto":
        return "Compute lazily with dask (automatic chunks)"
    sizes = ", ".join(f"{d!r}: {s}" for d, s in a["chunks"])
    return f"Compute lazily with dask, in the store's chunks ({sizes})"


def _describe_time(a: Args) -> str:
    end = "the end" if a["stop"] is None else repr(a["stop"])
    return f"Time {a['dim']!r} from {_bound(a['start'])} to {end} (inclusive)"


def _describe_runs(a: Args) -> str:
    runs = ", ".join(f"{i}:{j}" for i, j in a["runs"])
    return (
        f"Longitude {a['dim']!r} at positions {runs} "
        "(box crossing the antimeridian or the 0/360 seam)"
    )


def _code_runs(s: str, a: Args) -> str:
    runs = ", ".join(f"{literal(i)}:{literal(j)}" for i, j in a["runs"])
    return f"{s}.isel({mapping([(a['dim'], f'np.r_[{runs}]')])})"


def _area_mean(obj: Any, a: Args) -> Any:
    return obj.weighted(area_weights(obj, a["lat"])).mean((a["lat"], a["lon"]), keep_attrs=True)


def _code_area_mean(s: str, a: Args) -> str:
    lat, lon = literal(a["lat"]), literal(a["lon"])
    weights = f'np.cos(np.deg2rad({s}[{lat}].astype("float64")))'
    return f"{s}.weighted({weights}).mean(({lat}, {lon}), keep_attrs=True)"


def _inside(obj: Any, lo: float | None, hi: float | None) -> Any:
    if lo is not None and hi is not None:
        return (obj >= lo) & (obj <= hi)
    return obj >= lo if lo is not None else obj <= hi


def _masked(arr: Any, drop: Callable[[Any], Any]) -> Any:
    """``arr`` with NaN where ``drop(values)`` holds. Floats in memory are masked on a deep copy
    with numpy (``drop`` gets the numpy values): xarray's ``where`` (and any new Variable) would
    import dask.array, about a second."""
    if not isinstance(arr.data, np.ndarray) or arr.dtype.kind != "f":
        return arr.where(~drop(arr))
    out = arr.copy(deep=True)
    values = out.data
    values[np.asarray(drop(values))] = np.nan
    return out


def _each(obj: Any, a: Args, key: str, drop: Callable[..., Any]) -> Any:
    """Mask each variable of ``a[key]`` (rows ``(name, *args)``) where ``drop(values, *args)``."""
    for name, *args in a[key]:
        rule = partial(_drop_with, drop, tuple(args))
        obj = _masked(obj, rule) if a["single"] else obj.assign({name: _masked(obj[name], rule)})
    return obj


def _drop_with(drop: Callable[..., Any], args: tuple[Any, ...], values: Any) -> Any:
    return drop(values, *args)


def _code_each(s: str, a: Args, key: str, keep: Callable[..., str]) -> str:
    """The code of :func:`_each`: ``where(keep(expression, *args))`` per variable."""
    if a["single"]:
        ((_, *args),) = a[key]
        return f"{s}.where({keep(s, *args)})"
    parts = ", ".join(
        f"{literal(n)}: {s}[{literal(n)}].where({keep(f'{s}[{literal(n)}]', *args)})"
        for n, *args in a[key]
    )
    return f"{s}.assign({{{parts}}})"


def _outside(obj: Any, lo: float | None, hi: float | None) -> Any:
    return ~_inside(obj, lo, hi)


def _mask_invalid(obj: Any, a: Args) -> Any:
    return _each(obj, a, "bounds", _outside)


def _code_inside(s: str, lo: float | None, hi: float | None) -> str:
    if lo is not None and hi is not None:
        return f"({s} >= {literal(lo)}) & ({s} <= {literal(hi)})"
    return f"{s} >= {literal(lo)}" if lo is not None else f"{s} <= {literal(hi)}"


def _code_mask_invalid(s: str, a: Args) -> str:
    return _code_each(s, a, "bounds", _code_inside)


def is_code(obj: Any, codes: Any, tolerance: float) -> Any:
    """Whether each value (an xarray object or numpy values) is one of ``codes`` (within
    ``tolerance``: half a packing step)."""
    if tolerance == 0:
        return np.isin(obj, list(codes)) if isinstance(obj, np.ndarray) else obj.isin(list(codes))
    out = abs(obj - codes[0]) <= tolerance
    for code in codes[1:]:
        out = out | (abs(obj - code) <= tolerance)
    return out


def _mask_flags(obj: Any, a: Args) -> Any:
    return _each(obj, a, "masks", is_code)


def _code_is_code(s: str, codes: Any, tolerance: float) -> str:
    if tolerance == 0:
        return f"{s}.isin({literal(list(codes))})"
    return " | ".join(f"(abs({s} - {literal(c)}) <= {literal(tolerance)})" for c in codes)


def _code_mask_flags(s: str, a: Args) -> str:
    return _code_each(s, a, "masks", lambda e, c, t: f"~({_code_is_code(e, c, t)})")


def _describe_mask_flags(a: Args) -> str:
    parts = "; ".join(
        f"{n!r} codes " + ", ".join(f"{c:g}" for c in codes) for n, codes, _ in a["masks"]
    )
    return f"Mask flag codes {parts} (CF flag_values: not measurements)"


def _describe_mask_invalid(a: Args) -> str:
    ranges = "; ".join(
        f"{n!r} outside {'-inf' if lo is None else f'{lo:g}'} to {'inf' if hi is None else f'{hi:g}'}"
        for n, lo, hi in a["bounds"]
    )
    return f"Mask values {ranges} (their CF valid range, as netCDF4 reads them)"


def _meridional_mean(obj: Any, a: Args) -> Any:
    return obj.weighted(area_weights(obj, a["dim"])).mean(a["dim"], keep_attrs=True)


def _code_meridional_mean(s: str, a: Args) -> str:
    dim = literal(a["dim"])
    weights = f'np.cos(np.deg2rad({s}[{dim}].astype("float64")))'
    return f"{s}.weighted({weights}).mean({dim}, keep_attrs=True)"


def _mean(obj: Any, a: Args) -> Any:
    return obj.mean(a["dim"], keep_attrs=True)


def _code_mean(s: str, a: Args) -> str:
    return f"{s}.mean({literal(a['dim'])}, keep_attrs=True)"


_TABLE = (
    OpKind(
        "select_variable",
        execute=lambda obj, a: obj[a["name"]],
        describe=lambda a: f"Variable {a['name']!r}",
        code=lambda s, a: f"{s}[{literal(a['name'])}]",
        variables=lambda a: (a["name"],),
    ),
    OpKind(
        "select_variables",
        execute=lambda obj, a: obj[list(a["names"])],
        describe=lambda a: "Variables " + ", ".join(repr(n) for n in a["names"]),
        code=lambda s, a: f"{s}[{literal(list(a['names']))}]",
        variables=lambda a: tuple(a["names"]),
    ),
    OpKind(
        "chunk",
        execute=lambda obj, a: obj.chunk(_chunks_value(a)),
        describe=_describe_chunk,
        code=lambda s, a: f"{s}.chunk({literal(_chunks_value(a))})",
        selects=False,
    ),
    OpKind(
        "time_range",
        execute=lambda obj, a: obj.sel({a["dim"]: slice(a["start"], a["stop"])}),
        describe=_describe_time,
        code=lambda s, a: f"{s}.sel({mapping([(a['dim'], slice_code(a['start'], a['stop']))])})",
    ),
    OpKind(
        "level_nearest",
        execute=lambda obj, a: obj.sel({a["dim"]: a["value"]}, method="nearest"),
        describe=lambda a: f"Level {a['dim']!r} nearest to {a['value']:g}",
        code=lambda s, a: (
            f'{s}.sel({mapping([(a["dim"], literal(a["value"]))])}, method="nearest")'
        ),
    ),
    OpKind(
        "point_nearest",
        execute=lambda obj, a: obj.sel(
            {a["lat"]: a["lat_value"], a["lon"]: a["lon_value"]}, method="nearest"
        ),
        describe=lambda a: (
            f"Grid point nearest to longitude {a['lon_value']:g}, "
            f"latitude {a['lat_value']:g} ({a['lon']!r}, {a['lat']!r})"
        ),
        code=lambda s, a: (
            f"{s}.sel({mapping([(a['lat'], literal(a['lat_value'])), (a['lon'], literal(a['lon_value']))])}"
            ', method="nearest")'
        ),
    ),
    OpKind(
        "bbox_slice",
        execute=lambda obj, a: obj.sel({d: slice(lo, hi) for d, lo, hi in a["indexers"]}),
        describe=lambda a: (
            "Box: " + " and ".join(f"{d!r} from {lo:g} to {hi:g}" for d, lo, hi in a["indexers"])
        ),
        code=lambda s, a: (
            f"{s}.sel({mapping((d, slice_code(lo, hi)) for d, lo, hi in a['indexers'])})"
        ),
    ),
    OpKind(
        "lon_runs",
        execute=lambda obj, a: obj.isel(
            {a["dim"]: np.r_[tuple(slice(i, j) for i, j in a["runs"])]}
        ),
        describe=_describe_runs,
        code=_code_runs,
        needs_numpy=True,
    ),
    OpKind(
        "geolocate",
        execute=cv.geolocate,
        describe=lambda a: (
            "Latitude/longitude arrays "
            + ", ".join(repr(n) for n in a["names"])
            + " as coordinates"
        ),
        code=cv.code_geolocate,
    ),
    OpKind(
        "nearest_cell",
        execute=cv.cell,
        describe=cv.describe_cell,
        code=cv.code_cell,
        helpers=(geodesy.great_circle_km, geodesy.nearest_cell),
    ),
    OpKind(
        "far_mask",
        execute=cv.far,
        describe=cv.describe_far,
        code=cv.code_far,
        selects=False,
        helpers=(geodesy.great_circle_km, geodesy.mask_far),
        elementwise=True,
    ),
    OpKind(
        "cell_window",
        execute=cv.window,
        describe=cv.describe_window,
        code=cv.code_window,
    ),
    OpKind(
        "xy_nearest",
        execute=cv.xy_nearest,
        describe=cv.describe_xy_nearest,
        code=cv.code_xy_nearest,
    ),
    OpKind(
        "stride",
        execute=lambda obj, a: obj.isel({d: slice(None, None, a["step"]) for d in a["dims"]}),
        describe=lambda a: (
            f"One point in {a['step']} along "
            + " and ".join(repr(d) for d in a["dims"])
            + " (preview decimation)"
        ),
        code=lambda s, a: (
            f"{s}.isel({mapping((d, slice_code(None, None, a['step'])) for d in a['dims'])})"
        ),
    ),
    OpKind(
        "project_lonlat",
        execute=cv.lonlat,
        describe=cv.describe_lonlat,
        code=cv.code_lonlat,
        selects=False,
        helpers=(projection.lonlat_coords,),
    ),
    OpKind(
        "box_mask",
        execute=cv.box_mask,
        describe=cv.describe_box_mask,
        code=cv.code_box_mask,
        selects=False,
        helpers=(geodesy.in_box,),
        elementwise=True,
    ),
    OpKind(
        "mask_invalid",
        execute=_mask_invalid,
        describe=_describe_mask_invalid,
        code=_code_mask_invalid,
        selects=False,
        elementwise=True,
        comment=lambda a: (
            "values outside the CF valid range masked, as netCDF4 reads them "
            "(packed limits widened by half a step)"
        ),
    ),
    OpKind(
        "mask_flags",
        execute=_mask_flags,
        describe=_describe_mask_flags,
        code=_code_mask_flags,
        selects=False,
        elementwise=True,
        comment=lambda a: "CF flag codes masked: they name conditions, they are not values",
    ),
    OpKind(
        "area_mean",
        execute=_area_mean,
        describe=lambda a: (
            f"Area mean over {a['lat']!r} and {a['lon']!r}, weighted by cos(latitude) (float64)"
        ),
        code=_code_area_mean,
        selects=False,
        needs_numpy=True,
    ),
    OpKind(
        "cell_mean",
        execute=cv.cell_mean,
        describe=cv.describe_cell_mean,
        code=cv.code_cell_mean,
        selects=False,
        needs_numpy=True,
    ),
    OpKind(
        "cell_area_mean",
        execute=cv.area_mean,
        describe=cv.describe_area_mean,
        code=cv.code_area_mean,
        selects=False,
        helpers=(projection.cell_area_weights,),
    ),
    OpKind(
        "time_mean",
        execute=_mean,
        describe=lambda a: f"Mean over time {a['dim']!r}",
        code=_code_mean,
        selects=False,
    ),
    OpKind(
        "zonal_mean",
        execute=_mean,
        describe=lambda a: f"Zonal mean (over longitude {a['dim']!r})",
        code=_code_mean,
        selects=False,
    ),
    OpKind(
        "meridional_mean",
        execute=_meridional_mean,
        describe=lambda a: (
            f"Meridional mean (over latitude {a['dim']!r}, weighted by cos(latitude), float64)"
        ),
        code=_code_meridional_mean,
        selects=False,
        needs_numpy=True,
    ),
)
KINDS: Mapping[str, OpKind] = MappingProxyType({k.name: k for k in _TABLE})
assert tuple(KINDS) == OP_NAMES, "every op name has exactly one kind, in order"
