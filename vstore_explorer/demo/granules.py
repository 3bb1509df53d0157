"""Write the demo granules: one NetCDF4/HDF5 file per time step, laid out like the real ones.

Files are written with netCDF4 (what data providers use) with the product's dtypes, packing,
fill values, chunks and zlib + shuffle levels, then moved into place with ``os.replace``: a file
with its final name is always complete, and an interrupted run leaves only ``.*.part`` files,
which the next run removes.

Example:
    >>> from vstore_explorer.demo.products import get_product
    >>> paths = write_granules(get_product("airs"), "/tmp/demo/airs", count=3)  # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import uuid
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_EXCEPTION, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from vstore_explorer.demo import fields
from vstore_explorer.demo.landmask import land_mask
from vstore_explorer.demo.products import DemoProduct, DemoVariable, get_product
from vstore_explorer.errors import InvalidInputError

HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
PART_SUFFIX = ".part"
BLAS_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")

Progress = Callable[[int, int], None]


# --------------------------------------------------------------------------- public API


def write_granule(
    product: DemoProduct | str,
    time: datetime | date | str,
    path: str | os.PathLike[str],
    *,
    context: fields.FieldContext | None = None,
    mask_cache: Path | None = None,
) -> Path:
    """Write the granule of ``product`` at ``time`` to ``path`` atomically; return the path.

    ``context`` (from ``fields.make_context``) reuses the land mask and static fields across
    calls; without it the land mask is rasterized (or read from ``mask_cache``).
    """
    product = _product(product)
    when = product.times(1, start=time)[0]
    path = Path(path)
    if context is None:
        grid = product.grid
        context = fields.make_context(product, land_mask(grid.lat(), grid.lon(), mask_cache))
    elif context.product.short_name != product.short_name:
        raise InvalidInputError(
            f"context is for {context.product.short_name}, not {product.short_name}"
        )
    data = fields.generate(context, when)
    tmp = path.with_name(f".{path.name}.{os.getpid()}{PART_SUFFIX}")
    try:
        _write_netcdf(product, when, data, tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def write_granules(
    product: DemoProduct | str,
    folder: str | os.PathLike[str],
    count: int | None = None,
    start: datetime | date | str | None = None,
    workers: int = 2,
    mask_cache: Path | None = None,
    *,
    progress: Progress | None = None,
) -> list[Path]:
    """Write ``count`` granules (default: the product's) from ``start`` into ``folder``.

    Files that already exist complete are kept (a re-run only fills the gaps). With
    ``workers > 1`` the files are written by that many spawned processes (so a calling script
    needs the ``if __name__ == "__main__":`` guard); the bytes written do not depend on the
    number of workers. ``progress(done, total)`` is called as batches finish.
    Returns the paths of all ``count`` granules in time order.
    """
    product = _product(product)
    if workers < 1:
        raise InvalidInputError(f"workers must be at least 1, got {workers}")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    times = product.times(count, start)
    paths = [folder / product.filename(t) for t in times]
    _remove_stale_parts(folder, paths)
    todo = [(t, p) for t, p in zip(times, paths, strict=True) if not is_complete(p)]
    total, done = len(paths), len(paths) - len(todo)
    if progress:
        progress(done, total)
    if not todo:
        return paths
    grid = product.grid
    land = land_mask(grid.lat(), grid.lon(), mask_cache)
    if workers == 1 or len(todo) == 1:
        context = fields.make_context(product, land)
        for when, path in todo:
            write_granule(product, when, path, context=context)
            done += 1
            if progress:
                progress(done, total)
        return paths
    try:
        _write_in_pool(product, land, todo, workers, done, total, progress)
    except BrokenProcessPool as exc:
        raise RuntimeError(
            f"a worker process writing {product.short_name} granules died ({exc}). If this "
            "runs from a script, guard its entry point with `if __name__ == '__main__':` "
            "(worker processes are spawned and import the main module), or pass workers=1"
        ) from exc
    return paths


def _write_in_pool(
    product: DemoProduct,
    land: np.ndarray,
    todo: list[tuple[datetime, Path]],
    workers: int,
    done: int,
    total: int,
    progress: Progress | None,
) -> None:
    """Write ``todo`` with ``workers`` spawned processes (safe in threaded parents)."""
    # batches of up to ~32 files share a field context; several per worker balance the load
    batches = _batches(todo, max(workers * 4, -(-len(todo) // 32)))
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=min(workers, len(batches)), mp_context=spawn) as pool:
        with _single_threaded_children():  # the processes start at the first submit
            pending = {pool.submit(_write_batch, product, land, batch) for batch in batches}
        while pending:
            finished, pending = wait(pending, return_when=FIRST_EXCEPTION)
            for future in finished:
                done += len(future.result())  # re-raises a worker's error here
                if progress:
                    progress(done, total)


@contextlib.contextmanager
def _single_threaded_children() -> Iterator[None]:
    """Children spawned inside see one BLAS/OpenMP thread each (the workers already fill the
    cores; nested BLAS threads would double the CPU time). The parent's environment is
    restored on exit."""
    saved = {name: os.environ.get(name) for name in BLAS_THREAD_VARIABLES}
    os.environ.update(dict.fromkeys(BLAS_THREAD_VARIABLES, "1"))
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def is_complete(path: Path) -> bool:
    """True if ``path`` is a finished granule (written files are renamed into place whole)."""
    try:
        with open(path, "rb") as fh:
            return fh.read(8) == HDF5_SIGNATURE
    except OSError:
        return False


# --------------------------------------------------------------------------- helpers


def _product(product: DemoProduct | str) -> DemoProduct:
    return get_product(product) if isinstance(product, str) else product


def _batches(items: Sequence[Any], n: int) -> list[list[Any]]:
    """``items`` cut into at most ``n`` contiguous, near-equal batches."""
    n = max(1, min(n, len(items)))
    size, extra = divmod(len(items), n)
    out, start = [], 0
    for i in range(n):
        stop = start + size + (i < extra)
        out.append(list(items[start:stop]))
        start = stop
    return out


def _write_batch(
    product: DemoProduct, land: np.ndarray, batch: list[tuple[datetime, Path]]
) -> list[Path]:
    """Worker task: write consecutive granules sharing one field context."""
    context = fields.make_context(product, land)
    return [write_granule(product, when, path, context=context) for when, path in batch]


def _remove_stale_parts(folder: Path, paths: Sequence[Path]) -> None:
    """Delete ``.*.part`` leftovers of an interrupted run for the granules about to be written."""
    names = {p.name for p in paths}
    for part in folder.glob(f".*{PART_SUFFIX}"):
        stem = part.name[1 : -len(PART_SUFFIX)].rsplit(".", 1)[0]  # ".<name>.<pid>.part"
        if stem in names:
            part.unlink(missing_ok=True)


def _attr_value(value: Any, dtype: str) -> Any:
    """Tuples become arrays of the variable's dtype (e.g. ``flag_masks``)."""
    return np.asarray(value, dtype=dtype) if isinstance(value, tuple) else value


def _create(ds: Any, var: DemoVariable) -> Any:
    """Create ``var`` in the open netCDF4 dataset ``ds`` with its encoding and attributes."""
    kwargs: dict[str, Any] = {}
    if var.dims and var.chunks:
        kwargs["chunksizes"] = var.chunks
    elif var.dims:
        kwargs["contiguous"] = True
    if var.complevel:
        kwargs.update(zlib=True, complevel=var.complevel, shuffle=True)
    dtype = np.dtype(var.dtype)
    nc_var = ds.createVariable(var.name, dtype, var.dims, fill_value=var.fill_value, **kwargs)
    nc_var.set_auto_maskandscale(False)
    nc_var.setncatts({k: _attr_value(v, var.dtype) for k, v in var.attrs})
    return nc_var


def _encode(var: DemoVariable, values: np.ndarray) -> np.ndarray:
    """Physical values (NaN = missing) to the stored dtype: pack, bit-round, fill."""
    dtype = np.dtype(var.dtype)
    fill = np.nan if var.fill_value is None else var.fill_value  # no fill: missing stays NaN
    if var.packed:
        missing = np.isnan(values)
        offset = 0.0 if var.add_offset is None else var.add_offset  # CF: no add_offset is 0
        scale = 1.0 if var.scale_factor is None else var.scale_factor  # set: packed says so
        scaled = np.round((values.astype(np.float64) - offset) / scale)
        info = np.iinfo(dtype)
        lo, hi = var.attr("valid_min", info.min), var.attr("valid_max", info.max)
        scaled = np.clip(scaled, lo, hi)
        return np.where(missing, fill, np.nan_to_num(scaled)).astype(dtype)
    if dtype.kind == "f":
        if var.keepbits:
            values = fields.bitround(values, var.keepbits)
        return np.where(np.isnan(values), fill, values).astype(dtype)
    return values.astype(dtype)


def _coordinate_values(product: DemoProduct, var: DemoVariable, when: datetime) -> Any:
    grid = product.grid
    match var.name:
        case "lat":
            return grid.lat()
        case "lon":
            return grid.lon()
        case "level":
            return np.asarray(product.levels, dtype=var.dtype)
        case "time":
            return np.asarray([product.encode_time(when)], dtype=var.dtype)
        case "time_bnds":
            begin, end = product.coverage(when)
            return np.asarray([[product.encode_time(begin), product.encode_time(end)]], var.dtype)
    return None  # e.g. the scalar grid-mapping variable: attributes only


def _write_netcdf(
    product: DemoProduct, when: datetime, data: dict[str, np.ndarray], path: Path
) -> None:
    import netCDF4

    with netCDF4.Dataset(path, "w", format="NETCDF4") as ds:
        ds.setncatts(dict(product.global_attrs) | _dynamic_global_attrs(product, when))
        grid = product.grid
        ds.createDimension("time", None)
        if product.levels:
            ds.createDimension("level", len(product.levels))
        ds.createDimension("lat", grid.nlat)
        ds.createDimension("lon", grid.nlon)
        if any("bnds" in v.dims for v in product.coords):
            ds.createDimension("bnds", 2)
        for var in product.variables:
            nc_var = _create(ds, var)
            stored = _encode(var, data[var.name])
            if var.minmax_attrs:
                valid = stored[stored != var.fill_value]
                vmin, vmax = (valid.min(), valid.max()) if valid.size else (var.fill_value,) * 2
                nc_var.setncatts({"vmin": np.float32(vmin), "vmax": np.float32(vmax)})
            nc_var[0, ...] = stored
        for var in product.coords:
            nc_var = _create(ds, var)
            if var.name == "time":
                nc_var.setncatts(_dynamic_time_attrs(product, when))
            values = _coordinate_values(product, var, when)
            if values is not None:
                nc_var[...] = values


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y%m%dT%H%M%SZ")


def _dynamic_global_attrs(product: DemoProduct, when: datetime) -> dict[str, Any]:
    """Per-granule global attributes (coverage times, ids), deterministic from ``when``."""
    name = product.filename(when)
    created = when + timedelta(days=1)
    begin, end = product.coverage(when)
    if product.kind == "ghrsst":
        return {
            "uuid": str(uuid.uuid5(uuid.NAMESPACE_URL, f"vstoredemo:{name}")),
            "history": f"Generated by vstore_explorer.demo as {name}",
            "date_created": _iso(created),
            "date_modified": _iso(created),
            "date_issued": _iso(created),
            "start_time": _iso(begin),
            "time_coverage_start": _iso(begin),
            "stop_time": _iso(end),
            "time_coverage_end": _iso(end),
            "geospatial_bounds": "POLYGON((-180 -90, 180 -90, 180 90, -180 90, -180 -90))",
        }
    if product.kind == "gldas":
        stamp = created.strftime("%Y-%m-%dT%H:%M:%S.000")
        return {"history": f"created on date: {stamp} by vstore_explorer.demo"}
    return {
        "history": f"Generated by vstore_explorer.demo as {name}",
        "date_created": _iso(created),
        "time_coverage_start": _iso(begin),
        "time_coverage_end": _iso(end),
    }


def _dynamic_time_attrs(product: DemoProduct, when: datetime) -> dict[str, str]:
    if product.kind == "gldas":  # as real GLDAS: the step's own date and time
        return {"begin_date": when.strftime("%Y%m%d"), "begin_time": when.strftime("%H%M%S")}
    return {}
