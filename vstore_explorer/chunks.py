"""How a variable is chunked in its store: the one rule the planner, the cost estimate and the
build's verification all use.

The backend's ``preferred_chunks`` (a mapping by dimension) wins, then the encoding's ``chunks``
(a tuple), then dask's chunks, then the whole variable as one chunk. Sizes are capped by the
dimension's length (and are at least 1).

Example:
    >>> import numpy as np, xarray as xr
    >>> var = xr.Variable(("t", "x"), np.zeros((2, 10)))
    >>> var.encoding = {"chunks": (1, 4), "preferred_chunks": {"t": 1, "x": 5}}
    >>> storage_chunks(var)
    (1, 5)
    >>> storage_chunks(xr.Variable(("x",), np.zeros(3)))
    (3,)
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from typing import Any

import xarray as xr


def _declared(var: xr.Variable) -> tuple[int, ...] | None:
    preferred = var.encoding.get("preferred_chunks")
    if isinstance(preferred, Mapping) and all(d in preferred for d in var.dims):
        return tuple(int(preferred[d]) for d in var.dims)
    stored = var.encoding.get("chunks")
    if isinstance(stored, tuple | list) and len(stored) == var.ndim:
        return tuple(int(c) for c in stored)
    return None


def storage_chunks(var: xr.Variable | xr.DataArray) -> tuple[int, ...]:
    """The chunk shape ``var`` is stored with (see the module docstring)."""
    variable = var.variable if isinstance(var, xr.DataArray) else var
    declared = _declared(variable)
    if declared is None and variable.chunks:
        declared = tuple(int(c[0]) for c in variable.chunks)
    if declared is None:
        declared = tuple(variable.shape)
    return tuple(max(1, min(c, n)) for c, n in zip(declared, variable.shape, strict=True))


def known_storage_chunks(var: xr.Variable | xr.DataArray) -> tuple[int, ...] | None:
    """The chunk shape the store declares for ``var``, or None when its encoding does not say."""
    variable = var.variable if isinstance(var, xr.DataArray) else var
    declared = _declared(variable)
    if declared is None:
        return None
    return tuple(max(1, min(c, n)) for c, n in zip(declared, variable.shape, strict=True))


def storage_chunk_sizes(ds: xr.Dataset, names: Iterable[Hashable]) -> dict[str, Any]:
    """Chunk size per dimension over the variables ``names`` whose store declares its chunks
    (the first variable to name a dimension wins)."""
    out: dict[str, int] = {}
    for name in names:
        var = ds[name].variable
        declared = known_storage_chunks(var)
        if declared is None:
            continue
        for dim, size in zip(var.dims, declared, strict=True):
            if isinstance(dim, str):
                out.setdefault(dim, size)
    return out
