"""The explorer in JupyterLab, in Debian's Chromium: a notebook calling ``explore()``, run all
cells; the search folded (a collection is open) unfolds to the results; then a sequence in the
notebook's output (a tapped point, its series in the Bokeh source, the map again, another
variable picked after those tab switches: applied in the kernel, its series in the browser)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.plugins.browser import BrowserPage, JupyterLab, save_screenshot
from tests.ui.test_browser import LINE_DATA_JS, tap_map, wait_until

pytestmark = pytest.mark.browser

SST = "DEMO_25km-VSTOREDEMO-L4-GLOB-v01"
OUTPUT = ".jp-Notebook .jp-OutputArea"


def notebook(*sources: str) -> dict:
    """A notebook (nbformat 4) of code cells, on the ``python3`` kernel."""
    cells = [
        {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": s}
        for s in sources
    ]
    kernel = {"display_name": "Python 3", "language": "python", "name": "python3"}
    return {"cells": cells, "metadata": {"kernelspec": kernel}, "nbformat": 4, "nbformat_minor": 5}


def test_explore_renders_in_a_jupyterlab_notebook(
    jupyter_lab: JupyterLab, new_page: Callable[[], BrowserPage], demo_records: str
) -> None:
    cells = notebook(
        "import panel as pn\n\npn.extension()",
        f"import vstore_explorer as vx\n\napp = vx.explore({demo_records!r}, collection={SST!r})\n"
        "app",
        "print(app.state.variable, app.state.map_result.data.shape)",
    )
    path: Path = jupyter_lab.root / "explore.ipynb"
    path.write_text(json.dumps(cells))
    opened = new_page()
    page = opened.page
    page.goto(f"{jupyter_lab.url}lab/tree/{path.name}")
    page.wait_for_function("() => window.jupyterapp !== undefined", timeout=60_000)
    page.locator(".jp-Notebook .jp-Cell").first.wait_for(state="visible", timeout=60_000)
    page.wait_for_function(  # the kernel has started
        "() => { const w = window.jupyterapp.shell.currentWidget;"
        " return w && w.sessionContext && w.sessionContext.session"
        " && w.sessionContext.session.kernel"
        " && w.sessionContext.session.kernel.connectionStatus === 'connected'; }",
        timeout=60_000,
    )
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")

    page.locator(f"{OUTPUT} .vx-explorer").first.wait_for(state="visible", timeout=120_000)
    page.locator(f"{OUTPUT} .vx-plot-map canvas").first.wait_for(state="visible", timeout=60_000)
    page.locator(f"{OUTPUT} .vx-search-header").first.click()  # folded: a collection is open
    results = page.locator(f"{OUTPUT} .vx-results")
    results.get_by_text(SST).first.wait_for(state="visible", timeout=30_000)
    assert page.locator(f"{OUTPUT} .vx-variable select").input_value() == "analysed_sst"
    code = _code(page)
    assert 'result = ds["analysed_sst"]' in code and SST in code
    printed = page.locator(OUTPUT).get_by_text("analysed_sst (1, 720, 1440)")
    printed.wait_for(state="visible", timeout=60_000)  # the last cell ran after the app
    assert page.locator(OUTPUT).get_by_text("Traceback").count() == 0
    # the whole map fits in the output (narrower than a served page: the plots wrap below)
    output = page.locator(".jp-Cell").nth(1).locator(".jp-OutputArea-output").first.bounding_box()
    plot = page.locator(f"{OUTPUT} .vx-plot-map").first.bounding_box()
    assert plot["x"] + plot["width"] <= output["x"] + output["width"] + 1, (plot, output)
    news = page.get_by_role("button", name="No", exact=True)  # "notified about Jupyter news?"
    if news.count():
        news.first.click()
        news.first.wait_for(state="detached", timeout=10_000)
    page.locator(f"{OUTPUT} .vx-plots").first.scroll_into_view_if_needed()
    save_screenshot(page.screenshot(), "jupyterlab")

    # then a sequence in the output, as in a served page: a point, its series in the browser's
    # Bokeh source, the map again
    _idle(page)
    per_px = tap_map(page, -40.0, 30.0)  # a tap on the map picks the point
    lon = page.locator(f"{OUTPUT} .vx-point-lon input")
    wait_until(
        lambda: lon.input_value() and abs(float(lon.input_value()) + 40) <= 2 * per_px,
        "the tapped point in the inputs",
    )
    _tab(page, "Time series")
    series = _series(page, "the point's series")
    values = series["analysed_sst"]
    assert len(values) == 6 and all(270 < v < 310 for v in values)  # six days, in kelvin

    _tab(page, "Map")  # and back: the map is drawn again, its point marked
    page.locator(f"{OUTPUT} .vx-plot-map canvas").first.wait_for(state="visible", timeout=60_000)
    assert abs(float(lon.input_value()) + 40) <= 2 * per_px

    # another variable after the tab switches (Panel re-held the document in the middle of a
    # browser message: the pick waited for the next one; app/notebook_root.py)
    _idle(page)
    page.locator(f"{OUTPUT} .vx-variable select").first.select_option("analysis_error")
    _wait(page, lambda: _kernel(page, "print(app.state.variable)").strip() == "analysis_error",
          "the variable picked in the output, in the kernel")  # fmt: skip
    _tab(page, "Time series")
    errors = _series(page, "the second variable's series", "analysis_error")["analysis_error"]
    assert len(errors) == 6 and all(0 <= v < 5 for v in errors)  # an uncertainty, in kelvin
    assert page.locator(OUTPUT).get_by_text("Traceback").count() == 0
    save_screenshot(page.screenshot(), "jupyterlab-sequence")


def _code(page: Any) -> str:
    return page.locator(f"{OUTPUT} .vx-code .ace_editor").first.evaluate(
        "el => el.env.editor.getValue()"
    )


def _kernel(page: Any, code: str) -> str:
    """What ``code`` prints, run in the notebook's kernel."""
    return page.evaluate(
        """code => new Promise(done => {
            const k = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
            const out = [];
            const f = k.requestExecute({code});
            f.onIOPub = m => { if (m.content.text) out.push(m.content.text);
                               if (m.content.evalue) out.push(m.content.evalue); };
            f.done.then(() => done(out.join("")));
        })""",
        code,
    )


