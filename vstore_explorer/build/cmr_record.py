"""What a store built from CMR records about its granules, and how an update changes it (pure).

Each commit made by ``build --collection`` or ``update`` carries, in its Icechunk commit metadata
under ``vstore_explorer.cmr``, the collection, the search (temporal, bbox, CMR URL) and the
granules it changed, each as a :class:`GranuleRef` (concept id, GranuleUR, revision date and id,
the data URL used, its first time and its length along the store's dimension). The build records
every granule (``granules``); an update records only what it ``added``, ``replaced`` (same
GranuleUR, newer revision) and ``removed``. :func:`read_record` replays those commits, oldest
first, into the store's current :class:`CMRRecord`, so no commit carries the whole table twice.

Example:
    >>> a = GranuleRef("G1-P", "day1", "2024-01-02T00:00:00.000Z", 1, "https://h/d1.nc",
    ...                "2024-01-01T00:00:00.000000000", {"/": 1})
    >>> GranuleRef.from_dict(a.to_dict()) == a
    True
    >>> b = GranuleRef("G1-P", "day1", "2024-03-01T00:00:00.000Z", 2, "https://h/d1.nc")
    >>> b.newer_than(a), a.newer_than(b)
    (True, False)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from types import MappingProxyType
from typing import Any

import numpy as np

from vstore_explorer.build.errors import BuildError
from vstore_explorer.build.repo import METADATA_KEY
from vstore_explorer.catalog.records import parse_datetime

CMR_KEY = "cmr"
"""The entry of the ``vstore_explorer`` commit metadata that holds the CMR record."""
RECORD_VERSION = 1
_NO_STEPS: Mapping[str, int] = MappingProxyType({})


@dataclass(frozen=True)
class GranuleRef:
    """One CMR granule as a store holds it.

    Attributes:
        concept_id, granule_ur: the granule's CMR identity (the GranuleUR is what stays the same
            when a granule is reprocessed).
        revision_date, revision_id: CMR's ``meta.revision-date`` / ``revision-id`` when the
            granule was read.
        url: the data link the store's references point at.
        time: the granule's first value along the store's dimension (ISO text for times).
        steps: the granule's length along that dimension, per group (``/`` for the root).
    """

    concept_id: str | None
    granule_ur: str
    revision_date: str | None
    revision_id: int | None
    url: str
    time: str | float | None = None
    steps: Mapping[str, int] = field(default=_NO_STEPS)

    def to_dict(self) -> dict[str, Any]:
        """A plain JSON-able dict (as recorded in commit metadata)."""
        return {
            "concept_id": self.concept_id,
            "granule_ur": self.granule_ur,
            "revision_date": self.revision_date,
            "revision_id": self.revision_id,
            "url": self.url,
            "time": self.time,
            "steps": dict(self.steps),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> GranuleRef:
        """Rebuild a reference from :meth:`to_dict` output."""
        return cls(
            concept_id=data.get("concept_id"),
            granule_ur=str(data["granule_ur"]),
            revision_date=data.get("revision_date"),
            revision_id=data.get("revision_id"),
            url=str(data["url"]),
            time=data.get("time"),
            steps=MappingProxyType({str(k): int(v) for k, v in (data.get("steps") or {}).items()}),
        )

    @property
    def order(self) -> Any:
        """The granule's first time as a comparable value (``numpy.datetime64`` or float)."""
        if self.time is None:
            raise BuildError(f"granule {self.granule_ur} has no recorded time")
        return np.datetime64(self.time, "ns") if isinstance(self.time, str) else self.time

    def key(self, group: str) -> tuple[Any, int]:
        """Where the granule sits in a group: its first time and its length."""
        return self.order, int(self.steps.get(group, 0))

    def revised_at(self) -> datetime | None:
        return parse_datetime(self.revision_date) if self.revision_date else None

    def newer_than(self, other: GranuleRef) -> bool:
        """Whether this is a later CMR revision of ``other`` (revision date, else revision id)."""
        mine, theirs = self.revised_at(), other.revised_at()
        if mine is not None and theirs is not None and mine != theirs:
            return mine > theirs
        if self.revision_id is not None and other.revision_id is not None:
            return self.revision_id > other.revision_id
        return False

    def same_version(self, other: GranuleRef) -> bool:
        """The same granule, revision and data URL (so its references need no change)."""
        return (self.granule_ur, self.revision_date, self.revision_id, self.url) == (
            other.granule_ur,
            other.revision_date,
            other.revision_id,
            other.url,
        )

    def placed(self, time: Any, steps: Mapping[str, int]) -> GranuleRef:
        """This reference with its time and length, once the granule has been read."""
        value: str | float
        if isinstance(time, np.datetime64 | datetime):
            value = str(np.datetime64(time, "ns"))
        else:
            value = float(time)
        return replace(self, time=value, steps=MappingProxyType(dict(steps)))

    def label(self) -> str:
        """``GranuleUR (concept id)`` for messages."""
        return f"{self.granule_ur} ({self.concept_id})" if self.concept_id else self.granule_ur


