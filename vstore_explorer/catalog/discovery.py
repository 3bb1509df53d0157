"""Find a collection's virtual stores in its UMM-C ``RelatedUrls`` (pure, no I/O).

This is the reader of the convention in :mod:`vstore_explorer.catalog.store_links` (the kind
names, the Type/Subtype, formats, URL prefixes and suffixes; ``build.umm`` is its writer).
A virtual store link is a RelatedUrl with ``Type: "GET DATA"`` and ``Subtype: "VIRTUAL COLLECTION"``
(or ``"DATA RECIPE"``, which PO.DAAC used). No ESDIS convention is final, so the kind is inferred
from, in order:

1. an explicit scheme prefix: ``icechunk+s3://bucket/prefix@branch``, ``icechunk+file:///p@dev``,
   ``kerchunk+https://host/refs.json``, ``zarr+s3://...`` (the prefix is stripped, ``@branch`` sets
   the Icechunk branch);
2. the file suffix: ``.json`` (also ``.json.gz``/``.json.zst``) → ``kerchunk-json``; ``.parq`` /
   ``.parquet`` (also zipped) → ``kerchunk-parquet``; ``.icechunk`` → ``icechunk``;
3. words in Format / MimeType / Description: "icechunk" → ``icechunk``; "kerchunk" → parquet or
   json (by the other words, parquet for a folder-like URL);
4. ``.zarr`` suffix or a Format/MimeType saying zarr → ``zarr``; JSON / Parquet formats → kerchunk.

Anything else becomes ``kind="unknown"``: listed separately and never opened.

An Icechunk link without ``@branch`` takes its branch from a ``", branch NAME"`` phrase in its
Description (the form ``vstore_explorer.build.umm`` writes: "Icechunk repository (...), branch
main."); the phrase must follow a comma, semicolon or parenthesis, so prose is not misread.

**Override.** ``discover_stores(umm, override={KEY: VALUE})`` where KEY is the link's URL (as written
in the record, or after prefix stripping) or its 0-based index among the record's virtual-store
links, and VALUE is a kind (``"icechunk"``) or a dict of :class:`StoreLink` fields
(``{"kind": "icechunk", "branch": "dev"}``). Keys matching no link raise ``ValueError``.

Example:
    >>> umm = {"RelatedUrls": [{"Type": "GET DATA", "Subtype": "VIRTUAL COLLECTION",
    ...        "URL": "icechunk+s3://bucket/sst@main"}]}
    >>> found = discover_stores(umm)
    >>> found.stores[0].kind, found.stores[0].url, found.stores[0].branch
    ('icechunk', 's3://bucket/sst', 'main')
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from vstore_explorer.catalog.links import StoreLink
from vstore_explorer.catalog.store_links import (
    ICECHUNK,
    ICECHUNK_SUFFIXES,
    JSON_SUFFIXES,
    KERCHUNK,
    KERCHUNK_JSON,
    KERCHUNK_PARQUET,
    PARQUET_SUFFIXES,
    SCHEME_PREFIXES,
    STORE_KINDS,
    UNKNOWN,
    VIRTUAL_STORE_SUBTYPES,
    VIRTUAL_STORE_TYPE,
    ZARR,
    ZARR_SUFFIXES,
    branch_from_description,
    is_virtual_store_url,
    split_scheme_prefix,
)
from vstore_explorer.errors import InvalidInputError, VStoreError

__all__ = [  # the convention's names are re-exported for the readers that import them from here
    "SCHEME_PREFIXES",
    "VIRTUAL_STORE_SUBTYPES",
    "VIRTUAL_STORE_TYPE",
    "DiscoveredStores",
    "Override",
    "OverrideError",
    "branch_from_description",
    "discover_stores",
    "infer_kind",
    "is_virtual_store_url",
    "split_scheme_prefix",
    "store_kinds",
    "virtual_store_entries",
]

_EARTHDATA_HOSTS = (".earthdata.nasa.gov", ".earthdatacloud.nasa.gov")
Override = Mapping[str | int, str | Mapping[str, Any]]


class OverrideError(VStoreError, ValueError):
    """A store override names no link, an out-of-range index or an unknown kind."""


@dataclass(frozen=True)
class DiscoveredStores:
    """The virtual stores of one collection: openable ones and the ones of unknown kind."""

    stores: tuple[StoreLink, ...] = ()
    unknown: tuple[StoreLink, ...] = ()

    @property
    def all(self) -> tuple[StoreLink, ...]:
        """Every virtual store link, known kinds first."""
        return self.stores + self.unknown


@dataclass(frozen=True)
class _Hints:
    url: str
    format: str = ""
    mime_type: str = ""
    description: str = ""

    @property
    def words(self) -> str:
        return " ".join((self.format, self.mime_type, self.description)).lower()

    @property
    def format_words(self) -> str:
        return " ".join((self.format, self.mime_type)).lower()


def _path_of(url: str) -> str:
    parts = urlsplit(url)
    return (parts.path if parts.scheme else url).lower().rstrip("/")


def _kerchunk_flavour(hints: _Hints, path: str) -> str:
    if path.endswith(JSON_SUFFIXES):
        return KERCHUNK_JSON
    if path.endswith(PARQUET_SUFFIXES):
        return KERCHUNK_PARQUET
    words = hints.words
    if "parquet" in words or "parq" in words:
        return KERCHUNK_PARQUET
    if "json" in words:
        return KERCHUNK_JSON
    return KERCHUNK_PARQUET  # a folder-like reference set is a parquet store


def infer_kind(
    url: str, *, format: str = "", mime_type: str = "", description: str = ""
) -> tuple[str, str, str | None]:
    """Infer ``(kind, url, branch)`` of a virtual store link (see the module docstring).

    Example:
        >>> infer_kind("s3://bucket/tempo/no2/", format="Zarr", description="Icechunk repository")
        ('icechunk', 's3://bucket/tempo/no2/', None)
        >>> infer_kind("https://host/refs/mur.parq")[0]
        'kerchunk-parquet'
    """
    prefix_kind, url, branch = split_scheme_prefix(url)
    hints = _Hints(url, format or "", mime_type or "", description or "")
    path = _path_of(url)
    if prefix_kind == KERCHUNK:
        return _kerchunk_flavour(hints, path), url, None
    if prefix_kind is not None:
        return prefix_kind, url, branch
    if path.endswith(JSON_SUFFIXES):
        return KERCHUNK_JSON, url, None
    if path.endswith(PARQUET_SUFFIXES):
        return KERCHUNK_PARQUET, url, None
    if path.endswith(ICECHUNK_SUFFIXES):
        return ICECHUNK, url, None
    words = hints.words
    if "icechunk" in words:
        return ICECHUNK, url, None
    if "kerchunk" in words:
        return _kerchunk_flavour(hints, path), url, None
    if path.endswith(ZARR_SUFFIXES) or "zarr" in hints.format_words:
        return ZARR, url, None
    if "parquet" in hints.format_words:
        return KERCHUNK_PARQUET, url, None
    if "json" in hints.format_words:
        return KERCHUNK_JSON, url, None
    return UNKNOWN, url, None


def _resolve_local(url: str, base_path: str | Path | None) -> str:
    """Relative or absolute local paths become absolute ``file://`` URLs."""
    if urlsplit(url).scheme and len(urlsplit(url).scheme) > 1:
        return url
    path = Path(url).expanduser()
    if not path.is_absolute():
        if base_path is None:
            return url
        path = Path(base_path) / path
    return path.resolve().as_uri()


