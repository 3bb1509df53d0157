"""Icechunk repositories: opened on a branch, tag or snapshot, and the code that does the same.

The exported code pins a branch to the snapshot that was shown, so the script reproduces what the
explorer displayed after the branch moves on; each virtual chunk container is authorized prefix by
prefix from the repository's own config, never with a blanket grant.

Example:
    >>> from vstore_explorer.catalog.links import StoreLink
    >>> from vstore_explorer.stores.versions import Version
    >>> code = open_code(StoreLink("file:///data/sst.icechunk", kind="icechunk"),
    ...                  version=Version(tag="v1"), snapshot_id=None, containers=(),
    ...                  mode="none", chunks=None, group=None)
    >>> code.splitlines()[-2]
    "session = repo.readonly_session(tag='v1')"
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from vstore_explorer.catalog.links import StoreLink
from vstore_explorer.codegen import comment_text, literal
from vstore_explorer.stores.access import Access
from vstore_explorer.stores.groups import groups_in, has_group, pick_group
from vstore_explorer.stores.handle import ChunksArg, StoreHandle, StoreOpenError, run_sync
from vstore_explorer.stores.kinds import StoreKind
from vstore_explorer.stores.read_errors import (
    MAX_PROBES,
    FailedRead,
    Locator,
    explain,
    granule_sizes,
    granules_of_size,
    matching_urls,
    missing_granules,
)
from vstore_explorer.stores.recipe import (
    CREDS_KWARGS,
    CredentialMode,
    call_code,
    chunks_code,
    earthdata_lines,
    group_code,
)
from vstore_explorer.stores.urls import bucket_and_key, local_path, scheme_of, to_url
from vstore_explorer.stores.versions import StoreVersions, Version


def repository(link: StoreLink, access: Access) -> tuple[Any, tuple[str, ...]]:
    """The opened repository, its virtual chunk containers authorized one by one, and their
    prefixes."""
    import icechunk

    storage = access.icechunk_storage(link.url)
    # bounded retries and timeouts (Access.retries / timeout_s), one request per chunk and
    # Access.concurrency requests in flight, for manifests and virtual chunks; Icechunk merges
    # this config over the repository's persisted one; zarr's limit is process-wide
    access.apply_zarr_concurrency()
    try:  # one open reads the config too (no separate exists / fetch_config round trips)
        repo = icechunk.Repository.open(storage, config=access.icechunk_config())
    except icechunk.RepositoryNotFoundError as exc:
        raise StoreOpenError(f"no Icechunk repository at {link.url}") from exc
    except Exception as exc:  # network / permission problems surface here
        raise StoreOpenError(f"cannot reach the Icechunk repository {link.url}: {exc}") from exc
    containers = tuple(sorted(repo.config.virtual_chunk_containers or {}))
    grants = {prefix: access.icechunk_container_credential(prefix) for prefix in containers}
    repo = repo.reopen(authorize_virtual_chunk_access=icechunk.containers_credentials(grants))
    return repo, containers


def _session(repo: Any, link: StoreLink, version: Version) -> Any:
    try:
        return repo.readonly_session(**version.session_kwargs())
    except Exception as exc:
        versions = StoreVersions.of_repository(repo)
        raise StoreOpenError(
            f"{version.label} not found in {link.url}; branches: {', '.join(versions.branches)}; "
            f"tags: {', '.join(versions.tags) or 'none'}"
        ) from exc


def connect(
    link: StoreLink, version: Version, access: Access, chunks: ChunksArg, group: str | None
) -> StoreHandle:
    """Open one version of an Icechunk repository (the group asked for, or the only one)."""
    import xarray as xr
    import zarr

    repo, containers = repository(link, access)
    session = _session(repo, link, version)
    store = session.store
    locate = locator(session, access)
    root = zarr.open_group(store, mode="r", zarr_format=3)
    available = groups_in(root)
    group = pick_group(available, group, link.url, exists=has_group(root, group))
    try:  # decoding CF times reads the first and last value of virtual variables (time_bnds)
        ds = xr.open_zarr(store, group=group, consolidated=False, chunks=chunks, zarr_format=3)
    except Exception as exc:
        clear = explain(exc, locate=locate, containers=containers, store=link.url)
        if clear is None:
            raise
        raise clear from exc

    def sizes(keys: Sequence[str]) -> list[int | None]:
        async def one(key: str) -> int | None:
            try:
                return int(await store.getsize(key))
            except Exception:  # a missing chunk is a fill-value chunk: nothing to read
                return None

        async def gather() -> list[int | None]:
            return list(await asyncio.gather(*(one(k) for k in keys)))

        return run_sync(gather())

    return StoreHandle(
        link,
        version,
        access,
        ds,
        containers,
        "v3",
        sizes,
        session.snapshot_id,
        chunks,
        locate,
        group,
        tuple(available),
    )


def groups(link: StoreLink, access: Access, version: Version) -> list[str]:
    """The groups of one version of the repository that hold arrays."""
    import zarr

    repo, _ = repository(link, access)
    session = _session(repo, link, version)
    return groups_in(zarr.open_group(session.store, mode="r", zarr_format=3))


def locator(session: Any, access: Access) -> Locator:
    """Find the granule of a failed read: from the location in the error, else by checking which
    of the store's granules no longer exists, or is cut short."""

    def locate(failed: FailedRead) -> list[str]:
        try:
            urls = sorted(set(session.all_virtual_chunk_locations()))
        except Exception:  # the manifests themselves are unreachable: nothing more to tell
            return []
        if failed.location:
            found = matching_urls(urls, failed.location)
            if found:
                return found
        if len(urls) > MAX_PROBES:
            return []
        if failed.missing:
            return missing_granules(urls, access)
        if failed.short_size is not None:  # a truncated granule: the one of the reported size
            return granules_of_size(urls, access, failed.short_size)
        if failed.expected_length is not None:  # only a smaller granule cannot hold the chunk
            length = failed.expected_length
            sizes = granule_sizes(urls, access)
            found = [u for u, n in zip(urls, sizes, strict=True) if n and n < length]
            return found if len(found) == 1 else []
        return []

    return locate


