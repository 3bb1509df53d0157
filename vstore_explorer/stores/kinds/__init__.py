"""One module per store kind, each the opener and the writer of its own opening code.

A :class:`StoreKind` says how a kind of store is recognised, opened (a :class:`StoreHandle`),
listed (its groups) and written as code for the exported script; the two live side by side so the
script opens the store with the very calls :func:`stores.open.connect` made. The kinds are
registered in :mod:`vstore_explorer.stores.kinds.registry`.

Example:
    >>> from vstore_explorer.stores.kinds.registry import KINDS, guess_kind
    >>> KINDS["kerchunk-json"].label, guess_kind("s3://bucket/refs/mur.parq")
    ('Kerchunk JSON', 'kerchunk-parquet')
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from vstore_explorer.catalog.links import StoreLink
    from vstore_explorer.stores.access import Access
    from vstore_explorer.stores.handle import ChunksArg, StoreHandle
    from vstore_explorer.stores.recipe import CredentialMode
    from vstore_explorer.stores.versions import Version


class Connector(Protocol):
    """Opens one store lazily: ``(link, version, access, chunks, group) -> StoreHandle``."""

    def __call__(
        self,
        link: StoreLink,
        version: Version,
        access: Access,
        chunks: ChunksArg,
        group: str | None,
    ) -> StoreHandle: ...


class GroupLister(Protocol):
    """The groups of a store that hold arrays, root (``''``) first."""

    def __call__(self, link: StoreLink, access: Access, version: Version) -> list[str]: ...


class CodeWriter(Protocol):
    """The code (defining ``ds``) that opens a store as its :class:`Connector` did."""

    def __call__(
        self,
        link: StoreLink,
        *,
        version: Version,
        snapshot_id: str | None,
        containers: Sequence[str],
        mode: CredentialMode,
        chunks: dict[str, int] | None,
        group: str | None,
    ) -> str: ...


@dataclass(frozen=True)
class StoreKind:
    """A kind of virtual store.

    Attributes:
        name: the ``StoreLink.kind`` it answers to (``icechunk``, ``kerchunk-json`` ...).
        label: how the explorer names it ("Icechunk", "Kerchunk JSON").
        versioned: whether it has branches, tags and snapshots.
        connect: opens it (:class:`Connector`).
        groups: lists its groups (:class:`GroupLister`).
        open_code: writes the code that opens it (:class:`CodeWriter`).
        sizes_source: where the cost estimate's chunk sizes come from ("Icechunk manifest").
    """

    name: str
    label: str
    versioned: bool
    connect: Connector
    groups: GroupLister
    open_code: CodeWriter
    sizes_source: str = "store"
