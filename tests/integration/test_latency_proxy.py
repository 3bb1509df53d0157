"""The benchmarks' latency proxy: it adds at least the set first-byte latency, keeps byte ranges,
and counts requests, bytes and requests in flight exactly (a tiny case, a few seconds)."""

from __future__ import annotations

import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from benchmarks.latency_proxy import Servers, read_stats, reset_stats, set_profile


@pytest.fixture
def proxied(tmp_path: Path):
    (tmp_path / "a.bin").write_bytes(bytes(range(256)) * 400)  # 102,400 bytes
    servers = Servers()
    try:
        files = servers.files(tmp_path)
        yield servers.proxy(files, "s3-in-region")
    finally:
        servers.close()


def get(url: str, byte_range: str | None = None) -> tuple[int, bytes, float]:
    request = urllib.request.Request(url, headers={"Range": byte_range} if byte_range else {})
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=10) as answer:
        body = answer.read()
        return answer.status, body, time.perf_counter() - started


def test_latency_ranges_and_counts(proxied):
    url = proxied.url + "/a.bin"
    get(url)  # a first connection
    reset_stats(proxied.url)
    status, body, seconds = get(url, "bytes=10-19")
    assert status == 206 and body == bytes(range(10, 20))
    assert seconds >= 0.020  # the profile's first-byte latency
    status, body, seconds = get(url)
    assert status == 200 and len(body) == 102_400
    # 20 ms + 102,400 bytes at 90 MB/s (~1.1 ms)
    assert seconds >= 0.020 + 102_400 / 90e6
    stats = read_stats(proxied.url)
    assert stats["requests"] == 2 and stats["bytes"] == 10 + 102_400
    assert stats["methods"] == {"GET": 2} and stats["peak_in_flight"] == 1


def test_peak_in_flight_and_profile_switch(proxied):
    url = proxied.url + "/a.bin"
    reset_stats(proxied.url)
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: get(url, "bytes=0-99"), range(8)))
    assert all(status == 206 and len(body) == 100 for status, body, _ in results)
    stats = read_stats(proxied.url)
    assert stats["requests"] == 8 and stats["bytes"] == 800
    assert stats["peak_in_flight"] >= 4  # they waited their 20 ms together, not in turn
    set_profile(proxied.url, "local")
    reset_stats(proxied.url)
    _, _, seconds = get(url, "bytes=0-9")
    assert read_stats(proxied.url)["profile"]["name"] == "local"
    assert seconds < 0.5
    missing = urllib.request.Request(proxied.url + "/nothing.bin")
    with pytest.raises(urllib.error.HTTPError) as exc:
        urllib.request.urlopen(missing, timeout=10)
    assert exc.value.code == 404


def test_mirrored_objects_are_answered_as_an_object_store_would(tmp_path: Path):
    folder = tmp_path / "granules"
    folder.mkdir()
    (folder / "g.nc").write_bytes(bytes(range(100)))
    servers = Servers()
    try:
        upstream = servers.files(tmp_path)  # would answer 404 for /bucket/...
        proxy = servers.proxy(upstream, "s3-in-region", mirror={"/bucket/granules/": folder})
        url = proxy.url + "/bucket/granules/g.nc"
        status, body, seconds = get(url, "bytes=90-")
        assert status == 206 and body == bytes(range(90, 100)) and seconds >= 0.020
        head = urllib.request.Request(url, method="HEAD")
        with urllib.request.urlopen(head, timeout=10) as answer:
            assert answer.headers["Content-Length"] == "100"
            assert answer.headers["ETag"] and answer.headers["Last-Modified"]
        stats = read_stats(proxy.url)
        assert stats["requests"] == 2 and stats["bytes"] == 10
        assert stats["methods"] == {"GET": 1, "HEAD": 1}
    finally:
        servers.close()


def test_an_area_mean_over_a_slow_link_keeps_its_chunk_requests_in_flight(gldas_files):
    """Over an 80 ms link the four granules' chunks are fetched together and the area mean
    equals the granules read directly (the 365-granule case, where dask's one thread per core
    kept 2 requests in flight, is the benchmark's: 17.8 s -> 2.3 s)."""
    import netCDF4
    import numpy as np

    from vstore_explorer.build.icechunk_store import build_icechunk
    from vstore_explorer.compute import load
    from vstore_explorer.selection import Selection
    from vstore_explorer.stores.open import connect

    var = "SoilMoi0_10cm_inst"
    servers = Servers()
    try:
        proxy = servers.proxy(servers.files(gldas_files[0].parent), "https-remote")
        urls = [f"{proxy.url}/{path.name}" for path in gldas_files]
        store = gldas_files[0].parent.parent / "slow.icechunk"
        build_icechunk(urls, store, container_prefix=proxy.url + "/")
        handle = connect(store)
        reset_stats(proxy.url)
        mean = load(handle, Selection(variables=(var,), reduction="area_mean"))
        stats = read_stats(proxy.url)
    finally:
        servers.close()
    assert stats["requests"] == 4 and stats["peak_in_flight"] == 4, stats
    for i, path in enumerate(gldas_files):
        with netCDF4.Dataset(path) as nc:
            lat = nc["lat"][:].astype("float64")
            field = nc[var][0].filled(np.nan).astype("float64")
        weights = np.broadcast_to(np.cos(np.deg2rad(lat))[:, None], field.shape)
        valid = np.isfinite(field)
        expected = (field[valid] * weights[valid]).sum() / weights[valid].sum()
        assert float(mean.values[i]) == pytest.approx(expected, rel=1e-5)
