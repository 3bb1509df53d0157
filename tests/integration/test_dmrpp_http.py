"""DMR++ and HDF5 granules served over a loopback HTTP server: one request per granule for a
DMR++'s metadata, and a store built from ``http://`` URLs that reads back as the granules."""

from __future__ import annotations

import shutil
from pathlib import Path

import netCDF4
import numpy as np
import pytest

from benchmarks.dmrpp import write_dmrpp
from vstore_explorer.build.icechunk_store import build_icechunk
from vstore_explorer.build.virtualize import Layout, virtualize_granules
from vstore_explorer.stores.open import connect

pytestmark = pytest.mark.filterwarnings("ignore::xarray.SerializationWarning")
VAR = "SoilMoi0_10cm_inst"


@pytest.fixture()
def served(gldas_files, tmp_path, serve_files):
    folder = tmp_path / "www"
    folder.mkdir()
    copies = [Path(shutil.copy(p, folder / p.name)) for p in gldas_files]
    for path in copies[2:]:  # half the granules have a DMR++ sidecar
        write_dmrpp(path)
    return serve_files(folder), copies


def test_a_dmrpp_granule_needs_one_request_for_its_metadata(served):
    server, copies = served
    urls = [server.url + p.name for p in copies]
    server.reset()
    dmrpp = virtualize_granules(urls[2:], layout=Layout(loadable_variables=()), workers=1)
    assert [g.parser for g in dmrpp] == ["dmrpp", "dmrpp"]
    assert [r.path.rsplit("/", 1)[-1] for r in server.requests] == [
        f"{p.name}.dmrpp" for p in copies[2:]
    ]
    server.reset()
    hdf = virtualize_granules(urls[:1], layout=Layout(loadable_variables=()), workers=1)
    assert hdf[0].parser == "hdf"
    # auto asked for the sidecar (404), then sniffed the signature and parsed the HDF5 itself
    assert len(server.requests) > 2 and server.requests[0].status == 404


def test_a_store_built_over_http_mixing_hdf_and_dmrpp_reads_back(served, tmp_path):
    server, copies = served
    urls = [server.url + p.name for p in copies]
    report = build_icechunk(urls, tmp_path / "http.icechunk")
    assert report.parsers == {"hdf": 2, "dmrpp": 2}
    assert report.verified and report.containers == (server.url,)
    ds = connect(tmp_path / "http.icechunk").dataset
    for i, path in enumerate(copies):
        with netCDF4.Dataset(path) as nc:
            np.testing.assert_array_equal(ds[VAR].isel(time=i).values, nc[VAR][0].filled(np.nan))
