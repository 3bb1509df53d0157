"""Virtual store links: where a collection's virtual store lives and what kind it is.

A :class:`StoreLink` is a plain, frozen record; it round-trips through a dict so a dashboard URL
can carry it. No I/O happens here.

Example:
    >>> link = StoreLink(url="file:///tmp/sst.icechunk", kind="icechunk", branch="main")
    >>> StoreLink.from_dict(link.to_dict()) == link
    True
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from vstore_explorer.catalog.store_links import STORE_KINDS, UNKNOWN, StoreKind
from vstore_explorer.errors import InvalidInputError

__all__ = ["STORE_KINDS", "StoreKind", "StoreLink"]  # the kinds are defined in store_links


@dataclass(frozen=True)
class StoreLink:
    """A link to one virtual store of a collection.

    Attributes:
        url: where the store is: ``file:///abs/path``, a plain local path, ``s3://bucket/prefix``,
            or ``https://...``. For Icechunk this is the repository prefix.
        kind: ``icechunk``, ``kerchunk-json``, ``kerchunk-parquet``, ``zarr`` or ``unknown``.
        branch: Icechunk branch to open by default (``None`` means ``main``).
        title: a short human label (e.g. the RelatedUrl description's first sentence).
        description: the UMM RelatedUrl description, verbatim.
        region: S3 region of the store (and of its chunks when they are on S3).
        endpoint_url: an S3-compatible endpoint (for non-AWS object stores, tests on loopback).
        anonymous: ``True`` when the store can be read without credentials, ``None`` if unknown.
        requires_earthdata: the store or its chunks sit in NASA Earthdata-protected storage, so
            ``earthaccess.login()`` is needed to read them.
        s3_credentials_url: the DAAC's ``s3credentials`` endpoint (UMM-C DirectDistributionInformation).
        provider: the CMR provider of the collection (e.g. ``POCLOUD``), used to ask earthaccess for
            credentials.

    Example:
        >>> link = StoreLink("s3://bucket/sst.icechunk", kind="icechunk", region="us-west-2")
        >>> link.is_known, link.to_dict()
        (True, {'url': 's3://bucket/sst.icechunk', 'kind': 'icechunk', 'region': 'us-west-2'})
    """

    url: str
    kind: StoreKind = UNKNOWN
    branch: str | None = None
    title: str = ""
    description: str = ""
    region: str | None = None
    endpoint_url: str | None = None
    anonymous: bool | None = None
    requires_earthdata: bool = False
    s3_credentials_url: str | None = None
    provider: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.url, str) or not self.url.strip():
            raise InvalidInputError(
                "StoreLink.url must be a non-empty string (a path or URL of the store)"
            )
        if self.kind not in STORE_KINDS:
            raise InvalidInputError(
                f"StoreLink.kind {self.kind!r} is not one of {', '.join(STORE_KINDS)}; "
                "pass kind= explicitly to override detection"
            )

    @property
    def is_known(self) -> bool:
        """Whether vstore_explorer knows how to open this kind of store."""
        return self.kind != UNKNOWN

    def to_dict(self) -> dict[str, Any]:
        """A plain dict (JSON-able), without fields left at their defaults."""
        defaults = {f.name: f.default for f in fields(self)}
        return {k: v for k, v in asdict(self).items() if k == "url" or v != defaults[k]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StoreLink:
        """Rebuild a link from :meth:`to_dict` output; unknown keys are refused."""
        known = {f.name for f in fields(cls)}
        extra = set(data) - known
        if extra:
            raise InvalidInputError(f"unknown StoreLink field(s): {', '.join(sorted(extra))}")
        return cls(**data)
