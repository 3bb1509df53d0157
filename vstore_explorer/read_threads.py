"""How many threads a local dask read of a virtual store runs: enough to keep requests in flight.

Dask's default threaded scheduler runs one task per core, and a task of a store read fetches its
chunk synchronously: on 2 cores an area mean over S3 or HTTPS kept 2 requests in flight, 365
chunks x 80 ms / 2 = 15 s of waiting. Reads are mostly waiting, so the explorer runs more
threads than cores, bounded by :data:`MAX_READ_THREADS` and by the memory the decoded chunks in
flight take (:data:`READ_THREADS_BYTES`). Only dask's own threaded scheduler is widened: a
distributed ``Client`` made the default, ``scheduler=`` or ``num_workers`` set in dask's config
are left as the user set them.

Example:
    >>> import dask.array as da
    >>> threads_for(da.zeros((365, 240, 480), chunks=(1, 240, 480), dtype="int16"), 128)
    32
    >>> threads_for(da.zeros((4, 8192, 8192), chunks=(1, 8192, 8192)), 128) <= 4
    True
"""

from __future__ import annotations

import os
from typing import Any

MAX_READ_THREADS = 32
"""At most this many threads for one read (each holds a request, or a chunk being decoded)."""
READ_THREADS_BYTES = 1 << 30
"""Decoded chunks in flight may take about this much memory (1 GiB) before threads are fewer."""


def threads_for(obj: Any, concurrency: int | None) -> int | None:
    """Threads for computing ``obj`` (a dask-backed xarray object or dask array) with dask's
    threaded scheduler, given ``Access.concurrency``; None to leave dask's choice (no
    concurrency asked, or the user chose a scheduler or a number of workers)."""
    import dask
    import dask.threaded
    from dask.base import get_scheduler

    if concurrency is None or dask.config.get("num_workers", None) is not None:
        return None
    if get_scheduler(collections=[obj]) is not dask.threaded.get:
        return None
    largest = max((_chunk_bytes(a) for a in _arrays(obj)), default=0)
    by_memory = READ_THREADS_BYTES // max(1, largest)
    cores = os.cpu_count() or 1
    return max(cores, min(concurrency, MAX_READ_THREADS, by_memory))


def _arrays(obj: Any) -> list[Any]:
    """The dask arrays behind ``obj`` (a dask array, DataArray or Dataset)."""
    data_vars = getattr(obj, "data_vars", None)
    if data_vars is not None:
        return [v.data for v in data_vars.values() if hasattr(v.data, "chunksize")]
    data = getattr(obj, "data", obj)
    return [data] if hasattr(data, "chunksize") else []


def _chunk_bytes(array: Any) -> int:
    size = array.dtype.itemsize
    for n in array.chunksize:
        size *= int(n)
    return size
