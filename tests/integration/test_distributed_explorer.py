"""The explorer on a dask.distributed cluster (issue #15, "Distributed engine").

A scheduler and two single-threaded workers run as separate processes on 127.0.0.1 (found through
a scheduler file). ``explore(client=)`` runs the views' dask loads there: the scheduler runs their
tasks on both workers, the results equal the local ones, the progress the page sees is the
cluster's (per finished output chunk), and Cancel cancels the cluster's futures.
``vstore-explorer serve --dask-scheduler`` connects one client per server process and fails at
once, naming the address, when nothing listens there.
"""

from __future__ import annotations

import contextlib
import json
import math
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dask
import dask.array as da
import numpy as np
import pytest
import xarray as xr

from tests.background_page import Page
from tests.net import free_port
from vstore_explorer.app.state.background import Background, LoadCancelled, Ticket
from vstore_explorer.compute import compute

SST = "DEMO_25km-VSTOREDEMO-L4-GLOB-v01"
ROOT = Path(__file__).resolve().parents[2]
Make = Callable[..., Any]


@dataclass
class Cluster:
    """The scheduler's address, a client on it and its two workers' addresses."""

    address: str
    scheduler_file: Path
    client: Any
    workers: frozenset[str]
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def tasks_held(self) -> int:
        """How many tasks the scheduler holds now (0: nothing pending, running or kept)."""
        return int(self.client.run_on_scheduler(_scheduler_tasks))

    def clients(self) -> int:
        """How many clients the scheduler knows now."""
        return int(self.client.run_on_scheduler(_scheduler_clients))


def _scheduler_tasks(dask_scheduler: Any) -> int:
    return len(dask_scheduler.tasks)


def _scheduler_clients(dask_scheduler: Any) -> int:
    return sum(1 for name in dask_scheduler.clients if name != "fire-and-forget")


