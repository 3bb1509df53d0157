"""Which catalog the explorer searches, and how a server's sessions share it.

The names (``"demo"``, ``"cmr"``, a URL, a folder of records...) are resolved by
:mod:`vstore_explorer.catalog.resolve`, the one resolver; what is left here is the explorer's:
building the demo quietly unless asked for progress, and sharing one local catalog between the
sessions of a server (:class:`SessionSources`).

Example:
    >>> resolve_catalog("uat").describe
    'CMR https://cmr.uat.earthdata.nasa.gov/search/'
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from vstore_explorer.catalog.local import LocalCatalog
from vstore_explorer.catalog.resolve import CMR_NAMES, CatalogSource, resolve_source
from vstore_explorer.catalog.shared import SharedLocalCatalog

__all__ = [
    "CMR_NAMES",
    "CatalogSource",
    "SessionSources",
    "SharedLocalCatalog",
    "resolve_catalog",
    "session_sources",
]


def _quiet(_message: str) -> None:
    """The explorer builds the demo silently unless given a ``progress``."""


def resolve_catalog(
    catalog: str | Path | Any = "demo", *, progress: Callable[[str], None] | None = None
) -> CatalogSource:
    """A :class:`CatalogSource` from ``"demo"``, ``"cmr"`` (or ``"ops"``/``"uat"``), a CMR URL,
    a folder or JSON file of UMM records, or a catalog object (anything with ``search``); a
    :class:`CatalogSource` is returned as it is (rules:
    :func:`vstore_explorer.catalog.resolve.resolve_source`).

    ``"demo"`` builds the embedded demo archive first if needed (``progress`` gets its steps).

    Raises:
        ValueError: for anything else (the message lists what is accepted).
        FileNotFoundError: for a path that does not exist.
    """
    return resolve_source(catalog, progress=progress or _quiet)


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
