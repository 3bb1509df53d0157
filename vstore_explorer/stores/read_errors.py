"""Clear errors for chunk reads that fail: which variable, which chunk, which granule, what to do.

Icechunk and fsspec report a failed virtual chunk read with the chunk key and, depending on where
the granule lives, its location (local files, HTTP) or only the server's answer (S3
``NoSuchKey``). :func:`explain` turns such an error into a :class:`GranuleReadError` naming the
variable, the chunk and the granule URL (found from the message, the references, or by checking
which of the store's granules is gone), or a :class:`ContainerAccessError` naming the container
prefix when access was refused. A granule modified after the store recorded it (Icechunk's
"checksum ... has changed (URL)") is reported as changed, with its URL. Errors that are not failed
chunk reads are left alone (``None``).

Example:
    >>> failed = parse_failed_read(RuntimeError(
    ...     'Reference "sst/3.0.0" failed to fetch target /data/g4.nc'))
    >>> failed.variable, failed.chunk, failed.location
    ('sst', (3, 0, 0), '/data/g4.nc')
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from vstore_explorer.errors import VStoreError
from vstore_explorer.stores.access import Access, ContainerAccessError
from vstore_explorer.stores.urls import bucket_and_key, local_path, scheme_of

MAX_PROBES = 2000  # granules checked for existence when an error does not say which one is gone

_KEY = re.compile(r'with key="(?P<ic>[^"]+)"|Reference "(?P<fs>[^"]+)"')
_LOCATION = re.compile(
    r"Object at location (?P<ic>\S+) not found|failed to fetch target (?P<fs>\S+)"
)
_CHANGED = re.compile(  # Icechunk's "last updated" check: the object was modified after the build
    r"checksum of the object owning the virtual chunk has changed \((?P<url>\S+)\)"
)
_MISSING = re.compile(r"not found|NoSuchKey|No such file", re.IGNORECASE)
_DENIED = re.compile(r"AccessDenied|Access Denied|Forbidden", re.IGNORECASE)
_UNREACHABLE = re.compile(
    r"Connection refused|connect error|Connection reset|dispatch failure|timed out|Broken pipe"
    r"|error reading a body|end of file before message length"
    r"|Could not connect to the endpoint|Cannot connect to host|Connect call failed",
    re.IGNORECASE,
)
_SHORT = re.compile(r"object was only (?P<size>\d+) bytes long")  # a granule cut short
_TOO_SMALL = re.compile(r"not enough data\. Expected: \((?P<length>\d+)\)")  # on S3


class GranuleReadError(VStoreError, OSError):
    """A chunk could not be read from its granule (missing, moved or unreadable file).

    Attributes:
        variable: the variable whose chunk failed.
        chunk: the chunk's grid index, when known.
        url: the granule the chunk points into, when known.
    """

    def __init__(
        self,
        message: str,
        *,
        variable: str | None = None,
        chunk: tuple[int, ...] | None = None,
        url: str | None = None,
    ) -> None:
        super().__init__(message)
        self.variable = variable
        self.chunk = chunk
        self.url = url


@dataclass(frozen=True)
class FailedRead:
    """What a backend error says about a failed chunk read."""

    key: str
    location: str | None
    missing: bool
    denied: bool
    cause: str
    unreachable: bool = False  # the server, not the granule: refused, reset, timed out
    changed: bool = False

    def _parts(self) -> tuple[str, tuple[int, ...] | None]:
        """(array path, chunk index) of a Zarr v3 (``g/v/c/1/0``) or v2 (``g/v/1.0``) key."""
        parts = self.key.split("/")
        for i in range(len(parts) - 1, 0, -1):
            if parts[i] == "c" and all(p.isdigit() for p in parts[i + 1 :]):
                return "/".join(parts[:i]), tuple(int(p) for p in parts[i + 1 :])
        last = parts[-1].split(".")
        if len(parts) >= 2 and all(p.isdigit() for p in last):
            return "/".join(parts[:-1]), tuple(int(p) for p in last)
        return parts[0], None

    @property
    def variable(self) -> str:
        """The variable's name (without the store group it is in)."""
        return self._parts()[0].rsplit("/", 1)[-1]

    @property
    def chunk(self) -> tuple[int, ...] | None:
        """The chunk index from a Zarr v3 (``v/c/1/0``) or v2 (``v/1.0``) key."""
        return self._parts()[1]

    @property
    def short_size(self) -> int | None:
        """The size of a granule cut short, when the error says it ("object was only N bytes")."""
        short = _SHORT.search(self.cause)
        return int(short.group("size")) if short else None

    @property
    def expected_length(self) -> int | None:
        """The bytes a read expected when the object was too small (S3 "not enough data")."""
        small = _TOO_SMALL.search(self.cause)
        return int(small.group("length")) if small else None


