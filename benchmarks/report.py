"""Summaries of the raw measurements, the targets of issue 7, machine info and the markdown report.

Everything here is pure (dicts in, dicts and text out) except :func:`machine`, which reads this
machine's CPU count, memory, load and package versions.

Example:
    >>> stats([0.3, 0.1, 0.2])
    {'median': 0.2, 'min': 0.1, 'max': 0.3, 'n': 3}
"""

from __future__ import annotations

import math
import os
import platform
import statistics
import subprocess
import sys
from collections.abc import Iterable, Mapping, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

from benchmarks.cases import CASE_NAMES, CASE_TITLES
from benchmarks.demo_data import LAYOUT_NAMES, LAYOUTS, collection_key
from benchmarks.paths import PATH_NAMES, PATH_TITLES

PACKAGES = (
    "vstore-explorer",
    "xarray",
    "zarr",
    "icechunk",
    "virtualizarr",
    "kerchunk",
    "fsspec",
    "netCDF4",
    "h5py",
    "numpy",
    "dask",
    "panel",
    "holoviews",
    "hvplot",
    "bokeh",
    "datashader",
    "playwright",
)
BYTES_TARGET = 1.05
OVERHEAD_TARGET = 0.10
OPEN_SPEEDUP_TARGET = 10.0
POINT_TARGET_S = 0.5
MAP_UPDATE_TARGET_S = 0.150
SERIES_RATIO_TARGET = 1.2  # a series in the UI within 1.2x of vx.load on the same Selection
SERIES_KINDS = {"point": "point time series", "area_mean": "area-mean series"}
SERVE_TARGET_S = 5.0
TARGET_SIZE = 365

Row = dict[str, Any]


def stats(values: Iterable[float | None]) -> dict[str, float] | None:
    """Median, min, max and count of the values that are not None (None if there are none)."""
    kept = [float(v) for v in values if v is not None]
    if not kept:
        return None
    return {"median": statistics.median(kept), "min": min(kept), "max": max(kept), "n": len(kept)}


def _median(values: Iterable[float | None]) -> float | None:
    s = stats(values)
    return None if s is None else s["median"]


def granules_of(size: str) -> int:
    """Granules of a size label (``tiny`` is 6)."""
    return 6 if size == "tiny" else int(size)


def _same(a: Mapping[str, Any] | None, b: Mapping[str, Any] | None) -> bool:
    if a is None or b is None:
        return False
    return (
        a["shape"] == b["shape"]
        and a["finite"] == b["finite"]
        and math.isclose(a["sum"], b["sum"], rel_tol=1e-9, abs_tol=1e-6)
    )


def layout_of(sample: Mapping[str, Any]) -> str:
    """The layout of a sample or row (``gamssa`` for results written before layouts existed)."""
    return str(sample.get("layout") or LAYOUT_NAMES[0])


def _key(sample: Mapping[str, Any]) -> tuple[str, str, str, str]:
    return (str(sample["size"]), layout_of(sample), sample["case"], sample["path"])


def _order(key: tuple[str, str, str, str]) -> tuple[int, int, int, int]:
    size, layout, case, path = key
    rank = LAYOUT_NAMES.index(layout) if layout in LAYOUT_NAMES else len(LAYOUT_NAMES)
    return (granules_of(size), rank, CASE_NAMES.index(case), PATH_NAMES.index(path))


