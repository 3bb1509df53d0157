"""Open a virtual store lazily: Icechunk (branch/tag/snapshot), Kerchunk JSON/Parquet, plain Zarr.

:func:`connect` returns a :class:`StoreHandle` (the lazy dataset plus what the cost estimator and the
code exporter need); :func:`open_store` returns just the dataset. Each opener sits next to the code
that :func:`open_source` writes for the exported script, so the two stay the same calls.

Example:
    >>> ds = open_store("/path/to/sst.icechunk", tag="v1")  # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import xarray as xr

from vstore_explorer.catalog.links import StoreLink
from vstore_explorer.errors import InvalidInputError, VStoreError
from vstore_explorer.stores.access import Access, ContainerAccessError, S3Credentials
from vstore_explorer.stores.read_errors import Locator, explain, icechunk_locator, kerchunk_locator
from vstore_explorer.stores.urls import local_path, scheme_of, to_url
from vstore_explorer.stores.versions import StoreVersions, Version

Credentials = Access | S3Credentials | Literal["earthdata", "anonymous"] | None
ChunksArg = dict[str, int] | None


class StoreOpenError(VStoreError, RuntimeError):
    """A store could not be opened; the message names the store and what to do.

    Example:
        >>> try:
        ...     connect("/no/such/store.icechunk")
        ... except StoreOpenError as exc:
        ...     print(exc)
        no Icechunk repository at file:///no/such/store.icechunk
    """


@dataclass(frozen=True)
class StoreHandle:
    """An opened store: its lazy dataset and how to size its chunks without reading them.

    Example:
        >>> handle = connect("/data/sst.icechunk", tag="v1")  # doctest: +SKIP
        >>> handle.chunk_key("analysed_sst", (0, 1, 2))  # doctest: +SKIP
        'analysed_sst/c/0/1/2'
        >>> ds = handle.dataset  # doctest: +SKIP
    """

    link: StoreLink
    version: Version
    access: Access = field(repr=False)
    dataset: xr.Dataset = field(repr=False)
    containers: tuple[str, ...] = ()
    key_style: Literal["v2", "v3"] = "v3"
    _sizer: Callable[[Sequence[str]], list[int | None]] | None = field(default=None, repr=False)
    snapshot_id: str | None = None
    chunks: ChunksArg = None
    _locate: Locator | None = field(default=None, repr=False)
    group: str | None = None
    """The store group opened (``None``: the root group), e.g. ``S1`` or ``data_01/ku``."""

    def open_code(self) -> str:
        """Python code that opens this same store version the same way (defines ``ds``)."""
        from vstore_explorer.stores.recipe import credential_mode, open_source

        return open_source(
            self.link,
            version=self.version,
            snapshot_id=self.snapshot_id,
            containers=self.containers,
            mode=credential_mode(self.link, self.access),
            chunks=self.chunks,
            group=self.group,
        )

    def chunk_key(self, variable: str, index: Sequence[int]) -> str:
        """The store key of one chunk (``var/c/0/1/2`` for Zarr v3, ``var/0.1.2`` for v2), under
        the handle's group (``S1/var/c/0/1``)."""
        path = f"{self.group}/{variable}" if self.group else variable
        if self.key_style == "v3":
            return f"{path}/c/" + "/".join(map(str, index)) if index else f"{path}/c"
        return f"{path}/" + (".".join(map(str, index)) if index else "0")

    def chunk_nbytes(self, keys: Sequence[str]) -> list[int | None]:
        """Stored (compressed) size of each chunk key, from the manifest/references; None if unknown."""
        if self._sizer is None:
            return [None] * len(keys)
        return self._sizer(keys)

    @property
    def exact_sizes(self) -> bool:
        return self._sizer is not None

    def read_error(self, exc: BaseException) -> Exception | None:
        """A clear error (naming variable, chunk and granule URL, or the refused container) for
        ``exc`` if it is a failed chunk read of this store, else ``None``."""
        return explain(exc, locate=self._locate, containers=self.containers, store=self.link.url)


