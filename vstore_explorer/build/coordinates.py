"""Coordinates stored natively, each in one chunk, so a store opens in O(1) reads.

Opening a store reads its dimension coordinates whole (xarray builds an index of each) and the
first and last values of every time variable (to infer how to decode it). A virtual ``time`` of
a store built from daily granules has one chunk per granule, in manifests split along time: an
open then reads O(granules) objects, and each read of a virtual chunk is a request to a granule.
So the builders load the *coordinate variables* when they read a granule (VirtualiZarr's
``loadable_variables``), write them natively, and keep each in a single chunk:

- the dimension coordinates (a 1-D variable named as its dimension: ``time``, ``lat``, ``lon``,
  a projected grid's ``x``/``y``, a level axis);
- their bounds: the variables a 1-D coordinate names in its CF ``bounds`` (or ``climatology``)
  attribute, and 1-D or 2-D variables named ``*_bnds`` / ``*_bounds``.

Data variables stay virtual, and so do a swath's 2-D ``lat``/``lon`` and per-record coordinates
(as large as the data: storing them would copy the granules; they are not read at open). An
append or update rewrites each of these variables along the dimension as one chunk (the values
already stored and the new ones), in the same session as the new references, so one commit
holds both (:func:`rewrite_as_one_chunk`).

Example:
    >>> coordinate_names({
    ...     "time": (("time",), {"bounds": "time_bnds"}), "time_bnds": (("time", "nv"), {}),
    ...     "lat": (("lat",), {}), "sst": (("time", "lat"), {}), "lat_bounds": (("lat", "nv"), {}),
    ... })
    ('time', 'time_bnds', 'lat', 'lat_bounds')
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import xarray as xr

from vstore_explorer.build.layout import store_group

BOUNDS_SUFFIXES = ("_bnds", "_bounds")
"""Name endings of bounds variables (CF names them in ``bounds``; many files only by name)."""

BOUNDS_ATTRS = ("bounds", "climatology")
"""CF attributes of a coordinate naming its bounds variable."""

Described = Mapping[str, tuple[Sequence[Any], Mapping[str, Any]]]
"""Variables as ``{name: (dimension names, attributes)}``."""


def coordinate_names(variables: Described) -> tuple[str, ...]:
    """The coordinate and bounds variables among ``variables``, in their order (see the module
    docstring for the rule)."""
    dims = {str(n): tuple(str(d) for d in d_) for n, (d_, _) in variables.items()}
    chosen: set[str] = set()
    for name, (_, attrs) in variables.items():
        name = str(name)
        if len(dims[name]) == 1:
            if dims[name] == (name,):
                chosen.add(name)
            for key in BOUNDS_ATTRS:
                target = attrs.get(key)
                if isinstance(target, str) and 1 <= len(dims.get(target, ())) <= 2:
                    chosen.add(target)
        if name.endswith(BOUNDS_SUFFIXES) and 1 <= len(dims[name]) <= 2:
            chosen.add(name)
    return tuple(n for n in dims if n in chosen)


def manifest_coordinates(manifest_group: Any) -> list[str]:
    """:func:`coordinate_names` of a VirtualiZarr ``ManifestGroup`` (what a granule's group holds
    before anything is loaded): the ``loadable_variables`` the builders use by default."""
    described = {
        str(name): (
            tuple(arr.metadata.dimension_names or ()),
            dict(arr.metadata.attributes or {}),
        )
        for name, arr in manifest_group.arrays.items()
    }
    return list(coordinate_names(described))


def native_coordinates(ds: xr.Dataset, dim: str | None = None) -> list[str]:
    """The loaded (not virtual) coordinate and bounds variables of a virtual dataset; with
    ``dim``, only those along it (``time``, ``time_bnds``)."""
    described = {
        str(n): (v.dims, {**v.encoding, **v.attrs}) for n, v in ds.variables.items() if v.ndim
    }
    return [
        n
        for n in coordinate_names(described)
        if not hasattr(ds.variables[n].data, "manifest")
        and (dim is None or dim in ds.variables[n].dims)
    ]


def one_chunk_encoding(ds: xr.Dataset) -> xr.Dataset:
    """``ds`` with each loaded coordinate and bounds variable encoded as one chunk (the chunk
    shape the granule had, usually one value along time, is dropped)."""
    names = native_coordinates(ds)
    if not names:
        return ds
    ds = ds.copy()
    for name in names:
        var = ds.variables[name]
        encoding = {
            k: v for k, v in var.encoding.items() if k not in ("preferred_chunks", "shards")
        }
        encoding["chunks"] = tuple(max(1, int(n)) for n in var.shape)
        var.encoding = encoding
    return ds


def rewrite_as_one_chunk(session: Any, group: str, names: Sequence[str]) -> list[str]:
    """Rewrite the arrays ``names`` of ``group`` (in a writable Icechunk session) that span more
    than one chunk as one native chunk of their whole shape, values and attributes unchanged
    (read as stored: raw, encoded values; virtual chunks are read from their granules once).

    Returns the names rewritten. Nothing is committed here: the caller commits the session, so
    the rewrite lands in the same snapshot as the change that grew the arrays.
    """
    import zarr

    zgroup = zarr.open_group(session.store, path=store_group(group) or "", mode="r+", zarr_format=3)
    done = []
    for name in names:
        if name not in zgroup:
            continue
        array: Any = zgroup[name]
        shape = tuple(int(n) for n in array.shape)
        if all(c >= n for c, n in zip(array.chunks, shape, strict=True)):
            continue  # one chunk already (a scalar, or a chunk as large as the array or larger)
        values: Any = array[...]
        rewritten: Any = zgroup.create_array(
            name,
            shape=shape,
            chunks=tuple(max(1, n) for n in shape),
            dtype=array.dtype,
            fill_value=array.metadata.fill_value,
            dimension_names=array.metadata.dimension_names,
            attributes=dict(array.attrs),
            overwrite=True,
        )
        rewritten[...] = values
        done.append(name)
    return done
