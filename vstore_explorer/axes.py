"""Find the time, latitude, longitude and vertical axes of a dataset (pure, metadata only).

CF metadata is tried first (``standard_name``, ``axis``, ``units``, ``positive``), then common
names. Only dimension coordinates (1-D, named like their dimension) count: they are the ones
``.sel`` can use. Coordinate values are read (they are small and in memory); data variables never.

Example:
    >>> import numpy as np, xarray as xr
    >>> ds = xr.Dataset(coords={"lat": [10.0, 0.0], "lon": [0.0, 90.0, 270.0]})
    >>> axes = find_axes(ds)
    >>> (axes.lat, axes.lon, axes.lat_descending, axes.lon_convention)
    ('lat', 'lon', True, '0..360')
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal

import numpy as np
import pandas as pd
import xarray as xr
from xarray.coding.cftimeindex import CFTimeIndex

from vstore_explorer.errors import SelectionError

LonConvention = Literal["-180..180", "0..360"]

_LAT_UNITS = frozenset(
    {"degrees_north", "degree_north", "degree_n", "degrees_n", "degreen", "degreesn"}
)
_LON_UNITS = frozenset(
    {"degrees_east", "degree_east", "degree_e", "degrees_e", "degreee", "degreese"}
)
_DEGREE_UNITS = frozenset({"degrees", "degree", "deg", ""})
_LENGTH_UNITS = MappingProxyType(
    {"m": 1.0, "metre": 1.0, "meter": 1.0, "metres": 1.0, "meters": 1.0, "km": 1000.0}
)
_PRESSURE_UNITS = frozenset({"hpa", "pa", "mbar", "millibar", "millibars", "hectopascal", "kpa"})
_LEVEL_STANDARD_NAMES = frozenset(
    {
        "air_pressure",
        "depth",
        "altitude",
        "height",
        "height_above_geopotential_datum",
        "model_level_number",
        "atmosphere_sigma_coordinate",
        "atmosphere_hybrid_sigma_pressure_coordinate",
        "atmosphere_hybrid_height_coordinate",
        "ocean_sigma_coordinate",
        "ocean_s_coordinate",
        "land_ice_sigma_coordinate",
        "depth_below_sea_floor",
    }
)
_TIME_NAMES = ("time", "t", "times", "valid_time", "date")
_LAT_NAMES = ("lat", "latitude", "lats", "nav_lat", "y")
_LON_NAMES = ("lon", "longitude", "long", "lons", "nav_lon", "x")
_LEVEL_NAMES = (
    "lev",
    "level",
    "levels",
    "plev",
    "pressure",
    "stdpressurelev",
    "isobaric",
    "pressure_level",
    "depth",
    "z",
    "height",
    "altitude",
)


@dataclass(frozen=True)
class Axes:
    """The dimension names of a dataset's axes (``None`` when absent) and facts used for planning.

    Attributes:
        time, lat, lon, level: dimension (and index coordinate) names.
        lat_descending: latitude runs north to south (``slice(N, S)`` selects a band).
        lon_convention: ``"0..360"`` when longitudes exceed 180, else ``"-180..180"``.
        cftime: the time index holds ``cftime`` dates (non-standard calendar or far dates).
        calendar: the time calendar (``"noleap"``, ``"standard"``...), ``None`` without time.
    """

    time: str | None = None
    lat: str | None = None
    lon: str | None = None
    level: str | None = None
    lat_descending: bool = False
    lon_convention: LonConvention | None = None
    cftime: bool = False
    calendar: str | None = None
    geo_lat: str | None = None
    geo_lon: str | None = None
    y: str | None = None
    x: str | None = None
    geo_coords: bool = True
    crs: str | None = None
    xy_scale: float = 1.0

    def spatial(self) -> tuple[str, ...]:
        """The horizontal dimension names present, latitude (or the grid's rows) first."""
        if self.curvilinear or self.projected:
            return (str(self.y), str(self.x))
        return tuple(d for d in (self.lat, self.lon) if d is not None)

    @property
    def projected(self) -> bool:
        """The grid is 1-D projected x/y with a CF grid mapping: ``crs`` is its name (the
        grid-mapping variable), ``y``/``x`` the dimensions, ``xy_scale`` metres per x/y unit;
        ``geo_lat``/``geo_lon`` name the 2-D coordinates the ``project_lonlat`` op computes."""
        return self.crs is not None and self.lat is None

    @property
    def curvilinear(self) -> bool:
        """The grid is located by 2-D latitude/longitude arrays (a swath or curvilinear grid):
        ``geo_lat``/``geo_lon`` name them, ``y``/``x`` are their row and column dimensions and
        ``geo_coords`` says whether they are coordinates (else data variables to promote)."""
        return self.geo_lat is not None and self.lat is None and self.crs is None

    @property
    def grid(self) -> str | None:
        """``"regular"`` (1-D lat/lon), ``"curvilinear"`` (2-D lat/lon), ``"projected"`` (x/y
        with a grid mapping) or ``None``."""
        if self.lat is not None and self.lon is not None:
            return "regular"
        if self.projected:
            return "projected"
        return "curvilinear" if self.curvilinear else None


def _attr(coord: xr.DataArray, key: str) -> str:
    value = coord.attrs.get(key, "")
    return value.strip().lower() if isinstance(value, str) else ""


def _units(coord: xr.DataArray) -> str:
    return _attr(coord, "units").replace(" ", "_")


def _is_time(coord: xr.DataArray, index: pd.Index | None) -> bool:
    return isinstance(index, pd.DatetimeIndex | CFTimeIndex) or np.issubdtype(
        coord.dtype, np.datetime64
    )


def _cf_kind(coord: xr.DataArray, index: pd.Index | None) -> str | None:
    """The axis a coordinate is, from CF metadata only."""
    standard_name = _attr(coord, "standard_name")
    axis = _attr(coord, "axis")
    units = _units(coord)
    if _is_time(coord, index) or standard_name == "time" or axis == "t":
        return "time"
    if standard_name == "latitude" or units in _LAT_UNITS:
        return "lat"
    if standard_name == "longitude" or units in _LON_UNITS:
        return "lon"
    if axis == "y" and units in _DEGREE_UNITS:
        return "lat"
    if axis == "x" and units in _DEGREE_UNITS:
        return "lon"
    if (
        standard_name in _LEVEL_STANDARD_NAMES
        or axis == "z"
        or _attr(coord, "positive") in ("up", "down")
        or units in _PRESSURE_UNITS
    ):
        return "level"
    return None


def _name_kind(name: str, coord: xr.DataArray) -> str | None:
    """The axis a coordinate is, from its name (projected ``x``/``y`` in metres are not lat/lon)."""
    lowered = name.lower()
    units = _units(coord)
    if lowered in _TIME_NAMES:
        return "time"
    if lowered in _LAT_NAMES and (lowered != "y" or units in _DEGREE_UNITS | _LAT_UNITS):
        return "lat"
    if lowered in _LON_NAMES and (lowered != "x" or units in _DEGREE_UNITS | _LON_UNITS):
        return "lon"
    if lowered in _LEVEL_NAMES:
        return "level"
    return None


def _convention(lon: xr.DataArray) -> LonConvention:
    values = np.asarray(lon.values, dtype=float)
    finite = values[np.isfinite(values)]
    is_360 = finite.size > 0 and finite.min() >= 0 and finite.max() > 180
    return "0..360" if is_360 else "-180..180"


def axis_kind(name: str, coord: xr.DataArray) -> str | None:
    """The axis (``time``, ``lat``, ``lon``, ``level``) a coordinate is, from CF metadata then
    its name; also for scalar coordinates left by a selection (the level a map shows).

    Example:
        >>> axis_kind("plev", xr.DataArray(500.0, attrs={"units": "hPa"}))
        'level'
    """
    return _cf_kind(coord, None) or _name_kind(name, coord)


def _dimension_coords(obj: xr.Dataset | xr.DataArray) -> list[tuple[Hashable, xr.DataArray]]:
    return [
        (dim, obj.coords[dim])
        for dim in obj.dims
        if dim in obj.coords and obj.coords[dim].dims == (dim,)
    ]


def _geo_kind(name: str, var: xr.DataArray) -> str | None:
    """``lat``/``lon`` for a 2-D (or more) geolocation array, from CF metadata or its name."""
    if var.ndim < 2 or not np.issubdtype(var.dtype, np.number):
        return None
    standard, units, lowered = _attr(var, "standard_name"), _units(var), name.lower()
    if standard == "latitude" or units in _LAT_UNITS:
        return "lat"
    if standard == "longitude" or units in _LON_UNITS:
        return "lon"
    if units in _DEGREE_UNITS and lowered in _LAT_NAMES[:-1]:
        return "lat"
    if units in _DEGREE_UNITS and lowered in _LON_NAMES[:-1]:
        return "lon"
    return None


def _geolocation(obj: xr.Dataset | xr.DataArray, time: str | None) -> dict[str, Any]:
    """The 2-D latitude/longitude pair locating a grid: same dimensions, the last two horizontal
    (any before them must be the time axis: a store of swaths). Coordinates are preferred."""
    candidates = list(obj.coords.items())
    if isinstance(obj, xr.Dataset):
        candidates += list(obj.data_vars.items())
    pairs: dict[tuple[Hashable, ...], dict[str, tuple[str, bool]]] = {}
    for name, var in candidates:
        if not isinstance(name, str):
            continue
        kind = _geo_kind(name, var)
        leading = var.dims[:-2]
        if kind is None or any(d != time for d in leading):
            continue
        found = pairs.setdefault(var.dims, {})
        found.setdefault(kind, (name, name in obj.coords))
    for dims, found in pairs.items():
        if "lat" in found and "lon" in found:
            (lat, lat_coord), (lon, lon_coord) = found["lat"], found["lon"]
            return {
                "geo_lat": lat,
                "geo_lon": lon,
                "y": str(dims[-2]),
                "x": str(dims[-1]),
                "geo_coords": lat_coord and lon_coord,
            }
    return {}


_PROJECTED = MappingProxyType({"projection_x_coordinate": "x", "projection_y_coordinate": "y"})


def _projected(obj: xr.Dataset | xr.DataArray) -> dict[str, Any]:
    """1-D projected x/y dimension coordinates in a length unit, and the grid mapping a
    variable on them names (a Dataset only: the grid-mapping variable is not a coordinate)."""
    if not isinstance(obj, xr.Dataset):
        return {}
    found: dict[str, tuple[str, float]] = {}
    for dim, coord in _dimension_coords(obj):
        kind = _PROJECTED.get(_attr(coord, "standard_name")) or _attr(coord, "axis") or None
        scale = _LENGTH_UNITS.get(_units(coord))
        if kind in ("x", "y") and scale is not None and isinstance(dim, str):
            found.setdefault(kind, (dim, scale))
    if set(found) != {"x", "y"}:
        return {}
    (x, scale), (y, _) = found["x"], found["y"]
    for var in obj.data_vars.values():
        mapping = var.attrs.get("grid_mapping")
        if not (isinstance(mapping, str) and mapping in obj.variables):
            continue
        if {x, y} <= set(var.dims) and {"grid_mapping_name", "crs_wkt"} & set(obj[mapping].attrs):
            taken = set(map(str, obj.variables))
            lat = next(n for n in ("lat", "latitude", "lat_cell") if n not in taken)
            lon = next(n for n in ("lon", "longitude", "lon_cell") if n not in taken)
            return {
                "crs": mapping,
                "x": x,
                "y": y,
                "xy_scale": scale,
                "geo_lat": lat,
                "geo_lon": lon,
                "geo_coords": False,
            }
    return {}


def find_axes(obj: xr.Dataset | xr.DataArray) -> Axes:
    """Find the time/lat/lon/level dimensions of ``obj`` from CF metadata, then from names.

    Only string-named dimension coordinates are considered. Reads coordinate values only.
    """
    if not isinstance(obj, xr.Dataset | xr.DataArray):
        raise SelectionError(
            f"find_axes needs an xarray Dataset or DataArray, got {type(obj).__name__}"
        )
    coords = [(d, c) for d, c in _dimension_coords(obj) if isinstance(d, str)]
    found: dict[str, str] = {}
    for dim, coord in coords:
        kind = _cf_kind(coord, obj.indexes.get(dim))
        if kind is not None and kind not in found:
            found[kind] = dim
    taken = set(found.values())
    for dim, coord in coords:
        kind = _name_kind(dim, coord)
        if kind is not None and kind not in found and dim not in taken:
            found[kind] = dim
            taken.add(dim)

    lat, lon, time = found.get("lat"), found.get("lon"), found.get("time")
    lat_descending = False
    if lat is not None:
        values = np.asarray(obj.coords[lat].values, dtype=float)
        lat_descending = bool(values.size > 1 and values[0] > values[-1])
    lon_convention: LonConvention | None = None
    if lon is not None:
        lon_convention = _convention(obj.coords[lon])
    cftime, calendar = False, None
    if time is not None:
        index = obj.indexes.get(time)
        if isinstance(index, CFTimeIndex):
            cftime, calendar = True, str(index.calendar)
        else:
            encoded = obj.coords[time].encoding.get("calendar")
            calendar = str(encoded) if isinstance(encoded, str) else "proleptic_gregorian"
    geo: dict[str, Any] = {}
    if lat is None or lon is None:
        geo = _geolocation(obj, time)  # 2-D latitude/longitude given: exact, preferred
        if geo:
            lon_convention = _convention(obj[geo["geo_lon"]])
        else:
            geo = _projected(obj)
            if geo:
                lon_convention = "-180..180"
    return Axes(
        **geo,
        time=time,
        lat=lat,
        lon=lon,
        level=found.get("level"),
        lat_descending=lat_descending,
        lon_convention=lon_convention,
        cftime=cftime,
        calendar=calendar,
    )