def resolve_access(link: StoreLink, credentials: Credentials = None) -> Access:
    """The :class:`Access` for a link: explicit credentials win; Earthdata ones come from earthaccess.

    Example:
        >>> link = StoreLink("s3://bucket/sst.icechunk", kind="icechunk", region="us-west-2",
        ...                  anonymous=True)
        >>> resolve_access(link)
        Access(endpoint_url=None, region='us-west-2', anonymous=True)
        >>> resolve_access(link, credentials=S3Credentials("AKIDEXAMPLE", "not-shown"))
        Access(endpoint_url=None, region='us-west-2', credentials=***)
    """
    if isinstance(credentials, Access):
        return credentials
    base = {"endpoint_url": link.endpoint_url, "region": link.region}
    if isinstance(credentials, S3Credentials):
        return Access(**base, credentials=credentials)
    if credentials == "anonymous" or (credentials is None and link.anonymous):
        return Access(**base, anonymous=True)
    if credentials == "earthdata":
        return Access(**base, credentials=earthdata_credentials(link))
    if credentials is not None:
        raise InvalidInputError(
            "credentials must be an Access, S3Credentials, 'earthdata', 'anonymous' or None"
        )
    if link.requires_earthdata:
        raise ContainerAccessError(
            f"the store {link.url} reads NASA Earthdata-protected data: pass credentials='earthdata' "
            "(runs earthaccess.login()) or explicit S3 credentials"
        )
    return Access(**base)


def earthdata_credentials(link: StoreLink) -> S3Credentials:
    """Temporary S3 credentials from earthaccess for the link's DAAC (needs an Earthdata login).

    Example:
        >>> link = StoreLink("s3://podaac-ops-cumulus-protected/MUR.icechunk", kind="icechunk",
        ...                  requires_earthdata=True, provider="POCLOUD")
        >>> earthdata_credentials(link)  # doctest: +SKIP
        S3Credentials(access_key_id='***', secret_access_key='***')
    """
    import earthaccess

    auth = earthaccess.login()
    if not getattr(auth, "authenticated", False):
        raise ContainerAccessError(
            "Earthdata login failed: set EARTHDATA_USERNAME/EARTHDATA_PASSWORD or a ~/.netrc entry"
        )
    if link.s3_credentials_url:
        creds = earthaccess.get_s3_credentials(endpoint=link.s3_credentials_url)
    elif link.provider:
        creds = earthaccess.get_s3_credentials(provider=link.provider)
    else:
        raise ContainerAccessError(
            f"cannot tell which DAAC serves {link.url}: the link has no provider or s3credentials URL"
        )
    return S3Credentials.from_earthaccess(creds)


def as_link(link: StoreLink | str) -> StoreLink:
    """A :class:`StoreLink` from a link or a path/URL (kind inferred from the suffix).

    Example:
        >>> as_link("/data/refs.json").url, as_link("/data/refs.json").kind
        ('file:///data/refs.json', 'kerchunk-json')
        >>> as_link("https://host/refs/mur.parq").kind, as_link("s3://bucket/sst.icechunk/").kind
        ('kerchunk-parquet', 'icechunk')
    """
    if isinstance(link, StoreLink):
        return link
    url = to_url(link)
    stripped = url.rstrip("/")
    if stripped.endswith(".json"):
        kind = "kerchunk-json"
    elif stripped.endswith((".parq", ".parquet")):
        kind = "kerchunk-parquet"
    elif (
        stripped.endswith(".zarr")
        or scheme_of(url) == "file"
        and (local_path(url) / "zarr.json").exists()
        and not (local_path(url) / "repo").exists()
    ):
        kind = "zarr"
    else:
        kind = "icechunk"
    return StoreLink(url=url, kind=kind)


