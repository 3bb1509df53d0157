"""The one path from a store and a Selection to numbers, a cost and a script.

``subset`` is lazy; ``load`` checks the cost against the limits *before* reading, then computes
(with dask when the plan reduces many chunks, on a ``distributed.Client`` when given);
``to_code`` renders the very same plan as a runnable script.

Example:
    >>> import vstore_explorer as vx
    >>> handle = vx.connect(vx.demo_link("DEMO_25km-VSTOREDEMO-L4-GLOB-v01"))  # doctest: +SKIP
    >>> sel = vx.Selection(variables=("analysed_sst",), point=(-40.0, 35.0))
    >>> print(vx.cost_of(handle, sel).summary())  # doctest: +SKIP
    >>> series = vx.load(handle, sel)  # doctest: +SKIP
    >>> print(vx.to_code(handle, sel))  # doctest: +SKIP
"""

from __future__ import annotations

import os
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from typing import TYPE_CHECKING, Any

import xarray as xr

from vstore_explorer.catalog.links import StoreLink
from vstore_explorer.codegen import render_script
from vstore_explorer.cost import MAX_EXACT_KEYS, Cost, Limits, check, estimate
from vstore_explorer.ops import KINDS as OP_KINDS
from vstore_explorer.ops import Op, describe, execute, plan
from vstore_explorer.read_threads import threads_for
from vstore_explorer.selection import Selection
from vstore_explorer.stores.kinds.registry import KINDS
from vstore_explorer.stores.open import StoreHandle, connect
from vstore_explorer.stores.urls import public_url

if TYPE_CHECKING:
    from distributed import Client

Progress = Callable[[float], None]

StoreLike = StoreHandle | StoreLink | str | os.PathLike[str]
"""A store: an opened :class:`StoreHandle`, a catalog :class:`StoreLink`, or a path/URL."""
PlotSpec = tuple[str, Mapping[str, Any]]


def _handle(store: StoreLike, **open_kwargs: Any) -> StoreHandle:
    return store if isinstance(store, StoreHandle) else connect(store, **open_kwargs)


def _selection(sel: Selection | Mapping[str, Any]) -> Selection:
    return sel if isinstance(sel, Selection) else Selection.from_dict(dict(sel))


