"""Object storage that fails under a reader: the S3 server (moto on 127.0.0.1) stopped in the middle
of a read and restarted; truncated, corrupted and touched granules behind virtual chunks, in stores
built with and without change checks (Icechunk's "last updated" checksum).

Missing granules (404 / NoSuchKey, local, HTTP, S3) are covered by
``tests/integration/test_store_errors.py``.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import netCDF4
import numpy as np
import pytest

from tests.changes import wait_past
from vstore_explorer.build.icechunk_store import build_icechunk
from vstore_explorer.build.virtualize import virtualize_granules
from vstore_explorer.compute import load
from vstore_explorer.selection import Selection
from vstore_explorer.stores.access import LOCAL
from vstore_explorer.stores.open import connect
from vstore_explorer.stores.read_errors import GranuleReadError

pytestmark = pytest.mark.filterwarnings("ignore::xarray.SerializationWarning")

VAR = "SoilMoi0_10cm_inst"


def step(hour: int) -> Selection:
    t = f"2016-01-01T{hour:02d}:00"
    return Selection(variables=(VAR,), time=(t, t))


def direct(path: Path) -> np.ndarray:
    with netCDF4.Dataset(path) as nc:
        return nc[VAR][0].filled(np.nan)


class _DieMidRead:
    """WSGI middleware: the first GET of ``key`` stops the whole server, sends half its body and
    drops the connection — the server dies in the middle of a read."""

    def __init__(self, app: Any, server: Any, key: str) -> None:
        self.app, self.server, self.key = app, server, key
        self.fired = threading.Event()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        path = environ.get("PATH_INFO", "")
        if self.fired.is_set() or environ["REQUEST_METHOD"] != "GET" or not path.endswith(self.key):
            return self.app(environ, start_response)
        self.fired.set()
        body = b"".join(self.app(environ, lambda *a, **k: None))
        stopper = threading.Thread(target=self.server.stop, daemon=True)
        stopper.start()
        start_response(
            "206 Partial Content",
            [("Content-Length", str(len(body))), ("Content-Type", "application/octet-stream")],
        )

        def half() -> Any:
            yield body[: len(body) // 2]
            stopper.join(timeout=10)  # the port is closed now: retries are refused
            raise ConnectionAbortedError("the server went away mid-read")

        return half()


@pytest.mark.slow
def test_s3_stopped_mid_read_is_a_clear_error_and_the_same_handle_reads_after_restart(
    s3_server, s3_gldas
):
    handle = connect(s3_gldas.link, credentials=s3_server.credentials)
    gate = _DieMidRead(s3_server._server.app, s3_server, s3_gldas.files[1].name)
    s3_server._server.app = gate
    started = time.monotonic()
    try:
        with pytest.raises(GranuleReadError) as err:
            load(handle, step(6))
        elapsed = time.monotonic() - started
    finally:
        s3_server.stop()
        s3_server.start()
    assert gate.fired.is_set()
    assert elapsed < 120  # icechunk's own retries bound the wait (about 65 s on this machine)
    message = str(err.value)
    assert err.value.variable == VAR and f"variable {VAR!r}" in message
    assert "could not be reached" in message and "try again" in message
    assert "moved, deleted" not in message  # not blamed on the granule
    assert "testing" not in message  # no credential
    # the server is back: the same handle (same app state) reads, and the values are right
    np.testing.assert_array_equal(load(handle, step(6)).values[0], direct(s3_gldas.files[1]))


@pytest.fixture()
def granules(gldas_files: list[Path]) -> list[Path]:
    """The four real GLDAS granules copied to a folder the test may change files in."""
    return gldas_files


def build_local(files: list[Path], store: Path, *, check_changes: bool = True) -> Path:
    """An Icechunk store over ``files``; with checks, returns once later changes are detectable."""
    update = build_icechunk(files, store, check_changes=check_changes)
    if check_changes:
        wait_past(update)
    return store


def _truncate(path: Path) -> None:
    with path.open("r+b") as f:
        f.truncate(path.stat().st_size // 3)


def _corrupt(path: Path) -> None:
    data = bytearray(path.read_bytes())
    for i in range(len(data) // 4, len(data) - 1000):  # same size, scrambled chunk bytes
        data[i] = (data[i] * 7 + 3) % 256
    path.write_bytes(bytes(data))


CHANGED = "changed after it was added to the store"


@pytest.mark.parametrize("check_changes", [True, False], ids=["checked", "unchecked"])
def test_truncated_local_granule_names_its_url_and_the_variable(granules, tmp_path, check_changes):
    store = build_local(granules, tmp_path / "s.icechunk", check_changes=check_changes)
    _truncate(granules[1])
    handle = connect(store)
    with pytest.raises(GranuleReadError) as err:
        load(handle, step(6))
    assert err.value.url == granules[1].as_uri() and err.value.variable == VAR
    assert err.value.chunk == (1, 0, 0)
    message = str(err.value)
    assert granules[1].as_uri() in message and f"variable {VAR!r}" in message
    # with checks Icechunk refuses the modified file; without, the short read is traced by size
    assert (CHANGED if check_changes else "could not be read") in message
    np.testing.assert_array_equal(load(handle, step(9)).values[0], direct(granules[2]))


@pytest.mark.parametrize("check_changes", [True, False], ids=["checked", "unchecked"])
def test_truncated_s3_granule_names_its_url_and_the_variable(
    s3_server, s3_gldas, tmp_path, check_changes
):
    name = f"cut-{'checked' if check_changes else 'unchecked'}"
    urls = s3_server.upload(s3_gldas.files, "granules", f"{name}/")
    store = f"s3://stores/{name}.icechunk"
    update = build_icechunk(
        urls,
        store,
        access=s3_server.access(),
        container_prefix="s3://granules/",
        check_changes=check_changes,
    )
    if check_changes:
        wait_past(update, s3=True)
    cut = tmp_path / s3_gldas.files[2].name
    cut.write_bytes(s3_gldas.files[2].read_bytes()[:100_000])
    s3_server.upload([cut], "granules", f"{name}/")  # the object is replaced by its first 100 kB
    handle = connect(s3_server.link(store), credentials=s3_server.credentials)
    with pytest.raises(GranuleReadError) as err:
        load(handle, step(9))
    assert err.value.variable == VAR and f"variable {VAR!r}" in str(err.value)
    assert err.value.url == urls[2] and urls[2] in str(err.value)
    assert (CHANGED in str(err.value)) is check_changes


def test_corrupted_granule_in_a_store_without_change_checks_fails_loudly(granules, tmp_path):
    store = build_local(granules, tmp_path / "s.icechunk", check_changes=False)
    _corrupt(granules[2])
    handle = connect(store)
    with pytest.raises(Exception) as err:  # noqa: PT011 - any error, as long as there is one
        load(handle, step(9))
    assert "decompress" in str(err.value) or VAR in str(err.value)  # never wrong values
    np.testing.assert_array_equal(load(handle, step(6)).values[0], direct(granules[1]))


def test_corrupted_granule_error_names_its_url_and_the_variable(granules, tmp_path):
    store = build_local(granules, tmp_path / "s.icechunk")
    _corrupt(granules[2])
    handle = connect(store)
    with pytest.raises(GranuleReadError) as err:
        load(handle, step(9))
    assert err.value.url == granules[2].as_uri() and err.value.variable == VAR
    assert err.value.chunk == (2, 0, 0)
    message = str(err.value)
    assert f"its granule {granules[2].as_uri()} {CHANGED}" in message
    assert "Restore the original file" in message and "rebuild the store" in message
    np.testing.assert_array_equal(load(handle, step(6)).values[0], direct(granules[1]))


def test_corrupted_s3_granule_names_its_url_and_the_variable(s3_server, s3_gldas, tmp_path):
    urls = s3_server.upload(s3_gldas.files, "granules", "scrambled/")
    store = "s3://stores/scrambled.icechunk"
    update = build_icechunk(
        urls, store, access=s3_server.access(), container_prefix="s3://granules/"
    )
    wait_past(update, s3=True)
    bad = tmp_path / s3_gldas.files[2].name
    bad.write_bytes(s3_gldas.files[2].read_bytes())
    _corrupt(bad)
    s3_server.upload([bad], "granules", "scrambled/")  # same size, scrambled bytes
    handle = connect(s3_server.link(store), credentials=s3_server.credentials)
    s3_server.reset()
    with pytest.raises(GranuleReadError) as err:
        load(handle, step(9))
    assert err.value.url == urls[2] and err.value.variable == VAR
    assert f"its granule {urls[2]} {CHANGED}" in str(err.value)
    assert "testing" not in str(err.value)  # no credential
    # S3 answered the conditional GET (If-Unmodified-Since) with 412 Precondition Failed
    key = f"scrambled/{bad.name}"
    assert 412 in {r.status for r in s3_server.requests if r.key == key}
    np.testing.assert_array_equal(load(handle, step(6)).values[0], direct(s3_gldas.files[1]))


def test_touched_granule_is_refused_unless_the_store_was_built_without_change_checks(
    granules, tmp_path
):
    checked = build_local(granules, tmp_path / "checked.icechunk")
    unchecked = build_local(granules, tmp_path / "unchecked.icechunk", check_changes=False)
    granules[1].touch()  # identical bytes, a new modification time
    with pytest.raises(GranuleReadError) as err:
        load(connect(checked), step(6))
    assert err.value.url == granules[1].as_uri() and CHANGED in str(err.value)
    np.testing.assert_array_equal(load(connect(unchecked), step(6)).values[0], direct(granules[1]))


def _drop_change_checksums(store: Path, files: list[Path], variable: str) -> None:
    """Rewrite ``variable``'s virtual refs without a "last updated" checksum, as stores written by
    other tools may hold them."""
    import icechunk

    repo = icechunk.Repository.open(icechunk.local_filesystem_storage(str(store)))
    session = repo.writable_session("main")
    specs = []
    for t, granule in enumerate(virtualize_granules(files, access=LOCAL)):
        manifest = granule.dataset[variable].data.manifest
        specs += [
            icechunk.VirtualChunkSpec([t + i, *rest], e["path"], e["offset"], e["length"])
            for (i, *rest), e in manifest.iter_refs()
        ]
    assert len(specs) == len(files)
    assert session.store.set_virtual_refs(variable, specs) is None
    session.commit(f"{variable}: refs without checksums")


def test_store_without_change_checksums_still_opens_and_reads(granules, tmp_path):
    store = tmp_path / "old.icechunk"
    build_icechunk(granules, store)
    _drop_change_checksums(store, granules, VAR)
    handle = connect(store)
    for i, path in enumerate(granules):
        np.testing.assert_array_equal(load(handle, step(3 * i + 3)).values[0], direct(path))
    # its refs have no checksum: a later touch is not refused, unlike the other variables' refs
    time.sleep(1.1)
    granules[1].touch()
    handle = connect(store)
    np.testing.assert_array_equal(load(handle, step(6)).values[0], direct(granules[1]))
    other = Selection(variables=("SoilMoi10_40cm_inst",), time=step(6).time)
    with pytest.raises(GranuleReadError, match=CHANGED):
        load(handle, other)


@pytest.mark.slow
def test_s3_down_during_a_read_is_a_bounded_clear_error_then_the_handle_recovers(
    s3_server, s3_gldas
):
    handle = connect(s3_gldas.link, credentials=s3_server.credentials)
    s3_server.stop()
    started = time.monotonic()
    try:
        with pytest.raises(GranuleReadError) as err:
            load(handle, step(12))
        elapsed = time.monotonic() - started
    finally:
        s3_server.start()
    # Access's default read policy (5 retries, jittered backoff 0.2 s doubling to 2 s) gives up
    # after at most ~5 s per request; the read makes two (chunk size, then chunk), so 2-7 s here.
    # Icechunk's own default (10 tries, backoff up to 3 min) took 46-65 s.
    assert elapsed < 15
    message = str(err.value)
    assert "could not be reached" in message and "Connection refused" in message
    assert err.value.variable == VAR and "testing" not in message
    np.testing.assert_array_equal(load(handle, step(12)).values[0], direct(s3_gldas.files[3]))


def _restart_after(server: Any, seconds: float) -> threading.Timer:
    timer = threading.Timer(seconds, server.start)
    timer.start()
    return timer


def test_s3_blip_during_a_read_is_retried_without_an_error(s3_server, s3_gldas):
    """The server is down for 0.3 s when the read starts: its refused connections are retried
    and the read returns the right values (the default backoff waits 2.5 s on average; the odds
    that all 5 jittered waits of one request fit in 0.3 s are below 1e-4)."""
    handle = connect(s3_gldas.link, credentials=s3_server.credentials)
    outage = 0.3
    s3_server.stop()
    timer = _restart_after(s3_server, outage)
    started = time.monotonic()
    try:
        values = load(handle, step(9)).values[0]
        elapsed = time.monotonic() - started
    finally:
        timer.join()
        s3_server.start()
    assert elapsed >= outage  # the read did wait for the server to come back
    np.testing.assert_array_equal(values, direct(s3_gldas.files[2]))
    assert any(r.key.endswith(s3_gldas.files[2].name) for r in s3_server.requests)


def test_retries_zero_reports_an_unreachable_server_at_once(s3_server, s3_gldas):
    handle = connect(s3_gldas.link, credentials=s3_server.access(retries=0))
    s3_server.stop()
    started = time.monotonic()
    try:
        with pytest.raises(GranuleReadError) as err:
            load(handle, step(3))
        elapsed = time.monotonic() - started
    finally:
        s3_server.start()
    assert elapsed < 2  # one refused connection per request, no backoff
    assert "could not be reached" in str(err.value) and "testing" not in str(err.value)
    np.testing.assert_array_equal(load(handle, step(3)).values[0], direct(s3_gldas.files[0]))
