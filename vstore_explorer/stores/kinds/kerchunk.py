"""Kerchunk references (a JSON file or a Parquet folder): opened through fsspec's
``reference://`` filesystem, and the code that does the same.

Example:
    >>> from vstore_explorer.catalog.links import StoreLink
    >>> from vstore_explorer.stores.versions import Version
    >>> code = open_code(StoreLink("file:///data/refs.json", kind="kerchunk-json"),
    ...                  version=Version(), snapshot_id=None, containers=(), mode="none",
    ...                  chunks=None, group=None)
    >>> code.splitlines()[0]
    "storage_options = {'fo': '/data/refs.json'}"
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from vstore_explorer.catalog.links import StoreLink
from vstore_explorer.codegen import literal
from vstore_explorer.stores.access import Access
from vstore_explorer.stores.groups import pick_group, root_first
from vstore_explorer.stores.handle import ChunksArg, StoreHandle, StoreOpenError
from vstore_explorer.stores.kinds import StoreKind
from vstore_explorer.stores.read_errors import FailedRead, Locator, explain
from vstore_explorer.stores.recipe import (
    CredentialMode,
    chunks_code,
    earthdata_lines,
    group_code,
    s3fs_options,
)
from vstore_explorer.stores.urls import path_or_url, scheme_of, to_url
from vstore_explorer.stores.versions import Version

_UNREACHABLE_TYPES = frozenset(
    {"ConnectionError", "EndpointConnectionError", "ClientConnectionError", "TimeoutError"}
)


def storage_options(link: StoreLink, access: Access) -> dict[str, Any]:
    """fsspec ``reference://`` options for a Kerchunk JSON file or Parquet folder.

    Example:
        >>> link = StoreLink("/data/refs.json", kind="kerchunk-json")  # granules on s3://
        >>> storage_options(link, Access(anonymous=True))  # doctest: +SKIP
        {'fo': '/data/refs.json', 'remote_protocol': 's3', 'remote_options': {'anon': True}}
    """
    url = to_url(link.url)
    options: dict[str, Any] = {"fo": path_or_url(url)}
    target = access.fsspec_options(url)
    if target:
        options["target_options"] = target
    remote = _remote_protocol(link, access)
    if remote:
        options["remote_protocol"] = remote
        remote_options = access.fsspec_options(f"{remote}://x/y")
        if remote_options:
            options["remote_options"] = remote_options
    return options


def _remote_protocol(link: StoreLink, access: Access) -> str | None:
    """The protocol of the granules the references point to (read from the first chunk reference)."""
    import fsspec

    url = to_url(link.url)
    refs = fsspec.filesystem(
        "reference", fo=path_or_url(url), target_options=access.fsspec_options(url)
    ).references
    if isinstance(refs, dict):
        candidates = [v for k, v in refs.items() if not k.rsplit("/", 1)[-1].startswith(".")]
    else:  # Parquet: a LazyReferenceMapper; probe each array's first chunk
        candidates = []
        for key, meta in refs.zmetadata.items():
            if key.endswith("/.zarray"):
                shape = (json.loads(meta) if isinstance(meta, str | bytes) else meta)["shape"]
                first = key[: -len(".zarray")] + (".".join("0" * len(shape)) or "0")
                candidates.append(_get_or_none(refs, first))
    for value in candidates:
        if isinstance(value, list | tuple) and value and isinstance(value[0], str):
            return scheme_of(value[0])
    return None


def _async_remote(options: dict[str, Any]) -> dict[str, Any]:
    """Zarr reads references asynchronously, so an async remote filesystem (s3, http) must be
    created asynchronous too (fsspec refuses to mix them)."""
    import fsspec

    remote = options.get("remote_protocol")
    if not remote or not fsspec.get_filesystem_class(remote).async_impl:
        return options
    return {
        **options,
        "remote_options": {**options.get("remote_options", {}), "asynchronous": True},
    }


def _get_or_none(mapping: Any, key: str) -> Any:
    try:
        return mapping[key]
    except KeyError:
        return None


def _unreachable(exc: BaseException) -> bool:
    """A refused or failed connection or a timeout (OS, botocore, aiohttp), not a bad file."""
    return any(cls.__name__ in _UNREACHABLE_TYPES for cls in type(exc).__mro__)


def _filesystem(link: StoreLink, access: Access) -> tuple[Any, dict[str, Any]]:
    import fsspec

    try:
        options = storage_options(link, access)
        return fsspec.filesystem("reference", **options), options
    except FileNotFoundError as exc:
        raise StoreOpenError(
            f"Kerchunk references not found at {link.url}: check the path or URL, or build them "
            "with `vstore-explorer build`"
        ) from exc
    except Exception as exc:
        if not _unreachable(exc):
            raise
        raise StoreOpenError(
            f"cannot reach the Kerchunk references {link.url}: {exc}. The object store or the "
            "network is down: try again later"
        ) from exc


def _keys(references: Any) -> Any:
    return references.keys() if isinstance(references, dict) else references.zmetadata.keys()


def _array_groups(keys: Any) -> set[str]:
    """The groups (``''``: the root) that hold an array, from the references' ``.zarray`` keys."""
    return {
        k[: -len(".zarray")].rstrip("/").rpartition("/")[0] for k in keys if k.endswith(".zarray")
    }


