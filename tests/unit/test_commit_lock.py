"""The commit lock of local Icechunk repositories (build/commit_lock.py)."""

from __future__ import annotations

import threading
import time

import pytest

from vstore_explorer.build.commit_lock import LOCK_NAME, commit_lock
from vstore_explorer.build.errors import BuildError


def test_a_second_writer_waits_until_the_first_commit_is_done(tmp_path):
    order: list[str] = []
    holding = threading.Event()

    def first() -> None:
        with commit_lock(str(tmp_path)):
            holding.set()
            time.sleep(0.3)
            order.append("first done")

    thread = threading.Thread(target=first)
    thread.start()
    holding.wait(5)
    started = time.monotonic()
    with commit_lock(tmp_path.as_uri()):  # the same repository, spelled as a URL
        order.append("second in")
        waited = time.monotonic() - started
    thread.join()
    assert order == ["first done", "second in"]
    assert 0.15 < waited < 5
    assert (tmp_path / LOCK_NAME).exists()  # kept: deleting flock files races with waiters


def test_a_lock_held_too_long_is_a_clear_error_and_the_lock_still_works(tmp_path):
    holding, release = threading.Event(), threading.Event()

    def holder() -> None:
        with commit_lock(str(tmp_path)):
            holding.set()
            release.wait(5)

    thread = threading.Thread(target=holder)
    thread.start()
    holding.wait(5)
    with pytest.raises(BuildError) as info, commit_lock(str(tmp_path), wait_s=0.2):
        pass
    release.set()
    thread.join()
    message = str(info.value)
    assert str(tmp_path) in message and "unchanged" in message and "Try again" in message
    with commit_lock(str(tmp_path), wait_s=1):  # released by the holder: free again
        pass


def test_object_store_repositories_take_no_lock(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    url = "s3://bucket/stores/sst.icechunk"
    with commit_lock(url, wait_s=0), commit_lock(url, wait_s=0):  # nested: no lock, no wait
        pass
    assert list(tmp_path.iterdir()) == []
