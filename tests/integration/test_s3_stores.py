"""Virtual stores on a real S3 server on 127.0.0.1 (moto), over the real GLDAS granules on S3.

Icechunk with static keys, anonymous reads of a public bucket, Kerchunk JSON on S3, appends on S3,
and the exported script that reads S3 keys from the environment (never from its text).
"""

from __future__ import annotations

import json
import os
import pickle
import socket
import subprocess
import sys
import time
from pathlib import Path

import netCDF4
import numpy as np
import pytest
import xarray as xr

from vstore_explorer.build.icechunk_store import append_icechunk, build_icechunk
from vstore_explorer.build.kerchunk_refs import build_kerchunk
from vstore_explorer.compute import load, to_code
from vstore_explorer.ops import apply
from vstore_explorer.selection import Selection
from vstore_explorer.stores.access import S3Credentials
from vstore_explorer.stores.open import StoreOpenError, connect, list_versions
from vstore_explorer.stores.read_errors import GranuleReadError

pytestmark = pytest.mark.filterwarnings("ignore::xarray.SerializationWarning")

VAR = "SoilMoi0_10cm_inst"


@pytest.fixture(scope="module")
def reference(fixtures_dir: Path) -> dict:
    return json.loads((fixtures_dir / "reference_values.json").read_text())


def direct(path: Path, name: str = VAR) -> np.ndarray:
    """The field of one granule, read with netCDF4 (masked cells as NaN)."""
    with netCDF4.Dataset(path) as nc:
        return nc[name][0].filled(np.nan)


def assert_matches_granules(ds: xr.Dataset, files, reference: dict | None = None) -> None:
    """Every time step equals the direct netCDF4 read of its granule (and the recorded stats)."""
    assert ds.sizes["time"] == len(files)
    for i, path in enumerate(files):
        values = ds[VAR].isel(time=i).values
        np.testing.assert_array_equal(values, direct(path))
        if reference is not None:
            expected = reference[f"gldas_noah025_3h_timeseries/{path.name}"][VAR]
            assert int(np.isfinite(values).sum()) == expected["n_valid"]
            assert np.nanmean(values.astype("float64")) == pytest.approx(expected["mean"], rel=1e-6)
            assert np.nanmax(values) == pytest.approx(expected["max"], rel=1e-6)


def test_icechunk_on_s3_equals_netcdf4(s3_server, s3_gldas, reference):
    handle = connect(s3_gldas.link, credentials=s3_server.credentials)
    assert handle.containers == ("s3://granules/",)
    assert handle.snapshot_id == s3_gldas.snapshot_id
    s3_server.reset()
    assert_matches_granules(handle.dataset, s3_gldas.files, reference)
    reads = [r for r in s3_server.requests if r.bucket == "granules"]
    # the chunks came from the granules on S3, one ranged GET at least per granule, all signed
    assert {r.key for r in reads} == {f"gldas/{p.name}" for p in s3_gldas.files}
    assert all(r.signed and r.status in (200, 206) for r in s3_server.requests)
    # the tag written by the build opens the same snapshot
    assert connect(s3_gldas.link, tag="v1", credentials=s3_server.credentials).snapshot_id == (
        s3_gldas.snapshot_id
    )


def test_anonymous_read_of_a_public_bucket(s3_server, s3_gldas):
    s3_server.ensure_bucket("public", public=True)
    urls = s3_server.upload(s3_gldas.files[:2], "public", "gldas/")
    store = "s3://public/gldas.icechunk"
    build_icechunk(urls, store, access=s3_server.access(), container_prefix="s3://public/gldas/")

    s3_server.reset()
    handle = connect(s3_server.link(store, anonymous=True))  # no credentials at all
    assert handle.access.anonymous and handle.access.credentials is None
    assert_matches_granules(handle.dataset, s3_gldas.files[:2])
    seen = s3_server.requests
    assert seen and not any(r.signed for r in seen)
    # nothing was refused (404s are icechunk probing legacy paths such as config.yaml)
    assert 403 not in {r.status for r in seen}
    granule_reads = {r.key for r in seen if r.key.startswith("gldas/")}
    assert granule_reads == {f"gldas/{p.name}" for p in s3_gldas.files[:2]}

    # the same anonymous access is refused on the private bucket: the policy is really checked
    s3_server.reset()
    with pytest.raises(StoreOpenError, match="s3://stores/gldas.icechunk"):
        connect(s3_gldas.link, credentials="anonymous")
    assert {r.status for r in s3_server.requests} == {403}


