"""Where collections and their virtual stores are found: CMR over HTTP or a local folder.

Example:
    >>> from vstore_explorer.catalog import open_catalog
    >>> catalog = open_catalog(path="records/")  # doctest: +SKIP
    >>> for c in catalog.search("sea surface temperature", has_virtual_store=True):  # doctest: +SKIP
    ...     print(c.summary(), c.stores)
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from vstore_explorer.catalog.base import (
    Catalog,
    IncompleteResultsWarning,
    MalformedRecordError,
    MalformedRecordWarning,
    SearchResults,
    validate_bbox,
    validate_limit,
    validate_temporal,
)
from vstore_explorer.catalog.discovery import DiscoveredStores, discover_stores, infer_kind
from vstore_explorer.catalog.links import StoreLink
from vstore_explorer.catalog.records import BoundingBox, Collection, Granule, RelatedUrl, S3Access
from vstore_explorer.errors import InvalidInputError

if TYPE_CHECKING:
    from vstore_explorer.catalog.cmr import CMRCatalog
    from vstore_explorer.catalog.local import LocalCatalog

__all__ = [
    "BoundingBox",
    "CMRCatalog",
    "CMRError",
    "CMRTimeoutError",
    "CMRUnavailableError",
    "Catalog",
    "Collection",
    "DiscoveredStores",
    "Granule",
    "LocalCatalog",
    "MalformedRecordError",
    "IncompleteResultsWarning",
    "MalformedRecordWarning",
    "RelatedUrl",
    "S3Access",
    "SearchResults",
    "StoreLink",
    "discover_stores",
    "infer_kind",
    "granules",
    "open_catalog",
    "resolve_catalog",
    "search",
    "validate_bbox",
    "validate_limit",
    "validate_temporal",
]

_LAZY = {
    "CMRCatalog": "vstore_explorer.catalog.cmr",
    "CMRError": "vstore_explorer.catalog.cmr",
    "CMRTimeoutError": "vstore_explorer.catalog.cmr",
    "CMRUnavailableError": "vstore_explorer.catalog.cmr",
    "LocalCatalog": "vstore_explorer.catalog.local",
}


def __getattr__(name: str) -> object:
    """Import the backends (requests, python-cmr) only when asked for."""
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def open_catalog(
    *,
    cmr: str | None = None,
    path: str | Path | None = None,
    timeout: float = 30.0,
    retries: int = 3,
) -> CMRCatalog | LocalCatalog:
    """A CMR catalog (``cmr="ops"|"uat"|URL``) or a local one (``path=``): exactly one of them.

    ``timeout`` and ``retries`` apply to CMR only.

    Example:
        >>> open_catalog(cmr="uat", timeout=10).base_url
        'https://cmr.uat.earthdata.nasa.gov/search/'
        >>> local = open_catalog(path="records/")  # doctest: +SKIP
    """
    if (cmr is None) == (path is None):
        raise InvalidInputError(
            "give exactly one of cmr= ('ops', 'uat' or a URL) and path= (a folder)"
        )
    if cmr is not None:
        from vstore_explorer.catalog.cmr import CMRCatalog

        return CMRCatalog(cmr, timeout=timeout, retries=retries)
    from vstore_explorer.catalog.local import LocalCatalog

    return LocalCatalog(path)  # type: ignore[arg-type]


def resolve_catalog(catalog: str | Path | Catalog = "demo") -> Catalog:
    """A catalog from a name: ``"demo"`` (the embedded demo, built on first use), ``"ops"``,
    ``"uat"``, a CMR URL (``http(s)://...``), a local folder/JSON file, or a catalog object.

    Example:
        >>> resolve_catalog("uat").base_url  # doctest: +SKIP
        'https://cmr.uat.earthdata.nasa.gov/search/'
    """
    if not isinstance(catalog, str | Path):
        return catalog
    text = str(catalog)
    if text == "demo":
        from vstore_explorer.demo.archive import default_catalog_path

        return open_catalog(path=default_catalog_path())
    if text in ("ops", "uat", "sit", "cmr") or text.startswith(("http://", "https://")):
        return open_catalog(cmr="ops" if text == "cmr" else text)
    return open_catalog(path=text)


def search(
    keyword: str | None = None, *, catalog: str | Path | Catalog = "demo", **filters: object
) -> SearchResults:
    """Search collections in ``catalog`` (see :func:`resolve_catalog`); filters as
    :meth:`Catalog.search` (``bbox=``, ``temporal=``, ``has_virtual_store=``, ``limit=`` ...).

    Example:
        >>> hits = search("sea surface temperature", has_virtual_store=True)  # doctest: +SKIP
        >>> hits.first().stores[0].kind  # doctest: +SKIP
        'icechunk'
    """
    return resolve_catalog(catalog).search(keyword, **filters)  # type: ignore[arg-type]


def granules(
    collection: object, *, catalog: str | Path | Catalog = "demo", **filters: object
) -> SearchResults:
    """Granules of ``collection`` (a Collection, concept id or short name) in ``catalog``.

    Example:
        >>> found = granules("AIRS3STD_DEMO", limit=3)  # the demo archive  # doctest: +SKIP
        >>> [g.time_start.date().isoformat() for g in found]  # doctest: +SKIP
        ['2023-01-01', '2023-01-02', '2023-01-03']
    """
    return resolve_catalog(catalog).granules(collection, **filters)  # type: ignore[arg-type]
