"""The store-link convention (``catalog/store_links.py``): what the UMM writer writes, discovery
reads back, and the kind names are the same everywhere."""

from __future__ import annotations

import pytest

from vstore_explorer.catalog.discovery import discover_stores
from vstore_explorer.catalog.links import StoreLink
from vstore_explorer.catalog.store_links import (
    KERCHUNK,
    SCHEME_PREFIXES,
    STORE_FORMATS,
    STORE_KINDS,
    UNKNOWN,
    VIRTUAL_COLLECTION,
    VIRTUAL_STORE_SUBTYPES,
    VIRTUAL_STORE_TYPE,
    is_virtual_store_url,
    store_kind_for_format,
)

WRITABLE = tuple(k for k in STORE_KINDS if k != UNKNOWN)


def _read_back(link: StoreLink) -> StoreLink:
    from vstore_explorer.build.umm.store_formats import store_related_url

    entry = store_related_url(link, None)
    assert is_virtual_store_url(entry)
    found = discover_stores({"RelatedUrls": [entry]})
    assert found.unknown == () and len(found.stores) == 1
    return found.stores[0]


@pytest.mark.parametrize("kind", WRITABLE)
@pytest.mark.parametrize("suffixed", [True, False], ids=["suffix", "no-suffix"])
def test_a_link_written_for_every_kind_is_read_back_as_that_kind(kind: str, suffixed: bool) -> None:
    suffix = STORE_FORMATS[kind].suffixes[0] if suffixed else "/"
    written = StoreLink(url=f"s3://bucket/store{suffix}", kind=kind)  # type: ignore[arg-type]
    read = _read_back(written)
    assert (read.kind, read.url) == (written.kind, written.url)


@pytest.mark.parametrize("kind", WRITABLE)
def test_every_suffix_of_a_kind_reads_as_that_kind(kind: str) -> None:
    for suffix in STORE_FORMATS[kind].suffixes:
        written = StoreLink(url=f"https://host/refs/store{suffix}", kind=kind)  # type: ignore[arg-type]
        assert _read_back(written).kind == kind, suffix


def test_an_icechunk_branch_is_read_back_from_the_description() -> None:
    read = _read_back(StoreLink(url="s3://bucket/repo/", kind="icechunk", branch="dev"))
    assert read.branch == "dev"


def test_the_convention_tables_use_only_the_defined_kinds() -> None:
    assert tuple(STORE_FORMATS) == WRITABLE
    assert all(spec.kind == kind for kind, spec in STORE_FORMATS.items())
    assert set(SCHEME_PREFIXES.values()) <= set(STORE_KINDS) | {KERCHUNK}
    assert all(store_kind_for_format(spec.format) == k for k, spec in STORE_FORMATS.items())
    assert VIRTUAL_STORE_TYPE == "GET DATA" and VIRTUAL_COLLECTION in VIRTUAL_STORE_SUBTYPES
    with pytest.raises(ValueError, match="cannot be written to a UMM record"):
        _read_back(StoreLink(url="s3://bucket/x", kind="unknown"))


def test_the_openers_know_exactly_the_catalog_kinds() -> None:
    from vstore_explorer.stores.kinds.registry import KINDS

    assert set(KINDS) == set(WRITABLE)


def test_the_writer_and_links_modules_re_export_the_one_convention() -> None:
    import vstore_explorer.build.umm as umm
    import vstore_explorer.catalog.links as links
    import vstore_explorer.catalog.store_links as convention

    assert links.STORE_KINDS is convention.STORE_KINDS
    assert umm.STORE_FORMATS is convention.STORE_FORMATS
    assert umm.store_description is convention.store_description
    assert umm.VIRTUAL_COLLECTION == convention.VIRTUAL_COLLECTION
