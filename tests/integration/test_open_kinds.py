"""Store kinds not covered elsewhere: plain Zarr v2/v3, and an Icechunk repository read over HTTP."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from tests.integration.test_roundtrip import run_script
from vstore_explorer.catalog.links import StoreLink
from vstore_explorer.compute import cost_of, load, to_code
from vstore_explorer.ops import apply
from vstore_explorer.selection import Selection
from vstore_explorer.stores.open import connect, list_versions

SST = "DEMO_25km-VSTOREDEMO-L4-GLOB-v01"


def _small_dataset() -> xr.Dataset:
    rng = np.random.default_rng(7)
    time = pd.date_range("2024-01-01", periods=5, freq="D")
    lat = np.arange(-60.0, 61.0, 30.0)
    lon = np.arange(0.0, 360.0, 45.0)
    data = rng.normal(290, 5, (5, lat.size, lon.size)).astype("float32")
    ds = xr.Dataset(
        {"tas": (("time", "lat", "lon"), data, {"units": "K", "long_name": "air temperature"})},
        coords={"time": time, "lat": lat, "lon": lon},
    )
    return ds.chunk({"time": 1, "lat": 5, "lon": 4})


@pytest.mark.parametrize("zarr_format", [2, 3])
def test_plain_zarr_opens_costs_and_round_trips(tmp_path, zarr_format):
    source = _small_dataset()
    path = tmp_path / f"small-v{zarr_format}.zarr"
    source.to_zarr(path, zarr_format=zarr_format, consolidated=zarr_format == 2)
    handle = connect(path)
    assert handle.link.kind == "zarr" and handle.key_style == f"v{zarr_format}"
    xr.testing.assert_equal(handle.dataset["tas"].load(), source["tas"].load())

    sel = Selection(
        variables=("tas",), time=("2024-01-02", "2024-01-03"), bbox=(-100, -40, 100, 40)
    )
    cost = cost_of(handle, sel)
    assert not cost.exact and cost.source == "chunk grid"
    assert cost.chunks == 2 * 1 * 2  # 2 days x one lat chunk x lon chunks on both sides of 0/360
    result = load(handle, sel)
    assert sorted(result.lon.values.tolist()) == [0.0, 45.0, 90.0, 270.0, 315.0]
    xr.testing.assert_identical(result, apply(handle.dataset, sel).load())
    xr.testing.assert_identical(run_script(to_code(handle, sel), tmp_path), result)


def test_icechunk_repository_over_http(demo_archive, serve_files):
    local = demo_archive.collection(SST).link("icechunk")
    server = serve_files(demo_archive.root)
    url = f"{server.url.rstrip('/')}/stores/{SST}.icechunk"
    remote = StoreLink(url=url, kind="icechunk", anonymous=True)
    handle = connect(remote, tag="v1")
    expected = connect(local, tag="v1").dataset
    sel = Selection(variables=("analysed_sst",), point=(-40.0, 35.0))
    xr.testing.assert_identical(load(handle, sel), apply(expected, sel).load())
    assert server.bytes_sent() > 0  # the repository metadata really came over HTTP
    assert set(list_versions(remote).tags) == {"v1", "v2"}
