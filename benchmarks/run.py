"""The one command: ``python -m benchmarks.run --sizes 365 3650 --repeats 3``.

Builds (or reuses) the SST demo collection at each size and granule layout (``--layouts gamssa
chunked``), measures every case on every path in fresh processes, then the UI, and writes
``benchmarks/results/<timestamp>.json`` and ``.md`` and ``latest.md`` (the markdown is printed
too). ``--sizes tiny`` is the CI smoke size (6 granules).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.cases import CASE_NAMES, make_cases
from benchmarks.demo_data import LAYOUT_NAMES, LAYOUTS
from benchmarks.paths import PATH_NAMES

HERE = Path(__file__).resolve().parent
PROJECT_ROOT = HERE.parent
DEFAULT_CACHE = HERE / "work"
DEFAULT_OUT = HERE / "results"
SKIPPABLE = ("ui", "series", "browser", "import")
MEMORY_SHARE = 0.8  # a measurement may use this share of the memory available at the start


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m benchmarks.run",
        description="The explorer against raw Icechunk, Kerchunk and xr.open_mfdataset.",
    )
    p.add_argument(
        "--sizes",
        nargs="+",
        default=["365"],
        help="numbers of daily granules, or 'tiny' (6, for CI); default 365",
    )
    p.add_argument(
        "--layouts",
        nargs="+",
        default=list(LAYOUT_NAMES),
        choices=tuple(LAYOUTS),
        help="granule layouts: gamssa (one chunk per field), chunked (1x240x480), time1 "
        "(1x240x480, time in one-value chunks); default gamssa and chunked",
    )
    p.add_argument("--repeats", type=int, default=5, help="fresh processes per measurement (5)")
    p.add_argument(
        "--cache", type=Path, default=DEFAULT_CACHE, help=f"demo cache ({DEFAULT_CACHE})"
    )
    p.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"results folder ({DEFAULT_OUT})")
    p.add_argument("--paths", nargs="+", default=list(PATH_NAMES), choices=PATH_NAMES)
    p.add_argument("--cases", nargs="+", default=list(CASE_NAMES), choices=CASE_NAMES)
    p.add_argument(
        "--launch",
        choices=("fork", "exec"),
        default="fork",
        help="fork: children of a preloaded server (default); exec: a cold interpreter each",
    )
    p.add_argument(
        "--skip",
        nargs="+",
        default=[],
        choices=SKIPPABLE,
        help="leave out UI (map update and series), series only, browser, import",
    )
    p.add_argument("--ui-changes", type=int, default=20, help="map-time changes timed (20)")
    p.add_argument(
        "--series-repeats",
        type=int,
        default=7,
        help="distinct points and boxes timed in the UI and with vx.load (7)",
    )
    p.add_argument(
        "--ui-size", help="size whose collection the UI measures use (first size, first layout)"
    )
    p.add_argument("--serve-repeats", type=int, help="server starts timed (min(repeats, 3))")
    p.add_argument("--timeout", type=float, default=1800.0, help="seconds per measurement")
    return p


def method_notes(launch: str) -> list[str]:
    """How the numbers were obtained (the report's last section)."""
    how = (
        "a child forked from a server that had imported numpy, pandas, xarray, zarr, fsspec, "
        "netCDF4, dask, distributed and vstore_explorer (each child imports icechunk itself, "
        "before the clock starts): no open file, cache or library state is shared between "
        "measurements, and import time is left out (it is measured on its own below)"
        if launch == "fork"
        else "a new `python -m benchmarks.measure` interpreter (imports done before the clock)"
    )
    return [
        f"- Every measurement runs in a fresh process: {how}. The order is interleaved "
        "(each repeat runs every case on every path), so load drifts hit all paths alike.",
        "- `open` times the opening alone; the other cases time open + read in the same "
        "process (read = `load()` / `.load()` of the subset).",
        "- **Bytes read** is the `rchar` delta of `/proc/self/io` around the read: every byte "
        "the process got from `read`/`pread` — granule chunks plus the store's own metadata "
        "(Icechunk manifests, HDF5 chunk indexes). `read_bytes` (bytes fetched from the block "
        "device) is kept in the JSON but is ~0 here, because the granules sit in the page "
        "cache after the first run; `rchar` counts what each path *asks for* whatever the cache, "
        "which is what a remote store would bill. **Needed** is "
        "`vstore_explorer.compute.cost_of(...).stored_bytes`: the compressed sizes of the chunks "
        "the selection touches, from the Icechunk manifest.",
        "- **Peak RSS** is the child's `VmHWM` (= `ru_maxrss`) after resetting it at the start; "
        "in brackets, its growth over the RSS the child started with.",
        "- **CPU s** is the child's CPU time (all threads): less sensitive than wall time to "
        "other work on a shared machine.",
        "- **result** compares each path's result (shape, finite count, sum) with the explorer's.",
        "- **Two stores of the same granules**: `vstore_explorer` opens the demo archive's store "
        "(built, then appended to: tags v1 and v2); `vstore-explorer build` store is built from "
        "the same granules by the command users run (`vstore-explorer build granules/*.nc "
        "--store ...`, once per collection, reused). Both keep coordinates natively in one "
        "chunk, so their open rows should agree whoever built the store.",
        "- **open_mfdataset** keeps every file open (file cache N+16, open-file limit raised). "
        "netCDF-C's default chunk cache (64 MB per variable and file) keeps each chunk it "
        "inflates in each open file: the 4 MB `time` chunk at open, then the data chunks read "
        "(2.7 GB at 365 GAMSSA granules, ~28 GB at 3650). Where that estimate exceeds 80% of the "
        "memory available, the path runs with the cache off (`netCDF4.set_chunk_cache(0)`; "
        "said in the table): the same bytes read, ~1.2 MB per open file, but the open re-inflates "
        "the `time` chunk on each of xarray's three reads of it (365 granules: 9.5 s instead of "
        "4.7 s). Where even that would not fit, the measurement is skipped with the estimate.",
        "- **Layouts**: `gamssa` is the demo product as it is (one 1×720×1440 chunk per daily "
        "field, as the real GAMSSA granules); `chunked` is the same product written with "
        "1×240×480 chunks (`dataclasses.replace` of its variables' chunks), same values.",
        "- The UI rows run in fresh interpreters; the map update drives the slider widget of an "
        "app whose Bokeh models were built in a `Document` as a server does, and stops the clock "
        "when the Bokeh image holds the new day.",
        "- **Series in the UI vs `vx.load`** (one fresh interpreter, the same app): for a point "
        "time series and an area-mean series, one untimed warm-up change (the switch to the "
        "time-series tab and its first load), then N distinct targets (open-ocean points; "
        "boxes), so that no result is already held by the app. UI side: the map's own handler "
        "(`set_point` for a tap, `set_box` for a drawn box), then 'Apply' if the app asks for it "
        "(a view estimated above its `apply_above`), timed until it returns, when the "
        "time-series tab's Bokeh `ColumnDataSource` holds the new series (checked equal to the "
        "loaded values, and the Selection to `app.state.view_selection('timeseries')`). Load "
        "side: `vstore_explorer.load(handle, selection)` on the **same handle** the app holds "
        "(no open on either side), the same Selection, in the same process. Interleaved per "
        "target, the order alternating (load first on even repeats, UI first on odd ones), so "
        "neither side always finds the page cache (or Icechunk's manifest cache) warmed by "
        "the other for that target; the handle reads without dask (`chunks=None`; dask only "
        "inside the area mean). The ratio is median UI / median load (target ≤ 1.2×).",
    ]


def mfdataset_plan(granules: int, chunk_bytes: int, available_gb: float | None) -> dict[str, Any]:
    """How the mfdataset path runs on one collection: with netCDF-C's default chunk cache where
    its estimated peak fits in :data:`MEMORY_SHARE` of the available memory, else with the cache
    off, else not at all (``skipped`` says why). The same for every case of the collection."""
    from benchmarks.paths import NETCDF_CACHES, mfdataset_peak_gb

    need = {c: mfdataset_peak_gb(granules, chunk_bytes, c) for c in NETCDF_CACHES}
    estimate = {f"peak_gb_{c}": round(v, 1) for c, v in need.items()}
    if available_gb is None:
        return {"netcdf_cache": "default", "skipped": None, **estimate}
    for cache in NETCDF_CACHES:
        if need[cache] <= MEMORY_SHARE * available_gb:
            return {"netcdf_cache": cache, "skipped": None, **estimate}
    reason = (
        f"skipped: would need ~{min(need.values()):.0f} GB of RAM, {available_gb:.0f} GB available"
    )
    return {"netcdf_cache": None, "skipped": reason, **estimate}


def _tasks(
    prepared: list[Any], args: argparse.Namespace, plans: dict[str, dict[str, Any]]
) -> list[dict[str, Any]]:
    tasks = []
    cases_of = {p.key: make_cases(p.times, args.cases) for p in prepared}
    for _ in range(args.repeats):
        for p in prepared:
            for case in cases_of[p.key]:
                for path in args.paths:
                    task = {
                        "path": path,
                        "case": case.to_dict(),
                        "sources": p.sources.to_dict(),
                        "size": p.size,
                        "layout": p.layout,
                    }
                    if path == "mfdataset":
                        task["netcdf_cache"] = plans[p.key]["netcdf_cache"]
                        task["skipped"] = plans[p.key]["skipped"]
                    tasks.append(task)
    return tasks


def _skipped(task: dict[str, Any]) -> dict[str, Any]:
    keys = ("path", "size", "layout", "skipped")
    return {k: task[k] for k in keys} | {"case": task["case"]["name"]}


def run(args: argparse.Namespace, argv: list[str]) -> dict[str, Any]:
    from benchmarks import report, ui
    from benchmarks.demo_data import needed, parse_size, prepare
    from benchmarks.launch import launcher

    started = datetime.now(UTC)
    t0 = time.perf_counter()
    load_start = report.load_average()
    sizes = [parse_size(s) for s in args.sizes]
    if args.repeats < 1:
        raise ValueError(f"--repeats must be at least 1, got {args.repeats}")
    if args.series_repeats < 1:
        raise ValueError(f"--series-repeats must be at least 1, got {args.series_repeats}")
    work = args.cache.resolve()
    work.mkdir(parents=True, exist_ok=True)
    log = work / "benchmark.log"
    args.layouts = list(dict.fromkeys(args.layouts))  # in the order given, once each
    prepared = [prepare(work, size, layout, say=_say) for size in sizes for layout in args.layouts]
    costs = {p.key: needed(p.sources, make_cases(p.times, args.cases)) for p in prepared}

    available = report.memory_available_gb()
    plans = {
        p.key: mfdataset_plan(p.sources.count, p.describe()["chunk_bytes"], available)
        for p in prepared
    }
    samples: list[dict[str, Any]] = []
    tasks = _tasks(prepared, args, plans)
    measure = launcher(args.launch, log, args.timeout)
    try:
        for i, task in enumerate(tasks, start=1):
            result = _skipped(task) if task.get("skipped") else measure.run(task)
            samples.append(result)
            shown = (
                result.get("error") or result.get("skipped") or f"{result.get('total_s', 0):.3f} s"
            )
            _say(
                f"[{i}/{len(tasks)}] {task['size']} {task['layout']} {task['case']['name']} "
                f"{task['path']}: {shown}"
            )
    finally:
        measure.close()

    ui_results: dict[str, Any] = {}
    skip = set(args.skip)
    ui_size = str(parse_size(args.ui_size)) if args.ui_size else prepared[0].size
    target = next((p for p in prepared if p.size == ui_size), None)  # the first layout
    if target is None:
        raise ValueError(f"--ui-size {args.ui_size} is not one of --sizes {args.sizes}")
    records = str(target.root / "records")
    if "import" not in skip:
        _say("timing import vstore_explorer ...")
        ui_results["import"] = ui.measure_import(args.repeats)
    if "ui" not in skip:
        _say(f"timing {args.ui_changes} map updates ...")
        ui_results["map_update"] = ui.measure_map_update(records, args.ui_changes, log)
    if "ui" not in skip and "series" not in skip:
        _say(
            f"timing point and area-mean series in the UI against vx.load ({args.series_repeats}) ..."
        )
        ui_results["series"] = ui.measure_series(records, args.series_repeats, log)
    if "browser" not in skip:
        _say("timing vstore-explorer serve → first plot in Chromium ...")
        starts = args.serve_repeats or min(args.repeats, 3)
        ui_results["serve"] = ui.measure_serve(records, starts, log)

    rows = report.summarize(samples, costs)
    results = {
        "started": started.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "command": "python -m benchmarks.run " + " ".join(argv),
        "launch": args.launch,
        "repeats": args.repeats,
        "paths": list(args.paths),
        "cases": list(args.cases),
        "machine": report.machine(PROJECT_ROOT),
        "load_start": load_start,
        "load_end": report.load_average(),
        "layouts": list(args.layouts),
        "collections": {p.key: p.describe() | {"mfdataset": plans[p.key]} for p in prepared},
        "memory_available_gb": available,
        "needed": costs,
        "summary": rows,
        "growth": report.growth(rows),
        "ui": ui_results,
        "targets": report.targets(rows, ui_results),
        "method": method_notes(args.launch),
        "samples": samples,
    }
    results["seconds"] = time.perf_counter() - t0
    return results


def write(results: dict[str, Any], out: Path) -> tuple[Path, Path, str]:
    """``<timestamp>.json``, ``<timestamp>.md`` and ``latest.md`` in ``out``; the markdown."""
    from benchmarks.report import markdown

    out.mkdir(parents=True, exist_ok=True)
    stamp = results["started"].replace("-", "").replace(":", "")
    text = markdown(results)
    json_path = out / f"{stamp}.json"
    md_path = out / f"{stamp}.md"
    json_path.write_text(json.dumps(results, indent=1, default=str) + "\n")
    md_path.write_text(text)
    (out / "latest.md").write_text(text)
    return json_path, md_path, text


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parser().parse_args(argv)
    # Icechunk warns on every local repository it opens; keep errors (children inherit this)
    os.environ.setdefault("ICECHUNK_LOG", "icechunk=error")
    try:
        results = run(args, argv)
    except ValueError as exc:
        print(f"benchmarks: {exc}", file=sys.stderr)
        return 2
    json_path, md_path, text = write(results, args.out)
    print(text)
    _say(f"results: {json_path} and {md_path} (and {args.out / 'latest.md'})")
    failed = [s for s in results["samples"] if "error" in s]
    if failed:
        _say(f"{len(failed)} measurement(s) failed; see the errors in the report and {args.cache}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
