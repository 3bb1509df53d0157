"""Plots of a DataArray as plain-data hvplot specs: maps, time series and Hovmöller diagrams.

:func:`spec` returns ``(hvplot method, keyword arguments)``: plain data only, so the very same spec
is written into the exported script (``to_code(..., plot=spec(...))``) and drawn by the app
(:func:`render` is ``getattr(da.hvplot, method)(**kwargs)``, plus a coastline overlay on maps).
Labels, units and colormaps come from the CF attributes; nothing here imports Panel.

Example:
    >>> import numpy as np, xarray as xr
    >>> da = xr.DataArray(np.zeros((2, 3)), dims=("lat", "lon"), name="sst",
    ...                   coords={"lat": [0.0, 1.0], "lon": [0.0, 1.0, 2.0]},
    ...                   attrs={"long_name": "sea surface temperature", "units": "kelvin"})
    >>> method, kwargs = spec(da, "map")
    >>> method, kwargs["cmap"], kwargs["clabel"]
    ('image', 'RdYlBu_r', 'sea surface temperature (kelvin)')
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal, get_args

import numpy as np
import xarray as xr

from vstore_explorer.axes import find_axes
from vstore_explorer.errors import InvalidInputError
from vstore_explorer.ops.cf_flags import categories

if TYPE_CHECKING:
    import holoviews as hv

PlotKind = Literal["map", "timeseries", "hovmoller"]
KINDS: tuple[str, ...] = get_args(PlotKind)
PlotSpec = tuple[str, dict[str, Any]]

FRAME_WIDTH = 640
MAP_HEIGHT = (200, 480)  # smallest and largest map frame height (the width is fixed)
SERIES_HEIGHT = 260
HOVMOLLER_HEIGHT = 320
RASTERIZE_ABOVE = 250_000  # grid cells: larger images are rasterized with datashader
RASTERIZE_CELLS_ABOVE = 20_000  # cells of a quadmesh over 2-D coordinates (a polygon each)
ROBUST = (2.0, 98.0)  # percentiles for the colour range
SAMPLE = 250_000  # values used for the percentiles at most

# (words in standard_name / long_name / name, colormap); the first match wins.
_COLORMAPS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("precipitation", "rainfall", "rain", "snowfall", "precip"), "Blues"),
    (("humidity", "water_vapor", "water vapour", "water vapor", "moisture", "qair"), "YlGnBu"),
    (("sea_ice", "sea ice", "ice_area", "ice area", "ice fraction"), "Blues_r"),
    (("temperature", "sst", "tair", "skin temp"), "RdYlBu_r"),
    (("chlorophyll",), "viridis"),
    (("radiation", "radiative", "flux", "swdown", "lwdown"), "inferno"),
    (("height", "elevation", "depth", "altitude"), "cividis"),
)
DIVERGING = "RdBu_r"
DEFAULT_CMAP = "viridis"
MAP_XLABEL = "longitude (degrees east)"
_ANOMALY_WORDS = ("anomaly", "anomalies", "difference", "departure", "bias", "tendency")


# ---------------------------------------------------------------------------------- attributes


def _text_attr(da: xr.DataArray, key: str) -> str:
    value = da.attrs.get(key, "")
    return " ".join(value.split()) if isinstance(value, str) else ""


def label(da: xr.DataArray) -> str:
    """``long_name (units)`` from the CF attributes, falling back to the standard or variable name.

    Example:
        >>> label(xr.DataArray(0.0, name="t", attrs={"units": "K"}))
        't (K)'
    """
    name = (
        _text_attr(da, "long_name")
        or _text_attr(da, "standard_name").replace("_", " ")
        or str(da.name or "value")
    )
    units = _text_attr(da, "units")
    return f"{name} ({units})" if units and units not in ("1", "-") else name


def _words(da: xr.DataArray) -> str:
    parts = [_text_attr(da, "standard_name"), _text_attr(da, "long_name"), str(da.name or "")]
    return " ".join(parts).lower()


def is_anomaly(da: xr.DataArray) -> bool:
    """Whether the names say the values are anomalies/differences (a diverging colormap)."""
    words = _words(da)
    return any(w in words for w in _ANOMALY_WORDS)


def colormap(da: xr.DataArray, spans_zero: bool = False) -> str:
    """A colormap for the variable: from its CF names, diverging for anomalies or zero-crossing data.

    Example:
        >>> colormap(xr.DataArray(0.0, attrs={"standard_name": "precipitation_flux"}))
        'Blues'
    """
    if is_anomaly(da) or spans_zero and _is_signed_quantity(da):
        return DIVERGING
    words = _words(da)
    for keys, cmap in _COLORMAPS:
        if any(k in words for k in keys):
            return cmap
    return DEFAULT_CMAP


def _is_signed_quantity(da: xr.DataArray) -> bool:
    """Zero-crossing data gets a diverging colormap unless its units say it is absolute (kelvin)."""
    units = _text_attr(da, "units").lower()
    return units not in ("k", "kelvin", "degrees_kelvin")


# ---------------------------------------------------------------------------------- values


def in_memory(da: xr.DataArray) -> bool:
    """Whether ``da``'s values are loaded (reading them costs no I/O)."""
    return bool(getattr(da.variable, "_in_memory", False))