def summarize(
    samples: Sequence[Mapping[str, Any]], needed: Mapping[str, Mapping[str, Mapping[str, Any]]]
) -> list[Row]:
    """One row per (size, layout, case, path): medians with min/max, bytes against needed,
    agreement; samples that were ``skipped`` (not run) give their reason.

    ``needed`` maps ``collection_key(size, layout)`` -> case -> ``Cost.to_dict()``.
    """
    rows: list[Row] = []
    for key in sorted({_key(s) for s in samples}, key=_order):
        size, layout, case, path = key
        mine = [s for s in samples if _key(s) == key]
        ok = [s for s in mine if "error" not in s and "skipped" not in s]
        cost = needed.get(collection_key(size, layout), {}).get(case)
        rchar = _median(s.get("rchar") for s in ok)
        wanted = cost.get("stored_bytes") if cost else None
        explorer = (size, layout, case, "explorer")
        reference = next(
            (
                s.get("result")
                for s in samples
                if _key(s) == explorer and "error" not in s and "skipped" not in s
            ),
            None,
        )
        result = next((s.get("result") for s in ok), None)
        rows.append(
            {
                "size": size,
                "layout": layout,
                "granules": granules_of(size),
                "case": case,
                "path": path,
                "n": len(ok),
                "errors": sorted({s["error"] for s in mine if "error" in s}),
                "skipped": next((s["skipped"] for s in mine if "skipped" in s), None),
                "netcdf_cache": next((s.get("netcdf_cache") for s in ok), None),
                "total_s": stats(s.get("total_s") for s in ok),
                "open_s": stats(s.get("open_s") for s in ok),
                "read_s": stats(s.get("read_s") for s in ok),
                "cpu_s": stats(s.get("cpu_s") for s in ok),
                "open_rchar": _median(s.get("open_rchar") for s in ok),
                "rchar": rchar,
                "read_bytes": _median(s.get("read_bytes") for s in ok),
                "needed_bytes": wanted,
                "needed_chunks": cost.get("chunks") if cost else None,
                "bytes_ratio": rchar / wanted if rchar is not None and wanted else None,
                "peak_rss_mb": _median(s.get("peak_rss_mb") for s in ok),
                "rss_growth_mb": _median(s.get("rss_growth_mb") for s in ok),
                "result": result,
                "agrees": None if case == "open" or result is None else _same(result, reference),
            }
        )
    return rows


def _row(
    rows: Sequence[Row], size: str, case: str, path: str, layout: str | None = None
) -> Row | None:
    """The row of (size, case, path) in ``layout`` (default: the first layout in ``rows``)."""
    if layout is None and rows:
        layout = layouts_of(rows)[0]
    return next(
        (
            r
            for r in rows
            if (r["size"], layout_of(r), r["case"], r["path"]) == (size, layout, case, path)
        ),
        None,
    )


def _med(row: Row | None, key: str = "total_s") -> float | None:
    if row is None or row.get(key) is None:
        return None
    return row[key]["median"]


def sizes_of(rows: Sequence[Row]) -> list[str]:
    return sorted({r["size"] for r in rows}, key=granules_of)


def layouts_of(rows: Sequence[Row]) -> list[str]:
    """The layouts in ``rows``, in :data:`LAYOUT_NAMES` order."""
    found = {layout_of(r) for r in rows}
    return [n for n in LAYOUT_NAMES if n in found] + sorted(found - set(LAYOUT_NAMES))


def growth(rows: Sequence[Row]) -> list[Row]:
    """Open and point-series medians per layout and path at each size, and the ratio
    largest/smallest."""
    sizes = sizes_of(rows)
    out: list[Row] = []
    for layout in layouts_of(rows):
        for case in ("open", "point"):
            for path in PATH_NAMES:
                values = {s: _med(_row(rows, s, case, path, layout)) for s in sizes}
                if all(v is None for v in values.values()):
                    continue
                first, last = values[sizes[0]], values[sizes[-1]]
                ratio = last / first if len(sizes) > 1 and first and last is not None else None
                out.append(
                    {
                        "layout": layout,
                        "case": case,
                        "path": path,
                        "seconds": values,
                        "ratio": ratio,
                    }
                )
    return out


def _target_size(sizes: Sequence[str]) -> str | None:
    if not sizes:
        return None
    return min(sizes, key=lambda s: abs(granules_of(s) - TARGET_SIZE))


def _at(size: str | None) -> str:
    if size is None:
        return ""
    n = granules_of(size)
    return f"at {n} granules" + ("" if n == TARGET_SIZE else f" ({TARGET_SIZE} not run)")


def _layout_note(layout: str) -> str:
    found = LAYOUTS.get(layout)
    if found is None or found.chunks is None:
        return f"{layout} layout"
    return f"{layout} layout, " + "×".join(map(str, found.chunks)) + " chunks"


