"""Search facets in the explorer, without a browser, on the tiny demo: the facet menus count the
search's results, a pick narrows the results table at once (no new search), and a row of the
narrowed table opens that row's collection."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

SST = "DEMO_25km-VSTOREDEMO-L4-GLOB-v01"
AIRS = "AIRS3STD_DEMO"
GLDAS = "GLDAS_NOAH025_3H_DEMO"


def test_facets_narrow_the_results_and_rows_open_the_narrowed_ones(
    make_explorer: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_explorer()
    state, view = app.state, app.search_view
    assert {c.short_name for c in state.results} == {SST, AIRS, GLDAS}
    facets = state.facets
    assert dict(facets.provider) == {"VSTOREDEMO": 3}
    assert dict(facets.level) == {"4": 2, "3": 1}
    assert dict(facets.platform) == {"AQUA": 1, "GCOM-W1": 1, "MODELS": 1, "Suomi-NPP": 1}
    assert facets.instrument["AIRS"] == 1 and facets.instrument["VIIRS"] == 1
    assert view.facets["level"].options == {"Any": "", "4 (2)": "4", "3 (1)": "3"}
    assert view.facets["provider"].options == {"Any": "", "VSTOREDEMO (3)": "VSTOREDEMO"}
    for name, widget in view.facets.items():
        assert widget.css_classes == [f"vx-facet-{name}"] and widget.value == ""

    searches: list[Any] = []
    search = state.catalog.search
    monkeypatch.setattr(
        state.catalog, "search", lambda *a, **k: searches.append(k) or search(*a, **k)
    )
    # a level whose first collection is not the first of all results: row 0 is another record
    first = state.results[0].short_name
    level = "3" if first != AIRS else "4"
    view.facets["level"].value = level  # a pick in the menu
    assert state.facet_level == level and searches == []  # filtered without searching again
    shown = [c.short_name for c in state.filtered_results]
    assert set(shown) == ({AIRS} if level == "3" else {SST, GLDAS}) and shown[0] != first
    assert shown == [c.short_name for c in state.results if c.short_name in shown]  # same order
    assert {c.short_name for c in state.results} == {SST, AIRS, GLDAS}  # what the catalog found
    assert list(view.table.value["short_name"]) == shown
    assert list(view.table.value["level"]) == [level] * len(shown)

    view.table.selection = [0]  # a click on the first row of the narrowed table
    assert state.collection is not None and state.collection.short_name == shown[0]
    assert state.handle is not None

    assert state.pick_row(len(shown)) is False and "no such row" in state.alert

    view.facets["level"].value = ""  # Any: every result again
    assert list(view.table.value["short_name"]) == [c.short_name for c in state.results]

    state.param.update(facet_platform="AQUA", facet_level="3")
    assert [c.short_name for c in state.filtered_results] == [AIRS]
    state.keyword = "foundation"  # a new search keeps the picks its results still have
    assert [c.short_name for c in state.search()] == [SST]
    assert len(searches) == 1
    assert (state.facet_platform, state.facet_level) == ("", "")  # SST is not on AQUA, not L3
    assert dict(state.facets.level) == {"4": 1}
    assert view.facets["platform"].options == {
        "Any": "",
        "GCOM-W1 (1)": "GCOM-W1",
        "Suomi-NPP (1)": "Suomi-NPP",
    }
    assert list(view.table.value["short_name"]) == [SST]