def _round(value: float, digits: int = 4) -> float:
    if value == 0 or not math.isfinite(value):
        return float(value)
    return float(f"{value:.{digits}g}")


def robust_range(
    da: xr.DataArray, percentiles: tuple[float, float] = ROBUST
) -> tuple[float, float] | None:
    """The 2nd-98th percentile range of the finite values (rounded), or ``None``.

    ``None`` when the values are not loaded (nothing is read here), there are none, or all equal.
    """
    if not in_memory(da) or da.size == 0 or not np.issubdtype(da.dtype, np.number):
        return None
    values = np.asarray(da.values).ravel()
    if values.size > SAMPLE:  # a regular sample is enough for percentiles (and fast)
        values = values[:: math.ceil(values.size / SAMPLE)]
    values = values.astype(np.float64)
    values = values[np.isfinite(values)]
    if values.size == 0:
        return None
    low, high = (float(v) for v in np.percentile(values, percentiles))
    if not low < high:
        low, high = float(values.min()), float(values.max())
    if not low < high:
        return None
    return _round(low), _round(high)


_CATEGORY_COLORS = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
    "#bcbd22", "#17becf", "#aec7e8", "#ffbb78", "#98df8a", "#ff9896", "#c5b0d5", "#c49c94",
)  # fmt: skip


def category_options(da: xr.DataArray) -> dict[str, Any] | None:
    """Colour options naming a categorical variable's CF flag categories on the colorbar
    (one colour per code when the codes are consecutive integers), else ``None``.

    Example:
        >>> da = xr.DataArray(np.zeros(2, "i1"), name="surface",
        ...                   attrs={"flag_values": [0, 1, 2], "flag_meanings": "sea land ice"})
        >>> category_options(da)["cticks"]
        [(0.0, 'sea'), (1.0, 'land'), (2.0, 'ice')]
    """
    found = categories(da)
    if not found:
        return None
    codes = sorted(found)
    options: dict[str, Any] = {"cticks": [(c, found[c].replace("_", " ")) for c in codes]}
    consecutive = all(float(c).is_integer() for c in codes) and codes == [
        codes[0] + i for i in range(len(codes))
    ]
    if consecutive and len(codes) <= len(_CATEGORY_COLORS):
        options["cmap"] = list(_CATEGORY_COLORS[: len(codes)])
        options["clim"] = (codes[0] - 0.5, codes[-1] + 0.5)
    else:
        options["cmap"] = DEFAULT_CMAP
        options["clim"] = (codes[0], codes[-1]) if codes[0] < codes[-1] else None
        if options["clim"] is None:
            del options["clim"]
    return options