@pytest.fixture(scope="module")
def s3_kerchunk(s3_server, s3_gldas, tmp_path_factory):
    """Kerchunk JSON references to the GLDAS granules on S3, themselves on S3; and their refs."""
    local = tmp_path_factory.mktemp("refs") / "gldas.json"
    build_kerchunk(s3_gldas.urls, local, access=s3_server.access())
    s3_server.client().upload_file(str(local), "stores", "refs/gldas.json")
    link = s3_server.link("s3://stores/refs/gldas.json", kind="kerchunk-json")
    return link, json.loads(local.read_text())["refs"]


def test_kerchunk_json_on_s3_pointing_at_s3_granules(s3_server, s3_gldas, s3_kerchunk, reference):
    link, refs = s3_kerchunk
    assert refs[f"{VAR}/0.0.0"][0] == s3_gldas.urls[0]
    handle = connect(link, credentials=s3_server.credentials)
    s3_server.reset()
    assert_matches_granules(handle.dataset, s3_gldas.files, reference)
    assert {r.bucket for r in s3_server.requests} == {"granules"}
    # exact chunk sizes come from the references on S3
    sizes = handle.chunk_nbytes([handle.chunk_key(VAR, (i, 0, 0)) for i in range(4)])
    assert sizes == [refs[f"{VAR}/{i}.0.0"][2] for i in range(4)]


def test_append_on_s3(s3_server, s3_gldas, reference):
    store = "s3://stores/append.icechunk"
    access = s3_server.access()
    first = build_icechunk(
        s3_gldas.urls[:2], store, access=access, container_prefix="s3://granules/", tag="v1"
    )
    second = append_icechunk(s3_gldas.urls, store, access=access, tag="v2")
    assert second.skipped == s3_gldas.urls[:2] and second.added == s3_gldas.urls[2:]
    assert second.previous_snapshot_id == first.snapshot_id

    link = s3_server.link(store)
    assert_matches_granules(
        connect(link, credentials=s3_server.credentials).dataset, s3_gldas.files
    )
    assert connect(link, tag="v1", credentials=s3_server.credentials).dataset.sizes["time"] == 2
    versions = list_versions(link, credentials=s3_server.credentials)
    assert versions.tags == {"v1": first.snapshot_id, "v2": second.snapshot_id}
    assert versions.history[0].message == "append: 2 granule(s) along time"


RUNNER = (
    "import pickle, runpy, sys\n"
    "ns = runpy.run_path(sys.argv[1])\n"
    "with open(sys.argv[2], 'wb') as f:\n"
    "    pickle.dump(ns['result'].load(), f)\n"
)