def _stop(process: subprocess.Popen[bytes], wait: float = 0) -> None:
    """Stop a process: let it end by itself for up to ``wait`` seconds, then SIGTERM, SIGKILL."""
    if wait:
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=wait)
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """``dask scheduler`` and two ``dask worker`` processes (one thread each, no nanny) on
    127.0.0.1; every process is stopped at the end, whatever happened."""
    from distributed import Client

    root = tmp_path_factory.mktemp("dask")
    scheduler_file = root / "scheduler.json"
    processes: list[subprocess.Popen[bytes]] = []
    logs = []

    def start(module: str, *args: str, name: str) -> None:
        log = (root / f"{name}.log").open("wb")
        logs.append(log)
        processes.append(
            subprocess.Popen(
                [sys.executable, "-m", module, *args],
                cwd=root,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )

    client = None
    try:
        start(
            "distributed.cli.dask_scheduler",
            "--host=127.0.0.1",
            "--port=0",
            "--no-dashboard",
            f"--scheduler-file={scheduler_file}",
            name="scheduler",
        )
        deadline = time.monotonic() + 60
        while not scheduler_file.exists() or not scheduler_file.read_text().strip():
            assert processes[0].poll() is None, (root / "scheduler.log").read_text()[-2000:]
            assert time.monotonic() < deadline, "the scheduler wrote no scheduler file"
            time.sleep(0.1)
        for n in (1, 2):
            start(
                "distributed.cli.dask_worker",
                f"--scheduler-file={scheduler_file}",
                "--host=127.0.0.1",
                "--nthreads=1",
                "--no-nanny",
                "--no-dashboard",
                f"--name=worker-{n}",
                f"--local-directory={root / f'worker-{n}'}",
                name=f"worker-{n}",
            )
        # dask's default, as serve's client is in its process (local loads below say "threads")
        client = Client(scheduler_file=str(scheduler_file), timeout=30)
        client.wait_for_workers(2, timeout=90)
        workers = frozenset(client.scheduler_info()["workers"])
        assert len(workers) == 2 and all(w.startswith("tcp://127.0.0.1:") for w in workers)
        address = json.loads(scheduler_file.read_text())["address"]
        yield Cluster(address, scheduler_file, client, workers, processes)
    finally:
        shut_down = False
        if client is not None:
            with contextlib.suppress(Exception):  # the scheduler closes its workers, then itself
                client.shutdown()
                shut_down = True
            client.close()
        for process in reversed(processes):  # the workers first, then the scheduler
            _stop(process, wait=10 if shut_down else 0)
        for log in logs:
            log.close()


def _ran(stream: Any) -> list[dict[str, Any]]:
    """The task records of a ``get_task_stream`` context (tasks run on any worker meanwhile)."""
    return list(stream.data)


# ------------------------------------------------------------------ views on the cluster


@dataclass(frozen=True)
class Reference:
    """The views computed in this process (dask's threads), by one explorer without a client."""

    first_map: Any
    area_series: Any
    mean_map: Any
    point_series: Any
    cluster_tasks: int
    """Tasks the cluster ran while they were computed (0: all computed here)."""


@pytest.fixture(scope="module")
def local(cluster: Cluster, demo_records: str) -> Reference:
    """The reference results the cluster's must equal, computed once for the module: the first
    map (one day), the area-mean series, the time-mean map and the series at (-40, 30)."""
    from distributed import get_task_stream
    from panel.io.location import Location

    from vstore_explorer.app.explorer import explore

    state = explore(
        demo_records, collection=SST, apply_above=math.inf, warm=False, location=Location()
    ).state
    assert state.client is None
    first_map = state.result("map")
    with get_task_stream(cluster.client) as stream, dask.config.set(scheduler="threads"):
        state.view = "timeseries"
        area_series = state.timeseries_result
        state.view = "map"
        state.map_mean = True
        mean_map = state.map_result
        state.param.update(map_mean=False, view="timeseries")
        state.param.update(where="point", lon=-40.0, lat=30.0)
        point_series = state.timeseries_result
    for name, result in (
        ("first map", first_map),
        ("area mean", area_series),
        ("time-mean map", mean_map),
        ("point series", point_series),
    ):
        assert result is not None, (name, state.alert)
    assert mean_map.selection.reduction == "time_mean"
    assert point_series.selection.point == (-40.0, 30.0)
    return Reference(first_map, area_series, mean_map, point_series, len(_ran(stream)))


def test_area_mean_and_maps_load_on_the_cluster_and_equal_local_results(
    cluster: Cluster, make_explorer: Make, local: Reference
) -> None:
    from distributed import get_task_stream

    remote = make_explorer(
        collection=SST, apply_above=math.inf, warm=False, client=cluster.client
    ).state
    assert remote.client is cluster.client
    steps = remote.handle.dataset.sizes["time"]

    # the area-mean series: one read + reduction per daily chunk, on both workers
    seen: list[int] = []
    remote.param.watch(lambda e: seen.append(e.new), "progress")
    with get_task_stream(cluster.client) as stream:
        remote.view = "timeseries"
    series = remote.timeseries_result
    assert series is not None and remote.alert == "", remote.alert
    assert series.cost.chunks == steps
    tasks = _ran(stream)
    assert len(tasks) >= steps, tasks  # at least one task per chunk read there
    assert {t["worker"] for t in tasks} == cluster.workers  # both workers took part
    # the page's progress is the cluster's: one step per finished output chunk, rising to 100
    middle = [p for p in seen if 0 < p < 100]
    assert middle == sorted(middle) and len(set(middle)) >= 2 and seen[-1] == 100, seen
    assert remote.progress == 100 and not remote.busy
    assert local.cluster_tasks == 0  # the reference is computed here
    expected = local.area_series
    np.testing.assert_allclose(series.data.values, expected.data.values, rtol=1e-12, atol=0)
    np.testing.assert_array_equal(series.data.time.values, expected.data.time.values)

    # the time-mean map: a reduction over the days, on the cluster too
    remote.view = "map"
    with get_task_stream(cluster.client) as stream:
        remote.map_mean = True
    mean_map = remote.map_result
    assert mean_map is not None and mean_map.selection.reduction == "time_mean", remote.alert
    tasks = _ran(stream)
    assert len(tasks) >= steps and {t["worker"] for t in tasks} == cluster.workers
    np.testing.assert_allclose(mean_map.data.values, local.mean_map.data.values, rtol=1e-12, atol=0)
    assert cluster.tasks_held() == 0  # nothing kept on the cluster once the results are here


def test_reads_without_dask_stay_in_the_server_process(
    cluster: Cluster, make_explorer: Make, local: Reference
) -> None:
    """A one-day map and a point's series read a chunk or two with no dask graph: they are read
    here, not shipped to the cluster (and equal the local reads)."""
    from distributed import get_task_stream

    with get_task_stream(cluster.client) as stream:
        remote = make_explorer(
            collection=SST, apply_above=math.inf, warm=False, client=cluster.client
        ).state  # the first map: one day
        remote.param.update(where="point", lon=-40.0, lat=30.0)
        remote.view = "timeseries"
    assert _ran(stream) == []
    for got, expected in (
        (remote.result("map"), local.first_map),
        (remote.result("timeseries"), local.point_series),
    ):
        assert got is not None
        assert got.selection == expected.selection
        np.testing.assert_array_equal(got.data.values, expected.data.values)


# ------------------------------------------------------------------ progress and cancel


@pytest.fixture
def page() -> Iterator[Page]:
    page = Page()
    yield page
    page.background.close()


def test_background_loads_report_cluster_progress_and_cancel_its_futures(
    cluster: Cluster, make_explorer: Make, page: Page, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As served: slow loads run on the session's worker thread, progress comes back through
    the page, and Cancel stops the load and leaves no futures on the cluster."""
    import vstore_explorer.app.state.loading as loading

    state = make_explorer(
        collection=SST, apply_above=math.inf, warm=False, client=cluster.client
    ).state
    state.background = page.background
    monkeypatch.setattr(loading, "SLOW_CHUNKS", 0)  # every load runs in the background
    seen: list[int] = []
    state.param.watch(lambda e: seen.append(e.new), "progress")
    state.view = "timeseries"
    assert state.busy and state._running is not None
    page.drain(lambda: not state.busy)
    page.settle()
    assert state.timeseries_result is not None, state.alert
    middle = [p for p in seen if 0 < p < 100]
    assert middle == sorted(middle) and len(set(middle)) >= 2 and seen[-1] == 100, seen

    # Cancel once the load is on the cluster (its first progress report is on the page's queue)
    shown = state.timeseries_result
    state.param.update(where="box", west=-80.0, south=-10.0, east=0.0, north=50.0)
    ticket = state._running
    assert ticket is not None
    first = page.calls.get(timeout=60)  # the worker persisted the graph and reported 0 %
    state.cancel()
    assert ticket.cancelled and not state.busy and state.pending
    first()  # a cancelled load's hand-backs do nothing
    page.settle()
    assert state.timeseries_result is shown and state.status.startswith("Cancelled")
    _wait_until(lambda: cluster.tasks_held() == 0)  # the cluster's futures were cancelled


def test_a_cancelled_ticket_cancels_the_remaining_cluster_tasks(cluster: Cluster) -> None:
    """compute() on a client: the progress callback raising (the explorer's Cancel) cancels the
    futures, so the tasks not started yet never run."""
    from distributed import get_task_stream

    def slow(block: np.ndarray) -> np.ndarray:
        time.sleep(0.25)
        return block

    def lazy() -> xr.DataArray:
        data = da.ones((8, 20, 20), chunks=(1, 20, 20)).map_blocks(slow, dtype=float)
        return xr.DataArray(data, dims=("t", "y", "x")).mean(("y", "x"))

    with get_task_stream(cluster.client) as stream:
        full = compute(lazy(), client=cluster.client, progress=lambda f: None)
    assert full.shape == (8,) and float(full.sum()) == 8.0
    every = len(_ran(stream))

    ticket = Ticket("timeseries")
    report = Background(lambda fn: None).progress(ticket, lambda p: None)

    def progress(fraction: float) -> None:
        if fraction > 0:  # the first output chunk landed: the user presses Cancel
            ticket.cancel()
        report(fraction)

    with (
        get_task_stream(cluster.client) as stream,
        pytest.raises(LoadCancelled, match="timeseries load was cancelled"),
    ):
        compute(lazy(), client=cluster.client, progress=progress)
    _wait_until(lambda: cluster.tasks_held() == 0)
    assert len(_ran(stream)) < every  # the tasks not started when Cancel came never ran


def test_a_client_that_is_not_dasks_default_computes_too(cluster: Cluster) -> None:
    code = (
        "import numpy as np, xarray as xr\n"
        "from distributed import Client\n"
        "from vstore_explorer.compute import compute\n"
        f"client = Client({cluster.address!r}, set_as_default=False, timeout=30)\n"
        "lazy = xr.DataArray(np.arange(8.0), dims='x').chunk(2).mean()\n"
        "print(float(compute(lazy, client=client, progress=lambda f: None)))\n"
        "client.close()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-1500:]
    assert done.stdout.strip().splitlines()[-1] == "3.5"


def _wait_until(ok: Callable[[], bool], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not ok():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


# ------------------------------------------------------------------ serve --dask-scheduler


def _serve(*args: str) -> list[str]:
    return [sys.executable, "-m", "vstore_explorer.cli", "serve", *args]


def test_serve_fails_at_once_naming_an_unreachable_scheduler(demo_records: str) -> None:
    address = "tcp://127.0.0.1:1"  # nothing listens on port 1
    started = time.monotonic()
    done = subprocess.run(
        _serve("--catalog", demo_records, "--port", str(free_port()), "--dask-scheduler", address),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    seconds = time.monotonic() - started
    assert done.returncode == 2, done.stderr
    assert f"cannot reach the dask scheduler at {address}" in done.stderr
    assert "Traceback" not in done.stderr and "http://" not in done.stderr  # never served
    assert seconds < 20, seconds  # the imports, then a refused connection (no retries)


def test_serve_shares_one_client_on_the_scheduler_and_closes_it(
    cluster: Cluster, demo_records: str
) -> None:
    port = free_port()
    before = cluster.clients()
    server = subprocess.Popen(
        _serve("--catalog", demo_records, "--port", str(port), "--dask-scheduler", cluster.address),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            assert server.poll() is None, server.stderr.read().decode() if server.stderr else ""
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=30) as response:
                    assert response.status == 200
                    break
            except OSError:
                assert time.monotonic() < deadline, "serve did not answer"
                time.sleep(0.5)
        assert cluster.clients() == before + 1  # one client for the server process
    finally:
        if server.poll() is None:
            server.send_signal(signal.SIGINT)  # as Ctrl+C: the client is closed on the way out
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                _stop(server)
    stderr = server.stderr.read().decode() if server.stderr else ""
    assert f"dask loads run on the cluster at {cluster.address}" in stderr, stderr
    _wait_until(lambda: cluster.clients() == before)
