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
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import param
import xarray as xr

from vstore_explorer.app.query import VIEWS
from vstore_explorer.app.state.background import Background, Ticket
from vstore_explorer.app.state.params import selector
from vstore_explorer.app.state.store import StorePart
from vstore_explorer.compute import Request
from vstore_explorer.cost import Cost, CostLimitError, Limits, check
from vstore_explorer.errors import InvalidInputError
from vstore_explorer.plots import PlotKind, PlotSpec, nothing_to_draw, reduction_text, spec
from vstore_explorer.selection import Selection

if TYPE_CHECKING:
    from distributed import Client

SLOW_CHUNKS = 24  # loads above this many chunks or bytes are "longer than a moment"
SLOW_BYTES = 64e6
VIEW_NAMES = MappingProxyType(
    {
        "map": "map",
        "timeseries": "time series",
        "hovmoller": "latitude-time Hovmöller",
        "hovmoller_lon": "longitude-time Hovmöller",
        "scatter": "scatter",
    }
)
COMPARING = frozenset({"timeseries", "scatter"})  # views that plot two variables, when asked
APPLY_ABOVE_SECONDS = 1.0  # cheap changes apply at once; costlier ones wait for 'Apply'
NO_LIMITS = Limits(max_read_bytes=math.inf, max_memory_bytes=math.inf)


