"""Plan a Selection: the ops that apply it to a dataset, from metadata and coordinate values only.

Order of the steps: variables, time range, level, box or point (on a 2-D or projected grid: see
:mod:`.planning_curvilinear`, :mod:`.planning_projected`), stride, the CF valid-range mask
(:func:`valid_bounds`; unless ``Selection.invalid == "keep"``), the CF flag-code mask
(:mod:`.cf_flags`; unless ``Selection.flags == "keep"``), reduction. A reduction of
non-dask data adds a ``chunk`` step: right after the variables with the storage chunks when the
encoding gives them for every dimension, else ``chunk("auto")`` just before the reduction.

Example:
    >>> import numpy as np, xarray as xr
    >>> from vstore_explorer.selection import Selection
    >>> ds = xr.Dataset({"t": (("lat", "lon"), np.zeros((3, 4)))},
    ...                 coords={"lat": [-10.0, 0.0, 10.0], "lon": [0.0, 90.0, 180.0, 270.0]})
    >>> tuple(op.name for op in plan(ds, Selection(variables=("t",), point=(90, 0))))
    ('select_variable', 'point_nearest')
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr
from xarray.coding.cftimeindex import CFTimeIndex

from vstore_explorer.axes import Axes, LonConvention, find_axes
from vstore_explorer.chunks import storage_chunk_sizes
from vstore_explorer.errors import SelectionError
from vstore_explorer.ops import planning_curvilinear as curvilinear
from vstore_explorer.ops import planning_projected as projected
from vstore_explorer.ops.cf_flags import flag_mask_op
from vstore_explorer.ops.op import Op
from vstore_explorer.selection import Selection, bbox_width


def to_convention(lon: float, convention: LonConvention | None) -> float:
    """A longitude in the store's convention (``0..360`` or ``-180..180``).

    Example:
        >>> to_convention(-90.0, "0..360"), to_convention(270.0, "-180..180")
        (270.0, -90.0)
    """
    if convention == "0..360":
        return lon + 360.0 if lon < 0 else lon
    return lon - 360.0 if lon > 180 else lon


def _spacing(values: np.ndarray) -> float:
    return float(np.median(np.abs(np.diff(values)))) if values.size > 1 else 0.0


def _extent(values: np.ndarray) -> str:
    if values.size == 0:
        return "no values"
    return f"{float(np.min(values)):g} to {float(np.max(values)):g}"


def _slice_length(index: pd.Index, start: Any, stop: Any) -> int:
    return len(range(*index.slice_indexer(start, stop).indices(len(index))))


def _runs(mask: np.ndarray) -> tuple[tuple[int, int], ...]:
    """Half-open ``(start, stop)`` index ranges where ``mask`` is true."""
    padded = np.concatenate(([False], mask, [False])).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return tuple((int(a), int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True))


def _monotonic(index: pd.Index) -> str | None:
    if index.is_monotonic_increasing:
        return "increasing"
    if index.is_monotonic_decreasing:
        return "decreasing"
    return None


def _number_or_none(value: Any) -> float | None:
    array = np.asarray(value).ravel()
    return float(array[0]) if array.size and np.isfinite(array[0]) else None


def valid_bounds(var: xr.DataArray) -> tuple[float | None, float | None] | None:
    """The decoded ``(low, high)`` a CF variable's values must lie within (``None``: no limit on
    that side; no bounds at all: ``None``), as netCDF4-python masks them.

    ``valid_min``/``valid_max`` override ``valid_range``'s ends. For packed data (an integer
    stored type with ``scale_factor``/``add_offset``) the limits are in packed units: they are
    scaled like the data and widened by half a packing step, so a stored value is kept exactly
    when netCDF4 keeps it.

    Example:
        >>> import numpy as np, xarray as xr
        >>> v = xr.DataArray(np.zeros(3), attrs={"valid_min": -500, "valid_max": 500})
        >>> v.encoding = {"dtype": np.dtype("int16"), "scale_factor": 0.1}
        >>> valid_bounds(v)
        (-50.050000000000004, 50.050000000000004)
    """
    attrs = var.attrs
    if not np.issubdtype(var.dtype, np.number) or not any(
        k in attrs for k in ("valid_min", "valid_max", "valid_range")
    ):
        return None
    lo = hi = None
    if "valid_range" in attrs:
        ends = np.asarray(attrs["valid_range"]).ravel()
        if ends.size == 2:
            lo, hi = _number_or_none(ends[0]), _number_or_none(ends[1])
    if "valid_min" in attrs:
        lo = _number_or_none(attrs["valid_min"])
    if "valid_max" in attrs:
        hi = _number_or_none(attrs["valid_max"])
    if lo is None and hi is None:
        return None
    enc = var.encoding
    scale = enc.get("scale_factor", attrs.get("scale_factor"))
    offset = enc.get("add_offset", attrs.get("add_offset"))
    stored = np.dtype(enc.get("dtype", var.dtype))
    if (scale is None and offset is None) or stored.kind not in "iu":
        return lo, hi
    s = float(np.asarray(scale).ravel()[0]) if scale is not None else 1.0
    o = float(np.asarray(offset).ravel()[0]) if offset is not None else 0.0
    low = None if lo is None else (lo - 0.5) * s + o
    high = None if hi is None else (hi + 0.5) * s + o
    return (high, low) if s < 0 else (low, high)


def _mask_op(ds: xr.Dataset, names: Sequence[Hashable], single: bool) -> Op | None:
    bounds = tuple(
        (str(name), *found) for name in names if (found := valid_bounds(ds[name])) is not None
    )
    return Op.make("mask_invalid", bounds=bounds, single=single) if bounds else None


def _time_text(value: Any) -> str:
    iso = getattr(value, "isoformat", None)
    return str(iso()) if callable(iso) else str(value)


# --- planning --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Context:
    ds: xr.Dataset
    axes: Axes
    dims: Mapping[Hashable, tuple[Hashable, ...]]  # dims of each selected variable, now

    def present(self) -> set[Hashable]:
        return {d for dims in self.dims.values() for d in dims}

    def require(self, dim: str | None, axis: str, purpose: str) -> str:
        if dim is None:
            raise SelectionError(
                f"{purpose} needs a {axis} axis, but none was found among the dataset's "
                f"dimension coordinates {list(self.ds.dims)}"
            )
        if dim not in self.present():
            raise SelectionError(
                f"{purpose} needs dimension {dim!r}, which the selected variable(s) "
                f"{list(self.dims)} do not have"
            )
        return dim

    def require_all(self, dims: Sequence[str], purpose: str) -> None:
        lacking = [name for name, have in self.dims.items() if not set(dims) <= set(have)]
        if lacking:
            raise SelectionError(
                f"{purpose} needs dimensions {list(dims)}, which variable(s) {lacking} lack; "
                "choose variables that have them with Selection(variables=...)"
            )

    def without(self, *dims: Hashable) -> _Context:
        kept = {n: tuple(d for d in have if d not in dims) for n, have in self.dims.items()}
        return _Context(self.ds, self.axes, kept)


def _variable_ops(ds: xr.Dataset, sel: Selection) -> tuple[list[Op], tuple[Hashable, ...]]:
    available = ", ".join(repr(name) for name in ds.data_vars) or "none"
    missing = [name for name in sel.variables if name not in ds.data_vars]
    if missing:
        raise SelectionError(
            f"unknown variable(s) {missing!r}; the dataset's data variables are: {available}"
        )
    if not sel.variables:
        if not ds.data_vars:
            raise SelectionError("the dataset has no data variables to select")
        return [], tuple(ds.data_vars)
    if len(sel.variables) == 1:
        return [Op.make("select_variable", name=sel.variables[0])], sel.variables
    return [Op.make("select_variables", names=sel.variables)], sel.variables


def _time_op(ctx: _Context, start: str | None, stop: str | None) -> Op:
    dim = ctx.require(ctx.axes.time, "time", "a time range")
    index = ctx.ds.indexes[dim]
    if not isinstance(index, pd.DatetimeIndex | CFTimeIndex):
        raise SelectionError(
            f"time coordinate {dim!r} is not decoded to dates (dtype {index.dtype}); "
            "open the store with decode_times=True"
        )
    covers = (
        f"the data covers {_time_text(index[0])} to {_time_text(index[-1])} ({len(index)} steps)"
        if len(index)
        else "the data has no time steps"
    )
    try:
        count = _slice_length(index, start, stop)
    except (KeyError, ValueError, TypeError, OverflowError) as exc:
        raise SelectionError(
            f"time range {start!r} to {stop!r} cannot be selected ({exc}); {covers}"
        ) from exc
    if count == 0:
        raise SelectionError(f"time range {start!r} to {stop!r} selects no time step: {covers}")
    return Op.make("time_range", dim=dim, start=start, stop=stop)


def _nearest_index(ctx: _Context, dim: str, what: str) -> np.ndarray:
    index = ctx.ds.indexes[dim]
    if _monotonic(index) is None:
        raise SelectionError(
            f"{what} coordinate {dim!r} is not sorted; nearest selection needs it sorted"
        )
    return np.asarray(index.values, dtype=float)


def _check_near(values: np.ndarray, x: float, dim: str, what: str) -> None:
    step = _spacing(values)
    if values.size and not float(np.min(values)) - step <= x <= float(np.max(values)) + step:
        raise SelectionError(
            f"point {what} {x:g} is outside the grid ({dim!r} from {_extent(values)}, "
            f"spacing {step:g})"
        )


def _point_op(ctx: _Context, lon: float, lat: float) -> Op:
    lat_dim = ctx.require(ctx.axes.lat, "latitude", "a point")
    lon_dim = ctx.require(ctx.axes.lon, "longitude", "a point")
    lats = _nearest_index(ctx, lat_dim, "latitude")
    lons = _nearest_index(ctx, lon_dim, "longitude")
    x = to_convention(lon, ctx.axes.lon_convention)
    _check_near(lats, lat, lat_dim, "latitude")
    is_global = lons.size > 1 and np.ptp(lons) + _spacing(lons) >= 359.999
    if not is_global:
        _check_near(lons, x, lon_dim, "longitude")
    return Op.make("point_nearest", lat=lat_dim, lat_value=lat, lon=lon_dim, lon_value=x)


def _empty_box(sel: Selection, dim: str, values: np.ndarray, axis: str) -> ValueError:
    return ValueError(
        f"bbox {sel.bbox} contains no grid point: {axis} {dim!r} runs from {_extent(values)} with "
        f"a spacing of {_spacing(values):g} degrees; widen the box or select a point"
    )


def _bbox_ops(ctx: _Context, sel: Selection) -> list[Op]:
    assert sel.bbox is not None
    west, south, east, north = sel.bbox
    lat_dim = ctx.require(ctx.axes.lat, "latitude", "a bounding box")
    lon_dim = ctx.require(ctx.axes.lon, "longitude", "a bounding box")
    lat_index = ctx.ds.indexes[lat_dim]
    lats = np.asarray(lat_index.values, dtype=float)
    order = _monotonic(lat_index)
    if order is None:
        raise SelectionError(f"latitude {lat_dim!r} is not sorted; a box needs sorted latitudes")
    lat_bounds = (south, north) if order == "increasing" else (north, south)
    if _slice_length(lat_index, *lat_bounds) == 0:
        raise _empty_box(sel, lat_dim, lats, "latitude")
    indexers: list[tuple[str, float, float]] = [(lat_dim, *lat_bounds)]
    extra: list[Op] = []
    if bbox_width(west, east) < 360.0:
        lon_index = ctx.ds.indexes[lon_dim]
        lons = np.asarray(lon_index.values, dtype=float)
        w = to_convention(west, ctx.axes.lon_convention)
        e = to_convention(east, ctx.axes.lon_convention)
        lon_order = _monotonic(lon_index)
        if w <= e and lon_order is not None:
            bounds = (w, e) if lon_order == "increasing" else (e, w)
            count = _slice_length(lon_index, *bounds)
            indexers.append((lon_dim, *bounds))
        else:
            mask = (lons >= w) & (lons <= e) if w <= e else (lons >= w) | (lons <= e)
            count = int(mask.sum())
            extra.append(Op.make("lon_runs", dim=lon_dim, runs=_runs(mask)))
        if count == 0:
            raise _empty_box(sel, lon_dim, lons, "longitude")
    return [Op.make("bbox_slice", indexers=tuple(indexers)), *extra]


def _reduction_op(ctx: _Context, reduction: str) -> Op:
    axes = ctx.axes
    purpose = f"reduction {reduction!r}"
    if reduction == "area_mean":
        lat = ctx.require(axes.lat, "latitude", purpose)
        lon = ctx.require(axes.lon, "longitude", purpose)
        ctx.require_all((lat, lon), purpose)
        return Op.make("area_mean", lat=lat, lon=lon)
    if reduction == "time_mean":
        dim = ctx.require(axes.time, "time", purpose)
        ctx.require_all((dim,), purpose)
        return Op.make("time_mean", dim=dim)
    if reduction == "meridional_mean":
        dim = ctx.require(axes.lat, "latitude", purpose)
        ctx.require_all((dim,), purpose)
        return Op.make("meridional_mean", dim=dim)
    dim = ctx.require(axes.lon, "longitude", purpose)
    ctx.require_all((dim,), purpose)
    return Op.make("zonal_mean", dim=dim)


def plan(ds: xr.Dataset, sel: Selection) -> tuple[Op, ...]:
    """The operations that apply ``sel`` to ``ds``, from metadata and coordinate values only.

    Raises:
        ValueError: unknown variables, ranges or boxes outside the data, missing axes.

    Example:
        >>> import numpy as np, xarray as xr
        >>> ds = xr.Dataset({"t": (("lat", "lon"), np.zeros((3, 4)))},
        ...                 coords={"lat": [-10.0, 0.0, 10.0], "lon": [0.0, 90.0, 180.0, 270.0]})
        >>> tuple(op.name for op in plan(ds, Selection(variables=("t",), point=(90, 0))))
        ('select_variable', 'point_nearest')
    """
    if not isinstance(ds, xr.Dataset):
        raise SelectionError(f"plan needs an xarray Dataset, got {type(ds).__name__}")
    if not isinstance(sel, Selection):
        raise SelectionError(f"plan needs a Selection, got {type(sel).__name__}")
    axes = find_axes(ds)
    ops: list[Op] = []
    if axes.curvilinear and not axes.geo_coords:
        ops.append(Op.make("geolocate", names=(axes.geo_lat, axes.geo_lon)))
        ds = ds.set_coords([str(axes.geo_lat), str(axes.geo_lon)])
    variable_ops, names = _variable_ops(ds, sel)
    ops += variable_ops
    ctx = _Context(ds, axes, {name: ds[name].dims for name in names})
    late_chunk = False
    if sel.reduction != "none" and any(ds[name].chunks is None for name in names):
        # A reduction of non-dask data goes through dask to stay lazy: with the storage chunks
        # when they are known (each needed stored chunk is then read once, whole), otherwise
        # with automatic chunks of the subset (so only the subset is read).
        storage = storage_chunk_sizes(ds, names)
        if set(storage) >= ctx.present():
            ops.append(Op.make("chunk", chunks=storage))
        else:
            late_chunk = True
    if sel.time is not None:
        ops.append(_time_op(ctx, *sel.time))
    if sel.level is not None:
        dim = ctx.require(ctx.axes.level, "vertical", "a level")
        _nearest_index(ctx, dim, "level")
        ops.append(Op.make("level_nearest", dim=dim, value=sel.level))
        ctx = ctx.without(dim)
    crs = projected.crs_of(ds, axes) if axes.projected else None
    if sel.point is not None and crs is not None:
        ctx.require_all(axes.spatial(), "a point")
        ops.append(projected.point_op(ds, axes, crs, *sel.point))
        ctx = ctx.without(*axes.spatial())
    elif sel.point is not None and axes.curvilinear:
        ctx.require_all(axes.spatial(), "a point")
        ops.extend(curvilinear.cell_ops(ds, axes, *sel.point))
        ctx = ctx.without(*axes.spatial())
    elif sel.point is not None:
        ops.append(_point_op(ctx, *sel.point))
        ctx = ctx.without(ctx.axes.lat, ctx.axes.lon)
    if sel.bbox is not None and crs is not None:
        ctx.require_all(axes.spatial(), "a bounding box")
        ops.append(projected.box_op(ds, axes, crs, sel.bbox))
    elif sel.bbox is not None and axes.curvilinear:
        ctx.require_all(axes.spatial(), "a bounding box")
        ops.extend(curvilinear.box_ops(ds, axes, sel.bbox))
    elif sel.bbox is not None:
        ops.extend(_bbox_ops(ctx, sel))
    spatial = tuple(d for d in ctx.axes.spatial() if d in ctx.present())
    if sel.stride > 1 and spatial:
        ops.append(Op.make("stride", dims=spatial, step=sel.stride))
    if crs is not None:
        ops.append(projected.lonlat_op(axes, crs))
        if sel.bbox is not None:
            box = {"lat": axes.geo_lat, "lon": axes.geo_lon, "bbox": sel.bbox}
            ops.append(Op.make("box_mask", **box))
    mask = _mask_op(ds, names, single=any(op.name == "select_variable" for op in ops))
    if mask is not None and sel.invalid == "mask":
        ops.append(mask)
    flags = flag_mask_op(ds, names, single=any(op.name == "select_variable" for op in ops))
    if flags is not None and sel.flags == "mask":
        ops.append(flags)
    if sel.reduction != "none":
        special = curvilinear.reduction_op(axes, sel.reduction) if axes.curvilinear else None
        if crs is not None:
            special = projected.reduction_op(ds, axes, crs, sel.reduction)
        if special is not None:
            ctx.require_all(axes.spatial(), f"reduction {sel.reduction!r}")
        reduction = special or _reduction_op(ctx, sel.reduction)
        if late_chunk:
            ops.append(Op.make("chunk", chunks="auto"))
        ops.append(reduction)
    return tuple(ops)