def _speedups(rows: Sequence[Row], layout: str) -> dict[str, float]:
    """open_mfdataset open time / explorer open time, per size, in ``layout``."""
    out = {}
    for s in sizes_of(rows):
        mine = _med(_row(rows, s, "open", "explorer", layout))
        mf = _med(_row(rows, s, "open", "mfdataset", layout))
        if mine and mf is not None:
            out[s] = mf / mine
    return out


def _open_target(rows: Sequence[Row]) -> Row:
    """Open ≥ 10× faster than open_mfdataset at 365 granules and growing with N, every layout."""
    texts, values, met = [], [], []
    for layout in layouts_of(rows):
        speedups = _speedups(rows, layout)
        at = _target_size(list(speedups))
        if at is None:
            continue
        ordered = list(speedups.values())
        growing = all(a <= b for a, b in zip(ordered, ordered[1:], strict=False))
        text = ", ".join(f"{v:.1f}× at {granules_of(s)} granules" for s, v in speedups.items())
        if granules_of(at) != TARGET_SIZE:
            text += f" ({TARGET_SIZE} not run)"
        texts.append(f"{layout}: {text}" if len(layouts_of(rows)) > 1 else text)
        values.append(speedups[at])
        met.append(speedups[at] >= OPEN_SPEEDUP_TARGET and growing)
    return {
        "target": "open ≥ 10× faster than open_mfdataset at 365 granules, growing with N",
        "value": min(values) if values else None,
        "measured": "; ".join(texts),
        "met": all(met) if met else None,
    }


def _point_target(rows: Sequence[Row], layout: str) -> Row:
    at = _target_size(sizes_of(rows))
    row = _row(rows, at, "point", "explorer", layout) if at else None
    point = _med(row)
    measured = f"{point:.3f} s {_at(at)}" if point is not None else ""
    if row is not None and point is not None and row.get("needed_chunks"):
        measured += f" ({_n(row['needed_chunks'], 'chunk')}, {_mb(row['needed_bytes'])})"
    return {
        "target": f"point series ≤ 0.5 s on 365 granules in a fresh process (open + read), "
        f"{_layout_note(layout)}",
        "layout": layout,
        "value": point,
        "measured": measured,
        "met": None if point is None else point <= POINT_TARGET_S,
    }


def targets(rows: Sequence[Row], ui: Mapping[str, Any]) -> list[Row]:
    """The targets of issue 7, each with what was measured and met (True/False; None: not run).
    The point-series target has one entry per layout."""
    reading = [c for c in CASE_NAMES if c != "open"]
    several = len(layouts_of(rows)) > 1
    out: list[Row] = []

    def where(r: Row) -> str:
        return f"{r['case']}, {r['granules']} granules" + (f", {layout_of(r)}" if several else "")

    ratios = [
        (r["bytes_ratio"], where(r))
        for r in rows
        if r["path"] == "explorer" and r["case"] in reading and r["bytes_ratio"] is not None
    ]
    worst = max(ratios, default=None)
    out.append(
        {
            "target": "bytes read ≤ 1.05× the needed chunks (explorer path)",
            "value": worst[0] if worst else None,
            "measured": f"worst {worst[0]:.3f}× ({worst[1]})" if worst else "",
            "met": None if worst is None else worst[0] <= BYTES_TARGET,
        }
    )

    overheads = []
    for r in rows:
        if r["path"] != "explorer":
            continue
        raw = _med(_row(rows, r["size"], r["case"], "icechunk", layout_of(r)))
        mine = _med(r)
        if raw and mine is not None:
            overheads.append((mine / raw - 1.0, where(r)))
    worst_o = max(overheads, default=None)
    typical = statistics.median(o[0] for o in overheads) if overheads else None
    out.append(
        {
            "target": "explorer overhead over raw Icechunk + xarray ≤ 10%",
            "value": worst_o[0] if worst_o else None,
            "measured": (
                f"worst {worst_o[0]:+.0%} ({worst_o[1]}); median over cases {typical:+.0%}"
                if worst_o
                else ""
            ),
            "met": None if worst_o is None else worst_o[0] <= OVERHEAD_TARGET,
        }
    )
    out.append(_open_target(rows))
    out += [_point_target(rows, layout) for layout in layouts_of(rows) or [LAYOUT_NAMES[0]]]

    update = ui.get("map_update") or {}
    value = update.get("median_s")
    out.append(
        {
            "target": "map update ≤ 150 ms (widget change → updated plot, server side)",
            "value": value,
            "measured": f"{value * 1e3:.0f} ms" if value is not None else _why(update),
            "met": None if value is None else value <= MAP_UPDATE_TARGET_S,
        }
    )

    out.append(_series_target(ui.get("series") or {}))

    served = ui.get("serve") or {}
    value = served.get("median_s")
    out.append(
        {
            "target": "vstore-explorer serve → first plot in Chromium ≤ 5 s",
            "value": value,
            "measured": f"{value:.1f} s" if value is not None else _why(served),
            "met": None if value is None else value <= SERVE_TARGET_S,
        }
    )
    return out


