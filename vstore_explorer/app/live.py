"""Plots that update in place: a ``DynamicMap`` fed by a ``Pipe`` per view (HoloViews, no Panel).

Each :class:`LivePlot` draws the :class:`~vstore_explorer.app.state.ViewResult` it is sent with
that result's own plot spec (``getattr(frame.hvplot, method)(**kwargs)``, the same call the
exported script makes), rasterized with datashader when the spec says so. New data of the same
shape of plot is pushed through the pipe, so the figure, its zoom and its tools stay; a different
variable or grid rebuilds the object. The map adds the packaged coastlines, the selected box and
point, and ``Tap`` / ``BoundsXY`` streams that report clicks and drawn boxes.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from functools import cache, partial
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import urlparse

import holoviews as hv
import hvplot.xarray  # noqa: F401  (the .hvplot accessor)
import numpy as np
import param
import xarray as xr

from vstore_explorer.app.kernel_cache import cache_datashader_kernels
from vstore_explorer.app.state import ExplorerState, ViewResult
from vstore_explorer.coastlines import coastline, convention_of
from vstore_explorer.plots import drawable, frame, plot_call

MARK_PARAMS = ("where", "west", "south", "east", "north", "lon", "lat")


def rasterize(obj: Any) -> Any:
    """HoloViews' datashader ``rasterize`` of ``obj``, imported on first use: datashader and numba
    take 1-2 s to import and only grids above ``plots.RASTERIZE_ABOVE`` cells need them."""
    from holoviews.operation.datashader import rasterize as _rasterize

    cache_datashader_kernels()
    return _rasterize(obj)


@cache
def warm_up() -> float:
    """Import datashader and compile its regridding once per process (numba: 1-3 s, else paid by
    the first rasterized map): grids drawn as the app draws them (hvplot ``image``, shrunk by
    ``rasterize``), float32 and float64, latitudes up and down (C and strided arrays).

    Returns the seconds it took (cached: later calls cost nothing).
    """
    started = time.perf_counter()
    from holoviews.operation.datashader import rasterize as _rasterize

    cache_datashader_kernels()

    for dtype in (np.float32, np.float64):
        for descending in (False, True):
            image = _grid(dtype, descending).hvplot.image(x="lon", y="lat")
            _rasterize(image, dynamic=False, width=16, height=8)
    grid = _grid(np.float64, False)  # a quadmesh over 2-D coordinates (swaths, projected grids)
    lon2, lat2 = np.meshgrid(grid.lon.values, grid.lat.values)
    dims = ("row", "col")
    swath = xr.DataArray(
        grid.values, dims=dims, coords={"lat": (dims, lat2), "lon": (dims, lon2)}, name="v"
    )
    _rasterize(swath.hvplot.quadmesh(x="lon", y="lat"), dynamic=False, width=16, height=8)
    return time.perf_counter() - started


def _grid(dtype: type[np.floating[Any]], descending: bool) -> xr.DataArray:
    """A small global lon/lat grid (a few NaN) for :func:`warm_up`."""
    lat = np.linspace(-87.1875, 87.1875, 32)
    lon = np.linspace(-177.1875, 177.1875, 64)
    values = np.arange(32 * 64, dtype=dtype).reshape(32, 64)
    values[0, :4] = np.nan
    if descending:
        lat, values = lat[::-1], values[::-1]
    return xr.DataArray(values, dims=("lat", "lon"), coords={"lat": lat, "lon": lon}, name="v")


@cache
def warm_up_in_background(delay: float = 0.0) -> threading.Thread:
    """Run :func:`warm_up` in a daemon thread (once per process), after ``delay`` seconds.

    Served apps call it once the first page is shown, so neither the start-up nor the first map
    waits for a compilation that small grids never need.
    """

    def run() -> None:
        time.sleep(delay)
        warm_up()

    thread = threading.Thread(target=run, name="vstore-explorer-warm-up", daemon=True)
    thread.start()
    return thread


PLACEHOLDER = "Pick a collection to see its data"


def placeholder(text: str) -> hv.Text:
    """An empty plot with a line of text (before anything is loaded)."""
    return hv.Text(0.5, 0.5, text).opts(
        xaxis=None, yaxis=None, toolbar=None, frame_width=640, frame_height=120
    )


class LivePlot:
    """The plot of one view, updated in place when the plot's shape is unchanged.

    Attributes:
        object: the HoloViews object to display (replaced when :meth:`update` rebuilds).
        dynamic: the ``DynamicMap`` drawing the view's data (before rasterizing).
        pipe: the stream new results are sent through.
    """

    def __init__(
        self,
        view: str,
        state: ExplorerState,
        *,
        coastlines: bool = True,
        on_tap: Callable[[float, float], None] | None = None,
        on_box: Callable[[float, float, float, float], None] | None = None,
    ) -> None:
        self.view = view
        self.state = state
        self.coastlines = coastlines
        self.on_tap = on_tap
        self.on_box = on_box
        self.key: tuple[Any, ...] | None = None
        self.pipe: hv.streams.Pipe | None = None
        self.dynamic: hv.DynamicMap | None = None
        self.tap: hv.streams.Tap | None = None
        self.bounds: hv.streams.BoundsXY | None = None
        self.look: Look | None = None
        self.png = PngName()  # names the PNG of the result on show (see :func:`png_stem`)
        self.object: Any = placeholder(PLACEHOLDER)

    @staticmethod
    def _key(result: ViewResult) -> tuple[Any, ...]:
        method, kwargs = result.plot
        x, y = kwargs.get("x"), kwargs.get("y")
        if result.view == "map":  # another variable updates in place (colours, titles, hover);
            # another store is drawn anew, at its own extent
            # and another extent (a box) too, at its own extent
            rasterized = bool(kwargs.get("rasterize"))
            extent = (kwargs.get("xlim"), kwargs.get("ylim"))
            return (method, x, y, rasterized, convention_of(result.data[x]), result.store, extent)
        data = result.data
        names = tuple(data.data_vars) if isinstance(data, xr.Dataset) else (data.name,)
        return (method, x, y, bool(kwargs.get("rasterize")), names)

    def update(self, result: ViewResult | None) -> bool:
        """Show ``result``; returns True when :attr:`object` was rebuilt (else updated in place)."""
        if result is None:
            return False
        key = self._key(result)
        self.png.stem = png_stem(result)
        if key == self.key and self.pipe is not None:
            if self.look is not None:
                self.look.options = {**self.look.options, **raster_options(result.plot[1])}
            self.pipe.send(result)
            return False
        self.key = key
        self.object = self._build(result)
        return True

    def dispose(self) -> None:
        """Drop the plot's pipe, streams and objects (its session has closed)."""
        for stream in (self.pipe, self.tap, self.bounds):
            if stream is not None:
                stream.clear()
        if self.pipe is not None:  # its last result (no subscriber is left to redraw)
            with param.parameterized.edit_constant(self.pipe):
                self.pipe.data = None
        self.pipe = self.dynamic = self.tap = self.bounds = None
        self.look = None
        self.on_tap = self.on_box = None
        self.key = None
        self.object = None

    # -- building ---------------------------------------------------------------------------------

    @staticmethod
    def element(result: ViewResult) -> Any:
        """The HoloViews element of a result: the spec's hvplot call on the plotted frame."""
        method, kwargs = result.plot
        options = {k: v for k, v in kwargs.items() if k != "rasterize"}
        data = drawable(frame(result.data, kwargs), result.plot)
        element = plot_call(data, method, options)
        hooks = []
        if "clabel" in kwargs:  # in-place updates keep the first colour bar title otherwise
            hooks.append(partial(_colorbar_title, str(kwargs["clabel"])))
        hooks.append(partial(_save_as, png_stem(result)))  # the toolbar's save: a named PNG
        return element.opts(hooks=hooks)

    def _draw(self, data: ViewResult) -> Any:
        return self.element(data)

    def _build(self, result: ViewResult) -> Any:
        method, kwargs = result.plot
        self.pipe = hv.streams.Pipe(data=result)
        self.dynamic = hv.DynamicMap(self._draw, streams=[self.pipe])
        shown = self.dynamic
        if kwargs.get("rasterize"):  # the raster keeps the spec's look (colours, titles, size),
            # updated with each result shown in place (rasterize drops the element's options)
            look = raster_options(kwargs)
            self.look = Look(options=look)
            shown = rasterize(self.dynamic).apply.opts(  # (a hook here would stop the reactive
                # options from reaching the colour bar: the outermost object names the PNG)
                **{k: self.look.param["options"].rx()[k] for k in look}  # reactive per key
            )
        if self.view != "map":
            return shown.opts(framewise=True, hooks=[self.png])
        x, y = str(kwargs["x"]), str(kwargs["y"])
        shown = shown.opts(  # scroll zooms, dragging draws a box, a tap picks a point
            tools=["tap", "box_select", "hover", "wheel_zoom"],
            active_tools=["box_select", "wheel_zoom"],
        )
        self.tap = hv.streams.Tap(source=shown, x=None, y=None)
        self.bounds = hv.streams.BoundsXY(source=shown, bounds=None)
        self.tap.add_subscriber(self._tapped)
        self.bounds.add_subscriber(self._boxed)
        layers = [shown]
        if self.coastlines:
            layers.append(coastline(convention_of(result.data[x].values), kdims=(x, y)))
        marks = hv.DynamicMap(
            lambda **p: self._marks(x, y, **p),
            streams=[hv.streams.Params(self.state, list(MARK_PARAMS))],
        )
        layers.append(marks)
        return _overlay(layers).opts(hooks=[self.png])

    def _marks(self, x: str, y: str, **p: Any) -> hv.Overlay:
        box: list[np.ndarray] = []
        corners = (p["west"], p["south"], p["east"], p["north"])
        if p["where"] == "box" and all(v is not None for v in corners):
            w, s, e, n = corners
            box = [np.array([[w, s], [e, s], [e, n], [w, n], [w, s]], dtype=float)]
        points: list[tuple[float, float]] = []
        if p["where"] == "point" and p["lon"] is not None and p["lat"] is not None:
            points = [(p["lon"], p["lat"])]
        path = hv.Path(box, kdims=[x, y], group="Box").opts(color="magenta", line_width=2)
        marker = hv.Points(points, kdims=[x, y], group="Point").opts(
            color="magenta", size=10, marker="x", line_width=3
        )
        return path * marker

    # -- stream callbacks -------------------------------------------------------------------------

    def _tapped(self, x: float | None = None, y: float | None = None, **_: Any) -> None:
        if x is not None and y is not None and self.on_tap is not None:
            self.on_tap(_degrees(x), _degrees(y))

    def _boxed(self, bounds: tuple[float, float, float, float] | None = None, **_: Any) -> None:
        if bounds is not None and self.on_box is not None:
            west, south, east, north = (_degrees(v) for v in bounds)
            if east > west and north > south:
                self.on_box(west, south, east, north)


