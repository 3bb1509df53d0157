"""Waiting out the change-check time a build records (Icechunk's "last updated" checksum)."""

from __future__ import annotations

import time

from vstore_explorer.build.icechunk_store import StoreUpdate


def wait_past(update: StoreUpdate, *, s3: bool = False) -> None:
    """Sleep until the clock is past the time the build recorded, so that a change made from now
    on is a change *after* the build (Icechunk keeps whole seconds: at most about 1 s). S3 also
    keeps whole seconds of an object's Last-Modified, so a change there must come 1 s later."""
    assert update.checked_after is not None
    delay = update.checked_after.timestamp() + (1.05 if s3 else 0.05) - time.time()
    if delay > 0:
        time.sleep(delay)
