"""The paths of the latency-realistic benchmark, and one measurement in the fresh process that runs
it (forked from a preloaded server, as :mod:`benchmarks.launch` does).

- ``explorer``: :func:`vstore_explorer.stores.open.connect` of the ``vstore-explorer build`` store
  on S3 (through the S3 proxy) with ``Access(anonymous=True, concurrency=...)``, then
  :func:`vstore_explorer.compute.load` of the Selection;
- ``icechunk``: raw Icechunk + ``xr.open_zarr(chunks=None)`` on the same store, the libraries'
  defaults (zarr's ``async.concurrency`` 10; the store's persisted storage settings);
- ``icechunk-tuned``: the same with the explorer's settings (``Access.icechunk_config()`` and
  zarr's concurrency): what is left between it and ``explorer`` is the explorer's own work;
- ``kerchunk``: ``reference://`` over HTTP (the Kerchunk JSON and the granules from the HTTP
  proxy), engine zarr, ``chunks=None``;
- ``mfdataset``: ``xr.open_mfdataset`` of fsspec HTTP file objects with h5netcdf, from the same
  HTTP proxy (fsspec's defaults: a 5 MB read-ahead block per file).

Each measurement resets the proxies' counters, opens, reads their counters, resets, reads the case
and reads them again: requests, body bytes and peak requests in flight per phase.
"""

from __future__ import annotations

import dataclasses
import math
import os
import resource
import time
import traceback
from collections.abc import Mapping
from typing import Any

from benchmarks.cases import Case, by_hand, selection
from benchmarks.latency_proxy import read_stats, reset_stats
from benchmarks.paths import MF_COMBINE, fingerprint
from benchmarks.remote_setup import REGION, RemoteSources, s3_env

REMOTE_PATHS = ("explorer", "icechunk", "icechunk-tuned", "kerchunk", "mfdataset")
REMOTE_TITLES = {
    "explorer": "vstore_explorer (connect + load), `vstore-explorer build` store on S3",
    "icechunk": "raw Icechunk + xarray on S3, library defaults",
    "icechunk-tuned": "raw Icechunk + xarray on S3, the explorer's settings",
    "kerchunk": "Kerchunk reference:// over HTTP (zarr)",
    "mfdataset": "xr.open_mfdataset, fsspec HTTP + h5netcdf",
}
PRELOAD = (
    "numpy",
    "pandas",
    "xarray",
    "zarr",
    "fsspec",
    "fsspec.implementations.http",
    "fsspec.implementations.reference",
    "aiohttp",
    "h5netcdf",
    "dask.array",
    "distributed",
    "vstore_explorer.compute",
    "vstore_explorer.stores.open",
    "benchmarks.paths",
)
MB = 1e6


def access(sources: RemoteSources, concurrency: int | None | str) -> Any:
    """The explorer's :class:`Access` for the S3 proxy (``"default"``: Access's own default)."""
    from vstore_explorer.stores.access import Access

    base = Access(endpoint_url=sources.s3_endpoint, region=REGION, anonymous=True)
    if isinstance(concurrency, str):  # "default"
        return base
    return dataclasses.replace(base, concurrency=concurrency)


def open_remote(
    path: str, sources: RemoteSources, concurrency: int | None | str, mf_parallel: bool
) -> Any:
    """Open the collection the ``path`` way: a StoreHandle (explorer) or a lazy Dataset."""
    import xarray as xr

    if path == "explorer":
        from vstore_explorer.catalog.links import StoreLink
        from vstore_explorer.stores.open import connect

        link = StoreLink(
            url=sources.store, kind="icechunk", endpoint_url=sources.s3_endpoint, region=REGION
        )
        return connect(link, credentials=access(sources, concurrency))
    if path in ("icechunk", "icechunk-tuned"):
        import icechunk

        bucket, prefix = sources.store.removeprefix("s3://").split("/", 1)
        storage = icechunk.s3_storage(
            bucket=bucket,
            prefix=prefix,
            region=REGION,
            endpoint_url=sources.s3_endpoint,
            allow_http=True,
            force_path_style=True,
            anonymous=True,
        )
        config = None
        if path == "icechunk-tuned":
            tuned = access(sources, concurrency)
            tuned.apply_zarr_concurrency()
            config = tuned.icechunk_config()
        repo = icechunk.Repository.open(
            storage,
            config=config,
            authorize_virtual_chunk_access=icechunk.containers_credentials(
                {sources.container: icechunk.s3_anonymous_credentials()}
            ),
        )
        session = repo.readonly_session(branch="main")
        return xr.open_zarr(session.store, consolidated=False, chunks=None, zarr_format=3)
    if path == "kerchunk":
        options = {
            "fo": sources.refs,
            "remote_protocol": "http",
            "remote_options": {"asynchronous": True},
        }
        return xr.open_dataset(
            "reference://",
            engine="zarr",
            backend_kwargs={"consolidated": False, "storage_options": options},
            chunks=None,
        )
    if path == "mfdataset":
        import fsspec

        fs = fsspec.filesystem("http")
        files = [fs.open(url) for url in sources.granules]
        xr.set_options(file_cache_maxsize=max(128, len(files) + 16))
        return xr.open_mfdataset(files, engine="h5netcdf", parallel=mf_parallel, **MF_COMBINE)
    raise ValueError(f"unknown path {path!r}; known: {', '.join(REMOTE_PATHS)}")


def read_remote(path: str, opened: Any, case: Case) -> Any:
    """Read ``case`` from what :func:`open_remote` returned; the loaded DataArray."""
    if path == "explorer":
        from vstore_explorer.compute import load
        from vstore_explorer.cost import Limits

        unlimited = Limits(max_read_bytes=math.inf, max_memory_bytes=math.inf)
        return load(opened, selection(case), limits=unlimited)
    return by_hand(opened, case).load()


