"""Where collections and their virtual stores are found: CMR over HTTP or a local folder.

Example:
    >>> from vstore_explorer.catalog import open_catalog
    >>> catalog = open_catalog(path="records/")  # doctest: +SKIP
    >>> for c in catalog.search("sea surface temperature", has_virtual_store=True):  # doctest: +SKIP
    ...     print(c.summary(), c.stores)
"""

from __future__ import annotations

from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from vstore_explorer.catalog.base import (
    BaseCatalog,
    Catalog,
    GranuleQuery,
    IncompleteResultsWarning,
    MalformedRecordError,
    MalformedRecordWarning,
    SearchQuery,
    SearchResults,
    validate_bbox,
    validate_limit,
    validate_temporal,
)
from vstore_explorer.catalog.discovery import DiscoveredStores, discover_stores, infer_kind
from vstore_explorer.catalog.links import StoreLink
from vstore_explorer.catalog.records import BoundingBox, Collection, Granule, RelatedUrl, S3Access
from vstore_explorer.catalog.resolve import (
    CatalogSource,
    DemoUnavailableError,
    open_catalog,
    resolve_catalog,
    resolve_source,
)

if TYPE_CHECKING:
    from vstore_explorer.catalog.cmr import CMRCatalog
    from vstore_explorer.catalog.local import LocalCatalog
    from vstore_explorer.catalog.shared import SharedLocalCatalog

__all__ = [
    "BaseCatalog",
    "BoundingBox",
    "CMRCatalog",
    "CMRError",
    "CMRTimeoutError",
    "CMRUnavailableError",
    "Catalog",
    "CatalogSource",
    "Collection",
    "DemoUnavailableError",
    "DiscoveredStores",
    "Granule",
    "GranuleQuery",
    "LocalCatalog",
    "MalformedRecordError",
    "IncompleteResultsWarning",
    "MalformedRecordWarning",
    "RelatedUrl",
    "S3Access",
    "SearchQuery",
    "SearchResults",
    "SharedLocalCatalog",
    "StoreLink",
    "discover_stores",
    "infer_kind",
    "granules",
    "open_catalog",
    "resolve_catalog",
    "resolve_source",
    "search",
    "validate_bbox",
    "validate_limit",
    "validate_temporal",
]

_LAZY = MappingProxyType(
    {
        "CMRCatalog": "vstore_explorer.catalog.cmr",
        "CMRError": "vstore_explorer.catalog.cmr",
        "CMRTimeoutError": "vstore_explorer.catalog.cmr",
        "CMRUnavailableError": "vstore_explorer.catalog.cmr",
        "LocalCatalog": "vstore_explorer.catalog.local",
        "SharedLocalCatalog": "vstore_explorer.catalog.shared",
    }
)


def __getattr__(name: str) -> object:
    """Import the backends (requests, python-cmr) only when asked for."""
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def search(
    query: SearchQuery | str | None = None,
    *,
    catalog: str | Path | Catalog = "demo",
    **filters: object,
) -> SearchResults:
    """Search collections in ``catalog`` (see :func:`resolve_catalog`): a keyword or a
    :class:`SearchQuery`, and the filters of :meth:`SearchQuery.build` (``bbox=``,
    ``temporal=``, ``has_virtual_store=``, ``limit=`` ...).

    Example:
        >>> hits = search("sea surface temperature", has_virtual_store=True)  # doctest: +SKIP
        >>> hits.first().stores[0].kind  # doctest: +SKIP
        'icechunk'
    """
    return resolve_catalog(catalog).search(query, **filters)


def granules(
    collection: Collection | str, *, catalog: str | Path | Catalog = "demo", **filters: Any
) -> SearchResults[Granule]:
    """Granules of ``collection`` (a Collection, concept id or short name) in ``catalog``.

    Example:
        >>> found = granules("AIRS3STD_DEMO", limit=3)  # the demo archive  # doctest: +SKIP
        >>> [g.time_start.date().isoformat() for g in found]  # doctest: +SKIP
        ['2023-01-01', '2023-01-02', '2023-01-03']
    """
    return resolve_catalog(catalog).granules(collection, **filters)
