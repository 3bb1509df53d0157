"""A map as a Cloud-Optimized GeoTIFF, for GIS (QGIS, ArcGIS, Earthdata GIS, GDAL).

A map is one 2-D field (one time step, or a time mean: ``Selection(reduction="time_mean")``) on
a regular grid: 1-D latitude/longitude (EPSG:4326) or projected x/y in metres with a CF grid
mapping (its CRS, see :func:`~vstore_explorer.projection.crs_text`). The file is north-up, its
longitudes in -180..180 when a 0..360 grid allows it, nodata NaN (the fill value of integer
data), the band described by ``long_name`` (else the variable name) and tagged with ``units``;
DEFLATE-compressed, tiled, with overviews (GDAL's COG driver, through rioxarray). A grid located
by 2-D latitude/longitude arrays (a swath, a curvilinear grid) is refused: regrid it first.

One path: :func:`to_geotiff` (bytes, in memory) and the lines :func:`geotiff_code` adds to an
exported script call the same :func:`write_cog` (the script carries its source), so both write
the same file.

Example:
    >>> import numpy as np, xarray as xr
    >>> sst = xr.DataArray(np.arange(8.0).reshape(2, 4), dims=("lat", "lon"), name="sst",
    ...                    coords={"lat": [-45.0, 45.0], "lon": [45.0, 135.0, 225.0, 315.0]},
    ...                    attrs={"long_name": "sea surface temperature", "units": "K"})
    >>> geotiff_options(sst)
    {'x': 'lon', 'y': 'lat', 'crs': 'EPSG:4326'}
    >>> to_geotiff(sst)[:4]  # a little-endian TIFF
    b'II*\\x00'
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any

import black
import xarray as xr

from vstore_explorer.axes import find_axes
from vstore_explorer.codegen import helper_source
from vstore_explorer.errors import InvalidInputError
from vstore_explorer.literals import literal
from vstore_explorer.ops import Op
from vstore_explorer.projection import crs_text

GEOGRAPHIC = "EPSG:4326"
"""The CRS of a 1-D latitude/longitude grid (WGS 84, longitude east, latitude north)."""
_LENGTHS = MappingProxyType(
    {"m": 1.0, "metre": 1.0, "meter": 1.0, "metres": 1.0, "meters": 1.0, "km": 1000.0}
)
_PROJECTED_NAMES = (("x", "projection_x_coordinate"), ("y", "projection_y_coordinate"))
_SWATH = (
    "a GeoTIFF needs a regular grid (1-D latitude/longitude or projected x/y), but {what}; "
    "regrid it first (e.g. with pyresample or xESMF) or download it as NetCDF"
)


def regular_step(values: Any) -> Any:
    """The spacing of evenly spaced 1-D coordinate values, else ``None`` (off by more than a
    thousandth of a cell anywhere, fewer than two values, or a zero step).

    Example:
        >>> regular_step([0.5, 1.5, 2.5]), regular_step([0.0, 1.0, 3.0])
        (1.0, None)
    """
    import numpy as np

    values = np.asarray(values, dtype="float64")
    if values.ndim != 1 or values.size < 2:
        return None
    step = (values[-1] - values[0]) / (values.size - 1)
    expected = values[0] + step * np.arange(values.size)
    if step == 0 or np.abs(values - expected).max() > 1e-3 * abs(step):
        return None
    return float(step)


def map_layout(
    data: Any, x: Any = None, y: Any = None, crs: Any = "EPSG:4326", xy_scale: Any = 1.0
) -> Any:
    """The map laid out for a GeoTIFF: 2-D ``(y, x)`` (size-1 dimensions dropped), regular,
    north-up and west to east, longitudes in -180..180 when that keeps a geographic grid regular
    (else 0..360), x/y times ``xy_scale`` (km to the CRS's metres), with its CRS, nodata (NaN;
    an integer map's fill value), and only ``long_name`` (else the variable name),
    ``standard_name`` and ``units`` as attributes.

    Raises:
        ValueError: not one 2-D field, or an irregular grid (the message says what to do).
    """
    import numpy as np
    import pyproj
    import rioxarray  # noqa: F401  (the .rio accessor)

    data = data.squeeze(drop=True)
    if data.ndim != 2:
        raise ValueError(
            f"a GeoTIFF map is one 2-D field, but this has dimensions {dict(data.sizes)}; "
            "select one time step (and level), or a time mean (reduction='time_mean')"
        )
    y = y or data.dims[0]
    x = x or data.dims[1]
    for dim in (y, x):
        if dim not in data.dims or dim not in data.indexes:
            raise ValueError(
                f"a GeoTIFF needs a regular grid, but dimension {dim!r} of {tuple(data.dims)} "
                "has no 1-D coordinate (2-D latitude/longitude: a swath or curvilinear grid); "
                "regrid it first (e.g. with pyresample or xESMF) or download it as NetCDF"
            )
    data = data.transpose(y, x).reset_coords(drop=True)
    if xy_scale != 1.0:
        data = data.assign_coords({x: data[x] * xy_scale, y: data[y] * xy_scale})
    if pyproj.CRS.from_user_input(crs).is_geographic:
        lon = np.asarray(data[x].values, dtype="float64")
        for wrapped in ((lon + 180.0) % 360.0 - 180.0, lon % 360.0):
            order = np.argsort(wrapped, kind="stable")
            if regular_step(wrapped[order]) is not None:
                data = data.isel({x: order}).assign_coords({x: wrapped[order]})
                break
    for dim in (x, y):
        if regular_step(data[dim].values) is None:
            raise ValueError(
                f"a GeoTIFF needs evenly spaced cells, but {dim!r} is not evenly spaced (or has "
                "fewer than two cells); regrid it first (e.g. with xarray's interp)"
            )
    if regular_step(data[x].values) < 0:
        data = data.isel({x: slice(None, None, -1)})
    if regular_step(data[y].values) > 0:
        data = data.isel({y: slice(None, None, -1)})  # north-up: the first row is the top
    if data.dtype == bool:
        data = data.astype("uint8")
    nodata = np.nan if np.issubdtype(data.dtype, np.floating) else None
    if nodata is None:
        nodata = data.encoding.get("_FillValue", data.attrs.get("_FillValue"))
    label = data.attrs.get("long_name") or data.name
    attrs = {"long_name": str(label)} if label else {}
    for key in ("standard_name", "units"):
        if isinstance(data.attrs.get(key), str) and data.attrs[key]:
            attrs[key] = data.attrs[key]
    data = data.copy()
    data.attrs, data.encoding = attrs, {}
    data = data.rio.set_spatial_dims(x_dim=x, y_dim=y).rio.write_crs(crs)
    return data.rio.write_nodata(nodata, encoded=False)


def write_cog(
    data: Any,
    target: Any,
    x: Any = None,
    y: Any = None,
    crs: Any = "EPSG:4326",
    xy_scale: Any = 1.0,
) -> None:
    """Write the map (laid out by :func:`map_layout`) as a DEFLATE Cloud-Optimized GeoTIFF to
    ``target``, a path or a binary file object; ``units`` is also the band's tag."""
    ready = map_layout(data, x, y, crs, xy_scale)
    units = ready.attrs.get("units")
    band_tags = [{"units": units}] if units else []
    ready.rio.to_raster(target, driver="COG", compress="DEFLATE", tags={"band_tags": band_tags})


def _projected_dims(data: xr.DataArray) -> tuple[str, str, float] | None:
    """``(x, y, metres per unit)``: 1-D projected coordinates in a length unit (CF
    ``standard_name`` or ``axis``)."""
    found: dict[str, tuple[str, float]] = {}
    for dim in data.dims:
        coord = data.coords.get(dim)
        if coord is None or coord.dims != (dim,) or not isinstance(dim, str):
            continue
        standard = str(coord.attrs.get("standard_name", "")).lower()
        axis = str(coord.attrs.get("axis", "")).lower()
        units = str(coord.attrs.get("units", "")).strip().lower()
        for kind, name in _PROJECTED_NAMES:
            if (standard == name or axis == kind) and units in _LENGTHS:
                found.setdefault(kind, (dim, _LENGTHS[units]))
    if set(found) != {"x", "y"}:
        return None
    return found["x"][0], found["y"][0], found["x"][1]


def _crs_of(data: xr.DataArray, crs: str | Mapping[str, Any] | None) -> str | None:
    """The CRS given (text, or CF grid-mapping attributes), else the one of a grid-mapping
    coordinate the array carries (``decode_coords="all"``, rioxarray's ``spatial_ref``)."""
    if isinstance(crs, Mapping):
        return crs_text(crs)
    if isinstance(crs, str):
        import pyproj

        try:
            pyproj.CRS.from_user_input(crs)
        except pyproj.exceptions.CRSError as exc:
            raise InvalidInputError(
                f"crs {crs!r} is not a CRS pyproj can read ({exc}); give an EPSG code, "
                "a PROJ string, WKT or CF grid-mapping attributes"
            ) from exc
        return crs.strip()
    if crs is not None:
        raise InvalidInputError(f"crs must be text or grid-mapping attributes, got {crs!r}")
    name = data.attrs.get("grid_mapping") or data.encoding.get("grid_mapping")
    if isinstance(name, str) and name in data.coords:
        attrs = data.coords[name].attrs
        if {"grid_mapping_name", "crs_wkt", "spatial_ref"} & set(attrs):
            return crs_text(attrs if "grid_mapping_name" in attrs else {"crs_wkt": _wkt(attrs)})
    return None


def _wkt(attrs: Mapping[str, Any]) -> Any:
    return attrs.get("crs_wkt", attrs.get("spatial_ref"))


def geotiff_options(
    data: xr.DataArray, *, crs: str | Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The grid of a map as :func:`write_cog` takes it: ``{"x": ..., "y": ..., "crs": ...}``
    (and ``"xy_scale": 1000.0`` for projected x/y in km).

    ``crs`` is needed for a projected x/y map whose grid mapping is not one of its coordinates
    (as the explorer's maps are): its text, the grid-mapping variable's attributes, or
    :func:`grid_crs` of the request's ops.

    Raises:
        InvalidInputError: not a DataArray, not one 2-D field, a swath or curvilinear grid, a
            projected grid without a CRS, no horizontal axes.

    Example:
        >>> import numpy as np, xarray as xr
        >>> swath = xr.DataArray(np.zeros((2, 2)), dims=("row", "col"), coords={
        ...     "lat": (("row", "col"), [[0.0, 0.1], [1.0, 1.1]], {"units": "degrees_north"}),
        ...     "lon": (("row", "col"), [[0.0, 1.0], [0.1, 1.1]], {"units": "degrees_east"})})
        >>> geotiff_options(swath)
        Traceback (most recent call last):
        ...
        vstore_explorer.errors.InvalidInputError: a GeoTIFF needs a regular grid ...
    """
    if not isinstance(data, xr.DataArray):
        raise InvalidInputError(
            "a GeoTIFF holds one variable: give a DataArray (one variable of the selection), "
            f"got {type(data).__name__}"
        )
    known = _crs_of(data, crs)
    projected = _projected_dims(data)
    if projected is not None:
        if known is None:
            raise InvalidInputError(
                f"the map is on projected x/y ({projected[0]!r}, {projected[1]!r}) but carries "
                "no CRS: pass crs= (the grid mapping's attributes or CRS text, or "
                "geotiff.grid_crs(request.ops))"
            )
        x, y, scale = projected
    else:
        axes = find_axes(data)
        if axes.grid == "curvilinear":
            where = f"it is located by 2-D latitude/longitude {axes.geo_lat!r}/{axes.geo_lon!r}"
            raise InvalidInputError(_SWATH.format(what=where + " (a swath or curvilinear grid)"))
        if axes.lat is None or axes.lon is None:
            raise InvalidInputError(
                f"a GeoTIFF map needs latitude/longitude or projected x/y axes; dimensions "
                f"{tuple(data.dims)} have neither"
            )
        x, y, known = axes.lon, axes.lat, known or GEOGRAPHIC
    others = {str(d): n for d, n in data.sizes.items() if d not in (x, y) and n != 1}
    if others:
        raise InvalidInputError(
            f"a GeoTIFF map is one 2-D field, but this also has {others}; select one time step "
            "(and level), or a time mean (reduction='time_mean')"
        )
    options: dict[str, Any] = {"x": str(x), "y": str(y), "crs": known}
    if projected is not None and scale != 1.0:
        options["xy_scale"] = scale
    return options


def grid_crs(ops: Iterable[Op]) -> str | None:
    """The CRS of a projected grid from a plan (its ``project_lonlat`` op), ``None`` otherwise:
    what :func:`to_geotiff` needs for the explorer's projected maps (``request.ops``).

    Example:
        >>> grid_crs([Op.make("project_lonlat", x="x", y="y", crs="EPSG:6933", scale=1.0,
        ...                   names=("lat", "lon"))])
        'EPSG:6933'
    """
    return next((str(op["crs"]) for op in ops if op.name == "project_lonlat"), None)


def to_geotiff(data: xr.DataArray, *, crs: str | Mapping[str, Any] | None = None) -> bytes:
    """The map as a Cloud-Optimized GeoTIFF, in memory (computed here if it is lazy).

    ``crs``: see :func:`geotiff_options` (only projected maps need it).

    Raises:
        InvalidInputError: a map that cannot be a GeoTIFF (the message says what to do).

    Example:
        >>> import numpy as np, xarray as xr
        >>> t = xr.DataArray(np.ones((3, 2)), dims=("lat", "lon"), name="t",
        ...                  coords={"lat": [0.0, 1.0, 2.0], "lon": [10.0, 11.0]})
        >>> len(to_geotiff(t)) > 100
        True
    """
    options = geotiff_options(data, crs=crs)
    buffer = io.BytesIO()
    try:
        write_cog(data, buffer, **options)
    except ValueError as exc:  # map_layout's refusals (an irregular grid)
        raise InvalidInputError(str(exc)) from exc
    return buffer.getvalue()


def geotiff_code(
    path: str = "map.tif",
    *,
    x: str | None = None,
    y: str | None = None,
    crs: str = GEOGRAPHIC,
    xy_scale: float = 1.0,
) -> str:
    """The lines an exported script appends to write its ``result`` as :func:`to_geotiff` does:
    the source of :func:`write_cog` and its helpers, then the call (formatted with black).

    ``x``, ``y`` and ``crs`` are :func:`geotiff_options` of the map (``**geotiff_options(m)``);
    without them, the map's dimensions are taken as ``(y, x)`` on EPSG:4326.

    Example:
        >>> code = geotiff_code("sst.tif", x="lon", y="lat")
        >>> code.splitlines()[-1]
        'write_cog(result, "sst.tif", x="lon", y="lat", crs="EPSG:4326")'
    """
    if not isinstance(path, str) or not path:
        raise InvalidInputError(f"path must be a non-empty file name, got {path!r}")
    helpers = "\n\n".join(helper_source(fn) for fn in (regular_step, map_layout, write_cog))
    named = [f"{key}={literal(value)}" for key, value in (("x", x), ("y", y)) if value]
    named.append(f"crs={literal(crs)}")
    if xy_scale != 1.0:
        named.append(f"xy_scale={literal(float(xy_scale))}")
    call = f"write_cog(result, {literal(path)}, {', '.join(named)})"
    comment = "# the map as a Cloud-Optimized GeoTIFF (north-up, -180..180, nodata, units)"
    source = f"{helpers}\n\n{comment}\n{call}\n"
    return black.format_str(source, mode=black.Mode(line_length=100))
