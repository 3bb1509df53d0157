"""UI and start-up measures, each in a fresh interpreter.

- ``map_update``: the app without a browser (``explore`` + its Bokeh models in a ``Document``, as
  a server builds them); the map-time slider widget is moved N times and each change is timed
  until the map's Bokeh image holds the new day (state -> load -> plot -> Bokeh model, all
  server-side and synchronous).
- ``series``: the same app; a point time series (several distinct ocean points) and an area-mean
  series (several distinct boxes) shown in the time-series tab, each change timed until the
  tab's Bokeh ``ColumnDataSource`` holds the new values, against ``vx.load`` of the same
  Selection on the same store handle in the same process (interleaved; see :func:`series`).
- ``serve``: ``python -m vstore_explorer.cli serve`` started, then the page opened in Debian's
  Chromium (Playwright) until the map's canvas is visible; timed from starting the command.
- ``import``: ``import vstore_explorer, vstore_explorer.compute`` in a new interpreter (and whether
  that imported Panel).

Children print one JSON line; ``python -m benchmarks.ui map_update RECORDS N`` /
``series RECORDS N [--profile PREFIX]`` / ``serve RECORDS`` run them by hand.
"""

from __future__ import annotations

import cProfile
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
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


def _open_app(records: str) -> tuple[Any, dict[str, float]]:
    """``explore(records)`` with its Bokeh models built in a ``Document`` (as a served session
    gets them); the seconds of the imports, the first map and the models."""
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
    viewable: Any = pn.panel(app)
    viewable.get_root(Document())  # the Bokeh models a served session gets
    rendered = time.perf_counter() - t2
    return app, {"import_s": imported, "explore_s": explored, "render_s": rendered}


def map_update(records: str, changes: int) -> dict[str, Any]:
    """Time ``changes`` moves of the map-time slider, each until the Bokeh image is updated."""
    import numpy as np

    app, timings = _open_app(records)
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
        **timings,
        "granules": len(app.state.times),
    }


# Open-ocean targets of the series measure (land is masked in the SST demo): distinct from each
# other and from the warm-up one, so no repeat finds its result already loaded. Off the 0.25°
# grid's cell edges (no ties for the nearest point). More repeats than targets shift the list
# by 1° of longitude per round.
SERIES_POINTS = (
    (-39.9, 35.1),  # North Atlantic
    (-150.1, 10.1),  # central Pacific
    (-25.1, -20.1),  # South Atlantic
    (70.1, -10.1),  # Indian Ocean
    (-130.1, 40.1),  # north-east Pacific
    (-10.1, -40.1),  # South Atlantic
    (160.1, 20.1),  # west Pacific
    (-155.1, -25.1),  # south Pacific
    (90.1, -30.1),  # south Indian Ocean
    (-60.1, 25.1),  # Sargasso Sea
)
SERIES_WARM_POINT = (-120.1, 0.1)
SERIES_BOXES = (  # (west, south, east, north)
    (-170.0, -5.0, -120.0, 5.0),  # Nino 3.4
    (-150.0, -5.0, -90.0, 5.0),  # Nino 3
    (-60.0, 20.0, -30.0, 40.0),  # subtropical North Atlantic
    (60.0, -20.0, 90.0, 0.0),  # Indian Ocean
    (-40.0, -40.0, -10.0, -20.0),  # South Atlantic
    (-160.0, 20.0, -130.0, 40.0),  # north-east Pacific
    (140.0, 0.0, 170.0, 20.0),  # west Pacific
    (-30.0, -5.0, 0.0, 5.0),  # equatorial Atlantic
    (50.0, -50.0, 100.0, -35.0),  # southern Indian Ocean
    (-140.0, -40.0, -100.0, -20.0),  # south-east Pacific
)
SERIES_WARM_BOX = (-120.0, -15.0, -100.0, -5.0)
SERIES_KINDS = ("point", "area_mean")


