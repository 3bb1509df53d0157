"""URL helpers shared by the store openers and the builders (pure string handling, no I/O).

Example:
    >>> to_url("/data/granules/a.nc")
    'file:///data/granules/a.nc'
    >>> parent_prefix("s3://bucket/sst/2024/a.nc")
    's3://bucket/sst/2024/'
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

from vstore_explorer.errors import InvalidInputError

SUPPORTED_SCHEMES = ("file", "s3", "http", "https")


def to_url(location: str | os.PathLike[str]) -> str:
    """A URL with a scheme for a local path or URL (local paths become absolute ``file://`` URLs)."""
    text = os.fspath(location)
    if not text:
        raise InvalidInputError(
            "empty location: give a local path or a file://, s3:// or https:// URL"
        )
    scheme = urlsplit(text).scheme
    if scheme in SUPPORTED_SCHEMES:
        return text
    if len(scheme) > 1:  # a one-letter scheme is a Windows drive letter
        raise InvalidInputError(
            f"unsupported URL scheme {scheme!r} in {text!r}; use one of "
            + ", ".join(f"{s}://" for s in SUPPORTED_SCHEMES)
        )
    return Path(text).expanduser().resolve().as_uri()


def scheme_of(url: str) -> str:
    """The scheme of a URL or ``file`` for a bare path."""
    return urlsplit(to_url(url)).scheme


def local_path(url: str) -> Path:
    """The filesystem path of a ``file://`` URL (or a bare path)."""
    url = to_url(url)
    parts = urlsplit(url)
    if parts.scheme != "file":
        raise InvalidInputError(f"{url!r} is not a local file URL")
    return Path(unquote(parts.path))


def path_or_url(url: str) -> str:
    """What fsspec and zarr open: the local path of a ``file://`` URL, any other URL as it is.

    Example:
        >>> path_or_url("file:///data/refs.json"), path_or_url("s3://bucket/refs.json")
        ('/data/refs.json', 's3://bucket/refs.json')
    """
    return str(local_path(url)) if scheme_of(url) == "file" else url


def parent_prefix(url: str) -> str:
    """The folder prefix (ending in ``/``) that contains ``url``."""
    url = to_url(url)
    return url.rsplit("/", 1)[0] + "/"


def common_prefix(urls: list[str]) -> str:
    """The longest folder prefix (ending in ``/``) shared by all ``urls``.

    Example:
        >>> common_prefix(["s3://b/x/1.nc", "s3://b/x/y/2.nc"])
        's3://b/x/'
    """
    if not urls:
        raise InvalidInputError("no URLs given")
    parents = [parent_prefix(u) for u in urls]
    prefix = os.path.commonprefix(parents)
    prefix = prefix[: prefix.rfind("/") + 1]
    scheme = urlsplit(parents[0]).scheme
    if len(prefix) <= len(f"{scheme}://"):
        raise InvalidInputError(f"URLs share no common folder: {parents[0]!r} ... {parents[-1]!r}")
    return prefix


def bucket_and_key(url: str) -> tuple[str, str]:
    """Split ``s3://bucket/key`` into bucket and key."""
    parts = urlsplit(url)
    if parts.scheme != "s3" or not parts.netloc:
        raise InvalidInputError(f"{url!r} is not an s3://bucket/key URL")
    return parts.netloc, parts.path.lstrip("/")


def public_url(url: str) -> str:
    """``url`` without what may be a secret: user info (``user:password@``) and the query
    string (pre-signed URLs carry credentials there); what provenance records.

    Example:
        >>> public_url("https://user:pw@data.example/a.nc?X-Amz-Signature=abc")
        'https://data.example/a.nc'
    """
    parts = urlsplit(str(url))
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))
