"""Datashader's regridding kernels are compiled once per machine: a second process rasterizing a
map loads them from numba's disk cache (counted by numba itself) and draws the same pixels."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

PROBE = """
import json, sys
import numpy as np, xarray as xr
from vstore_explorer.app.live import rasterize
import datashader.resampling as resampling
from numba.core.registry import CPUDispatcher
lat = np.linspace(-89.5, 89.5, 180)
lon = np.linspace(-179.5, 179.5, 360)
grid = xr.DataArray(np.add.outer(lat + 100, lon + 200).astype("float32"), dims=("lat", "lon"),
                    coords={"lat": lat, "lon": lon}, name="v")
import hvplot.xarray  # noqa: F401
rasterize(grid.hvplot.image(x="lon", y="lat"))  # the explorer's own: turns the cache on
from holoviews.operation.datashader import rasterize as regrid
image = regrid(grid.hvplot.image(x="lon", y="lat"), dynamic=False, width=90, height=45)
kernels = [k for k in vars(resampling).values() if isinstance(k, CPUDispatcher)]
hits = sum(sum(k.stats.cache_hits.values()) for k in kernels)
misses = sum(sum(k.stats.cache_misses.values()) for k in kernels)
values = image.dimension_values(2, flat=False)
print(json.dumps({"hits": hits, "misses": misses, "sum": float(np.nansum(values))}))
"""


def _probe(cache: Path) -> dict:
    env = dict(os.environ, NUMBA_CACHE_DIR=str(cache))
    done = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=300, env=env
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_second_process_loads_the_regridding_kernels_from_disk(tmp_path):
    first, second = _probe(tmp_path), _probe(tmp_path)
    assert first["hits"] == 0 and first["misses"] > 0  # compiled, and saved
    assert any(tmp_path.rglob("*.nbi"))
    assert second["hits"] > 0 and second["misses"] == 0  # loaded, nothing compiled
    assert second["sum"] == first["sum"] > 0  # the same pixels
