"""Serialize commits to a local Icechunk repository across threads and processes.

Icechunk's local-filesystem storage cannot update a branch atomically (earth-mover/icechunk#804):
two writers committing at the same moment can both succeed, and the second silently replaces the
first one's snapshot, so an append is lost. Object stores (S3, GCS, Azure) update branches with
conditional writes and raise ``icechunk.ConflictError`` instead, so they need no lock.

Holding an OS file lock (``flock``, released by the kernel if the writer dies) around the commit
makes the check-and-update step exclusive: the later writer then sees the moved tip, gets a
``ConflictError`` and re-plans, as it would on S3.

Example:
    >>> with commit_lock("/stores/gldas.icechunk"):  # doctest: +SKIP
    ...     snapshot = session.commit("append: 1 granule(s) along time")
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from filelock import FileLock, Timeout

from vstore_explorer.build.errors import BuildError
from vstore_explorer.stores.urls import local_path, scheme_of

LOCK_NAME = ".vstore-commit.lock"
"""The lock file, kept inside the repository directory (Icechunk ignores files it did not write)."""

WAIT_S = 120.0
"""How long a writer waits for another one's commit (a commit takes well under a second)."""


@contextmanager
def commit_lock(store_url: str, *, wait_s: float = WAIT_S) -> Iterator[None]:
    """Hold the repository's commit lock if ``store_url`` is a local directory; else do nothing."""
    if scheme_of(store_url) != "file":
        yield
        return
    path = local_path(store_url) / LOCK_NAME
    lock = FileLock(path, timeout=wait_s, preserve_lock_file=True)
    try:
        lock.acquire()
    except Timeout as exc:
        raise BuildError(
            f"another writer held the commit lock of {store_url} for {wait_s:.0f} s; the store is "
            f"unchanged. Try again when the other build or append has finished (the lock, {path}, "
            "is released automatically when its process ends)"
        ) from exc
    try:
        yield
    finally:
        lock.release()
