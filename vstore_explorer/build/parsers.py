"""Which VirtualiZarr parser reads a granule: HDF5/NetCDF4, its DMR++ sidecar, or netCDF-3.

``auto`` (the default) uses ``<granule URL>.dmrpp`` when it exists, else the file's first bytes:
HDF5's signature means :class:`~virtualizarr.parsers.HDFParser`, ``CDF\\x01``/``CDF\\x02``/
``CDF\\x05`` means :class:`~virtualizarr.parsers.NetCDF3Parser`. A DMR++ sidecar's own
``dmrpp:href`` is ignored: it is often a path of the server that wrote it or a placeholder, so
the chunk references always point at the granule URL the user gave.

Example:
    >>> sniff(b"\\x89HDF\\r\\n\\x1a\\n")
    'hdf'
    >>> sniff(b"CDF\\x01\\x00\\x00\\x00\\x00")
    'netcdf3'
    >>> split_sidecar("s3://bucket/a.h5.dmrpp")
    ('s3://bucket/a.h5', 's3://bucket/a.h5.dmrpp')
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal, get_args

from vstore_explorer.build.errors import GranuleError
from vstore_explorer.errors import InvalidInputError

ParserChoice = Literal["auto", "hdf", "dmrpp", "netcdf3"]
"""What ``--parser`` / ``parser=`` accept."""
ParserKind = Literal["hdf", "dmrpp", "netcdf3"]
"""The parser actually used for one granule."""
PARSER_CHOICES: tuple[str, ...] = get_args(ParserChoice)

HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
NETCDF3_SIGNATURES = (b"CDF\x01", b"CDF\x02", b"CDF\x05")
HDF4_SIGNATURE = b"\x0e\x03\x13\x01"
SIDECAR_SUFFIX = ".dmrpp"
SNIFF_BYTES = 8


@dataclass(frozen=True)
class ParsePlan:
    """How one granule is parsed: the parser, the granule URL and, for DMR++, the sidecar's bytes.

    Example:
        >>> ParsePlan("file:///d/a.h5", "hdf").describe()
        'HDF5 (h5py)'
        >>> ParsePlan("file:///d/a.h5", "dmrpp", "file:///d/a.h5.dmrpp", b"<Dataset/>").describe()
        'DMR++ sidecar file:///d/a.h5.dmrpp'
    """

    url: str
    kind: ParserKind
    sidecar: str | None = None
    sidecar_bytes: bytes | None = None

    def describe(self) -> str:
        if self.kind == "dmrpp":
            return f"DMR++ sidecar {self.sidecar}"
        return {"hdf": "HDF5 (h5py)", "netcdf3": "netCDF-3"}[self.kind]


def check_choice(choice: str) -> ParserChoice:
    """``choice`` if it is a known parser, else a ValueError listing them."""
    if choice not in PARSER_CHOICES:
        raise InvalidInputError(
            f"unknown parser {choice!r}; choose one of {', '.join(PARSER_CHOICES)}"
        )
    return choice  # type: ignore[return-value]


def sniff(head: bytes) -> Literal["hdf", "netcdf3", "hdf4", "unknown"]:
    """The format a file's first bytes announce."""
    if head.startswith(HDF5_SIGNATURE):
        return "hdf"
    if head[:4] in NETCDF3_SIGNATURES:
        return "netcdf3"
    if head.startswith(HDF4_SIGNATURE):
        return "hdf4"
    return "unknown"


def split_sidecar(url: str) -> tuple[str, str]:
    """(granule URL, sidecar URL) for a granule or a ``.dmrpp`` sidecar URL."""
    if url.endswith(SIDECAR_SUFFIX):
        return url[: -len(SIDECAR_SUFFIX)], url
    return url, url + SIDECAR_SUFFIX


def _resolve(registry: Any, url: str) -> tuple[Any, str]:
    return registry.resolve(url)


def _read_all(registry: Any, url: str) -> bytes | None:
    """The whole object at ``url`` in one GET, or None if it does not exist."""
    import obstore

    store, path = _resolve(registry, url)
    try:
        return bytes(obstore.get(store, path).bytes())
    except FileNotFoundError:
        return None


def _head(registry: Any, url: str) -> bytes:
    import obstore

    store, path = _resolve(registry, url)
    try:
        return bytes(obstore.get_range(store, path, start=0, length=SNIFF_BYTES))
    except FileNotFoundError:
        raise GranuleError(url, "file not found") from None
    except Exception as exc:
        if "range" in str(exc).lower() or "size" in str(exc).lower():  # shorter than 8 bytes
            data = _read_all(registry, url) or b""
            return data[:SNIFF_BYTES]
        raise


def _exists(registry: Any, url: str) -> bool:
    import obstore

    store, path = _resolve(registry, url)
    try:
        obstore.head(store, path)
    except FileNotFoundError:
        return False
    return True


def href_of(sidecar: bytes) -> str | None:
    """The ``dmrpp:href`` a DMR++ document records (for messages only; it is never used)."""
    match = re.search(rb'dmrpp:href="([^"]*)"', sidecar[:4096])
    return match.group(1).decode("utf-8", "replace") if match else None


def plan_parse(url: str, choice: ParserChoice, registry: Any) -> ParsePlan:
    """Decide how to parse ``url`` (a granule, or its ``.dmrpp`` sidecar), reading as little as
    possible: one GET for a DMR++ sidecar, 8 bytes otherwise.

    Raises a :class:`GranuleError` naming the granule, what was found and what to pass instead.
    """
    choice = check_choice(choice)
    given_sidecar = url.endswith(SIDECAR_SUFFIX)
    granule, sidecar = split_sidecar(url)
    if given_sidecar and choice not in ("auto", "dmrpp"):
        raise GranuleError(url, f"is a DMR++ sidecar: use --parser dmrpp (or auto), not {choice}")
    if choice in ("auto", "dmrpp"):
        document = _read_all(registry, sidecar)
        if document is not None:
            if given_sidecar and not _exists(registry, granule):
                href = href_of(document)
                raise GranuleError(
                    granule,
                    f"not found next to its DMR++ sidecar {sidecar} (the sidecar's dmrpp:href "
                    f"{href!r} is a path of the server that wrote it and is not used): put the "
                    "sidecar beside its granule, or pass the granule's own URL",
                )
            return ParsePlan(granule, "dmrpp", sidecar, document)
        if choice == "dmrpp" or given_sidecar:
            raise GranuleError(
                granule,
                f"has no DMR++ sidecar ({sidecar} not found): use --parser auto or hdf to read "
                "the granule itself",
            )
    found = sniff(_head(registry, granule))
    if found == "hdf4":
        raise GranuleError(
            granule, "is an HDF4 file: vstore-explorer builds from NetCDF4/HDF5 and netCDF-3 only"
        )
    if found == "unknown":
        raise GranuleError(
            granule,
            "is neither NetCDF4/HDF5 nor netCDF-3 (its first bytes are no known signature): "
            "check that it is a whole, uncompressed granule",
        )
    if choice == "hdf" and found == "netcdf3":
        raise GranuleError(
            granule, "is a netCDF-3 (classic) file, not HDF5: use --parser netcdf3 (or auto)"
        )
    if choice == "netcdf3" and found == "hdf":
        raise GranuleError(
            granule, "is a NetCDF4/HDF5 file, not netCDF-3: use --parser hdf (or auto)"
        )
    return ParsePlan(granule, found)