@dataclass(frozen=True, eq=False)
class Request:
    """A Selection prepared on an opened store: planned once; its cost, lazy result and code are
    computed on first use and kept.

    The explorer holds one Request per view, and :func:`subset`, :func:`cost_of`, :func:`load` and
    :func:`to_code` are one-liners over it, so the UI, ``vx.load`` and the exported script walk the
    very same ops.

    Example:
        >>> req = Request(handle, Selection(variables=("analysed_sst",), point=(-40, 35)))  # doctest: +SKIP
        >>> print(req.cost().summary())  # doctest: +SKIP
        >>> series = req.load(Limits(max_read_bytes=500e6))  # doctest: +SKIP
        >>> script = req.code()  # doctest: +SKIP
    """

    handle: StoreHandle
    selection: Selection
    ops: tuple[Op, ...] = field(init=False)
    _cache: dict[Any, Any] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "ops", plan(self.handle.dataset, self.selection))

    @classmethod
    def of(
        cls, store: StoreLike, sel: Selection | Mapping[str, Any], **open_kwargs: Any
    ) -> Request:
        """A Request from any store (opened here if needed) and a Selection or its dict."""
        return cls(_handle(store, **open_kwargs), _selection(sel))

    def _cached(self, key: Any, make: Callable[[], Any]) -> Any:
        if key not in self._cache:
            self._cache[key] = make()
        return self._cache[key]

    def cost(self, *, exact: bool = False) -> Cost:
        """Chunks and bytes the request reads (see :func:`cost_of`)."""
        return self._cached(("cost", exact), lambda: _estimate(self.handle, self.ops, exact=exact))

    def _split(self) -> tuple[tuple[Op, ...], tuple[Op, ...]]:
        """(the ops run before reading, the ops run on what was read). The trailing elementwise
        masks (CF valid range, a box on a curvilinear grid): on data not backed by dask (no
        reduction) xarray's ``where`` would read at once, so they run after the read; before a
        reduction the data is dask, and they run lazily in place."""
        ops = self.ops
        lazy_data = any(op.name == "chunk" for op in ops) or self.handle.chunks is not None
        if lazy_data:
            return ops, ()
        start = len(ops)
        while start and OP_KINDS[ops[start - 1].name].elementwise:
            start -= 1
        return ops[:start], ops[start:]

    def lazy(self) -> xr.DataArray | xr.Dataset:
        """The lazy result (nothing is read; a valid-range mask on data without dask makes it
        dask-backed, so that the mask stays lazy too)."""

        def make() -> xr.DataArray | xr.Dataset:
            before, after = self._split()
            obj = execute(self.handle.dataset, before)
            return execute(obj.chunk(), after) if after else obj

        return self._cached("lazy", make)

    def describe(self) -> list[str]:
        """One plain-English line per op."""
        return describe(self.ops)

    def check(self, limits: Limits | None = None) -> Cost:
        """The cost, or :class:`~vstore_explorer.cost.CostLimitError` when over ``limits``."""
        cost = self.cost()
        check(cost, limits or Limits(), self.ops)
        return cost

    def load(
        self,
        limits: Limits | None = None,
        *,
        progress: Progress | None = None,
        client: Client | None = None,
        by_chunk: bool = False,
    ) -> xr.DataArray | xr.Dataset:
        """Read the result: the cost checked against ``limits`` first (nothing read above them),
        then computed, on ``client`` (a ``distributed.Client``) when given.

        ``by_chunk`` reads through dask, a task per stored chunk, even without a reduction: the
        ``progress`` (and a stop raised from it) then come chunk by chunk (large downloads)."""
        self.check(limits)
        try:
            before, after = self._split()
            concurrency = self.handle.access.concurrency
            if not after and not by_chunk:
                return compute(
                    self.lazy(), client=client, progress=progress, concurrency=concurrency
                )
            read = execute(self.handle.dataset, before)
            read = compute(
                _by_stored_chunks(read) if by_chunk else read,
                client=client,
                progress=progress,
                concurrency=concurrency,
            )
            return execute(read, after) if after else read
        except Exception as exc:  # a granule gone or refused: say which, for which variable
            clear = self.handle.read_error(exc)
            if clear is None:
                raise
            raise clear from exc

    def provenance(self) -> dict[str, str]:
        """Where a download came from, for its NetCDF global attributes and CSV header: the
        store (without secrets), its version and snapshot, the group, the Selection as a query
        string, the package version and the time it was made (UTC)."""
        handle = self.handle
        made = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        store = public_url(handle.link.url)
        query = self.selection.to_query()
        record = {
            "vstore_explorer_store": store,
            "vstore_explorer_store_kind": handle.link.kind,
            "vstore_explorer_store_version": handle.version.label,
            "vstore_explorer_snapshot": handle.snapshot_id or "",
            "vstore_explorer_group": handle.group or "",
            "vstore_explorer_selection": query,
            "vstore_explorer_package_version": package_version(),
            "vstore_explorer_created": made,
        }
        record["history"] = f"{made} vstore_explorer {package_version()}: {query} from {store}"
        return record

    def code(self, plot: PlotSpec | None = None, *, coastlines: bool = False) -> str:
        """The runnable script doing this request (with an hvplot call when ``plot`` is given)."""
        key = ("code", repr(plot), coastlines)
        return self._cached(key, lambda: self._render(plot, coastlines))

    def _render(self, plot: PlotSpec | None, coastlines: bool) -> str:
        handle = self.handle
        header = (
            f"Store: {handle.link.url} ({handle.link.kind}, {handle.version.label})\n"
            f"Selection: {self.selection.to_query()}"
        )
        return render_script(
            open_code=handle.open_code(),
            ops=self.ops,
            plot=plot,
            header=header,
            coastlines=coastlines,
        )