def connect(
    link: StoreLink | str,
    *,
    branch: str | None = None,
    tag: str | None = None,
    snapshot: str | None = None,
    credentials: Credentials = None,
    chunks: ChunksArg = None,
    group: str | None = None,
) -> StoreHandle:
    """Open a store lazily and return its :class:`StoreHandle`.

    ``group`` opens one group of a store built from grouped granules (``"S1"``,
    ``"data_01/ku"``). Without it the root group is opened, or, when the root holds no variables
    and the store has exactly one group that does, that group; with several, the error lists them
    (see :func:`list_groups`).

    Example:
        >>> handle = connect("s3://bucket/sst.icechunk", tag="v1",
        ...                  credentials="anonymous")  # doctest: +SKIP
        >>> handle.version.label  # doctest: +SKIP
        'tag v1'
    """
    link = as_link(link)
    if branch is None and tag is None and snapshot is None:
        branch = link.branch
    version = Version(branch=branch, tag=tag, snapshot=snapshot)
    access = resolve_access(link, credentials)
    group = _clean_group(group)
    if link.kind == "icechunk":
        return _connect_icechunk(link, version, access, chunks, group)
    if version not in (Version(), Version(branch="main")):
        raise InvalidInputError(
            f"{link.kind} stores have no versions; branch/tag/snapshot apply to Icechunk only"
        )
    if link.kind in ("kerchunk-json", "kerchunk-parquet"):
        return _connect_kerchunk(link, access, chunks, group)
    if link.kind == "zarr":
        return _connect_zarr(link, access, chunks, group)
    raise StoreOpenError(
        f"cannot open {link.url}: its kind is unknown; pass kind= one of icechunk, kerchunk-json, "
        "kerchunk-parquet, zarr"
    )


def open_store(
    link: StoreLink | str,
    *,
    branch: str | None = None,
    tag: str | None = None,
    snapshot: str | None = None,
    credentials: Credentials = None,
    chunks: ChunksArg = None,
    group: str | None = None,
) -> xr.Dataset:
    """Open a virtual store (or one ``group`` of it) as a lazy :class:`xarray.Dataset`.

    ``chunks=None`` (default) reads lazily without dask, the fastest for small subsets;
    ``chunks={}`` gives dask arrays on the store's chunks, for reductions over many chunks.

    Example:
        >>> ds = open_store("/data/sst.icechunk", branch="main")  # doctest: +SKIP
    """
    return connect(
        link,
        branch=branch,
        tag=tag,
        snapshot=snapshot,
        credentials=credentials,
        chunks=chunks,
        group=group,
    ).dataset


def _clean_group(group: str | None) -> str | None:
    """``'a/b'`` for ``'/a/b/'``; None for the root."""
    if group is None:
        return None
    text = str(group).strip().strip("/")
    if any(part in ("", ".", "..") for part in text.split("/")) and text:
        raise InvalidInputError(f"invalid group {group!r}: give a path such as S1 or data_01/ku")
    return text or None


def groups_in(zgroup: Any) -> list[str]:
    """Paths of the groups under a zarr group that hold at least one array, root first ('')."""
    import zarr

    out = [""] if any(True for _ in zgroup.array_keys()) else []
    for path, member in zgroup.members(max_depth=None):
        if isinstance(member, zarr.Group) and any(True for _ in member.array_keys()):
            out.append(path)
    return sorted(out, key=lambda g: (g != "", g))


def _pick_group(zgroup: Any, group: str | None, url: str) -> str | None:
    """The group to open: the one asked for (checked), else the root, else the only one."""
    available = groups_in(zgroup)
    listed = ", ".join(g or "(root)" for g in available) or "none"
    if group is not None:
        try:
            zgroup[group]
        except KeyError:
            raise StoreOpenError(f"{url} has no group {group!r}; its groups: {listed}") from None
        return group
    if "" in available or not available:
        return None
    if len(available) == 1:
        return available[0]
    raise StoreOpenError(f"{url} holds several groups: pass group= one of {listed}")


