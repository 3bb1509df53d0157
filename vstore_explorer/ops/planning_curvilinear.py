"""Planning a Selection on a grid located by 2-D latitude/longitude arrays (a swath or a
curvilinear grid): a box is the index window that covers it plus a mask of the cells outside;
a point is the nearest cell by great-circle distance. Reads the geolocation arrays only.

Example:
    >>> import numpy as np, xarray as xr
    >>> from vstore_explorer.axes import find_axes
    >>> lat, lon = np.meshgrid([10.0, 11.0, 12.0], [20.0, 21.0], indexing="ij")
    >>> ds = xr.Dataset({"t": (("row", "col"), np.zeros((3, 2)))},
    ...                 coords={"lat": (("row", "col"), lat, {"units": "degrees_north"}),
    ...                         "lon": (("row", "col"), lon, {"units": "degrees_east"})})
    >>> [op.name for op in box_ops(ds, find_axes(ds), (19.5, 10.5, 20.5, 12.5))]
    ['cell_window', 'box_mask']
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from vstore_explorer.axes import Axes
from vstore_explorer.errors import SelectionError
from vstore_explorer.geodesy import box_window, great_circle_km
from vstore_explorer.ops.op import Op

_REACH = 1.0  # a point farther than this many cell spacings from every cell is off the grid


def _geolocation(ds: xr.Dataset, axes: Axes) -> tuple[np.ndarray, np.ndarray]:
    assert axes.geo_lat is not None and axes.geo_lon is not None
    lat = np.asarray(ds[axes.geo_lat].values, dtype=np.float64)
    lon = np.asarray(ds[axes.geo_lon].values, dtype=np.float64)
    return lat, lon


def _where(axes: Axes) -> str:
    return (
        f"the grid is located by 2-D arrays {axes.geo_lat!r}/{axes.geo_lon!r} over "
        f"({axes.y!r}, {axes.x!r})"
    )


def _no_geolocation(axes: Axes, purpose: str) -> SelectionError:
    return SelectionError(
        f"{purpose} cannot be placed: {_where(axes)}, and every latitude/longitude is missing "
        "(fill values): the granules hold no geolocated data to select"
    )


def spacing_km(lat: np.ndarray, lon: np.ndarray) -> float:
    """The median great-circle distance between neighbouring cells (along rows or columns,
    whichever is larger), in km; ``0.0`` for a single cell or no finite neighbour."""
    lat2, lon2 = lat.reshape((-1, *lat.shape[-2:]))[0], lon.reshape((-1, *lon.shape[-2:]))[0]
    steps = []
    for axis in (0, 1):
        if lat2.shape[axis] < 2:
            continue
        a = [np.take(v, range(v.shape[axis] - 1), axis=axis) for v in (lat2, lon2)]
        b = [np.take(v, range(1, v.shape[axis]), axis=axis) for v in (lat2, lon2)]
        d = great_circle_km(a[0], a[1], b[0], b[1])
        d = d[np.isfinite(d)]
        if d.size:
            steps.append(float(np.median(d)))
    return max(steps, default=0.0)


def cell_ops(ds: xr.Dataset, axes: Axes, lon: float, lat: float) -> list[Op]:
    """The ``nearest_cell`` op for a point and the mask of steps whose nearest cell is out of
    reach (a swath elsewhere); refused when no cell is within reach of it."""
    lats, lons = _geolocation(ds, axes)
    if not np.isfinite(lats).any():
        raise _no_geolocation(axes, "a point")
    spacing = spacing_km(lats, lons)
    reach = max(_REACH * spacing, 1.0)
    distance = great_circle_km(lats, lons, lat, lon)
    nearest = float(np.nanmin(distance))
    if nearest > reach:
        raise SelectionError(
            f"point (longitude {lon:g}, latitude {lat:g}) is {nearest:,.0f} km from the nearest "
            f"cell, off the grid ({_where(axes)}; cells about {spacing:,.0f} km apart, latitudes "
            f"{np.nanmin(lats):g} to {np.nanmax(lats):g}); pick a point the grid covers"
        )
    where = {"lat": axes.geo_lat, "lon": axes.geo_lon, "lat_value": lat, "lon_value": lon}
    return [
        Op.make("nearest_cell", **where, dims=(axes.y, axes.x)),
        Op.make("far_mask", **where, max_km=round(reach, 3)),
    ]


def box_ops(ds: xr.Dataset, axes: Axes, bbox: tuple[float, float, float, float]) -> list[Op]:
    """The index window covering the box's cells, then the mask of the cells outside it."""
    lats, lons = _geolocation(ds, axes)
    if not np.isfinite(lats).any():
        raise _no_geolocation(axes, "a box")
    found = box_window(lats, lons, *bbox)
    if found is None:
        raise SelectionError(
            f"bbox {bbox} contains no cell centre: {_where(axes)} (latitudes "
            f"{np.nanmin(lats):g} to {np.nanmax(lats):g}, longitudes {np.nanmin(lons):g} to "
            f"{np.nanmax(lons):g}); widen the box or move it onto the grid"
        )
    i0, i1, j0, j1 = found
    indexers = []
    if (i0, i1) != (0, lats.shape[-2]):
        indexers.append((axes.y, i0, i1))
    if (j0, j1) != (0, lats.shape[-1]):
        indexers.append((axes.x, j0, j1))
    ops = [Op.make("cell_window", indexers=tuple(indexers))] if indexers else []
    ops.append(Op.make("box_mask", lat=axes.geo_lat, lon=axes.geo_lon, bbox=tuple(bbox)))
    return ops


def reduction_op(axes: Axes, reduction: str) -> Op | None:
    """``cell_mean`` for an area mean; ``None`` for a time mean (planned as on any grid).

    Raises:
        SelectionError: a zonal mean, which needs latitude rows.
    """
    if reduction == "area_mean":
        return Op.make("cell_mean", lat=axes.geo_lat, dims=(axes.y, axes.x))
    if reduction in ("zonal_mean", "meridional_mean"):
        raise SelectionError(
            f"a zonal or meridional mean (and the Hovmöllers) needs a regular latitude/longitude grid, but "
            f"{_where(axes)} (a swath or curvilinear grid); use the map, a point series or a "
            "box's area mean"
        )
    return None
