"""CF valid ranges, masked as netCDF4-python masks them: on the real ASCAT netCDF-3 swath (packed
int16 with ``valid_min``/``valid_max``: 24 stored ``bs_distance`` values lie outside their range)
the store reads back equal to netCDF4's own masked read, in the library, in the exported script
run in a fresh process, and ``invalid="keep"`` gives the stored values back."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import netCDF4
import numpy as np
import pytest

from vstore_explorer.build.icechunk_store import build_icechunk
from vstore_explorer.compute import Request, load
from vstore_explorer.selection import Selection
from vstore_explorer.stores.open import connect

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")
VARIABLES = ("bs_distance", "wind_speed", "ice_prob")


@pytest.fixture(scope="module")
def ascat(fixtures_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    (granule,) = sorted((fixtures_dir / "granules" / "ascat_l2_netcdf3").glob("*.nc"))
    store = tmp_path_factory.mktemp("ascat") / "ascat.icechunk"
    build_icechunk([granule], str(store), dim="NUMROWS")
    return granule, store


def _netcdf4(granule: Path, name: str, *, mask: bool = True) -> np.ndarray:
    with netCDF4.Dataset(granule) as nc:
        var = nc[name]
        if not mask:  # only the fill value masked: the stored values, decoded
            var.set_auto_maskandscale(False)
            raw = var[:]
            decoded = raw * var.scale_factor + var.add_offset
            return np.where(raw == var._FillValue, np.nan, decoded)
        return var[:].filled(np.nan)


@pytest.mark.parametrize("name", VARIABLES)
def test_values_outside_the_valid_range_are_masked_as_netcdf4_does(ascat, name):
    granule, store = ascat
    data = load(connect(store), Selection(variables=(name,)))
    np.testing.assert_allclose(data.values, _netcdf4(granule, name), rtol=1e-12, equal_nan=True)


def test_the_24_out_of_range_values_are_the_difference_and_keep_shows_them(ascat):
    granule, store = ascat
    handle = connect(store)
    masked = load(handle, Selection(variables=("bs_distance",)))
    kept = load(handle, Selection(variables=("bs_distance",), invalid="keep"))
    assert int(np.isnan(masked.values).sum() - np.isnan(kept.values).sum()) == 24
    np.testing.assert_allclose(
        kept.values, _netcdf4(granule, "bs_distance", mask=False), rtol=1e-12, equal_nan=True
    )
    assert Selection.from_query("var=bs_distance&invalid=keep").invalid == "keep"
    description = Request(handle, Selection(variables=("bs_distance",))).describe()
    assert any("valid range" in line for line in description)


def test_the_exported_script_masks_the_same_values(ascat, tmp_path):
    granule, store = ascat
    handle = connect(store)
    sel = Selection(variables=("bs_distance",))
    code = Request(handle, sel).code()
    assert ".where(" in code and "valid range" in code
    out = tmp_path / "out.npy"
    script = tmp_path / "script.py"
    script.write_text(f"{code}\nimport numpy\nnumpy.save({str(out)!r}, result.values)\n")
    subprocess.run([sys.executable, str(script)], check=True, timeout=300, capture_output=True)
    np.testing.assert_array_equal(np.load(out), load(handle, sel).values)
    np.testing.assert_allclose(np.load(out), _netcdf4(granule, "bs_distance"), equal_nan=True)
