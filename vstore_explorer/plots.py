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

from collections.abc import Hashable, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal, get_args

import numpy as np
import xarray as xr

from vstore_explorer.axes import find_axes
from vstore_explorer.errors import InvalidInputError
from vstore_explorer.plot_style import (
    DEFAULT_CMAP,
    DIVERGING,
    category_options,
    color_options,
    colormap,
    in_memory,
    is_anomaly,
    label,
    latitude_text,
    level_text,
    longitude_text,
    place,
    reduction_text,
    robust_range,
    text_attr,
)

__all__ = [
    "DEFAULT_CMAP",
    "DIVERGING",
    "KINDS",
    "category_options",
    "colormap",
    "float_coords",
    "in_memory",
    "is_anomaly",
    "label",
    "latitude_text",
    "level_text",
    "longitude_text",
    "map_spec",
    "nothing_to_draw",
    "plot_call",
    "reduction_text",
    "render",
    "robust_range",
    "spec",
]

if TYPE_CHECKING:
    import holoviews as hv

PlotKind = Literal["map", "timeseries", "hovmoller", "hovmoller_lon", "scatter"]
KINDS: tuple[str, ...] = get_args(PlotKind)
PlotSpec = tuple[str, dict[str, Any]]

FRAME_WIDTH = 640
MAP_HEIGHT = (200, 480)  # smallest and largest map frame height (the width is fixed)
SERIES_HEIGHT = 260
HOVMOLLER_HEIGHT = 320
RASTERIZE_ABOVE = 250_000  # grid cells: larger images are rasterized with datashader
RASTERIZE_CELLS_ABOVE = 20_000  # cells of a quadmesh over 2-D coordinates (a polygon each)
MAP_XLABEL = "longitude (degrees east)"


# ---------------------------------------------------------------------------------- attributes


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
    """``long name at 500 hPa, suffix`` (the level when one was picked)."""
    name = text_attr(da, "long_name") or str(da.name or "")
    level = level_text(da)
    head = f"{name} {level}" if name and level else name or level
    return ", ".join(p for p in (head, suffix) if p)


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


def _extent(values: np.ndarray) -> tuple[float, float] | None:
    """The range the cells cover: centres, widened by half a cell on 1-D axes (rounded)."""
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return None
    low, high = float(finite.min()), float(finite.max())
    if values.ndim == 1 and finite.size > 1:
        half = float(np.median(np.abs(np.diff(finite)))) / 2
        low, high = low - half, high + half
    if low == high:
        low, high = low - 0.5, high + 0.5
    return round(low, 4), round(high, 4)


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


def nothing_to_draw(da: xr.DataArray | xr.Dataset) -> str | None:
    """Why a loaded array cannot draw (no value, or every value missing), or ``None``.

    Example:
        >>> nothing_to_draw(xr.DataArray([np.nan, np.nan], dims="x", name="sst"))[:38]
        "every value of 'sst' in this selection"
    """
    if isinstance(da, xr.Dataset):  # a comparison: each of its variables must draw
        reasons = (nothing_to_draw(da[name]) for name in da.data_vars)
        return next((r for r in reasons if r is not None), None)
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
        **color_options(da),
        "clabel": label(da),
        "title": _title(da, _when(da, time)),
        "xlabel": MAP_XLABEL,
        "ylabel": "latitude (degrees north)",
        "frame_width": FRAME_WIDTH,
        "frame_height": frame_height,
    }
    extent = _extent(lons), _extent(lats)  # the data's own, not the coastline's (to 85.6°S)
    if extent[0] is not None and extent[1] is not None:
        kwargs["xlim"], kwargs["ylim"] = extent
    if da.size > (RASTERIZE_CELLS_ABOVE if lons.ndim == 2 else RASTERIZE_ABOVE):
        kwargs["rasterize"] = True
    return method, kwargs


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
        "title": _title(da, place(da)),
        "grid": True,
        "frame_width": FRAME_WIDTH,
        "frame_height": SERIES_HEIGHT,
    }


