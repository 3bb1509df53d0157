"""The explorer in JupyterLab, in Debian's Chromium: a notebook calling ``explore()``, run all
cells; the search folded (a collection is open) unfolds to the results."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.plugins.browser import BrowserPage, JupyterLab, save_screenshot

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
    code = page.locator(f"{OUTPUT} .vx-code .ace_editor").first.evaluate(
        "el => el.env.editor.getValue()"
    )
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