Locator = Callable[[FailedRead], list[str]]
"""Granule URL(s) a failed read points into (best guess first), or an empty list."""


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _unreachable(chain: Sequence[BaseException], text: str) -> bool:
    """The server could not be reached or broke off (from any error of the chain)."""
    return bool(_UNREACHABLE.search(text)) or any(isinstance(e, ConnectionError) for e in chain)


def parse_failed_read(exc: BaseException) -> FailedRead | None:
    """The key, location and kind of a failed chunk read, or None if ``exc`` is something else."""
    chain = list(_chain(exc))
    everything = "\n".join(str(err) for err in chain)
    for err in chain:
        text = str(err)
        key = _KEY.search(text)
        if key is None:
            continue
        location = _LOCATION.search(text)
        changed = _CHANGED.search(everything)
        first = text.strip().splitlines()[0] if text.strip() else type(err).__name__
        if location:
            where: str | None = location.group("ic") or location.group("fs")
        else:
            where = changed.group("url") if changed else None
        return FailedRead(
            key=key.group("ic") or key.group("fs"),
            location=where,
            missing=bool(_MISSING.search(everything))
            or any(isinstance(e, FileNotFoundError) for e in chain),
            denied=bool(_DENIED.search(everything))
            or any(isinstance(e, PermissionError) for e in chain),
            cause=f"{type(err).__name__}: {first}",
            unreachable=_unreachable(chain, everything),
            changed=changed is not None,
        )
    return None


def explain(
    exc: BaseException,
    *,
    locate: Locator | None = None,
    containers: Sequence[str] = (),
    store: str = "",
) -> Exception | None:
    """A clear error for ``exc`` if it is a failed chunk read, else ``None``."""
    failed = parse_failed_read(exc)
    if failed is None:
        return None
    chunk = failed.chunk
    where = f"chunk {chunk}" if chunk is not None else f"chunk {failed.key!r}"
    what = f"variable {failed.variable!r} {where}"
    if store:
        what += f" of {store}"
    if failed.changed:
        return _changed(failed, what)
    if failed.denied and not failed.missing:
        prefixes = [p for p in containers if scheme_of(p) != "file"] or list(containers)
        named = ", ".join(repr(p) for p in prefixes) or "its virtual chunk container"
        return ContainerAccessError(
            f"reading {what} was refused by {named} ({failed.cause}); pass credentials that "
            "can read it (Access(container_credentials={prefix: S3Credentials(...)}), "
            "credentials='earthdata' for NASA data), or anonymous access for a public bucket"
        )
    if not failed.missing and failed.unreachable:  # the server, not the granule
        remote = [p for p in containers if scheme_of(p) != "file"] or list(containers)
        named = ", ".join(repr(p) for p in remote) or "its virtual chunk container"
        root = list(_chain(exc))[-1]
        cause = failed.cause
        if root is not exc and _UNREACHABLE.search(str(root)) and str(root) not in cause:
            cause += f"; {type(root).__name__}: {str(root).strip().splitlines()[0]}"
        return GranuleReadError(
            f"cannot read {what}: the server of {failed.location or named} could not be reached "
            f"or broke off the transfer [{cause}]. The object store or the network is "
            "down: try again later (the store and its granules are unchanged).",
            variable=failed.variable,
            chunk=chunk,
            url=failed.location,
        )
    urls = locate(failed) if locate is not None else []
    url = urls[0] if urls else failed.location
    state = "was not found" if failed.missing else "could not be read"
    more = (
        f" (and {len(urls) - 1} more granule(s) of the store are missing)" if len(urls) > 1 else ""
    )
    return GranuleReadError(
        f"cannot read {what}: its granule {url or '(unknown location)'} {state}{more} "
        f"[{failed.cause}]. The store points into a file that was moved, deleted or changed: "
        "restore it, or rebuild the store from the granules that exist.",
        variable=failed.variable,
        chunk=chunk,
        url=url,
    )


