"""Build Icechunk virtual stores (VirtualiZarr ``to_icechunk``), one commit per change.

Every change happens in one writable session and lands in one commit. Validation (readable granules,
same grid/chunks/codecs/encodings/variables/dtypes, times in order) happens before anything is
written; then the written store is read back and compared with the granules (:mod:`.verify`) before
the commit. An error at any step discards the session, so after a failure the branch still points
at the same snapshot. Commits to a local repository hold a file lock (:mod:`.commit_lock`), because
Icechunk's local storage cannot update a branch atomically; a writer that loses a race re-plans.

Every new virtual chunk reference records when its granules were read (Icechunk's "last updated"
checksum): a reader is then refused, with an error naming the granule, any chunk of a granule
modified after that time (rewritten, replaced, truncated or corrupted), instead of decoding wrong
bytes. ``check_changes=False`` turns this off for granules rewritten in place with identical bytes.

One store may hold several groups of the granules (``group=["Global", "Polar"]``): each is
written to the Zarr group of the same path, with its inherited coordinates (:mod:`.layout`).

Example:
    >>> report = build_icechunk(["/data/g1.nc4", "/data/g2.nc4"], "/stores/gldas.icechunk")  # doctest: +SKIP
    >>> report = append_icechunk(["/data/g3.nc4"], "/stores/gldas.icechunk", tag="v2")  # doctest: +SKIP
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import xarray as xr

from vstore_explorer.build.commit_lock import commit_lock
from vstore_explorer.build.coordinates import (
    native_coordinates,
    one_chunk_encoding,
    rewrite_as_one_chunk,
)
from vstore_explorer.build.errors import BuildError
from vstore_explorer.build.executors import Parallel
from vstore_explorer.build.icechunk_append import append_icechunk
from vstore_explorer.build.layout import store_group
from vstore_explorer.build.manifests import (
    INLINE_BYTES,
    MIN_STEPS_PER_MANIFEST,
    REFS_PER_MANIFEST,
    manifest_config,
)
from vstore_explorer.build.plan import GranulePlan, layout_of, plan_granules
from vstore_explorer.build.repo import container_prefix_url, grants, layout_metadata
from vstore_explorer.build.report import NO_CHANGE_CHECK, StoreUpdate, change_check_time
from vstore_explorer.build.verify import verify_store
from vstore_explorer.build.virtualize import Source, granule_urls
from vstore_explorer.errors import InvalidInputError
from vstore_explorer.stores.access import LOCAL, Access
from vstore_explorer.stores.urls import common_prefix, local_path, scheme_of, to_url

__all__ = [
    "NO_CHANGE_CHECK",
    "MIN_STEPS_PER_MANIFEST",
    "REFS_PER_MANIFEST",
    "StoreUpdate",
    "append_icechunk",
    "build_icechunk",
    "change_check_time",
    "manifest_config",
    "write_groups",
]


def write_groups(session: Any, plan: GranulePlan, *, append: bool, last_updated_at: Any) -> None:
    """Write each group's virtual dataset into ``session`` (appending along the layout's dim).

    Coordinates and bounds are written natively, each as one chunk (:mod:`.coordinates`): a
    build encodes them so; an append rewrites those along the dimension (``time``,
    ``time_bnds``) as one chunk of the stored and the new values, in this same session.
    """
    import zarr

    if not append and "/" not in plan.datasets:
        zarr.open_group(session.store, mode="w-", zarr_format=3)  # a root group above the groups
    dim = plan.layout.dim
    for group, vds in plan.datasets.items():
        if append:
            # variables without the append dimension (grid mappings like ``crs``) are stored
            vds = vds.drop_vars([n for n, v in vds.data_vars.items() if dim not in v.dims])
        else:
            vds = one_chunk_encoding(vds)
        vds.vz.to_icechunk(
            session.store,
            group=store_group(group),
            append_dim=dim if append else None,
            last_updated_at=last_updated_at,
        )
        if append:
            rewrite_as_one_chunk(session, group, native_coordinates(vds, dim))


def session_reader(session: Any) -> Any:
    """``read(group)``: a group of the session's (uncommitted) store, decoded and lazy."""

    def read(group: str) -> xr.Dataset:
        return xr.open_zarr(
            session.store, group=store_group(group), consolidated=False, chunks=None, zarr_format=3
        )

    return read


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
    parser: str = "auto",
    group: str | Sequence[str] | None = None,
    time_from: str | None = None,
    parallel: Parallel = None,
    verify: bool = True,
    metadata: Mapping[str, Any] | Callable[[GranulePlan], Mapping[str, Any]] | None = None,
) -> StoreUpdate:
    """Create an Icechunk repository holding a virtual dataset of ``sources`` along ``dim``.

    Args:
        container_prefix: the virtual chunk container (a path or URL; default: the folder shared
            by all granules), so the store's own config says which prefix readers must authorize.
        parser: ``auto`` (a ``.dmrpp`` sidecar if there is one, else by the file's signature),
            ``hdf``, ``dmrpp`` or ``netcdf3``.
        group: one group path or several (``"Grid"``, ``["Global", "Polar"]``); default: the
            root group.
        time_from: ``coord:NAME``, ``attr:NAME`` or ``filename:REGEX``: gives granules without a
            ``time`` dimension one (or orders swaths joined along another ``dim``).
        parallel: ``threads`` (default), ``processes``, ``dask``, an Executor or a
            ``distributed.Client``.
        verify: read the first and last granule back through the store and compare them with
            direct reads before committing (default).
        check_changes: reads refuse a granule modified after it was read here (see
            :func:`change_check_time`); ``False`` lets granules be rewritten in place.
        metadata: extra entries recorded in the commit's ``vstore_explorer`` metadata beside
            the layout, or a function of the planned granules returning them
            (``build_from_cmr`` records its CMR search and granules there).

    Example:
        >>> update = build_icechunk(["/data/g1.nc4", "/data/g2.nc4"], "/stores/gldas.icechunk",
        ...                         tag="v1", message="initial build")  # doctest: +SKIP
        >>> update.added  # doctest: +SKIP
        ('file:///data/g1.nc4', 'file:///data/g2.nc4')
    """
    import icechunk

    started = time.perf_counter()
    checked_after = change_check_time(check_changes)  # before any granule is read
    layout = layout_of(parser, group, dim, time_from, loadable_variables)
    sources = list(sources)
    urls = granule_urls(sources)
    prefix = container_prefix_url(container_prefix) if container_prefix else common_prefix(urls)
    outside = [u for u in urls if not u.startswith(prefix)]
    if outside:
        raise InvalidInputError(f"granule {outside[0]} is not under the container prefix {prefix}")
    storage = access.icechunk_storage(store_url)
    exists = icechunk.Repository.exists(storage)
    if exists and not overwrite:
        raise FileExistsError(
            f"an Icechunk repository already exists at {store_url}; use "
            "`vstore-explorer append` to add granules, or overwrite=True (--overwrite) to rebuild"
        )
    if exists and scheme_of(to_url(store_url)) != "file":
        raise BuildError(f"overwrite is only supported for local repositories, not {store_url}")
    plan = plan_granules(sources, layout, access=access, parallel=parallel, workers=workers)

    with staged_repository(store_url, access) as build_url:
        config = icechunk.RepositoryConfig.default()
        config.manifest = manifest_config(plan.datasets.values(), dim)
        config.inline_chunk_threshold_bytes = INLINE_BYTES  # the coordinates, in their manifests
        config.set_virtual_chunk_container(
            icechunk.VirtualChunkContainer(prefix, access.icechunk_container_store(prefix))
        )
        repo = icechunk.Repository.create(
            access.icechunk_storage(build_url),
            config=config,
            authorize_virtual_chunk_access=grants(access, [prefix]),
        )
        initial = repo.lookup_branch("main")
        session = repo.writable_session("main")
        write_groups(session, plan, append=False, last_updated_at=checked_after)
        verified = (
            verify_store(session_reader(session), plan.granules, dim, access=access)
            if verify
            else None
        )
        with commit_lock(build_url):
            snapshot = session.commit(
                message or f"build: {len(plan.granules)} granule(s) along {dim}",
                metadata=layout_metadata(
                    layout, len(plan.granules), metadata(plan) if callable(metadata) else metadata
                ),
            )
        if tag:
            repo.create_tag(tag, snapshot)
    return StoreUpdate(
        store=to_url(store_url),
        branch="main",
        snapshot_id=snapshot,
        previous_snapshot_id=initial,
        added=tuple(g.url for g in plan.granules),
        tag=tag,
        seconds=time.perf_counter() - started,
        containers=(prefix,),
        checked_after=checked_after if check_changes else None,
        groups=plan.groups,
        parsers=plan.parsers,
        verified=verified,
    )