def _umm_and_meta(record: Mapping[str, Any]) -> tuple[Mapping[str, Any], Mapping[str, Any]]:
    umm = record.get("umm")
    if isinstance(umm, Mapping):
        meta = record.get("meta")
        return umm, meta if isinstance(meta, Mapping) else {}
    return record, {}


def _s3_buckets(ddi: Mapping[str, Any]) -> set[str]:
    prefixes = ddi.get("S3BucketAndObjectPrefixNames") or []
    return {
        str(p).removeprefix("s3://").split("/", 1)[0]
        for p in prefixes
        if isinstance(p, str) and p.strip()
    }


def _requires_earthdata(url: str, ddi: Mapping[str, Any]) -> bool:
    """Store or chunks in NASA Earthdata-protected storage.

    True when the store is in one of the collection's DAAC buckets or on an Earthdata host's
    protected path, or when the collection is in Earthdata Cloud (DirectDistributionInformation):
    its virtual chunks then point at the DAAC's granules.
    """
    parts = urlsplit(url)
    if parts.scheme == "s3" and parts.netloc in _s3_buckets(ddi):
        return True
    host = parts.hostname or ""
    if host.endswith(_EARTHDATA_HOSTS) and "protected" in parts.path:
        return True
    return bool(ddi)


def _title(description: str, kind: str) -> str:
    first = re.split(r"(?<=[.!?])\s", description.strip(), maxsplit=1)[0].strip()
    return first[:120] if first else f"{kind} store"


