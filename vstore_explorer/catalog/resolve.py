"""The one place a catalog name becomes a catalog: the API, the CLI and the explorer all use it.

:func:`resolve_catalog` (and :func:`resolve_source`, which also says how to describe it) take,
checked in this order:

1. a :class:`Catalog` object (anything with a ``search`` method, e.g. ``CMRCatalog``,
   ``LocalCatalog``, ``SharedLocalCatalog``), returned as it is; a :class:`CatalogSource`
   stands for its catalog;
2. the name ``"demo"``: the embedded demo archive's records (a ``LocalCatalog``), the archive built
   on first use; ``progress`` gets the build steps (default: printed on stderr). Without the
   demo package, :class:`DemoUnavailableError`;
3. the names ``"ops"``, ``"uat"``, ``"sit"`` (``"cmr"`` means ``"ops"``), or an ``http(s)://``
   URL of a CMR-compatible search API: a ``CMRCatalog`` (with ``timeout`` and ``retries``);
4. any other string, or a path object: a folder (searched recursively) or a JSON file of UMM
   records, ``~`` expanded; ``FileNotFoundError`` when it does not exist;
5. anything else: ``InvalidInputError`` listing what is accepted.

Names are strings, matched ignoring case and surrounding spaces; a ``Path`` is always a path.
The explicit forms skip the guessing: :func:`open_catalog` (``cmr=`` or ``path=``),
:func:`cmr_catalog`, :func:`local_catalog` and :func:`demo_catalog`.

The backends (``requests``, python-cmr) and the demo are imported only when a name needs them;
the demo (a higher layer) only lazily, inside :func:`demo_catalog`.

Example:
    >>> resolve_catalog("UAT").base_url
    'https://cmr.uat.earthdata.nasa.gov/search/'
    >>> resolve_source("cmr").describe
    'CMR https://cmr.earthdata.nasa.gov/search/'
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from vstore_explorer.errors import InvalidInputError

if TYPE_CHECKING:
    from vstore_explorer.catalog.base import Catalog
    from vstore_explorer.catalog.cmr import CMRCatalog
    from vstore_explorer.catalog.local import LocalCatalog

CMR_NAMES: tuple[str, ...] = ("cmr", "ops", "uat", "sit")
DEMO_NAME = "demo"
ACCEPTED = (
    "'demo', 'cmr' (or 'ops'/'uat'/'sit'), a CMR URL, a folder or JSON file of UMM records or a "
    "catalog object with .search()"
)
Form = Literal["source", "object", "demo", "cmr", "path"]
Progress = Callable[[str], None]


class DemoUnavailableError(InvalidInputError):
    """The ``"demo"`` catalog was asked for, but the demo package cannot be imported."""


@dataclass(frozen=True)
class CatalogSource:
    """A resolved catalog, how to name it, and whether it is local.

    ``local`` catalogs are small and offline (the explorer searches them at start-up); CMR is
    large and remote (searched only when asked).

    Example:
        >>> source = resolve_source("uat")
        >>> source.local, source.describe
        (False, 'CMR https://cmr.uat.earthdata.nasa.gov/search/')
    """

    catalog: Any
    describe: str
    local: bool


def catalog_form(catalog: object) -> Form:
    """Which rule of the module docstring applies to ``catalog`` (nothing is opened).

    Example:
        >>> [catalog_form(c) for c in ("Demo", " ops ", "https://cmr.example/", "./records")]
        ['demo', 'cmr', 'cmr', 'path']
    """
    if isinstance(catalog, CatalogSource):
        return "source"
    if not isinstance(catalog, str | os.PathLike) and callable(getattr(catalog, "search", None)):
        return "object"
    if isinstance(catalog, str):
        name = catalog.strip().lower()
        if name == DEMO_NAME:
            return "demo"
        if name in CMR_NAMES or name.startswith(("http://", "https://")):
            return "cmr"
        return "path"
    if isinstance(catalog, os.PathLike):
        return "path"
    raise InvalidInputError(f"catalog must be {ACCEPTED}; got {type(catalog).__name__}")


def is_local(catalog: object) -> bool:
    """Whether ``catalog`` reads local records (``LocalCatalog`` or ``SharedLocalCatalog``)."""
    from vstore_explorer.catalog.local import LocalCatalog
    from vstore_explorer.catalog.shared import SharedLocalCatalog

    return isinstance(catalog, LocalCatalog | SharedLocalCatalog)


def cmr_catalog(name: str = "ops", *, timeout: float = 30.0, retries: int = 3) -> CMRCatalog:
    """CMR by name (``"ops"``, ``"uat"``, ``"sit"``; ``"cmr"`` is ``"ops"``) or search URL.

    Example:
        >>> cmr_catalog("cmr", timeout=10).base_url
        'https://cmr.earthdata.nasa.gov/search/'
    """
    from vstore_explorer.catalog.cmr import CMRCatalog

    text = name.strip() if isinstance(name, str) else name
    return CMRCatalog("ops" if text.lower() == "cmr" else text, timeout=timeout, retries=retries)


def local_catalog(path: str | os.PathLike[str]) -> LocalCatalog:
    """A folder or JSON file of UMM records (``FileNotFoundError`` if it does not exist)."""
    from vstore_explorer.catalog.local import LocalCatalog

    return LocalCatalog(path)  # type: ignore[arg-type]


def demo_catalog(progress: Progress | None = None) -> LocalCatalog:
    """The embedded demo archive's records, the archive built on first use.

    ``progress`` gets one line per build step; ``None`` prints them on stderr.

    Raises:
        DemoUnavailableError: the demo package cannot be imported.
    """
    try:
        if progress is None:
            from vstore_explorer.demo.archive import default_catalog_path
        else:
            from vstore_explorer.demo.archive import ensure_demo
    except ImportError:
        raise DemoUnavailableError(
            "the embedded demo catalog is not available (vstore_explorer.demo cannot be "
            "imported); use 'ops'/'uat'/'sit', a CMR URL or a folder of UMM records"
        ) from None
    if progress is None:
        return local_catalog(default_catalog_path())
    return local_catalog(ensure_demo(progress=progress).records_dir)


def open_catalog(
    *,
    cmr: str | None = None,
    path: str | os.PathLike[str] | None = None,
    timeout: float = 30.0,
    retries: int = 3,
) -> CMRCatalog | LocalCatalog:
    """A CMR catalog (``cmr="ops"|"uat"|"sit"|"cmr"|URL``) or a local one (``path=``): exactly
    one of them; nothing is guessed. ``timeout`` and ``retries`` apply to CMR only.

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
        return cmr_catalog(cmr, timeout=timeout, retries=retries)
    return local_catalog(path)  # type: ignore[arg-type]


