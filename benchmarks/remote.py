"""The latency-realistic benchmark (issue #16): the same collection read over S3 and HTTPS-like
links, every path side by side in one run.

``python -m benchmarks.remote --sizes 365 3650 --profiles local s3-in-region https-remote``

The SST demo collection (``chunked`` layout: 1×240×480 chunks) is put on moto's S3 and a byte-range
HTTP server, each behind a :mod:`~benchmarks.latency_proxy` that adds the profile's first-byte
latency and bandwidth per request (``local``: none; ``s3-in-region``: 20 ms, 90 MB/s;
``https-remote``: 80 ms, 25 MB/s) and counts requests, bytes and peak requests in flight. Each
measurement (one path, one case) runs in a fresh process (:mod:`benchmarks.remote_paths`);
repeats are interleaved. ``--sweep 10 32 64 128`` measures ``Access(concurrency=)`` instead.

Writes ``benchmarks/results/remote-<timestamp>.json`` (every raw measurement) and ``.md`` (the
tables, also printed).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.cases import CASE_NAMES, CASE_TITLES, make_cases
from benchmarks.demo_data import needed, parse_size, prepare
from benchmarks.latency_proxy import PROFILES
from benchmarks.remote_paths import REMOTE_PATHS, Launcher
from benchmarks.remote_setup import S3_PROXY_PORT, Remote
from benchmarks.report import load_average, machine

HERE = Path(__file__).resolve().parent
DEFAULT_CACHE = HERE / "work"
DEFAULT_OUT = HERE / "results"
SLOW_PATHS = ("mfdataset",)
SWEPT_PATHS = ("explorer", "icechunk-tuned")


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m benchmarks.remote", description=__doc__)
    p.add_argument("--sizes", nargs="+", default=["365"], help="daily granules (365)")
    p.add_argument("--layout", default="chunked", help="granule layout (chunked)")
    p.add_argument(
        "--profiles", nargs="+", default=list(PROFILES), choices=tuple(PROFILES), help="(all)"
    )
    p.add_argument("--paths", nargs="+", default=list(REMOTE_PATHS), choices=REMOTE_PATHS)
    p.add_argument("--cases", nargs="+", default=list(CASE_NAMES), choices=CASE_NAMES)
    p.add_argument("--repeats", type=int, default=7, help="fresh processes per measurement (7)")
    p.add_argument(
        "--slow-repeats",
        type=int,
        default=1,
        help="repeats of open_mfdataset (1: its open takes minutes over a latency)",
    )
    p.add_argument(
        "--slow-cases",
        nargs="+",
        default=None,
        help="cases read by open_mfdataset, after one open per repeat (default: all)",
    )
    p.add_argument(
        "--s3-granules",
        choices=("mirror", "moto"),
        default="mirror",
        help="who answers reads of the granules on S3: the S3 proxy from their folder (mirror, "
        "default) or moto",
    )
    p.add_argument("--mf-parallel", action="store_true", help="open_mfdataset(parallel=True)")
    p.add_argument(
        "--slow-timeout", type=float, default=900.0, help="cap per mfdataset measurement (s)"
    )
    p.add_argument("--timeout", type=float, default=600.0, help="cap per measurement (s)")
    p.add_argument(
        "--concurrency",
        default="default",
        help="Access(concurrency=) for the explorer paths ('default': Access's own)",
    )
    p.add_argument(
        "--sweep",
        nargs="+",
        type=int,
        default=None,
        help="measure these concurrency settings on explorer and icechunk-tuned instead",
    )
    p.add_argument(
        "--s3-port",
        type=int,
        default=S3_PROXY_PORT,
        help=f"the S3 proxy's port ({S3_PROXY_PORT}); a store is built per port",
    )
    p.add_argument(
        "--setup-only", action="store_true", help="build and cache the stores, measure nothing"
    )
    p.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    p.add_argument("--out", type=Path, default=DEFAULT_OUT)
    p.add_argument("--tag", default="", help="added to the output file names")
    return p


def _concurrency(text: str) -> int | str | None:
    if text in ("default", "none", "None"):
        return None if text.lower() == "none" else "default"
    return int(text)


def _slow_cases(args: argparse.Namespace) -> Sequence[str]:
    return list(args.cases) if args.slow_cases is None else list(args.slow_cases)


def measure_size(
    args: argparse.Namespace, remote: Remote, launcher: Launcher, size: str
) -> dict[str, Any]:
    """Every profile, repeat, case and path (or the sweep) at one size."""
    prepared = prepare(args.cache, parse_size(size), args.layout, say=_say)
    cases = make_cases(prepared.times, args.cases)
    need = needed(prepared.sources, cases)
    sources, setup = remote.put(prepared, _say)
    if args.setup_only:
        _say(f"set up {sources.count} granules: {setup}")
        return {"size": str(size), "granules": sources.count, "setup_s": setup, "rows": []}
    slow_cases = _slow_cases(args)
    rows: list[dict[str, Any]] = []
    settings: list[int | str | None] = (
        list(args.sweep) if args.sweep else [_concurrency(args.concurrency)]
    )
    paths = list(args.paths)
    if args.sweep:  # the paths that take Access(concurrency=)
        paths = [p for p in paths if p in SWEPT_PATHS] or list(SWEPT_PATHS)
    for profile in args.profiles:
        remote.set_profile(profile)
        for repeat in range(args.repeats):
            for case in cases:
                for path in paths:
                    if path in SLOW_PATHS:
                        continue
                    for setting in settings:
                        task = {
                            "path": path,
                            "case": case.to_dict(),
                            "sources": sources.to_dict(),
                            "size": str(size),
                            "profile": profile,
                            "repeat": repeat,
                            "concurrency": setting,
                            "sweep": bool(args.sweep),
                            "mf_parallel": args.mf_parallel,
                        }
                        row = launcher.run(task, args.timeout)
                        row["load"] = load_average()
                        rows.append(row)
                        _say(_line(row))
            slow_turn = repeat >= args.repeats - args.slow_repeats  # the last repeats
            for path in [p for p in paths if p in SLOW_PATHS and slow_turn]:
                # after the others: one open, then each case read in turn (its open takes minutes)
                task = {
                    "path": path,
                    "case": cases[0].to_dict(),
                    "cases": [c.to_dict() for c in cases if c.name in slow_cases],
                    "sources": sources.to_dict(),
                    "size": str(size),
                    "profile": profile,
                    "repeat": repeat,
                    "concurrency": "default",
                    "mf_parallel": args.mf_parallel,
                }
                answer = launcher.run(task, args.slow_timeout)
                every = answer.get("rows") or [answer | {"case": c["name"]} for c in task["cases"]]
                for row in every:
                    row["load"] = load_average()
                    rows.append(row)
                    _say(_line(row))
    return {
        "size": str(size),
        "granules": sources.count,
        "collection": prepared.describe(),
        "needed": need,
        "setup_s": setup,
        "slow_cases": list(slow_cases),
        "rows": rows,
    }


def _line(row: dict[str, Any]) -> str:
    head = f"{row.get('size')} {row.get('profile')} r{row.get('repeat')} {row.get('case')} "
    head += f"{row.get('path')} c={row.get('concurrency')}: "
    if row.get("error"):
        return head + "ERROR " + str(row["error"])[:300]
    traffic = row.get("read_traffic") or row.get("open_traffic") or {}
    return head + (
        f"open {row['open_s']:.3f} s, read {row.get('read_s', 0):.3f} s, "
        f"{traffic.get('requests')} req, {traffic.get('bytes', 0) / 1e6:.2f} MB, "
        f"peak {traffic.get('peak_in_flight')}"
    )


# -- summaries --------------------------------------------------------------------------------
def _phase(case: str) -> tuple[str, str]:
    """The time and traffic keys that measure ``case``: the open, or the read after it."""
    return ("open_s", "open_traffic") if case == "open" else ("read_s", "read_traffic")


def summarize(block: dict[str, Any]) -> list[dict[str, Any]]:
    """One summary per (profile, case, path, concurrency): medians and ranges."""
    groups: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    for row in block["rows"]:
        key = (row.get("profile"), row.get("case"), row.get("path"), str(row.get("concurrency")))
        groups.setdefault(key, []).append(row)
    out = []
    for (profile, case, path, setting), rows in groups.items():
        good = [r for r in rows if not r.get("error")]
        time_key, traffic_key = _phase(case)
        summary: dict[str, Any] = {
            "profile": profile,
            "case": case,
            "path": path,
            "concurrency": setting,
            "n": len(good),
            "errors": [r["error"] for r in rows if r.get("error")],
        }
        capped = [r for r in rows if r.get("capped")]
        if capped and not good:
            summary["capped_s"] = capped[0].get("cap_s")
        if good:
            times = [r[time_key] for r in good]
            traffic = [r[traffic_key] for r in good]
            summary.update(
                median_s=statistics.median(times),
                min_s=min(times),
                max_s=max(times),
                total_median_s=statistics.median(r["total_s"] for r in good),
                open_median_s=statistics.median(r["open_s"] for r in good),
                requests=statistics.median(t["requests"] for t in traffic),
                bytes=statistics.median(t["bytes"] for t in traffic),
                peak_in_flight=max(t["peak_in_flight"] for t in traffic),
                peak_rss_mb=max(r.get("peak_rss_mb") or 0 for r in good),
                result=good[0].get("result"),
            )
        out.append(summary)
    return out


def _find(
    summaries: list[dict[str, Any]], profile: str, case: str, path: str, setting: str | None = None
) -> dict[str, Any] | None:
    for s in summaries:
        same = (s["profile"], s["case"], s["path"]) == (profile, case, path)
        measured = s.get("median_s") or s.get("capped_s")
        if same and measured and (setting is None or s["concurrency"] == setting):
            return s
    return None


def _cell(s: dict[str, Any] | None, errors: list[str] | None = None) -> str:
    if s is not None and s.get("capped_s"):
        return f"**> {s['capped_s']:.0f} s** (capped: stopped after {s['capped_s']:.0f} s)"
    if s is None or not s.get("median_s"):
        why = (errors or (s or {}).get("errors") or ["not measured"])[0]
        return f"— ({why[:80]})"
    spread = f" [{s['min_s']:.3f}–{s['max_s']:.3f}]" if s["n"] > 1 else " (1 run)"
    return (
        f"**{s['median_s']:.3f} s**{spread} · {s['requests']:.0f} req · "
        f"{s['bytes'] / 1e6:.2f} MB · peak {s['peak_in_flight']}"
    )


def _ratio(a: dict[str, Any] | None, b: dict[str, Any] | None, key: str = "median_s") -> str:
    if a and b and a.get("capped_s") and b.get(key):
        return f"> {a['capped_s'] / b[key]:.0f}× (capped)"
    if not a or not b or not a.get(key) or not b.get(key):
        return "—"
    return f"{a[key] / b[key]:.2f}×"


def markdown(results: dict[str, Any]) -> str:
    lines = [
        f"# Latency-realistic benchmark — {results['started']}",
        "",
        f"`{results['command']}`",
        "",
        "Profiles (per request, added by the proxy): "
        + "; ".join(f"`{p['name']}` {p['title']}" for p in results["profiles"]),
        "",
        "Cells: **median** [min–max] seconds of the case (the open for *open*, the read after the "
        "open otherwise), its requests, body bytes and peak requests in flight, over "
        f"{results['repeats']} fresh processes (open_mfdataset: {results['slow_repeats']}, "
        "one open per repeat, then each case read in turn from it).",
        "",
        f"Granules on S3 answered by: {results['s3_granules']} (mirror: the S3 proxy reads "
        "them from disk; moto serves the store's own objects).",
        "",
    ]
    for block in results["sizes"]:
        summaries = block["summaries"]
        need = block["needed"]
        lines.append(f"## {block['granules']} granules")
        lines.append("")
        setup = ", ".join(f"{k} {v:.1f}" for k, v in block["setup_s"].items())
        lines.append(f"Setup: {setup} s.")
        lines.append("")
        for profile in results["profile_names"]:
            lines += _profile_table(block, summaries, need, profile, results)
    lines += _targets(results)
    m = results["machine"]
    lines += [
        "## Machine",
        "",
        f"{m.get('cpus')} CPUs, {m.get('ram_gb')} GB; load average at start "
        f"{results['load_start']}, at end {results['load_end']} (shared with other work).",
        "",
    ]
    return "\n".join(lines) + "\n"


def _profile_table(
    block: dict[str, Any],
    summaries: list[dict[str, Any]],
    need: dict[str, Any],
    profile: str,
    results: dict[str, Any],
) -> list[str]:
    sweep = results["sweep"]
    lines = [f"### {profile}", ""]
    if sweep:
        lines.append("| case | path | " + " | ".join(f"c={c}" for c in sweep) + " |")
        lines.append("|---|---|" + "---|" * len(sweep))
        for case in results["case_names"]:
            for path in [p for p in SWEPT_PATHS if any(s["path"] == p for s in summaries)]:
                cells = [_cell(_find(summaries, profile, case, path, str(c))) for c in sweep]
                lines.append(f"| {case} | {path} | " + " | ".join(cells) + " |")
        return [*lines, ""]
    paths = results["path_names"]
    lines.append("| case | needed | " + " | ".join(paths) + " | explorer / tuned | mf / explorer |")
    lines.append("|---|---|" + "---|" * (len(paths) + 2))
    for case in results["case_names"]:
        n = need.get(case) or {}
        needed_text = (
            f"{n.get('chunks')} chunks, {n.get('stored_bytes', 0) / 1e6:.2f} MB" if n else "—"
        )
        found = {p: _find(summaries, profile, case, p) for p in paths}
        errors = {
            p: [
                e
                for s in summaries
                if (s["profile"], s["case"], s["path"]) == (profile, case, p)
                for e in s["errors"]
            ]
            for p in paths
        }
        cells = [_cell(found[p], errors[p]) for p in paths]
        explorer = found.get("explorer")
        mf_key = "median_s" if case == "open" else "total_median_s"
        mf = _ratio(found.get("mfdataset"), explorer, mf_key)
        lines.append(
            f"| {CASE_TITLES[case]} | {needed_text} | " + " | ".join(cells) + " | "
            f"{_ratio(explorer, found.get('icechunk-tuned'))} | {mf} |"
        )
    lines += [
        "",
        "*mf / explorer*: open_mfdataset's time over the explorer's, opens included for the "
        "reading cases (open_mfdataset reads the granules' metadata at open).",
        "",
    ]
    return lines


def _targets(results: dict[str, Any]) -> list[str]:
    """The issue's targets, from the ``s3-in-region`` rows."""
    lines = ["## Targets (s3-in-region)", "", "| target | figure | met |", "|---|---|---|"]
    for block in results["sizes"]:
        s = block["summaries"]
        n = block["granules"]
        prof = "s3-in-region"
        explorer_open = _find(s, prof, "open", "explorer")
        mf_open = _find(s, prof, "open", "mfdataset")
        if explorer_open:
            ok = explorer_open["median_s"] <= 0.3
            lines.append(f"| open ≤ 0.3 s ({n}) | {explorer_open['median_s']:.3f} s | {_yes(ok)} |")
        if explorer_open and mf_open:
            lines.append(
                _mf_row(
                    f"open ≥ 100× open_mfdataset ({n})",
                    100,
                    mf_open,
                    explorer_open["median_s"],
                    "median_s",
                    f" (open_mfdataset capped at {mf_open.get('capped_s') or 0:.0f} s)",
                )
            )
        point = _find(s, prof, "point", "explorer")
        mf_point = _find(s, prof, "point", "mfdataset")
        if point:
            latency = PROFILES[prof].latency_s
            chunks = (block["needed"].get("point") or {}).get("chunks") or n
            floor = chunks * latency / max(1, point["peak_in_flight"])
            lines.append(
                f"| point series ≤ 2 s ({n}) | {point['median_s']:.3f} s read "
                f"({point['total_median_s']:.3f} s with the open); floor {chunks} × "
                f"{latency * 1e3:.0f} ms ÷ {point['peak_in_flight']} in flight = {floor:.3f} s "
                f"({point['median_s'] / floor:.1f}× the floor){_no_latency(s, 'point')} | "
                f"{_yes(point['median_s'] <= 2)} |"
            )
        if point and mf_point:
            lines.append(
                _mf_row(
                    f"point series ≥ 30× open_mfdataset, opens included ({n})",
                    30,
                    mf_point,
                    point["total_median_s"],
                    "total_median_s",
                    " (capped)",
                )
            )
        for case in block["needed"]:
            row = _find(s, prof, case, "explorer")
            need = block["needed"][case]
            if row and need:  # the issue's bytes target is the point series'; others: shown
                req_ok = row["requests"] <= need["chunks"] + 10
                byte_ratio = row["bytes"] / max(1, need["stored_bytes"])
                bytes_target = case == "point"
                target = "requests ≤ chunks + 10" + (", bytes ≤ 1.05×" if bytes_target else "")
                ok = req_ok and (byte_ratio <= 1.05 or not bytes_target)
                lines.append(
                    f"| {case}: {target} ({n}) | "
                    f"{row['requests']:.0f} req for {need['chunks']} chunks; "
                    f"{byte_ratio:.3f}× bytes | {_yes(ok)} |"
                )
        for case in results["case_names"]:
            row, tuned = _find(s, prof, case, "explorer"), _find(s, prof, case, "icechunk-tuned")
            raw = _find(s, prof, case, "icechunk")
            if row and tuned:
                ratio = row["median_s"] / tuned["median_s"]
                vs_raw = f"; vs defaults {_ratio(row, raw)}" if raw else ""
                lines.append(
                    f"| {case}: explorer ≤ 1.10× raw Icechunk, same settings ({n}) | "
                    f"{ratio:.2f}×{vs_raw} | {_yes(ratio <= 1.10)} |"
                )
    return [*lines, ""]