def _series_target(series: Mapping[str, Any]) -> Row:
    """Point and area-mean series in the UI (change → Bokeh source holds the data) ≤ 1.2× of
    ``vx.load`` on the same Selection in the same process; the worse kind decides."""
    kinds = [k for k in SERIES_KINDS if isinstance(series.get(k), Mapping)]
    texts, ratios, matched = [], [], []
    for kind in kinds:
        r = series[kind]
        ratios.append(r["ratio"])
        matched.append(bool(r.get("all_match")))
        texts.append(
            f"{kind.replace('_', ' ')}: {r['ratio']:.2f}× ({r['ui_median_s'] * 1e3:.0f} ms / "
            f"{r['load_median_s'] * 1e3:.0f} ms)"
            + ("" if r.get("all_match") else ", VALUES DIFFER")
        )
    worst = max(ratios) if len(kinds) == len(SERIES_KINDS) else None
    granules = series.get("granules")
    measured = "; ".join(texts) + (f" {_at(str(granules))}" if texts and granules else "")
    return {
        "target": "series in the UI (point; area mean) ≤ 1.2× `vx.load` on the same Selection, "
        "same process",
        "value": worst,
        "measured": measured or _why(series),
        "met": None if worst is None else worst <= SERIES_RATIO_TARGET and all(matched),
    }


def _why(result: Mapping[str, Any]) -> str:
    return str(result.get("skipped") or result.get("error") or "not run")


# ----------------------------------------------------------------------------- machine


def _meminfo_gb() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) * 1024 / 1e9
    except OSError:
        return None
    return None


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _git(root: Path) -> str:
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
        ).stdout.strip()
    except OSError:
        return "unknown"
    return f"{head}{' (uncommitted changes)' if dirty else ''}" if head else "unknown"


