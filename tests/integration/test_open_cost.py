"""Opening a store built by ``vstore-explorer build`` costs O(1) object reads, not O(granules).

How the reads are counted: the granules and the stores live in one folder served by the
repository's loopback HTTP file server (:class:`tests.plugins.http_server.CountingFileServer`),
which logs every request it answers. The stores are built by the real CLI
(``vstore_explorer.cli.main(["build", ...])``) from the granules' ``http://`` URLs, so their
virtual chunk container is that server too; then each store is opened over HTTP with
``vstore_explorer.stores.open.connect`` (Icechunk's HTTP storage) and its ``time`` read. Every
object the open touches — the repository's config, refs, snapshot, manifests and native chunks,
and any granule a virtual coordinate would need — is one logged request. Nothing is mocked.

The granules (12 or 96 daily NetCDF4 files, ``time`` with CF ``bounds``, ``time_bnds``,
``lat``/``lon``, and ``sst`` in 10×10 chunks per day) make the O(granules) shape visible: with
100 references per day, the builders split manifests every 10 days, so a ``time`` stored one chunk
per granule spanned 10 manifests at 96 granules (measured before the change: 11 requests at 12
granules, 19 at 96, 46 at 365).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import netCDF4
import numpy as np
import pandas as pd
import pytest
import zarr

from tests.plugins.http_server import CountingFileServer
from vstore_explorer.build.verify import VerificationError
from vstore_explorer.catalog.links import StoreLink
from vstore_explorer.cli import main
from vstore_explorer.stores.open import connect, list_versions

pytestmark = pytest.mark.filterwarnings("ignore::xarray.SerializationWarning")

NLAT, NLON, CHUNK = 20, 40, (2, 4)  # 10 x 10 chunks per day
UNITS = "days since 2020-01-01"
SLACK = 2  # requests the two opens may differ by (an inlined vs a stored time chunk)


def write_granules(folder: Path, count: int, start: int = 0) -> list[Path]:
    """``count`` daily NetCDF4 granules from day ``start`` (one time step each)."""
    folder.mkdir(parents=True, exist_ok=True)
    lat = np.linspace(-85.5, 85.5, NLAT, dtype="f4")
    lon = np.linspace(-175.5, 175.5, NLON, dtype="f4")
    paths = []
    for day in range(start, start + count):
        path = folder / f"sst_{day:04d}.nc"
        with netCDF4.Dataset(path, "w", format="NETCDF4") as nc:
            nc.createDimension("time", None)
            nc.createDimension("lat", NLAT)
            nc.createDimension("lon", NLON)
            nc.createDimension("nv", 2)
            time = nc.createVariable("time", "f8", ("time",))
            time.units, time.calendar, time.bounds = UNITS, "standard", "time_bnds"
            time[:] = [day + 0.5]
            nc.createVariable("time_bnds", "f8", ("time", "nv"))[:] = [[day, day + 1.0]]
            for name, values, units in (
                ("lat", lat, "degrees_north"),
                ("lon", lon, "degrees_east"),
            ):
                var = nc.createVariable(name, "f4", (name,))
                var.units = units
                var[:] = values
            sst = nc.createVariable(
                "sst", "f4", ("time", "lat", "lon"), zlib=True, chunksizes=(1, *CHUNK)
            )
            sst[:] = (day + np.arange(NLAT * NLON, dtype="f4").reshape(1, NLAT, NLON)) / 10
        paths.append(path)
    return paths


def direct_times(paths: list[Path], name: str = "time") -> np.ndarray:
    """``name`` of each granule read with netCDF4 and decoded to datetime64 (CF units)."""
    out = []
    for path in paths:
        with netCDF4.Dataset(path) as nc:
            var = nc[name]
            units = var.units if "units" in var.ncattrs() else nc["time"].units
            values = netCDF4.num2date(
                var[:], units, only_use_cftime_datetimes=False, only_use_python_datetimes=True
            )
            out.append(pd.to_datetime(np.ravel(values)).values.reshape(np.shape(values)))
    return np.concatenate(out)


def chunks(store: Path, name: str) -> tuple[int, ...]:
    """The chunk shape of array ``name`` in the store's main branch."""
    import icechunk

    repo = icechunk.Repository.open(icechunk.local_filesystem_storage(str(store)))
    array = zarr.open_group(repo.readonly_session("main").store, mode="r")[name]
    assert isinstance(array, zarr.Array)
    return tuple(array.chunks)


