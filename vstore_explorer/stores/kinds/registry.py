"""The store kinds, by name, and how a bare path or URL is recognised as one of them.

Example:
    >>> sorted(KINDS)
    ['icechunk', 'kerchunk-json', 'kerchunk-parquet', 'zarr']
    >>> guess_kind("/data/refs.json"), guess_kind("s3://bucket/sst.icechunk/")
    ('kerchunk-json', 'icechunk')
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING

from vstore_explorer.catalog.store_links import (
    ICECHUNK,
    KERCHUNK_JSON,
    KERCHUNK_PARQUET,
    STORE_FORMATS,
    ZARR,
)
from vstore_explorer.stores.kinds import StoreKind, icechunk, kerchunk, zarr
from vstore_explorer.stores.urls import local_path, scheme_of, to_url

if TYPE_CHECKING:
    from vstore_explorer.catalog.links import StoreKind as LinkKind  # the kind names

KINDS: Mapping[str, StoreKind] = MappingProxyType(
    {k.name: k for k in (icechunk.KIND, kerchunk.JSON, kerchunk.PARQUET, zarr.KIND)}
)


def guess_kind(path_or_url: str | os.PathLike[str]) -> LinkKind:
    """The kind of a store from its name, by the suffixes of the store-link convention
    (:mod:`vstore_explorer.catalog.store_links`: ``.json`` Kerchunk JSON, ``.parq``/``.parquet``
    Kerchunk Parquet, ``.zarr`` Zarr), or a local folder with a ``zarr.json`` and no Icechunk
    ``repo`` (Zarr); anything else is Icechunk."""
    url = to_url(path_or_url)
    stripped = url.rstrip("/").lower()
    for kind in (KERCHUNK_JSON, KERCHUNK_PARQUET, ZARR):
        if stripped.endswith(STORE_FORMATS[kind].suffixes):
            return kind
    if scheme_of(url) == "file":
        folder = local_path(url)
        if (folder / "zarr.json").exists() and not (folder / "repo").exists():
            return ZARR
    return ICECHUNK
