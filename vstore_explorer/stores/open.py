"""Open a virtual store lazily: Icechunk (branch/tag/snapshot), Kerchunk JSON/Parquet, plain Zarr.

:func:`connect` returns a :class:`StoreHandle` (the lazy dataset plus what the cost estimator and the
code exporter need); :func:`open_store` returns just the dataset. Each store kind
(:mod:`vstore_explorer.stores.kinds`) opens itself and writes its own opening code, so the two stay
the same calls.

Example:
    >>> ds = open_store("/path/to/sst.icechunk", tag="v1")  # doctest: +SKIP
"""

from __future__ import annotations

import os
from functools import partial
from typing import Literal

import xarray as xr

from vstore_explorer.catalog.links import StoreLink
from vstore_explorer.errors import InvalidInputError
from vstore_explorer.stores.access import Access, ContainerAccessError, S3Credentials
from vstore_explorer.stores.groups import clean_group
from vstore_explorer.stores.handle import ChunksArg, GroupChoiceError, StoreHandle, StoreOpenError
from vstore_explorer.stores.kinds import StoreKind
from vstore_explorer.stores.kinds.icechunk import repository
from vstore_explorer.stores.kinds.kerchunk import storage_options as kerchunk_storage_options
from vstore_explorer.stores.kinds.registry import KINDS, guess_kind
from vstore_explorer.stores.urls import to_url
from vstore_explorer.stores.versions import StoreVersions, Version

Credentials = Access | S3Credentials | Literal["earthdata", "anonymous"] | None

__all__ = [
    "ChunksArg",
    "Credentials",
    "GroupChoiceError",
    "StoreHandle",
    "StoreOpenError",
    "as_link",
    "connect",
    "earthdata_credentials",
    "kerchunk_storage_options",
    "list_groups",
    "list_versions",
    "open_store",
    "resolve_access",
]


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
    base = partial(Access, endpoint_url=link.endpoint_url, region=link.region)
    if isinstance(credentials, S3Credentials):
        return base(credentials=credentials)
    if credentials == "anonymous" or (credentials is None and link.anonymous):
        return base(anonymous=True)
    if credentials == "earthdata":
        return base(credentials=earthdata_credentials(link))
    if credentials is not None:
        raise InvalidInputError(
            "credentials must be an Access, S3Credentials, 'earthdata', 'anonymous' or None"
        )
    if link.requires_earthdata:
        raise ContainerAccessError(
            f"the store {link.url} reads NASA Earthdata-protected data: pass credentials='earthdata' "
            "(runs earthaccess.login()) or explicit S3 credentials"
        )
    return base()


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
        creds = auth.get_s3_credentials(endpoint=link.s3_credentials_url)  # not in the api
    elif link.provider:
        creds = earthaccess.get_s3_credentials(provider=link.provider)
    else:
        raise ContainerAccessError(
            f"cannot tell which DAAC serves {link.url}: the link has no provider or s3credentials URL"
        )
    return S3Credentials.from_earthaccess(creds)


def as_link(link: StoreLink | str | os.PathLike[str]) -> StoreLink:
    """A :class:`StoreLink` from a link or a path/URL (kind inferred from the name, see
    :func:`stores.kinds.registry.guess_kind`).

    Example:
        >>> as_link("/data/refs.json").url, as_link("/data/refs.json").kind
        ('file:///data/refs.json', 'kerchunk-json')
        >>> as_link("https://host/refs/mur.parq").kind, as_link("s3://bucket/sst.icechunk/").kind
        ('kerchunk-parquet', 'icechunk')
    """
    if isinstance(link, StoreLink):
        return link
    return StoreLink(url=to_url(link), kind=guess_kind(link))


def _kind(link: StoreLink) -> StoreKind:
    kind = KINDS.get(link.kind)
    if kind is None:
        raise StoreOpenError(
            f"cannot open {link.url}: its kind is unknown; pass kind= one of {', '.join(KINDS)}"
        )
    return kind


def _version(link: StoreLink, kind: StoreKind, **asked: str | None) -> Version:
    if not any(asked.values()):
        asked["branch"] = link.branch
    version = Version(**asked)
    if not kind.versioned and version not in (Version(), Version(branch="main")):
        raise InvalidInputError(
            f"{link.kind} stores have no versions; branch/tag/snapshot apply to Icechunk only"
        )
    return version


def connect(
    link: StoreLink | str | os.PathLike[str],
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
    kind = _kind(link)
    version = _version(link, kind, branch=branch, tag=tag, snapshot=snapshot)
    access = resolve_access(link, credentials)
    from vstore_explorer.stores.fast_decode import use_fast_decoding  # numcodecs: not at start-up

    use_fast_decoding()  # before the arrays are opened: each keeps the pipeline it opened with
    return kind.connect(link, version, access, chunks, clean_group(group))


def open_store(
    link: StoreLink | str | os.PathLike[str],
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


def list_groups(
    link: StoreLink | str | os.PathLike[str],
    *,
    credentials: Credentials = None,
    branch: str | None = None,
    tag: str | None = None,
    snapshot: str | None = None,
) -> list[str]:
    """The groups of a store that hold variables (``''`` is the root group).

    Example:
        >>> list_groups("/stores/gpm.icechunk")  # doctest: +SKIP
        ['S1', 'S2']
    """
    link = as_link(link)
    kind = _kind(link)
    version = _version(link, kind, branch=branch, tag=tag, snapshot=snapshot)
    return kind.groups(link, resolve_access(link, credentials), version)


def list_versions(
    link: StoreLink | str | os.PathLike[str], *, credentials: Credentials = None
) -> StoreVersions:
    """Branches, tags and history (messages and times) of an Icechunk store.

    Example:
        >>> versions = list_versions("/data/sst.icechunk")  # doctest: +SKIP
        >>> sorted(versions.branches)  # doctest: +SKIP
        ['main']
    """
    link = as_link(link)
    if not _kind(link).versioned:
        raise InvalidInputError(f"{link.kind} stores have no versions")
    repo, _ = repository(link, resolve_access(link, credentials))
    return StoreVersions.of_repository(repo, branch=link.branch or "main")