def memory_available_gb() -> float | None:
    """``MemAvailable`` of ``/proc/meminfo`` in GB (None elsewhere)."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024 / 1e9
    except OSError:
        return None
    return None


def load_average() -> list[float] | None:
    try:
        return [round(v, 2) for v in os.getloadavg()]
    except OSError:
        return None


def machine(root: Path) -> dict[str, Any]:
    """CPU count and model, memory, OS, Python, load average, git commit, package versions."""
    versions: dict[str, str | None] = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return {
        "cpus": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "ram_gb": _meminfo_gb(),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "executable": sys.executable,
        "git": _git(root),
        "load_average": load_average(),
        "packages": versions,
    }


# ----------------------------------------------------------------------------- markdown


def _mb(n: float | None) -> str:
    if n is None:
        return "—"
    if n >= 1e9:
        return f"{n / 1e9:.2f} GB"
    if n >= 1e6:
        return f"{n / 1e6:.1f} MB"
    return f"{n / 1e3:.0f} kB"


def _s(st: Mapping[str, float] | None, spread: bool = True) -> str:
    if st is None:
        return "—"
    text = f"{st['median']:.3f}"
    if spread and st["n"] > 1:
        text += f" [{st['min']:.3f}–{st['max']:.3f}]"
    return text


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _met(met: bool | None) -> str:
    return {True: "✅ met", False: "❌ missed", None: "— not run"}[met]


def _agree(row: Row) -> str:
    if row.get("skipped") and not row["n"]:
        return str(row["skipped"])
    if row["errors"] and not row["n"]:
        return "error: " + "; ".join(row["errors"])[:80]
    return {True: "same", False: "DIFFERS", None: "—"}[row["agrees"]]


def markdown(results: Mapping[str, Any]) -> str:
    """The report: targets, a table per size, growth, UI, machine, and how it was measured."""
    m = results["machine"]
    rows: list[Row] = results["summary"]
    lines = [
        f"# vstore_explorer benchmarks — {results['started']}",
        "",
        f"`{results['command']}` · {results['seconds']:.0f} s · launch `{results['launch']}` · "
        f"repeats {results['repeats']}",
        "",
        f"**Machine**: {m['cpus']} CPUs ({m['cpu_model']}), "
        f"{m['ram_gb']:.1f} GB RAM, {m['os']}, Python {m['python']}, git {m['git']}; "
        f"load average at start {results['load_start']}, at end {results['load_end']}.",
        "",
        "**Packages**: "
        + ", ".join(f"{k} {v}" for k, v in m["packages"].items() if v is not None)
        + ".",
        "",
        "## Targets (issue 7)",
        "",
        "| target | measured | status |",
        "|---|---|---|",
    ]
    for t in results["targets"]:
        lines.append(f"| {t['target']} | {t['measured'] or '—'} | {_met(t['met'])} |")
    lines += _point_notes(results)
    several = len(layouts_of(rows)) > 1
    for size in sizes_of(rows):
        for layout in [n for n in layouts_of(rows) if any(_in(r, size, n) for r in rows)]:
            lines += _collection_head(results, size, layout, several)
            lines += [_table_line(r) for r in rows if _in(r, size, layout)]
    lines += _growth_lines(results["growth"], rows)
    lines += [
        "",
        "## UI and start-up",
        "",
        "| measure | median | min–max | note |",
        "|---|---|---|---|",
    ]
    lines += _ui_lines(results["ui"])
    lines += ["", "## How it was measured", "", *results["method"]]
    return "\n".join(lines) + "\n"


def _point_notes(results: Mapping[str, Any]) -> list[str]:
    """What a point series costs in each layout: chunks read and int16 inflated, and the time."""
    rows: list[Row] = results["summary"]
    at = _target_size(sizes_of(rows))
    if at is None:
        return []
    notes = []
    for layout in layouts_of(rows):
        row = _row(rows, at, "point", "explorer", layout)
        info = results["collections"].get(collection_key(at, layout)) or {}
        if row is None or _med(row) is None or not row.get("needed_chunks"):
            continue
        chunks, chunk_bytes = row["needed_chunks"], info.get("chunk_bytes")
        inflated = f", inflates {_mb(chunks * chunk_bytes)}" if chunk_bytes else ""
        why = (
            "every day's whole-globe chunk is read and inflated for one value; no path can read "
            "less than a chunk, so the time goes to zlib"
            if chunks == row["granules"] and info.get("chunks", [0, 0])[1:] == [720, 1440]
            else "one small chunk per day"
        )
        notes.append(
            f"- {_layout_note(layout)}: reads {_n(chunks, 'chunk')} ({_mb(row['needed_bytes'])})"
            f"{inflated}: {_med(row):.3f} s, CPU {_med(row, 'cpu_s'):.3f} s — {why}."
        )
    if not notes:
        return []
    return [
        "",
        f"**Point series at {granules_of(at)} granules, by layout** (explorer path):",
        *notes,
    ]


def _in(row: Row, size: str, layout: str) -> bool:
    return row["size"] == size and layout_of(row) == layout


def _collection_head(
    results: Mapping[str, Any], size: str, layout: str, several: bool
) -> list[str]:
    collections = results["collections"]
    info = collections.get(collection_key(size, layout)) or collections.get(size) or {}
    disk = info.get("disk_bytes", {})
    chunks = info.get("chunks")
    shape = "×".join(map(str, chunks)) if chunks else "?"
    title = f"## Reading {granules_of(size)} granules"
    if several:
        title += f" — {layout} layout ({shape} chunks)"
    return [
        "",
        title,
        "",
        f"SST demo collection, 0.25° global daily, {info.get('first', '?')[:10]} to "
        f"{info.get('last', '?')[:10]}, {layout} layout ({shape} chunks): "
        f"{_mb(disk.get('granules'))} of NetCDF4, Icechunk store {_mb(disk.get('icechunk'))}, "
        f"Kerchunk JSON {_mb(disk.get('kerchunk_json'))}. Seconds: median [min–max] over fresh "
        "processes; bytes: `rchar` during the read (during the open for `open`)."
        + _mfdataset_note(info.get("mfdataset")),
        "",
        "| case | path | open + read s | open s | read s | CPU s | bytes read | needed "
        "| read/needed | peak RSS | result |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]


def _mfdataset_note(plan: Mapping[str, Any] | None) -> str:
    if not plan or plan.get("netcdf_cache") == "default":
        return ""
    if plan.get("netcdf_cache") == "off":
        return (
            f" open_mfdataset runs with the HDF5 chunk cache off: with netCDF-C's default it "
            f"would need ~{plan['peak_gb_default']:.0f} GB (estimate)."
        )
    return f" open_mfdataset {plan.get('skipped')}."


def _table_line(r: Row) -> str:
    """One row of a collection's table."""
    opening = r["case"] == "open"
    read = r["open_rchar"] if opening else r["rchar"]
    ratio = f"{r['bytes_ratio']:.3f}×" if r["bytes_ratio"] is not None else "—"
    chunks = r["needed_chunks"]
    needed = "—"
    if not opening and chunks is not None:
        needed = f"{_mb(r['needed_bytes'])} ({_n(chunks, 'chunk')})"
    rss = "—"
    if r["peak_rss_mb"] is not None:
        rss = f"{r['peak_rss_mb']:.0f} MB (+{r['rss_growth_mb']:.0f})"
    title = PATH_TITLES[r["path"]]
    if r.get("netcdf_cache") == "off":
        title = title.removesuffix(")") + ", chunk cache off)"
    return (
        f"| {CASE_TITLES[r['case']]} | {title} | {_s(r['total_s'])} "
        f"| {_s(r['open_s'], False)} | {_s(r['read_s'], False)} "
        f"| {_s(r['cpu_s'], False)} | {_mb(read)} | {needed} | {ratio} | {rss} "
        f"| {_agree(r)} |"
    )


