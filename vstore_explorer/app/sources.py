"""Which catalog the explorer searches: the demo archive, CMR, a CMR-like URL, a folder of records.

Example:
    >>> resolve_catalog("uat").describe
    'CMR https://cmr.uat.earthdata.nasa.gov/search/'
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vstore_explorer.catalog.base import Catalog

CMR_NAMES = ("cmr", "ops", "uat", "sit")


@dataclass(frozen=True)
class CatalogSource:
    """A catalog and how the explorer uses it.

    ``local`` catalogs are searched at start-up (they are small and offline); CMR is searched only
    when asked (an unfiltered CMR search is large).
    """

    catalog: Any
    describe: str
    local: bool


def resolve_catalog(
    catalog: str | Path | Any = "demo", *, progress: Callable[[str], None] | None = None
) -> CatalogSource:
    """A :class:`CatalogSource` from ``"demo"``, ``"cmr"`` (or ``"ops"``/``"uat"``), a CMR URL,
    a folder or JSON file of UMM records, or a catalog object (anything with ``search``).

    ``"demo"`` builds the embedded demo archive first if needed (``progress`` gets its steps).

    Raises:
        ValueError: for anything else (the message lists what is accepted).
        FileNotFoundError: for a path that does not exist.
    """
    if isinstance(catalog, Catalog) or hasattr(catalog, "search") and not isinstance(catalog, str):
        from vstore_explorer.catalog.local import LocalCatalog

        local = isinstance(catalog, LocalCatalog)
        return CatalogSource(catalog, repr(catalog), local)
    if isinstance(catalog, str) and catalog.strip().lower() == "demo":
        from vstore_explorer.catalog.local import LocalCatalog
        from vstore_explorer.demo.archive import ensure_demo

        archive = ensure_demo(progress=progress)
        return CatalogSource(LocalCatalog(archive.records_dir), "demo archive", True)
    if isinstance(catalog, str) and (
        catalog.strip().lower() in CMR_NAMES or catalog.startswith(("http://", "https://"))
    ):
        from vstore_explorer.catalog.cmr import CMRCatalog

        name = catalog.strip()
        cmr = CMRCatalog("ops" if name.lower() == "cmr" else name)
        return CatalogSource(cmr, f"CMR {cmr.base_url}", False)
    if isinstance(catalog, str | Path):
        from vstore_explorer.catalog.local import LocalCatalog

        path = Path(catalog).expanduser()
        if not path.exists():
            raise FileNotFoundError(
                f"catalog {str(catalog)!r} is neither 'demo', 'cmr', a URL nor an existing folder "
                "or JSON file of UMM records"
            )
        return CatalogSource(LocalCatalog(path), f"local records {path}", True)
    raise ValueError(
        "catalog must be 'demo', 'cmr' (or 'ops'/'uat'), a CMR URL, a folder of UMM records or a "
        f"catalog object with .search(); got {type(catalog).__name__}"
    )