@dataclass(frozen=True, eq=False)
class ViewResult:
    """What one view shows: its selection, the loaded data, the plot spec and the cost."""

    view: str
    selection: Selection
    data: xr.DataArray | xr.Dataset
    """One variable; two (a Dataset) for a comparison (twin-axis series, scatter)."""
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
    pending = param.Boolean(default=False, doc="The view waits for 'Apply' (it takes a while)")
    pending_text = param.String(default="Apply", doc="The Apply button's label, with the cost")
    apply_above = param.Number(
        default=APPLY_ABOVE_SECONDS,
        allow_None=True,
        bounds=(0, None),
        doc="Loads estimated to take longer than this (seconds) wait for 'Apply'; None: never",
    )
    background = param.ClassSelector(
        class_=Background,
        default=None,
        allow_None=True,
        precedence=-1,
        doc="Where slow loads run, off the page's thread (served sessions set it)",
    )
    map_result = param.ClassSelector(class_=ViewResult, default=None, allow_None=True)
    timeseries_result = param.ClassSelector(class_=ViewResult, default=None, allow_None=True)
    hovmoller_result = param.ClassSelector(class_=ViewResult, default=None, allow_None=True)
    hovmoller_lon_result = param.ClassSelector(class_=ViewResult, default=None, allow_None=True)
    scatter_result = param.ClassSelector(class_=ViewResult, default=None, allow_None=True)

    limits: Limits
    client: Client | None = None  # where dask loads run (ExplorerState's ``client=``)
    view_query: Callable[[], Any]

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        self._stale: set[str] = set(VIEWS)
        self._running: Ticket | None = None
        self._planned: tuple[Any, Request] | None = None

    def view_selection(self, view: str, base: Selection | None = None) -> Selection:
        """The selection a view loads: the map one time step (or the time mean of the range), the
        series a point or an area mean, the Hovmöllers a zonal (latitude-time) or meridional
        (longitude-time) mean."""
        base = base if base is not None else self.selection()
        if view == "scatter":  # the map's cells, one variable against the other
            return self.view_selection("map", base).replace(variables=base.variables)
        if view not in ("timeseries",):  # one variable (a comparison is the series' and scatter's)
            base = base.replace(variables=base.variables[:1])
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

    def refresh(
        self, *, all_views: bool = False, confirmed: bool = False, applied: bool = False
    ) -> ViewResult | None:
        """Cost, load, plot spec and code of the view on show.

        Above the limits it waits for :meth:`confirm` ('Load anyway'); above ``apply_above``
        seconds (by the cost estimate) for :meth:`apply`; a load that is not a moment runs in the
        ``background`` when there is one (served sessions), where a newer load cancels it."""
        if all_views:
            self._stale = set(VIEWS)
        if self.handle is None or self.variable is None:
            return None
        view = self.view
        try:
            request = self._plan(self.view_selection(view))
            cost = request.cost()
        except Exception as exc:
            self._stop_running()
            self.param.update(needs_confirmation=False, pending=False)
            self._fail(exc)
            self._sync_query()
            return None
        self.cost_text = cost.summary()
        key = (request.selection, self._store_key())
        shown = self.result(view)
        if shown is not None and (shown.selection, shown.store) == key:
            self._stop_running()
            self._stale.discard(view)
            self.param.update(needs_confirmation=False, pending=False)
            self._clear()
            self._show_code(shown)
            return shown
        running = self._running
        if running is not None and running.view == view and running.key == key:
            return None  # already loading just this
        self._stop_running()
        try:
            check(cost, self.limits, request.ops)  # the explanation names what was asked
        except CostLimitError as exc:
            if not confirmed:
                self._ask_confirmation(request, exc)
                return None
        wait = self.apply_above
        if not (confirmed or applied) and wait is not None and cost.seconds() > wait:
            self._ask_to_apply(request, cost)
            return None
        if self.background is not None and is_slow(cost):
            self._load_in_background(view, request, confirmed, key)
            return None
        return self._load(view, request, confirmed)

    def _plan(self, selection: Selection) -> Request:
        """The view's request, planned once: the one that waited for Apply is the one loaded."""
        key = (selection, self._store_key())
        planned = self._planned
        if planned is not None and planned[0] == key:
            return planned[1]
        handle = self.handle
        if handle is None:
            raise InvalidInputError("open a store first")
        request = Request(handle, selection)
        self._planned = (key, request)
        return request

    def forget_plans(self) -> None:
        """Drop the planned request (it holds the data it loaded: a closed session frees it)."""
        self._planned = None
        self._running = None

    def apply(self) -> ViewResult | None:
        """Load the view on show although it takes longer than ``apply_above`` ('Apply')."""
        return self.refresh(applied=True)

    def confirm(self) -> ViewResult | None:
        """Load the current view although it is above the limits (the confirmation step)."""
        return self.refresh(confirmed=True)

    def cancel(self) -> None:
        """Stop the load that is running; the plot keeps showing the previous result."""
        if self._running is None:
            return
        self._stop_running()
        self.param.update(
            pending=True,
            status="Cancelled: the plot shows the previous selection. Press Apply to load it.",
        )

    def _stop_running(self) -> None:
        running, self._running = self._running, None
        if running is not None:
            running.cancel()
            self.param.update(busy=False, progress=0)

    def _ask_to_apply(self, request: Request, cost: Cost) -> None:
        seconds = cost.seconds()
        self.param.update(
            pending=True,
            needs_confirmation=False,
            pending_text=f"Apply ({cost.chunks:,} chunks, about {seconds:.0f} s)"
            if seconds >= 1.5
            else f"Apply ({cost.chunks:,} chunks)",
            status=f"The {VIEW_NAMES[self.view]} takes about {seconds:.1f} s to load: press "
            "Apply to load it (the plot shows the previous selection).",
        )
        self._clear()
        self._lazy_code(request)

    def _ask_confirmation(self, request: Request, exc: CostLimitError) -> None:
        self.param.update(
            needs_confirmation=True,
            pending=False,
            alert=f"{exc}\n\nPress 'Load anyway' (below) to read it, 'Export as script' to run it "
            "elsewhere (e.g. on a dask cluster), 'Ask Harmony instead' for a NASA Harmony request "
            "that subsets it on the service, or narrow the selection.",
            alert_level="warning",
        )
        self._lazy_code(request)

    def _lazy_code(self, request: Request) -> None:
        """The script of a view not loaded yet (it plots what the app would)."""
        try:
            lazy = request.lazy()
            if not isinstance(lazy, xr.DataArray) and self.view not in COMPARING:
                raise InvalidInputError(f"the {VIEW_NAMES[self.view]} plots one variable at a time")
            plot = spec(lazy, self.view, where=reduction_text(request.selection))
            self.code = request.code(plot, coastlines=self._coastlines(self.view))
        except Exception as exc2:
            self._fail(exc2)
        self._sync_query()

    def _prepare(
        self, view: PlotKind, request: Request, limits: Limits, progress: Callable[[float], None]
    ) -> tuple[xr.DataArray | xr.Dataset, PlotSpec]:
        """Read the view's data and make its plot spec (no state changes: runs on any thread)."""
        # the cost shown is the one checked; on the cluster when the session has a client
        data = request.load(limits, progress=progress, client=self.client)
        if not isinstance(data, xr.DataArray) and view not in COMPARING:
            raise InvalidInputError(f"the {VIEW_NAMES[view]} plots one variable at a time")
        empty = nothing_to_draw(data)
        if empty is not None:
            raise InvalidInputError(empty)
        return data, spec(data, view, where=reduction_text(request.selection))

    def _load(self, view: PlotKind, request: Request, confirmed: bool) -> ViewResult | None:
        started = time.perf_counter()
        self.param.update(busy=True, progress=0, needs_confirmation=False, pending=False)
        try:
            prepared = self._prepare(
                view, request, NO_LIMITS if confirmed else self.limits, self._progress
            )
        except Exception as exc:
            self._fail(exc)
            self._sync_query()
            return None
        return self._finish(view, request, prepared, started)

    def _load_in_background(
        self, view: PlotKind, request: Request, confirmed: bool, key: Any
    ) -> None:
        background = self.background
        assert background is not None
        ticket = Ticket(view, key)
        self._running = ticket
        started = time.perf_counter()
        self.param.update(
            busy=True,
            progress=0,
            needs_confirmation=False,
            pending=False,
            status=f"Loading the {VIEW_NAMES[view]} ({request.cost().summary()})…",
        )
        limits = NO_LIMITS if confirmed else self.limits
        progress = background.progress(ticket, lambda p: setattr(self, "progress", p))

        def done(outcome: tuple[xr.DataArray | xr.Dataset, PlotSpec] | BaseException) -> None:
            if self._running is not ticket:
                return  # replaced or cancelled meanwhile
            self._running = None
            if isinstance(outcome, BaseException):
                self._fail(outcome)
                self._sync_query()
            else:
                self._finish(view, request, outcome, started)

        background.run(ticket, lambda: self._prepare(view, request, limits, progress), done)

    def _finish(
        self,
        view: PlotKind,
        request: Request,
        prepared: tuple[xr.DataArray | xr.Dataset, PlotSpec],
        started: float,
    ) -> ViewResult:
        data, plot = prepared
        plot = self._fixed_colors(view, plot)
        seconds = time.perf_counter() - started
        result = ViewResult(
            view, request.selection, data, plot, request.cost(), seconds, self._store_key(), request
        )
        self._stale.discard(view)
        self._clear()
        self.param.update(**{f"{view}_result": result}, busy=False, progress=100, pending=False)
        self._show_code(result)
        values = data.size if isinstance(data, xr.DataArray) else sum(v.size for v in data.values())
        self.status = f"{view}: {values:,} values in {result.seconds * 1000:.0f} ms"
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
