"""Second-use flows in Chromium (#14), asserting on what the browser holds: the clipboard after
"Copy code", the map's ranges after switching collections and back, and a served app with
``--max-read-bytes``: the whole explanation beside the plot, "Load anyway" and "Export as
script" beside it, and the map once confirmed."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.plugins.browser import BrowserPage, ServedApp, serving, wait_for_map
from tests.ui.test_browser import (
    _FIGURE_JS,
    choose,
    code_text,
    open_app,
    show_search,
    wait_for_code,
    wait_until,
)

pytestmark = pytest.mark.browser
SST = "DEMO_25km-VSTOREDEMO-L4-GLOB-v01"
GLDAS = "GLDAS_NOAH025_3H_DEMO"
RANGES_JS = f"""
(pane) => {{
  const view = ({_FIGURE_JS})(pane);
  if (view === null) return null;
  const m = view.model;
  return [m.x_range.start, m.x_range.end, m.y_range.start, m.y_range.end];
}}
"""


def _ranges(page: Any) -> list[float] | None:
    handle = page.locator(".vx-plot-map").first.element_handle()
    return page.evaluate(RANGES_JS, handle)


def _open_collection(page: Any, short_name: str, keyword: str) -> None:
    """Search with ``keyword`` (Enter searches), then open ``short_name`` from the results."""
    show_search(page)
    box = page.locator(".vx-keyword input")
    box.fill(keyword)
    box.press("Enter")
    results = page.locator(".vx-results")
    wait_until(
        lambda: page.locator(".vx-status").get_by_text("1 collection(s) found").count() == 1,
        f"the search for {keyword!r}",
    )
    wait_until(lambda: results.locator(".tabulator-row").count() == 1, "the table to show it")
    results.get_by_text(short_name).first.click()
    wait_for_code(page, f"stores/{short_name}.icechunk")


def test_copy_code_puts_the_script_on_the_clipboard(
    served_app: ServedApp, new_page: Callable[[], BrowserPage]
) -> None:
    opened = open_app(served_app, new_page)
    page = opened.page
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    script = wait_for_code(page, "result = ds[")
    page.locator(".vx-copy button").click()
    copied = wait_until(lambda: page.evaluate("navigator.clipboard.readText()"), "the clipboard")
    assert copied == script == code_text(page) and "undefined" not in copied


def test_the_map_takes_each_collections_extent_after_a_switch_and_back(
    served_app: ServedApp, new_page: Callable[[], BrowserPage]
) -> None:
    opened = open_app(served_app, new_page)
    page = opened.page
    _open_collection(page, SST, "foundation")
    wait_for_code(page, '"analysed_sst"')
    global_sst = wait_until(lambda: _ranges(page), "the SST map's ranges")
    assert global_sst[2] <= -89 and global_sst[3] >= 89
    _open_collection(page, GLDAS, "GLDAS")  # a land product over 60°S-90°N
    land = wait_until(
        lambda: (r := _ranges(page)) and r[2] > -61 and r, "the land map at its own extent"
    )
    assert land[3] >= 89
    _open_collection(page, SST, "foundation")  # back: the whole globe, not cut at 60°S
    again = wait_until(
        lambda: (r := _ranges(page)) and r[2] <= -89 and r, "the SST map at the global extent"
    )
    assert again[3] >= 89


@pytest.fixture(scope="module")
def limited_app(demo_records: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("limited")
    with serving(demo_records, folder, "--max-read-bytes", "1kB") as (url, *_):
        yield url


def test_over_the_limit_the_explanation_and_its_choices_sit_beside_the_plot(
    limited_app: str, new_page: Callable[[], BrowserPage], tmp_path: Path
) -> None:
    opened = new_page()
    page = opened.page
    page.goto(limited_app)
    alert = page.locator(".vx-alert")
    wait_until(lambda: alert.get_by_text("To narrow it").count() > 0, "the whole explanation")
    for part in ("request stopped before reading", "(limit 1.0 kB)", "Asked for:", "Cost:"):
        assert alert.get_by_text(part).count() > 0, part
    confirm = page.locator(".vx-confirm button")
    export = page.locator(".vx-export-script button")
    assert confirm.is_visible() and export.is_visible()
    # beside the plot: in the main column, above the plot tabs, not at the top of the page
    main = page.locator(".vx-main").first.bounding_box()
    box = alert.first.bounding_box()
    assert box["x"] >= main["x"] and box["y"] <= page.locator(".vx-plots").first.bounding_box()["y"]
    with page.expect_download() as download:
        export.click()
    script = Path(download.value.path()).read_text()
    assert script == code_text(page) and "result = ds[" in script
    harmony = page.locator(".vx-export-harmony button")  # or hand it to NASA Harmony
    assert harmony.is_visible()
    with page.expect_download() as download:
        harmony.click()
    request = Path(download.value.path()).read_text()
    assert "Collection(id=" in request and "client.submit(request)" in request

    downloads: list[Any] = []  # the subset above the limit: refused, not an empty file
    page.on("download", lambda d: downloads.append(d))
    page.locator(".vx-download-nc button").click()
    wait_until(lambda: alert.get_by_text("request stopped before reading").count() > 0, "refusal")
    page.wait_for_timeout(2000)
    assert downloads == []
    confirm.click()
    wait_for_map(page)
    wait_until(lambda: not alert.is_visible(), "the alert to go once loaded")


def test_a_version_whose_record_ends_earlier_keeps_the_start_and_ends_at_its_own_end(
    served_app: ServedApp, new_page: Callable[[], BrowserPage]
) -> None:
    opened = open_app(served_app, new_page)
    page = opened.page
    _open_collection(page, SST, "foundation")
    times = page.locator(".vx-time-start option").all_inner_texts()
    choose(page, "time-start", times[1])
    choose(page, "time-end", times[-1])
    wait_for_code(page, f'slice("{times[1]}", "{times[1]}")')
    page.locator(".vx-version select").select_option(label="tag v1")  # ends before main's end
    wait_for_code(page, "tag v1")
    v1_times = wait_until(
        lambda: (t := page.locator(".vx-time-end option").all_inner_texts()) != times and t,
        "tag v1's time steps",
    )
    assert len(v1_times) < len(times)
    wait_until(
        lambda: page.locator(".vx-time-start select").input_value() == times[1],
        "the start to stay",
    )
    assert page.locator(".vx-time-end select").input_value() == v1_times[-1]
    url = page.evaluate("location.href")
    assert "version=tag:v1" in url and f"t={times[1]}" in url
