"""What opening a store gives: a :class:`StoreHandle` (or a :class:`StoreOpenError`).

Every store kind (:mod:`vstore_explorer.stores.kinds`) returns the same handle, so the cost
estimator, the code exporter and the read-error explainer never ask which kind it is. The public
names are re-exported by :mod:`vstore_explorer.stores.open`, where they are usually imported from.

Example:
    >>> from vstore_explorer.stores.open import StoreHandle, connect
    >>> handle = connect("/data/sst.icechunk", tag="v1")  # doctest: +SKIP
    >>> isinstance(handle, StoreHandle), handle.key_style  # doctest: +SKIP
    (True, 'v3')
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from vstore_explorer.errors import VStoreError
from vstore_explorer.stores.access import Access
from vstore_explorer.stores.read_errors import Locator, explain
from vstore_explorer.stores.versions import Version

if TYPE_CHECKING:
    import xarray as xr

    from vstore_explorer.catalog.links import StoreLink

ChunksArg = dict[str, int] | None
Sizer = Callable[[Sequence[str]], list[int | None]]
"""Stored size of each chunk key (``None`` when unknown), from a manifest or references."""


class StoreOpenError(VStoreError, RuntimeError):
    """A store could not be opened; the message names the store and what to do.

    Example:
        >>> from vstore_explorer.stores.open import connect
        >>> try:
        ...     connect("/no/such/store.icechunk")
        ... except StoreOpenError as exc:
        ...     print(exc)
        no Icechunk repository at file:///no/such/store.icechunk
    """


class GroupChoiceError(StoreOpenError):
    """A store holds several groups and none was asked for; ``groups`` lists them (pass one as
    ``group=``)."""

    def __init__(self, message: str, groups: Sequence[str]) -> None:
        super().__init__(message)
        self.groups = tuple(groups)


@dataclass(frozen=True)
class StoreHandle:
    """An opened store: its lazy dataset and how to size its chunks without reading them.

    Example:
        >>> handle = connect("/data/sst.icechunk", tag="v1")  # doctest: +SKIP
        >>> handle.chunk_key("analysed_sst", (0, 1, 2))  # doctest: +SKIP
        'analysed_sst/c/0/1/2'
        >>> ds = handle.dataset  # doctest: +SKIP
    """

    link: StoreLink
    version: Version
    access: Access = field(repr=False)
    dataset: xr.Dataset = field(repr=False)
    containers: tuple[str, ...] = ()
    key_style: Literal["v2", "v3"] = "v3"
    _sizer: Sizer | None = field(default=None, repr=False)
    snapshot_id: str | None = None
    chunks: ChunksArg = None
    _locate: Locator | None = field(default=None, repr=False)
    group: str | None = None
    """The store group opened (``None``: the root group), e.g. ``S1`` or ``data_01/ku``."""
    groups: tuple[str, ...] = ()
    """Every group of the store that holds variables (``''``: the root), root first."""
    _known: dict[str, int | None] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    """Chunk sizes looked up so far: a snapshot's manifest does not change, so each key is
    looked up once per handle (a session's cost estimates after the first take microseconds)."""

    def open_code(self) -> str:
        """Python code that opens this same store version the same way (defines ``ds``)."""
        from vstore_explorer.stores.recipe import credential_mode, open_source

        return open_source(
            self.link,
            version=self.version,
            snapshot_id=self.snapshot_id,
            containers=self.containers,
            mode=credential_mode(self.link, self.access),
            chunks=self.chunks,
            group=self.group,
        )

    def chunk_key(self, variable: str, index: Sequence[int]) -> str:
        """The store key of one chunk (``var/c/0/1/2`` for Zarr v3, ``var/0.1.2`` for v2), under
        the handle's group (``S1/var/c/0/1``)."""
        path = f"{self.group}/{variable}" if self.group else variable
        if self.key_style == "v3":
            return f"{path}/c/" + "/".join(map(str, index)) if index else f"{path}/c"
        return f"{path}/" + (".".join(map(str, index)) if index else "0")

    def chunk_nbytes(self, keys: Sequence[str]) -> list[int | None]:
        """Stored (compressed) size of each chunk key, from the manifest/references; None if unknown."""
        if self._sizer is None:
            return [None] * len(keys)
        known = self._known
        new = list(dict.fromkeys(k for k in keys if k not in known))
        if new:
            known.update(zip(new, self._sizer(new), strict=True))
        return [known[k] for k in keys]

    @property
    def exact_sizes(self) -> bool:
        return self._sizer is not None

    def read_error(self, exc: BaseException) -> Exception | None:
        """A clear error (naming variable, chunk and granule URL, or the refused container) for
        ``exc`` if it is a failed chunk read of this store, else ``None``."""
        return explain(exc, locate=self._locate, containers=self.containers, store=self.link.url)


def run_sync(coro: Any) -> Any:
    """Run a coroutine from sync code, also when an event loop is already running (Jupyter, Panel).

    It runs on zarr's own I/O loop (a thread zarr keeps for its sync API, already started by the
    open), so no event loop is created per call.
    """
    from zarr.core.sync import sync

    return sync(coro)