def _link_for(
    entry: Mapping[str, Any],
    ddi: Mapping[str, Any],
    provider: str | None,
    base_path: str | Path | None,
) -> StoreLink:
    raw_url = str(entry.get("URL") or "").strip()
    if not raw_url:
        raise InvalidInputError("virtual store RelatedUrl has no URL")
    raw_get_data = entry.get("GetData")
    get_data = raw_get_data if isinstance(raw_get_data, Mapping) else {}
    description = str(entry.get("Description") or "").strip()
    kind, url, branch = infer_kind(
        raw_url,
        format=str(entry.get("Format") or get_data.get("Format") or ""),
        mime_type=str(entry.get("MimeType") or get_data.get("MimeType") or ""),
        description=description,
    )
    if kind == ICECHUNK and branch is None:
        branch = branch_from_description(description)
    url = _resolve_local(url, base_path)
    local = urlsplit(url).scheme in ("", "file")
    earthdata = not local and _requires_earthdata(url, ddi)
    region = ddi.get("Region") if not local and ddi.get("Region") else None
    return StoreLink(
        url=url,
        kind=kind,  # type: ignore[arg-type]
        branch=branch,
        title=_title(description, kind),
        description=description,
        region=region,
        anonymous=True if local else (False if earthdata else None),
        requires_earthdata=earthdata,
        s3_credentials_url=(ddi.get("S3CredentialsAPIEndpoint") or None) if earthdata else None,
        provider=provider,
    )


def _apply_override(
    links: list[StoreLink], raw_urls: list[str], override: Override
) -> list[StoreLink]:
    links = list(links)
    for key, value in override.items():
        if isinstance(key, int) and not isinstance(key, bool):
            if not 0 <= key < len(links):
                raise OverrideError(
                    f"override index {key} is out of range: the record has {len(links)} "
                    "virtual store link(s)"
                )
            targets = [key]
        else:
            targets = [
                i
                for i, (link, raw) in enumerate(zip(links, raw_urls, strict=True))
                if key in (link.url, raw)
            ]
            if not targets:
                known = ", ".join(raw_urls) or "none"
                raise OverrideError(
                    f"override key {key!r} matches no virtual store link (links: {known})"
                )
        changes: dict[str, Any] = {"kind": value} if isinstance(value, str) else dict(value)
        unknown_fields = set(changes) - {f.name for f in dataclasses.fields(StoreLink)}
        if unknown_fields:
            raise OverrideError(
                f"override for {key!r} sets unknown StoreLink field(s): {', '.join(sorted(unknown_fields))}"
            )
        if "kind" in changes and changes["kind"] not in STORE_KINDS:
            raise OverrideError(
                f"override kind {changes['kind']!r} for {key!r} is not one of {', '.join(STORE_KINDS)}"
            )
        for index in targets:
            links[index] = dataclasses.replace(links[index], **changes)
    return links


def virtual_store_entries(umm: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The RelatedUrls entries of a UMM-C record that point at virtual stores, in record order."""
    related = umm.get("RelatedUrls") or []
    if not isinstance(related, list):
        raise InvalidInputError("RelatedUrls must be a list")
    return [r for r in related if isinstance(r, Mapping) and is_virtual_store_url(r)]


def discover_stores(
    record: Mapping[str, Any],
    *,
    override: Override | None = None,
    base_path: str | Path | None = None,
    provider: str | None = None,
) -> DiscoveredStores:
    """The virtual stores of a UMM-C record (bare UMM or a CMR ``{"meta", "umm"}`` item).

    Args:
        record: the UMM-C record.
        override: per-link kind/field overrides (see the module docstring).
        base_path: folder that relative local paths in the record are resolved against.
        provider: CMR provider; taken from ``meta["provider-id"]`` when not given.
    """
    umm, meta = _umm_and_meta(record)
    ddi = umm.get("DirectDistributionInformation")
    ddi = ddi if isinstance(ddi, Mapping) else {}
    provider = provider or meta.get("provider-id") or None
    entries = virtual_store_entries(umm)
    links = [_link_for(e, ddi, provider, base_path) for e in entries]
    if override:
        links = _apply_override(links, [str(e.get("URL") or "").strip() for e in entries], override)
    return DiscoveredStores(
        stores=tuple(link for link in links if link.is_known),
        unknown=tuple(link for link in links if not link.is_known),
    )


def store_kinds(stores: Sequence[StoreLink]) -> tuple[str, ...]:
    """The distinct kinds of ``stores``, in order of first appearance."""
    return tuple(dict.fromkeys(link.kind for link in stores))
