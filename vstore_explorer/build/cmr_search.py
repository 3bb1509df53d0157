"""CMR searches for building and updating stores: the collection, its granules, their data links.

Searches go through the catalog's CMR client (:class:`~vstore_explorer.catalog.cmr.CMRCatalog`:
python-cmr queries, ``CMR-Search-After`` paging, retries with backoff). A listing that CMR breaks
off, or a granule record that cannot be parsed, is an error here (a build or an update must see
every granule, or it would take a missing one for a removed one).

A granule's data link is its direct S3 link (``GET DATA VIA DIRECT ACCESS``, ``s3://``) when the
store is on S3 (an ``s3://`` store or an ``--endpoint-url``), else its HTTPS ``GET DATA`` link;
links to checksums, sidecars, browse images or metadata files are never taken as data.

Example:
    >>> data_link_kind("s3://bucket/sst.icechunk"), data_link_kind("/stores/sst.icechunk")
    ('s3', 'https')
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

from vstore_explorer.build.cmr_record import GranuleRef
from vstore_explorer.build.errors import BuildError
from vstore_explorer.catalog.base import (
    GranuleQuery,
    IncompleteResultsWarning,
    MalformedRecordWarning,
    validate_bbox,
    validate_temporal,
)
from vstore_explorer.catalog.cmr import (
    MAX_PAGE_SIZE,
    CMRCatalog,
    CMRError,
    CMRTimeoutError,
    CMRUnavailableError,
)
from vstore_explorer.catalog.records import Collection, Granule
from vstore_explorer.stores.access import LOCAL, Access
from vstore_explorer.stores.urls import scheme_of, to_url

CONCEPT_ID = re.compile(r"C\d+-[A-Za-z0-9_]+")
NOT_DATA_SUFFIXES = (
    ".dmrpp",
    ".md5",
    ".sha1",
    ".sha256",
    ".sha512",
    ".xml",
    ".json",
    ".txt",
    ".html",
    ".png",
    ".jpg",
    ".jpeg",
    ".gif",
)
"""Links that CMR lists as ``GET DATA`` but that are not the granule's data."""
LINK_SCHEMES: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {"s3": ("s3",), "https": ("https", "http")}
)


class CollectionNotFoundError(BuildError, LookupError):
    """CMR has no collection by that short name or concept id (or several by that short name)."""


class CMRSearchError(BuildError):
    """A CMR search needed by a build or an update failed; nothing was written."""


def cmr_catalog(cmr: str | CMRCatalog) -> tuple[CMRCatalog, bool]:
    """The catalog to search and whether it was made here (and so must be closed here)."""
    if isinstance(cmr, CMRCatalog):
        return cmr, False
    return CMRCatalog(cmr, page_size=MAX_PAGE_SIZE), True


