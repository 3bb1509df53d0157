"""Store links as written in UMM-C ``VIRTUAL COLLECTION`` RelatedUrls (the writer's side).

The convention itself (kind names, Type/Subtype, ``GetData.Format``/``MimeType``, the
``Description`` that names the kind) is :mod:`vstore_explorer.catalog.store_links`, shared with
the reader (:mod:`vstore_explorer.catalog.discovery`); its names are re-exported here.
"""

from __future__ import annotations

from typing import Any

from vstore_explorer.build.umm.values import absolute_url, size_with_unit, valid_size
from vstore_explorer.catalog.links import StoreLink
from vstore_explorer.catalog.store_links import (
    STORE_FORMATS,
    URL_CONTENT_TYPE,
    VIRTUAL_COLLECTION,
    VIRTUAL_STORE_TYPE,
    StoreFormat,
    store_description,
    store_format,
    store_kind_for_format,
)

__all__ = [
    "STORE_FORMATS",
    "StoreFormat",
    "store_description",
    "store_kind_for_format",
    "store_related_url",
]


def store_related_url(link: StoreLink, size_bytes: int | None) -> dict[str, Any]:
    """The UMM-C RelatedUrl of one virtual store (``size_bytes=None``: size not provided)."""
    spec = store_format(link)
    size: float
    if size_bytes is None:
        size, unit = 0, "MB"  # CMR's convention for "size not provided"
    else:
        size, unit = size_with_unit(valid_size(size_bytes, f"store_sizes[{link.url!r}]"))
    return {
        "URL": absolute_url(link.url, "store url"),
        "URLContentType": URL_CONTENT_TYPE,
        "Type": VIRTUAL_STORE_TYPE,
        "Subtype": VIRTUAL_COLLECTION,
        "Description": store_description(link),
        "GetData": {"Format": spec.format, "MimeType": spec.mime_type, "Size": size, "Unit": unit},
    }