@dataclass(frozen=True)
class CMRRecord:
    """What a store built from CMR holds: the collection, the search, and its granules in order.

    Attributes:
        cmr_url: the CMR search root the store was built from (``.../search/``).
        collection: ``concept_id``, ``short_name`` and ``version`` of the collection.
        search: ``temporal`` (``[start, end]`` ISO, either may be None) and ``bbox``
            (``[W, S, E, N]``), or None each.
        links: ``s3`` or ``https``: which data links the store's references use.
        searched_at: when CMR was last searched for a committed change (ISO, UTC).
        granules: the granules in store order (by time).
    """

    cmr_url: str
    collection: Mapping[str, Any]
    search: Mapping[str, Any]
    links: str
    searched_at: str
    granules: tuple[GranuleRef, ...] = ()

    def metadata(self, kind: str, **changes: Sequence[GranuleRef]) -> dict[str, Any]:
        """The ``cmr`` commit-metadata entry of a build (``granules=``) or an update
        (``added=``, ``replaced=``, ``removed=``)."""
        out: dict[str, Any] = {
            "version": RECORD_VERSION,
            "kind": kind,
            "cmr_url": self.cmr_url,
            "collection": dict(self.collection),
            "search": dict(self.search),
            "links": self.links,
            "searched_at": self.searched_at,
        }
        for name, refs in changes.items():
            out[name] = [r.to_dict() for r in refs]
        return {CMR_KEY: out}

    def positions(self, group: str) -> list[int]:
        """Each granule's first index along the dimension in ``group``."""
        out, at = [], 0
        for ref in self.granules:
            out.append(at)
            at += int(ref.steps.get(group, 0))
        return out

    def length(self, group: str) -> int:
        return sum(int(r.steps.get(group, 0)) for r in self.granules)