class PngName:
    """A plot hook naming the toolbar's PNG after the result on show (a rasterized plot drops
    its element's hooks, so the outermost object carries this one). It holds only the name:
    HoloViews keeps hooks in its global option trees, so a hook holding the plot would keep a
    closed session alive."""

    def __init__(self, stem: str = "vstore") -> None:
        self.stem = stem

    def __call__(self, plot: Any, element: Any) -> None:
        _save_as(self.stem, plot, element)


class Look(param.Parameterized):
    """The options of a rasterized plot, changed with each result it shows in place."""

    options = param.Dict(default={})


_RASTER_OPTIONS = (
    "cmap",
    "clim",
    "clabel",
    "title",
    "xlabel",
    "ylabel",
    "frame_width",
    "frame_height",
    "cticks",
)


def raster_options(kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """The HoloViews options a rasterized plot needs to look as the spec asks: ``rasterize``
    returns a new Image without the hvplot element's colormap, range, colorbar, title and size.

    Example:
        >>> raster_options({"cmap": "RdBu_r", "clim": (-1, 1), "x": "time", "rasterize": True})
        {'cmap': 'RdBu_r', 'clim': (-1, 1), 'colorbar': True}
    """
    options = {k: kwargs[k] for k in _RASTER_OPTIONS if k in kwargs}
    options["colorbar"] = True
    return options


def _degrees(value: float) -> float:
    """A clicked coordinate without the browser's float32 noise (-39.99998474121094 -> -40.0):
    4 decimals (about 10 m) keep the code pane and the URL readable."""
    return round(float(value), 4)


def png_stem(result: ViewResult) -> str:
    """The name the toolbar's save tool gives the PNG: ``<store>_<variables>_<view>``.

    Example:
        >>> from types import SimpleNamespace as NS
        >>> png_stem(NS(store=("file:///d/sst.icechunk",), data=NS(name="sst"), view="map"))
        'sst_sst_map'
    """
    store = PurePosixPath(urlparse(result.store[0]).path).stem if result.store else "vstore"
    data = result.data
    names = list(data.data_vars) if isinstance(data, xr.Dataset) else [data.name]
    stem = "_".join(str(p) for p in (store, *names, result.view) if p)
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in stem)


def _save_as(stem: str, plot: Any, element: Any) -> None:
    """Name the save tool's file (without a name, Bokeh asks with a prompt each time)."""
    for tool in getattr(plot.state, "tools", ()):
        if type(tool).__name__ == "SaveTool" and tool.filename != stem:
            tool.filename = stem


def _colorbar_title(title: str, plot: Any, element: Any) -> None:
    colorbar = plot.handles.get("colorbar")
    if colorbar is not None and colorbar.title != title:
        colorbar.title = title


def _overlay(layers: list[Any]) -> Any:
    out = layers[0]
    for layer in layers[1:]:
        out = out * layer
    return out
