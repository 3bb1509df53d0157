"""Reductions over many chunks run through dask: the local scheduler and a ``distributed`` cluster
(a ``LocalCluster`` of 2 worker processes on 127.0.0.1) give identical results, and the progress
callback sees increasing fractions ending at 1.0.
"""

from __future__ import annotations

from collections.abc import Iterator

import dask
import numpy as np
import pytest
import xarray as xr

from vstore_explorer.compute import cost_of, load, subset
from vstore_explorer.selection import Selection
from vstore_explorer.stores.open import connect

SST = "DEMO_25km-VSTOREDEMO-L4-GLOB-v01"


@pytest.fixture(scope="module")
def client() -> Iterator[object]:
    """A distributed client on a LocalCluster of two single-threaded worker processes."""
    from distributed import Client, LocalCluster

    with (
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            host="127.0.0.1",
        ) as cluster,
        Client(cluster) as c,
    ):
        yield c


def _checked(fractions: list[float]) -> list[float]:
    assert fractions, "progress was never called"
    assert all(0.0 <= f <= 1.0 for f in fractions)
    assert all(b >= a for a, b in zip(fractions, fractions[1:], strict=False)), fractions
    assert fractions[-1] == 1.0
    return fractions


@pytest.mark.parametrize("kind", ["icechunk", "kerchunk-json"])
def test_area_mean_local_and_distributed_are_identical(demo_archive, client, kind):
    handle = connect(demo_archive.collection(SST).link(kind))
    sel = Selection(
        variables=("analysed_sst",), bbox=(-80.0, -40.0, 20.0, 60.0), reduction="area_mean"
    )
    lazy = subset(handle, sel)
    assert lazy.chunks is not None  # the reduction goes through dask
    steps = handle.dataset.sizes["time"]
    assert cost_of(handle, sel).chunks == steps  # one stored chunk per daily field

    local_progress: list[float] = []
    with dask.config.set(scheduler="threads"):  # not the client, which made itself the default
        local = load(handle, sel, progress=local_progress.append)
    cluster_progress: list[float] = []
    remote = load(handle, sel, client=client, progress=cluster_progress.append)

    xr.testing.assert_identical(local, remote)
    assert local.dims == ("time",) and local.sizes["time"] == steps
    # fractions along the way, not just the end: per dask task locally, per output chunk remotely
    assert len(_checked(local_progress)) > steps
    assert len(set(_checked(cluster_progress))) > 2

    # and it is the cos(lat)-weighted mean of the box over sea cells, computed here with numpy
    # in float64 (the store's latitudes are float32, so are its weights: agreement to ~1e-7)
    box = handle.dataset["analysed_sst"].sel(lat=slice(-40, 60), lon=slice(-80, 20)).values
    assert box.shape == (steps, 400, 400) and np.isnan(box).any()  # land is masked
    lat = handle.dataset.lat.sel(lat=slice(-40, 60)).values.astype("float64")
    w = np.broadcast_to(np.cos(np.deg2rad(lat))[None, :, None], box.shape) * np.isfinite(box)
    expected = np.nansum(box * w, axis=(1, 2)) / w.sum(axis=(1, 2))
    np.testing.assert_allclose(local.values, expected, rtol=1e-6)
