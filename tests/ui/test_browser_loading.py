"""The loading model in Chromium, on a server started with ``--apply-above 0`` (every change is
"costly"): a change waits for Apply, which shows the cost; the plot meanwhile keeps the previous
data, greyed; Apply loads it into the browser; going back to a loaded view needs no Apply."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.plugins.browser import BrowserPage, serving, wait_for_map
from tests.ui.test_browser import (
    code_text,
    line_data,
    run_script,
    shoot,
    type_number,
    wait_for_code,
    wait_until,
)
from tests.ui.test_browser_flows import _open_collection

pytestmark = pytest.mark.browser
SST = "DEMO_25km-VSTOREDEMO-L4-GLOB-v01"
OPACITY_JS = "el => getComputedStyle(el).opacity"


@pytest.fixture(scope="module")
def apply_app(demo_records: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("apply")
    with serving(demo_records, folder, "--apply-above", "0") as (url, *_):
        yield url


def _opacity(page: Any, view: str) -> float:
    return float(page.locator(f".vx-frame-{view}").first.evaluate(OPACITY_JS))


def _apply(page: Any) -> Any:
    button = page.locator(".vx-apply button")
    wait_until(button.is_visible, "the Apply button")
    return button


def test_changes_wait_for_apply_the_old_plot_greyed_then_the_new_data(
    apply_app: str, new_page: Callable[[], BrowserPage], tmp_path: Path
) -> None:
    opened = new_page()
    page = opened.page
    page.goto(apply_app)
    _apply(page).click()  # even the first map waits, at --apply-above 0
    wait_for_map(page)
    _open_collection(page, SST, "foundation")
    apply = _apply(page)
    assert "chunks" in apply.inner_text()
    apply.click()
    wait_for_map(page)
    wait_until(lambda: _opacity(page, "map") == 1.0, "the map drawn at full strength")

    page.locator(".vx-where").get_by_text("point", exact=True).click()
    type_number(page, "point-lon", -40.0)
    type_number(page, "point-lat", 30.0)
    page.locator(".vx-plots").get_by_text("Time series", exact=True).click()
    apply = _apply(page)
    assert "chunks" in apply.inner_text()
    script = wait_for_code(page, '"lat": 30.0, "lon": -40.0')  # there before loading
    status = page.locator(".vx-status")
    wait_until(lambda: status.get_by_text("press Apply").count(), "the status to say why it waits")
    shoot(page, "apply-waiting")
    apply.click()
    shown = wait_until(lambda: line_data(page, "timeseries"), "the series in the browser")
    values = shown["analysed_sst"]
    assert len(values) == 6 and all(np.isfinite(values))  # the tiny demo's six days
    result = run_script(code_text(page), tmp_path)
    np.testing.assert_allclose(result["values"], values, rtol=1e-6)
    assert script == code_text(page)
    wait_until(lambda: not page.locator(".vx-apply button").is_visible(), "Apply to go")

    type_number(page, "point-lat", 20.0)  # a second point: waits again, the old line greyed
    _apply(page)
    wait_until(lambda: _opacity(page, "timeseries") < 0.5, "the previous series greyed")
    assert line_data(page, "timeseries")["analysed_sst"] == values  # still the first point's
    type_number(page, "point-lat", 30.0)  # back to the loaded point: shown at once, no Apply
    wait_until(lambda: not page.locator(".vx-apply button").is_visible(), "no Apply for it")
    wait_until(lambda: _opacity(page, "timeseries") == 1.0, "the series at full strength")
    assert line_data(page, "timeseries")["analysed_sst"] == values
