"""One measurement, in the fresh process that runs it: open, read, bytes read, peak memory.

Bytes come from Linux ``/proc/self/io``: ``rchar`` (bytes the process asked the kernel for with
``read``/``pread``, served from the page cache or the disk) is the number reported;
``read_bytes`` (bytes fetched from the block device) is kept too but is ~0 once the granules are in
the page cache. Peak memory is the process's ``VmHWM`` (its ``ru_maxrss``) after resetting it at the
start, and its growth above the RSS the process started with.

Run by :mod:`benchmarks.launch` either in a child forked from a server that imported
:data:`PRELOAD` (default) or as ``python -m benchmarks.measure '<task json>'`` (a cold interpreter;
the import time is then reported as ``import_s``).
"""

from __future__ import annotations

import importlib
import json
import resource
import sys
import time
import traceback
from collections.abc import Mapping
from pathlib import Path
from typing import Any

# What a user's script imports before opening anything (plus ``distributed``, which dask imports
# on the first compute of a process: ~1 s and ~3 MB of .pyc reads that are no part of any path).
# The fork server imports PRELOAD; CHILD_IMPORTS start threads (Icechunk's tokio runtime), which a
# forked child would inherit dead, so each child imports them itself, before the clock starts.
PRELOAD = (
    "numpy",
    "pandas",
    "xarray",
    "zarr",
    "fsspec",
    "netCDF4",
    "dask.array",
    "distributed",
    "vstore_explorer.compute",
    "benchmarks.paths",
)
CHILD_IMPORTS = ("icechunk",)
MB = 1e6


def preload(names: tuple[str, ...] = PRELOAD + CHILD_IMPORTS) -> float:
    """Import ``names``; the seconds it took."""
    started = time.perf_counter()
    for name in names:
        importlib.import_module(name)
    return time.perf_counter() - started


def proc_io() -> dict[str, int]:
    """This process's I/O counters (Linux ``/proc/self/io``); empty elsewhere."""
    try:
        text = Path("/proc/self/io").read_text()
    except OSError:
        return {}
    return {k: int(v) for k, v in (line.split(": ") for line in text.splitlines())}


def _status_kb(field: str) -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def reset_peak() -> bool:
    """Reset the peak RSS (``VmHWM``) to the current RSS (Linux ``clear_refs`` 5)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def _delta(after: Mapping[str, int], before: Mapping[str, int], key: str) -> int | None:
    return after[key] - before[key] if key in after and key in before else None


def run_task(task: Mapping[str, Any]) -> dict[str, Any]:
    """Measure one task: ``{"path", "case", "sources", "size", "layout"}`` (see
    :mod:`benchmarks.paths`)."""
    from benchmarks.cases import Case
    from benchmarks.paths import Sources, fingerprint, open_path, read_path

    path = str(task["path"])
    case = Case.from_dict(task["case"])
    sources = Sources.from_dict(task["sources"])
    out: dict[str, Any] = {
        "path": path,
        "case": case.name,
        "size": task.get("size"),
        "layout": task.get("layout"),
        "netcdf_cache": task.get("netcdf_cache"),
    }
    try:
        out["child_import_s"] = preload(CHILD_IMPORTS)
        reset_peak()
        rss_start = _status_kb("VmRSS")
        modules = len(sys.modules)
        io0 = proc_io()
        c0, t0 = time.process_time(), time.perf_counter()
        opened = open_path(path, sources, netcdf_cache=task.get("netcdf_cache") or "default")
        c1, t1 = time.process_time(), time.perf_counter()
        io1 = proc_io()
        out.update(open_s=t1 - t0, open_cpu_s=c1 - c0, open_rchar=_delta(io1, io0, "rchar"))
        out["imports_during_open"] = len(sys.modules) - modules
        if case.reads:
            modules = len(sys.modules)
            io1 = proc_io()
            c2, t2 = time.process_time(), time.perf_counter()
            data = read_path(path, opened, case)
            c3, t3 = time.process_time(), time.perf_counter()
            io2 = proc_io()
            out.update(
                read_s=t3 - t2,
                read_cpu_s=c3 - c2,
                rchar=_delta(io2, io1, "rchar"),
                read_bytes=_delta(io2, io1, "read_bytes"),
                syscr=_delta(io2, io1, "syscr"),
                result=fingerprint(data),
                imports_during_read=len(sys.modules) - modules,
            )
            out["total_s"] = out["open_s"] + out["read_s"]
            out["cpu_s"] = out["open_cpu_s"] + out["read_cpu_s"]
        else:
            out["total_s"] = out["open_s"]
            out["cpu_s"] = out["open_cpu_s"]
        hwm = _status_kb("VmHWM")
        out["peak_rss_mb"] = hwm * 1024 / MB if hwm else None
        out["rss_growth_mb"] = (hwm - rss_start) * 1024 / MB if hwm and rss_start else None
        out["ru_maxrss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / MB
    except Exception as exc:  # reported in the results, never hidden
        out["error"] = f"{type(exc).__name__}: {exc}"
        out["traceback"] = traceback.format_exc(limit=12)
    return out


def main(argv: list[str] | None = None) -> int:
    """``python -m benchmarks.measure '<task json>'``: one measurement in a cold interpreter;
    prints the result as one JSON line."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m benchmarks.measure '<task json>'", file=sys.stderr)
        return 2
    task = json.loads(args[0])
    seconds = preload()
    result = run_task(task) | {"import_s": seconds, "launch": "exec"}
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
