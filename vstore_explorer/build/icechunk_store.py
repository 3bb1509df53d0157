"""Build and append Icechunk virtual stores (VirtualiZarr ``to_icechunk``), one commit per change.

Every change happens in one writable session and lands in one commit. Validation (readable granules,
same grid/chunks/variables/dtypes, times after the store's end) happens before anything is written,
and an error at any step discards the session, so after a failure the branch still points at the
same snapshot. Commits to a local repository hold a file lock (:mod:`.commit_lock`), because
Icechunk's local storage cannot update a branch atomically; a writer that loses a race re-plans.

Every new virtual chunk reference records when its granules were read (Icechunk's "last updated"
checksum): a reader is then refused, with an error naming the granule, any chunk of a granule
modified after that time (rewritten, replaced, truncated or corrupted), instead of decoding wrong
bytes. ``check_changes=False`` turns this off for granules rewritten in place with identical bytes.

Example:
    >>> report = build_icechunk(["/data/g1.nc4", "/data/g2.nc4"], "/stores/gldas.icechunk")  # doctest: +SKIP
    >>> report = append_icechunk(["/data/g3.nc4"], "/stores/gldas.icechunk", tag="v2")  # doctest: +SKIP
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import xarray as xr

from vstore_explorer.build.commit_lock import commit_lock
from vstore_explorer.build.errors import BuildError, GranuleMismatchError
from vstore_explorer.build.virtualize import (
    Signature,
    Source,
    VirtualGranule,
    check_consistent,
    concat_granules,
    granule_urls,
    sort_and_check_times,
    virtualize_granules,
)
from vstore_explorer.stores.access import LOCAL, Access
from vstore_explorer.stores.urls import common_prefix, scheme_of, to_url

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


REFS_PER_MANIFEST = 1_000
"""About how many chunk references of an array one manifest holds (split along the append dim)."""


def manifest_config(vds: xr.Dataset, dim: str, refs: int | None = None) -> Any:
    """Icechunk manifests split along ``dim`` so each holds about ``refs`` chunk references
    (default :data:`REFS_PER_MANIFEST`).

    A reader loads a whole manifest at its first chunk of the array: with one manifest for a
    decade of daily granules, a one-day map would read the references of every day. Split, it
    reads those of about ``refs // chunks per step`` steps. The split is saved in the repository's
    config, so appends keep it.

    Example:
        >>> config = manifest_config(vds, "time")  # 9 chunks per daily field  # doctest: +SKIP
        >>> list(config.splitting.to_dict().values())  # doctest: +SKIP
        [{ManifestSplitDimCondition.dimension_name("time"): 111}]
    """
    import icechunk

    per_step = 1
    for var in vds.data_vars.values():
        manifest = getattr(var.data, "manifest", None)  # a virtual (ManifestArray) variable
        if manifest is None or dim not in var.dims:
            continue
        grid = manifest.shape_chunk_grid  # chunks along each dimension
        per_step = max(
            per_step, math.prod(n for d, n in zip(var.dims, grid, strict=True) if d != dim)
        )
    steps = max(1, (refs or REFS_PER_MANIFEST) // per_step)
    splitting = icechunk.ManifestSplittingConfig.from_dict(
        {
            icechunk.ManifestSplitCondition.AnyArray(): {
                icechunk.ManifestSplitDimCondition.DimensionName(dim): steps
            }
        }
    )
    return icechunk.ManifestConfig(splitting=splitting)


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


def _open_repo(store_url: str, access: Access) -> tuple[Any, Any]:
    """The repository at ``store_url`` opened with write access to its own containers."""
    import icechunk

    storage = access.icechunk_storage(store_url)
    if not icechunk.Repository.exists(storage):
        raise FileNotFoundError(
            f"no Icechunk repository at {store_url}; create it with `vstore-explorer build`"
        )
    config = icechunk.Repository.fetch_config(storage)
    containers = dict(config.virtual_chunk_containers or {}) if config else {}
    credentials = icechunk.containers_credentials(
        {prefix: access.icechunk_container_credential(prefix) for prefix in containers}
    )
    repo = icechunk.Repository.open(storage, authorize_virtual_chunk_access=credentials)
    return repo, containers


def build_icechunk(
    sources: Iterable[Source],
    store_url: str,
    *,
    access: Access = LOCAL,
    container_prefix: str | None = None,
    dim: str = "time",
    message: str | None = None,
    tag: str | None = None,
    overwrite: bool = False,
    loadable_variables: Sequence[str] | None = None,
    workers: int = 4,
    check_changes: bool = True,
) -> StoreUpdate:
    """Create an Icechunk repository holding a virtual dataset of ``sources`` along ``dim``.

    The repository gets one virtual chunk container, for ``container_prefix`` (default: the folder
    shared by all granules), so the store's own config says which prefix readers must authorize.
    With ``check_changes`` (default), reads refuse a granule modified after it was read here
    (see :func:`change_check_time`); ``False`` lets granules be rewritten in place (same bytes).

    Example:
        >>> update = build_icechunk(["/data/g1.nc4", "/data/g2.nc4"], "/stores/gldas.icechunk",
        ...                         tag="v1", message="initial build")  # doctest: +SKIP
        >>> update.added  # doctest: +SKIP
        ('file:///data/g1.nc4', 'file:///data/g2.nc4')
    """
    import icechunk

    started = time.perf_counter()
    checked_after = change_check_time(check_changes)  # before any granule is read
    sources = list(sources)
    urls = granule_urls(sources)
    prefix = container_prefix or common_prefix(urls)
    if not prefix.endswith("/"):
        prefix += "/"
    outside = [u for u in urls if not u.startswith(prefix)]
    if outside:
        raise ValueError(f"granule {outside[0]} is not under the container prefix {prefix}")
    granules = virtualize_granules(
        sources, access=access, loadable_variables=loadable_variables, workers=workers
    )
    check_consistent(granules, dim)
    vds = concat_granules(sort_and_check_times(granules, dim), dim)

    storage = access.icechunk_storage(store_url)
    if icechunk.Repository.exists(storage):
        if not overwrite:
            raise FileExistsError(
                f"an Icechunk repository already exists at {store_url}; use "
                "`vstore-explorer append` to add granules, or overwrite=True (--overwrite) to rebuild"
            )
        _remove_local_repo(store_url)
        storage = access.icechunk_storage(store_url)
    config = icechunk.RepositoryConfig.default()
    config.manifest = manifest_config(vds, dim)
    config.set_virtual_chunk_container(
        icechunk.VirtualChunkContainer(prefix, access.icechunk_container_store(prefix))
    )
    credentials = icechunk.containers_credentials(
        {prefix: access.icechunk_container_credential(prefix)}
    )
    repo = icechunk.Repository.create(
        storage, config=config, authorize_virtual_chunk_access=credentials
    )
    initial = repo.lookup_branch("main")
    session = repo.writable_session("main")
    vds.vz.to_icechunk(session.store, last_updated_at=checked_after)
    with commit_lock(store_url):
        snapshot = session.commit(message or f"build: {len(granules)} granule(s) along {dim}")
    if tag:
        repo.create_tag(tag, snapshot)
    return StoreUpdate(
        store=to_url(store_url),
        branch="main",
        snapshot_id=snapshot,
        previous_snapshot_id=initial,
        added=tuple(g.url for g in granules),
        tag=tag,
        seconds=time.perf_counter() - started,
        containers=(prefix,),
        checked_after=checked_after if check_changes else None,
    )


def _remove_local_repo(store_url: str) -> None:
    import shutil

    from vstore_explorer.stores.urls import local_path

    if scheme_of(store_url) != "file":
        raise BuildError(f"overwrite is only supported for local repositories, not {store_url}")
    shutil.rmtree(local_path(store_url))


def append_icechunk(
    sources: Iterable[Source],
    store_url: str,
    *,
    access: Access = LOCAL,
    branch: str = "main",
    dim: str = "time",
    message: str | None = None,
    tag: str | None = None,
    loadable_variables: Sequence[str] | None = None,
    workers: int = 4,
    max_conflict_retries: int = 3,
    check_changes: bool = True,
) -> StoreUpdate:
    """Append granules along ``dim`` in one commit; granules already in the store are skipped.

    A granule that does not match the store (grid, chunks, variables, dtypes), that is not under one
    of the store's virtual chunk containers, or whose time is not after the store's last time, is
    refused with a :class:`GranuleMismatchError` naming it, and nothing is written. If another writer
    commits first, the append is re-planned on the new tip (granules it added are then skipped).
    ``check_changes`` applies to the new granules as in :func:`build_icechunk`; the granules
    already in the store keep the time recorded when they were added.

    Example:
        >>> update = append_icechunk(["/data/g2.nc4", "/data/g3.nc4"], "/stores/gldas.icechunk",
        ...                          tag="v2")  # doctest: +SKIP
        >>> update.skipped  # g2 was already in the store  # doctest: +SKIP
        ('file:///data/g2.nc4',)
    """
    import icechunk

    started = time.perf_counter()
    checked_after = change_check_time(check_changes)  # before any granule is read
    sources = list(sources)
    urls = granule_urls(sources)
    by_url = dict(zip(urls, sources, strict=True))  # keep already-virtualized granules as given
    repo, containers = _open_repo(store_url, access)
    for url in urls:
        if not any(url.startswith(p) for p in containers):
            raise GranuleMismatchError(
                url,
                "is not under any virtual chunk container of the store ("
                + ", ".join(sorted(containers))
                + "); rebuild the store with a wider container prefix",
            )
    last_error: Exception | None = None
    for _attempt in range(max_conflict_retries + 1):
        if branch not in repo.list_branches():
            raise ValueError(
                f"branch {branch!r} not in {store_url}; branches: {sorted(repo.list_branches())}"
            )
        previous = repo.lookup_branch(branch)
        session = repo.writable_session(branch)
        raw = xr.open_zarr(session.store, consolidated=False, chunks=None, decode_cf=False)
        existing = xr.open_zarr(session.store, consolidated=False, chunks=None)
        present = set(session.all_virtual_chunk_locations())
        new_urls = [u for u in urls if u not in present]
        skipped = tuple(u for u in urls if u in present)
        if not new_urls:
            return StoreUpdate(
                store=to_url(store_url),
                branch=branch,
                snapshot_id=previous,
                previous_snapshot_id=previous,
                skipped=skipped,
                seconds=time.perf_counter() - started,
                containers=tuple(containers),
            )
        granules = virtualize_granules(
            [by_url[u] for u in new_urls],
            access=access,
            loadable_variables=loadable_variables,
            workers=workers,
        )
        check_consistent(granules, dim, reference=Signature.of(raw, dim))
        ordered = sort_and_check_times(granules, dim)
        _check_after_end(existing, ordered, dim)
        vds = concat_granules(ordered, dim)
        # variables without the append dimension (grid mappings like ``crs``) are already stored
        vds = vds.drop_vars([n for n, v in vds.data_vars.items() if dim not in v.dims])
        vds.vz.to_icechunk(session.store, append_dim=dim, last_updated_at=checked_after)
        try:
            with commit_lock(store_url):  # local repositories: see build/commit_lock.py
                snapshot = session.commit(
                    message or f"append: {len(ordered)} granule(s) along {dim}"
                )
        except icechunk.ConflictError as exc:  # another writer moved the branch: re-plan on its tip
            last_error = exc
            continue
        if tag:
            repo.create_tag(tag, snapshot)
        return StoreUpdate(
            store=to_url(store_url),
            branch=branch,
            snapshot_id=snapshot,
            previous_snapshot_id=previous,
            added=tuple(g.url for g in ordered),
            skipped=skipped,
            tag=tag,
            seconds=time.perf_counter() - started,
            containers=tuple(containers),
            checked_after=checked_after if check_changes else None,
        )
    raise BuildError(
        f"append to {store_url} kept conflicting with other writers ({last_error}); "
        "the store is unchanged, try again"
    )


def _check_after_end(existing: xr.Dataset, granules: Sequence[VirtualGranule], dim: str) -> None:
    if dim not in existing.coords or existing.sizes.get(dim, 0) == 0:
        return
    values = existing[dim].values
    end, present = values[-1], set(values.tolist())
    for granule in granules:
        new = granule.dataset[dim].values
        for value, key in zip(new, new.tolist(), strict=True):
            if key in present:
                raise GranuleMismatchError(
                    granule.url,
                    f"its {dim} {value} is already in the store (another granule has it)",
                )
            if value <= end:
                raise GranuleMismatchError(
                    granule.url,
                    f"its {dim} {value} is not after the store's last {dim} {end}; "
                    "appending only extends the record",
                )
