"""What ``vstore-explorer serve`` does for start-up time and memory (issues 7 and 8), without a
browser: datashader imported only when needed and warmed for the maps that need it, one coastline
path, one local catalog shared by sessions, and closed sessions' memory handed back.
"""

from __future__ import annotations

import asyncio
import gc
import json
import shutil
import subprocess
import sys
import time
import weakref
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.net import free_port
from vstore_explorer.app.sources import SessionSources, SharedLocalCatalog, session_sources
from vstore_explorer.coastlines import coastline, coastline_lines

ROOT = Path(__file__).resolve().parents[2]
SST = "DEMO_25km-VSTOREDEMO-L4-GLOB-v01"


def _fresh_python(code: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


# ------------------------------------------------------------------------------ start-up


def test_serving_imports_neither_datashader_nor_numba() -> None:
    """The app's modules (what ``serve`` imports before listening) leave datashader and numba
    (1-2 s of imports) to the first rasterized map or the background warm-up."""
    found = _fresh_python(
        "import json, sys\n"
        "import panel\n"
        "import vstore_explorer.app.cli, vstore_explorer.app.explorer\n"
        "print(json.dumps({m: m in sys.modules for m in ('datashader', 'numba', 'holoviews')}))\n"
    )
    assert found == {"datashader": False, "numba": False, "holoviews": True}


def test_serve_reaps_closed_sessions_sooner_than_bokeh_by_default() -> None:
    import argparse

    from vstore_explorer.app import cli

    parser = argparse.ArgumentParser()
    cli.add_arguments(parser)
    options = cli.serve_options(parser.parse_args([]))
    assert options["check_unused_sessions_milliseconds"] == 2_000  # Bokeh: 17 s
    assert options["unused_session_lifetime_milliseconds"] == 15_000  # Bokeh's, for slow pages


def _compiled() -> set[tuple[str, str]]:
    from numba.core.dispatcher import Dispatcher

    return {
        (o.py_func.__qualname__, str(sig))
        for o in gc.get_objects()
        if isinstance(o, Dispatcher)
        for sig in o.signatures
    }


@pytest.mark.slow
def test_warm_up_compiles_what_a_large_map_needs_in_the_background() -> None:
    """After the background warm-up, a large float32 map (shrunk by datashader, as the app's
    rasterized maps are) compiles nothing more: its first render costs no numba compilation."""
    import holoviews as hv
    import panel as pn
    import xarray as xr
    from bokeh.document import Document

    from vstore_explorer.app.live import rasterize, warm_up, warm_up_in_background

    thread = warm_up_in_background(0.0)
    thread.join(timeout=120)
    assert not thread.is_alive()
    assert warm_up() >= 0  # cached: the thread's result
    before = _compiled()
    assert any(name == "_downsample_2d_mean" for name, _ in before)
    lat, lon = np.linspace(-89.875, 89.875, 720), np.linspace(-179.875, 179.875, 1440)
    values = np.random.default_rng(0).random((720, 1440), dtype=np.float32)
    values[:10] = np.nan
    da = xr.DataArray(values, dims=("lat", "lon"), coords={"lat": lat, "lon": lon}, name="v")
    image = hv.Image(da, kdims=["lon", "lat"]).opts(frame_width=640, frame_height=320)
    pn.pane.HoloViews(rasterize(image)).get_root(Document())
    assert _compiled() - before == set()


def test_an_idle_server_prepares_the_first_session(demo_records: str) -> None:
    import threading

    from vstore_explorer.app.cli import prepare_in_background

    sources = session_sources(demo_records)
    prepare_in_background(sources, None, unless=threading.Event(), delay=0.0).join(60)
    assert sources._shared is not None  # resolved and read once, for the sessions to come
    assert sources().catalog.catalog._records is not None


def test_a_visitor_arriving_first_is_not_raced_by_the_preparation(demo_records: str) -> None:
    import threading

    from vstore_explorer.app.cli import prepare_in_background

    sources = session_sources(demo_records)
    visited = threading.Event()
    thread = prepare_in_background(sources, None, unless=visited, delay=5.0)
    visited.set()  # the first session started: it does the work itself
    thread.join(10)
    assert not thread.is_alive() and sources._shared is None


# ------------------------------------------------------------------------------ coastlines


def test_the_map_coastline_is_one_nan_separated_path_with_every_line() -> None:
    import holoviews as hv
    import panel as pn
    from bokeh.document import Document
    from bokeh.models import GlyphRenderer, MultiLine

    # every line, drawn exactly: tests/unit/test_coastlines.py; here, what Bokeh receives
    image = hv.Image(np.zeros((2, 2)), kdims=["lon", "lat"], bounds=(-180, -90, 180, 90))
    root = pn.pane.HoloViews(image * coastline("-180..180", kdims=("lon", "lat"))).get_root(
        Document()
    )
    (renderer,) = [
        r for r in root.select({"type": GlyphRenderer}) if isinstance(r.glyph, MultiLine)
    ]
    xs = renderer.data_source.data["xs"]
    breaks = np.isnan(np.asarray(xs[0], dtype=float)).sum()
    assert len(xs) == 1 and breaks == len(coastline_lines("-180..180")) - 1


# ------------------------------------------------------------------------------ shared catalog


def test_sessions_share_one_local_catalog_read_once(demo_records: str) -> None:
    sources = session_sources(demo_records)
    first, second = sources(), sources()
    assert first is second and first.local and first.describe.startswith("local records")
    assert isinstance(first.catalog, SharedLocalCatalog)
    found = first.catalog.search(limit=10)
    records = first.catalog.catalog._records
    assert records is not None and SST in {c.short_name for c in found}
    assert [c.short_name for c in second.catalog.search(short_name=SST)] == [SST]
    assert first.catalog.catalog._records is records  # not read again


def test_the_shared_catalog_sees_records_added_while_serving(
    demo_records: str, tmp_path: Path
) -> None:
    folder = tmp_path / "records"
    shutil.copytree(demo_records, folder)
    catalog = SessionSources(folder)().catalog
    assert SST in {c.short_name for c in catalog.search()}
    source = next(folder.rglob(f"{SST}.json"))
    record = json.loads(source.read_text())
    umm = record.get("umm", record)
    umm["ShortName"] = "ADDED_LATER"
    if "meta" in record:
        record["meta"]["concept-id"] = "C9999999999-ADDED"
    (source.parent / "added.json").write_text(json.dumps(record))
    assert "ADDED_LATER" in {c.short_name for c in catalog.search()}
    (source.parent / "added.json").unlink()
    assert "ADDED_LATER" not in {c.short_name for c in catalog.search()}


def test_a_missing_catalog_still_fails_in_each_session(tmp_path: Path) -> None:
    sources = SessionSources(tmp_path / "nowhere")
    for _ in range(2):
        with pytest.raises(FileNotFoundError, match="nowhere"):
            sources()


def test_cmr_sessions_get_a_client_each() -> None:
    sources = SessionSources("uat")
    first, second = sources(), sources()
    assert not first.local and first.catalog is not second.catalog
    assert first.describe == second.describe == "CMR https://cmr.uat.earthdata.nasa.gov/search/"


# ------------------------------------------------------------------------------ memory


def _rss_mb() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 2**20


def test_release_memory_collects_cycles_and_trims_the_heap() -> None:
    from vstore_explorer.app.memory import release_memory

    class Node:
        pass

    a, b = Node(), Node()
    a.other, b.other = b, a  # a cycle: only the collector frees it
    a.data = np.ones(1_000_000)
    alive = weakref.ref(a)
    gc.disable()
    try:
        del a, b
        assert alive() is not None
        baseline = _rss_mb()
        small = [bytes(200) for _ in range(600_000)]  # ~150 MB of small blocks in the heap
        grown = _rss_mb()
        del small
        trimmed = release_memory()
    finally:
        gc.enable()
    after = _rss_mb()
    assert alive() is None
    assert trimmed is sys.platform.startswith("linux")
    if trimmed:  # glibc handed the freed small blocks back
        assert grown - baseline > 100
        assert after - baseline < 0.25 * (grown - baseline), (baseline, grown, after)


def test_sessions_closing_together_share_one_release() -> None:
    from vstore_explorer.app.memory import MemoryRelease

    async def close_ten() -> int:
        release = MemoryRelease(delay=0.05)
        for _ in range(10):
            release.soon(None)
        await asyncio.sleep(0.5)
        release.soon(None)  # a later close: a release of its own
        await asyncio.sleep(0.5)
        return release.releases

    assert asyncio.run(close_ten()) == 2
    outside = MemoryRelease(delay=60)
    outside.soon(None)  # no event loop (not served): released at once
    assert outside.releases == 1


def test_dispose_drops_the_sessions_data_even_if_the_app_is_still_referenced(
    make_explorer: Any,
) -> None:
    import panel as pn
    from bokeh.document import Document

    app = make_explorer(warm=False)
    viewable = pn.panel(app)
    root = viewable.get_root(Document())
    state = app.state
    assert state.map_result is not None and state.handle is not None
    data = weakref.ref(state.map_result.data)
    viewable._cleanup(root)  # what the server does with a closed session's Bokeh models
    del root
    gc.collect()
    assert data() is not None  # the app (kept here) still holds its results
    app.dispose()
    assert (state.map_result, state.timeseries_result, state.handle) == (None, None, None)
    for live in app.plots_view.live.values():
        assert (live.pipe, live.dynamic, live.tap, live.object) == (None, None, None, None)
    gc.collect()
    assert data() is None


def test_a_closed_served_session_is_freed(demo_records: str) -> None:
    """A real server (Bokeh's reaping shortened): after the client leaves, the session's explorer
    is disposed and collected, and one memory release has run."""
    import panel as pn
    import panel.models  # noqa: F401 - Panel's Bokeh models for the client document
    import panel.models.ace  # noqa: F401
    import panel.models.tabulator  # noqa: F401
    from bokeh.client import pull_session

    from vstore_explorer.app.explorer import EXTENSIONS, explore
    from vstore_explorer.app.memory import memory_release

    pn.extension(*EXTENSIONS)
    sources = session_sources(demo_records)
    apps: list[weakref.ref[Any]] = []

    def session() -> Any:
        app = explore(sources(), warm=False)
        apps.append(weakref.ref(app))
        return app

    port = free_port()
    server = pn.serve(
        session,
        port=port,
        address="127.0.0.1",
        websocket_origin=[f"127.0.0.1:{port}"],
        show=False,
        threaded=True,
        check_unused_sessions_milliseconds=200,
        unused_session_lifetime_milliseconds=200,
    )
    try:
        deadline = time.monotonic() + 30
        client = None
        while client is None and time.monotonic() < deadline:
            try:
                client = pull_session(url=f"http://127.0.0.1:{port}/")
            except OSError:
                time.sleep(0.2)
        assert client is not None and len(apps) == 1 and apps[0]() is not None
        client.close()
        while apps[0]() is not None and time.monotonic() < deadline:
            time.sleep(0.2)
            gc.collect()
        assert apps[0]() is None, "the closed session's explorer is still referenced"
        release = memory_release()
        while release.releases == 0 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert release.releases >= 1
    finally:
        server.stop()


def test_a_server_process_caps_its_malloc_arenas() -> None:
    found = _fresh_python(
        "import json, sys\n"
        "from vstore_explorer.app.memory import limit_malloc_arenas\n"
        "print(json.dumps({'set': limit_malloc_arenas(), 'linux': sys.platform == 'linux'}))\n"
    )
    assert found["set"] is found["linux"]
