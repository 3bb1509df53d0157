"""The explorer's layout in Chromium: at 1400×900 the plot and the subset controls are on the
first screen; at 1100 px wide the plot comes before the sidebar; the results table shows whole
identifiers; the search unfolds and folds again; each step leaves a screenshot."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.plugins.browser import BrowserPage, ServedApp, wait_for_map
from tests.ui.test_browser import shoot, show_search, wait_until

pytestmark = pytest.mark.browser
SST = "DEMO_25km-VSTOREDEMO-L4-GLOB-v01"
CUT_JS = "el => el.scrollWidth > el.clientWidth + 1"


def _box(page: Any, selector: str) -> dict[str, float]:
    return page.locator(selector).first.bounding_box()


def test_first_screen_narrow_window_and_whole_identifiers(
    served_app: ServedApp, new_page: Callable[[], BrowserPage]
) -> None:
    opened = new_page()
    page = opened.page
    page.set_viewport_size({"width": 1400, "height": 900})
    page.goto(served_app.url)
    wait_for_map(page)
    shoot(page, "first-screen-1400x900")
    plot, sidebar = _box(page, ".vx-plot-map"), _box(page, ".vx-sidebar")
    assert plot["x"] >= sidebar["x"] + sidebar["width"]  # side by side
    assert plot["y"] < 900 and plot["y"] + plot["height"] / 2 < 900  # the map on screen
    for widget in ("variable", "time-start", "where", "cost"):  # the subset on screen too
        box = _box(page, f".vx-{widget}")
        assert box["y"] + box["height"] <= 900, f"{widget} is below the first screen: {box}"

    show_search(page)  # unfolded: whole identifiers in the results
    results = page.locator(".vx-results")
    wait_until(lambda: results.get_by_text(SST).count() > 0, "the results")
    cell = results.locator('.tabulator-cell[tabulator-field="short_name"]').get_by_text(SST)
    assert not cell.first.evaluate(CUT_JS), "the short name is cut in the results table"
    shoot(page, "search-unfolded")
    page.locator(".vx-search-header").first.click()  # folded again: the subset comes back up
    wait_until(lambda: not page.locator(".vx-keyword input").is_visible(), "the search folded")

    page.set_viewport_size({"width": 1100, "height": 900})  # narrower: the plot comes first
    wait_until(
        lambda: _box(page, ".vx-plot-map")["y"] < _box(page, ".vx-sidebar")["y"],
        "the plot above the sidebar at 1100 px",
    )
    plot = _box(page, ".vx-plot-map")
    assert plot["y"] < 300 and plot["x"] + plot["width"] <= 1100
    shoot(page, "narrow-1100")
