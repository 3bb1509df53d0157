"""CF flag codes (``flag_values``/``flag_meanings``): a packed measurement's codes are masked by
default (RSS-style rain rates stored as 0..250 with 253 "rain flag unusable" and 254 "no
observation", no valid range to catch them), ``flags=keep`` shows them, the URL and the exported
script carry the choice; a categorical variable (a surface type) is never masked and its map
names its categories. Values are checked against netCDF4 reads of the granules."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import holoviews as hv
import netCDF4
import numpy as np
import pytest

from vstore_explorer import plots
from vstore_explorer.app.state import NO_LIMITS, ExplorerState
from vstore_explorer.build.icechunk_store import build_icechunk
from vstore_explorer.build.umm import cmr_item, collection_umm
from vstore_explorer.catalog.links import StoreLink
from vstore_explorer.catalog.local import LocalCatalog
from vstore_explorer.compute import Request
from vstore_explorer.selection import Selection
from vstore_explorer.stores.open import connect

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")
CODES = {253: "rain_flag_unusable", 254: "no_observation"}  # (255 is uint8's default fill)
SURFACE = {0: "ocean", 1: "land", 2: "sea_ice"}


def _granule(path: Path, day: int) -> Path:
    rng = np.random.default_rng(day)
    with netCDF4.Dataset(path, "w") as nc:
        nc.createDimension("time", 1)
        nc.createDimension("lat", 6)
        nc.createDimension("lon", 8)
        t = nc.createVariable("time", "f8", ("time",))
        t.units, t.standard_name = "days since 2021-01-01", "time"
        t[:] = [day]
        for name, start, step, units in (("lat", -12.5, 5.0, "degrees_north"),
                                         ("lon", 2.5, 5.0, "degrees_east")):  # fmt: skip
            v = nc.createVariable(name, "f4", (name,))
            v.units = units
            v[:] = start + step * np.arange(nc.dimensions[name].size)
        rain = nc.createVariable("rain_rate", "u1", ("time", "lat", "lon"))
        rain.set_auto_maskandscale(False)
        rain.scale_factor, rain.units, rain.long_name = 0.1, "mm h-1", "rain rate"
        rain.flag_values = np.array(list(CODES), "u1")
        rain.flag_meanings = " ".join(CODES.values())
        stored = rng.integers(0, 250, (1, 6, 8), dtype="u1")
        stored[0, 0, :3] = 253
        stored[0, 5, 5:] = 254
        rain[:] = stored
        surface = nc.createVariable("surface_type", "i1", ("time", "lat", "lon"))
        surface.flag_values = np.array(list(SURFACE), "i1")
        surface.flag_meanings = " ".join(SURFACE.values())
        surface.long_name = "surface type"
        surface[:] = (np.arange(48).reshape(1, 6, 8) + day) % 3
    return path


@pytest.fixture(scope="module")
def flagged(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("flags")
    (root / "granules").mkdir()
    granules = [_granule(root / "granules" / f"rain_{d}.nc", d) for d in range(2)]
    store = root / "rain.icechunk"
    build_icechunk(granules, str(store))
    umm = collection_umm(
        short_name="RAIN_FLAGS",
        version="1",
        entry_title="Rain rates with flag codes",
        abstract="A test product whose packed rain rate carries CF flag codes.",
        provider="VSTOREDEMO",
        processing_level="3",
        temporal=("2021-01-01", "2021-01-02"),
        bbox=(0, -15, 40, 15),
        stores=[StoreLink(url=store.as_uri(), kind="icechunk")],
        science_keywords=["EARTH SCIENCE > ATMOSPHERE > PRECIPITATION > RAIN"],
    )
    (root / "records").mkdir()
    item = cmr_item(umm, concept_id="C1000000200-VSTOREDEMO", provider="VSTOREDEMO")
    (root / "records" / "rain.json").write_text(json.dumps(item))
    return {"granules": granules, "records": root / "records", "store": str(store)}


def _netcdf4(path: Path, name: str) -> np.ndarray:
    with netCDF4.Dataset(path) as nc:
        return np.ma.filled(nc[name][:].astype("f8"), np.nan)


def test_a_measurements_flag_codes_are_masked_and_keep_shows_them(flagged, tmp_path):
    state = ExplorerState(catalog=LocalCatalog(flagged["records"]), limits=NO_LIMITS)
    state.search()
    assert state.select_collection(0), state.alert
    state.variable = "rain_rate"
    state.time_start = state.time_end = state.times[0]
    stored = _netcdf4(flagged["granules"][0], "rain_rate")  # netCDF4 does not mask flags
    assert np.isclose(stored, 25.3).sum() == 3 and np.isclose(stored, 25.4).sum() == 3
    expected = np.where(np.isclose(stored, 25.3) | np.isclose(stored, 25.4), np.nan, stored)

    masked = state.result("map")
    assert masked is not None, state.alert
    np.testing.assert_allclose(masked.data.values, expected, rtol=1e-6)
    assert "flags=" not in state.query
    assert "CF flag codes masked" in state.code
    out = tmp_path / "masked.npy"
    script = tmp_path / "masked.py"
    script.write_text(state.code.replace("plot = ", f"numpy.save({str(out)!r}, result.values)\n"
                                         "plot = ", 1).replace("import xarray", "import numpy\n"
                                                               "import xarray", 1))  # fmt: skip
    subprocess.run([sys.executable, str(script)], check=True, timeout=300, capture_output=True)
    np.testing.assert_array_equal(np.load(out), masked.data.values)

    state.mask_flags = False  # the codes, decoded like the data, are shown as stored
    kept = state.result("map")
    np.testing.assert_allclose(kept.data.values, stored, rtol=1e-6)
    assert "flags=keep" in state.query and "CF flag codes" not in state.code

    state.mask_flags = True  # back
    np.testing.assert_allclose(state.result("map").data.values, expected, rtol=1e-6)

    reopened = ExplorerState(catalog=LocalCatalog(flagged["records"]), limits=NO_LIMITS)
    reopened.search()
    assert reopened.apply_query(f"collection=RAIN_FLAGS&store=icechunk&{kept.selection.to_query()}")
    assert reopened.mask_flags is False


def test_a_categorical_variable_is_not_masked_and_its_map_names_the_categories(flagged):
    state = ExplorerState(catalog=LocalCatalog(flagged["records"]), limits=NO_LIMITS)
    state.search()
    assert state.select_collection(0), state.alert
    state.variable = "surface_type"
    state.time_start = state.time_end = state.times[1]
    shown = state.result("map")
    assert shown is not None, state.alert
    np.testing.assert_array_equal(
        shown.data.values, _netcdf4(flagged["granules"][1], "surface_type")
    )
    assert not any(op.name == "mask_flags" for op in shown.request.ops)
    method, kwargs = shown.plot
    assert kwargs["cticks"] == [(0.0, "ocean"), (1.0, "land"), (2.0, "sea ice")]
    assert kwargs["clim"] == (-0.5, 2.5) and len(kwargs["cmap"]) == 3
    figure = hv.render(plots.render(shown.data, "map", plot=shown.plot), backend="bokeh")
    (colorbar,) = [r for r in figure.right if type(r).__name__ == "ColorBar"]
    assert colorbar.major_label_overrides == {0: "ocean", 1: "land", 2: "sea ice"}
    assert list(colorbar.ticker.ticks) == [0, 1, 2]


def test_flags_keep_round_trips_through_the_query_and_the_library(flagged):
    sel = Selection(variables=("rain_rate",), flags="keep")
    assert Selection.from_query(sel.to_query()) == sel and "flags=keep" in sel.to_query()
    with pytest.raises(ValueError, match="Selection.flags must be 'mask' or 'keep'"):
        Selection(flags="hide")
    handle = connect(flagged["store"])
    stored = np.concatenate([_netcdf4(g, "rain_rate") for g in flagged["granules"]])
    np.testing.assert_allclose(Request(handle, sel).load().values, stored, rtol=1e-6)
    masked = Request(handle, sel.replace(flags="mask")).load().values
    assert np.isnan(masked).sum() == 12 and np.isfinite(stored).all()
