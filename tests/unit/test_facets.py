"""Search facets over real UMM-C records: platforms, instruments and processing levels parsed from
CMR responses, counted and filtered; malformed facet values never make a record unreadable."""

from __future__ import annotations

import doctest
import json
from pathlib import Path
from typing import Any

import pytest

from vstore_explorer.catalog import facets as facets_module
from vstore_explorer.catalog import umm_values
from vstore_explorer.catalog.facets import FACETS, Facets, facet_counts, facet_values, filter_by
from vstore_explorer.catalog.records import Collection

RESPONSES = (
    "collections_POCLOUD_cloud_hosted_page20.umm_json.json",  # 20 POCLOUD collections
    "collections_GPM_3IMERGDF.umm_json.json",  # 1 GES_DISC
    "collections_GAMSSA_28km.umm_json.json",  # 1 POCLOUD
)


def _items(path: Path) -> list[dict[str, Any]]:
    data = json.loads(path.read_text())
    return data.get("items", [data])


@pytest.fixture(scope="module")
def collections(fixtures_dir: Path) -> list[Collection]:
    """The 22 collections of three real CMR ``umm_json`` responses, in response order."""
    folder = fixtures_dir / "cmr" / "responses"
    return [Collection.from_umm(item) for name in RESPONSES for item in _items(folder / name)]


def _names(collections: list[Collection]) -> list[str]:
    return [c.short_name for c in collections]


def test_platforms_instruments_and_level_of_a_real_record(fixtures_dir: Path) -> None:
    path = fixtures_dir / "umm" / "records" / "umm-c_C1996881146-POCLOUD_MUR-JPL-L4-GLOB-v4.1.json"
    mur = Collection.from_umm(json.loads(path.read_text()))
    assert mur.platforms == ("Aqua", "CORIOLIS", "Terra", "NOAA-19", "GCOM-W1", "BUOYS")
    # MODIS is on Aqua and on Terra: listed once, where it first appears
    assert mur.instruments == ("MODIS", "AMSR-E", "WINDSAT", "AVHRR-3", "AMSR2", "DRIFTING BUOYS")
    assert mur.processing_level == "4"
    assert Collection.from_dict(json.loads(json.dumps(mur.to_dict()))) == mur
    assert mur.to_dict(include_umm=False)["instruments"][:2] == ["MODIS", "AMSR-E"]


def test_bare_umm_c_records_have_facet_values(fixtures_dir: Path) -> None:
    records = fixtures_dir / "umm" / "records"
    airs = Collection.from_umm(
        json.loads((records / "umm-c_GES_DISC_AIRX3STD_006.json").read_text())
    )
    assert (airs.platforms, airs.instruments, airs.processing_level) == (
        ("AQUA",),
        ("AIRS", "AMSU-A"),
        "3",
    )
    assert airs.provider is None and facet_values(airs, "provider") == ()
    cddis = Collection.from_umm(json.loads((records / "umm-c_v1.2_CDDIS_example.json").read_text()))
    assert cddis.processing_level == "Level 1"  # kept as written
    assert len(cddis.platforms) == 7 and cddis.instruments[0] == "BEIDOU ANTENNA"


def test_counts_of_real_cmr_responses(collections: list[Collection]) -> None:
    assert len(collections) == 22
    counts = facet_counts(collections)
    assert dict(counts.provider) == {"POCLOUD": 21, "GES_DISC": 1}
    assert dict(counts.level) == {"2": 9, "4": 6, "1": 3, "2P": 2, "3": 2}
    # most frequent first, ties by name: CYGNSS and GCOM-W1 both 5
    assert list(counts.platform.items())[:3] == [("CYGNSS", 5), ("GCOM-W1", 5), ("METOP-B", 4)]
    assert len(counts.platform) == 26
    assert list(counts.instrument.items())[:4] == [
        ("AMSR2", 5),
        ("DDMI", 5),
        ("AMR", 4),
        ("ASCAT", 4),
    ]
    assert counts.instrument["MODIS"] == 1  # MUR has it twice (Aqua, Terra): counted once
    assert counts["level"] is counts.level
    assert list(counts.to_dict()) == list(FACETS)
    with pytest.raises(TypeError):
        counts.provider["POCLOUD"] = 0  # type: ignore[index]


def test_filters_of_real_cmr_responses(collections: list[Collection]) -> None:
    assert _names(filter_by(collections, provider="GES_DISC")) == ["GPM_3IMERGDF"]
    assert _names(filter_by(collections, platform="CYGNSS", level="2")) == [
        "CYGNSS_L2_V2.1",
        "CYGNSS_L2_V3.1",
    ]
    assert _names(filter_by(collections, instrument="AMSR2")) == [
        "MUR-JPL-L4-GLOB-v4.1",
        "AMSR2-REMSS-L2P-v8.2",
        "AMSR2-REMSS-L2P_RT-v8.2",
        "CMC0.1deg-CMC-L4-GLOB-v3.0",
        "GAMSSA_28km-ABOM-L4-GLOB-v01",
    ]
    assert _names(filter_by(collections, provider="POCLOUD", instrument="AMSR2", level="2P")) == [
        "AMSR2-REMSS-L2P-v8.2",
        "AMSR2-REMSS-L2P_RT-v8.2",
    ]
    assert filter_by(collections, provider="GES_DISC", level="4") == []
    assert filter_by(collections, provider="", platform=None) == collections  # "" and None: any
    # every count is the number of collections the filter of that value keeps
    counts = facet_counts(collections)
    for name in FACETS:
        for value, n in counts[name].items():
            assert len(filter_by(collections, **{name: value})) == n, (name, value)


@pytest.mark.parametrize(
    ("umm", "platforms", "instruments", "level"),
    [
        ({}, (), (), None),
        ({"Platforms": "Aqua", "ProcessingLevel": "4"}, (), (), None),
        ({"Platforms": {"ShortName": "Aqua"}, "ProcessingLevel": {"Id": 4}}, (), (), None),
        (
            {
                "Platforms": [
                    "Aqua",
                    None,
                    {"ShortName": 7, "Instruments": [{"ShortName": "LOST"}]},
                    {"ShortName": " Terra ", "Instruments": "MODIS"},
                    {"ShortName": "Terra", "Instruments": [{"ShortName": "MODIS"}, 3, {}]},
                ],
                "ProcessingLevel": {"Id": " 2P "},
            },
            ("Terra",),
            ("LOST", "MODIS"),
            "2P",
        ),
    ],
)
def test_malformed_facet_values_are_skipped(
    umm: dict[str, Any], platforms: tuple[str, ...], instruments: tuple[str, ...], level: Any
) -> None:
    c = Collection.from_umm({"meta": {"concept-id": "C9-ODD"}, "umm": {"ShortName": "X", **umm}})
    assert (c.platforms, c.instruments, c.processing_level) == (platforms, instruments, level)


def test_empty_and_unknown_facets() -> None:
    assert facet_counts([]) == Facets()
    assert facet_counts([Collection("A")]).to_dict() == {name: {} for name in FACETS}
    with pytest.raises(KeyError, match="unknown facet"):
        facet_values(Collection("A"), "colour")
    with pytest.raises(KeyError, match="unknown facet"):
        Facets()["colour"]


@pytest.mark.parametrize("module", [facets_module, umm_values])
def test_doctests(module: Any) -> None:
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
