"""UMM-C and UMM-G record writers: the CMR metadata of virtual stores and of their granules.

Pure functions returning plain JSON-able dicts (no I/O, no module-level mutable state):

- :func:`collection_umm` – a UMM-C 1.18.6 record whose ``RelatedUrls`` link each virtual store as
  ``{"Type": "GET DATA", "Subtype": "VIRTUAL COLLECTION", "URLContentType": "DistributionURL",
  "URL": ..., "Description": ..., "GetData": {"Format": ..., "MimeType": ..., ...}}``.
- :func:`granule_umm` – a UMM-G 1.6.7 record for one granule file.
- :func:`cmr_item` – a record wrapped as in CMR ``umm_json`` search results (``{"meta", "umm"}``).
- :func:`concept_ids` – deterministic concept ids (``C…-PROVIDER`` / ``G…-PROVIDER``) derived by
  hashing short names, so rebuilding an archive gives the same ids.
- :func:`cmr_datetime` – datetimes rendered as CMR does (``2024-10-11T00:00:00.000Z``).

Schema constraints and the choices they force (checked against the real schemas):

- In UMM-C 1.18.6 a ``RelatedUrl`` has no top-level ``Format``/``MimeType`` (``additionalProperties``
  is false): they live in ``GetData``, which also requires ``Size`` and ``Unit``. When a store's
  size is not known, ``Size`` is ``0`` with ``Unit`` ``"MB"`` – what real CMR records do for "not
  provided". Readers should look at ``GetData.Format`` *and* the ``Description``, which always names
  the store kind (see :data:`STORE_FORMATS`; the convention, shared with the reader
  ``catalog.discovery``, is :mod:`vstore_explorer.catalog.store_links`).
- ``GetData.Format`` and ``MimeType`` are free strings in UMM-C (KMS-controlled, not enforced). The
  MIME types used are all members of UMM-CMN's ``URLMimeTypeEnum``: ``application/json`` for
  Kerchunk JSON, ``application/octet-stream`` for Parquet, ``Not provided`` for the directory-like
  Icechunk and Zarr stores (they are prefixes, not files).
- ``URL`` is a plain string (max 1024 chars), but a record is read far from where it was written,
  so store and granule locations are written as absolute URLs: ``s3://``, ``https://``, ``http://``
  and ``file://`` URLs are kept as given, an absolute local path becomes a ``file://`` URL
  (``Path.as_uri``, percent-encoded), and a relative path is refused (this module does no I/O, so it
  cannot resolve it; resolve it first).
- A bounding box crossing the antimeridian is one ``BoundingRectangle`` with west > east, as CMR
  expects. Coordinates are rounded to 6 decimals (about 0.1 m).

Example:
    >>> from datetime import datetime
    >>> from vstore_explorer.catalog.links import StoreLink
    >>> record = collection_umm(
    ...     short_name="SST_DEMO", version="1", entry_title="Demo SST", abstract="Synthetic SST.",
    ...     provider="VSTOREDEMO", processing_level="4", temporal=(datetime(2024, 1, 1), None),
    ...     bbox=(-180, -90, 180, 90), science_keywords=["EARTH SCIENCE > OCEANS > OCEAN TEMPERATURE"],
    ...     stores=[StoreLink(url="s3://bucket/sst/", kind="icechunk", branch="main")])
    >>> link = record["RelatedUrls"][0]
    >>> link["Subtype"], link["GetData"]["Format"]
    ('VIRTUAL COLLECTION', 'Icechunk')
    >>> concept_ids("VSTOREDEMO").collection("SST_DEMO", "1")  # doctest: +ELLIPSIS
    'C...-VSTOREDEMO'
"""

from __future__ import annotations

from vstore_explorer.build.umm.collection import collection_umm
from vstore_explorer.build.umm.granule import granule_umm
from vstore_explorer.build.umm.items import ConceptIds, cmr_item, concept_ids
from vstore_explorer.build.umm.store_formats import (
    STORE_FORMATS,
    StoreFormat,
    store_description,
    store_kind_for_format,
)
from vstore_explorer.build.umm.values import (
    CHECKSUM_HEX_LENGTHS,
    COLLECTION_PROGRESS,
    GRANULE_SPATIAL_REPRESENTATIONS,
    UMM_C_VERSION,
    UMM_G_MIME_TYPES,
    UMM_G_VERSION,
    UMM_JSON_FORMAT,
    URL_SCHEMES,
    cmr_datetime,
)
from vstore_explorer.catalog.store_links import VIRTUAL_COLLECTION

__all__ = [
    "CHECKSUM_HEX_LENGTHS",
    "COLLECTION_PROGRESS",
    "GRANULE_SPATIAL_REPRESENTATIONS",
    "STORE_FORMATS",
    "UMM_C_VERSION",
    "UMM_G_MIME_TYPES",
    "UMM_G_VERSION",
    "UMM_JSON_FORMAT",
    "URL_SCHEMES",
    "VIRTUAL_COLLECTION",
    "ConceptIds",
    "StoreFormat",
    "cmr_datetime",
    "cmr_item",
    "collection_umm",
    "concept_ids",
    "granule_umm",
    "store_description",
    "store_kind_for_format",
]
