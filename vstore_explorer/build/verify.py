"""Verify before commit: a sample read back through the new store equals a direct read of the granule.

A virtual store that builds but decodes wrong is the worst outcome: every later read is silently
wrong, or fails with an error that names nothing. So before a build or append commits, the first
and last granule of the change are read back through the store being written (every variable of
every group, CF-decoded by xarray) and compared, value for value, with the same variables read
straight from the granule with netCDF4 (h5netcdf or scipy for granules on S3/HTTP). A mismatch,
or a read that fails, raises :class:`VerificationError` naming the granule, the variable and the
codec pipeline, and nothing is committed.

Large variables are compared on two blocks (the first and the last chunk-sized corner), so the
check reads a bounded number of bytes whatever the granule's size.

Example:
    >>> verify_store(lambda group: store_ds, ordered_granules, "time")  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack
from types import MappingProxyType
from typing import Any

import numpy as np
import xarray as xr

from vstore_explorer.build.errors import GranuleError
from vstore_explorer.build.virtualize import VirtualGranule
from vstore_explorer.chunks import known_storage_chunks
from vstore_explorer.stores.access import LOCAL, Access
from vstore_explorer.stores.urls import local_path, scheme_of

FULL_COMPARE_BYTES = 16_000_000
"""Variables up to this many decoded bytes per granule are compared whole, larger ones on blocks."""

HDF5_FILTERS = MappingProxyType(
    {
        1: "deflate",
        2: "shuffle",
        3: "fletcher32",
        4: "szip",
        5: "nbit",
        6: "scaleoffset",
        307: "bzip2",
        32000: "lzf",
        32001: "blosc",
        32004: "lz4",
        32015: "zstd",
    }
)


class VerificationError(GranuleError):
    """A granule reads back differently through the new store than directly; nothing was committed."""


def _direct_engine(url: str, parser: str) -> str:
    if parser == "netcdf3":
        return "netcdf4" if scheme_of(url) == "file" else "scipy"
    return "netcdf4" if scheme_of(url) == "file" else "h5netcdf"


class DirectReader:
    """Opens groups of granules directly (netCDF4 locally; h5netcdf/scipy over obstore otherwise)."""

    def __init__(self, access: Access, stack: ExitStack) -> None:
        self.access = access
        self.stack = stack
        self.cache: dict[tuple[str, str], xr.Dataset] = {}

    def group(self, granule: VirtualGranule, group: str) -> xr.Dataset:
        key = (granule.url, group)
        if key not in self.cache:
            self.cache[key] = self._open(granule, group)
        return self.cache[key]

    def _open(self, granule: VirtualGranule, group: str) -> xr.Dataset:
        engine = _direct_engine(granule.url, granule.parser)
        target: Any
        kwargs: dict[str, Any] = {}
        if scheme_of(granule.url) == "file":
            target = str(local_path(granule.url))
        else:
            from obspec_utils.readers import BlockStoreReader

            from vstore_explorer.build.virtualize import registry_for

            store, path = registry_for([granule.url], self.access).resolve(granule.url)
            target = self.stack.enter_context(_closing(BlockStoreReader(store, path)))
        if engine == "h5netcdf":
            kwargs["phony_dims"] = "sort"
        if group != "/":
            kwargs["group"] = group
        ds = xr.open_dataset(target, engine=engine, cache=False, **kwargs)
        self.stack.callback(ds.close)
        return ds

    def variable(self, granule: VirtualGranule, source: str) -> xr.DataArray:
        parent, _, name = source.rpartition("/")
        return self.group(granule, parent or "/")[name]


class _closing:
    def __init__(self, obj: Any) -> None:
        self.obj = obj

    def __enter__(self) -> Any:
        return self.obj

    def __exit__(self, *exc: Any) -> None:
        close = getattr(self.obj, "close", None)
        if callable(close):
            close()


def _blocks(shape: tuple[int, ...], chunks: tuple[int, ...] | None, itemsize: int) -> Iterator[Any]:
    """Index windows to compare: everything when small, else the first and last corner block."""
    if int(np.prod(shape, dtype=np.int64)) * itemsize <= FULL_COMPARE_BYTES or not shape:
        yield ()
        return
    sizes = chunks if chunks and len(chunks) == len(shape) else tuple(min(n, 256) for n in shape)
    yield tuple(slice(0, min(c, n)) for c, n in zip(sizes, shape, strict=True))
    yield tuple(slice(max(0, n - min(c, n)), n) for c, n in zip(sizes, shape, strict=True))


def _equal(a: np.ndarray, b: np.ndarray) -> tuple[bool, str]:
    """Whether two decoded arrays hold the same values (NaN/NaT equal), and the first difference."""
    if a.shape != b.shape:
        return False, f"shape {a.shape} in the store vs {b.shape} in the file"
    if a.dtype.kind in "SUOT" or b.dtype.kind in "SUOT":
        same = np.asarray(a).astype(str) == np.asarray(b).astype(str)
    elif a.dtype.kind == "M" or b.dtype.kind == "M":
        a64, b64 = a.astype("datetime64[ns]"), b.astype("datetime64[ns]")
        same = (a64 == b64) | (np.isnat(a64) & np.isnat(b64))
    else:
        af, bf = a.astype("float64"), b.astype("float64")
        same = (af == bf) | (np.isnan(af) & np.isnan(bf))
    if bool(np.all(same)):
        return True, ""
    bad = np.argwhere(~np.asarray(same))
    where = tuple(int(i) for i in bad[0])
    return False, (
        f"{len(bad)} of {same.size} values differ, first at index {where}: "
        f"store {a[where]!r} vs file {b[where]!r}"
    )


def declared_pipeline(granule: VirtualGranule, source: str, access: Access = LOCAL) -> str | None:
    """The HDF5 filter pipeline a granule's dataset declares (``shuffle -> deflate(6)``), if HDF5."""
    if granule.parser == "netcdf3":
        return None
    try:
        import h5py

        if scheme_of(granule.url) == "file":
            handle: Any = str(local_path(granule.url))
        else:
            from obspec_utils.readers import BlockStoreReader

            from vstore_explorer.build.virtualize import registry_for

            store, path = registry_for([granule.url], access).resolve(granule.url)
            handle = BlockStoreReader(store, path)
        with h5py.File(handle, "r") as f:
            plist = f[source].id.get_create_plist()
            steps = []
            for i in range(plist.get_nfilters()):
                code, _flags, values, _name = plist.get_filter(i)
                label = HDF5_FILTERS.get(code, f"filter {code}")
                steps.append(f"{label}({', '.join(map(str, values))})" if values else label)
            return " -> ".join(steps) or "none"
    except Exception:  # best effort: only for the message
        return None


