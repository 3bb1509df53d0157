"""A Selection as a plan of plain-data operations, and their (lazy) execution with xarray.

The op vocabulary (how each op runs, reads and is written as code) is one table,
:data:`~vstore_explorer.ops.kinds.KINDS`; planning a Selection is :mod:`.planning`.

``plan(ds, sel)`` reads only metadata and coordinate values and returns a tuple of :class:`Op`.
``execute(ds, ops)`` applies them with ``sel``/``isel``/``weighted``/``mean``; it never loads data
variables (non-dask inputs go through dask for reductions, so the result stays lazy). :mod:`vstore_explorer.codegen` renders the very same ops as Python statements.

Order of the steps: variables, time range, level, box or point, stride, reduction. A reduction of
non-dask data adds a ``chunk`` step: right after the variables with the storage chunks when the
encoding gives them for every dimension, else ``chunk("auto")`` just before the reduction.

Example:
    >>> import numpy as np, xarray as xr
    >>> from vstore_explorer.selection import Selection
    >>> ds = xr.Dataset({"t": (("lat", "lon"), np.zeros((3, 4)))},
    ...                 coords={"lat": [-10.0, 0.0, 10.0], "lon": [0.0, 90.0, 180.0, 270.0]})
    >>> ops = plan(ds, Selection(variables=("t",), bbox=(-100, -5, 100, 15)))
    >>> describe(ops)[2]
    "Longitude 'lon' at positions 0:2, 3:4 (box crossing the antimeridian or the 0/360 seam)"
    >>> apply(ds, Selection(variables=("t",), bbox=(-100, -5, 100, 15))).lon.values.tolist()
    [0.0, 90.0, 270.0]
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import xarray as xr

from vstore_explorer.ops.kinds import KINDS, OP_NAMES, OpKind, OpName, area_weights
from vstore_explorer.ops.op import Op
from vstore_explorer.ops.planning import plan, to_convention
from vstore_explorer.selection import Selection

__all__ = [
    "KINDS",
    "OP_NAMES",
    "Op",
    "OpKind",
    "OpName",
    "apply",
    "area_weights",
    "describe",
    "execute",
    "plan",
    "to_convention",
]


def _kind(op: Op) -> OpKind:
    return KINDS[op.name]


def execute(ds: xr.Dataset | xr.DataArray, ops: Iterable[Op]) -> xr.Dataset | xr.DataArray:
    """Apply ``ops`` to ``ds`` lazily (never loads data variables); ``ds`` is not modified.

    Example:
        >>> import numpy as np, xarray as xr
        >>> ds = xr.Dataset({"t": (("lat", "lon"), np.zeros((3, 4)))},
        ...                 coords={"lat": [-10.0, 0.0, 10.0], "lon": [0.0, 90.0, 180.0, 270.0]})
        >>> ops = (Op.make("select_variable", name="t"), Op.make("zonal_mean", dim="lon"))
        >>> execute(ds, ops).dims
        ('lat',)
    """
    obj: Any = ds
    for op in ops:
        obj = _kind(op).execute(obj, op.kwargs)
    return obj


def apply(ds: xr.Dataset, sel: Selection) -> xr.Dataset | xr.DataArray:
    """``execute(ds, plan(ds, sel))``: the lazy subset (DataArray for one variable).

    Example:
        >>> import numpy as np, xarray as xr
        >>> ds = xr.Dataset({"t": (("lat", "lon"), np.zeros((3, 4)))},
        ...                 coords={"lat": [-10.0, 0.0, 10.0], "lon": [0.0, 90.0, 180.0, 270.0]})
        >>> apply(ds, Selection(variables=("t",), bbox=(0, -5, 100, 15))).shape
        (2, 2)
    """
    return execute(ds, plan(ds, sel))


def describe(ops: Iterable[Op]) -> list[str]:
    """One plain-English line per op, for the UI.

    Example:
        >>> describe([Op.make("select_variable", name="sst"), Op.make("time_mean", dim="time")])
        ["Variable 'sst'", "Mean over time 'time'"]
    """
    return [_kind(op).describe(op.kwargs) for op in ops]
