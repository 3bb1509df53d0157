"""UMM-C 1.18.6 collection records linking a collection to its virtual stores."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from vstore_explorer.build.umm.store_formats import store_related_url
from vstore_explorer.build.umm.values import (
    COLLECTION_PROGRESS,
    GRANULE_SPATIAL_REPRESENTATIONS,
    UMM_C_VERSION,
    absolute_url,
    bounding_rectangle,
    cmr_datetime,
    range_date_time,
    size_with_unit,
    temporal_pair,
    to_datetime,
    valid_number,
    valid_provider,
    valid_size,
    valid_text,
)
from vstore_explorer.catalog.links import StoreLink
from vstore_explorer.catalog.umm_values import KEYWORD_LEVELS
from vstore_explorer.errors import InvalidInputError


def collection_umm(
    *,
    short_name: str,
    version: str,
    entry_title: str,
    abstract: str,
    provider: str,
    processing_level: str | int,
    temporal: tuple[Any, Any],
    bbox: tuple[float, float, float, float],
    stores: Sequence[StoreLink],
    science_keywords: Sequence[str | Sequence[str] | Mapping[str, str]],
    variables: Sequence[Any] = (),
    platforms: Sequence[Any] = ("Not provided",),
    doi: str | None = None,
    doi_explanation: str = "No DOI has been registered for this collection.",
    landing_page: str | None = None,
    granule_spatial_representation: str = "CARTESIAN",
    collection_progress: str | None = None,
    resolution_deg: float | tuple[float, float] | None = None,
    granule_format: str = "netCDF-4",
    average_file_size_bytes: int | None = None,
    data_center: str | None = None,
    data_center_long_name: str | None = None,
    store_sizes: Mapping[str, int] | None = None,
    metadata_date: Any = None,
) -> dict[str, Any]:
    """A UMM-C 1.18.6 collection record linking the collection to its virtual stores.

    Args:
        short_name, version, entry_title, abstract: the collection's identity and description.
        provider: CMR provider id (``VSTOREDEMO``); also the default data center short name.
        processing_level: ``ProcessingLevel.Id`` (e.g. ``"4"``).
        temporal: ``(begin, end)``; ``end=None`` is an ongoing collection (``EndsAtPresentFlag``,
            progress ``ACTIVE``), else progress ``COMPLETE``.
        bbox: ``(west, south, east, north)`` in degrees; west > east crosses the antimeridian.
        stores: one ``GET DATA`` / ``VIRTUAL COLLECTION`` link per store (kind ``unknown`` refused).
            The description is the kind's label (:data:`STORE_FORMATS`), the Icechunk branch
            (``main`` when ``None``), the link's title and description; a link description that
            already starts with the label is used verbatim (so parsed records rebuild unchanged).
        science_keywords: at least one GCMD keyword: ``"EARTH SCIENCE > OCEANS > ..."``, a
            sequence of levels, or a mapping with ``Category``/``Topic``/``Term``/... keys.
        variables: data variable names (strings, mappings or objects with ``name`` and optional
            ``long_name``/``units``). UMM-C has no variable list (that is UMM-V), so they are
            recorded in ``AdditionalAttributes`` (``data_variables``) for catalogs to show.
        platforms: platform short names, ``(platform, [instruments])`` pairs or UMM mappings.
        doi: a DOI (``10.xxxx/...``); when ``None`` the record says ``MissingReason: Not
            Applicable`` with ``doi_explanation``.
        landing_page: a ``DATA SET LANDING PAGE`` URL; defaults to ``https://doi.org/<doi>``.
        granule_spatial_representation: ``CARTESIAN``, ``GEODETIC`` or ``NO_SPATIAL``.
        resolution_deg: grid spacing (one value or ``(dx, dy)``) in decimal degrees.
        granule_format, average_file_size_bytes: ``ArchiveAndDistributionInformation`` of the files.
        store_sizes: bytes of each store (keyed by the StoreLink's ``url``) for ``GetData.Size``;
            missing ones are written as ``0 MB`` (not provided).
        metadata_date: when given, ``MetadataDates`` CREATE/UPDATE (and the default CMR
            revision date of :func:`cmr_item`).
    """
    short_name = valid_text(short_name, "short_name", 85)
    version = valid_text(version, "version", 80)
    entry_title = valid_text(entry_title, "entry_title", 1030)
    abstract = valid_text(abstract, "abstract", 40000)
    provider = valid_provider(provider)
    if isinstance(processing_level, int) and not isinstance(processing_level, bool):
        processing_level = str(processing_level)
    level = valid_text(processing_level, "processing_level", 80)

    begin, end = temporal_pair(temporal, "temporal")
    progress = collection_progress or ("ACTIVE" if end is None else "COMPLETE")
    if progress not in COLLECTION_PROGRESS:
        raise InvalidInputError(
            f"collection_progress {progress!r} is not one of {', '.join(COLLECTION_PROGRESS)}"
        )
    representation = granule_spatial_representation
    if representation not in GRANULE_SPATIAL_REPRESENTATIONS:
        raise InvalidInputError(
            f"granule_spatial_representation {representation!r} is not one of "
            f"{', '.join(GRANULE_SPATIAL_REPRESENTATIONS)} (ORBIT needs orbit parameters, which "
            "gridded virtual stores do not have)"
        )

    if isinstance(stores, StoreLink) or not stores:
        raise InvalidInputError(
            "stores must be a non-empty sequence of StoreLink: a collection record written by "
            "vstore_explorer links at least one virtual store"
        )
    sizes = dict(store_sizes or {})
    related = [store_related_url(link, sizes.get(link.url)) for link in stores]
    urls = [r["URL"] for r in related]
    duplicates = sorted({u for u in urls if urls.count(u) > 1})
    if duplicates:
        raise InvalidInputError(f"stores link the same URL more than once: {', '.join(duplicates)}")

    doi_record, doi_landing = _doi(doi, doi_explanation)
    landing = landing_page if landing_page is not None else doi_landing
    if landing is not None:
        related.append(
            {
                "URL": absolute_url(landing, "landing_page"),
                "URLContentType": "CollectionURL",
                "Type": "DATA SET LANDING PAGE",
                "Description": f"Landing page of {entry_title}",
            }
        )

    temporal_extent: dict[str, Any] = {"RangeDateTimes": [range_date_time(begin, end)]}
    if end is None:
        temporal_extent["EndsAtPresentFlag"] = True

    horizontal: dict[str, Any] = {
        "Geometry": {
            "CoordinateSystem": "GEODETIC" if representation == "GEODETIC" else "CARTESIAN",
            "BoundingRectangles": [bounding_rectangle(bbox)],
        }
    }
    if resolution_deg is not None:
        horizontal["ResolutionAndCoordinateSystem"] = _resolution(resolution_deg)

    file_info: dict[str, Any] = {
        "Format": valid_text(granule_format, "granule_format", 80),
        "FormatType": "Native",
    }
    if average_file_size_bytes is not None:
        size, unit = size_with_unit(valid_size(average_file_size_bytes, "average_file_size_bytes"))
        file_info.update(AverageFileSize=size, AverageFileSizeUnit=unit)

    center: dict[str, Any] = {
        "Roles": ["ARCHIVER", "DISTRIBUTOR"],
        "ShortName": valid_text(data_center or provider, "data_center", 85),
    }
    if data_center_long_name:
        center["LongName"] = valid_text(data_center_long_name, "data_center_long_name", 1024)

    record: dict[str, Any] = {
        "ShortName": short_name,
        "Version": version,
        "EntryTitle": entry_title,
        "Abstract": abstract,
        "DOI": doi_record,
        "DataCenters": [center],
        "ProcessingLevel": {"Id": level},
        "CollectionProgress": progress,
        "ScienceKeywords": _science_keywords(science_keywords),
        "Platforms": _platforms(platforms),
        "TemporalExtents": [temporal_extent],
        "SpatialExtent": {
            "SpatialCoverageType": "HORIZONTAL",
            "HorizontalSpatialDomain": horizontal,
            "GranuleSpatialRepresentation": representation,
        },
        "ArchiveAndDistributionInformation": {
            "FileArchiveInformation": [dict(file_info)],
            "FileDistributionInformation": [dict(file_info)],
        },
        "RelatedUrls": related,
        "MetadataSpecification": {
            "URL": f"https://cdn.earthdata.nasa.gov/umm/collection/v{UMM_C_VERSION}",
            "Name": "UMM-C",
            "Version": UMM_C_VERSION,
        },
    }
    attribute = _variables_attribute(variables)
    if attribute is not None:
        record["AdditionalAttributes"] = [attribute]
    if metadata_date is not None:
        stamp = cmr_datetime(to_datetime(metadata_date, "metadata_date"))
        record["MetadataDates"] = [
            {"Type": "CREATE", "Date": stamp},
            {"Type": "UPDATE", "Date": stamp},
        ]
    return record


def _doi(doi: str | None, explanation: str) -> tuple[dict[str, str], str | None]:
    if doi is None:
        return {
            "MissingReason": "Not Applicable",
            "Explanation": valid_text(explanation, "doi_explanation", 1024),
        }, None
    value = valid_text(doi, "doi", 1024)
    for prefix in ("https://doi.org/", "http://doi.org/", "doi:"):
        if value.lower().startswith(prefix):
            value = value[len(prefix) :]
    if not re.match(r"^10\.\d{4,9}/\S+$", value):
        raise InvalidInputError(f"doi {doi!r} is not a DOI like 10.5067/GHGAM-4FA1A")
    return {"DOI": value, "Authority": "https://doi.org"}, f"https://doi.org/{value}"


def _science_keywords(keywords: Any) -> list[dict[str, str]]:
    if isinstance(keywords, (str, Mapping)) or not isinstance(keywords, Sequence) or not keywords:
        raise InvalidInputError(
            "science_keywords must be a non-empty sequence of GCMD keywords, e.g. "
            "['EARTH SCIENCE > OCEANS > OCEAN TEMPERATURE > SEA SURFACE TEMPERATURE']"
        )
    out = []
    for kw in keywords:
        if isinstance(kw, Mapping):
            unknown = set(kw) - set(KEYWORD_LEVELS)
            if unknown:
                raise InvalidInputError(
                    f"science keyword {dict(kw)!r} has unknown key(s) {sorted(unknown)}; "
                    f"use {', '.join(KEYWORD_LEVELS)}"
                )
            levels = [kw.get(k) for k in KEYWORD_LEVELS]
            while levels and levels[-1] is None:
                levels.pop()
        elif isinstance(kw, str):
            levels = [part.strip() for part in kw.split(">")]
        elif isinstance(kw, Sequence):
            levels = list(kw)
        else:
            raise InvalidInputError(f"science keyword {kw!r} must be a string, sequence or mapping")
        if not 3 <= len(levels) <= len(KEYWORD_LEVELS):
            raise InvalidInputError(
                f"science keyword {kw!r} needs 3 to 7 levels (Category > Topic > Term > ...)"
            )
        out.append(
            {
                name: valid_text(value, f"science keyword {name}", 80)
                for name, value in zip(KEYWORD_LEVELS, levels, strict=False)
            }
        )
    return out


def _platforms(platforms: Any) -> list[dict[str, Any]]:
    if (
        isinstance(platforms, (str, Mapping))
        or not isinstance(platforms, Sequence)
        or not platforms
    ):
        raise InvalidInputError(
            "platforms must be a non-empty sequence of platform names, (platform, instruments) "
            "pairs or UMM platform mappings; use ['Not provided'] for model output"
        )
    out = []
    for p in platforms:
        if isinstance(p, str):
            out.append({"ShortName": valid_text(p, "platform ShortName", 80)})
        elif isinstance(p, Mapping):
            allowed = {"ShortName", "LongName", "Type", "Instruments"}
            unknown = set(p) - allowed
            if unknown:
                raise InvalidInputError(
                    f"platform {dict(p)!r} has unknown key(s) {sorted(unknown)}; "
                    f"use {', '.join(sorted(allowed))}"
                )
            entry: dict[str, Any] = {
                "ShortName": valid_text(p.get("ShortName"), "platform ShortName", 80)
            }
            if p.get("LongName"):
                entry["LongName"] = valid_text(p["LongName"], "platform LongName", 1024)
            if p.get("Type"):
                entry["Type"] = valid_text(p["Type"], "platform Type", 80)
            if p.get("Instruments"):
                entry["Instruments"] = _instruments(p["Instruments"])
            out.append(entry)
        elif isinstance(p, Sequence) and len(p) == 2:
            entry = {"ShortName": valid_text(p[0], "platform ShortName", 80)}
            if p[1]:
                entry["Instruments"] = _instruments(p[1])
            out.append(entry)
        else:
            raise InvalidInputError(
                f"platform {p!r} must be a name, (name, instruments) or a mapping"
            )
    return out


def _instruments(instruments: Any) -> list[dict[str, str]]:
    if isinstance(instruments, (str, Mapping)):
        instruments = [instruments]
    out = []
    for i in instruments:
        if isinstance(i, Mapping):
            entry = {"ShortName": valid_text(i.get("ShortName"), "instrument ShortName", 80)}
            if i.get("LongName"):
                entry["LongName"] = valid_text(i["LongName"], "instrument LongName", 1024)
            out.append(entry)
        else:
            out.append({"ShortName": valid_text(i, "instrument ShortName", 80)})
    return out


def _resolution(resolution_deg: float | tuple[float, float]) -> dict[str, Any]:
    if isinstance(resolution_deg, Sequence):
        if len(resolution_deg) != 2:
            raise InvalidInputError(
                f"resolution_deg must be a number or (dx, dy), got {resolution_deg!r}"
            )
        dx, dy = resolution_deg
    else:
        dx = dy = resolution_deg
    dx, dy = valid_number(dx, "resolution_deg x"), valid_number(dy, "resolution_deg y")
    if dx <= 0 or dy <= 0:
        raise InvalidInputError(f"resolution_deg must be positive, got ({dx}, {dy})")
    return {
        "Description": f"Regular latitude-longitude grid, {dx:g} x {dy:g} degrees",
        "HorizontalDataResolution": {
            "GriddedResolutions": [{"XDimension": dx, "YDimension": dy, "Unit": "Decimal Degrees"}]
        },
    }


def _variables_attribute(variables: Any) -> dict[str, str] | None:
    if isinstance(variables, (str, Mapping)):
        raise InvalidInputError("variables must be a sequence of variable names or descriptions")
    entries = []
    for v in variables:
        raw: object  # the name as given: checked by valid_text below
        if isinstance(v, str):
            raw, long_name, units = v, None, None
        elif isinstance(v, Mapping):
            raw, long_name, units = v.get("name"), v.get("long_name"), v.get("units")
        else:
            raw = getattr(v, "name", None)
            long_name, units = getattr(v, "long_name", None), getattr(v, "units", None)
        name = valid_text(raw, "variable name", 80)
        detail = ", ".join(str(x) for x in (long_name, units) if x)
        entries.append((name, f"{name} ({detail})" if detail else name))
    if not entries:
        return None
    names = [n for n, _ in entries]
    if len(set(names)) != len(names):
        raise InvalidInputError(f"variables are listed more than once: {names}")
    value = ",".join(names)
    if len(value) > 500:
        raise InvalidInputError(
            f"variable names take {len(value)} characters; a UMM AdditionalAttribute value "
            "holds at most 500: list the main variables only"
        )
    description = "Data variables of the granules and virtual stores: " + "; ".join(
        d for _, d in entries
    )
    if len(description) > 2048:
        description = description[:2044] + " ..."
    return {
        "Name": "data_variables",
        "Description": description,
        "DataType": "STRING",
        "Value": value,
    }