def _color_options(da: xr.DataArray) -> dict[str, Any]:
    named = category_options(da)
    if named is not None:
        return named
    clim = robust_range(da)
    spans_zero = clim is not None and clim[0] < 0 < clim[1]
    cmap = colormap(da, spans_zero)
    options: dict[str, Any] = {"cmap": cmap}
    if clim is not None:
        if cmap == DIVERGING:
            bound = max(abs(clim[0]), abs(clim[1]))
            clim = (-bound, bound)
        options["clim"] = clim
    return options


# ---------------------------------------------------------------------------------- specs


def _dims(da: xr.DataArray) -> tuple[str | None, str | None, str | None]:
    axes = find_axes(da)
    return axes.time, axes.lat, axes.lon


def _is_regular(values: np.ndarray) -> bool:
    if values.size < 3:
        return True
    steps = np.diff(np.asarray(values, dtype=np.float64))
    return bool(np.allclose(steps, steps[0], rtol=1e-3, atol=0))


def _when(da: xr.DataArray, time: str | None) -> str:
    """``2024-01-03`` (or with the hour) when ``da`` holds a single time step, else ``''``."""
    if time is None or time not in da.coords or da.coords[time].size != 1:
        return ""
    value = da.coords[time].values.ravel()[0]
    text: str
    if isinstance(value, np.datetime64):
        text = str(np.datetime_as_string(value, unit="s"))
    else:
        iso = getattr(value, "isoformat", None)
        text = iso() if callable(iso) else str(value)
    text = text.replace("T00:00:00", "")
    return text


def _title(da: xr.DataArray, suffix: str = "") -> str:
    name = _text_attr(da, "long_name") or str(da.name or "")
    return ", ".join(p for p in (name, suffix) if p)


def _need(dim: Hashable | None, da: xr.DataArray, kind: str, axis: str) -> str:
    if dim is None or dim not in da.dims:
        raise InvalidInputError(
            f"a {kind} plot needs a {axis} dimension; {da.name or 'the array'!s} has dims "
            f"{list(da.dims)} (select a subset with the right shape first)"
        )
    return str(dim)


def _extra_dims(da: xr.DataArray, used: tuple[str, ...], kind: str) -> None:
    extra = [str(d) for d in da.dims if d not in used and da.sizes[d] != 1]
    if extra:
        raise InvalidInputError(
            f"a {kind} plot of {da.name or 'the array'!s} would need one more selection along "
            f"{extra} (dims {dict(da.sizes)}); pick a single level/point or reduce those dimensions"
        )


def _span(values: np.ndarray) -> float:
    finite = values[np.isfinite(values)]
    return float(np.ptp(finite)) if finite.size > 1 else 1.0


def _two_steps(da: xr.DataArray, time: str, kind: str) -> None:
    if da.sizes[time] < 2:
        when = _when(da, time)
        raise InvalidInputError(
            f"a {kind} needs two or more time steps; this selection has one"
            + (f" ({when})" if when else "")
            + ": widen the time range, or see the map"
        )


def nothing_to_draw(da: xr.DataArray) -> str | None:
    """Why a loaded array cannot draw (no value, or every value missing), or ``None``.

    Example:
        >>> nothing_to_draw(xr.DataArray([np.nan, np.nan], dims="x", name="sst"))[:38]
        "every value of 'sst' in this selection"
    """
    if not in_memory(da) or not np.issubdtype(da.dtype, np.number):
        return None
    if da.size == 0:
        return f"the selection of {str(da.name or 'the array')!r} holds no value"
    if np.isfinite(np.asarray(da.values)).any():
        return None
    return (
        f"every value of {str(da.name or 'the array')!r} in this selection is missing (fill "
        "values, or masked as outside its valid range or the box): nothing to draw; pick another "
        "time, area or variable"
    )