def now_iso() -> str:
    """The current UTC time as CMR writes times (``2024-10-11T22:06:53.372Z``)."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def search_record(temporal: Any = None, bbox: Any = None) -> dict[str, Any]:
    """The search a store records (validated: ISO times, a W,S,E,N list), as plain JSON."""
    when = validate_temporal(temporal)
    box = validate_bbox(bbox)
    return {
        "temporal": [t.isoformat() if t else None for t in when] if when else None,
        "bbox": list(box) if box else None,
    }


def data_link_kind(store_url: str, access: Access = LOCAL) -> str:
    """``s3`` for a store on S3 (or with an S3 endpoint), else ``https``."""
    on_s3 = scheme_of(to_url(store_url)) == "s3" or access.endpoint_url is not None
    return "s3" if on_s3 else "https"


def _failure(catalog: CMRCatalog, exc: CMRError) -> str:
    tries = f"{catalog.retries + 1} attempt(s)"
    if isinstance(exc, CMRTimeoutError):
        return f"no answer within {catalog.timeout:g} s ({tries}) from {exc.url}"
    if isinstance(exc, CMRUnavailableError):
        what = f"HTTP {exc.status}" if exc.status else "no connection"
        return f"{what} after {tries} from {exc.url}"
    return str(exc)


def find_collection(catalog: CMRCatalog, name: str) -> Collection:
    """The collection with concept id ``name`` (``C123-PROVIDER``), or the one short name ``name``.

    Raises:
        CollectionNotFoundError: no such collection, or a short name several versions share.
    """
    text = (name or "").strip()
    if not text:
        raise CollectionNotFoundError("give a collection short name or concept id")
    by_id = bool(CONCEPT_ID.fullmatch(text))
    try:
        results = catalog.search(concept_id=text) if by_id else catalog.search(short_name=text)
        found = list(results)
    except CMRError as exc:
        raise CMRSearchError(
            f"CMR search for the collection {text} failed: {_failure(catalog, exc)}"
        ) from exc
    what = "concept id" if by_id else "short name"
    if not found:
        raise CollectionNotFoundError(
            f"CMR at {catalog.base_url} has no collection with {what} {text!r}; check the name "
            "(`vstore-explorer search --cmr ... --short-name NAME` lists them) and the --cmr URL"
        )
    if len(found) > 1:
        listed = ", ".join(f"{c.concept_id} (version {c.version or '?'})" for c in found[:10])
        raise CollectionNotFoundError(
            f"short name {text!r} matches {len(found)} collections in CMR: {listed}; pass "
            "--collection CONCEPT_ID to choose one"
        )
    collection = found[0]
    if not collection.concept_id:
        raise CollectionNotFoundError(f"CMR returned collection {text!r} without a concept id")
    return collection


def search_granules(
    catalog: CMRCatalog,
    concept_id: str,
    search: Mapping[str, Any],
    *,
    revised_after: datetime | None = None,
) -> list[Granule]:
    """Every granule of the collection matching ``search`` (and revised after
    ``revised_after``, python-cmr's ``revision_date``), all pages.

    Raises:
        CMRSearchError: CMR failed (after retries), broke the listing off, or sent a record that
            cannot be read.
    """
    temporal = search.get("temporal")
    query = catalog.granule_query(
        concept_id,
        GranuleQuery.build(temporal=tuple(temporal) if temporal else None, bbox=search.get("bbox")),
    )
    what = "granules"
    if revised_after is not None:
        what += f" revised after {revised_after.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}"
    if revised_after is not None:
        query.revision_date(revised_after, None)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", IncompleteResultsWarning)
        warnings.simplefilter("always", MalformedRecordWarning)
        try:
            results = catalog.run(query)
            granules = list(results)
        except CMRError as exc:
            raise CMRSearchError(
                f"CMR search for {what} of {concept_id} failed: {_failure(catalog, exc)}"
            ) from exc
    problems = [
        str(w.message)
        for w in caught
        if issubclass(w.category, IncompleteResultsWarning | MalformedRecordWarning)
    ]
    if problems:
        raise CMRSearchError(
            f"CMR search for {what} of {concept_id} is not complete: {problems[0]}"
            + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else "")
        )
    return granules


def _is_data(url: str) -> bool:
    path = url.split("?", 1)[0].lower()
    return not path.endswith(NOT_DATA_SUFFIXES)


def data_link(granule: Granule, kind: str) -> str | None:
    """The granule's data link of ``kind`` (``s3`` or ``https``); a ``file://`` link when it has
    neither kind (local catalogs); None when it has no usable link."""
    links = [*granule.s3_links, *granule.https_links]
    wanted = [u for u in links if scheme_of(u) in LINK_SCHEMES[kind] and _is_data(u)]
    if wanted:
        return wanted[0]
    if any(_is_data(u) for u in links):
        return None  # only the other kind: not silently used (it needs other credentials)
    files = [u for u in granule.file_links if _is_data(u)]
    return files[0] if files else None


def revision_of(granule: Granule) -> tuple[str | None, int | None]:
    """CMR's ``meta.revision-date`` and ``revision-id`` (else the UMM-G ``RevisionDate`` or the
    latest ``ProviderDates`` Update)."""
    meta, umm = granule.meta, granule.umm
    date = meta.get("revision-date") or umm.get("RevisionDate")
    if not date:
        updates = [
            d.get("Date")
            for d in umm.get("ProviderDates") or ()
            if isinstance(d, Mapping) and str(d.get("Type", "")).lower() == "update"
        ]
        date = max((str(u) for u in updates if u), default=None)
    raw_id = meta.get("revision-id")
    try:
        revision_id = int(raw_id) if raw_id is not None else None
    except (TypeError, ValueError):
        revision_id = None
    return (str(date) if date else None), revision_id


def granule_ref(granule: Granule, kind: str) -> GranuleRef:
    """The :class:`GranuleRef` of a CMR granule (``url`` empty when it has no usable link)."""
    date, revision_id = revision_of(granule)
    return GranuleRef(
        concept_id=granule.concept_id,
        granule_ur=granule.granule_ur,
        revision_date=date,
        revision_id=revision_id,
        url=to_url(link) if (link := data_link(granule, kind)) else "",
    )


def require_links(refs: Sequence[GranuleRef], kind: str) -> None:
    """Refuse granules without a data link of ``kind``, naming them."""
    missing = [r for r in refs if not r.url]
    if not missing:
        return
    names = ", ".join(r.label() for r in missing[:5])
    other = "https" if kind == "s3" else "s3"
    hint = (
        "build into an s3:// store (or with --endpoint-url) to use their direct S3 links"
        if kind == "https"
        else "their HTTPS links need an Earthdata login: build into a local store instead"
    )
    raise BuildError(
        f"{len(missing)} granule(s) have no {kind} data link (GET DATA"
        + (" VIA DIRECT ACCESS" if kind == "s3" else "")
        + f"): {names}; they may have {other} links only: {hint}"
    )
