"""The store kinds, by name, and how a bare path or URL is recognised as one of them.

Example:
    >>> sorted(KINDS)
    ['icechunk', 'kerchunk-json', 'kerchunk-parquet', 'zarr']
    >>> guess_kind("/data/refs.json"), guess_kind("s3://bucket/sst.icechunk/")
    ('kerchunk-json', 'icechunk')
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from vstore_explorer.stores.kinds import StoreKind, icechunk, kerchunk, zarr
from vstore_explorer.stores.urls import local_path, scheme_of, to_url

KINDS: Mapping[str, StoreKind] = MappingProxyType(
    {k.name: k for k in (icechunk.KIND, kerchunk.JSON, kerchunk.PARQUET, zarr.KIND)}
)


def guess_kind(path_or_url: str) -> str:
    """The kind of a store from its name: ``.json`` Kerchunk JSON, ``.parq``/``.parquet`` Kerchunk
    Parquet, ``.zarr`` (or a local folder with a ``zarr.json`` and no Icechunk ``repo``) Zarr,
    anything else Icechunk."""
    url = to_url(path_or_url)
    stripped = url.rstrip("/")
    if stripped.endswith(".json"):
        return "kerchunk-json"
    if stripped.endswith((".parq", ".parquet")):
        return "kerchunk-parquet"
    if stripped.endswith(".zarr"):
        return "zarr"
    if scheme_of(url) == "file":
        folder = local_path(url)
        if (folder / "zarr.json").exists() and not (folder / "repo").exists():
            return "zarr"
    return "icechunk"
