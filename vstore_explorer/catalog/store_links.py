"""The UMM-C convention for virtual-store links: written by ``build.umm``, read by ``discovery``.

Everything both sides must agree on lives here, once (pure, no I/O):

- the store **kind** names (:data:`STORE_KINDS`, from the :data:`StoreKind` literal);
- which ``RelatedUrls`` entry is a virtual store: ``Type`` :data:`VIRTUAL_STORE_TYPE`
  (``"GET DATA"``) and a ``Subtype`` of :data:`VIRTUAL_STORE_SUBTYPES` — the writer writes
  :data:`VIRTUAL_COLLECTION`, the reader also accepts ``"DATA RECIPE"`` (which PO.DAAC used);
- how each kind is written (:data:`STORE_FORMATS`): ``GetData.Format``, ``GetData.MimeType``, the
  start of the ``Description`` (which always names the kind) and the URL suffixes that mark it;
- the explicit ``kind+scheme://`` URL prefixes (:data:`SCHEME_PREFIXES`) and the
  ``@branch`` / ``", branch NAME"`` forms of an Icechunk branch.

Example:
    >>> STORE_FORMATS["kerchunk-json"].format, store_kind_for_format("kerchunk json")
    ('Kerchunk JSON', 'kerchunk-json')
    >>> split_scheme_prefix("icechunk+s3://bucket/sst@dev")
    ('icechunk', 's3://bucket/sst', 'dev')
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal, get_args
from urllib.parse import urlsplit, urlunsplit

from vstore_explorer.errors import InvalidInputError

if TYPE_CHECKING:
    from vstore_explorer.catalog.links import StoreLink

# -- the kinds: every kind name is written here and nowhere else -------------------------------

StoreKind = Literal["icechunk", "kerchunk-json", "kerchunk-parquet", "zarr", "unknown"]
STORE_KINDS: tuple[str, ...] = get_args(StoreKind)
ICECHUNK: StoreKind = "icechunk"
KERCHUNK_JSON: StoreKind = "kerchunk-json"
KERCHUNK_PARQUET: StoreKind = "kerchunk-parquet"
ZARR: StoreKind = "zarr"
UNKNOWN: StoreKind = "unknown"
KERCHUNK = "kerchunk"  # the family of a ``kerchunk+`` prefix: JSON or Parquet, told apart later

# -- which RelatedUrls entries are virtual stores ----------------------------------------------

VIRTUAL_STORE_TYPE = "GET DATA"
VIRTUAL_COLLECTION = "VIRTUAL COLLECTION"  # the Subtype the writer writes
VIRTUAL_STORE_SUBTYPES: tuple[str, ...] = (VIRTUAL_COLLECTION, "DATA RECIPE")
URL_CONTENT_TYPE = "DistributionURL"
DESCRIPTION_MAX = 4000  # UMM-C RelatedUrl Description length

# -- URL forms ---------------------------------------------------------------------------------

SCHEME_PREFIXES: Mapping[str, str] = MappingProxyType(
    {"icechunk": ICECHUNK, "kerchunk": KERCHUNK, "zarr": ZARR}
)
JSON_SUFFIXES: tuple[str, ...] = (".json", ".json.gz", ".json.zst", ".json.bz2")
PARQUET_SUFFIXES: tuple[str, ...] = (".parq", ".parquet", ".parq.zip", ".parquet.zip")
ICECHUNK_SUFFIXES: tuple[str, ...] = (".icechunk",)
ZARR_SUFFIXES: tuple[str, ...] = (".zarr", ".zarr.zip")
_DESCRIBED_BRANCH = re.compile(r"(?:^|[,;(])\s*branch[:\s]+[\"'`]?([A-Za-z0-9._/-]*[A-Za-z0-9_/-])")


@dataclass(frozen=True)
class StoreFormat:
    """How one store kind is written in a UMM-C ``VIRTUAL COLLECTION`` link.

    Attributes:
        kind: the :class:`~vstore_explorer.catalog.links.StoreLink` kind.
        format: ``GetData.Format``.
        mime_type: ``GetData.MimeType`` (a UMM-CMN ``URLMimeTypeEnum`` value).
        label: the start of the ``Description``; names the kind explicitly.
        suffixes: URL suffixes that mark a store of this kind.

    Example:
        >>> STORE_FORMATS["zarr"].suffixes
        ('.zarr', '.zarr.zip')
    """

    kind: str
    format: str
    mime_type: str
    label: str
    suffixes: tuple[str, ...] = ()


STORE_FORMATS: Mapping[str, StoreFormat] = MappingProxyType(
    {
        ICECHUNK: StoreFormat(
            ICECHUNK,
            "Icechunk",
            "Not provided",
            "Icechunk repository (virtual Zarr store built with VirtualiZarr)",
            ICECHUNK_SUFFIXES,
        ),
        KERCHUNK_JSON: StoreFormat(
            KERCHUNK_JSON,
            "Kerchunk JSON",
            "application/json",
            "Kerchunk JSON reference file (virtual Zarr store built with VirtualiZarr)",
            JSON_SUFFIXES,
        ),
        KERCHUNK_PARQUET: StoreFormat(
            KERCHUNK_PARQUET,
            "Kerchunk Parquet",
            "application/octet-stream",
            "Kerchunk Parquet reference store (virtual Zarr store built with VirtualiZarr)",
            PARQUET_SUFFIXES,
        ),
        ZARR: StoreFormat(ZARR, "Zarr", "Not provided", "Zarr store", ZARR_SUFFIXES),
    }
)


def is_virtual_store_url(related_url: Mapping[str, Any]) -> bool:
    """Whether a UMM RelatedUrl entry points at a virtual store (case is ignored).

    Example:
        >>> is_virtual_store_url({"Type": "GET DATA", "Subtype": "DATA RECIPE"})
        True
    """
    kind = str(related_url.get("Type") or "").strip().upper()
    subtype = str(related_url.get("Subtype") or "").strip().upper()
    return kind == VIRTUAL_STORE_TYPE and subtype in VIRTUAL_STORE_SUBTYPES


def split_scheme_prefix(url: str) -> tuple[str | None, str, str | None]:
    """Split ``icechunk+s3://b/p@branch`` into ``("icechunk", "s3://b/p", "branch")``.

    URLs without a ``kind+`` prefix come back unchanged with ``(None, url, None)``; a
    ``kerchunk+`` prefix gives the family ``"kerchunk"``. The ``@branch`` suffix is only read for
    Icechunk and only from the path (not from ``user@host``).

    Example:
        >>> split_scheme_prefix("kerchunk+https://host/refs.json")
        ('kerchunk', 'https://host/refs.json', None)
    """
    match = re.match(r"^([a-z]+)\+(.+)$", url.strip(), flags=re.IGNORECASE)
    if not match or match.group(1).lower() not in SCHEME_PREFIXES:
        return None, url.strip(), None
    kind, rest = SCHEME_PREFIXES[match.group(1).lower()], match.group(2)
    branch = None
    if kind == ICECHUNK:
        parts = urlsplit(rest)
        path = parts.path if parts.scheme else rest
        if "@" in path:
            head, branch = path.rsplit("@", 1)
            if not branch:
                raise InvalidInputError(f"empty branch after '@' in store URL {url!r}")
            rest = urlunsplit(parts._replace(path=head)) if parts.scheme else head
    return kind, rest, branch


def branch_from_description(description: str) -> str | None:
    """The Icechunk branch named by a ``", branch NAME"`` phrase, if any.

    Example:
        >>> branch_from_description("Icechunk repository (virtual Zarr store), branch dev.")
        'dev'
        >>> branch_from_description("Built from the main branch of the pipeline.") is None
        True
    """
    match = _DESCRIBED_BRANCH.search(description)
    return match.group(1) if match else None


def store_kind_for_format(fmt: str) -> str | None:
    """The store kind written with ``GetData.Format`` ``fmt``, or ``None``.

    Example:
        >>> store_kind_for_format("kerchunk parquet")
        'kerchunk-parquet'
    """
    wanted = fmt.strip().casefold()
    for spec in STORE_FORMATS.values():
        if spec.format.casefold() == wanted:
            return spec.kind
    return None


def store_format(link: StoreLink) -> StoreFormat:
    """How ``link`` is written; refused for a non-link or the ``unknown`` kind.

    Example:
        >>> from vstore_explorer.catalog.links import StoreLink
        >>> store_format(StoreLink(url="s3://b/refs.json", kind="kerchunk-json")).mime_type
        'application/json'
    """
    from vstore_explorer.catalog.links import StoreLink

    if not isinstance(link, StoreLink):
        raise InvalidInputError(f"stores must hold StoreLink objects, got {type(link).__name__}")
    spec = STORE_FORMATS.get(link.kind)
    if spec is None:
        raise InvalidInputError(
            f"store {link.url!r} has kind {link.kind!r}, which cannot be written to a UMM record; "
            f"set StoreLink.kind to one of {', '.join(STORE_FORMATS)}"
        )
    return spec


def _description_text(value: str) -> str:
    if not value.strip():
        raise InvalidInputError(f"store description must be a non-empty string, got {value!r}")
    value = value.strip()
    if len(value) > DESCRIPTION_MAX:
        raise InvalidInputError(
            f"store description is {len(value)} characters long; UMM allows at most "
            f"{DESCRIPTION_MAX}"
        )
    return value


def store_description(link: StoreLink) -> str:
    """The ``Description`` written for a store link; it always names the store kind (and the
    Icechunk branch, as ``", branch NAME"``: see :func:`branch_from_description`).

    Example:
        >>> from vstore_explorer.catalog.links import StoreLink
        >>> store_description(StoreLink(url="s3://b/sst/", kind="icechunk"))
        'Icechunk repository (virtual Zarr store built with VirtualiZarr), branch main.'
    """
    spec = store_format(link)
    given = link.description.strip()
    if given.startswith(spec.label):
        return _description_text(given)
    text = spec.label
    if spec.kind == ICECHUNK:
        text += f", branch {link.branch or 'main'}"
    if link.title.strip():
        text += f": {link.title.strip().rstrip('.')}"
    text += "."
    if given:
        text += f" {given}"
    return _description_text(text)