def _store_pipeline(var: xr.DataArray) -> str:
    parts = []
    for key in ("filters", "serializer", "compressors"):
        value = var.encoding.get(key)
        if value:
            items = value if isinstance(value, list | tuple) else [value]
            parts += [type(v).__name__ if not hasattr(v, "codec_id") else v.codec_id for v in items]
    return " -> ".join(parts) or "none"


def _fail(
    granule: VirtualGranule,
    group: str,
    name: str,
    source: str,
    what: str,
    store_var: xr.DataArray | None,
    access: Access,
) -> VerificationError:
    where = name if group == "/" else f"{name} (group {group})"
    pipeline = _store_pipeline(store_var) if store_var is not None else "unknown"
    declared = declared_pipeline(granule, source, access)
    text = (
        f"variable {where} reads back wrong through the new store ({what}); codec pipeline in "
        f"the store: {pipeline}"
        + (f"; the file declares: {declared}" if declared else "")
        + f"; read by {granule.read_by()}. Nothing was committed: "
    )
    if granule.parser == "dmrpp":
        text += (
            f"the DMR++ sidecar {granule.sidecar} and the granule {granule.url} disagree (the "
            "sidecar may describe another version of the file): build with --parser hdf, or "
            "regenerate the sidecar"
        )
    elif declared and "deflate" in declared and declared.count("deflate") > 1:
        text += (
            "VirtualiZarr's HDF parser cannot express a pipeline that repeats a filter; if the "
            "granule has a DMR++ sidecar, put it beside the granule and build with --parser dmrpp"
        )
    else:
        text += "this layout is not supported yet; please report it with the granule's name"
    return VerificationError(granule.url, text)