def map_spec(da: xr.DataArray) -> PlotSpec:
    """A lon/lat map: ``image`` for regular grids, else ``quadmesh`` (also over the 2-D
    latitude/longitude of a swath or curvilinear grid)."""
    axes = find_axes(da)
    time = axes.time
    if axes.curvilinear:
        _extra_dims(da, axes.spatial(), "map")
        x, y = str(axes.geo_lon), str(axes.geo_lat)
        method = "quadmesh"
    else:
        y = _need(axes.lat, da, "map", "latitude")
        x = _need(axes.lon, da, "map", "longitude")
        _extra_dims(da, (x, y), "map")
    lons = np.asarray(da[x].values, dtype=np.float64)
    lats = np.asarray(da[y].values, dtype=np.float64)
    if not axes.curvilinear:
        method = "image" if _is_regular(lons) and _is_regular(lats) else "quadmesh"
    width, height = _span(lons), _span(lats)
    frame_height = int(
        min(max(FRAME_WIDTH * height / max(width, 1e-9), MAP_HEIGHT[0]), MAP_HEIGHT[1])
    )
    kwargs: dict[str, Any] = {
        "x": x,
        "y": y,
        **_color_options(da),
        "clabel": label(da),
        "title": _title(da, _when(da, time)),
        "xlabel": MAP_XLABEL,
        "ylabel": "latitude (degrees north)",
        "frame_width": FRAME_WIDTH,
        "frame_height": frame_height,
    }
    if da.size > (RASTERIZE_CELLS_ABOVE if lons.ndim == 2 else RASTERIZE_ABOVE):
        kwargs["rasterize"] = True
    return method, kwargs


def _place(da: xr.DataArray) -> str:
    """``30.12°N, 319.88°E`` from scalar latitude/longitude coordinates (a point series)."""
    found: dict[str, float] = {}
    for name, coord in da.coords.items():
        if coord.ndim != 0 or not np.issubdtype(coord.dtype, np.number):
            continue
        units = str(coord.attrs.get("units", "")).lower()
        standard = str(coord.attrs.get("standard_name", "")).lower()
        key = str(name).lower()
        if (
            standard == "latitude"
            or units.startswith("degree_n")
            or units.startswith("degrees_n")
            or key in ("lat", "latitude")
        ):
            found.setdefault("lat", float(coord))
        elif (
            standard == "longitude"
            or units.startswith("degree_e")
            or units.startswith("degrees_e")
            or key in ("lon", "longitude")
        ):
            found.setdefault("lon", float(coord))
    if len(found) != 2:
        return ""
    return f"{found['lat']:.2f}°N, {found['lon']:.2f}°E"


def timeseries_spec(da: xr.DataArray) -> PlotSpec:
    """A line over time (titled with the place for a point series)."""
    time, _lat, _lon = _dims(da)
    x = _need(time, da, "time series", "time")
    _extra_dims(da, (x,), "time series")
    _two_steps(da, x, "time series")
    return "line", {
        "x": x,
        "ylabel": label(da),
        "xlabel": "time",
        "title": _title(da, _place(da)),
        "grid": True,
        "frame_width": FRAME_WIDTH,
        "frame_height": SERIES_HEIGHT,
    }


def hovmoller_spec(da: xr.DataArray) -> PlotSpec:
    """Time (x) against latitude, or longitude when there is no latitude left (``quadmesh``)."""
    time, lat, lon = _dims(da)
    x = _need(time, da, "Hovmöller", "time")
    space = lat if lat in da.dims else lon
    y = _need(space, da, "Hovmöller", "latitude or longitude")
    _extra_dims(da, (x, y), "Hovmöller")
    _two_steps(da, x, "Hovmöller")
    kwargs: dict[str, Any] = {
        "x": x,
        "y": y,
        **_color_options(da),
        "clabel": label(da),
        "title": _title(da, "Hovmöller"),
        "xlabel": "time",
        "ylabel": "latitude (degrees north)" if y == lat else "longitude (degrees east)",
        "frame_width": FRAME_WIDTH,
        "frame_height": HOVMOLLER_HEIGHT,
    }
    if da.sizes[x] * da.sizes[y] > RASTERIZE_ABOVE:
        kwargs["rasterize"] = True
    return "quadmesh", kwargs


_SPECS = MappingProxyType(
    {"map": map_spec, "timeseries": timeseries_spec, "hovmoller": hovmoller_spec}
)


