"""Which catalog the explorer searches: the demo archive, CMR, a CMR-like URL, a folder of records.

Example:
    >>> resolve_catalog("uat").describe
    'CMR https://cmr.uat.earthdata.nasa.gov/search/'
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from vstore_explorer.catalog.base import Catalog
from vstore_explorer.errors import InvalidInputError

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
    a folder or JSON file of UMM records, or a catalog object (anything with ``search``); a
    :class:`CatalogSource` is returned as it is.

    ``"demo"`` builds the embedded demo archive first if needed (``progress`` gets its steps).

    Raises:
        ValueError: for anything else (the message lists what is accepted).
        FileNotFoundError: for a path that does not exist.
    """
    if isinstance(catalog, CatalogSource):
        return catalog
    if isinstance(catalog, Catalog) or hasattr(catalog, "search") and not isinstance(catalog, str):
        from vstore_explorer.catalog.local import LocalCatalog

        local = isinstance(catalog, LocalCatalog | SharedLocalCatalog)
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
    raise InvalidInputError(
        "catalog must be 'demo', 'cmr' (or 'ops'/'uat'), a CMR URL, a folder of UMM records or a "
        f"catalog object with .search(); got {type(catalog).__name__}"
    )


def _files_stamp(path: Path) -> tuple[tuple[str, int, int], ...]:
    """Name, modification time and size of the JSON files a local catalog reads."""
    files = [path] if path.is_file() else sorted(path.rglob("*.json"))
    stamp = []
    for file in files:
        try:
            info = os.stat(file)
        except OSError:  # removed while listing: the next search sees it gone
            continue
        stamp.append((str(file), info.st_mtime_ns, info.st_size))
    return tuple(stamp)


class SharedLocalCatalog:
    """One local catalog for all the sessions of a server.

    Parsing the demo's records takes about 0.2 s and 5 MB per copy; the records are frozen, so the
    sessions share one copy (searches are serialized by a lock). The files are checked (names,
    times, sizes: well under a millisecond for the demo) before each search and read again when
    they changed, so a new session sees records added while the server runs, as before.
    """

    def __init__(self, path: str | Path) -> None:
        from vstore_explorer.catalog.local import LocalCatalog

        self.catalog = LocalCatalog(path)
        self._lock = threading.Lock()
        self._stamp: tuple[tuple[str, int, int], ...] | None = None

    @property
    def path(self) -> Path:
        return self.catalog.path

    def __repr__(self) -> str:
        return repr(self.catalog)

    def _fresh(self) -> Any:
        stamp = _files_stamp(self.catalog.path)
        if stamp != self._stamp:
            self.catalog.reload()
            self._stamp = stamp
        return self.catalog

    def search(self, *args: Any, **kwargs: Any) -> Any:
        """``LocalCatalog.search`` on the shared records (read again if the files changed)."""
        with self._lock:
            return self._fresh().search(*args, **kwargs)

    def granules(self, *args: Any, **kwargs: Any) -> Any:
        """``LocalCatalog.granules`` on the shared records (read again if the files changed)."""
        with self._lock:
            return self._fresh().granules(*args, **kwargs)


class SessionSources:
    """What each session of a server searches: call it once per session.

    A local catalog is resolved at the first call and then shared by every session
    (:class:`SharedLocalCatalog`); CMR gets a client of its own per session. A catalog that
    cannot be resolved raises at each call, so each session reports it as before.
    """

    def __init__(
        self, catalog: str | Path | Any = "demo", *, progress: Callable[[str], None] | None = None
    ) -> None:
        self.catalog = catalog
        self.progress = progress
        self._shared: CatalogSource | None = None
        self._lock = threading.Lock()

    def __call__(self) -> CatalogSource:
        with self._lock:
            if self._shared is not None:
                return self._shared
            from vstore_explorer.catalog.local import LocalCatalog

            source = resolve_catalog(self.catalog, progress=self.progress)
            if isinstance(source.catalog, LocalCatalog):
                self._shared = replace(source, catalog=SharedLocalCatalog(source.catalog.path))
                return self._shared
            return source


def session_sources(
    catalog: str | Path | Any = "demo", *, progress: Callable[[str], None] | None = None
) -> SessionSources:
    """A :class:`SessionSources` for ``catalog`` (what a server's sessions search)."""
    return SessionSources(catalog, progress=progress)