# -- Icechunk -----------------------------------------------------------------------------------
def _icechunk_repo(link: StoreLink, access: Access) -> tuple[Any, tuple[str, ...]]:
    import icechunk

    storage = access.icechunk_storage(link.url)
    # bounded retries and timeouts (Access.retries / timeout_s) for manifests and virtual chunks;
    # Icechunk merges this config over the repository's persisted one
    settings = access.icechunk_storage_settings()
    try:  # one open reads the config too (no separate exists / fetch_config round trips)
        repo = icechunk.Repository.open(storage, config=icechunk.RepositoryConfig(storage=settings))
    except icechunk.RepositoryNotFoundError as exc:
        raise StoreOpenError(f"no Icechunk repository at {link.url}") from exc
    except Exception as exc:  # network / permission problems surface here
        raise StoreOpenError(f"cannot reach the Icechunk repository {link.url}: {exc}") from exc
    containers = tuple(sorted(repo.config.virtual_chunk_containers or {}))
    # authorize each container of the store's own config explicitly, prefix by prefix
    grants = {prefix: access.icechunk_container_credential(prefix) for prefix in containers}
    repo = repo.reopen(authorize_virtual_chunk_access=icechunk.containers_credentials(grants))
    return repo, containers


def _connect_icechunk(
    link: StoreLink, version: Version, access: Access, chunks: ChunksArg, group: str | None = None
) -> StoreHandle:
    repo, containers = _icechunk_repo(link, access)
    try:
        session = repo.readonly_session(**version.session_kwargs())
    except Exception as exc:
        versions = StoreVersions.of_repository(repo)
        raise StoreOpenError(
            f"{version.label} not found in {link.url}; branches: {', '.join(versions.branches)}; "
            f"tags: {', '.join(versions.tags) or 'none'}"
        ) from exc
    store = session.store
    locate = icechunk_locator(session, access)
    import zarr

    group = _pick_group(zarr.open_group(store, mode="r", zarr_format=3), group, link.url)
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

        return _run(gather())

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
    )


def list_versions(link: StoreLink | str, *, credentials: Credentials = None) -> StoreVersions:
    """Branches, tags and history (messages and times) of an Icechunk store.

    Example:
        >>> versions = list_versions("/data/sst.icechunk")  # doctest: +SKIP
        >>> sorted(versions.branches)  # doctest: +SKIP
        ['main']
    """
    link = as_link(link)
    if link.kind != "icechunk":
        raise InvalidInputError(f"{link.kind} stores have no versions")
    repo, _ = _icechunk_repo(link, resolve_access(link, credentials))
    return StoreVersions.of_repository(repo, branch=link.branch or "main")


def _run(coro: Any) -> Any:
    """Run a coroutine from sync code, also when an event loop is already running (Jupyter, Panel).

    It runs on zarr's own I/O loop (a thread zarr keeps for its sync API, already started by the
    open), so no event loop is created per call.
    """
    from zarr.core.sync import sync

    return sync(coro)


