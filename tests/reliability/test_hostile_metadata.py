"""Hostile metadata in a real granule: variable names and attributes holding Python code, HTML and
control characters. Virtualized into an Icechunk store, the exported script never executes the code
(a canary file it would create stays absent) and the app escapes the HTML in every model that the
browser renders as HTML.
"""

from __future__ import annotations

import html
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import netCDF4
import numpy as np
import pytest

from vstore_explorer.build.icechunk_store import build_icechunk
from vstore_explorer.catalog.links import StoreLink
from vstore_explorer.catalog.records import Collection
from vstore_explorer.compute import load, to_code
from vstore_explorer.selection import Selection
from vstore_explorer.stores.open import connect

# each would create a file next to the script if it ever ran as code
CODE_NAME = 'x"); open("pwned_name.txt", "w"); ("'
CODE_NAME_2 = "y'] + [__import__('os').system('touch pwned_system.txt')] + ['"
HTML_NAME = "sst <img src=x onerror=alert(1)>"
CODE_ATTR = '"""; open("pwned_attr.txt", "w"); """'
SCRIPT_ATTR = "<script>alert('xss')</script>"
CONTROL = "bell\x07 escape\x1b[31m return\r tab\t end"
NAMES = (CODE_NAME, CODE_NAME_2, HTML_NAME)
CANARIES = ("pwned_name.txt", "pwned_system.txt", "pwned_attr.txt")


def write_hostile_granules(folder: Path) -> list[Path]:
    """Two daily granules (4x8 grid) whose variables carry hostile names and attributes."""
    paths = []
    for day in range(2):
        path = folder / f"hostile_{day}.nc"
        with netCDF4.Dataset(path, "w") as nc:
            nc.title = SCRIPT_ATTR
            nc.summary = CODE_ATTR + CONTROL
            nc.createDimension("time", 1)
            nc.createDimension("lat", 4)
            nc.createDimension("lon", 8)
            t = nc.createVariable("time", "f8", ("time",))
            t.units, t.calendar = "days since 2020-01-01", "standard"
            t[:] = [day]
            lat = nc.createVariable("lat", "f4", ("lat",))
            lat.units, lat[:] = "degrees_north", np.linspace(-67.5, 67.5, 4)
            lon = nc.createVariable("lon", "f4", ("lon",))
            lon.units, lon[:] = "degrees_east", np.linspace(-157.5, 157.5, 8)
            for i, name in enumerate(NAMES):
                var = nc.createVariable(name, "f4", ("time", "lat", "lon"), zlib=True)
                var.long_name = [SCRIPT_ATTR, CODE_ATTR, CONTROL][i]
                var.units = "<b onmouseover=alert(2)>K</b>"
                var[:] = np.full((1, 4, 8), 10.0 * i + day, dtype="f4")
        paths.append(path)
    return paths


@pytest.fixture(scope="module")
def hostile_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("hostile")
    (root / "granules").mkdir()
    files = write_hostile_granules(root / "granules")
    build_icechunk(files, root / "hostile.icechunk")
    return root / "hostile.icechunk"


def test_hostile_names_survive_virtualization(hostile_store: Path) -> None:
    ds = connect(hostile_store).dataset
    assert set(NAMES) <= set(ds.data_vars)
    assert ds[NAMES[0]].attrs["long_name"] == SCRIPT_ATTR
    assert ds[NAMES[2]].attrs["long_name"] == CONTROL


@pytest.mark.parametrize("name", NAMES)
def test_exported_script_never_executes_hostile_metadata(
    hostile_store: Path, tmp_path: Path, name: str
) -> None:
    handle = connect(hostile_store)
    sel = Selection(variables=(name,), time=("2020-01-02", "2020-01-02"), point=(0.0, 0.0))
    expected = load(handle, sel)
    code = to_code(handle, sel)
    compile(code, "script.py", "exec")  # valid Python: the names are literals, not code
    script = tmp_path / "script.py"
    script.write_text(code + "\nprint(repr(float(result.values.ravel()[0])))\n")
    proc = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    for canary in CANARIES:
        assert not (tmp_path / canary).exists(), f"{canary}: hostile metadata was executed"
    assert float(proc.stdout.strip().splitlines()[-1]) == float(expected.values.ravel()[0])


def _html_texts(model: Any) -> list[str]:
    """The HTML a browser would insert for every model of a rendered document that renders HTML."""
    from bokeh.models import Div, Paragraph

    found = []
    for m in model.references():
        kind = type(m).__name__
        text = getattr(m, "text", None)
        if not isinstance(text, str) or not text:
            continue
        if kind == "HTML" or kind == "Markdown" or kind == "JSON":  # panel: HTML-escaped on wire
            found.append(html.unescape(text))
        elif isinstance(m, Div) and not getattr(m, "render_as_text", False):
            found.append(text)
        elif isinstance(m, Paragraph):
            continue  # plain text
    return found


_RAW_TAG = re.compile(r"<\s*(script|img)\b|<[^>]*\bon\w+\s*=", re.IGNORECASE)  # live tags only


def test_the_app_escapes_hostile_metadata(hostile_store: Path, render: Any) -> None:
    from panel.io.location import Location

    from vstore_explorer.app.explorer import Explorer
    from vstore_explorer.app.state import ExplorerState

    state = ExplorerState(None, source_is_local=False)
    app = Explorer(state, location=Location(), coastlines=False)
    link = StoreLink(url=str(hostile_store), kind="icechunk")
    collection = Collection(
        short_name="HOSTILE", title=SCRIPT_ATTR, abstract=HTML_NAME + CODE_ATTR, stores=(link,)
    )
    assert state.select_collection(collection), state.alert
    seen_views = []
    for name in NAMES:
        state.variable = name
        for view in ("map", "timeseries"):
            state.view = view
            if view == "timeseries":
                state.set_point(0.0, 0.0)
            assert not state.alert or state.alert_level != "danger", state.alert
            root = render(app)
            texts = _html_texts(root)
            assert texts  # there is rendered HTML to check
            joined = "\n".join(texts)
            hit = _RAW_TAG.search(joined)
            assert hit is None, joined[max(0, hit.start() - 300) : hit.end() + 200]
            assert "\x1b" not in joined and "\x07" not in joined
            seen_views.append((name, view, state.code.count("open(")))
    assert len(seen_views) == 6
    for name in NAMES:  # the code pane shows the names as literals
        state.variable = name
        compile(state.code, "pane.py", "exec")
