"""Keyword search in a local catalog: whole words (``sea`` is not ``seasonal``), quoted phrases,
and the best matches first (short name, the phrase in the title, then anywhere)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from vstore_explorer.build.umm import cmr_item, collection_umm
from vstore_explorer.catalog.links import StoreLink
from vstore_explorer.catalog.local import LocalCatalog

RECORDS = (
    ("AIRX3STD", "AIRS seasonal surface air temperature and humidity", "Air temperature."),
    ("MODIS_CHL", "MODIS chlorophyll", "Ocean colour; also sea surface temperature flags."),
    ("GHRSST_L4", "Global sea surface temperature analysis", "Foundation SST, daily."),
    ("SEAICE", "Sea ice concentration", "Sea ice from passive microwave."),
)


@pytest.fixture
def catalog(tmp_path: Path) -> LocalCatalog:
    for n, (short, title, abstract) in enumerate(RECORDS):
        umm = collection_umm(
            short_name=short,
            version="1",
            entry_title=title,
            abstract=abstract,
            provider="VSTOREDEMO",
            processing_level="3",
            temporal=("2020-01-01", "2020-12-31"),
            bbox=(-180, -90, 180, 90),
            stores=[StoreLink(url=f"s3://bucket/{short}/", kind="icechunk")],
            science_keywords=["EARTH SCIENCE > OCEANS > OCEAN TEMPERATURE"],
        )
        item = cmr_item(umm, concept_id=f"C10000003{n:02d}-VSTOREDEMO", provider="VSTOREDEMO")
        (tmp_path / f"{short}.json").write_text(json.dumps(item))
    return LocalCatalog(tmp_path)


def names(catalog: LocalCatalog, keyword: str) -> list[str]:
    return [c.short_name for c in catalog.search(keyword)]


def test_the_phrase_in_a_title_ranks_first_and_seasonal_is_not_sea(catalog):
    assert names(catalog, "sea surface temperature") == ["GHRSST_L4", "MODIS_CHL"]
    assert "AIRX3STD" not in names(catalog, "sea")  # "seasonal" is another word
    assert names(catalog, "seas*") == ["AIRX3STD"]  # unless asked with a wildcard


def test_a_quoted_phrase_is_a_phrase(catalog):
    assert names(catalog, '"sea ice"') == ["SEAICE"]
    assert names(catalog, '"ice sea"') == []
    assert names(catalog, '"surface temperature" global') == ["GHRSST_L4"]


def test_a_short_name_ranks_first(catalog):
    assert names(catalog, "seaice")[0] == "SEAICE"