def _offsets(granules: Sequence[VirtualGranule], group: str, dim: str) -> list[int]:
    out, position = [], 0
    for g in granules:
        out.append(position)
        position += int(g.groups[group].sizes.get(dim, 0))
    return out


def verify_store(
    read_group: Callable[[str], xr.Dataset],
    granules: Sequence[VirtualGranule],
    dim: str,
    *,
    access: Access = LOCAL,
    start: int = 0,
) -> int:
    """Compare the first and last of ``granules`` (in store order, the first at position
    ``start`` along ``dim``) through ``read_group(group)`` with direct reads; returns how many
    variables were compared. Raises :class:`VerificationError` on the first mismatch."""
    if not granules:
        return 0
    picks = [0] if len(granules) == 1 else [0, len(granules) - 1]
    checked = 0
    with ExitStack() as stack:
        direct = DirectReader(access, stack)
        for group in granules[0].groups:
            store_ds = read_group(group)
            offsets = _offsets(granules, group, dim)
            for index in picks:
                granule = granules[index]
                own = granule.groups[group]
                n = int(own.sizes.get(dim, 0))
                window = slice(start + offsets[index], start + offsets[index] + n)
                for name, source in granule.sources[group].items():
                    if name not in store_ds.variables:
                        continue
                    checked += _compare_one(
                        granule,
                        group,
                        name,
                        source,
                        store_ds[name],
                        own,
                        window,
                        dim,
                        direct,
                        access,
                        first=index == 0,
                    )
    return checked


def _compare_one(
    granule: VirtualGranule,
    group: str,
    name: str,
    source: str,
    store_var: xr.DataArray,
    own: xr.Dataset,
    window: slice,
    dim: str,
    direct: DirectReader,
    access: Access,
    *,
    first: bool,
) -> int:
    if dim not in store_var.dims and not first:
        return 0  # shared by every granule: compared with the first one
    try:
        file_var = direct.variable(granule, source)
    except Exception as exc:
        raise VerificationError(
            granule.url,
            f"cannot be read directly to check the store ({type(exc).__name__}: {exc}); nothing "
            "was committed. Pass --no-verify (verify=False) to build without this check",
        ) from exc
    part = store_var.isel({dim: window}) if dim in store_var.dims else store_var
    # --time-from gave the granule a length-1 dimension the file does not have
    added = dim in part.dims and part.ndim == file_var.ndim + 1
    itemsize = max(1, np.dtype(file_var.dtype).itemsize)
    chunks = known_storage_chunks(store_var)
    if chunks and dim in store_var.dims:
        chunks = tuple(
            c for d, c in zip(store_var.dims, chunks, strict=True) if not (added and d == dim)
        )
    shape = tuple(file_var.shape)
    for block in _blocks(shape, chunks, itemsize):
        try:
            expected = np.asarray(file_var[block].values if block else file_var.values)
        except Exception as exc:
            raise VerificationError(
                granule.url,
                f"variable {name} cannot be read directly to check the store ({exc}); nothing was "
                "committed. Pass --no-verify (verify=False) to build without this check",
            ) from exc
        try:
            got_var = part.isel({dim: 0}) if added else part
            got = np.asarray(got_var[block].values if block else got_var.values)
        except Exception as exc:
            raise _fail(
                granule,
                group,
                name,
                source,
                f"reading it fails: {type(exc).__name__}: {exc}",
                store_var,
                access,
            ) from exc
        same, why = _equal(got, expected)
        if not same:
            raise _fail(granule, group, name, source, why, store_var, access)
    return 1
