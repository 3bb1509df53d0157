"""A store with several groups in the explorer (SMAP-like Global and Polar grids in one file):
the group picker lists them, switching group changes the variables and the data, the exported
script and the URL carry the group, going back restores the first, and a reopened URL shows the
same group. Values are checked against direct netCDF4 reads of the granules."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import netCDF4
import numpy as np
import pytest

from vstore_explorer.app.state import NO_LIMITS, ExplorerState
from vstore_explorer.build.icechunk_store import build_icechunk
from vstore_explorer.build.umm import cmr_item, collection_umm
from vstore_explorer.catalog.links import StoreLink
from vstore_explorer.catalog.local import LocalCatalog

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")
SHORT_NAME = "TWO_REGION_TEST"
GROUPS = {"north": 30.0, "south": -70.0}  # group -> first latitude of its grid


def _granule(path: Path, day: int) -> Path:
    with netCDF4.Dataset(path, "w") as nc:
        nc.title = "Two regional grids in one granule"
        for name, lat0 in GROUPS.items():
            g = nc.createGroup(name)
            g.createDimension("time", 1)
            g.createDimension("lat", 8)
            g.createDimension("lon", 16)
            t = g.createVariable("time", "f8", ("time",))
            t.units, t.standard_name = "days since 2020-01-01", "time"
            t[:] = [day]
            lat = g.createVariable("lat", "f4", ("lat",))
            lat.units, lat.standard_name = "degrees_north", "latitude"
            lat[:] = lat0 + 2.5 * np.arange(8)
            lon = g.createVariable("lon", "f4", ("lon",))
            lon.units, lon.standard_name = "degrees_east", "longitude"
            lon[:] = -180.0 + 22.5 * np.arange(16)
            v = g.createVariable("temperature", "f4", ("time", "lat", "lon"), fill_value=-9999.0)
            v.units, v.long_name = "K", f"{name} temperature"
            v[:] = 250.0 + lat0 / 10 + day + np.arange(128, dtype="f4").reshape(1, 8, 16) / 100
            if name == "south":
                ice = g.createVariable("ice", "f4", ("time", "lat", "lon"), fill_value=-9999.0)
                ice.units, ice.long_name = "1", "sea ice fraction"
                ice[:] = np.linspace(0, 1, 128, dtype="f4").reshape(1, 8, 16) * (day + 1) / 4
    return path


@pytest.fixture(scope="module")
def grouped(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("groups")
    (root / "granules").mkdir()
    granules = [_granule(root / "granules" / f"two_region_{d}.nc", d) for d in range(3)]
    store = root / "two_region.icechunk"
    build_icechunk(granules, str(store), group=list(GROUPS))
    link = StoreLink(url=store.as_uri(), kind="icechunk")
    umm = collection_umm(
        short_name=SHORT_NAME,
        version="1",
        entry_title="Two regional grids",
        abstract="A test product with a northern and a southern grid group.",
        provider="VSTOREDEMO",
        processing_level="3",
        temporal=("2020-01-01", "2020-01-03"),
        bbox=(-180, -70, 180, 50),
        stores=[link],
        science_keywords=["EARTH SCIENCE > OCEANS > OCEAN TEMPERATURE"],
    )
    records = root / "records"
    records.mkdir()
    item = cmr_item(umm, concept_id="C1000000042-VSTOREDEMO", provider="VSTOREDEMO")
    (records / "two_region.json").write_text(json.dumps(item))
    return {"granules": granules, "records": records}


def _state(grouped: dict[str, Any]) -> ExplorerState:
    state = ExplorerState(catalog=LocalCatalog(grouped["records"]), limits=NO_LIMITS)
    state.search()
    assert state.select_collection(0), state.alert
    return state


def _direct(path: Path, group: str, variable: str) -> np.ndarray:
    """One time step of a group's variable, read with netCDF4 (as a length-1 time axis)."""
    with netCDF4.Dataset(path) as nc:
        return nc[group][variable][0:1].filled(np.nan)


def test_the_explorer_lists_the_groups_and_switches_between_them(grouped):
    state = _state(grouped)
    assert list(state.param.group.objects) == ["north", "south"]
    # a store whose root holds no variables opens its first group, and says there are more
    assert state.group == "north" and state.handle.group == "north"
    assert state.param.variable.objects == ["temperature"]
    state.time_start = state.time_end = state.times[1]
    shown = state.result("map")
    np.testing.assert_array_equal(
        shown.data.values, _direct(grouped["granules"][1], "north", "temperature")
    )
    assert 'group="north"' in state.code and "group=north" in state.query

    state.group = "south"  # the other grid: its own variables, data, code and URL
    assert state.handle.group == "south"
    assert sorted(state.param.variable.objects) == ["ice", "temperature"]
    assert state.variable == "temperature"  # kept: the new group has it too
    assert (state.time_start, state.time_end) == (state.times[1], state.times[1])
    np.testing.assert_array_equal(
        state.result("map").data.values, _direct(grouped["granules"][1], "south", "temperature")
    )
    assert 'group="south"' in state.code and "group=south" in state.query
    state.variable = "ice"
    np.testing.assert_array_equal(
        state.result("map").data.values, _direct(grouped["granules"][1], "south", "ice")
    )
    south_url, south_code = state.query, state.code

    state.group = "north"  # back: "ice" is not there, the group's own variable is chosen
    assert state.variable == "temperature" and state.handle.group == "north"
    np.testing.assert_array_equal(
        state.result("map").data.values, _direct(grouped["granules"][1], "north", "temperature")
    )

    reopened = ExplorerState(catalog=LocalCatalog(grouped["records"]), limits=NO_LIMITS)
    reopened.search()
    assert reopened.apply_query(south_url), reopened.alert
    assert (reopened.group, reopened.variable) == ("south", "ice")
    assert reopened.code == south_code


def test_the_exported_script_of_a_group_reads_what_the_explorer_showed(grouped, tmp_path):
    state = _state(grouped)
    state.group = "south"
    state.variable = "ice"
    state.time_start = state.time_end = state.times[2]
    shown = state.result("map").data
    script = tmp_path / "export.py"
    out = tmp_path / "out.npy"
    script.write_text(
        state.code.replace(
            "plot = ", f"import numpy\nnumpy.save({str(out)!r}, result.values)\nplot = ", 1
        )
    )
    subprocess.run([sys.executable, str(script)], check=True, timeout=300, capture_output=True)
    np.testing.assert_array_equal(np.load(out), shown.values)
    np.testing.assert_array_equal(np.load(out), _direct(grouped["granules"][2], "south", "ice"))


def test_the_group_picker_shows_only_for_stores_with_several_groups(grouped, demo_records):
    from panel.io.location import Location

    from vstore_explorer.app.explorer import explore

    app = explore(str(grouped["records"]), location=Location())
    picker = app.collection_view.group
    assert picker.visible and list(picker.options) == ["north", "south"]
    assert picker.value == "north"
    picker.value = "south"  # the widget drives the session
    assert app.state.handle.group == "south"
    demo = explore(demo_records, location=Location())
    assert demo.state.handle is not None and demo.state.handle.group is None
    assert not demo.collection_view.group.visible


def test_a_group_the_store_does_not_have_is_an_alert_naming_the_groups(grouped):
    state = ExplorerState(catalog=LocalCatalog(grouped["records"]), limits=NO_LIMITS)
    state.search()
    query = f"collection={SHORT_NAME}&store=icechunk&group=east&var=temperature"
    assert not state.apply_query(query)
    assert "no group 'east'" in state.alert and "north, south" in state.alert
