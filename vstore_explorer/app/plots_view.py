"""The plots section: the map (time slider, animation, tap and box tools), the series and the
Hovmöller tabs, each a :class:`~vstore_explorer.app.live.LivePlot` of the session's results."""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

import panel as pn
import param
from panel.viewable import Viewer

from vstore_explorer.app.live import PLACEHOLDER, LivePlot, placeholder
from vstore_explorer.app.query import VIEWS
from vstore_explorer.app.state import ExplorerState
from vstore_explorer.app.state.params import NoNone
from vstore_explorer.app.ui_text import css as _css

FADED = ":host { transition: opacity 0.3s; } :host(.vx-stale) { opacity: 0.4; }"
VIEW_TITLES = MappingProxyType(
    {
        "map": "Map",
        "timeseries": "Time series",
        "hovmoller": "Hovmöller (latitude)",
        "hovmoller_lon": "Hovmöller (longitude)",
        "scatter": "Scatter",
    }
)


class PlotsView(Viewer):
    """Map (time slider, tap for a point, drag for a box), time series and Hovmöller tabs."""

    state = param.ClassSelector(class_=ExplorerState, allow_None=NoNone)
    coastlines = param.Boolean(default=True)

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        s = self.state
        self.live: dict[str, LivePlot] = {
            view: LivePlot(
                view,
                s,
                coastlines=self.coastlines,
                on_tap=s.set_point if view == "map" else None,
                on_box=s.set_box if view == "map" else None,
            )
            for view in VIEWS
        }
        self.panes: dict[str, pn.pane.HoloViews] = {
            view: pn.pane.HoloViews(
                live.object, linked_axes=False, css_classes=_css(f"plot-{view}"), name=view
            )
            for view, live in self.live.items()
        }
        # each plot in a frame that greys it while it is not current (a load runs, or waits for
        # Apply): the frame, not the HoloViews pane, whose style changes go straight to the Bokeh
        # figure, outside the document lock, from a widget's callback
        self.frames: dict[str, pn.Column] = {
            view: pn.Column(pane, css_classes=_css(f"frame-{view}"), stylesheets=[FADED])
            for view, pane in self.panes.items()
        }
        self.map_time = pn.widgets.DiscreteSlider.from_param(
            s.param.map_time, label="Map time", css_classes=_css("map-time"), width=420
        )
        self.player = pn.widgets.DiscretePlayer(  # linked by hand: from_param sends labels
            # where the Bokeh model wants an index
            options=list(s.param.map_time.objects),
            value=s.map_time if s.map_time in s.param.map_time.objects else None,
            name="Animate",
            interval=1000,
            loop_policy="loop",
            show_loop_controls=False,
            show_value=False,
            width=200,
            css_classes=_css("map-player"),
        )
        self.fixed_colors = pn.widgets.Checkbox.from_param(
            s.param.fixed_colors, name="Fixed colour range", css_classes=_css("fixed-colors")
        )
        self.map_mean = pn.widgets.Checkbox.from_param(
            s.param.map_mean, name="Time mean of the range", css_classes=_css("map-mean")
        )
        self.hint = pn.pane.Markdown(
            "Tap the map for a point's time series; drag with the box tool to select a box.",
            css_classes=_css("map-hint"),
        )
        self.tabs = pn.Tabs(
            (
                VIEW_TITLES["map"],
                pn.Column(
                    pn.Row(self.map_time, self.player),
                    pn.Row(self.map_mean, self.fixed_colors),
                    self.frames["map"],
                    self.hint,
                ),
            ),
            (VIEW_TITLES["timeseries"], self.frames["timeseries"]),
            (VIEW_TITLES["hovmoller"], self.frames["hovmoller"]),
            (VIEW_TITLES["hovmoller_lon"], self.frames["hovmoller_lon"]),
            (VIEW_TITLES["scatter"], self.frames["scatter"]),
            active=list(VIEWS).index(s.view),
            dynamic=True,
            css_classes=_css("plots"),
        )
        self.tabs.param.watch(self._tab, "active")
        s.param.watch(self._map_time, "map_time")
        self.player.param.watch(self._played, "value")
        s.param.watch(self._mean, "map_mean")
        self._mean()
        s.param.watch(self._view, "view")
        s.param.watch(self._dim, ["busy", "pending"])
        for view in VIEWS:
            s.param.watch(self._result, f"{view}_result")
            self._show(view)

    def _map_time(self, *_: Any) -> None:
        steps = list(self.state.param.map_time.objects)
        updates: dict[str, Any] = {}
        if list(self.player.options) != steps:
            updates["options"] = steps
        if self.state.map_time in steps and self.player.value != self.state.map_time:
            updates["value"] = self.state.map_time
        if updates:
            self.player.param.update(**updates)

    def _played(self, event: param.parameterized.Event) -> None:
        if event.new is not None and event.new != self.state.map_time:
            self.state.map_time = event.new

    def _mean(self, *_: Any) -> None:
        self.map_time.disabled = self.player.disabled = self.state.map_mean

    def _dim(self, *_: Any) -> None:
        """While a load runs or waits for Apply, the plot on show is the previous one: greyed."""
        waiting = self.state.busy or self.state.pending
        for view, frame in self.frames.items():
            classes = _css(f"frame-{view}") + (
                ["vx-stale"] if waiting and view == self.state.view else []
            )
            if frame.css_classes != classes:
                frame.css_classes = classes
        view = self.state.view
        if self.live[view].key is None:  # nothing drawn in this tab yet: say what it waits for
            text = PLACEHOLDER
            if self.state.pending:
                text = "Not loaded yet: press Apply above to load it"
            elif self.state.busy:
                text = "Loading…"
            self.panes[view].object = placeholder(text)

    def _tab(self, event: param.parameterized.Event) -> None:
        self.state.view = list(VIEWS)[event.new]

    def _view(self, event: param.parameterized.Event) -> None:
        self.tabs.active = list(VIEWS).index(event.new)

    def _result(self, event: param.parameterized.Event) -> None:
        self._show(event.name.removesuffix("_result"))

    def _show(self, view: str) -> None:
        live = self.live[view]
        try:
            if live.update(self.state.result(view)):
                self.panes[view].object = live.object
        except Exception as exc:  # a plot that cannot be drawn is a message, not a traceback
            self.state.report(exc)

    def dispose(self) -> None:
        """Drop the plots and the data they show (the session has closed: nothing is redrawn)."""
        for view, pane in self.panes.items():
            with param.parameterized.discard_events(pane):
                pane.object = None
            self.live[view].dispose()

    def __panel__(self) -> pn.viewable.Viewable:
        return self.tabs
