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
from typing import Any, Literal

from vstore_explorer.catalog.links import StoreLink
from vstore_explorer.codegen import comment_text, literal
from vstore_explorer.errors import InvalidInputError
from vstore_explorer.stores.urls import bucket_and_key, local_path, scheme_of, to_url
from vstore_explorer.stores.versions import Version

CredentialMode = Literal["none", "anonymous", "earthdata", "environment"]


def credential_mode(link: StoreLink, access: Any) -> CredentialMode:
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


def _call(name: str, kwargs: dict[str, Any], raw: Sequence[str] = ()) -> str:
    """``name(k=literal, ...)`` with ``raw`` code fragments (trusted, not from metadata) appended."""
    args = [f"{k}={literal(v)}" for k, v in kwargs.items() if v is not None] + list(raw)
    return f"{name}({', '.join(args)})"


def _earthdata_lines(link: StoreLink) -> list[str]:
    lines = ["import earthaccess", "", "earthaccess.login()  # Earthdata login: ~/.netrc or prompt"]
    if link.s3_credentials_url:
        lines.append(
            f"creds = earthaccess.get_s3_credentials(endpoint={literal(link.s3_credentials_url)})"
        )
    else:
        lines.append(f"creds = earthaccess.get_s3_credentials(provider={literal(link.provider)})")
    return lines


_CREDS_KWARGS = (
    'access_key_id=creds["accessKeyId"]',
    'secret_access_key=creds["secretAccessKey"]',
    'session_token=creds["sessionToken"]',
)


def _icechunk_storage(link: StoreLink, mode: CredentialMode) -> str:
    url = to_url(link.url)
    scheme = scheme_of(url)
    if scheme == "file":
        return _call("icechunk.local_filesystem_storage", {"path": str(local_path(url))})
    if scheme in ("http", "https"):
        return _call("icechunk.http_storage", {"base_url": url.rstrip("/")})
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
        raw = _CREDS_KWARGS
    elif mode == "anonymous":
        kwargs["anonymous"] = True
    else:
        kwargs["from_env"] = True
    return _call("icechunk.s3_storage", kwargs, raw)


def _container_credential(prefix: str, mode: CredentialMode) -> str:
    scheme = scheme_of(prefix)
    if scheme == "file":
        return "icechunk.credentials.LocalFileSystemAccess"
    if scheme in ("http", "https"):
        return "icechunk.credentials.HttpAccess"
    if mode == "earthdata":
        return _call("icechunk.s3_static_credentials", {}, _CREDS_KWARGS)
    if mode == "anonymous":
        return "icechunk.s3_anonymous_credentials()"
    return "icechunk.s3_from_env_credentials()"


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
    :func:`stores.open.connect` does.

    Args:
        version: the branch/tag/snapshot that was opened.
        snapshot_id: the snapshot that was actually read (pins a branch to what was shown).
        containers: the store's virtual chunk container prefixes, each authorized explicitly.
        mode: how credentials are obtained (see :func:`credential_mode`).
        chunks: the ``chunks=`` argument used to open (``None``: lazy, no dask).
        group: the store group that was opened (``None``: the root group).
    """
    chunks_src = literal(dict(chunks) if chunks is not None else None)
    group_src = f"group={literal(group)}, " if group else ""
    if link.kind == "icechunk":
        return _icechunk_source(
            link, version or Version(), snapshot_id, containers, mode, chunks_src, group_src
        )
    url = to_url(link.url)
    if link.kind in ("kerchunk-json", "kerchunk-parquet"):
        fo = str(local_path(url)) if scheme_of(url) == "file" else url
        options: dict[str, Any] = {"fo": fo}
        on_s3 = scheme_of(url) == "s3" or bool(link.endpoint_url)
        if on_s3 or mode == "earthdata":
            # the references and the granules they point to are read with s3fs: both need the
            # endpoint/region; zarr opens the references asynchronously, so the granules' s3fs
            # must be asynchronous too
            s3_options = _fsspec_options(link, mode)
            if scheme_of(url) == "s3" and s3_options:
                options["target_options"] = s3_options
            options["remote_protocol"] = "s3"
            options["remote_options"] = {**s3_options, "asynchronous": True}
        lines = [f"storage_options = {literal(options)}"]
        if mode == "earthdata":
            lines[:0] = [*_earthdata_lines(link), ""]
            lines.append(
                'storage_options["remote_options"].update(key=creds["accessKeyId"], '
                'secret=creds["secretAccessKey"], token=creds["sessionToken"])'
            )
        elif mode == "environment":
            lines[:0] = ["# S3 credentials are read from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY"]
        lines.append(
            f'ds = xr.open_dataset("reference://", engine="zarr", {group_src}'
            'backend_kwargs={"consolidated": False, '
            f'"storage_options": storage_options}}, chunks={chunks_src})'
        )
        return "\n".join(lines)
    if link.kind == "zarr":
        path = str(local_path(url)) if scheme_of(url) == "file" else url
        options = _fsspec_options(link, mode) if scheme_of(url) == "s3" else {}
        extra = f", storage_options={literal(options)}" if options else ""
        return (
            f"ds = xr.open_zarr({literal(path)}, {group_src}consolidated=None, "
            f"chunks={chunks_src}{extra})"
        )
    raise InvalidInputError(f"cannot write code to open a store of kind {link.kind!r}")


def _fsspec_options(link: StoreLink, mode: CredentialMode) -> dict[str, Any]:
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


def _icechunk_source(
    link: StoreLink,
    version: Version,
    snapshot_id: str | None,
    containers: Sequence[str],
    mode: CredentialMode,
    chunks_src: str,
    group_src: str = "",
) -> str:
    lines = ["import icechunk"]
    if mode == "earthdata":
        lines += _earthdata_lines(link)
    lines.append("")
    if mode == "environment":
        lines.append("# S3 credentials are read from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY")
    lines.append(f"storage = {_icechunk_storage(link, mode)}")
    grants = ", ".join(f"{literal(p)}: {_container_credential(p, mode)}" for p in containers)
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
        f"ds = xr.open_zarr(session.store, {group_src}consolidated=False, chunks={chunks_src}, "
        "zarr_format=3)"
    )
    return "\n".join(lines)