def _idle(page: Any) -> None:
    """Wait for the kernel to be idle (what was sent has been handled), as a user waits for the
    page to settle before the next step."""
    page.wait_for_function(
        "() => window.jupyterapp.shell.currentWidget.sessionContext.session.kernel.status"
        " === 'idle'",
        timeout=90_000,
    )


def _tab(page: Any, name: str) -> None:
    _idle(page)
    tab = page.locator(f"{OUTPUT} .vx-plots").get_by_text(name, exact=True).first
    tab.scroll_into_view_if_needed()
    tab.click()


def _series(page: Any, what: str, variable: str = "analysed_sst") -> dict[str, list[float]]:
    """The series line's columns in the output's Bokeh source, once it holds ``variable``; on a
    timeout, what the output shows instead (alert, status, the panes rendered)."""

    def drawn() -> dict[str, list[float]] | None:
        pane = page.locator(f"{OUTPUT} .vx-plot-timeseries")
        if pane.count() == 0:
            return None
        data = page.evaluate(LINE_DATA_JS, pane.first.element_handle())
        return data if data and variable in data else None

    return _wait(page, drawn, what)


def _wait(page: Any, check: Callable[[], Any], what: str) -> Any:
    """``wait_until`` (90 s); on a timeout, what the output shows (alert, status, plots, code)."""
    try:
        return wait_until(check, what, 90)
    except AssertionError:
        save_screenshot(page.screenshot(), "jupyterlab-sequence-failed")
        texts = {
            name: page.locator(f"{OUTPUT} .vx-{name}").all_inner_texts()
            for name in ("alert", "status", "plots", "variable")
        }
        texts["code"] = [_code(page)[-300:]]
        texts["select"] = [
            f"{e.input_value()} visible={e.is_visible()}"
            for e in page.locator(".vx-variable select").all()
        ]
        texts["comm"] = [
            page.evaluate(
                """() => Bokeh.documents.flatMap(d => [...d.all_models].filter(
                    m => m.type === "CommManager" || m.constructor.name === "CommManager").map(
                    m => `buffer=${m._event_buffer.length} blocked=${m._blocked} `
                       + `left=${m._timeout - Date.now()} reconnect=${m._reconnect}`))"""
            )
        ]
        texts["kernel"] = [
            _kernel(
                page,
                "s = app.state; print(s.variable, s.view, repr(s.alert), s.held, repr(s.status), s.busy, s.pending)",
            )
        ]
        raise AssertionError(f"timed out waiting for {what}; the output shows {texts}") from None
