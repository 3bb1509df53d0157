"""The views: which plot is on show, its cost, loading it within the limits, its code.

Each view has a :class:`~vstore_explorer.compute.Request` planned once from the view's
selection: its cost is shown, checked against the limits and, when the user confirms, loaded;
its script is what the code pane shows. Loads above the limits wait for 'Load anyway'.

Example:
    >>> part.view = "timeseries"  # doctest: +SKIP
    >>> part.result("timeseries").data.values  # doctest: +SKIP
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

import param
import xarray as xr

from vstore_explorer.app.query import VIEWS
from vstore_explorer.app.state.params import selector
from vstore_explorer.app.state.store import StorePart
from vstore_explorer.compute import Request
from vstore_explorer.cost import Cost, CostLimitError, Limits, check
from vstore_explorer.errors import InvalidInputError
from vstore_explorer.plots import PlotKind, PlotSpec, nothing_to_draw, reduction_text, spec
from vstore_explorer.selection import Selection

SLOW_CHUNKS = 24  # loads above this many chunks or bytes are "longer than a moment"
SLOW_BYTES = 64e6
NO_LIMITS = Limits(max_read_bytes=math.inf, max_memory_bytes=math.inf)


@dataclass(frozen=True, eq=False)
class ViewResult:
    """What one view shows: its selection, the loaded data, the plot spec and the cost."""

    view: str
    selection: Selection
    data: xr.DataArray
    plot: PlotSpec
    cost: Cost
    seconds: float
    store: tuple[str, ...] = ()
    request: Request | None = None
    """The request that loaded it (planned once: its cost and code are kept)."""


def is_slow(cost: Cost) -> bool:
    """Whether loading takes long enough to show progress first."""
    return cost.chunks > SLOW_CHUNKS or cost.decoded_bytes > SLOW_BYTES


class ViewsPart(StorePart):
    """The plot on show, the loaded result of each view, the cost, the code and the URL query."""

    view: PlotKind = selector(default="map", objects=list(VIEWS), doc="The plot on show")
    fixed_colors = param.Boolean(
        default=False,
        doc="Keep the map's colour range from one time step to the next (for the animation)",
    )
    coastlines = param.Boolean(default=True, doc="Coastlines on maps, and in their scripts")
    cost_text = param.String(default="", doc="Cost of the current view's selection")
    needs_confirmation = param.Boolean(default=False, doc="Above the limits: load only if asked")
    code = param.String(default="", doc="The script of the current view")
    query = param.String(default="", doc="The URL query string of the current view")
    defer = param.Callable(
        default=None,
        allow_None=True,
        precedence=-1,
        doc="Runs slow loads later, so the page shows 'busy' first (set by served apps)",
    )
    map_result = param.ClassSelector(class_=ViewResult, default=None, allow_None=True)
    timeseries_result = param.ClassSelector(class_=ViewResult, default=None, allow_None=True)
    hovmoller_result = param.ClassSelector(class_=ViewResult, default=None, allow_None=True)
    hovmoller_lon_result = param.ClassSelector(class_=ViewResult, default=None, allow_None=True)

    limits: Limits
    view_query: Callable[[], Any]

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        self._stale: set[str] = set(VIEWS)

    def view_selection(self, view: str, base: Selection | None = None) -> Selection:
        """The selection a view loads: the map one time step (or the time mean of the range), the
        series a point or an area mean, the Hovmöllers a zonal (latitude-time) or meridional
        (longitude-time) mean."""
        base = base if base is not None else self.selection()
        if view == "map":
            if self.map_mean:  # the mean over the time range (Giovanni's time-averaged map)
                return base.replace(point=None, reduction="time_mean")
            if self.map_time is None:
                return base.replace(point=None)
            return base.replace(time=(self.map_time, self.map_time), point=None)
        if view == "timeseries":
            return base if base.point is not None else base.replace(reduction="area_mean")
        if view == "hovmoller":
            return base.replace(point=None, reduction="zonal_mean")
        if view == "hovmoller_lon":
            return base.replace(point=None, reduction="meridional_mean")
        raise InvalidInputError(f"view must be one of {', '.join(VIEWS)}; got {view!r}")

    def result(self, view: str | None = None) -> ViewResult | None:
        """The last loaded result of ``view`` (default: the view on show)."""
        return getattr(self, f"{view or self.view}_result")

    def refresh(self, *, all_views: bool = False, confirmed: bool = False) -> ViewResult | None:
        """Cost, load (within the limits unless ``confirmed``), plot spec and code of the view."""
        if all_views:
            self._stale = set(VIEWS)
        if self.handle is None or self.variable is None:
            return None
        view = self.view
        try:
            request = Request(self.handle, self.view_selection(view))
            cost = request.cost()
        except Exception as exc:
            self.needs_confirmation = False
            self._fail(exc)
            self._sync_query()
            return None
        self.cost_text = cost.summary()
        shown = self.result(view)
        if (
            shown is not None
            and shown.selection == request.selection
            and shown.store == self._store_key()
        ):
            self._stale.discard(view)
            self.param.update(needs_confirmation=False)
            self._clear()
            self._show_code(shown)
            return shown
        try:
            check(cost, self.limits, request.ops)  # the explanation names what was asked
        except CostLimitError as exc:
            if not confirmed:
                self._ask_confirmation(request, exc)
                return None
        if self.defer is not None and is_slow(cost):
            self.param.update(
                busy=True, progress=0, needs_confirmation=False, status=f"Loading the {view}…"
            )
            self.defer(lambda: self._load_if_current(view, request, confirmed))
            return None
        return self._load(view, request, confirmed)

    def _load_if_current(self, view: PlotKind, request: Request, confirmed: bool) -> None:
        """A deferred load, skipped when the user has changed the view or selection meanwhile."""
        try:
            current = self.view == view and self.view_selection(view) == request.selection
        except ValueError:
            current = False
        if current:
            self._load(view, request, confirmed)
        elif self.busy:
            self.busy = False

    def _ask_confirmation(self, request: Request, exc: CostLimitError) -> None:
        self.param.update(
            needs_confirmation=True,
            alert=f"{exc}\n\nPress 'Load anyway' (below) to read it, 'Export as script' to run it "
            "elsewhere, or narrow the selection.",
            alert_level="warning",
        )
        try:
            lazy = request.lazy()
            if not isinstance(lazy, xr.DataArray):
                raise InvalidInputError("the explorer plots one variable at a time")
            plot = spec(lazy, self.view, where=reduction_text(request.selection))
            self.code = request.code(plot, coastlines=self._coastlines(self.view))
        except Exception as exc2:
            self._fail(exc2)
        self._sync_query()
        return None

    def confirm(self) -> ViewResult | None:
        """Load the current view although it is above the limits (the confirmation step)."""
        return self.refresh(confirmed=True)

    def _load(self, view: PlotKind, request: Request, confirmed: bool) -> ViewResult | None:
        started = time.perf_counter()
        self.param.update(busy=True, progress=0, needs_confirmation=False)
        try:
            data = request.load(  # the cost shown is the one checked: planned and estimated once
                NO_LIMITS if confirmed else self.limits, progress=self._progress
            )
            if not isinstance(data, xr.DataArray):
                raise InvalidInputError("the explorer plots one variable at a time")
            empty = nothing_to_draw(data)
            if empty is not None:
                raise InvalidInputError(empty)
            plot = self._fixed_colors(
                view, spec(data, view, where=reduction_text(request.selection))
            )
        except Exception as exc:
            self._fail(exc)
            self._sync_query()
            return None
        seconds = time.perf_counter() - started
        result = ViewResult(
            view, request.selection, data, plot, request.cost(), seconds, self._store_key(), request
        )
        self._stale.discard(view)
        self._clear()
        self.param.update(**{f"{view}_result": result}, busy=False, progress=100)
        self._show_code(result)
        self.status = f"{view}: {data.size:,} values in {result.seconds * 1000:.0f} ms"
        return result

    def _fixed_colors(self, view: str, plot: PlotSpec) -> PlotSpec:
        """With ``fixed_colors``, a map keeps the colour range of the map shown before it (same
        store and variable): frames of an animation compare."""
        shown = self.map_result
        if view != "map" or not self.fixed_colors or shown is None:
            return plot
        if shown.store != self._store_key() or shown.data.name != self.variable:
            return plot
        before = shown.plot[1].get("clim")
        if before is None:
            return plot
        method, kwargs = plot
        return method, {**kwargs, "clim": before}

    def _store_key(self) -> tuple[str, ...]:
        h = self.handle
        if h is None:
            return ()
        return (h.link.url, h.link.kind, h.version.label, str(h.snapshot_id), h.group or "")

    def _coastlines(self, view: str) -> bool:
        """Whether the exported script overlays coastlines: on maps, as the app draws them."""
        return self.coastlines and view == "map"

    def _show_code(self, result: ViewResult | None) -> None:
        if result is not None and self.handle is not None:
            try:
                request = result.request or Request(self.handle, result.selection)
                self.code = request.code(result.plot, coastlines=self._coastlines(result.view))
            except Exception as exc:
                self._fail(exc)
        self._sync_query()

    def _sync_query(self) -> None:
        with suppress(ValueError):  # an invalid subset keeps the last valid URL
            self.query = self.view_query().to_query()