def cmr_entry(metadata: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    """The ``cmr`` entry of one commit's metadata, or None."""
    info = (metadata or {}).get(METADATA_KEY)
    entry = info.get(CMR_KEY) if isinstance(info, Mapping) else None
    return entry if isinstance(entry, Mapping) else None


def read_record(history: Iterable[tuple[str, str, Mapping[str, Any] | None]]) -> CMRRecord:
    """The store's :class:`CMRRecord`, from its commits ``(id, message, metadata)``, newest first.

    Raises:
        BuildError: the store was not built from CMR, or a commit after its build was not made
            by an update (so the record cannot account for what the store holds).
    """
    entries: list[Mapping[str, Any]] = []
    for snapshot, message, metadata in history:
        if (metadata or {}).get("__icechunk", {}).get("is_root"):
            break
        entry = cmr_entry(metadata)
        if entry is None:
            raise BuildError(
                f"snapshot {snapshot} ({message!r}) was not made by `vstore-explorer build "
                "--collection` or `update`, so the store's CMR record cannot account for what it "
                "holds; rebuild the store with `vstore-explorer build --collection ... --overwrite`"
            )
        entries.append(entry)
        if entry.get("kind") == "build":
            break
    if not entries or entries[-1].get("kind") != "build":
        raise BuildError(
            "the store was not built from CMR (no `vstore-explorer build --collection` commit in "
            "its history): `update` only refreshes stores built from a CMR collection"
        )
    granules: dict[str, GranuleRef] = {}
    for entry in reversed(entries):
        for raw in [
            *entry.get("granules", ()),
            *entry.get("added", ()),
            *entry.get("replaced", ()),
        ]:
            ref = GranuleRef.from_dict(raw)
            granules[ref.granule_ur] = ref
        for raw in entry.get("removed", ()):
            granules.pop(str(raw["granule_ur"]), None)
    last, build = entries[0], entries[-1]
    return CMRRecord(
        cmr_url=str(build["cmr_url"]),
        collection=MappingProxyType(dict(build["collection"])),
        search=MappingProxyType(dict(build.get("search") or {})),
        links=str(build.get("links") or "https"),
        searched_at=str(last["searched_at"]),
        granules=tuple(sorted(granules.values(), key=lambda r: r.order)),
    )


@dataclass(frozen=True)
class ChangePlan:
    """What CMR says changed since the store's record (nothing read from granules yet).

    Attributes:
        added: granules CMR lists that the store does not hold.
        replaced: newer revisions of granules the store holds (the new references).
        removed: granules the store holds that CMR no longer lists for the store's search.
        unchanged: how many of the store's granules CMR lists at the same revision.
    """

    added: tuple[GranuleRef, ...] = ()
    replaced: tuple[GranuleRef, ...] = ()
    removed: tuple[GranuleRef, ...] = ()
    unchanged: int = 0

    def writes(self, apply_deletions: bool) -> bool:
        """Whether the change writes anything (removals only when they are applied)."""
        return bool(self.added or self.replaced or (apply_deletions and self.removed))


def plan_changes(
    held: Sequence[GranuleRef], revised: Sequence[GranuleRef], listed: Sequence[GranuleRef]
) -> ChangePlan:
    """Compare the store's granules with CMR's: ``revised`` are the granules revised since the
    last update, ``listed`` every granule CMR lists for the store's search.

    The listing says which granules exist (a granule missing from it is removed); the newest
    revision of each, from either search, says which changed.
    """
    latest: dict[str, GranuleRef] = {}
    for ref in [*listed, *revised]:
        old = latest.get(ref.granule_ur)
        if old is None or ref.newer_than(old):
            latest[ref.granule_ur] = ref
    present = {r.granule_ur for r in listed}
    by_ur = {r.granule_ur: r for r in held}
    added = tuple(latest[u] for u in latest if u in present and u not in by_ur)
    replaced = tuple(
        latest[u] for u in latest if u in present and u in by_ur and latest[u].newer_than(by_ur[u])
    )
    removed = tuple(r for r in held if r.granule_ur not in present)
    unchanged = len(held) - len(removed) - len(replaced)
    return ChangePlan(added, replaced, removed, unchanged)


@dataclass(frozen=True)
class Splice:
    """Where an update writes, once every new granule's time and length are known.

    Attributes:
        final: the store's granules after the update, in order.
        in_place: indices of ``final`` whose slot stays where it was but whose references change
            (a reprocessed granule, or a new granule replacing a removed one at the same time).
        start: the first index of ``final`` from which slots move or are new (``len(final)``
            when none do).
        append_only: every slot from ``start`` on is new and after the store's end, so it is
            written by the ordinary append path.
    """

    final: tuple[GranuleRef, ...]
    in_place: tuple[int, ...]
    start: int
    append_only: bool


def plan_splice(
    current: Sequence[GranuleRef], final: Iterable[GranuleRef], groups: Sequence[str]
) -> Splice:
    """Compare the store's slots with the slots after an update (in every group).

    Example:
        >>> def ref(ur, t, rev="1"):
        ...     return GranuleRef(None, ur, None, int(rev), f"u/{ur}", t, {"/": 1})
        >>> old = [ref("a", 1.0), ref("b", 2.0)]
        >>> s = plan_splice(old, [ref("a", 1.0), ref("b", 2.0, "2"), ref("c", 3.0)], ["/"])
        >>> s.in_place, s.start, s.append_only
        ((1,), 2, True)
    """
    ordered = tuple(sorted(final, key=lambda r: r.order))
    for a, b in zip(ordered, ordered[1:], strict=False):
        if a.order == b.order:
            raise BuildError(
                f"granules {a.label()} and {b.label()} start at the same time {a.time}: if one "
                "replaces the other, CMR still lists both (apply the removal with "
                "--apply-deletions once CMR drops the old one)"
            )

    def key(ref: GranuleRef) -> tuple[Any, ...]:
        return tuple(ref.key(g) for g in groups)

    start = 0
    while start < min(len(current), len(ordered)) and key(current[start]) == key(ordered[start]):
        start += 1
    in_place = tuple(i for i in range(start) if not ordered[i].same_version(current[i]))
    append_only = start == len(current) and (
        not current or all(r.order > current[-1].order for r in ordered[start:])
    )
    return Splice(ordered, in_place, start, append_only)