def _traffic(sources: RemoteSources) -> dict[str, Any]:
    """Both proxies' counters, added (a path uses one of them)."""
    both = [read_stats(url) for url in (sources.s3_endpoint, sources.http_endpoint)]
    return {
        "requests": sum(s["requests"] for s in both),
        "bytes": sum(s["bytes"] for s in both),
        "peak_in_flight": max(s["peak_in_flight"] for s in both),
        "methods": {k: v for s in both for k, v in s["methods"].items()},
        "errors": sum(n for s in both for code, n in s["statuses"].items() if int(code) >= 500),
    }


def _reset(sources: RemoteSources) -> None:
    for url in (sources.s3_endpoint, sources.http_endpoint):
        reset_stats(url)


def run_task(task: Mapping[str, Any]) -> dict[str, Any]:
    """One measurement: ``{"path", "case", "sources", "concurrency", "mf_parallel", ...}``."""
    path = str(task["path"])
    case = Case.from_dict(task["case"])
    sources = RemoteSources.from_dict(task["sources"])
    concurrency = task.get("concurrency", "default")
    out: dict[str, Any] = {
        k: task.get(k) for k in ("path", "size", "profile", "repeat", "concurrency", "sweep")
    }
    out["case"] = case.name
    if task.get("cases"):
        return {"rows": _one_open(task, sources, concurrency)}
    try:
        os.environ.update(s3_env())
        import icechunk  # noqa: F401  (its runtime must start in this process, before the clock)

        _reset(sources)
        c0, t0 = time.process_time(), time.perf_counter()
        opened = open_remote(path, sources, concurrency, bool(task.get("mf_parallel")))
        c1, t1 = time.process_time(), time.perf_counter()
        out.update(open_s=t1 - t0, open_cpu_s=c1 - c0, open_traffic=_traffic(sources))
        if case.reads:
            _reset(sources)
            c2, t2 = time.process_time(), time.perf_counter()
            data = read_remote(path, opened, case)
            c3, t3 = time.process_time(), time.perf_counter()
            out.update(read_s=t3 - t2, read_cpu_s=c3 - c2, read_traffic=_traffic(sources))
            out["result"] = fingerprint(data)
            out["total_s"] = out["open_s"] + out["read_s"]
        else:
            out["total_s"] = out["open_s"]
        out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / MB
    except Exception as exc:  # reported in the results, never hidden
        out["error"] = f"{type(exc).__name__}: {exc}"[:2000]
        out["traceback"] = traceback.format_exc(limit=12)
    return out


def _one_open(
    task: Mapping[str, Any], sources: RemoteSources, concurrency: Any
) -> list[dict[str, Any]]:
    """One open, then every case of ``task["cases"]`` read in turn from it (for a path whose open
    takes minutes): a row per case, each with the same open."""
    path = str(task["path"])
    base = {k: task.get(k) for k in ("path", "size", "profile", "repeat", "concurrency", "sweep")}
    base["one_open"] = True
    rows: list[dict[str, Any]] = []
    try:
        os.environ.update(s3_env())
        _reset(sources)
        t0 = time.perf_counter()
        opened = open_remote(path, sources, concurrency, bool(task.get("mf_parallel")))
        opening: dict[str, Any] = {"open_s": time.perf_counter() - t0}
        opening["open_traffic"] = _traffic(sources)
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"[:2000]
        return [base | {"case": c["name"], "error": error} for c in task["cases"]]
    for data in task["cases"]:
        case = Case.from_dict(data)
        row: dict[str, Any] = base | opening | {"case": case.name}
        if case.reads:
            try:
                _reset(sources)
                t2 = time.perf_counter()
                result = read_remote(path, opened, case)
                row.update(read_s=time.perf_counter() - t2, read_traffic=_traffic(sources))
                row["result"] = fingerprint(result)
                row["total_s"] = row["open_s"] + row["read_s"]
            except Exception as exc:
                row["error"] = f"{type(exc).__name__}: {exc}"[:2000]
        else:
            row["total_s"] = row["open_s"]
        row["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / MB
        rows.append(row)
    return rows


def _forked(task: dict[str, Any], conn: Any, log: str) -> None:
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    conn.send(run_task(task))
    conn.close()


class Launcher:
    """Each measurement in a child forked from one ``multiprocessing`` fork server that imported
    :data:`PRELOAD` (no import time in the numbers, no state carried over)."""

    def __init__(self, log: str, timeout: float) -> None:
        import multiprocessing

        self.log = log
        self.timeout = timeout
        self.ctx = multiprocessing.get_context("forkserver")
        self.ctx.set_forkserver_preload([*PRELOAD, "benchmarks.remote_paths"])

    def run(self, task: dict[str, Any], timeout: float | None = None) -> dict[str, Any]:
        limit = timeout or self.timeout
        receive, send = self.ctx.Pipe(duplex=False)
        child = self.ctx.Process(target=_forked, args=(task, send, self.log))
        child.start()
        send.close()
        base = {k: task.get(k) for k in ("path", "size", "profile", "repeat", "concurrency")}
        base["case"] = task["case"]["name"]
        try:
            if receive.poll(limit):
                result: dict[str, Any] = receive.recv()
                return result
            child.kill()
            capped = {"capped": True, "cap_s": limit}
            return base | capped | {"error": f"timed out after {limit:.0f} s (capped)"}
        except EOFError:
            return base | {"error": f"child died (exit code {child.exitcode})"}
        finally:
            child.join(30)
            receive.close()
