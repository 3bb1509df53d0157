"""How the ops on grids located by 2-D latitude/longitude (swaths, curvilinear grids) and on
projected x/y grids run, read and are written as code; :mod:`.kinds` lists them with the other ops.

The box and point ops call :mod:`vstore_explorer.geodesy`, whose source the exported script
carries, so the explorer and the script run the same functions. Pure: no I/O.

Example:
    >>> code_cell("ds", {"lat": "lat", "lon": "lon", "dims": ("row", "col"),
    ...                  "lat_value": 10.0, "lon_value": 20.0})
    "nearest_cell(ds, 'lat', 'lon', ('row', 'col'), 10.0, 20.0)"
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from vstore_explorer.geodesy import in_box, mask_far, nearest_cell
from vstore_explorer.literals import literal, mapping, slice_code
from vstore_explorer.projection import cell_area_weights, lonlat_coords

Args = Mapping[str, Any]


def geolocate(obj: Any, a: Args) -> Any:
    return obj.set_coords(list(a["names"]))


def code_geolocate(s: str, a: Args) -> str:
    return f"{s}.set_coords({literal(list(a['names']))})"


def cell(obj: Any, a: Args) -> Any:
    return nearest_cell(obj, a["lat"], a["lon"], tuple(a["dims"]), a["lat_value"], a["lon_value"])


def code_cell(s: str, a: Args) -> str:
    values = (a["lat"], a["lon"], tuple(a["dims"]), a["lat_value"], a["lon_value"])
    return f"nearest_cell({s}, {', '.join(literal(v) for v in values)})"


def describe_cell(a: Args) -> str:
    return (
        f"Cell nearest to longitude {a['lon_value']:g}, latitude {a['lat_value']:g} by "
        f"great-circle distance ({a['lat']!r}, {a['lon']!r})"
    )


def far(obj: Any, a: Args) -> Any:
    return mask_far(obj, a["lat"], a["lon"], a["lat_value"], a["lon_value"], a["max_km"])


def code_far(s: str, a: Args) -> str:
    values = (a["lat"], a["lon"], a["lat_value"], a["lon_value"], a["max_km"])
    return f"mask_far({s}, {', '.join(literal(v) for v in values)})"


def describe_far(a: Args) -> str:
    return f"Masked where that cell is farther than {a['max_km']:g} km from the point"


def window(obj: Any, a: Args) -> Any:
    return obj.isel({d: slice(i, j) for d, i, j in a["indexers"]})


def code_window(s: str, a: Args) -> str:
    return f"{s}.isel({mapping((d, slice_code(i, j)) for d, i, j in a['indexers'])})"


def describe_window(a: Args) -> str:
    parts = " and ".join(f"{d!r} {i}:{j}" for d, i, j in a["indexers"])
    return f"Cells {parts} (the index window that covers the box)"


def _box(a: Args) -> tuple[float, float, float, float]:
    west, south, east, north = a["bbox"]
    return west, south, east, north


def box_mask(obj: Any, a: Args) -> Any:
    return obj.where(in_box(obj, a["lat"], a["lon"], *_box(a)))


def code_box_mask(s: str, a: Args) -> str:
    args = ", ".join(literal(v) for v in (a["lat"], a["lon"], *_box(a)))
    return f"{s}.where(in_box({s}, {args}))"


def describe_box_mask(a: Args) -> str:
    west, south, east, north = _box(a)
    return (
        f"Cells whose centre ({a['lat']!r}, {a['lon']!r}) lies outside longitude {west:g} to "
        f"{east:g}, latitude {south:g} to {north:g} masked"
    )


def cos_weights(obj: Any, lat: str) -> Any:
    """float64 cos(latitude) of each cell (0 where the latitude is missing); ``cell_mean``'s
    code writes this exact expression."""
    return np.cos(np.deg2rad(obj[lat].astype("float64"))).fillna(0.0)


def cell_mean(obj: Any, a: Args) -> Any:
    return obj.weighted(cos_weights(obj, a["lat"])).mean(tuple(a["dims"]), keep_attrs=True)


def code_cell_mean(s: str, a: Args) -> str:
    weights = f"np.cos(np.deg2rad({s}[{literal(a['lat'])}].astype('float64'))).fillna(0.0)"
    return f"{s}.weighted({weights}).mean({literal(tuple(a['dims']))}, keep_attrs=True)"


def describe_cell_mean(a: Args) -> str:
    dims = " and ".join(repr(d) for d in a["dims"])
    return f"Area mean over {dims}, each cell weighted by cos(latitude {a['lat']!r})"


# --- projected x/y grids -----------------------------------------------------------------------


def lonlat(obj: Any, a: Args) -> Any:
    return lonlat_coords(obj, a["x"], a["y"], a["crs"], a["scale"], tuple(a["names"]))


def code_lonlat(s: str, a: Args) -> str:
    values = (a["x"], a["y"], a["crs"], a["scale"], tuple(a["names"]))
    return f"lonlat_coords({s}, {', '.join(literal(v) for v in values)})"


def describe_lonlat(a: Args) -> str:
    lat, lon = a["names"]
    return (
        f"Latitude/longitude of each ({a['y']!r}, {a['x']!r}) cell as coordinates {lat!r}/{lon!r}, "
        f"from the grid's projection ({_short(a['crs'])}, pyproj)"
    )


def _short(crs: str) -> str:
    return crs if len(crs) < 40 else crs[:37] + "..."


def xy_nearest(obj: Any, a: Args) -> Any:
    return obj.sel({a["x"]: a["x_value"], a["y"]: a["y_value"]}, method="nearest")


def code_xy_nearest(s: str, a: Args) -> str:
    pairs = [(a["x"], literal(a["x_value"])), (a["y"], literal(a["y_value"]))]
    return f'{s}.sel({mapping(pairs)}, method="nearest")'


def describe_xy_nearest(a: Args) -> str:
    return (
        f"Cell containing longitude {a['lon_value']:g}, latitude {a['lat_value']:g} "
        f"({a['x']!r} {a['x_value']:.1f}, {a['y']!r} {a['y_value']:.1f} in the grid's projection)"
    )


def area_mean(obj: Any, a: Args) -> Any:
    weights = cell_area_weights(obj, a["crs"], a["dx"], a["dy"], tuple(a["names"]))
    return obj.weighted(weights).mean(tuple(a["dims"]), keep_attrs=True)


def code_area_mean(s: str, a: Args) -> str:
    values = ", ".join(literal(v) for v in (a["crs"], a["dx"], a["dy"], tuple(a["names"])))
    weights = f"cell_area_weights({s}, {values})"
    return f"{s}.weighted({weights}).mean({literal(tuple(a['dims']))}, keep_attrs=True)"


def describe_area_mean(a: Args) -> str:
    dims = " and ".join(repr(d) for d in a["dims"])
    return f"Area mean over {dims}, each cell weighted by its area on the ellipsoid"
