"""CMR ``umm_json`` search-result items and deterministic concept ids."""

from __future__ import annotations

import copy
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from vstore_explorer.build.umm.values import (
    UMM_JSON_FORMAT,
    cmr_datetime,
    to_datetime,
    valid_provider,
    valid_text,
)
from vstore_explorer.errors import InvalidInputError


def cmr_item(
    umm: Mapping[str, Any],
    *,
    concept_id: str,
    provider: str,
    revision_id: int = 1,
    native_id: str | None = None,
    revision_date: Any = None,
    collection_concept_id: str | None = None,
) -> dict[str, Any]:
    """``umm`` wrapped as one item of a CMR ``umm_json`` search result (a deep copy).

    The concept type comes from the record (``GranuleUR`` → granule) and must match the id's
    letter. ``native_id`` defaults to the ``GranuleUR`` or ``<ShortName>___<Version>``;
    ``revision_date`` to the record's own latest date (``ProviderDates`` / ``MetadataDates``), and
    is left out when the record has none.

    Example:
        >>> from vstore_explorer.build.umm import granule_umm
        >>> g = granule_umm(granule_ur="g1", short_name="S", version="1", begin="2024-01-01",
        ...                 end="2024-01-02", bbox=(-180, -90, 180, 90), size_bytes=10,
        ...                 data_url="s3://b/g1.nc")
        >>> cmr_item(g, concept_id="G1000000001-VSTOREDEMO", provider="VSTOREDEMO")["meta"][
        ...     "revision-date"]
        '2024-01-02T00:00:00.000Z'
    """
    provider = valid_provider(provider)
    if not isinstance(umm, Mapping):
        raise InvalidInputError(f"umm must be a UMM record (a mapping), got {type(umm).__name__}")
    is_granule = "GranuleUR" in umm
    concept_type = "granule" if is_granule else "collection"
    letter = "G" if is_granule else "C"
    if not isinstance(concept_id, str) or not re.fullmatch(rf"{letter}\d+-{provider}", concept_id):
        raise InvalidInputError(
            f"concept_id {concept_id!r} does not fit a {concept_type} of provider {provider}: "
            f"expected {letter}<digits>-{provider} (see concept_ids())"
        )
    if isinstance(revision_id, bool) or not isinstance(revision_id, int) or revision_id < 1:
        raise InvalidInputError(f"revision_id must be an integer >= 1, got {revision_id!r}")
    if native_id is None:
        if is_granule:
            native_id = umm["GranuleUR"]
        else:
            native_id = f"{umm.get('ShortName')}___{umm.get('Version')}"
    meta: dict[str, Any] = {
        "concept-type": concept_type,
        "concept-id": concept_id,
        "revision-id": revision_id,
        "native-id": valid_text(native_id, "native_id", 1024),
        "provider-id": provider,
        "format": UMM_JSON_FORMAT,
    }
    if collection_concept_id is not None:
        if not is_granule:
            raise InvalidInputError("collection_concept_id only applies to granule records")
        if not re.fullmatch(r"C\d+-[A-Z0-9_]{1,10}", str(collection_concept_id)):
            raise InvalidInputError(
                f"collection_concept_id {collection_concept_id!r} is not C<digits>-<PROVIDER>"
            )
        meta["collection-concept-id"] = collection_concept_id
    date_value = revision_date if revision_date is not None else _record_date(umm)
    if date_value is not None:
        meta["revision-date"] = cmr_datetime(to_datetime(date_value, "revision_date"))
    return {"meta": meta, "umm": copy.deepcopy(dict(umm))}


def _record_date(umm: Mapping[str, Any]) -> str | None:
    dates = umm.get("ProviderDates") or umm.get("MetadataDates") or []
    by_type = {
        str(d.get("Type", "")).upper(): d.get("Date") for d in dates if isinstance(d, Mapping)
    }
    return by_type.get("UPDATE") or by_type.get("INSERT") or by_type.get("CREATE")


@dataclass(frozen=True)
class ConceptIds:
    """Deterministic CMR-style concept ids for one provider, derived by hashing names.

    Collections get ``C`` + 10 digits; granules ``G`` + 12 digits. With an integer index the
    granule number is the collection's 6-digit hash block followed by the index (unique within
    a collection for index < 1,000,000); with a string key (e.g. the GranuleUR) it is a hash.

    Example:
        >>> ids = concept_ids("VSTOREDEMO")
        >>> ids.collection("SST_DEMO", "1") == ids.collection("SST_DEMO", "1")
        True
        >>> ids.granule("SST_DEMO", 7, "1")[-17:]
        '000007-VSTOREDEMO'
    """

    provider: str

    def __post_init__(self) -> None:
        valid_provider(self.provider)

    def collection(self, short_name: str, version: str = "") -> str:
        """The collection id of ``short_name`` (and ``version``)."""
        digest = _digest("C", valid_text(short_name, "short_name", 85), version)
        return f"C{1_000_000_000 + digest % 9_000_000_000}-{self.provider}"

    def granule(self, short_name: str, key: int | str, version: str = "") -> str:
        """The id of a granule of ``short_name``, by index (``int``) or by name (``str``)."""
        short_name = valid_text(short_name, "short_name", 85)
        if isinstance(key, bool) or not isinstance(key, (int, str, np.integer)):
            raise InvalidInputError(
                f"granule key must be an index (int) or a name (str), got {key!r}"
            )
        if isinstance(key, str):
            digest = _digest("G", short_name, version, valid_text(key, "granule key", 1024))
            return f"G{100_000_000_000 + digest % 900_000_000_000}-{self.provider}"
        index = int(key)
        if not 0 <= index < 1_000_000:
            raise InvalidInputError(
                f"granule index {index} must be in 0..999999; use a name for more"
            )
        block = 100_000 + _digest("G", short_name, version) % 900_000
        return f"G{block * 1_000_000 + index}-{self.provider}"


def concept_ids(provider: str) -> ConceptIds:
    """Deterministic concept-id maker for ``provider`` (see :class:`ConceptIds`)."""
    return ConceptIds(provider)


def _digest(*parts: str) -> int:
    data = "\x1f".join(parts).encode()
    return int.from_bytes(hashlib.sha256(data).digest()[:8], "big")