def _growth_lines(grow: Sequence[Row], rows: Sequence[Row]) -> list[str]:
    sizes = sizes_of(rows)
    if not grow or len(sizes) < 2:
        return []
    head = " | ".join(f"{granules_of(s)} granules s" for s in sizes)
    lines = [
        "",
        f"## Growth from {granules_of(sizes[0])} to {granules_of(sizes[-1])} granules "
        f"({granules_of(sizes[-1]) / granules_of(sizes[0]):.0f}× the files)",
        "",
        f"| layout | case | path | {head} | ratio |",
        "|---|---|---|" + "---|" * len(sizes) + "---|",
    ]
    for g in grow:
        cells = " | ".join(
            "—" if g["seconds"][s] is None else f"{g['seconds'][s]:.3f}" for s in sizes
        )
        ratio = "—" if g["ratio"] is None else f"{g['ratio']:.1f}×"
        lines.append(
            f"| {layout_of(g)} | {CASE_TITLES[g['case']]} | {PATH_TITLES[g['path']]} | {cells} "
            f"| {ratio} |"
        )
    off = sorted(
        {granules_of(r["size"]) for r in rows if r.get("netcdf_cache") == "off"}
        - {granules_of(r["size"]) for r in rows if r.get("netcdf_cache") == "default"}
    )
    if off:
        lines += [
            "",
            f"open_mfdataset runs with the HDF5 chunk cache off at {', '.join(map(str, off))} "
            "granules (the default would not fit in memory), which alone makes its open about "
            "twice as slow (see *How it was measured*): part of its growth is that switch.",
        ]
    return lines


