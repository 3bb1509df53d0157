"""Where granules are parsed: threads, processes, a dask cluster or any ``Executor``.

HDF5 parsing holds the GIL, so threads help only while waiting on the network; ``processes`` uses
every core of this machine, and ``dask`` (or a ``distributed.Client``) the workers of a cluster.
Worker processes rebuild their own object-store registry from the (picklable) :class:`Access`.

Example:
    >>> run_all(pow, [2, 3], parallel=None, workers=1, exp=2)
    [4, 9]
    >>> check_parallel("gpu")
    Traceback (most recent call last):
    ...
    vstore_explorer.errors.InvalidInputError: parallel='gpu': use threads, processes, dask, an Executor or a distributed.Client
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Literal, Protocol, TypeGuard

from vstore_explorer.errors import InvalidInputError

if TYPE_CHECKING:
    from distributed import Client


class DaskClient(Protocol):
    """What ``parallel=`` uses of a ``distributed.Client``: its ``concurrent.futures`` facade."""

    def get_executor(self) -> Executor: ...


ParallelName = Literal["threads", "processes", "dask"]
Parallel = ParallelName | Executor | DaskClient | None
"""``parallel=``: a name, an ``Executor``, a ``distributed.Client``, or None (threads)."""
PARALLEL_NAMES: tuple[str, ...] = ("threads", "processes", "dask")


def check_parallel(parallel: Parallel) -> Parallel:
    """``parallel`` if usable, else a ValueError saying what is."""
    if parallel is None or isinstance(parallel, Executor) or _is_client(parallel):
        return parallel
    if isinstance(parallel, str) and parallel in PARALLEL_NAMES:
        return parallel
    raise InvalidInputError(
        f"parallel={parallel!r}: use threads, processes, dask, an Executor or a distributed.Client"
    )


def _is_client(obj: object) -> TypeGuard[DaskClient]:
    return type(obj).__name__ == "Client" and callable(getattr(obj, "get_executor", None))


def dask_client(address: str | None = None) -> Client:
    """A ``distributed.Client`` for ``address``, or the one already running in this process."""
    try:
        from distributed import Client, get_client
    except ImportError as exc:  # pragma: no cover - dask[distributed] is a dependency
        raise InvalidInputError(
            "parallel='dask' needs dask.distributed: pip install distributed"
        ) from exc
    if address:
        return Client(address)
    try:
        return get_client()
    except ValueError:
        raise InvalidInputError(
            "parallel='dask' needs a running dask cluster: start a distributed.Client first, "
            "or pass --dask-scheduler ADDRESS (tcp://host:8786)"
        ) from None


def run_all(
    func: Callable[..., Any],
    items: Sequence[Any],
    *,
    parallel: Parallel = None,
    workers: int = 4,
    registry: Any = None,
    **kwargs: Any,
) -> list[Any]:
    """``[func(item, **kwargs) for item in items]``, in order, spread as ``parallel`` says.

    ``registry`` (an object-store registry, not picklable) is passed to ``func`` only when it runs
    in this process; other workers build their own. The first error is raised and the remaining
    work is cancelled.
    """
    parallel = check_parallel(parallel)
    local = dict(kwargs, registry=registry) if registry is not None else kwargs
    if parallel in (None, "threads") and (workers <= 1 or len(items) <= 1):
        return [func(item, **local) for item in items]
    own: Executor | None = None
    pool: Executor
    if parallel in (None, "threads"):
        own = pool = ThreadPoolExecutor(max_workers=workers)
        call_kwargs = local
    elif parallel == "processes":
        import multiprocessing

        # forkserver: a fresh interpreter per worker, safe beside the threads zarr/icechunk keep
        context = multiprocessing.get_context("forkserver")
        own = pool = ProcessPoolExecutor(
            max_workers=max(1, min(workers, os.cpu_count() or 1, len(items))), mp_context=context
        )
        call_kwargs = kwargs
    elif parallel == "dask":
        pool = dask_client().get_executor()
        call_kwargs = kwargs
    elif _is_client(parallel):
        pool = parallel.get_executor()
        call_kwargs = kwargs
    elif isinstance(parallel, Executor):
        pool = parallel
        call_kwargs = local if isinstance(parallel, ThreadPoolExecutor) else kwargs
    else:  # not reached: check_parallel let only these through
        raise InvalidInputError(f"parallel={parallel!r} is not usable")
    try:
        futures = [pool.submit(func, item, **call_kwargs) for item in items]
        try:
            return [f.result() for f in futures]
        except BaseException:
            for f in futures:
                f.cancel()
            raise
    finally:
        if own is not None:
            own.shutdown(cancel_futures=True)