def _changed(failed: FailedRead, what: str) -> GranuleReadError:
    """The granule behind the chunk was modified after the store recorded it."""
    url = failed.location
    return GranuleReadError(
        f"cannot read {what}: its granule {url or '(unknown location)'} changed after it was "
        "added to the store (it was modified, replaced, truncated or corrupted since), so the "
        f"store's byte ranges may no longer match it [{failed.cause}]. Restore the original file, "
        "or rebuild the store from the current granules (`vstore-explorer build --overwrite`; "
        "add --no-change-check only if granules are rewritten in place with identical bytes).",
        variable=failed.variable,
        chunk=failed.chunk,
        url=url,
    )


# -- helpers for the kinds' locators (stores.kinds.*: icechunk_locator, kerchunk_locator) --------
def matching_urls(urls: Sequence[str], location: str) -> list[str]:
    """URLs whose end is ``location`` (a local path, or a path on an HTTP/S3 server).

    Example:
        >>> matching_urls(["s3://b/g/1.nc", "s3://b/g/2.nc"], "g/2.nc")
        ['s3://b/g/2.nc']
    """
    tail = location if location.startswith("/") else "/" + location
    return [u for u in urls if u == location or u.endswith(tail)]


def granules_of_size(urls: Sequence[str], access: Access, size: int) -> list[str]:
    """The URLs among ``urls`` whose object or file is ``size`` bytes long (checked concurrently)."""
    sizes = granule_sizes(urls, access)
    return [u for u, n in zip(urls, sizes, strict=True) if n == size]


def granule_sizes(urls: Sequence[str], access: Access) -> list[int | None]:
    """The size of each URL's object or file (None when it cannot be known)."""
    import obstore

    from vstore_explorer.stores.handle import run_sync

    stores: dict[str, Any] = {}

    async def size(url: str) -> int | None:
        if scheme_of(url) == "file":
            file = local_path(url)
            return file.stat().st_size if file.exists() else None
        root, key = _root_and_path(url)
        store = stores.setdefault(root, access.obstore_store(url))
        try:
            return int((await obstore.head_async(store, key))["size"])
        except Exception:
            return None

    async def check() -> list[int | None]:
        return list(await asyncio.gather(*(size(u) for u in urls)))

    return run_sync(check())


def _root_and_path(url: str) -> tuple[str, str]:
    if scheme_of(url) == "s3":
        bucket, path = bucket_and_key(url)
        return f"s3://{bucket}", path
    root, _, path = url.partition("://")[2].partition("/")
    return url.split("://", 1)[0] + "://" + root, path


def missing_granules(urls: Sequence[str], access: Access) -> list[str]:
    """The URLs among ``urls`` whose object or file does not exist (checked concurrently)."""
    import obstore

    from vstore_explorer.stores.handle import run_sync

    stores: dict[str, Any] = {}

    async def gone(url: str) -> bool:
        scheme = scheme_of(url)
        if scheme == "file":
            return not local_path(url).exists()
        if scheme == "s3":
            bucket, path = bucket_and_key(url)
            root = f"s3://{bucket}"
        else:
            root, _, path = url.partition("://")[2].partition("/")
            root = url.split("://", 1)[0] + "://" + root
        store = stores.setdefault(root, access.obstore_store(url))
        try:
            await obstore.head_async(store, path)
        except Exception as exc:  # only a clear "not found" counts as gone
            return "NotFound" in type(exc).__name__ or bool(_MISSING.search(str(exc)))
        return False

    async def check() -> list[bool]:
        return list(await asyncio.gather(*(gone(u) for u in urls)))

    return [u for u, g in zip(urls, run_sync(check()), strict=True) if g]