def _ui_lines(ui: Mapping[str, Any]) -> list[str]:
    out = []
    update = ui.get("map_update")
    if update and "median_s" in update:
        out.append(
            f"| map update: time slider → new Bokeh image ({_n(len(update['samples_s']), 'change')}, "
            f"{update['granules']} granules) | {update['median_s'] * 1e3:.0f} ms "
            f"| {update['min_s'] * 1e3:.0f}–{update['max_s'] * 1e3:.0f} ms "
            f"| CPU {update['cpu_median_s'] * 1e3:.0f} ms; every change updated the image: "
            f"{'yes' if update['all_updated'] else 'NO'}; first map after start "
            f"{update['explore_s']:.1f} s + render {update['render_s']:.1f} s |"
        )
    elif update is not None:
        out.append(f"| map update | — | — | {_why(update)} |")
    out += _series_lines(ui.get("series"))
    served = ui.get("serve")
    if served and "median_s" in served:
        out.append(
            f"| `vstore-explorer serve` → first map visible in Chromium "
            f"({_n(len(served['runs']), 'start')}) | {served['median_s']:.1f} s | {served['min_s']:.1f}–{served['max_s']:.1f} s "
            f"| listening after {served['listening_median_s']:.1f} s (imports) |"
        )
        out.append(
            f"| page load → map visible, server already warm | "
            f"{served['warm_page_median_s']:.1f} s | — | a second visitor |"
        )
    elif served is not None:
        out.append(f"| serve → first plot | — | — | {_why(served)} |")
    imported = ui.get("import")
    if imported and "median_s" in imported:
        out.append(
            f"| `import vstore_explorer, vstore_explorer.compute` (no UI) "
            f"| {imported['median_s']:.2f} s | {imported['min_s']:.2f}–{imported['max_s']:.2f} s "
            f"| Panel imported: {'YES' if imported['panel_imported'] else 'no'}; "
            f"{imported['modules']} modules |"
        )
    elif imported is not None:
        out.append(f"| import time | — | — | {_why(imported)} |")
    return out or ["| (skipped) | — | — | — |"]


def _series_lines(series: Mapping[str, Any] | None) -> list[str]:
    """One row per kind of series: the UI's median against ``vx.load``'s, and the ratio."""
    if series is None:
        return []
    if not all(isinstance(series.get(k), Mapping) for k in SERIES_KINDS):
        return [f"| series in the UI vs vx.load | — | — | {_why(series)} |"]
    out = []
    for kind, title in SERIES_KINDS.items():
        r = series[kind]
        n = len(r["ui_samples_s"])
        targets = "points" if kind == "point" else "boxes"
        agree = "yes" if r["all_match"] else "NO: " + "; ".join(r.get("problems", []))[:80]
        applied = f"; Apply pressed {r['applied']} of {n}" if r.get("applied") else ""
        out.append(
            f"| {title} in the UI: change → Bokeh source holds it ({n} distinct {targets}, "
            f"{series['granules']} granules) | {r['ui_median_s'] * 1e3:.0f} ms "
            f"| {r['ui_min_s'] * 1e3:.0f}–{r['ui_max_s'] * 1e3:.0f} ms "
            f"| `vx.load` of the same Selection {r['load_median_s'] * 1e3:.0f} ms "
            f"({r['load_min_s'] * 1e3:.0f}–{r['load_max_s'] * 1e3:.0f}): "
            f"**{r['ratio']:.2f}×** (target ≤ {SERIES_RATIO_TARGET}×; per-pair median "
            f"{r['paired_ratio_median']:.2f}×); CPU {r['ui_cpu_median_s'] * 1e3:.0f} / "
            f"{r['load_cpu_median_s'] * 1e3:.0f} ms; plotted = loaded: {agree}{applied} |"
        )
    return out