def open_code(
    link: StoreLink,
    *,
    version: Version,
    snapshot_id: str | None,
    containers: Sequence[str],
    mode: CredentialMode,
    chunks: dict[str, int] | None,
    group: str | None,
) -> str:
    """``icechunk.Repository.open`` with each container authorized, a pinned read-only session,
    and ``xr.open_zarr`` on it."""
    lines = ["import icechunk"]
    if mode == "earthdata":
        lines += earthdata_lines(link)
    lines.append("")
    if mode == "environment":
        lines.append("# S3 credentials are read from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY")
    lines.append(f"storage = {_storage_code(link, mode)}")
    grants = ", ".join(f"{literal(p)}: {_container_credential_code(p, mode)}" for p in containers)
    lines.append("# authorize each virtual chunk container of the store, prefix by prefix")
    lines.append(f"credentials = icechunk.containers_credentials({{{grants}}})")
    lines.append(
        "repo = icechunk.Repository.open(storage, authorize_virtual_chunk_access=credentials)"
    )
    if version.tag:
        lines.append(f"session = repo.readonly_session(tag={literal(version.tag)})")
    elif snapshot_id:
        if not version.snapshot:
            lines.append(
                f"# {comment_text(version.label)} as displayed; use branch= for the latest"
            )
        lines.append(f"session = repo.readonly_session(snapshot_id={literal(snapshot_id)})")
    else:
        lines.append(f"session = repo.readonly_session(**{literal(version.session_kwargs())})")
    lines.append(
        f"ds = xr.open_zarr(session.store, {group_code(group)}consolidated=False, "
        f"chunks={chunks_code(chunks)}, zarr_format=3)"
    )
    return "\n".join(lines)


def _storage_code(link: StoreLink, mode: CredentialMode) -> str:
    url = to_url(link.url)
    scheme = scheme_of(url)
    if scheme == "file":
        return call_code("icechunk.local_filesystem_storage", {"path": str(local_path(url))})
    if scheme in ("http", "https"):
        return call_code("icechunk.http_storage", {"base_url": url.rstrip("/")})
    bucket, prefix = bucket_and_key(url)
    kwargs: dict[str, Any] = {
        "bucket": bucket,
        "prefix": prefix.rstrip("/") or None,
        "region": link.region,
        "endpoint_url": link.endpoint_url,
    }
    if link.endpoint_url:
        kwargs.update(allow_http=link.endpoint_url.startswith("http://"), force_path_style=True)
    raw: tuple[str, ...] = ()
    if mode == "earthdata":
        raw = CREDS_KWARGS
    elif mode == "anonymous":
        kwargs["anonymous"] = True
    else:
        kwargs["from_env"] = True
    return call_code("icechunk.s3_storage", kwargs, raw)


def _container_credential_code(prefix: str, mode: CredentialMode) -> str:
    scheme = scheme_of(prefix)
    if scheme == "file":
        return "icechunk.credentials.LocalFileSystemAccess"
    if scheme in ("http", "https"):
        return "icechunk.credentials.HttpAccess"
    if mode == "earthdata":
        return call_code("icechunk.s3_static_credentials", {}, CREDS_KWARGS)
    if mode == "anonymous":
        return "icechunk.s3_anonymous_credentials()"
    return "icechunk.s3_from_env_credentials()"


KIND = StoreKind(
    name="icechunk",
    label="Icechunk",
    versioned=True,
    connect=connect,
    groups=groups,
    open_code=open_code,
    sizes_source="Icechunk manifest",
)