def _no_latency(sized: list[dict[str, Any]], case: str) -> str:
    """ "; N s with no latency (local)": the same read's cost on this machine alone, when run."""
    local = _find(sized, "local", case, "explorer")
    if not local:
        return ""
    return f"; {local['median_s']:.3f} s at `local` (no latency: this machine's CPU)"


def _mf_row(
    target: str, times: float, mf: dict[str, Any], explorer_s: float, key: str, capped: str
) -> str:
    """A target row "≥ ``times``× open_mfdataset": the ratio of open_mfdataset's ``key`` over
    ``explorer_s``; a lower bound ("> N×", with ``capped``) when open_mfdataset hit its cap."""
    if mf.get("capped_s"):
        ratio = mf["capped_s"] / explorer_s
        return f"| {target} | > {ratio:.0f}×{capped} | {_yes(ratio >= times)} |"
    ratio = mf[key] / explorer_s
    return f"| {target} | {ratio:.0f}× | {_yes(ratio >= times)} |"


def _yes(ok: bool) -> str:
    return "met" if ok else "**missed**"


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    name = f"remote-{stamp}{'-' + args.tag if args.tag else ''}"
    log = args.out.parent / "work" / f"{name}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {
        "started": stamp,
        "command": "python -m benchmarks.remote "
        + " ".join(sys.argv[1:] if argv is None else argv),
        "profiles": [PROFILES[p].to_dict() for p in args.profiles],
        "profile_names": list(args.profiles),
        "path_names": list(args.paths),
        "case_names": list(args.cases),
        "repeats": args.repeats,
        "slow_repeats": args.slow_repeats,
        "mf_parallel": args.mf_parallel,
        "sweep": args.sweep,
        "s3_granules": args.s3_granules,
        "load_start": load_average(),
        "machine": machine(HERE.parent),
        "sizes": [],
    }
    os.environ.setdefault("PYTHONWARNINGS", "ignore")
    launcher = Launcher(str(log), args.timeout)
    started = time.perf_counter()
    for size in args.sizes:
        # moto holds the granules in memory: servers afresh for each size
        mirror = args.s3_granules == "mirror"
        remote = Remote.start(args.cache, mirror=mirror, s3_port=args.s3_port)
        try:
            block = measure_size(args, remote, launcher, size)
        finally:
            remote.close()
        block["summaries"] = summarize(block)
        results["sizes"].append(block)
    if args.setup_only:
        return 0
    results["elapsed_s"] = time.perf_counter() - started
    results["load_end"] = load_average()
    (args.out / f"{name}.json").write_text(json.dumps(results, indent=1, default=str))
    text = markdown(results)
    (args.out / f"{name}.md").write_text(text)
    print(text)
    failed = any(s["errors"] for b in results["sizes"] for s in b["summaries"])
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
