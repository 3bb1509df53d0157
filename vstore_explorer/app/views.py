"""The explorer's sections as Panel ``Viewer`` components, each taking the session's state.

Widgets are made from the state's parameters (``Widget.from_param``), so they and the state stay in
sync both ways. Every widget and pane has a stable ``vx-*`` CSS class for browser tests.
"""

from __future__ import annotations

from typing import Any

import panel as pn
import param
from panel.viewable import Viewer

from vstore_explorer.app.state import ExplorerState
from vstore_explorer.app.state.params import NoNone
from vstore_explorer.app.time_range import STEP_DROPDOWNS_UP_TO, TimeRangePicker
from vstore_explorer.app.ui_text import css as _css
from vstore_explorer.app.ui_text import safe_text as _text
from vstore_explorer.catalog.facets import FACET_LABELS, FACETS

SIDEBAR_WIDTH = 380
HALF = 180  # two widgets side by side in the sidebar
QUARTER = 85
# Tabler's "copy" icon (MIT) inline: an icon *name* makes Bokeh fetch a web font from a CDN.
COPY_ICON = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" fill="none" '
    'stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round">'
    '<path d="M7 9.667a2.667 2.667 0 0 1 2.667-2.667h8.666a2.667 2.667 0 0 1 2.667 2.667v8.666'
    'a2.667 2.667 0 0 1-2.667 2.667h-8.666a2.667 2.667 0 0 1-2.667-2.667z"/>'
    '<path d="M4.012 16.737a2.005 2.005 0 0 1-1.012-1.737v-10c0-1.1.9-2 2-2h10c.75 0 1.158.385 1.5 1"/>'
    "</svg>"
)


class SearchView(Viewer):
    """Keyword, box, dates and the virtual-store toggle; results in a table (click to open),
    narrowed by the facets of the last search (provider, platform, instrument, level). A card:
    folded when the app opens on a collection, so the subset is on the first screen."""

    state = param.ClassSelector(class_=ExplorerState, allow_None=NoNone)
    collapsed = param.Boolean(default=False, doc="Start folded (a collection is already open)")

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        s = self.state
        self.keyword = pn.widgets.TextInput.from_param(
            s.param.keyword,
            label="Keyword",
            placeholder="e.g. sea surface temperature",
            css_classes=_css("keyword"),
        )
        self.bbox = pn.widgets.TextInput.from_param(
            s.param.search_bbox,
            label="Box (W,S,E,N)",
            placeholder="-10,30,20,50",
            css_classes=_css("search-bbox"),
        )
        self.start = pn.widgets.DatePicker.from_param(
            s.param.search_start, label="From", width=HALF, css_classes=_css("search-start")
        )
        self.end = pn.widgets.DatePicker.from_param(
            s.param.search_end, label="To", width=HALF, css_classes=_css("search-end")
        )
        self.virtual = pn.widgets.Checkbox.from_param(
            s.param.has_virtual_store,
            label="Only with a virtual store",
            css_classes=_css("has-virtual-store"),
        )
        self.button = pn.widgets.Button(
            label="Search", color="primary", css_classes=_css("search-button")
        )

        def search(_event: param.parameterized.Event) -> None:
            s.search()

        self.button.on_click(search)
        self.keyword.param.watch(search, "enter_pressed")  # Enter searches too
        # choices "VALUE (COUNT)" -> value, set by each search; a pick filters the table at once
        self.facets = {
            name: pn.widgets.Select.from_param(
                getattr(s.param, f"facet_{name}"),
                label=FACET_LABELS[name],
                width=HALF,
                css_classes=_css(f"facet-{name}"),
            )
            for name in FACETS
        }
        self.table = pn.widgets.Tabulator(
            s.results_frame(),
            selectable=1,
            disabled=True,
            show_index=False,
            hidden_columns=["concept_id"],
            layout="fit_data",  # each column as wide as its longest value: ids are not cut
            configuration={"columnDefaults": {"tooltip": True}},
            frozen_columns=["short_name"],  # the id stays in view as the table scrolls sideways
            height=220,
            sizing_mode="stretch_width",
            css_classes=_css("results"),
        )
        self.table.param.watch(self._picked, "selection")
        s.param.watch(self._results, ["results", *(f"facet_{name}" for name in FACETS)])

    def _results(self, *_: Any) -> None:
        # new rows, nothing picked yet: else picking the row at the index picked before (the
        # first, after a new search) would not change the selection, and nothing would open
        self.table.param.update(value=self.state.results_frame(), selection=[])

    def _picked(self, event: param.parameterized.Event) -> None:
        if event.new:  # a row of the table: of the filtered results, not of all of them
            self.state.pick_row(int(event.new[0]))

    def __panel__(self) -> pn.viewable.Viewable:
        return pn.Card(
            self.keyword,
            pn.Row(self.start, self.end),
            self.bbox,
            self.virtual,
            self.button,
            pn.Row(self.facets["provider"], self.facets["platform"]),
            pn.Row(self.facets["instrument"], self.facets["level"]),
            self.table,
            title="Search collections",
            collapsed=self.collapsed,
            css_classes=_css("search"),
            header_css_classes=_css("search-header"),
            sizing_mode="stretch_width",
        )


