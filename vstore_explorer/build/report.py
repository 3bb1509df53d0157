"""What a build or append did (:class:`StoreUpdate`), and the change-check time it records.

Example:
    >>> change_check_time(False) == NO_CHANGE_CHECK
    True
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

NO_CHANGE_CHECK = datetime.fromtimestamp(2**32 - 1, UTC)
"""The latest time Icechunk can record (2106-02-07): no granule is ever modified after it."""


def change_check_time(check_changes: bool = True, now: float | None = None) -> datetime:
    """The "last updated" time to record on new virtual chunk references.

    Icechunk keeps whole seconds (it drops the fraction) and refuses a chunk whose object was
    modified after that second. ``now`` (default: the clock, read before the granules are) is
    rounded *up* to a whole second, so a granule written earlier in the same second still reads and
    any change after that second is refused; a change within that last fraction of a second is not
    seen (on S3, which compares whole seconds of Last-Modified, nor one in the second after). The
    builder's clock and the object store's must agree to within that second. VirtualiZarr always
    records a time, so without checks the latest time Icechunk can hold is recorded.

    Example:
        >>> change_check_time(now=1_700_000_000.2).isoformat()
        '2023-11-14T22:13:21+00:00'
        >>> change_check_time(now=1_700_000_000.0).isoformat()
        '2023-11-14T22:13:20+00:00'
        >>> change_check_time(False) == NO_CHANGE_CHECK
        True
    """
    if not check_changes:
        return NO_CHANGE_CHECK
    return datetime.fromtimestamp(math.ceil(time.time() if now is None else now), UTC)


@dataclass(frozen=True)
class StoreUpdate:
    """What a build or append did.

    Example:
        >>> update = StoreUpdate("file:///stores/gldas.icechunk", "main", "SNAP2", "SNAP1",
        ...                      added=("g3.nc4",), tag="v2", seconds=1.5,
        ...                      checked_after=datetime(2026, 11, 24, 14, 40, 12, tzinfo=UTC))
        >>> update.changed
        True
        >>> print(update.summary())
        store     file:///stores/gldas.icechunk (branch main)
        snapshot  SNAP2, tagged v2
        added     1 granule(s)
        changes   reads refuse a granule modified after 2026-11-24 14:40:12 UTC
        took      1.5 s
    """

    store: str
    branch: str
    snapshot_id: str
    previous_snapshot_id: str | None
    added: tuple[str, ...] = ()
    skipped: tuple[str, ...] = ()
    tag: str | None = None
    seconds: float = 0.0
    containers: tuple[str, ...] = field(default=())
    checked_after: datetime | None = None
    """Reads refuse a granule added here that was modified after this time (None: not checked)."""
    groups: tuple[str, ...] = ()
    """The store groups written (empty: the root group only)."""
    parsers: Mapping[str, int] = field(default_factory=dict)
    """How many granules each parser read (``hdf``, ``dmrpp``, ``netcdf3``)."""
    verified: int | None = None
    """How many variables were read back and compared before committing (None: not checked)."""
    new_containers: tuple[str, ...] = ()
    """Virtual chunk containers this change added to the store's config."""

    @property
    def changed(self) -> bool:
        return self.snapshot_id != self.previous_snapshot_id

    def summary(self) -> str:
        """A few readable lines for the CLI and logs."""
        if self.branch:  # Icechunk
            lines = [
                f"store     {self.store} (branch {self.branch})",
                f"snapshot  {self.snapshot_id}"
                + ("" if self.changed else " (unchanged)")
                + (f", tagged {self.tag}" if self.tag else ""),
            ]
        else:  # Kerchunk references have no versions
            lines = [f"refs      {self.store}"]
        lines.append(f"added     {len(self.added)} granule(s)")
        if self.groups:
            lines.append(f"groups    {', '.join(self.groups)}")
        if self.parsers and set(self.parsers) != {"hdf"}:
            lines.append(
                "parsed    " + ", ".join(f"{n} with {k}" for k, n in sorted(self.parsers.items()))
            )
        for prefix in self.new_containers:
            lines.append(f"container added {prefix} (authorized as for the build)")
        if self.verified is not None:
            lines.append(
                f"verified  {self.verified} variable(s) of the first and last granule read back "
                "equal to direct reads"
            )
        if self.branch and self.added:
            lines.append(
                "changes   not checked (granules may be rewritten in place)"
                if self.checked_after is None
                else "changes   reads refuse a granule modified after "
                f"{self.checked_after.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC"
            )
        if self.skipped:
            lines.append(f"skipped   {len(self.skipped)} granule(s) already in the store:")
            lines += [f"          {u}" for u in self.skipped[:10]]
            if len(self.skipped) > 10:
                lines.append(f"          ... and {len(self.skipped) - 10} more")
        lines.append(f"took      {self.seconds:.1f} s")
        return "\n".join(lines)