def hovmoller_spec(da: xr.DataArray) -> PlotSpec:
    """Time (x) against latitude (a zonal mean), or longitude when there is no latitude left
    (a meridional mean) (``quadmesh``)."""
    time, lat, lon = _dims(da)
    x = _need(time, da, "Hovmöller", "time")
    space = lat if lat in da.dims else lon
    y = _need(space, da, "Hovmöller", "latitude or longitude")
    _extra_dims(da, (x, y), "Hovmöller")
    _two_steps(da, x, "Hovmöller")
    kwargs: dict[str, Any] = {
        "x": x,
        "y": y,
        **color_options(da),
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
    {
        "map": map_spec,
        "timeseries": timeseries_spec,
        "hovmoller": hovmoller_spec,
        "hovmoller_lon": hovmoller_spec,  # the same plot, of a meridional mean
    }
)


def spec(
    da: xr.DataArray | xr.Dataset, kind: PlotKind, *, tiles: str | None = None, where: str = ""
) -> PlotSpec:
    """``(hvplot method, keyword arguments)`` for a map, time series or Hovmöller of ``da``.

    Plain data only (it is written into exported scripts). ``clim`` is the robust (2-98 %) range
    when the values are loaded, symmetric about zero with a diverging colormap for data that
    crosses zero (except absolute units such as kelvin). ``tiles`` (maps only, e.g. ``"OSM"``)
    adds web map tiles: it needs a network connection, so it is off by default. ``where`` is
    appended to the title (what a reduction is over: :func:`reduction_text`).

    Raises:
        ValueError: an unknown kind, or an array of the wrong shape for it.
    """
    from vstore_explorer import plots_compare

    if kind not in KINDS:
        raise InvalidInputError(f"plot kind must be one of {', '.join(KINDS)}; got {kind!r}")
    if isinstance(da, xr.Dataset) and kind in ("timeseries", "scatter"):
        method, kwargs = (
            plots_compare.twin_spec(da, timeseries_spec)
            if kind == "timeseries"
            else plots_compare.scatter_spec(da)
        )
    elif kind == "scatter":
        raise InvalidInputError("a scatter compares two variables: pick one to compare with")
    elif not isinstance(da, xr.DataArray):
        raise InvalidInputError(
            f"a {kind} plots one variable (an xarray DataArray), got {type(da).__name__}"
        )
    else:
        method, kwargs = _SPECS[kind](da)
    if where:  # what the selection reduced, e.g. reduction_text(selection)
        kwargs["title"] = ", ".join(p for p in (kwargs.get("title", ""), str(where)) if p)
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
    obj = plot_call(drawable(da, (method, kwargs)), method, kwargs)
    if kind == "map" and coastline and "tiles" not in kwargs:
        obj = obj * coastline_overlay(da, kwargs)
    return obj


def plot_call(data: Any, method: str, kwargs: Mapping[str, Any]) -> Any:
    """``data.hvplot.<method>(**kwargs)``, or a plot helper of the package (:data:`PLOT_HELPERS`,
    whose source the exported script carries) called on ``data``."""
    from vstore_explorer.plots_compare import twin_lines

    if method == "twin_lines":
        return twin_lines(data, **kwargs)
    return getattr(data.hvplot, method)(**kwargs)


def drawable(da: Any, plot: tuple[str, Mapping[str, Any]]) -> Any:
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


def frame(da: xr.DataArray | xr.Dataset, kwargs: Mapping[str, Any]) -> Any:
    """``da`` without the size-1 dimensions the plot does not use (one map frame).

    ``hvplot`` turns such dimensions into a one-value slider; the app draws the frame itself.
    """
    keep = {str(kwargs.get("x")), str(kwargs.get("y"))}
    drop = [d for d in da.dims if d not in keep and da.sizes[d] == 1]
    return da.squeeze(drop) if drop else da
