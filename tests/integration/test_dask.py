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
def test_area_mean_local_and_distributed_agree(demo_archive, client, kind):
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

    # the same graph; only the summation order inside a chunk's float64 dot product may differ
    # (arrays sent to workers are contiguous copies), so the last bits may
    xr.testing.assert_allclose(local, remote, rtol=1e-13, atol=0)
    assert local.attrs == remote.attrs and local.coords.to_dataset().identical(
        remote.coords.to_dataset()
    )
    assert local.dims == ("time",) and local.sizes["time"] == steps
    # fractions along the way, not just the end: per dask task locally, per output chunk remotely
    assert len(_checked(local_progress)) > steps
    assert len(set(_checked(cluster_progress))) > 2

    # and it is the cos(lat)-weighted mean of the box over sea cells, computed here with numpy
    # in float64 (the weights are float64 cos(latitude) of the float32 latitudes, as here)
    box = handle.dataset["analysed_sst"].sel(lat=slice(-40, 60), lon=slice(-80, 20)).values
    assert box.shape == (steps, 400, 400) and np.isnan(box).any()  # land is masked
    lat = handle.dataset.lat.sel(lat=slice(-40, 60)).values.astype("float64")
    w = np.broadcast_to(np.cos(np.deg2rad(lat))[None, :, None], box.shape) * np.isfinite(box)
    expected = np.nansum(box * w, axis=(1, 2)) / w.sum(axis=(1, 2))
    np.testing.assert_allclose(local.values, expected, rtol=1e-9)


def test_maps_and_boxes_never_import_dask_array_in_a_fresh_process(demo_archive):
    """Small subsets read without dask: the cost estimate and the read of a one-day map or a box
    import no ``dask.array`` (0.2-0.4 s of imports a raw ``xr.open_zarr`` read does not pay)."""
    import json
    import subprocess
    import sys

    url = demo_archive.collection(SST).link("icechunk").url
    code = (
        "import json, sys\n"
        "import numpy as np\n"
        "from vstore_explorer.compute import Request\n"
        "from vstore_explorer.selection import Selection\n"
        "from vstore_explorer.stores.open import connect\n"
        f"handle = connect({url!r})\n"
        "day = str(handle.dataset.time.values[2])[:10]\n"
        "out = {}\n"
        "for name, sel in {'map': {'variables': ['analysed_sst'], 'time': [day, day]},\n"
        "                  'box': {'variables': ['analysed_sst'], 'bbox': [-30, 0, 0, 20]}}.items():\n"
        "    request = Request(handle, Selection.from_dict(sel))\n"
        "    out[name] = (request.cost().chunks, request.load())\n"
        "out['dask.array'] = 'dask.array' in sys.modules  # xarray's own .sum() would import it\n"
        "for name in ('map', 'box'):\n"
        "    chunks, data = out[name]\n"
        "    out[name] = [chunks, list(data.shape), float(np.nansum(data.values, dtype=float))]\n"
        "print(json.dumps(out))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out.pop("dask.array") is False
    handle = connect(demo_archive.collection(SST).link("icechunk"))
    day = handle.dataset["analysed_sst"].isel(time=slice(2, 3)).values
    box = handle.dataset["analysed_sst"].sel(lat=slice(0, 20), lon=slice(-30, 0)).values
    assert out["map"][:2] == [1, list(day.shape)]
    assert out["map"][2] == pytest.approx(float(np.nansum(day, dtype=float)))
    assert out["box"][1] == list(box.shape)
    assert out["box"][2] == pytest.approx(float(np.nansum(box, dtype=float)))
