"""Granules -> virtual xarray datasets with VirtualiZarr's HDFParser, checked for consistency.

Example:
    >>> from vstore_explorer.build.virtualize import virtualize_granules
    >>> granules = virtualize_granules(["/data/a.nc4", "/data/b.nc4"])  # doctest: +SKIP
    >>> combined = concat_granules(granules, dim="time")  # doctest: +SKIP
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import xarray as xr

from vstore_explorer.build.errors import GranuleError, GranuleMismatchError
from vstore_explorer.stores.access import LOCAL, Access
from vstore_explorer.stores.urls import scheme_of, to_url

Source = str | os.PathLike[str] | Any


@dataclass(frozen=True)
class VirtualGranule:
    """One granule's virtual dataset and where it came from."""

    url: str
    dataset: xr.Dataset

    def first(self, dim: str) -> Any:
        """The first coordinate value along ``dim`` (used to order granules)."""
        if dim not in self.dataset.coords:
            raise GranuleError(self.url, f"has no {dim!r} coordinate to order or append along")
        return self.dataset[dim].values[0]


def granule_urls(sources: Iterable[Source]) -> list[str]:
    """URLs of granules given as paths, URLs, catalog ``Granule`` records or earthaccess results.

    For records with several links, ``s3://`` links are preferred (direct access), then https.
    """
    urls: list[str] = []
    for source in sources:
        if isinstance(source, VirtualGranule):
            urls.append(source.url)
            continue
        if isinstance(source, str | os.PathLike):
            urls.append(to_url(source))
            continue
        links: list[str] = []
        if callable(getattr(source, "data_links", None)):  # earthaccess DataGranule
            links = list(source.data_links(access="direct")) or list(source.data_links())
        else:  # vstore_explorer.catalog Granule (s3_links / https_links)
            links = list(getattr(source, "s3_links", ()) or getattr(source, "https_links", ()))
        if not links:
            raise ValueError(f"granule record {source!r} has no data link to virtualize")
        urls.append(to_url(links[0]))
    if not urls:
        raise ValueError("no granules given: pass paths, URLs or granule records")
    duplicates = sorted({u for u in urls if urls.count(u) > 1})
    if duplicates:
        raise ValueError(f"granules given more than once: {', '.join(duplicates[:5])}")
    return urls


def registry_for(urls: Sequence[str], access: Access = LOCAL) -> Any:
    """An obspec ``ObjectStoreRegistry`` that can read every URL in ``urls``."""
    from obspec_utils.registry import ObjectStoreRegistry

    stores: dict[str, Any] = {}
    for url in urls:
        scheme = scheme_of(url)
        root = "file://" if scheme == "file" else "/".join(url.split("/", 3)[:3])
        if root not in stores:
            stores[root] = access.obstore_store(url)
    return ObjectStoreRegistry(stores)


def _virtualize_one(
    url: str, registry: Any, loadable_variables: Sequence[str] | None
) -> VirtualGranule:
    from virtualizarr import open_virtual_dataset
    from virtualizarr.parsers import HDFParser

    if scheme_of(url) == "file":
        from vstore_explorer.stores.urls import local_path

        path = local_path(url)
        if not path.is_file():
            raise GranuleError(url, "file not found")
    try:
        vds = open_virtual_dataset(
            url,
            registry=registry,
            parser=HDFParser(),
            loadable_variables=loadable_variables,
        )
    except GranuleError:
        raise
    except Exception as exc:  # h5py/obstore raise many types; name the granule, keep the cause
        raise GranuleError(
            url, f"cannot be virtualized as NetCDF4/HDF5 ({type(exc).__name__}: {exc})"
        ) from exc
    return VirtualGranule(url, vds)


def virtualize_granules(
    sources: Iterable[Source],
    *,
    access: Access = LOCAL,
    loadable_variables: Sequence[str] | None = None,
    executor: Executor | None = None,
    workers: int = 4,
) -> list[VirtualGranule]:
    """Virtualize each granule with VirtualiZarr's ``HDFParser``, in the order given.

    Already-virtualized :class:`VirtualGranule` inputs are reused as they are, so one
    virtualization can feed several stores. Dimension coordinates are loaded (VirtualiZarr's
    default), which also copes with real files whose coordinate chunks are oversized (GHRSST
    GAMSSA's ``time``). Reads run on a thread pool (``workers``) unless an ``executor`` is given.
    """
    sources = list(sources)
    urls = granule_urls(sources)
    done = {s.url: s for s in sources if isinstance(s, VirtualGranule)}
    todo = [u for u in urls if u not in done]
    if todo:
        registry = registry_for(todo, access)
        if executor is None and (workers <= 1 or len(todo) == 1):
            done.update((u, _virtualize_one(u, registry, loadable_variables)) for u in todo)
        else:
            pool = executor or ThreadPoolExecutor(max_workers=workers)
            try:
                futures = {
                    u: pool.submit(_virtualize_one, u, registry, loadable_variables) for u in todo
                }
                done.update((u, f.result()) for u, f in futures.items())
            finally:
                if executor is None:
                    pool.shutdown(cancel_futures=True)
    return [done[u] for u in urls]


