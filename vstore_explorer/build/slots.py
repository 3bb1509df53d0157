"""Rewrite slots of an Icechunk virtual store in place: a writable session's arrays along the
store's dimension get new references (a reprocessed granule), move (a removed granule closes its
gap) or shrink and grow. Nothing is committed here; the caller commits once.

A slot is a range of indices along the dimension (one granule's steps). Rewriting it replaces,
for every array along the dimension, the virtual chunk references of that range (old references
the new granule has no chunk for are deleted first, so no stale chunk survives) and the values of
loaded variables such as the ``time`` coordinate (encoded as the store encodes them). The range
must start on a chunk boundary along the dimension, as appends require.

Example:
    >>> write_slot(session, "/", granule.groups["/"], "time", 3, when, before)  # doctest: +SKIP
    >>> resize_along(session, "/", "time", 9)  # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import numpy as np
import xarray as xr

from vstore_explorer.build.errors import BuildError
from vstore_explorer.build.layout import store_group

ENCODING_KEYS = (
    "units",
    "calendar",
    "dtype",
    "_FillValue",
    "missing_value",
    "scale_factor",
    "add_offset",
)
"""The encoding of a stored loaded variable that new values are encoded with."""


def _zarr_group(session: Any, group: str) -> Any:
    import zarr

    return zarr.open_group(session.store, path=store_group(group) or "", mode="r+", zarr_format=3)


def _dims(array: Any) -> list[str]:
    return [str(d) for d in (array.metadata.dimension_names or ())]


def clear_chunks(session: Any, group: str, names: Sequence[str], dim: str, region: slice) -> int:
    """Delete every chunk of arrays ``names`` that lies in ``region`` along ``dim``; returns how
    many chunk keys were deleted (keys without a chunk are no error)."""
    from zarr.core.sync import sync

    zgroup = _zarr_group(session, group)
    keys: list[str] = []
    for name in names:
        array = zgroup[name]
        dims = _dims(array)
        axis = dims.index(dim)
        size = array.chunks[axis]
        if region.start % size:
            raise BuildError(
                f"variable {name} of group {group}: slot {region.start} is not on a chunk "
                f"boundary ({size} steps per chunk along {dim}); such stores cannot be updated "
                "in place: rebuild them"
            )
        ranges = [
            range(region.start // size, -(-region.stop // size)) if i == axis else range(n)
            for i, n in enumerate(array.cdata_shape)
        ]
        keys += [
            f"{array.path}/{array.metadata.encode_chunk_key(coords)}"
            for coords in itertools.product(*ranges)
        ]

    async def delete_all() -> None:
        await asyncio.gather(*(session.store.delete(key) for key in keys))

    if keys:
        sync(delete_all())
    return len(keys)


def write_slot(
    session: Any,
    group: str,
    vds: xr.Dataset,
    dim: str,
    start: int,
    last_updated_at: datetime,
    stored: xr.Dataset,
) -> None:
    """Write ``vds`` (one granule, or consecutive granules concatenated) at ``start`` along
    ``dim`` of ``group``, replacing what those indices held; ``stored`` is the group as it was
    before the change (loaded variables are encoded as it encodes them)."""
    path = store_group(group)
    steps = int(vds.sizes[dim])
    region = slice(start, start + steps)
    along = {str(n): v for n, v in vds.variables.items() if dim in v.dims}
    virtual = {n: v for n, v in along.items() if hasattr(v.data, "manifest")}
    loaded = {n: v for n, v in along.items() if n not in virtual}
    if dim in virtual:
        raise BuildError(
            f"the store's {dim} coordinate is virtual (built with loadable_variables=()): "
            "updates rewrite its values and need it loaded; rebuild the store"
        )
    clear_chunks(session, group, list(virtual), dim, region)
    if virtual:
        only = xr.Dataset({n: v for n, v in virtual.items()})
        only.vz.to_icechunk(
            session.store, group=path, region={dim: region}, last_updated_at=last_updated_at
        )
    if not loaded:
        return
    zgroup = _zarr_group(session, group)
    for name, var in loaded.items():
        if name not in stored.variables:
            raise BuildError(f"the store has no variable {name} in group {group} to rewrite")
        target = stored.variables[name]
        encoding = {k: v for k, v in target.encoding.items() if k in ENCODING_KEYS}
        encoded = xr.conventions.encode_cf_variable(
            xr.Variable(var.dims, np.asarray(var.values), {}, encoding), name=name
        )
        index = tuple(region if d == dim else slice(None) for d in target.dims)
        zgroup[name][index] = np.asarray(encoded.values)


def resize_along(session: Any, group: str, dim: str, length: int) -> None:
    """Give every array of ``group`` along ``dim`` the length ``length`` (chunks beyond a
    shrunk end are deleted; grown indices are empty until written)."""
    zgroup = _zarr_group(session, group)
    for _name, array in zgroup.arrays():
        dims = _dims(array)
        if dim not in dims:
            continue
        shape = list(array.shape)
        shape[dims.index(dim)] = length
        array.resize(tuple(shape))