# -- Kerchunk -----------------------------------------------------------------------------------
def kerchunk_storage_options(link: StoreLink, access: Access) -> dict[str, Any]:
    """fsspec ``reference://`` options for a Kerchunk JSON file or Parquet folder.

    Example:
        >>> link = StoreLink("/data/refs.json", kind="kerchunk-json")  # granules on s3://
        >>> kerchunk_storage_options(link, Access(anonymous=True))  # doctest: +SKIP
        {'fo': '/data/refs.json', 'remote_protocol': 's3', 'remote_options': {'anon': True}}
    """
    url = to_url(link.url)
    fo = str(local_path(url)) if scheme_of(url) == "file" else url
    options: dict[str, Any] = {"fo": fo}
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
    fo = str(local_path(url)) if scheme_of(url) == "file" else url
    refs = fsspec.filesystem(
        "reference", fo=fo, target_options=access.fsspec_options(url)
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


_UNREACHABLE_TYPES = frozenset(
    {"ConnectionError", "EndpointConnectionError", "ClientConnectionError", "TimeoutError"}
)


def _unreachable(exc: BaseException) -> bool:
    """A refused or failed connection or a timeout (OS, botocore, aiohttp), not a bad file."""
    return any(cls.__name__ in _UNREACHABLE_TYPES for cls in type(exc).__mro__)


def _connect_kerchunk(
    link: StoreLink, access: Access, chunks: ChunksArg, group: str | None = None
) -> StoreHandle:
    import fsspec

    try:
        options = kerchunk_storage_options(link, access)
        fs = fsspec.filesystem("reference", **options)
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
    locate = kerchunk_locator(fs.references)
    group = _kerchunk_group(fs.references, group, link.url)
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

    return StoreHandle(link, Version(), access, ds, (), "v2", sizes, None, chunks, locate, group)


def _kerchunk_group(references: Any, group: str | None, url: str) -> str | None:
    """The group to open in Kerchunk references (their keys say which groups hold arrays)."""
    keys = references.keys() if isinstance(references, dict) else references.zmetadata.keys()
    arrays = {
        k[: -len(".zarray")].rstrip("/").rpartition("/")[0] for k in keys if k.endswith(".zarray")
    }
    available = sorted(arrays, key=lambda g: (g != "", g))
    listed = ", ".join(g or "(root)" for g in available) or "none"
    if group is not None:
        if group not in arrays and f"{group}/.zgroup" not in keys:
            raise StoreOpenError(f"{url} has no group {group!r}; its groups: {listed}")
        return group
    if "" in arrays or not arrays:
        return None
    if len(arrays) == 1:
        return available[0]
    raise StoreOpenError(f"{url} holds several groups: pass group= one of {listed}")


# -- Zarr -----------------------------------------------------------------------------------------
def _connect_zarr(
    link: StoreLink, access: Access, chunks: ChunksArg, group: str | None = None
) -> StoreHandle:
    import zarr

    url = to_url(link.url)
    path = str(local_path(url)) if scheme_of(url) == "file" else url
    options = access.fsspec_options(url) or None
    try:
        root = zarr.open_group(path, mode="r", storage_options=options)
    except FileNotFoundError as exc:
        raise StoreOpenError(f"no Zarr store at {link.url}") from exc
    group = _pick_group(root, group, link.url)
    ds = xr.open_zarr(path, group=group, consolidated=None, chunks=chunks, storage_options=options)
    style: Literal["v2", "v3"] = "v3" if root.metadata.zarr_format == 3 else "v2"
    return StoreHandle(link, Version(), access, ds, (), style, None, None, chunks, None, group)


def list_groups(
    link: StoreLink | str, *, credentials: Credentials = None, **version: Any
) -> list[str]:
    """The groups of a store that hold variables (``''`` is the root group).

    Example:
        >>> list_groups("/stores/gpm.icechunk")  # doctest: +SKIP
        ['S1', 'S2']
    """
    import zarr

    link = as_link(link)
    access = resolve_access(link, credentials)
    if link.kind == "icechunk":
        repo, _ = _icechunk_repo(link, access)
        v = Version(**version) if version else Version(branch=link.branch or "main")
        session = repo.readonly_session(**v.session_kwargs())
        return groups_in(zarr.open_group(session.store, mode="r", zarr_format=3))
    if link.kind in ("kerchunk-json", "kerchunk-parquet"):
        import fsspec

        fs = fsspec.filesystem("reference", **kerchunk_storage_options(link, access))
        keys = fs.references.keys() if isinstance(fs.references, dict) else fs.references.zmetadata
        found = {
            k[: -len(".zarray")].rstrip("/").rpartition("/")[0]
            for k in keys
            if k.endswith(".zarray")
        }
        return sorted(found, key=lambda g: (g != "", g))
    url = to_url(link.url)
    path = str(local_path(url)) if scheme_of(url) == "file" else url
    return groups_in(
        zarr.open_group(path, mode="r", storage_options=access.fsspec_options(url) or None)
    )
