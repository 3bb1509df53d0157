"""Economy: a point time series over a year of daily granules reads only the chunks holding the point.

Bytes are counted for real: the granules are served by a loopback HTTP server that counts every
body byte it sends, and the Icechunk store's virtual chunk container is that server's
``http://127.0.0.1:PORT/`` prefix. The granules are a year (365 days) of small daily SST-like
NetCDF4 files written here (1-degree grid, 4 x 4 chunks per field, packed int16 + zlib, plus a
second variable that must not be read): the demo's 0.25-degree SST files hold one chunk per field
and take about a minute to write, while these take 2-3 s and make "only the point's chunk" a real
choice of 1 chunk out of 16 per day.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import h5py
import netCDF4
import numpy as np
import pytest

from vstore_explorer.build.icechunk_store import build_icechunk
from vstore_explorer.compute import cost_of, load
from vstore_explorer.cost import Limits
from vstore_explorer.selection import Selection
from vstore_explorer.stores.open import StoreHandle, connect

if TYPE_CHECKING:
    from tests.plugins.http_server import CountingFileServer


DAYS = 365
NLAT, NLON = 180, 360
CHUNK = (1, 45, 90)
LAT = np.arange(-89.5, 90.0, 1.0, dtype="f4")
LON = np.arange(-179.5, 180.0, 1.0, dtype="f4")
POINT = (-40.2, 35.3)  # lon, lat: nearest cell lon -40.5 (index 139), lat 35.5 (index 125)


def write_year(folder: Path, days: int = DAYS) -> list[Path]:
    """``days`` daily granules with a seasonal SST field and noise (deterministic)."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(42)
    base = 273.15 + 15 + 13 * np.cos(np.deg2rad(LAT))[:, None] + 2 * np.sin(np.deg2rad(LON))
    paths = []
    for day in range(days):
        path = folder / f"2023{day + 1:03d}-SST-DAILY.nc"
        with netCDF4.Dataset(path, "w", format="NETCDF4") as nc:
            nc.createDimension("time", None)
            nc.createDimension("lat", NLAT)
            nc.createDimension("lon", NLON)
            time = nc.createVariable("time", "i4", ("time",))
            time.units, time.calendar, time.standard_name = (
                "days since 2023-01-01",
                "standard",
                "time",
            )
            time[:] = [day]
            for name, values, units in (
                ("lat", LAT, "degrees_north"),
                ("lon", LON, "degrees_east"),
            ):
                var = nc.createVariable(name, "f4", (name,))
                var.units = units
                var[:] = values
            season = 3 * np.sin(2 * np.pi * day / 365) * np.sign(LAT)[:, None]
            for name, field in (
                ("analysed_sst", base + season + rng.normal(0, 0.3, (NLAT, NLON))),
                ("analysis_error", 0.5 + rng.random((NLAT, NLON))),
            ):
                var = nc.createVariable(
                    name,
                    "i2",
                    ("time", "lat", "lon"),
                    zlib=True,
                    complevel=4,
                    shuffle=True,
                    chunksizes=CHUNK,
                    fill_value=np.int16(-32768),
                )
                var.scale_factor, var.add_offset = 0.01, (273.15 if name == "analysed_sst" else 0.0)
                var.units = "kelvin"
                var[0] = field
        paths.append(path)
    return paths


@dataclass(frozen=True)
class HttpYear:
    server: CountingFileServer
    files: tuple[Path, ...]
    store: Path


@pytest.fixture(scope="module")
def http_year(serve_files, tmp_path_factory) -> HttpYear:
    """The year of granules served on loopback HTTP and an Icechunk store over those URLs."""
    root = tmp_path_factory.mktemp("http_granules")
    files = write_year(root / "sst")
    server = serve_files(root)
    store = tmp_path_factory.mktemp("stores") / "sst_http.icechunk"
    urls = [server.url_of(p) for p in files]
    report = build_icechunk(urls, store, container_prefix=server.url, workers=2)
    assert report.containers == (server.url,)
    return HttpYear(server, tuple(files), store)


def point_chunks(files, lat_index: int, lon_index: int) -> list[tuple[int, int]]:
    """(byte offset, stored size) of the analysed_sst chunk holding the point, in each file."""
    coord = (0, lat_index // CHUNK[1] * CHUNK[1], lon_index // CHUNK[2] * CHUNK[2])
    out = []
    for path in files:
        with h5py.File(path, "r") as f:
            info = f["analysed_sst"].id.get_chunk_info_by_coord(coord)
            out.append((int(info.byte_offset), int(info.size)))
    return out


def test_point_series_reads_only_the_chunks_holding_the_point(http_year):
    server = http_year.server
    server.reset()
    handle: StoreHandle = connect(http_year.store)
    sel = Selection(variables=("analysed_sst",), point=POINT)
    cost = cost_of(handle, sel)
    assert server.bytes_sent() == 0  # opening and costing read no granule byte

    lat_i, lon_i = int(np.abs(LAT - POINT[1]).argmin()), int(np.abs(LON - POINT[0]).argmin())
    assert (lat_i, lon_i) == (125, 139)
    chunks = point_chunks(http_year.files, lat_i, lon_i)
    in_files = sum(size for _, size in chunks)
    # (a) the manifest knows the same compressed sizes as the files themselves
    keys = [handle.chunk_key("analysed_sst", (t, lat_i // 45, lon_i // 90)) for t in range(DAYS)]
    assert handle.chunk_nbytes(keys) == [size for _, size in chunks]
    assert cost.exact and cost.chunks == DAYS and cost.stored_bytes == in_files

    series = load(handle, sel, limits=Limits(max_read_bytes=2 * in_files))
    served = server.bytes_sent()
    assert served <= 1.05 * in_files
    assert served >= in_files  # every chunk did cross the wire (no cache hid the reads)
    # (b) the estimate made before reading matches what was read, within 1%
    assert cost.stored_bytes == pytest.approx(served, rel=0.01)

    # only byte ranges inside the point's chunk were requested, one chunk per granule
    spans = {
        server.url_of(p).removeprefix(server.url): c
        for p, c in zip(http_year.files, chunks, strict=True)
    }
    for request in server.requests:
        start, end = (int(x) for x in request.range.removeprefix("bytes=").split("-"))
        offset, size = spans[request.path]
        assert offset <= start <= end < offset + size, request
    assert set(server.bytes_per_file()) == set(spans)

    # and the values are those of the granules at that point
    assert series.sizes == {"time": DAYS}
    for day in (0, 100, 364):
        with netCDF4.Dataset(http_year.files[day]) as nc:
            expected = float(nc["analysed_sst"][0, lat_i, lon_i])
        assert float(series.isel(time=day)) == pytest.approx(expected, abs=1e-9)
    assert float(series.lat) == LAT[lat_i] and float(series.lon) == LON[lon_i]
