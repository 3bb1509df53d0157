"""Failures a user meets, each with a clear error: refused containers, missing granules, requests over
the limit (stopped before any byte is read), missing Kerchunk references, unknown tags.

Real servers on 127.0.0.1: moto's S3 (``s3_server``) and a byte-counting HTTP file server.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import netCDF4
import numpy as np
import pytest

from vstore_explorer.build.icechunk_store import build_icechunk
from vstore_explorer.build.kerchunk_refs import build_kerchunk
from vstore_explorer.catalog.links import StoreLink
from vstore_explorer.compute import cost_of, load
from vstore_explorer.cost import CostLimitError, Limits
from vstore_explorer.selection import Selection
from vstore_explorer.stores.access import ContainerAccessError
from vstore_explorer.stores.open import StoreOpenError, connect
from vstore_explorer.stores.read_errors import GranuleReadError

pytestmark = pytest.mark.filterwarnings("ignore::xarray.SerializationWarning")

VAR = "SoilMoi0_10cm_inst"
STEP_1 = Selection(variables=(VAR,), time=("2016-01-01T06:00", "2016-01-01T06:00"))
STEP_2 = Selection(variables=(VAR,), time=("2016-01-01T09:00", "2016-01-01T09:00"))


@pytest.fixture()
def gldas_copies(fixtures_dir: Path, tmp_path: Path) -> list[Path]:
    """The four real GLDAS granules copied to a folder the test may delete files from."""
    folder = tmp_path / "granules" / "gldas"
    folder.mkdir(parents=True)
    sources = sorted((fixtures_dir / "granules" / "gldas_noah025_3h").glob("*.nc4"))
    return [Path(shutil.copy(s, folder / s.name)) for s in sources]


def direct(path: Path) -> np.ndarray:
    with netCDF4.Dataset(path) as nc:
        return nc[VAR][0].filled(np.nan)


# -- containers -------------------------------------------------------------------------------
def test_keys_in_the_environment_read_the_store_and_its_granules(s3_server, s3_gldas, monkeypatch):
    # as the exported script does: the store and its chunk container both take the keys from
    # the environment (AWS_ACCESS_KEY_ID ...), and every request to both buckets is signed
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    s3_server.reset()
    handle = connect(s3_gldas.link)
    values = load(handle, STEP_1).values[0]
    np.testing.assert_array_equal(values, direct(s3_gldas.files[1]))
    seen = s3_server.requests
    assert {r.bucket for r in seen} == {"stores", "granules"} and all(r.signed for r in seen)


def test_container_without_credentials_fails_at_open_naming_the_prefix(
    s3_server, s3_gldas, monkeypatch, tmp_path
):
    # a store on local disk whose chunks are on S3, and no credentials anywhere (no keys, no
    # profile, no ~/.aws): refused at open, naming the prefix and where keys can come from
    store = tmp_path / "local.icechunk"
    build_icechunk(
        s3_gldas.urls, store, access=s3_server.access(), container_prefix="s3://granules/"
    )
    for name in [n for n in os.environ if n.startswith("AWS_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp_path))
    s3_server.reset()
    with pytest.raises(ContainerAccessError) as err:
        connect(store)
    assert "'s3://granules/'" in str(err.value) and "AWS_ACCESS_KEY_ID" in str(err.value)
    assert "testing" not in str(err.value)
    assert not [r for r in s3_server.requests if r.bucket == "granules"]  # failed before reading


def test_container_refusing_access_names_the_prefix(s3_server, s3_gldas):
    # a grant that S3 refuses (anonymous on a private bucket) is reported as such, at the first
    # read of a granule (opening reads only the store: its coordinates are native)
    access = s3_server.access(container_credentials={"s3://granules/": None})
    s3_server.reset()
    handle = connect(s3_gldas.link, credentials=access)
    assert not [r for r in s3_server.requests if r.bucket == "granules"]  # nothing read yet
    step = Selection(variables=(VAR,), time=("2016-01-01T03:00",) * 2)
    with pytest.raises(ContainerAccessError, match=r"refused by 's3://granules/'.*AccessDenied"):
        load(handle, step)
    assert {r.status for r in s3_server.requests if r.bucket == "granules"} == {403}


# -- missing granules ---------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["icechunk", "kerchunk-json"])
def test_missing_local_granule_names_its_url_and_the_variable(gldas_copies, tmp_path, kind):
    store = tmp_path / ("s.icechunk" if kind == "icechunk" else "refs.json")
    (build_icechunk if kind == "icechunk" else build_kerchunk)(gldas_copies, store)
    gone = gldas_copies[1]
    gone.unlink()
    handle = connect(store)  # opening reads no granule: the coordinates are the store's own
    with pytest.raises(GranuleReadError) as err:
        load(handle, STEP_1)
    assert err.value.url == gone.as_uri() and err.value.variable == VAR
    assert err.value.chunk == (1, 0, 0)
    message = str(err.value)
    assert (
        f"variable {VAR!r}" in message and f"its granule {gone.as_uri()} was not found" in message
    )
    # the other time steps still read
    np.testing.assert_array_equal(load(handle, STEP_2).values[0], direct(gldas_copies[2]))


def test_missing_granule_on_http_names_its_url(gldas_copies, serve_files, tmp_path):
    server = serve_files(tmp_path / "granules")
    urls = [server.url_of(p) for p in gldas_copies]
    build_icechunk(urls, tmp_path / "h.icechunk", container_prefix=server.url)
    gldas_copies[1].unlink()
    handle = connect(tmp_path / "h.icechunk")
    with pytest.raises(GranuleReadError, match=f"its granule {urls[1]} was not found"):
        load(handle, STEP_1)
    assert any(r.status == 404 for r in server.requests)


def test_missing_granule_on_s3_names_its_url(s3_server, s3_gldas):
    # the S3 error (NoSuchKey) names no object: the store's granules are checked to find it
    urls = s3_server.upload(s3_gldas.files, "granules", "gone/")
    store = "s3://stores/gone.icechunk"
    build_icechunk(urls, store, access=s3_server.access(), container_prefix="s3://granules/")
    s3_server.client().delete_object(Bucket="granules", Key=f"gone/{s3_gldas.files[1].name}")
    handle = connect(s3_server.link(store), credentials=s3_server.credentials)
    with pytest.raises(GranuleReadError) as err:
        load(handle, STEP_1)
    assert err.value.url == urls[1] and err.value.variable == VAR
    assert "NoSuchKey" in str(err.value)


def test_missing_first_or_last_granule_opens_and_fails_at_its_read_naming_it(
    gldas_copies, tmp_path
):
    store = tmp_path / "s.icechunk"
    build_icechunk(gldas_copies, store)
    gldas_copies[-1].unlink()  # the store's time and time_bnds are its own: it still opens
    handle = connect(store)
    with pytest.raises(GranuleReadError, match=f"its granule {gldas_copies[-1].as_uri()}"):
        load(handle, Selection(variables=(VAR,)))


# -- limits ---------------------------------------------------------------------------------------
def test_over_limit_request_is_stopped_before_any_byte_is_read(fixtures_dir, serve_files, tmp_path):
    folder = fixtures_dir / "granules" / "gldas_noah025_3h"
    server = serve_files(folder)
    files = sorted(folder.glob("*.nc4"))
    build_icechunk([server.url_of(p) for p in files], tmp_path / "h.icechunk")
    handle = connect(tmp_path / "h.icechunk")
    sel = Selection(variables=(VAR,), bbox=(-20.0, 0.0, 40.0, 60.0))
    cost = cost_of(handle, sel)
    assert cost.chunks == 4 and cost.exact
    server.reset()
    with pytest.raises(CostLimitError) as err:
        load(handle, sel, limits=Limits(max_read_bytes=1e6))
    assert server.bytes_sent() == 0 and server.requests == []  # nothing was read
    message = str(err.value)
    assert message.startswith("request stopped before reading: it reads ")
    assert "(limit 1.0 MB)" in message and "To narrow it" in message and "client=" in message
    assert err.value.cost == cost
    # with room for it, the same request reads what the estimate said
    loaded = load(handle, sel, limits=Limits(max_read_bytes=2 * cost.stored_bytes))
    assert server.bytes_sent() == cost.stored_bytes
    assert loaded.sizes == {"time": 4, "lat": 240, "lon": 240}


# -- references and versions ---------------------------------------------------------------------
def test_missing_kerchunk_json(tmp_path, s3_server):
    missing = tmp_path / "nowhere" / "refs.json"
    with pytest.raises(
        StoreOpenError, match=f"Kerchunk references not found at {missing.as_uri()}"
    ):
        connect(missing)
    link = s3_server.link("s3://stores/nowhere.json", kind="kerchunk-json")
    with pytest.raises(StoreOpenError, match="Kerchunk references not found at s3://stores/"):
        connect(link, credentials=s3_server.credentials)


def test_missing_icechunk_repository(tmp_path, s3_server):
    missing = tmp_path / "nowhere.icechunk"
    with pytest.raises(StoreOpenError, match=f"no Icechunk repository at {missing.as_uri()}$"):
        connect(StoreLink(url=missing.as_uri(), kind="icechunk"))
    link = s3_server.link("s3://stores/nowhere.icechunk", kind="icechunk")
    with pytest.raises(StoreOpenError, match="^no Icechunk repository at s3://stores/nowhere"):
        connect(link, credentials=s3_server.credentials)


def test_unknown_tag_lists_the_tags(gldas_copies, tmp_path, s3_server, s3_gldas):
    store = tmp_path / "t.icechunk"
    build_icechunk(gldas_copies[:2], store, tag="v1")
    with pytest.raises(StoreOpenError) as err:
        connect(store, tag="v9")
    assert str(err.value) == (f"tag v9 not found in {store.as_uri()}; branches: main; tags: v1")
    with pytest.raises(StoreOpenError, match="tag nope not found in s3://stores/gldas.icechunk; "):
        connect(s3_gldas.link, tag="nope", credentials=s3_server.credentials)
