"""Projected grids (1-D x/y in metres and a CF ``grid_mapping``: EASE-2, polar stereographic,
Albers, UTM...): their CRS, the latitude/longitude of each cell and each cell's area, with pyproj.

Pure (no I/O). :func:`lonlat_coords` and :func:`cell_area_weights` are called by the ops, and
exported scripts carry their source, so the explorer and a script compute the same coordinates
and weights.

Example:
    >>> crs = crs_text({"grid_mapping_name": "lambert_cylindrical_equal_area",
    ...                 "standard_parallel": 30.0, "longitude_of_central_meridian": 0.0,
    ...                 "false_easting": 0.0, "false_northing": 0.0,
    ...                 "semi_major_axis": 6378137.0, "inverse_flattening": 298.257223563})
    >>> crs
    '+proj=cea +lat_ts=30 +lon_0=0 +x_0=0 +y_0=0 +ellps=WGS84 +units=m +no_defs +type=crs'
    >>> [round(v, 3) for v in to_xy(crs, 0.0, 0.0)]
    [0.0, 0.0]
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

from vstore_explorer.errors import SelectionError


def crs_text(attrs: Mapping[str, Any]) -> str:
    """The CRS of CF grid-mapping attributes: an authority code (``EPSG:6933``) when PROJ
    knows the very same CRS, else its PROJ string when that is the same CRS, else WKT; what the
    ops carry and the script passes to pyproj.

    Raises:
        SelectionError: attributes pyproj cannot read as a CRS (named in the message).
    """
    import pyproj

    plain = {str(k): (v.tolist() if hasattr(v, "tolist") else v) for k, v in attrs.items()}
    try:
        crs = pyproj.CRS.from_cf(plain)
    except (pyproj.exceptions.CRSError, KeyError, TypeError, ValueError) as exc:
        raise SelectionError(
            f"the grid mapping {plain.get('grid_mapping_name', '(unnamed)')!r} is not a CRS "
            f"pyproj can read ({exc}); a projected grid needs CF grid-mapping attributes or crs_wkt"
        ) from exc
    authority = crs.to_authority(min_confidence=90)
    if authority:
        return f"{authority[0]}:{authority[1]}"
    with warnings.catch_warnings():  # "loses some information": names, not the transform
        warnings.simplefilter("ignore", UserWarning)
        proj = crs.to_proj4()
    if proj and _same_transform(crs, pyproj.CRS.from_user_input(proj)):
        return str(proj)
    return str(crs.to_wkt())


def _same_transform(a: Any, b: Any) -> bool:
    """Whether two CRSs place lon/lat points at the same x/y (to a micrometre)."""
    import numpy as np
    import pyproj

    lon, lat = np.meshgrid(np.linspace(-170, 170, 9), np.linspace(-80, 80, 9))
    xa, ya = pyproj.Transformer.from_crs("EPSG:4326", a, always_xy=True).transform(lon, lat)
    xb, yb = pyproj.Transformer.from_crs("EPSG:4326", b, always_xy=True).transform(lon, lat)
    return bool(
        np.allclose(xa, xb, atol=1e-6, equal_nan=True)
        and np.allclose(ya, yb, atol=1e-6, equal_nan=True)
    )


def to_xy(crs: str, lon: Any, lat: Any) -> tuple[Any, Any]:
    """Longitude/latitude (degrees) to the grid's projected x/y (metres)."""
    import pyproj

    transformer = pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    return transformer.transform(lon, lat)


def xy_bounds(crs: str, bbox: tuple[float, float, float, float]) -> tuple[float, ...]:
    """The projected ``(xmin, ymin, xmax, ymax)`` enclosing a lon/lat box (its edges densified,
    across the antimeridian when west > east, poles included)."""
    import pyproj

    transformer = pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    return tuple(float(v) for v in transformer.transform_bounds(*bbox, densify_pts=101))


def lonlat_coords(obj: Any, x: str, y: str, crs: str, scale: float, names: Any) -> Any:
    """``obj`` with latitude/longitude coordinates (``names``: their names) of its x/y cells
    (2-D over ``(y, x)``; scalars after a point), computed with pyproj from the grid's CRS
    (``scale``: metres per x/y unit)."""
    import pyproj
    import xarray as xr

    yy, xx = xr.broadcast(obj[y].astype("float64") * scale, obj[x].astype("float64") * scale)
    transformer = pyproj.Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    lon, lat = transformer.transform(xx.values, yy.values)
    north = {"units": "degrees_north", "standard_name": "latitude"}
    east = {"units": "degrees_east", "standard_name": "longitude"}
    return obj.assign_coords(
        {
            names[0]: xr.Variable(xx.dims, lat, north),
            names[1]: xr.Variable(xx.dims, lon, east),
        }
    )


def cell_area_weights(obj: Any, crs: str, dx: float, dy: float, names: Any) -> Any:
    """Each cell's area on the ellipsoid (km²): its projected area ``dx * dy`` (metres) divided
    by the projection's areal scale factor at its centre (1 everywhere on an equal-area grid such
    as EASE-2); 0 where the cell has no latitude/longitude."""
    import numpy as np
    import pyproj

    lat, lon = obj[names[0]], obj[names[1]]
    factors = pyproj.Proj(pyproj.CRS.from_user_input(crs)).get_factors(
        np.asarray(lon.values, dtype="float64"), np.asarray(lat.values, dtype="float64")
    )
    area = abs(dx * dy) / np.asarray(factors.areal_scale, dtype="float64") / 1e6
    return lat.copy(data=np.where(np.isfinite(area), area, 0.0)).rename("cell_area")
