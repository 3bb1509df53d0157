"""Planning a Selection on a projected x/y grid with a CF grid mapping (EASE-2, polar
stereographic, Albers, UTM...): a box is transformed to the projection (its edges densified,
pyproj) and selected as an x/y range, then cells whose centre lies outside the lon/lat box are
masked; a point is the cell that contains it; every result carries each cell's latitude and
longitude (``project_lonlat``), and an area mean weights cells by their area on the ellipsoid.

Example:
    >>> import numpy as np, xarray as xr
    >>> from vstore_explorer.axes import find_axes
    >>> x = xr.DataArray(np.arange(-2e6, 2e6, 5e5), dims="x",
    ...                  attrs={"standard_name": "projection_x_coordinate", "units": "m"})
    >>> y = xr.DataArray(np.arange(2e6, -2e6, -5e5), dims="y",
    ...                  attrs={"standard_name": "projection_y_coordinate", "units": "m"})
    >>> ds = xr.Dataset({"ice": (("y", "x"), np.zeros((8, 8)), {"grid_mapping": "crs"}),
    ...                  "crs": ((), 0, {"grid_mapping_name": "polar_stereographic",
    ...                   "straight_vertical_longitude_from_pole": -45.0, "standard_parallel": 70.0,
    ...                   "latitude_of_projection_origin": 90.0, "false_easting": 0.0,
    ...                   "false_northing": 0.0, "semi_major_axis": 6378137.0,
    ...                   "inverse_flattening": 298.257223563})}, coords={"x": x, "y": y})
    >>> axes = find_axes(ds)
    >>> (axes.grid, axes.crs, crs_of(ds, axes).split()[0])
    ('projected', 'crs', '+proj=stere')
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from vstore_explorer.axes import Axes
from vstore_explorer.errors import SelectionError
from vstore_explorer.ops.op import Op
from vstore_explorer.projection import crs_text, to_xy, xy_bounds


def crs_of(ds: xr.Dataset, axes: Axes) -> str:
    """The CRS of the grid (``EPSG:...`` or WKT), read from its grid-mapping variable."""
    assert axes.crs is not None
    return crs_text(ds[axes.crs].attrs)


def _metres(ds: xr.Dataset, axes: Axes, dim: str | None) -> np.ndarray:
    return np.asarray(ds[str(dim)].values, dtype=np.float64) * axes.xy_scale


def _step(values: np.ndarray) -> float:
    return float(np.median(np.abs(np.diff(values)))) if values.size > 1 else 0.0


def _where(axes: Axes, crs: str) -> str:
    short = crs if len(crs) < 40 else crs[:37] + "..."
    return f"the grid is projected x/y ({axes.x!r}, {axes.y!r}; {short})"


def point_op(ds: xr.Dataset, axes: Axes, crs: str, lon: float, lat: float) -> Op:
    """The ``xy_nearest`` op: the cell containing the point, refused off the grid."""
    xs, ys = _metres(ds, axes, axes.x), _metres(ds, axes, axes.y)
    px, py = (float(v) for v in to_xy(crs, lon, lat))
    for name, v, values in ((axes.x, px, xs), (axes.y, py, ys)):
        half = _step(values) / 2
        if not np.isfinite(v) or not values.min() - half <= v <= values.max() + half:
            raise SelectionError(
                f"point (longitude {lon:g}, latitude {lat:g}) is off the grid: {_where(axes, crs)}; "
                f"it projects to {name!r} = {v:,.0f} m, outside {values.min():,.0f} to "
                f"{values.max():,.0f} m; pick a point the grid covers"
            )
    return Op.make(
        "xy_nearest",
        x=axes.x,
        y=axes.y,
        x_value=px / axes.xy_scale,
        y_value=py / axes.xy_scale,
        lon_value=lon,
        lat_value=lat,
    )


def box_op(ds: xr.Dataset, axes: Axes, crs: str, bbox: tuple[float, float, float, float]) -> Op:
    """The x/y range enclosing the transformed box (one cell of margin), as ``bbox_slice``."""
    xmin, ymin, xmax, ymax = xy_bounds(crs, bbox)
    indexers = []
    for dim, lo, hi in ((axes.x, xmin, xmax), (axes.y, ymin, ymax)):
        values = _metres(ds, axes, dim)
        margin = _step(values)
        inside = (values >= lo - margin) & (values <= hi + margin)
        if not inside.any():
            raise SelectionError(
                f"bbox {bbox} contains no cell: {_where(axes, crs)}, and the box projects to "
                f"{dim!r} {lo:,.0f} to {hi:,.0f} m, outside the grid's {values.min():,.0f} to "
                f"{values.max():,.0f} m; widen the box or move it onto the grid"
            )
        a, b = (lo - margin) / axes.xy_scale, (hi + margin) / axes.xy_scale
        increasing = values.size < 2 or values[-1] >= values[0]
        indexers.append((dim, *((a, b) if increasing else (b, a))))
    return Op.make("bbox_slice", indexers=tuple(indexers))


def lonlat_op(axes: Axes, crs: str) -> Op:
    """The ``project_lonlat`` op: each cell's latitude/longitude as 2-D coordinates."""
    return Op.make(
        "project_lonlat",
        x=axes.x,
        y=axes.y,
        crs=crs,
        scale=axes.xy_scale,
        names=(axes.geo_lat, axes.geo_lon),
    )


def reduction_op(ds: xr.Dataset, axes: Axes, crs: str, reduction: str) -> Op | None:
    """``cell_area_mean`` for an area mean; ``None`` for a time mean (planned as on any grid).

    Raises:
        SelectionError: a zonal mean, which needs latitude rows.
    """
    if reduction == "area_mean":
        return Op.make(
            "cell_area_mean",
            crs=crs,
            dx=_step(_metres(ds, axes, axes.x)),
            dy=_step(_metres(ds, axes, axes.y)),
            names=(axes.geo_lat, axes.geo_lon),
            dims=(axes.y, axes.x),
        )
    if reduction in ("zonal_mean", "meridional_mean"):
        raise SelectionError(
            f"a zonal or meridional mean (and the Hovmöllers) needs a regular latitude/longitude grid, but "
            f"{_where(axes, crs)}; use the map, a point series or a box's area mean"
        )
    return None