@pytest.mark.parametrize("kind", ["icechunk", "kerchunk-json"])
def test_exported_script_reads_s3_keys_from_the_environment(
    s3_server, s3_gldas, s3_kerchunk, tmp_path, kind
):
    # moto accepts any keys: use ones that cannot appear in a script by accident
    secret = "s3cr3t-NOT-in-the-script-4f9d"
    creds = S3Credentials("AKIDLOOPBACK7EXAMPLE", secret)
    handle = connect(s3_gldas.link if kind == "icechunk" else s3_kerchunk[0], credentials=creds)
    sel = Selection(variables=(VAR,), bbox=(5.0, 40.0, 15.0, 50.0), time=("2016-01-01T05", None))
    expected = apply(handle.dataset, sel).load()
    assert expected.sizes == {"time": 3, "lat": 40, "lon": 40}
    xr.testing.assert_identical(load(handle, sel), expected)

    script = to_code(handle, sel)
    assert secret not in script and creds.access_key_id not in script
    assert "AWS_ACCESS_KEY_ID" in script
    if kind == "icechunk":  # the store and its container both take the keys from the environment
        assert "from_env=True" in script and "icechunk.s3_from_env_credentials()" in script
    assert s3_server.endpoint_url in script  # the endpoint is in the script, not in the env

    path, out = tmp_path / "exported.py", tmp_path / "result.pkl"
    path.write_text(script)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_ACCESS_KEY_ID=creds.access_key_id, AWS_SECRET_ACCESS_KEY=secret)
    s3_server.reset()
    proc = subprocess.run(
        [sys.executable, "-c", RUNNER, str(path), str(out)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert proc.returncode == 0, f"exported script failed:\n{script}\n{proc.stderr[-3000:]}"
    with out.open("rb") as f:
        xr.testing.assert_identical(pickle.load(f), expected)
    # the script's requests were signed (with the keys from its environment) and hit both buckets
    seen = s3_server.requests
    assert {r.bucket for r in seen} == {"stores", "granules"}
    assert all(r.signed for r in seen)


def test_cli_build_from_s3_to_s3_with_keys_in_the_environment(s3_server, s3_gldas):
    """``vstore-explorer build s3://... --store s3://...`` as a user runs it, keys exported in
    the shell: the store is written, its container granted from the same environment, and it
    reads back equal to the granules; the keys appear in no output."""
    secret = "s3cr3t-env-only-7c1e"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_ACCESS_KEY_ID="AKIDENVBUILD", AWS_SECRET_ACCESS_KEY=secret)
    store = "s3://stores/cli-env.icechunk"
    proc = subprocess.run(
        [sys.executable, "-m", "vstore_explorer.cli", "build", *s3_gldas.urls, "--store", store,
         "--endpoint-url", s3_server.endpoint_url, "--region", s3_server.region],
        capture_output=True, text=True, timeout=300, env=env,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "4 granule" in proc.stdout
    assert secret not in proc.stdout + proc.stderr and "AKIDENVBUILD" not in proc.stdout
    handle = connect(s3_server.link(store), credentials=s3_server.credentials)
    assert handle.containers == ("s3://granules/gldas/",)  # the granules' common folder
    assert_matches_granules(handle.dataset, s3_gldas.files)


def test_server_restarts_in_place_with_its_data(s3_server, s3_gldas):
    """The fixture contract reliability tests rely on: stop() closes the port, start() reopens
    the same endpoint and the buckets are still there."""
    endpoint = s3_server.endpoint_url
    s3_server.stop()
    try:
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", s3_server.port), timeout=5)
    finally:
        s3_server.start()
    assert s3_server.endpoint_url == endpoint
    handle = connect(s3_gldas.link, credentials=s3_server.credentials)
    assert handle.snapshot_id == s3_gldas.snapshot_id
    np.testing.assert_array_equal(
        handle.dataset[VAR].isel(time=3).values, direct(s3_gldas.files[3])
    )


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["icechunk", "kerchunk-json"])
def test_a_stopped_server_is_reported_within_seconds(s3_server, s3_gldas, s3_kerchunk, kind):
    """Reading or opening while S3 refuses connections fails clearly after Access's bounded
    retries (at most ~5 s of backoff per request; 2-10 s here), not after the libraries' own
    defaults (measured here: Icechunk 24-65 s, s3fs 9-12 s)."""
    link = s3_gldas.link if kind == "icechunk" else s3_kerchunk[0]
    handle = connect(link, credentials=s3_server.credentials)
    first = Selection(variables=(VAR,), time=("2016-01-01T03:00",) * 2)
    s3_server.stop()
    try:
        started = time.monotonic()
        with pytest.raises(GranuleReadError) as read_err:
            load(handle, first)
        read_s = time.monotonic() - started
        started = time.monotonic()
        with pytest.raises(
            StoreOpenError, match="cannot reach the (Icechunk|Kerchunk)"
        ) as open_err:
            connect(link, credentials=s3_server.credentials)
        open_s = time.monotonic() - started
    finally:
        s3_server.start()
    assert read_s < 15 and open_s < 15
    assert f"variable {VAR!r}" in str(read_err.value) and link.url in str(open_err.value)
    assert "could not be reached" in str(read_err.value), str(read_err.value)  # not "moved"
    assert "testing" not in str(read_err.value) + str(open_err.value)
    # the server is back: the same handle reads the right values
    np.testing.assert_array_equal(load(handle, first).values[0], direct(s3_gldas.files[0]))