def package_version() -> str:
    """The installed vstore_explorer version (``unknown`` when run from a bare checkout)."""
    try:
        return metadata.version("vstore-explorer")
    except metadata.PackageNotFoundError:
        return "unknown"


def _estimate(handle: StoreHandle, ops: tuple[Op, ...], *, exact: bool = False) -> Cost:
    if handle.exact_sizes:
        return estimate(
            handle.dataset,
            ops,
            chunk_key=handle.chunk_key,
            chunk_nbytes=handle.chunk_nbytes,
            source=KINDS[handle.link.kind].sizes_source if handle.link.kind in KINDS else "store",
            max_exact=None if exact else MAX_EXACT_KEYS,
        )
    return estimate(handle.dataset, ops)


def subset(store: StoreLike, sel: Selection | Mapping[str, Any]) -> xr.DataArray | xr.Dataset:
    """The lazy result of ``sel`` on the store (nothing is read).

    Example:
        >>> sel = Selection(variables=("analysed_sst",), time=("2024-01", "2024-03"))
        >>> sst = subset("/data/sst.icechunk", sel)  # doctest: +SKIP
        >>> sst = sst.load()  # doctest: +SKIP
    """
    return Request.of(store, sel).lazy()


def cost_of(store: StoreLike, sel: Selection | Mapping[str, Any], *, exact: bool = False) -> Cost:
    """Chunks and bytes ``sel`` reads from the store, from its manifest/references when it has them.

    Sizes are summed chunk by chunk up to :data:`~vstore_explorer.cost.MAX_EXACT_KEYS` chunks per
    variable and sampled above (a lookup costs ~0.1 ms); ``exact=True`` looks every chunk up.

    Example:
        >>> handle = connect("/data/sst.icechunk")  # doctest: +SKIP
        >>> sel = {"variables": ["analysed_sst"], "point": [-40.0, 35.0]}
        >>> cost = cost_of(handle, sel)  # doctest: +SKIP
        >>> cost.exact, cost.source  # doctest: +SKIP
        (True, 'Icechunk manifest')
    """
    return Request.of(store, sel).cost(exact=exact)


def load(
    store: StoreLike,
    sel: Selection | Mapping[str, Any],
    *,
    limits: Limits | None = None,
    client: Client | None = None,
    progress: Progress | None = None,
) -> xr.DataArray | xr.Dataset:
    """Read the result of ``sel``: cost checked first (:class:`~vstore_explorer.cost.CostLimitError`
    above ``limits``), then computed — on ``client`` (a ``distributed.Client``) when given.

    ``progress`` is called with the fraction of dask tasks done (0.0 .. 1.0). A chunk whose granule
    is missing or unreadable raises :class:`~vstore_explorer.stores.read_errors.GranuleReadError`
    naming the variable, the chunk and the granule URL. To show the cost before reading, as the
    explorer does, use one :class:`Request`: ``req.cost()`` then ``req.load()``.

    Example:
        >>> sel = Selection(variables=("analysed_sst",), reduction="area_mean")
        >>> series = load("/data/sst.icechunk", sel, limits=Limits(max_read_bytes=500e6),
        ...               progress=print)  # doctest: +SKIP
    """
    return Request.of(store, sel).load(limits, progress=progress, client=client)