def spec(da: xr.DataArray, kind: PlotKind, *, tiles: str | None = None) -> PlotSpec:
    """``(hvplot method, keyword arguments)`` for a map, time series or Hovmöller of ``da``.

    Plain data only (it is written into exported scripts). ``clim`` is the robust (2-98 %) range
    when the values are loaded, symmetric about zero with a diverging colormap for data that
    crosses zero (except absolute units such as kelvin). ``tiles`` (maps only, e.g. ``"OSM"``)
    adds web map tiles: it needs a network connection, so it is off by default.

    Raises:
        ValueError: an unknown kind, or an array of the wrong shape for it.
    """
    if not isinstance(da, xr.DataArray):
        raise InvalidInputError(
            f"plots need an xarray DataArray (one variable), got {type(da).__name__}"
        )
    if kind not in _SPECS:
        raise InvalidInputError(f"plot kind must be one of {', '.join(KINDS)}; got {kind!r}")
    method, kwargs = _SPECS[kind](da)
    if tiles is not None:
        if kind != "map":
            raise InvalidInputError("tiles= applies to maps only")
        kwargs["tiles"] = str(tiles)
    return method, kwargs


def render(
    da: xr.DataArray,
    kind: PlotKind,
    *,
    coastline: bool = True,
    plot: PlotSpec | None = None,
    tiles: str | None = None,
) -> hv.core.Dimensioned:
    """The HoloViews object of ``spec(da, kind)`` (or of ``plot``), with coastlines on maps.

    Coastlines come from the package (:mod:`vstore_explorer.coastlines`); they are left out when
    ``tiles`` are drawn (tiles bring their own).
    """
    import hvplot.xarray  # noqa: F401  (registers the .hvplot accessor)

    method, kwargs = plot if plot is not None else spec(da, kind, tiles=tiles)
    obj = getattr(drawable(da, (method, kwargs)).hvplot, method)(**kwargs)
    if kind == "map" and coastline and "tiles" not in kwargs:
        obj = obj * coastline_overlay(da, kwargs)
    return obj


def drawable(da: xr.DataArray, plot: tuple[str, Mapping[str, Any]]) -> xr.DataArray:
    """``da`` as a plot draws it: a map on float64 coordinates (:func:`float_coords`)."""
    names = float_coords(plot)
    return da.assign_coords({n: da[n].astype("float64") for n in names}) if names else da


def float_coords(plot: tuple[str, Mapping[str, Any]]) -> tuple[str, ...]:
    """The coordinates a map is drawn on, which both the app and the exported script turn to
    float64 before plotting (HoloViews rejects an image's float32 bounds as not matching them).

    Example:
        >>> float_coords(("image", {"x": "lon", "y": "lat", "xlabel": MAP_XLABEL}))
        ('lon', 'lat')
        >>> float_coords(("quadmesh", {"x": "time", "y": "lat", "xlabel": "time"}))
        ()
    """
    method, kwargs = plot
    if not isinstance(kwargs, Mapping) or method not in ("image", "quadmesh"):
        return ()
    if kwargs.get("xlabel") != MAP_XLABEL or "x" not in kwargs or "y" not in kwargs:
        return ()
    return str(kwargs["x"]), str(kwargs["y"])


def coastline_overlay(da: xr.DataArray, kwargs: Mapping[str, Any]) -> hv.Path:
    """The packaged coastlines in ``da``'s longitude convention, on the map's x/y dimensions."""
    from vstore_explorer.coastlines import coastline, convention_of

    x, y = str(kwargs["x"]), str(kwargs["y"])
    return coastline(convention_of(da[x].values), kdims=(x, y))


def frame(da: xr.DataArray, kwargs: Mapping[str, Any]) -> xr.DataArray:
    """``da`` without the size-1 dimensions the plot does not use (one map frame).

    ``hvplot`` turns such dimensions into a one-value slider; the app draws the frame itself.
    """
    keep = {str(kwargs.get("x")), str(kwargs.get("y"))}
    drop = [d for d in da.dims if d not in keep and da.sizes[d] == 1]
    return da.squeeze(drop) if drop else da