def open_reads(server: CountingFileServer, store: Path) -> tuple[int, int, np.ndarray]:
    """(requests for the store's objects, requests for granules, time values) of one open."""
    link = StoreLink(url=server.url_of(store), kind="icechunk", anonymous=True)
    server.reset()
    handle = connect(link)
    values = handle.dataset["time"].values
    requests = server.requests
    own = sum(1 for r in requests if r.path.startswith(store.name + "/"))
    return own, len(requests) - own, values


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory, serve_files) -> tuple[Path, Any]:
    root = tmp_path_factory.mktemp("open_cost")
    return root, serve_files(root)


def cli_build(server: CountingFileServer, paths: list[Path], store: Path) -> None:
    urls = [server.url_of(p) for p in paths]
    assert main(["build", *urls, "--store", str(store), "--workers", "2"]) == 0


def test_opening_reads_as_many_objects_at_96_granules_as_at_12(archive, capsys):
    root, server = archive
    seen = {}
    for count in (12, 96):
        paths = write_granules(root / f"g{count}", count)
        store = root / f"s{count}.icechunk"
        cli_build(server, paths, store)
        own, granules, values = open_reads(server, store)
        seen[count] = own
        assert granules == 0  # every coordinate the open reads is stored natively
        np.testing.assert_array_equal(values, direct_times(paths))
        assert chunks(store, "time") == (count,)  # one chunk, not one per granule
        assert chunks(store, "time_bnds") == (count, 2)
        assert chunks(store, "lat") == (NLAT,) and chunks(store, "lon") == (NLON,)
        assert chunks(store, "sst") == (1, *CHUNK)  # the data stays virtual, as in the granules
    with capsys.disabled():
        print(f"\nobjects read to open: {seen[12]} at 12 granules, {seen[96]} at 96")
    assert abs(seen[96] - seen[12]) <= SLACK, seen


def test_append_keeps_time_one_chunk_and_a_failed_append_changes_nothing(archive, monkeypatch):
    root, server = archive
    folder = root / "appended"
    paths = write_granules(folder, 12)
    store = root / "appended.icechunk"
    cli_build(server, paths, store)
    before, _, _ = open_reads(server, store)

    new = write_granules(folder, 3, start=12)
    assert main(["append", *(server.url_of(p) for p in new), "--store", str(store)]) == 0
    everything = paths + new
    assert chunks(store, "time") == (15,) and chunks(store, "time_bnds") == (15, 2)
    handle = connect(store)
    np.testing.assert_array_equal(handle.dataset["time"].values, direct_times(everything))
    np.testing.assert_array_equal(
        handle.dataset["time_bnds"].values, direct_times(everything, "time_bnds")
    )
    with netCDF4.Dataset(new[-1]) as nc:
        np.testing.assert_array_equal(handle.dataset["sst"].isel(time=-1).values, nc["sst"][0])
    after, granules, _ = open_reads(server, store)
    assert granules == 0 and abs(after - before) <= SLACK

    # a broken granule: refused before anything is written
    snapshot = list_versions(store).branches["main"]
    broken = write_granules(folder, 2, start=15)
    broken[1].write_bytes(broken[1].read_bytes()[:2000])
    assert main(["append", *(server.url_of(p) for p in broken), "--store", str(store)]) != 0
    assert list_versions(store).branches["main"] == snapshot
    assert chunks(store, "time") == (15,)
    np.testing.assert_array_equal(connect(store).dataset["time"].values, direct_times(everything))

    # a failure after the coordinates were rewritten in the session: still nothing committed
    from vstore_explorer.build import icechunk_append

    def refuse(*_args, **_kwargs):
        raise VerificationError(server.url_of(broken[0]), "reads back wrong (test)")

    monkeypatch.setattr(icechunk_append, "verify_store", refuse)
    assert main(["append", server.url_of(broken[0]), "--store", str(store)]) != 0
    assert list_versions(store).branches["main"] == snapshot
    assert chunks(store, "time") == (15,)
    np.testing.assert_array_equal(connect(store).dataset["time"].values, direct_times(everything))