def series_targets(kind: str, count: int) -> list[tuple[float, ...]]:
    """``count`` distinct points (``kind="point"``, ``(lon, lat)``) or boxes (``"area_mean"``,
    ``(west, south, east, north)``), none of them the warm-up one.

    Example:
        >>> [t[0] for t in series_targets("point", 12)][9:]
        [-60.1, -38.9, -149.1]
    """
    base: tuple[tuple[float, ...], ...] = SERIES_POINTS if kind == "point" else SERIES_BOXES
    out: list[tuple[float, ...]] = []
    for i in range(count):
        shift = float(i // len(base))  # degrees of longitude, per round through the list
        target = base[i % len(base)]
        if kind == "point":
            out.append((round(target[0] + shift, 4), target[1]))
        else:
            w, s, e, n = target
            out.append((w + shift, s, e + shift, n))
    return out


def _series_source(app: Any) -> Any | None:
    """The values in the time-series pane's Bokeh ``ColumnDataSource`` (what the browser would
    draw), as float64; None before the pane is rendered."""
    import numpy as np
    from holoviews.core.util import dimension_sanitizer

    pane = app.plots_view.panes["timeseries"]
    for plot, _ in pane._plots.values():
        found = plot.traverse(lambda p: p, [lambda p: "source" in getattr(p, "handles", {})])
        for glyph in found:
            element = glyph.current_frame
            if element is None or not element.vdims:
                continue
            data = glyph.handles["source"].data
            column = dimension_sanitizer(element.vdims[0].name)
            if column in data:
                return np.array(data[column], dtype="float64", copy=True)
    return None


def _same_values(shown: Any, loaded: Any) -> bool:
    import numpy as np

    expected = np.asarray(loaded, dtype="float64").ravel()
    return (
        shown is not None
        and shown.shape == expected.shape
        and bool(np.isfinite(shown).all())
        and shown.size > 0
        and bool(np.allclose(shown, expected, rtol=1e-12, atol=0.0))
    )


def _shown(state: Any, change: Callable[[], None]) -> bool:
    """Make ``change``, then press 'Apply' if the app asks for it (a view whose estimated load
    time is above the app's ``apply_above`` waits for it): the series is on show when this
    returns. Returns whether Apply was pressed."""
    change()
    if getattr(state, "pending", False) and hasattr(state, "apply"):
        state.apply()
        return True
    return False


def _timed(action: Callable[[], Any]) -> tuple[float, float, Any]:
    began, began_cpu = time.perf_counter(), time.process_time()
    result = action()
    return time.perf_counter() - began, time.process_time() - began_cpu, result


def _summary(values: Sequence[float]) -> dict[str, float]:
    return {"median_s": statistics.median(values), "min_s": min(values), "max_s": max(values)}


def _series_kind(
    app: Any, kind: str, repeats: int, profiles: dict[str, cProfile.Profile] | None
) -> dict[str, Any]:
    """One kind of series: a warm-up change (untimed), then ``repeats`` distinct targets, each
    shown in the UI and loaded with ``vx.load``, in alternating order."""
    import vstore_explorer as vx

    state = app.state
    handle = state.handle  # the app's own handle: both sides read through the same open store
    if kind == "point":
        lon, lat = SERIES_WARM_POINT
        warm: dict[str, Any] = {"where": "point", "lon": lon, "lat": lat}
        change: Callable[..., None] = state.set_point  # what a tap on the map calls
    else:
        west, south, east, north = SERIES_WARM_BOX
        warm = {"where": "box", "west": west, "south": south, "east": east, "north": north}
        change = state.set_box  # what a box drawn on the map calls
    # warm-up: switch to the series tab (its Bokeh models are built then) and to this kind of
    # series; first calls (dask, the line plot, the code renderer) are paid here, not timed
    warm_s, _, _ = _timed(
        lambda: _shown(state, lambda: state.param.update(view="timeseries", **warm))
    )
    if state.alert or _series_source(app) is None:
        raise RuntimeError(f"the warm-up {kind} series was not shown: {state.alert or 'no plot'}")
    warm_load_s, _, _ = _timed(lambda: vx.load(handle, state.view_selection("timeseries")))

    def expected(target: tuple[float, ...]) -> Any:
        base = state.selection()
        if kind == "point":
            base = base.replace(point=target, bbox=None)
        else:
            base = base.replace(bbox=target, point=None)
        return state.view_selection("timeseries", base)

    ui_s: list[float] = []
    ui_cpu: list[float] = []
    load_s: list[float] = []
    load_cpu: list[float] = []
    orders: list[str] = []
    applied: list[bool] = []
    matches: list[bool] = []
    problems: list[str] = []
    targets = series_targets(kind, repeats)
    for i, target in enumerate(targets):
        sel = expected(target)
        before = _series_source(app)

        def ui(target: tuple[float, ...] = target) -> bool:
            if profiles:
                profiles["ui"].enable()
            try:
                return _shown(state, lambda: change(*target))
            finally:
                if profiles:
                    profiles["ui"].disable()

        def load(sel: Any = sel) -> Any:
            if profiles:
                profiles["load"].enable()
            try:
                return vx.load(handle, sel)  # the public API, the same Selection and store
            finally:
                if profiles:
                    profiles["load"].disable()

        # alternate which side goes first, so that neither always finds the page cache (or any
        # other cache) warmed by the other for this target
        first_ui = i % 2 == 1
        orders.append("ui,load" if first_ui else "load,ui")
        if first_ui:
            wall, cpu, pressed = _timed(ui)
            lwall, lcpu, loaded = _timed(load)
        else:
            lwall, lcpu, loaded = _timed(load)
            wall, cpu, pressed = _timed(ui)
        applied.append(bool(pressed))
        ui_s.append(wall)
        ui_cpu.append(cpu)
        load_s.append(lwall)
        load_cpu.append(lcpu)
        shown = _series_source(app)
        result = state.timeseries_result
        ok = (
            not state.alert
            and result is not None
            and result.selection == sel
            and state.view_selection("timeseries") == sel
            and shown is not None
            and _same_values(shown, loaded.values)
            and (before is None or before.shape != shown.shape or not (before == shown).all())
        )
        matches.append(ok)
        if not ok:
            problems.append(f"{target}: {state.alert or 'the plotted values differ from vx.load'}")
    ratios = [u / v for u, v in zip(ui_s, load_s, strict=True)]
    ui_sum, load_sum = _summary(ui_s), _summary(load_s)
    return {
        "targets": [list(t) for t in targets],
        "orders": orders,
        "ui_samples_s": ui_s,
        "load_samples_s": load_s,
        "ui_cpu_samples_s": ui_cpu,
        "load_cpu_samples_s": load_cpu,
        "ui_median_s": ui_sum["median_s"],
        "ui_min_s": ui_sum["min_s"],
        "ui_max_s": ui_sum["max_s"],
        "load_median_s": load_sum["median_s"],
        "load_min_s": load_sum["min_s"],
        "load_max_s": load_sum["max_s"],
        "ui_cpu_median_s": statistics.median(ui_cpu),
        "load_cpu_median_s": statistics.median(load_cpu),
        "ratio": ui_sum["median_s"] / load_sum["median_s"],
        "paired_ratio_median": statistics.median(ratios),
        "all_match": all(matches),
        "problems": problems,
        "applied": sum(applied),
        "values": int(state.timeseries_result.data.size) if state.timeseries_result else 0,
        "warm_up_ui_s": warm_s,
        "warm_up_load_s": warm_load_s,
    }


def series(records: str, repeats: int, profile: str | None = None) -> dict[str, Any]:
    """A point time series and an area-mean series in the app, against ``vx.load``.

    For each kind, ``repeats`` distinct targets (:func:`series_targets`) after one untimed
    warm-up: the UI side is the map's own handler (``set_point`` for a tap, ``set_box`` for a
    drawn box) on the time-series tab, timed until it returns, when the tab's Bokeh
    ``ColumnDataSource`` holds the new series (all synchronous server-side: state -> cost ->
    load -> plot spec -> code -> HoloViews -> Bokeh); the load side is
    ``vstore_explorer.load(app.state.handle, selection)`` with the Selection the UI shows
    (checked equal to ``app.state.view_selection("timeseries")``), on the app's own handle.
    The order alternates per target (load first on even repeats, UI first on odd ones). Each
    change checks that the plotted values equal the loaded ones.

    ``profile``: cProfile the timed UI changes and loads into ``PREFIX-ui.prof`` and
    ``PREFIX-load.prof`` (the times are then inflated by the profiler: not a benchmark).
    """
    if repeats < 1:
        raise ValueError(f"repeats must be at least 1, got {repeats}")
    app, timings = _open_app(records)
    profiles = {"ui": cProfile.Profile(), "load": cProfile.Profile()} if profile else None
    out: dict[str, Any] = {
        kind: _series_kind(app, kind, repeats, profiles) for kind in SERIES_KINDS
    }
    if profiles and profile:
        for side, prof in profiles.items():
            prof.dump_stats(f"{profile}-{side}.prof")
        out["profiles"] = [f"{profile}-{side}.prof" for side in profiles]
    return out | {
        "repeats": repeats,
        "handle": "same",
        "profiled": bool(profile),
        **timings,
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
        launched = time.perf_counter()
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=list(CHROMIUM_ARGS)
        )
        launch_s = time.perf_counter() - launched  # before the clock: Chromium is already up
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
            if log and not isinstance(out, int):
                out.close()
    return {
        "first_plot_s": first_plot_s,
        "listening_s": listening_s,
        "warm_page_s": page_s,
        "browser_launch_s": launch_s,
        "load_average": os.getloadavg()[0],
    }


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


def measure_series(records: str, repeats: int, log: Path | None = None) -> dict[str, Any]:
    """:func:`series` (``repeats`` distinct targets per kind) in a fresh interpreter."""
    return _child(["-m", "benchmarks.ui", "series", records, str(repeats)], 1800, log)


def measure_serve(records: str, repeats: int, log: Path | None = None) -> dict[str, Any]:
    """:func:`serve` ``repeats`` times (each a fresh server); median and range."""
    runs: list[dict[str, Any]] = []
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
        "browser_launch_median_s": statistics.median(r["browser_launch_s"] for r in runs),
        "runs": runs,
    }


def measure_import(repeats: int) -> dict[str, Any]:
    """Import time of ``vstore_explorer`` + ``vstore_explorer.compute`` (no UI), ``repeats`` fresh
    interpreters; also whether Panel got imported (it must not)."""
    runs: list[dict[str, Any]] = []
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
    elif len(args) >= 3 and args[0] == "series":
        rest = args[3:]
        profile = rest[rest.index("--profile") + 1] if "--profile" in rest[:-1] else None
        result = series(args[1], int(args[2]), profile)
    elif len(args) >= 2 and args[0] == "serve":
        result = serve(args[1], log=args[2] if len(args) > 2 else None)
    else:
        print(
            "usage: python -m benchmarks.ui map_update RECORDS N | series RECORDS N "
            "[--profile PREFIX] | serve RECORDS [LOG]"
        )
        return 2
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
