"""Plain Zarr stores (v2 or v3, local or on S3/HTTP), and the code that opens them the same way.

Example:
    >>> from vstore_explorer.catalog.links import StoreLink
    >>> from vstore_explorer.stores.versions import Version
    >>> open_code(StoreLink("file:///data/sst.zarr", kind="zarr"), version=Version(),
    ...           snapshot_id=None, containers=(), mode="none", chunks=None, group=None)
    "ds = xr.open_zarr('/data/sst.zarr', consolidated=None, chunks=None)"
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from vstore_explorer.catalog.links import StoreLink
from vstore_explorer.codegen import literal
from vstore_explorer.stores.access import Access
from vstore_explorer.stores.groups import groups_in, has_group, pick_group
from vstore_explorer.stores.handle import ChunksArg, StoreHandle, StoreOpenError
from vstore_explorer.stores.kinds import StoreKind
from vstore_explorer.stores.recipe import CredentialMode, chunks_code, group_code, s3fs_options
from vstore_explorer.stores.urls import path_or_url, scheme_of, to_url
from vstore_explorer.stores.versions import Version


def _root(link: StoreLink, access: Access) -> tuple[Any, str, dict[str, Any] | None]:
    import zarr

    url = to_url(link.url)
    options = access.fsspec_options(url) or None
    try:
        return (
            zarr.open_group(path_or_url(url), mode="r", storage_options=options),
            path_or_url(url),
            options,
        )
    except FileNotFoundError as exc:
        raise StoreOpenError(f"no Zarr store at {link.url}") from exc


def connect(
    link: StoreLink, version: Version, access: Access, chunks: ChunksArg, group: str | None
) -> StoreHandle:
    """Open a Zarr store (the group asked for, or the only one) lazily."""
    import xarray as xr

    root, path, options = _root(link, access)
    available = groups_in(root)
    group = pick_group(available, group, link.url, exists=has_group(root, group))
    ds = xr.open_zarr(path, group=group, consolidated=None, chunks=chunks, storage_options=options)
    style: Literal["v2", "v3"] = "v3" if root.metadata.zarr_format == 3 else "v2"
    return StoreHandle(
        link, Version(), access, ds, (), style, None, None, chunks, None, group, tuple(available)
    )


def groups(link: StoreLink, access: Access, version: Version) -> list[str]:
    """The groups of the store that hold arrays."""
    root, _, _ = _root(link, access)
    return groups_in(root)


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
    """``xr.open_zarr(path, ...)`` with the same group, chunks and S3 options."""
    url = to_url(link.url)
    options = s3fs_options(link, mode) if scheme_of(url) == "s3" else {}
    extra = f", storage_options={literal(options)}" if options else ""
    return (
        f"ds = xr.open_zarr({literal(path_or_url(url))}, {group_code(group)}consolidated=None, "
        f"chunks={chunks_code(chunks)}{extra})"
    )


KIND = StoreKind(
    name="zarr",
    label="Zarr",
    versioned=False,
    connect=connect,
    groups=groups,
    open_code=open_code,
)