def compute(
    obj: xr.DataArray | xr.Dataset,
    *,
    client: Client | None = None,
    progress: Progress | None = None,
    concurrency: int | None = None,
) -> Any:
    """Load ``obj``: with dask when it is dask-backed (on ``client`` if given), else directly.

    ``concurrency`` (a store's ``Access.concurrency``) lets dask's threaded scheduler run more
    threads than cores (:func:`~vstore_explorer.read_threads.threads_for`): its tasks mostly
    wait for chunk requests.

    Example:
        >>> import numpy as np
        >>> lazy = xr.DataArray(np.arange(4.0), dims="x").chunk(2).mean()
        >>> done = []
        >>> float(compute(lazy, progress=done.append)), done[-1]
        (1.5, 1.0)
    """
    if not _is_dask(obj):
        result = obj.load()
        if progress:
            progress(1.0)
        return result
    if client is not None:
        if progress is None:
            return client.compute(obj).result()
        from distributed import as_completed, futures_of

        persisted = client.persist(obj)  # one future per output chunk: report as each lands
        futures = futures_of(persisted)
        try:
            progress(0.0)
            for done, _ in enumerate(as_completed(futures, loop=client.loop), start=1):
                progress(done / len(futures))  # may raise to stop (the explorer's Cancel)
        except BaseException:
            client.cancel(futures)  # nothing left running on the cluster for a stopped load
            raise
        result = client.compute(persisted).result()
        progress(1.0)
        return result
    threads = threads_for(obj, concurrency)
    options = {} if threads is None else {"scheduler": "threads", "num_workers": threads}
    if progress is None:
        return obj.compute(**options)
    progress(0.0)  # a callback that raises stops the computation (between tasks)
    report = progress  # not None (the callback below sees no narrowing of ``progress``)
    from dask.callbacks import Callback

    class _Counter(Callback):
        def _start_state(self, dsk: Mapping[str, Any], state: Mapping[str, Any]) -> None:
            self.total = max(1, len(state["ready"]) + len(state["waiting"]) + len(state["running"]))
            self.done = 0
            self.shown = 0

        def _posttask(self, key: Any, result: Any, dsk: Any, state: Any, worker_id: Any) -> None:
            self.done += 1
            percent = 100 * self.done // self.total  # reported once per whole percent: a
            if percent > self.shown:  # callback per task costs more than small tasks do
                self.shown = percent
                report(min(1.0, self.done / self.total))

    with _Counter():
        result = obj.compute(**options)
    progress(1.0)
    return result


def _by_stored_chunks(obj: xr.DataArray | xr.Dataset) -> xr.DataArray | xr.Dataset:
    """``obj`` backed by dask along the store's own chunks (as is, if it is dask already)."""
    if _is_dask(obj):
        return obj
    arrays = [obj] if isinstance(obj, xr.DataArray) else list(obj.data_vars.values())
    chunks: dict[Hashable, int] = {}
    for array in arrays:
        for dim, size in (array.encoding.get("preferred_chunks") or {}).items():
            if dim in obj.dims:
                chunks[dim] = min(chunks.get(dim, size), int(size))
    return obj.chunk(chunks)


def _is_dask(obj: xr.DataArray | xr.Dataset) -> bool:
    if isinstance(obj, xr.DataArray):
        return obj.chunks is not None
    return any(v.chunks is not None for v in obj.data_vars.values())


def to_code(
    store: StoreLike,
    sel: Selection | Mapping[str, Any],
    plot: PlotSpec | None = None,
    *,
    coastlines: bool = False,
    **open_kwargs: Any,
) -> str:
    """A self-contained, formatted script that opens the store and applies ``sel`` as here.

    ``plot`` adds an hvplot call: ``(method, options)`` e.g. from :func:`vstore_explorer.plots.spec`;
    ``coastlines=True`` overlays the packaged coastlines on a map, as ``plots.render`` does.
    To have NASA Harmony subset the collection instead, see :func:`vstore_explorer.harmony.to_harmony`.

    Example:
        >>> sel = Selection(variables=("analysed_sst",), point=(-40.0, 35.0))
        >>> script = to_code("/data/sst.icechunk", sel, tag="v1")  # doctest: +SKIP
        >>> "open_zarr" in script  # doctest: +SKIP
        True
    """
    return Request.of(store, sel, **open_kwargs).code(plot, coastlines=coastlines)