def resolve_source(
    catalog: object = DEMO_NAME,
    *,
    progress: Progress | None = None,
    timeout: float = 30.0,
    retries: int = 3,
) -> CatalogSource:
    """The catalog ``catalog`` names (rules in the module docstring), with its description
    (``"demo archive"``, ``"CMR <url>"``, ``"local records <path>"``, or the object's ``repr``)
    and whether it is local. A :class:`CatalogSource` is returned as it is.

    Raises:
        InvalidInputError: for something that is neither a name, a path nor a catalog.
        FileNotFoundError: for a path that does not exist.
        DemoUnavailableError: for ``"demo"`` without the demo package.
    """
    form = catalog_form(catalog)
    if form == "source":
        return catalog  # type: ignore[return-value]
    if form == "object":
        return CatalogSource(catalog, repr(catalog), is_local(catalog))
    if form == "demo":
        return CatalogSource(demo_catalog(progress), "demo archive", True)
    if form == "cmr":
        cmr = cmr_catalog(str(catalog), timeout=timeout, retries=retries)
        return CatalogSource(cmr, f"CMR {cmr.base_url}", False)
    path = Path(catalog).expanduser()  # type: ignore[arg-type]
    if not path.exists():
        raise FileNotFoundError(
            f"catalog {str(catalog)!r} is neither 'demo', 'cmr', a URL nor an existing folder "
            "or JSON file of UMM records"
        )
    local = local_catalog(path)
    return CatalogSource(local, f"local records {local.path}", True)


def resolve_catalog(
    catalog: object = DEMO_NAME,
    *,
    progress: Progress | None = None,
    timeout: float = 30.0,
    retries: int = 3,
) -> Catalog:
    """A catalog from a name: ``"demo"`` (the embedded demo, built on first use), ``"ops"``,
    ``"uat"``, ``"sit"``, ``"cmr"``, a CMR URL (``http(s)://...``), a local folder/JSON file, or a
    catalog object (rules and errors: the module docstring and :func:`resolve_source`).

    Example:
        >>> resolve_catalog("uat").base_url
        'https://cmr.uat.earthdata.nasa.gov/search/'
    """
    return resolve_source(catalog, progress=progress, timeout=timeout, retries=retries).catalog
