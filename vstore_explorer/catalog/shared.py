"""One local catalog shared by many users (the sessions of a served explorer).

Example:
    >>> shared = SharedLocalCatalog("records/")  # doctest: +SKIP
    >>> shared.search("sea surface", has_virtual_store=True)  # doctest: +SKIP
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from vstore_explorer.catalog.base import BaseCatalog, GranuleQuery, SearchQuery, SearchResults
from vstore_explorer.catalog.local import LocalCatalog
from vstore_explorer.catalog.records import Collection, Granule

Stamp = tuple[tuple[str, int, int], ...]


def files_stamp(path: Path) -> Stamp:
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


class SharedLocalCatalog(BaseCatalog):
    """One local catalog for all the sessions of a server.

    Parsing the demo's records takes about 0.2 s and 5 MB per copy; the records are frozen, so the
    sessions share one copy (searches are serialized by a lock). The files are checked (names,
    times, sizes: well under a millisecond for the demo) before each search and read again when
    they changed, so a new session sees records added while the server runs, as before.

    ``catalog`` is the :class:`~vstore_explorer.catalog.local.LocalCatalog` it wraps.
    """

    def __init__(self, path: str | Path) -> None:
        self.catalog = LocalCatalog(path)
        self._lock = threading.Lock()
        self._stamp: Stamp | None = None

    @property
    def path(self) -> Path:
        """The folder or JSON file of the records."""
        return self.catalog.path

    def __repr__(self) -> str:
        return repr(self.catalog)

    def _fresh(self) -> LocalCatalog:
        stamp = files_stamp(self.catalog.path)
        if stamp != self._stamp:
            self.catalog.reload()
            self._stamp = stamp
        return self.catalog

    def _search(self, query: SearchQuery) -> SearchResults[Collection]:
        """``LocalCatalog.search`` on the shared records (read again if the files changed)."""
        with self._lock:
            return self._fresh().search(query)

    def _granules(
        self, collection: Collection | str, query: GranuleQuery
    ) -> SearchResults[Granule]:
        """``LocalCatalog.granules`` on the shared records (read again if the files changed)."""
        with self._lock:
            return self._fresh().granules(collection, query)