def connect(
    link: StoreLink, version: Version, access: Access, chunks: ChunksArg, group: str | None
) -> StoreHandle:
    """Open Kerchunk references (the group asked for, or the only one) lazily."""
    import xarray as xr

    fs, options = _filesystem(link, access)
    locate = locator(fs.references)
    keys = _keys(fs.references)
    available = root_first(_array_groups(keys))
    group = pick_group(available, group, link.url, exists=f"{group}/.zgroup" in keys)
    try:
        ds = xr.open_dataset(
            "reference://",
            engine="zarr",
            group=group,
            backend_kwargs={"consolidated": False, "storage_options": _async_remote(options)},
            chunks=chunks,
        )
    except Exception as exc:  # decoding CF times reads virtual variables (time_bnds)
        clear = explain(exc, locate=locate, store=link.url)
        if clear is not None:
            raise clear from exc
        if isinstance(exc, FileNotFoundError):
            raise StoreOpenError(f"Kerchunk references not found at {link.url}") from exc
        raise

    def sizes(keys: Sequence[str]) -> list[int | None]:
        out: list[int | None] = []
        for key in keys:
            try:
                ref = fs.references[key]
            except KeyError:
                out.append(None)
                continue
            if isinstance(ref, list | tuple) and len(ref) == 3:
                out.append(int(ref[2]))
            elif isinstance(ref, list | tuple) and len(ref) == 1:
                out.append(int(fs.fss[scheme_of(ref[0])].size(ref[0])))
            else:
                out.append(len(ref) if isinstance(ref, bytes | str) else None)
        return out

    return StoreHandle(
        link, Version(), access, ds, (), "v2", sizes, None, chunks, locate, group, tuple(available)
    )


def groups(link: StoreLink, access: Access, version: Version) -> list[str]:
    """The groups of the references that hold arrays."""
    fs, _ = _filesystem(link, access)
    return root_first(_array_groups(_keys(fs.references)))


def locator(references: Any) -> Locator:
    """Find the granule of a failed read from the references themselves."""

    def locate(failed: FailedRead) -> list[str]:
        try:
            ref = references[failed.key]
        except Exception:
            return []
        if isinstance(ref, list | tuple) and ref and isinstance(ref[0], str):
            return [to_url(ref[0])]
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
    """``xr.open_dataset("reference://", engine="zarr", ...)`` with the same storage options."""
    url = to_url(link.url)
    options: dict[str, Any] = {"fo": path_or_url(url)}
    on_s3 = scheme_of(url) == "s3" or bool(link.endpoint_url)
    if on_s3 or mode == "earthdata":
        # the references and the granules they point to are read with s3fs: both need the
        # endpoint/region; zarr opens the references asynchronously, so the granules' s3fs
        # must be asynchronous too
        s3_options = s3fs_options(link, mode)
        if scheme_of(url) == "s3" and s3_options:
            options["target_options"] = s3_options
        options["remote_protocol"] = "s3"
        options["remote_options"] = {**s3_options, "asynchronous": True}
    lines = [f"storage_options = {literal(options)}"]
    if mode == "earthdata":
        lines[:0] = [*earthdata_lines(link), ""]
        lines.append(
            'storage_options["remote_options"].update(key=creds["accessKeyId"], '
            'secret=creds["secretAccessKey"], token=creds["sessionToken"])'
        )
    elif mode == "environment":
        lines[:0] = ["# S3 credentials are read from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY"]
    lines.append(
        f'ds = xr.open_dataset("reference://", engine="zarr", {group_code(group)}'
        'backend_kwargs={"consolidated": False, '
        f'"storage_options": storage_options}}, chunks={chunks_code(chunks)})'
    )
    return "\n".join(lines)


JSON = StoreKind(
    name="kerchunk-json",
    label="Kerchunk JSON",
    versioned=False,
    connect=connect,
    groups=groups,
    open_code=open_code,
    sizes_source="Kerchunk references",
)
PARQUET = StoreKind(
    name="kerchunk-parquet",
    label="Kerchunk Parquet",
    versioned=False,
    connect=connect,
    groups=groups,
    open_code=open_code,
    sizes_source="Kerchunk references",
)