@contextmanager
def staged_repository(store_url: str, access: Access) -> Iterator[str]:
    """Where to build a new repository so that a failed build leaves nothing behind.

    A local repository is built in a hidden sibling folder and moved into place when complete
    (replacing the old one only then, for an overwrite). An object-store repository is built in
    place and its objects are deleted if the build fails.
    """
    url = to_url(store_url)
    if scheme_of(url) != "file":
        try:
            yield url
        except BaseException:
            delete_prefix(url, access)
            raise
        return
    target = local_path(url)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.building-", dir=target.parent))
    shutil.rmtree(staging)  # Icechunk creates the folder itself
    try:
        yield staging.as_uri()
        old = None
        if target.exists():
            old = target.with_name(f".{target.name}.replaced-{os.getpid()}")
            os.replace(target, old)
        os.replace(staging, target)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def delete_prefix(url: str, access: Access) -> None:
    """Delete every object under ``url`` (a repository this build created and could not finish)."""
    import obstore

    from vstore_explorer.stores.urls import bucket_and_key

    try:
        _bucket, key = bucket_and_key(url)
        store = access.obstore_store(url.rstrip("/") + "/x")
        root = key.rstrip("/") + "/"
        base = store  # the store is rooted at the bucket
        paths = [m["path"] for batch in obstore.list(base, prefix=root) for m in batch]
        if paths:
            obstore.delete(base, paths)
    except Exception:  # best effort: the build's own error is what the user needs to see
        pass