class CollectionView(Viewer):
    """The chosen collection: abstract, extents, stores, and the store/version pickers."""

    state = param.ClassSelector(class_=ExplorerState, allow_None=NoNone)

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        s = self.state
        self.about = pn.pane.Markdown(
            self._about(), css_classes=_css("collection-about"), sizing_mode="stretch_width"
        )
        self.store = pn.widgets.Select.from_param(
            s.param.store, label="Store", width=HALF, css_classes=_css("store")
        )
        self.version = pn.widgets.Select.from_param(
            s.param.version, label="Version", width=HALF, css_classes=_css("version")
        )
        self.group = pn.widgets.Select.from_param(
            s.param.group, label="Group", css_classes=_css("group"), visible=self._groups()
        )
        s.param.watch(lambda *_: setattr(self.about, "object", self._about()), "collection")
        s.param.watch(lambda *_: setattr(self.group, "visible", self._groups()), "handle")

    def _groups(self) -> bool:
        """Whether the open store has several groups to pick from."""
        handle = self.state.handle
        return handle is not None and len(handle.groups) > 1

    def _about(self) -> str:
        c = self.state.collection
        if c is None:
            return "*Pick a collection in the results.*"
        box = c.bbox
        extent = ", ".join(f"{v:g}" for v in box.as_tuple()) if box else "-"
        abstract = _text(c.abstract if len(c.abstract) < 600 else c.abstract[:600] + "…")
        stores = (
            "\n".join(f"- **{link.kind}** <code>{_text(link.url)}</code>" for link in c.stores)
            or "- none"
        )
        kinds = ", ".join(dict.fromkeys(link.kind for link in c.stores)) or "none"
        return (
            f"**{_text(c.title)}**  \n<code>{_text(c.short_name)}</code> {_text(c.version)} · "
            f"{_text(c.provider or '')} · {_text(c.concept_id or '')}\n\n"
            f"<details><summary>Abstract</summary>\n\n{abstract}\n\n</details>\n\n"
            f"**Time:** {c.time_range_text()}  \n**Box (W,S,E,N):** {extent}\n\n"
            f"<details><summary>Virtual stores: {_text(kinds)}</summary>\n\n{stores}\n\n"
            "</details>"
        )

    def __panel__(self) -> pn.viewable.Viewable:
        return pn.Column(
            "### Collection",
            self.about,
            pn.Row(self.store, self.version),
            self.group,
            css_classes=_css("collection"),
            sizing_mode="stretch_width",
        )


class SubsetView(Viewer):
    """Variable, time range, box, point, level, preview stride; the cost; the confirmation."""

    state = param.ClassSelector(class_=ExplorerState, allow_None=NoNone)

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        s = self.state
        self.variable = pn.widgets.Select.from_param(
            s.param.variable, label="Variable", css_classes=_css("variable")
        )
        self.compare = pn.widgets.Select.from_param(
            s.param.compare,
            label="Compare with (series' 2nd axis, scatter)",
            css_classes=_css("compare"),
        )
        self.time_start = pn.widgets.Select.from_param(
            s.param.time_start, label="From", width=HALF, css_classes=_css("time-start")
        )
        self.time_end = pn.widgets.Select.from_param(
            s.param.time_end, label="To", width=HALF, css_classes=_css("time-end")
        )
        self.where = pn.widgets.RadioButtonGroup.from_param(
            s.param.where, label="Where", css_classes=_css("where")
        )
        self.box = {
            side: pn.widgets.FloatInput.from_param(
                getattr(s.param, side),
                label=side.capitalize(),
                width=QUARTER,
                css_classes=_css(f"bbox-{side}"),
            )
            for side in ("west", "south", "east", "north")
        }
        self.point = {
            name: pn.widgets.FloatInput.from_param(
                getattr(s.param, name), label=label, width=HALF, css_classes=_css(f"point-{name}")
            )
            for name, label in (("lon", "Longitude"), ("lat", "Latitude"))
        }
        self.level = pn.widgets.Select.from_param(
            s.param.level, label="Level", width=HALF, css_classes=_css("level")
        )
        self.stride = pn.widgets.IntInput.from_param(
            s.param.stride, label="Preview stride", width=HALF, css_classes=_css("stride")
        )
        self.mask_invalid = pn.widgets.Checkbox.from_param(
            s.param.mask_invalid,
            name="Mask values outside the valid range",
            css_classes=_css("mask-invalid"),
        )
        self.mask_flags = pn.widgets.Checkbox.from_param(
            s.param.mask_flags,
            name="Mask flag codes (CF flag_values: land, ice, no data...)",
            css_classes=_css("mask-flags"),
        )
        self.cost = pn.pane.Markdown(
            self._cost(), css_classes=_css("cost"), sizing_mode="stretch_width"
        )
        s.param.watch(lambda *_: setattr(self.cost, "object", self._cost()), "cost_text")
        s.param.watch(self._levels, "level")
        self.dates = TimeRangePicker(state=s)  # the range as dates, limited to the store's
        self.steps = pn.Row(self.time_start, self.time_end)  # exact steps, for short records
        s.param.watch(self._steps, "handle")
        self._steps()
        self._levels()

    def _cost(self) -> str:
        text = self.state.cost_text
        return f"**Cost:** {_text(text)}" if text else "**Cost:** -"

    def _steps(self, *_: Any) -> None:
        self.steps.visible = len(self.state.times) <= STEP_DROPDOWNS_UP_TO

    def _levels(self, *_: Any) -> None:
        self.level.visible = bool([v for v in self.state.param.level.objects if v is not None])

    def __panel__(self) -> pn.viewable.Viewable:
        return pn.Column(
            "### Subset",
            self.variable,
            self.compare,
            self.dates,
            self.steps,
            self.where,
            self.cost,  # right under what decides it, on the first screen
            pn.Row(*self.box.values()),
            pn.Row(*self.point.values()),
            pn.Row(self.level, self.stride),
            self.mask_invalid,
            self.mask_flags,
            css_classes=_css("subset"),
            sizing_mode="stretch_width",
        )