@dataclass(frozen=True)
class Signature:
    """What every granule of one store must share: variables, dims, dtypes, chunks and the grid."""

    variables: dict[str, tuple[tuple[str, ...], str, tuple[int, ...] | None]]
    grid: dict[str, np.ndarray]

    @classmethod
    def of(cls, ds: xr.Dataset, dim: str) -> Signature:
        variables = {}
        for name, var in ds.data_vars.items():
            chunks = _chunk_shape(var)
            if chunks is not None and dim in var.dims:
                chunks = tuple(c for d, c in zip(var.dims, chunks, strict=False) if d != dim)
            variables[str(name)] = (tuple(map(str, var.dims)), str(var.dtype), chunks)
        grid = {
            str(k): np.asarray(v.values) for k, v in ds.coords.items() if k != dim and v.ndim == 1
        }
        return cls(variables, grid)

    def differences(self, other: Signature) -> list[str]:
        """Human-readable differences of ``other`` from this signature (empty when compatible)."""
        out: list[str] = []
        missing = sorted(set(self.variables) - set(other.variables))
        extra = sorted(set(other.variables) - set(self.variables))
        if missing:
            out.append(f"missing variable(s) {', '.join(missing)}")
        if extra:
            out.append(f"unexpected variable(s) {', '.join(extra)}")
        for name in sorted(set(self.variables) & set(other.variables)):
            (dims_a, dtype_a, chunks_a), (dims_b, dtype_b, chunks_b) = (
                self.variables[name],
                other.variables[name],
            )
            if dims_a != dims_b:
                out.append(f"{name}: dimensions {dims_b} instead of {dims_a}")
            if dtype_a != dtype_b:
                out.append(f"{name}: dtype {dtype_b} instead of {dtype_a}")
            if chunks_a and chunks_b and chunks_a != chunks_b:
                out.append(f"{name}: chunks {chunks_b} instead of {chunks_a}")
        for coord in sorted(set(self.grid) | set(other.grid)):
            a, b = self.grid.get(coord), other.grid.get(coord)
            if a is None or b is None:
                out.append(f"coordinate {coord!r} {'missing' if b is None else 'unexpected'}")
            elif a.shape != b.shape:
                out.append(f"grid {coord!r} has {b.size} points instead of {a.size}")
            elif a.dtype.kind in "fc" and not np.allclose(a, b, equal_nan=True):
                out.append(f"grid {coord!r} values differ (first {b[0]!r} vs {a[0]!r})")
            elif a.dtype.kind not in "fc" and not np.array_equal(a, b):
                out.append(f"grid {coord!r} values differ")
        return out


def _chunk_shape(var: xr.Variable | xr.DataArray) -> tuple[int, ...] | None:
    data = var.variable._data if isinstance(var, xr.DataArray) else var._data
    chunks = getattr(data, "chunks", None)  # ManifestArray: the zarr chunk shape
    if isinstance(chunks, tuple) and all(isinstance(c, int) for c in chunks):
        return chunks
    enc = var.encoding.get("chunks") or var.encoding.get("preferred_chunks")
    return tuple(enc) if isinstance(enc, tuple | list) else None


def check_consistent(
    granules: Sequence[VirtualGranule], dim: str, reference: Signature | None = None
) -> None:
    """Refuse granules whose grid, chunking, variables or dtype differ from the reference.

    The reference is the store's signature when appending, else the first granule's.
    """
    if not granules:
        return
    ref = reference or Signature.of(granules[0].dataset, dim)
    for granule in granules:
        diffs = ref.differences(Signature.of(granule.dataset, dim))
        if diffs:
            raise GranuleMismatchError(granule.url, "does not match the store: " + "; ".join(diffs))
        if dim not in granule.dataset.dims:
            raise GranuleMismatchError(
                granule.url, f"has no {dim!r} dimension to concatenate along"
            )


def sort_and_check_times(granules: Sequence[VirtualGranule], dim: str) -> list[VirtualGranule]:
    """Granules ordered along ``dim``; two granules with the same first coordinate are refused."""
    ordered = sorted(granules, key=lambda g: g.first(dim))
    for a, b in zip(ordered, ordered[1:], strict=False):
        if a.first(dim) == b.first(dim):
            raise GranuleMismatchError(b.url, f"has the same {dim} ({a.first(dim)}) as {a.url}")
    return ordered


def concat_granules(granules: Sequence[VirtualGranule], dim: str = "time") -> xr.Dataset:
    """One virtual dataset: the granules concatenated along ``dim`` (first granule's attributes)."""
    datasets = [g.dataset for g in granules]
    if len(datasets) == 1:
        return datasets[0]
    return xr.concat(
        datasets,
        dim=dim,
        coords="minimal",
        compat="override",
        data_vars="minimal",
        combine_attrs="override",
        join="exact",
    )
