"""Two variables in Chromium: a second variable on the series' own axis, then the scatter of
one against the other, then back to one variable; and the plot saved as PNG from its toolbar.
Asserts on the data the browser's Bokeh sources hold, against the exported script's values."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import numpy as np
import pytest

from tests.plugins.browser import BrowserPage, ServedApp
from tests.ui.test_browser import (
    _FIGURE_JS,
    choose,
    code_text,
    open_app,
    page_url,
    shoot,
    type_number,
    wait_for_code,
    wait_until,
)
from tests.ui.test_browser_flows import _open_collection
from tests.ui.test_compare import _script_dataset

pytestmark = pytest.mark.browser
SST = "DEMO_25km-VSTOREDEMO-L4-GLOB-v01"
GLYPHS_JS = f"""
([pane, kind]) => {{
  const view = ({_FIGURE_JS})(pane);
  if (view === null) return null;
  const out = [];
  for (const renderer of view.model.renderers) {{
    if (!renderer.glyph || renderer.glyph.type !== kind) continue;
    const data = renderer.data_source.data;
    const columns = data instanceof Map ? Object.fromEntries(data) : data;
    out.push({{axis: renderer.y_range_name, columns: Object.fromEntries(
      Object.entries(columns).map(([key, values]) => [key, Array.from(values, Number)]))}});
  }}
  return out;
}}
"""


def _glyphs(page: Any, view: str, kind: str) -> list[dict[str, Any]]:
    """The glyphs of ``kind`` in the view's figure; [] while the view is not drawn (no wait)."""
    pane = page.locator(f".vx-plot-{view}")
    if pane.count() == 0:
        return []
    return page.evaluate(GLYPHS_JS, [pane.first.element_handle(), kind]) or []


def _tab(page: Any, title: str) -> None:
    """Show the plot tab ``title``, clicking again if a re-render swallowed the click."""
    header = page.locator(".vx-plots .bk-tab").filter(has_text=re.compile(f"^{title}$"))

    def active() -> bool:
        if "bk-active" in (header.first.get_attribute("class") or ""):
            return True
        header.first.click()
        return False

    wait_until(active, f"the {title!r} tab to show")


def test_a_second_variable_then_the_scatter_then_one_variable_again(
    served_app: ServedApp, new_page: Callable[[], BrowserPage], tmp_path: Path
) -> None:
    opened = open_app(served_app, new_page)
    page = opened.page
    _open_collection(page, SST, "foundation")
    page.locator(".vx-where").get_by_text("point", exact=True).click()
    type_number(page, "point-lon", -40.0)
    type_number(page, "point-lat", 30.0)
    wait_until(lambda: "point=-40.0,30.0" in unquote(page_url(page)), "the point in the address")
    _tab(page, "Time series")
    wait_until(lambda: len(_glyphs(page, "timeseries", "Line")) == 1, "one line", 60)
    choose(page, "compare", "analysis_error")
    lines = wait_until(
        lambda: len(g := _glyphs(page, "timeseries", "Line")) == 2 and g, "two lines"
    )
    assert {line["axis"] for line in lines} == {"default", "analysis_error"}  # twin axes
    script = _script_dataset(wait_for_code(page, "twin_lines(", '"analysis_error"'), tmp_path)
    for line in lines:
        name = "analysis_error" if line["axis"] == "analysis_error" else "analysed_sst"
        np.testing.assert_allclose(line["columns"][name], script[name], rtol=1e-6)
    shoot(page, "twin-series", ".vx-plots")

    with page.expect_download() as saved:  # the toolbar's save tool: a PNG of the plot
        page.locator(".vx-plot-timeseries .bk-tool-icon-save").first.click()
    assert saved.value.suggested_filename == (
        "DEMO_25km-VSTOREDEMO-L4-GLOB-v01_analysed_sst_analysis_error_timeseries.png"
    )
    png = Path(saved.value.path()).read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5000

    page.locator(".vx-where").get_by_text("box", exact=True).click()  # a box: a point per cell
    for side, value in (("west", -60.0), ("south", 0.0), ("east", -30.0), ("north", 30.0)):
        type_number(page, f"bbox-{side}", value)
    _tab(page, "Scatter")
    points = wait_until(lambda: _glyphs(page, "scatter", "Scatter"), "the scatter's points", 60)
    code = wait_for_code(page, "hvplot.scatter(", "groupby=[]")
    values = _script_dataset(code, tmp_path)
    drawn = np.sort(np.asarray(points[0]["columns"]["analysed_sst"], dtype=float))
    np.testing.assert_allclose(drawn, np.sort(values["analysed_sst"].ravel()), rtol=1e-6)
    shoot(page, "scatter", ".vx-plots")

    choose(page, "compare", "(none)")  # back to one variable: the scatter says why it is empty
    alert = page.locator(".vx-alert")
    wait_until(lambda: alert.get_by_text("pick one to compare with").count() > 0, "the reason")
    _tab(page, "Time series")
    wait_until(lambda: len(_glyphs(page, "timeseries", "Line")) == 1, "one line again")
    assert "twin_lines" not in code_text(page)
