"""The explorer's GeoTIFF download and its Harmony hand-off, on the tiny demo: the map on show
as a Cloud-Optimized GeoTIFF read back with rasterio (transform, CRS, nodata, values at three
cells against the store), and the over-limit view as a harmony-py request that the real
harmony package accepts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import rasterio
from rasterio.io import MemoryFile

from vstore_explorer.cost import Limits

SST = "DEMO_25km-VSTOREDEMO-L4-GLOB-v01"
Make = Callable[..., Any]


def test_the_map_on_show_downloads_as_a_geotiff(make_explorer: Make) -> None:
    app = make_explorer(collection=SST)
    state = app.state
    state.param.update(where="box", west=-60.0, south=0.0, east=-20.0, north=40.0)
    state.map_time = state.times[2]
    data = state.result("map").data.squeeze("time")
    tif = app.code_view._geotiff()
    assert tif is not None and app.code_view.geotiff.filename.endswith("_analysed_sst_map.tif")
    with MemoryFile(tif.getvalue()) as memory, memory.open() as raster:
        assert raster.crs.to_epsg() == 4326 and raster.count == 1
        west, north = raster.transform * (0, 0)
        step = float(data.lon[1] - data.lon[0])
        assert abs(west - (float(data.lon.min()) - step / 2)) < 1e-6
        assert abs(north - (float(data.lat.max()) + step / 2)) < 1e-6
        assert np.isnan(raster.nodata) and "kelvin" in str(raster.tags(1)).lower()
        band = raster.read(1)
        for lon, lat in ((-30.125, 10.125), (-45.125, 25.125), (-25.125, 35.125)):  # ocean
            row, col = raster.index(lon, lat)
            expected = float(data.sel(lon=lon, lat=lat, method="nearest"))
            assert np.isfinite(expected) and band[row, col] == pytest.approx(expected, rel=1e-6)

    state.view = "timeseries"  # the GeoTIFF is the map's, whatever tab is on show
    assert app.code_view._geotiff() is not None


def test_without_a_map_the_geotiff_is_refused_not_empty(make_explorer: Make) -> None:
    app = make_explorer(collection=SST)
    state = app.state
    state.map_result = None
    assert app.code_view._geotiff() is None and "load the map first" in state.alert


def test_over_the_limit_harmony_is_offered_and_its_request_is_valid(make_explorer: Make) -> None:
    harmony = pytest.importorskip("harmony")
    app = make_explorer(collection=SST, limits=Limits(max_read_bytes=1e3))
    state = app.state
    state.param.update(where="box", west=-60.0, south=0.0, east=-20.0, north=40.0)
    state.view = "timeseries"
    assert state.needs_confirmation and "Ask Harmony instead" in state.alert
    assert app.status_view.harmony.visible
    script = app.status_view._harmony().getvalue()
    assert f'Collection(id="{state.collection.concept_id}")' in script
    namespace: dict[str, Any] = {"__name__": "not_main"}  # builds the request, sends nothing
    exec(compile(script, "harmony_request.py", "exec"), namespace)
    request = namespace["request"]
    assert isinstance(request, harmony.Request) and request.is_valid()
    assert (request.spatial.w, request.spatial.s, request.spatial.e, request.spatial.n) == (
        -60.0,
        0.0,
        -20.0,
        40.0,
    )
    assert request.variables == ["analysed_sst"]
    state.confirm()  # and it loads here when asked after all
    assert state.result("timeseries") is not None and not app.status_view.harmony.visible


def test_rasterio_reads_the_package_geotiff_from_disk(make_explorer: Make, tmp_path: Any) -> None:
    app = make_explorer(collection=SST)
    path = tmp_path / "map.tif"
    path.write_bytes(app.state.geotiff_bytes())
    with rasterio.open(path) as raster:  # what QGIS / Earthdata GIS users open
        assert raster.driver == "GTiff" and raster.width == 1440 and raster.height == 720
