"""Append granules to an Icechunk virtual store along its dimension, in one commit.

The granules are read the way the store's last build or append recorded (parser, groups,
dimension, ``time_from``), unless given explicitly. Granules already in the store are skipped; an
append with nothing new is an error (the store is unchanged). Granules outside every virtual
chunk container of the store (the next day's folder of a real archive) get a new container for
their prefix, authorized as for the build, unless ``new_containers=False``.

Example:
    >>> update = append_icechunk(["/data/g2.nc4", "/data/g3.nc4"], "/stores/gldas.icechunk",
    ...                          tag="v2")  # doctest: +SKIP
    >>> update.skipped  # g2 was already in the store  # doctest: +SKIP
    ('file:///data/g2.nc4',)
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

import numpy as np
import xarray as xr

from vstore_explorer.build.commit_lock import commit_lock
from vstore_explorer.build.errors import BuildError, GranuleMismatchError
from vstore_explorer.build.executors import Parallel
from vstore_explorer.build.layout import store_group
from vstore_explorer.build.plan import GranulePlan, layout_of, plan_granules
from vstore_explorer.build.repo import (
    container_prefix_url,
    grants,
    layout_metadata,
    open_repo,
    recorded_layout,
)
from vstore_explorer.build.report import StoreUpdate, change_check_time
from vstore_explorer.build.timing import first_time
from vstore_explorer.build.uniformity import Signature
from vstore_explorer.build.verify import verify_store
from vstore_explorer.build.virtualize import (
    Layout,
    Source,
    VirtualGranule,
    granule_urls,
    virtualize_granules,
)
from vstore_explorer.errors import InvalidInputError
from vstore_explorer.stores.access import LOCAL, Access
from vstore_explorer.stores.urls import common_prefix, to_url


class NothingToAppendError(BuildError):
    """Every granule given is already in the store: nothing was written."""


def _merge_layout(recorded: Layout | None, explicit: Layout, given: dict[str, bool]) -> Layout:
    """The explicit arguments where given, else what the store recorded."""
    if recorded is None:
        return explicit
    return Layout(
        parser=explicit.parser if given["parser"] else recorded.parser,
        groups=explicit.groups if given["group"] else recorded.groups,
        dim=explicit.dim if given["dim"] else recorded.dim,
        time_from=explicit.time_from if given["time_from"] else recorded.time_from,
        loadable_variables=explicit.loadable_variables
        if given["loadable_variables"]
        else recorded.loadable_variables,
    )


def _containers_for(
    urls: Sequence[str],
    containers: Mapping[str, Any],
    *,
    new_containers: bool,
    container_prefix: str | None,
) -> list[str]:
    """New container prefixes the granules need (empty when the store's cover them all)."""
    outside = [u for u in urls if not any(u.startswith(p) for p in containers)]
    if not outside:
        return []
    if not new_containers:
        raise GranuleMismatchError(
            outside[0],
            "is not under any virtual chunk container of the store ("
            + ", ".join(sorted(containers))
            + "); allow a new container for its folder (drop --no-new-containers), or rebuild "
            "the store with a wider --container-prefix",
        )
    if container_prefix:
        prefix = container_prefix_url(container_prefix)
        still = [u for u in outside if not u.startswith(prefix)]
        if still:
            raise GranuleMismatchError(still[0], f"is not under the container prefix {prefix}")
        return [prefix]
    return [common_prefix(outside)]


def _store_datasets(session: Any, layout: Layout) -> dict[str, tuple[Any, xr.Dataset]]:
    """Each group of the store: its zarr group and its decoded dataset."""
    import zarr

    out = {}
    for group in layout.groups or ("/",):
        path = store_group(group)
        try:
            zgroup = zarr.open_group(session.store, path=path or "", mode="r", zarr_format=3)
            decoded = xr.open_zarr(
                session.store, group=path, consolidated=False, chunks=None, zarr_format=3
            )
        except Exception as exc:
            raise BuildError(
                f"the store has no group {group} to append to ({type(exc).__name__}); its layout "
                "is set by the build: pass the same --group options"
            ) from exc
        out[group] = (zgroup, decoded)
    return out


def _store_end(ds: xr.Dataset, dim: str) -> tuple[Any, set[Any]] | None:
    """The store's last value along ``dim`` and every value (None if the store has no order)."""
    if ds.sizes.get(dim, 0) == 0:
        return None
    if dim in ds.indexes:
        values = ds[dim].values
        return values[-1], set(values.tolist())
    for name, var in ds.variables.items():
        units = str(var.encoding.get("units", ""))
        if dim in var.dims and " since " in units and var.dims != (dim,):
            last = var.isel({dim: -1})
            return first_time(last, str(name)), set()
    return None


def _check_after_end(existing: xr.Dataset, granules: Sequence[VirtualGranule], dim: str) -> None:
    end = _store_end(existing, dim)
    if end is None:
        return
    last, present = end
    for granule in granules:
        new = granule.groups[next(iter(granule.groups))]
        values = new[dim].values if dim in new.indexes else np.array([granule.first(dim)])
        for value in values:
            key = value.tolist() if hasattr(value, "tolist") else value
            if key in present:
                raise GranuleMismatchError(
                    granule.url,
                    f"its {dim} {value} is already in the store (another granule has it)",
                )
            if value <= last:
                raise GranuleMismatchError(
                    granule.url,
                    f"its {dim} {value} is not after the store's last {dim} {last}; "
                    "appending only extends the record",
                )


def append_icechunk(
    sources: Iterable[Source],
    store_url: str,
    *,
    access: Access = LOCAL,
    branch: str = "main",
    dim: str | None = None,
    message: str | None = None,
    tag: str | None = None,
    loadable_variables: Sequence[str] | None = None,
    workers: int = 4,
    max_conflict_retries: int = 3,
    check_changes: bool = True,
    parser: str | None = None,
    group: str | Sequence[str] | None = None,
    time_from: str | None = None,
    parallel: Parallel = None,
    verify: bool = True,
    new_containers: bool = True,
    container_prefix: str | None = None,
) -> StoreUpdate:
    """Append granules along the store's dimension in one commit; granules already in it are skipped.

    A granule that does not match the store (grid, chunks, codecs, encodings, variables, dtypes),
    or whose time is not after the store's last time, is refused with a
    :class:`GranuleMismatchError` naming it, and nothing is written. If another writer commits
    first, the append is re-planned on the new tip (granules it added are then skipped).
    ``parser``, ``group``, ``dim``, ``time_from`` default to what the store recorded.

    Raises:
        NothingToAppendError: every granule is already in the store.
    """
    import icechunk

    started = time.perf_counter()
    checked_after = change_check_time(check_changes)  # before any granule is read
    sources = list(sources)
    urls = granule_urls(sources)
    by_url = dict(zip(urls, sources, strict=True))  # keep already-virtualized granules as given
    repo, containers = open_repo(store_url, access)
    if branch not in repo.list_branches():
        raise InvalidInputError(
            f"branch {branch!r} not in {store_url}; branches: {sorted(repo.list_branches())}"
        )
    given = {
        "parser": parser is not None,
        "group": group is not None,
        "dim": dim is not None,
        "time_from": time_from is not None,
        "loadable_variables": loadable_variables is not None,
    }
    explicit = layout_of(parser or "auto", group, dim or "time", time_from, loadable_variables)
    layout = _merge_layout(recorded_layout(repo, branch), explicit, given)
    added_prefixes = _containers_for(
        urls, containers, new_containers=new_containers, container_prefix=container_prefix
    )
    repo = with_containers(repo, access, containers, added_prefixes)
    last_error: Exception | None = None
    for _attempt in range(max_conflict_retries + 1):
        previous = repo.lookup_branch(branch)
        session = repo.writable_session(branch)
        stored = _store_datasets(session, layout)
        present = set(session.all_virtual_chunk_locations())
        new_urls = [u for u in urls if u not in present]
        skipped = tuple(u for u in urls if u in present)
        if not new_urls:
            raise NothingToAppendError(
                f"nothing to append to {store_url}: all {len(urls)} granule(s) are already in the "
                f"store (branch {branch} stays on snapshot {previous})"
            )
        plan = _plan(new_urls, by_url, stored, layout, access, parallel, workers)
        write_order = plan.granules
        first_group = next(iter(stored))
        _check_after_end(stored[first_group][1], write_order, layout.dim)
        starts = {g: int(ds.sizes.get(layout.dim, 0)) for g, (_, ds) in stored.items()}
        from vstore_explorer.build.icechunk_store import session_reader, write_groups

        write_groups(session, plan, append=True, last_updated_at=checked_after)
        verified = None
        if verify:
            verified = 0
            for group in plan.datasets:
                one = [_only(g, group) for g in write_order]
                verified += verify_store(
                    session_reader(session), one, layout.dim, access=access, start=starts[group]
                )
        try:
            return commit_update(
                repo,
                session,
                store_url,
                access=access,
                branch=branch,
                previous=previous,
                message=message or f"append: {len(write_order)} granule(s) along {layout.dim}",
                metadata=layout_metadata(layout, len(write_order)),
                tag=tag,
                containers=containers,
                added_prefixes=added_prefixes,
                checked_after=checked_after if check_changes else None,
                added=tuple(g.url for g in write_order),
                skipped=skipped,
                started=started,
                groups=plan.groups,
                parsers=plan.parsers,
                verified=verified,
            )
        except icechunk.ConflictError as exc:  # another writer moved the branch: re-plan on its tip
            last_error = exc
    raise BuildError(
        f"append to {store_url} kept conflicting with other writers ({last_error}); "
        "the store is unchanged, try again"
    )


def _only(granule: VirtualGranule, group: str) -> VirtualGranule:
    from dataclasses import replace

    return replace(
        granule,
        groups={group: granule.groups[group]},
        sources={group: granule.sources[group]},
    )


def _restore_config(repo: Any, original: Any) -> None:
    """Put the store's config back as it was (a failed append adds no container)."""
    if original is None:
        return
    with contextlib.suppress(Exception):  # best effort: an extra container grants nothing
        repo.reopen(config=original).save_config()


def with_containers(
    repo: Any, access: Access, containers: Mapping[str, Any], added_prefixes: Sequence[str]
) -> Any:
    """The repository with a virtual chunk container for each added prefix in its config (saved
    only at the commit, by :func:`commit_update`), authorized with the store's own containers."""
    if not added_prefixes:
        return repo
    import icechunk

    config = repo.config
    for prefix in added_prefixes:
        config.set_virtual_chunk_container(
            icechunk.VirtualChunkContainer(prefix, access.icechunk_container_store(prefix))
        )
    return repo.reopen(
        config=config,
        authorize_virtual_chunk_access=grants(access, [*containers, *added_prefixes]),
    )


def commit_update(
    repo: Any,
    session: Any,
    store_url: str,
    *,
    access: Access,
    branch: str,
    previous: str,
    message: str,
    metadata: dict[str, Any],
    tag: str | None,
    containers: Mapping[str, Any],
    added_prefixes: Sequence[str],
    checked_after: datetime | None,
    added: tuple[str, ...],
    skipped: tuple[str, ...] = (),
    started: float | None = None,
    groups: tuple[str, ...] = (),
    parsers: Mapping[str, int] | None = None,
    verified: int | None = None,
) -> StoreUpdate:
    """Commit an append's or update's session under the store's lock, tag it, say what it did.

    The config with the added containers is saved just before the commit; if the commit fails the
    store's config is put back as it was and the error (an ``icechunk.ConflictError`` when another
    writer moved the branch) is raised again. ``started`` (``time.perf_counter()``) gives
    ``seconds``; the other arguments are :class:`StoreUpdate`'s.
    """
    import icechunk

    original_config = None
    try:
        with commit_lock(store_url):  # local repositories: see build/commit_lock.py
            if added_prefixes:
                original_config = icechunk.Repository.fetch_config(
                    access.icechunk_storage(store_url)
                )
                repo.save_config()
            snapshot = session.commit(message, metadata=metadata)
    except BaseException:
        _restore_config(repo, original_config)
        raise
    if tag:
        repo.create_tag(tag, snapshot)
    return StoreUpdate(
        store=to_url(store_url),
        branch=branch,
        snapshot_id=snapshot,
        previous_snapshot_id=previous,
        added=added,
        skipped=skipped,
        tag=tag,
        seconds=0.0 if started is None else time.perf_counter() - started,
        containers=tuple(sorted({*containers, *added_prefixes})),
        checked_after=checked_after,
        groups=groups,
        parsers=parsers if parsers is not None else {},
        verified=verified,
        new_containers=tuple(added_prefixes),
    )


def _plan(
    new_urls: Sequence[str],
    by_url: Mapping[str, Any],
    stored: Mapping[str, tuple[Any, xr.Dataset]],
    layout: Layout,
    access: Access,
    parallel: Parallel,
    workers: int,
) -> GranulePlan:
    """Virtualize the new granules and check them against the store's groups."""
    granules = virtualize_granules(
        [by_url[u] for u in new_urls],
        access=access,
        layout=layout,
        parallel=parallel,
        workers=workers,
    )
    virtual = {
        str(n)
        for g in granules[:1]
        for ds in g.groups.values()
        for n, v in ds.data_vars.items()
        if hasattr(v.variable._data, "manifest")
    }
    reference = {
        group: Signature.of_store(zgroup, decoded, layout.dim, virtual)
        for group, (zgroup, decoded) in stored.items()
    }
    return plan_granules(
        granules, layout, access=access, parallel=parallel, workers=workers, reference=reference
    )
