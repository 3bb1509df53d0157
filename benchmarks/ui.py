"""UI and start-up measures, each in a fresh interpreter.

- ``map_update``: the app without a browser (``explore`` + its Bokeh models in a ``Document``, as
  a server builds them); the map-time slider widget is moved N times and each change is timed
  until the map's Bokeh image holds the new day (state -> load -> plot -> Bokeh model, all
  server-side and synchronous).
- ``serve``: ``python -m vstore_explorer.cli serve`` started, then the page opened in Debian's
  Chromium (Playwright) until the map's canvas is visible; timed from starting the command.
- ``import``: ``import vstore_explorer, vstore_explorer.compute`` in a new interpreter (and whether
  that imported Panel).

Children print one JSON line; ``python -m benchmarks.ui map_update RECORDS N`` /
``serve RECORDS`` run them by hand.
"""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path(os.environ.get("VSTORE_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = (  # FIELD_NOTES: Debian's Chromium, headless, nothing phoning home
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
IMPORT_CODE = (
    "import json, sys, time\n"
    "t = time.perf_counter()\n"
    "import vstore_explorer, vstore_explorer.compute\n"
    "s = time.perf_counter() - t\n"
    "print(json.dumps({'seconds': s, 'panel_imported': 'panel' in sys.modules,\n"
    "                  'modules': len(sys.modules)}))\n"
)


# ----------------------------------------------------------------------------- children


def _image(app: Any) -> Any:
    """The array in the map's Bokeh image glyph (what the browser would draw)."""
    import numpy as np

    pane = app.plots_view.panes["map"]
    for plot, _ in pane._plots.values():
        found = plot.traverse(lambda p: p, [lambda p: type(p).__name__ == "RasterPlot"])
        if found:
            return np.array(found[0].handles["source"].data["image"][0], copy=True)
    raise RuntimeError("the map pane has no rendered raster plot")


def map_update(records: str, changes: int) -> dict[str, Any]:
    """Time ``changes`` moves of the map-time slider, each until the Bokeh image is updated."""
    import numpy as np

    t0 = time.perf_counter()
    import panel as pn
    from bokeh.document import Document
    from panel.io.location import Location

    from vstore_explorer.app.explorer import EXTENSIONS, explore

    pn.extension(*EXTENSIONS)
    imported = time.perf_counter() - t0
    t1 = time.perf_counter()
    app = explore(records, location=Location())  # searches, opens the first store, loads a map
    explored = time.perf_counter() - t1
    if app.state.alert:
        raise RuntimeError(f"the app reports: {app.state.alert}")
    t2 = time.perf_counter()
    pn.panel(app).get_root(Document())  # the Bokeh models a served session gets
    rendered = time.perf_counter() - t2
    slider = app.plots_view.map_time
    days = list(app.state.param.map_time.objects)
    if len(days) < 2:
        raise RuntimeError("the map needs at least two time steps to move the slider")
    samples: list[float] = []
    cpu: list[float] = []
    updated: list[bool] = []
    start = days.index(app.state.map_time)
    for i in range(changes):
        day = days[(start + 1 + i) % len(days)]
        if day == app.state.map_time:
            day = days[(start + 2 + i) % len(days)]
        before = _image(app)
        began, began_cpu = time.perf_counter(), time.process_time()
        slider.value = day  # the widget, as a user's drag sets it
        samples.append(time.perf_counter() - began)
        cpu.append(time.process_time() - began_cpu)
        after = _image(app)
        shown = app.state.map_result
        updated.append(
            shown is not None
            and shown.selection.time == (day, day)
            and not np.array_equal(before, after, equal_nan=True)
        )
    return {
        "samples_s": samples,
        "median_s": statistics.median(samples),
        "min_s": min(samples),
        "max_s": max(samples),
        "cpu_median_s": statistics.median(cpu),
        "all_updated": all(updated),
        "import_s": imported,
        "explore_s": explored,
        "render_s": rendered,
        "granules": len(app.state.times),
    }


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_listening(port: int, process: subprocess.Popen[bytes], timeout: float) -> None:
    """Until the server accepts connections (an HTTP GET of the page would create a session,
    running the app once more than the visitor does)."""
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if process.poll() is not None:
            raise RuntimeError(f"vstore-explorer serve exited with code {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"vstore-explorer serve did not listen on port {port} in {timeout:.0f} s")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def serve(records: str, timeout: float = 180.0, log: str | None = None) -> dict[str, Any]:
    """Seconds from starting ``vstore-explorer serve`` to the first map visible in Chromium."""
    if not CHROMIUM.exists():
        return {"skipped": f"{CHROMIUM} not found (apt-get install -y chromium)"}
    from playwright.sync_api import sync_playwright

    port = _free_port()
    url = f"http://127.0.0.1:{port}/"
    command = [sys.executable, "-m", "vstore_explorer.cli", "serve", "--catalog", records]
    command += ["--port", str(port), "--address", "127.0.0.1"]
    out = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115 (closed below)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=list(CHROMIUM_ARGS)
        )
        try:
            started = time.perf_counter()
            process = subprocess.Popen(
                command, cwd=PROJECT_ROOT, stdout=out, stderr=subprocess.STDOUT
            )
            try:
                _wait_listening(port, process, timeout)
                listening_s = time.perf_counter() - started
                first_plot_s = listening_s + _first_map(browser, url, timeout)
                page_s = _first_map(browser, url, timeout)  # a second visitor, server warm
            finally:
                _stop(process)
        finally:
            browser.close()
            if log:
                out.close()
    return {"first_plot_s": first_plot_s, "listening_s": listening_s, "warm_page_s": page_s}


def _first_map(browser: Any, url: str, timeout: float) -> float:
    """Seconds from opening ``url`` in a new browser context to the map's canvas visible."""
    context = browser.new_context(viewport={"width": 1400, "height": 1100})
    try:
        page = context.new_page()
        began = time.perf_counter()
        page.goto(url)
        page.locator(".vx-plot-map canvas").first.wait_for(state="visible", timeout=timeout * 1e3)
        return time.perf_counter() - began
    finally:
        context.close()


# ----------------------------------------------------------------------------- parent side


def _child(args: list[str], timeout: float, log: Path | None) -> dict[str, Any]:
    command = [sys.executable, *args]
    try:
        done = subprocess.run(
            command, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f} s"}
    if log is not None:
        with log.open("a") as out:
            out.write(done.stderr)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        tail = done.stderr.strip().splitlines()[-1:] or ["no output"]
        return {"error": f"exit code {done.returncode}: {tail[0]}"}
    return json.loads(lines[-1])


def measure_map_update(records: str, changes: int, log: Path | None = None) -> dict[str, Any]:
    """:func:`map_update` in a fresh interpreter."""
    return _child(["-m", "benchmarks.ui", "map_update", records, str(changes)], 900, log)


def measure_serve(records: str, repeats: int, log: Path | None = None) -> dict[str, Any]:
    """:func:`serve` ``repeats`` times (each a fresh server); median and range."""
    runs = []
    for _ in range(repeats):
        args = ["-m", "benchmarks.ui", "serve", records]
        if log is not None:
            args.append(str(log))
        result = _child(args, 600, log)
        if "skipped" in result or "error" in result:
            return result | {"runs": runs}
        runs.append(result)
    firsts = [r["first_plot_s"] for r in runs]
    return {
        "median_s": statistics.median(firsts),
        "min_s": min(firsts),
        "max_s": max(firsts),
        "listening_median_s": statistics.median(r["listening_s"] for r in runs),
        "warm_page_median_s": statistics.median(r["warm_page_s"] for r in runs),
        "runs": runs,
    }


def measure_import(repeats: int) -> dict[str, Any]:
    """Import time of ``vstore_explorer`` + ``vstore_explorer.compute`` (no UI), ``repeats`` fresh
    interpreters; also whether Panel got imported (it must not)."""
    runs = []
    for _ in range(repeats):
        result = _child(["-c", IMPORT_CODE], 300, None)
        if "error" in result:
            return result
        runs.append(result)
    seconds = [r["seconds"] for r in runs]
    return {
        "median_s": statistics.median(seconds),
        "min_s": min(seconds),
        "max_s": max(seconds),
        "panel_imported": any(r["panel_imported"] for r in runs),
        "modules": runs[0]["modules"],
        "samples_s": seconds,
    }


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) >= 3 and args[0] == "map_update":
        result = map_update(args[1], int(args[2]))
    elif len(args) >= 2 and args[0] == "serve":
        result = serve(args[1], log=args[2] if len(args) > 2 else None)
    else:
        print("usage: python -m benchmarks.ui map_update RECORDS N | serve RECORDS [LOG]")
        return 2
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
