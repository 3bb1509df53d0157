"""A local dask read runs more threads than cores (its tasks wait for chunk requests), unless
the user chose dask's scheduler or its number of workers."""

from __future__ import annotations

import os
import threading
import time

import dask
import dask.array as da
import numpy as np
import xarray as xr

from vstore_explorer.compute import compute
from vstore_explorer.read_threads import MAX_READ_THREADS, threads_for


def _waiting_tasks() -> tuple[xr.DataArray, dict[str, int]]:
    """64 tasks that each wait 20 ms (as for a chunk's first byte); counts how many overlap."""
    seen = {"active": 0, "peak": 0}
    lock = threading.Lock()

    def wait(block: np.ndarray) -> np.ndarray:
        with lock:
            seen["active"] += 1
            seen["peak"] = max(seen["peak"], seen["active"])
        time.sleep(0.02)
        with lock:
            seen["active"] -= 1
        return block

    return xr.DataArray(da.ones(64, chunks=1).map_blocks(wait), dims="time"), seen


def test_a_read_keeps_many_tasks_waiting_together():
    lazy, seen = _waiting_tasks()
    assert float(compute(lazy.sum(), concurrency=128)) == 64
    assert seen["peak"] > (os.cpu_count() or 1) and seen["peak"] <= MAX_READ_THREADS


def test_without_concurrency_dask_keeps_a_thread_per_core():
    lazy, seen = _waiting_tasks()
    assert float(compute(lazy.sum())) == 64
    assert seen["peak"] <= (os.cpu_count() or 1)


def test_the_users_scheduler_and_workers_are_left_alone():
    lazy, seen = _waiting_tasks()
    with dask.config.set(scheduler="synchronous"):
        assert threads_for(lazy, 128) is None
        assert float(compute(lazy.sum(), concurrency=128)) == 64
    assert seen["peak"] == 1
    with dask.config.set(num_workers=3):
        assert threads_for(lazy, 128) is None


def test_large_chunks_get_fewer_threads():
    big = da.zeros((8, 8192, 8192), chunks=(1, 8192, 8192))  # 512 MiB decoded per chunk
    assert threads_for(big, 128) == max(os.cpu_count() or 1, 2)
    assert threads_for(big, None) is None
