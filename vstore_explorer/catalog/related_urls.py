"""UMM ``RelatedUrls`` entries, direct S3 access and the data links of granules; no I/O.

Example:
    >>> RelatedUrl.from_umm({"URL": "https://example.org/a.nc", "Type": "GET DATA"}).to_dict()
    {'url': 'https://example.org/a.nc', 'type': 'GET DATA'}
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from vstore_explorer.catalog.umm_values import _list, _text


@dataclass(frozen=True)
class RelatedUrl:
    """One UMM ``RelatedUrls`` entry."""

    url: str
    type: str = ""
    subtype: str = ""
    description: str = ""
    format: str = ""
    mime_type: str = ""
    url_content_type: str = ""

    @classmethod
    def from_umm(cls, entry: Mapping[str, Any]) -> RelatedUrl | None:
        """From a UMM entry; ``None`` for entries without a URL (e.g. old UMM 1.2 ``URLs``)."""
        url = _text(entry.get("URL"))
        if not url:
            return None
        raw_get_data = entry.get("GetData")
        get_data = raw_get_data if isinstance(raw_get_data, Mapping) else {}
        return cls(
            url=url,
            type=_text(entry.get("Type")),
            subtype=_text(entry.get("Subtype")),
            description=_text(entry.get("Description")),
            format=_text(entry.get("Format") or get_data.get("Format")),
            mime_type=_text(entry.get("MimeType") or get_data.get("MimeType")),
            url_content_type=_text(entry.get("URLContentType")),
        )

    def to_dict(self) -> dict[str, str]:
        """A plain dict without empty fields."""
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name)}


def _related_urls(umm: Mapping[str, Any]) -> tuple[RelatedUrl, ...]:
    entries = [
        RelatedUrl.from_umm(e)
        for e in _list(umm.get("RelatedUrls"), "RelatedUrls")
        if isinstance(e, Mapping)
    ]
    return tuple(e for e in entries if e is not None)


@dataclass(frozen=True)
class S3Access:
    """Direct S3 access of a cloud-hosted collection (UMM-C ``DirectDistributionInformation``)."""

    region: str | None = None
    bucket_prefixes: tuple[str, ...] = ()
    credentials_url: str | None = None
    documentation_url: str | None = None

    @classmethod
    def from_umm(cls, ddi: Any) -> S3Access | None:
        """From ``DirectDistributionInformation`` (``None`` when absent)."""
        if not isinstance(ddi, Mapping) or not ddi:
            return None
        return cls(
            region=_text(ddi.get("Region")) or None,
            bucket_prefixes=tuple(
                _text(p)
                for p in _list(ddi.get("S3BucketAndObjectPrefixNames"), "S3 prefixes")
                if _text(p)
            ),
            credentials_url=_text(ddi.get("S3CredentialsAPIEndpoint")) or None,
            documentation_url=_text(ddi.get("S3CredentialsAPIDocumentationURL")) or None,
        )

    @property
    def buckets(self) -> tuple[str, ...]:
        """Bucket names, without prefixes."""
        names = (p.removeprefix("s3://").split("/", 1)[0] for p in self.bucket_prefixes)
        return tuple(dict.fromkeys(names))

    def to_dict(self) -> dict[str, Any]:
        """A plain dict."""
        return {
            "region": self.region,
            "bucket_prefixes": list(self.bucket_prefixes),
            "credentials_url": self.credentials_url,
            "documentation_url": self.documentation_url,
        }


def _resolve_data_link(url: str, base_path: str | Path | None) -> str:
    if urlsplit(url).scheme and len(urlsplit(url).scheme) > 1:
        return url
    path = Path(url).expanduser()
    if not path.is_absolute() and base_path is not None:
        path = Path(base_path) / path
    return path.resolve().as_uri() if path.is_absolute() else url


def _data_links(
    related: Iterable[RelatedUrl], base_path: str | Path | None
) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """``(https, s3, file)`` data links (``GET DATA`` and ``GET DATA VIA DIRECT ACCESS``)."""
    https: list[str] = []
    s3: list[str] = []
    local: list[str] = []
    for r in related:
        if r.type.upper() not in ("GET DATA", "GET DATA VIA DIRECT ACCESS"):
            continue
        url = _resolve_data_link(r.url, base_path)
        scheme = urlsplit(url).scheme.lower()
        target = {"https": https, "http": https, "s3": s3, "file": local}.get(scheme)
        if target is not None and url not in target:
            target.append(url)
    return tuple(https), tuple(s3), tuple(local)
