"""The Python code that opens a store exactly as :mod:`vstore_explorer.stores.open` does.

Pure: it writes code, it does no I/O. Every value is a literal (:func:`codegen.literal`), and no
credential is ever written: the code calls ``earthaccess.login()`` for Earthdata stores, reads S3
keys from the environment (``AWS_ACCESS_KEY_ID`` ...) when the user gave explicit keys, or uses
anonymous access. An Icechunk store opened on a branch is pinned to the snapshot that was shown,
so the script reproduces what the explorer displayed even after the branch moves on.

Example:
    >>> from vstore_explorer.catalog.links import StoreLink
    >>> code = open_source(StoreLink("file:///data/refs.json", kind="kerchunk-json"))
    >>> code.splitlines()[0]
    "storage_options = {'fo': '/data/refs.json'}"
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

from vstore_explorer.codegen import literal
from vstore_explorer.errors import InvalidInputError
from vstore_explorer.stores.versions import Version

if TYPE_CHECKING:
    from vstore_explorer.catalog.links import StoreLink
    from vstore_explorer.stores.access import Access

CredentialMode = Literal["none", "anonymous", "earthdata", "environment"]


def credential_mode(link: StoreLink, access: Access | None) -> CredentialMode:
    """How the script should obtain credentials, judged from the link and the Access used."""
    if link.requires_earthdata:
        return "earthdata"
    if getattr(access, "credentials", None) is not None or getattr(
        access, "container_credentials", None
    ):
        return "environment"
    if getattr(access, "anonymous", False) or link.anonymous:
        return "anonymous"
    return "none"


def call_code(name: str, kwargs: dict[str, Any], raw: Sequence[str] = ()) -> str:
    """``name(k=literal, ...)`` with ``raw`` code fragments (trusted, not from metadata) appended."""
    args = [f"{k}={literal(v)}" for k, v in kwargs.items() if v is not None] + list(raw)
    return f"{name}({', '.join(args)})"


def earthdata_lines(link: StoreLink) -> list[str]:
    """``earthaccess.login()`` and the DAAC's temporary S3 credentials as ``creds``."""
    lines = ["import earthaccess", ""]
    if link.s3_credentials_url:  # earthaccess.get_s3_credentials takes no endpoint: its Auth's does
        lines += [
            "auth = earthaccess.login()  # Earthdata login: ~/.netrc or prompt",
            f"creds = auth.get_s3_credentials(endpoint={literal(link.s3_credentials_url)})",
        ]
    else:
        lines += [
            "earthaccess.login()  # Earthdata login: ~/.netrc or prompt",
            f"creds = earthaccess.get_s3_credentials(provider={literal(link.provider)})",
        ]
    return lines


CREDS_KWARGS = (  # the temporary credentials of earthdata_lines, as keyword arguments
    'access_key_id=creds["accessKeyId"]',
    'secret_access_key=creds["secretAccessKey"]',
    'session_token=creds["sessionToken"]',
)


def open_source(
    link: StoreLink,
    *,
    version: Version | None = None,
    snapshot_id: str | None = None,
    containers: Sequence[str] = (),
    mode: CredentialMode = "none",
    chunks: dict[str, int] | None = None,
    group: str | None = None,
) -> str:
    """Code that defines ``ds`` by opening ``link`` (its ``group``, if given) as
    :func:`stores.open.connect` does; each store kind writes its own (``StoreKind.open_code``).

    Args:
        version: the branch/tag/snapshot that was opened (``None``: the default branch).
        snapshot_id: the snapshot that was actually read (pins a branch to what was shown).
        containers: the store's virtual chunk container prefixes, each authorized explicitly.
        mode: how credentials are obtained (see :func:`credential_mode`).
        chunks: the ``chunks=`` argument used to open (``None``: lazy, no dask).
        group: the store group that was opened (``None``: the root group).
    """
    from vstore_explorer.stores.kinds.registry import KINDS

    kind = KINDS.get(link.kind)
    if kind is None:
        raise InvalidInputError(f"cannot write code to open a store of kind {link.kind!r}")
    return kind.open_code(
        link,
        version=version if version is not None else Version(),
        snapshot_id=snapshot_id,
        containers=containers,
        mode=mode,
        chunks=chunks,
        group=group,
    )


def chunks_code(chunks: dict[str, int] | None) -> str:
    """The ``chunks=`` value as code: ``None`` or a dict literal.

    Example:
        >>> chunks_code({"time": 1}), chunks_code(None)
        ("{'time': 1}", 'None')
    """
    return literal(dict(chunks) if chunks is not None else None)


def group_code(group: str | None) -> str:
    """The ``group=...,`` argument (with its trailing space) of an open call, or ``''`` for the root.

    Example:
        >>> group_code("S1"), group_code(None)
        ("group='S1', ", '')
    """
    return f"group={literal(group)}, " if group else ""


def s3fs_options(link: StoreLink, mode: CredentialMode) -> dict[str, Any]:
    """The s3fs options (anonymous access, endpoint, region) written for ``link``.

    Example:
        >>> from vstore_explorer.catalog.links import StoreLink
        >>> s3fs_options(StoreLink("s3://b/x.zarr", kind="zarr", region="us-west-2"), "anonymous")
        {'anon': True, 'client_kwargs': {'region_name': 'us-west-2'}}
    """
    options: dict[str, Any] = {}
    if mode == "anonymous":
        options["anon"] = True
    client: dict[str, Any] = {}
    if link.endpoint_url:
        client["endpoint_url"] = link.endpoint_url
    if link.region:
        client["region_name"] = link.region
    if client:
        options["client_kwargs"] = client
    return options
