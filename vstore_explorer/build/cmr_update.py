"""Keep a store built from CMR fresh (``vstore-explorer update``): one commit per update.

:func:`update_store` reads what the store recorded (:func:`~.cmr_record.read_record`: the
collection, the search, every granule's GranuleUR and revision), then asks CMR, through the
catalog's client, for

1. the granules **revised** since the last update (python-cmr's ``revision_date``, sent as
   ``revision_date[]=START,``; START is the last committed search time minus
   :data:`REVISION_OVERLAP`, so granules CMR indexed late are not missed), and
2. the **full listing** of the store's search (its GranuleURs and revisions), which says which
   granules still exist: a granule the store holds that the listing lacks is *removed*. The
   listing also catches a change the revision window missed.

New granules are added (appended along time by the ordinary append path, or, when one falls
before the store's end, written into their place with the slots after it moved along);
reprocessed ones (same GranuleUR, newer revision) are re-read and their slot's references
rewritten in place; removals are reported, and with ``apply_deletions`` removed (the slots after
them move back). Everything is checked and read back before one commit; a CMR failure or an
unreadable granule leaves the store on its snapshot, with an error naming what failed. With
nothing to change no commit is made.

Example:
    >>> change = update_store("/stores/sst.icechunk", dry_run=True)  # doctest: +SKIP
    >>> print(change.summary())  # doctest: +SKIP
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import timedelta
from typing import Any

from vstore_explorer.build.cmr_record import (
    ChangePlan,
    CMRRecord,
    GranuleRef,
    plan_changes,
    plan_splice,
    read_record,
)
from vstore_explorer.build.cmr_search import (
    CMRCatalog,
    CMRSearchError,
    cmr_catalog,
    granule_ref,
    now_iso,
    require_links,
    search_granules,
)
from vstore_explorer.build.coordinates import native_coordinates, rewrite_as_one_chunk
from vstore_explorer.build.errors import BuildError, GranuleError
from vstore_explorer.build.executors import Parallel
from vstore_explorer.build.from_cmr import CMRChange, named, placed
from vstore_explorer.build.icechunk_append import (
    _containers_for,
    _only,
    _plan,
    _store_datasets,
    commit_update,
    with_containers,
)
from vstore_explorer.build.plan import GranulePlan
from vstore_explorer.build.repo import layout_metadata, open_repo, recorded_layout
from vstore_explorer.build.report import StoreUpdate, change_check_time
from vstore_explorer.build.slots import resize_along, write_slot
from vstore_explorer.build.verify import verify_store
from vstore_explorer.build.virtualize import Layout, VirtualGranule, concat_granules
from vstore_explorer.catalog.records import parse_datetime
from vstore_explorer.errors import InvalidInputError
from vstore_explorer.stores.access import LOCAL, Access
from vstore_explorer.stores.urls import to_url

REVISION_OVERLAP = timedelta(hours=1)
"""How far before the last committed search the revision window starts (CMR indexing lag)."""


def update_store(
    store_url: str,
    *,
    cmr: str | CMRCatalog | None = None,
    access: Access = LOCAL,
    branch: str = "main",
    dry_run: bool = False,
    apply_deletions: bool = False,
    message: str | None = None,
    tag: str | None = None,
    workers: int = 4,
    parallel: Parallel = None,
    verify: bool = True,
    check_changes: bool = True,
    new_containers: bool = True,
) -> CMRChange:
    """Bring a store built by :func:`~.from_cmr.build_from_cmr` up to date with CMR, in one commit.

    Args:
        cmr: the CMR to ask (a URL, ``ops``/``uat`` or a :class:`CMRCatalog`); default: the
            one the store was built from.
        dry_run: only find what changed (``CMRChange.summary()`` is the plan); write nothing.
        apply_deletions: remove granules CMR no longer lists (by default they are reported).
        The other arguments are those of :func:`~.icechunk_append.append_icechunk`.

    Raises:
        CMRSearchError: CMR failed (after retries) or broke a listing off; nothing was written.
        GranuleError: a granule could not be read (named, with its GranuleUR); nothing written.
        BuildError: the store was not built from CMR, or was changed outside updates.
    """
    started = time.perf_counter()
    repo, containers = open_repo(store_url, access)
    if branch not in repo.list_branches():
        raise InvalidInputError(
            f"branch {branch!r} not in {store_url}; branches: {sorted(repo.list_branches())}"
        )
    previous = repo.lookup_branch(branch)
    record = read_record((i.id, i.message, i.metadata) for i in repo.ancestry(branch=branch))
    layout = recorded_layout(repo, branch) or Layout()
    unchanged_note = f"; nothing was written: branch {branch} stays on snapshot {previous}"
    catalog, own = cmr_catalog(cmr or record.cmr_url)
    cid = str(record.collection["concept_id"])
    searched_at = now_iso()
    last = parse_datetime(record.searched_at)
    try:
        revised = search_granules(
            catalog,
            cid,
            record.search,
            revised_after=(last - REVISION_OVERLAP) if last else None,
        )
        listed = search_granules(catalog, cid, record.search)
    except CMRSearchError as exc:
        raise CMRSearchError(f"{exc}{unchanged_note}") from exc
    finally:
        if own:
            catalog.close()
    plan = plan_changes(
        record.granules,
        [granule_ref(g, record.links) for g in revised],
        [granule_ref(g, record.links) for g in listed],
    )
    change = CMRChange(
        kind="update",
        store=to_url(store_url),
        cmr_url=record.cmr_url,
        collection=record.collection,
        search=record.search,
        added=plan.added,
        replaced=plan.replaced,
        removed=plan.removed,
        removals_applied=apply_deletions and bool(plan.removed),
        unchanged=plan.unchanged,
        dry_run=dry_run,
        snapshot_id=previous,
    )
    if dry_run or not plan.writes(apply_deletions):
        return change
    require_links([*plan.added, *plan.replaced], record.links)
    try:
        update = _apply(
            repo,
            containers,
            replace(record, searched_at=searched_at),
            plan,
            layout,
            store_url=store_url,
            access=access,
            branch=branch,
            previous=previous,
            apply_deletions=apply_deletions,
            message=message,
            tag=tag,
            workers=workers,
            parallel=parallel,
            verify=verify,
            check_changes=check_changes,
            new_containers=new_containers,
        )
    except GranuleError as exc:
        refs = {r.url: r for r in [*plan.added, *plan.replaced, *record.granules]}
        raise named(exc, refs, unchanged_note) from exc
    except BuildError as exc:
        raise BuildError(f"{exc}{unchanged_note}") from exc
    return replace(change, update=replace(update, seconds=time.perf_counter() - started))


def _read(
    refs: Sequence[GranuleRef],
    stored: Mapping[str, Any],
    layout: Layout,
    access: Access,
    parallel: Parallel,
    workers: int,
) -> dict[str, VirtualGranule]:
    """Virtualize granules (checked against the store's groups), by URL."""
    if not refs:
        return {}
    urls = [r.url for r in refs]
    plan = _plan(urls, {u: u for u in urls}, stored, layout, access, parallel, workers)
    return {g.url: g for g in plan.granules}


def _check_record(record: CMRRecord, stored: Mapping[str, Any], dim: str) -> None:
    """The store holds exactly the recorded granules' steps (nothing changed it outside)."""
    for group, (_zgroup, ds) in stored.items():
        have, want = int(ds.sizes.get(dim, 0)), record.length(group)
        if have != want:
            raise BuildError(
                f"group {group} of the store has {have} steps along {dim} but its CMR record "
                f"accounts for {want}: it was changed outside `update`; rebuild it"
            )


def _apply(
    repo: Any,
    containers: Mapping[str, Any],
    record: CMRRecord,
    plan: ChangePlan,
    layout: Layout,
    *,
    store_url: str,
    access: Access,
    branch: str,
    previous: str,
    apply_deletions: bool,
    message: str | None,
    tag: str | None,
    workers: int,
    parallel: Parallel,
    verify: bool,
    check_changes: bool,
    new_containers: bool,
) -> StoreUpdate:
    """Read the changed granules, write every change into one session and commit it."""
    import icechunk

    checked_after = change_check_time(check_changes)  # before any granule is read
    dim = layout.dim
    groups = list(layout.groups) or ["/"]
    fresh = [*plan.added, *plan.replaced]
    added_prefixes = _containers_for(
        [r.url for r in fresh], containers, new_containers=new_containers, container_prefix=None
    )
    repo = with_containers(repo, access, containers, added_prefixes)
    session = repo.writable_session(branch)
    stored = _store_datasets(session, layout)
    _check_record(record, stored, dim)
    read = _read(fresh, stored, layout, access, parallel, workers)
    new_refs = {
        r.granule_ur: r for r in placed(list(read.values()), {r.url: r for r in fresh}, dim)
    }
    gone = {r.granule_ur for r in plan.removed} if apply_deletions else set()
    final = [new_refs.get(r.granule_ur, r) for r in record.granules if r.granule_ur not in gone]
    final += [new_refs[r.granule_ur] for r in plan.added]
    if not final:
        raise BuildError("the update would remove every granule of the store: rebuild it instead")
    splice = plan_splice(record.granules, final, groups)
    tail = list(splice.final[splice.start :])
    moved = [r for r in tail if r.url not in read]
    if moved and not splice.append_only:  # granules whose slot moves are read again
        again = _read(moved, stored, layout, access, parallel, workers)
        for ref in moved:
            if ref.order != again[ref.url].first(dim):
                raise GranuleError(
                    ref.url, f"its {dim} is no longer the recorded {ref.time} (same revision)"
                )
        read.update(again)
    starts = {g: _positions(splice.final, g) for g in groups}
    for i in splice.in_place:
        granule = read[splice.final[i].url]
        for group in groups:
            write_slot(
                session,
                group,
                granule.groups[group],
                dim,
                starts[group][i],
                checked_after,
                stored[group][1],
            )
    tail_granules = [read[r.url] for r in tail]
    if splice.append_only and tail_granules:  # new granules after the end: the append path
        from vstore_explorer.build.icechunk_store import write_groups

        datasets = concat_granules(tail_granules, dim)
        write_groups(
            session,
            GranulePlan(layout, tail_granules, datasets),
            append=True,
            last_updated_at=checked_after,
        )
    elif not splice.append_only:  # slots move: resize, then rewrite from the first that moves
        datasets = concat_granules(tail_granules, dim) if tail_granules else {}
        for group in groups:
            resize_along(session, group, dim, sum(int(r.steps[group]) for r in splice.final))
            if tail_granules:
                start = starts[group][splice.start]
                write_slot(
                    session, group, datasets[group], dim, start, checked_after, stored[group][1]
                )
    if read:  # slots grown or rewritten: coordinates along dim back to one chunk each
        sample = next(iter(read.values()))
        for group in groups:
            rewrite_as_one_chunk(session, group, native_coordinates(sample.groups[group], dim))
    verified = _verify(session, splice, read, starts, groups, dim, access) if verify else None
    removed = [r for r in record.granules if r.granule_ur in gone]
    added = [new_refs[r.granule_ur] for r in plan.added]
    replaced = [new_refs[r.granule_ur] for r in plan.replaced]
    extra = record.metadata("update", added=added, replaced=replaced, removed=removed)
    text = message or (
        f"update from CMR {record.collection['concept_id']}: {len(added)} added, "
        f"{len(replaced)} replaced, {len(removed)} removed"
    )
    try:
        return commit_update(
            repo,
            session,
            store_url,
            access=access,
            branch=branch,
            previous=previous,
            message=text,
            metadata=layout_metadata(layout, len(added) + len(replaced), extra),
            tag=tag,
            containers=containers,
            added_prefixes=added_prefixes,
            checked_after=checked_after if check_changes else None,
            added=tuple(r.url for r in added),
            groups=tuple(g for g in groups if g != "/"),
            verified=verified,
        )
    except icechunk.ConflictError as exc:
        raise BuildError(
            f"another writer changed {store_url} during the update ({exc}); run update again"
        ) from exc


def _positions(refs: Sequence[GranuleRef], group: str) -> list[int]:
    out, at = [], 0
    for ref in refs:
        out.append(at)
        at += int(ref.steps.get(group, 0))
    return out


def _verify(
    session: Any,
    splice: Any,
    read: Mapping[str, VirtualGranule],
    starts: Mapping[str, list[int]],
    groups: Sequence[str],
    dim: str,
    access: Access,
) -> int:
    """Read the written slots back (the first and last rewritten in place, and the first and
    last of the tail) and compare them with direct reads of the granules."""
    from vstore_explorer.build.icechunk_store import session_reader

    reader = session_reader(session)
    runs: list[tuple[list[VirtualGranule], int]] = []
    picks = sorted({splice.in_place[0], splice.in_place[-1]}) if splice.in_place else []
    runs += [([read[splice.final[i].url]], i) for i in picks]
    tail = [read[r.url] for r in splice.final[splice.start :]]
    if tail:
        runs.append((tail, splice.start))
    checked = 0
    for group in groups:
        for granules, index in runs:
            one = [_only(g, group) for g in granules]
            checked += verify_store(reader, one, dim, access=access, start=starts[group][index])
    return checked
