"""Plots of two variables: both over time on twin y axes, and one against the other (scatter).

Like :mod:`vstore_explorer.plots`, specs are plain data. The twin series is drawn by
:func:`twin_lines`, whose source the exported script carries (``codegen.helper_source``), so the
app and the script draw it the same way; the scatter is hvplot's own ``scatter``.

Example:
    >>> import numpy as np, pandas as pd, xarray as xr
    >>> t = pd.date_range("2023-01-01", periods=3)
    >>> ds = xr.Dataset({"sst": ("time", [290.0, 291, 292]), "err": ("time", [0.3, 0.2, 0.4])},
    ...                 coords={"time": t})
    >>> method, kwargs = twin_spec(ds)
    >>> method, kwargs["y"], kwargs["twin"]
    ('twin_lines', 'sst', 'err')
"""

from __future__ import annotations

from typing import Any

import numpy as np
import xarray as xr

from vstore_explorer.errors import InvalidInputError
from vstore_explorer.plot_style import label, place, text_attr

SCATTER_SIZE = 480
SCATTER_POINTS_ABOVE = 20_000  # more pairs than this are rasterized (counts per pixel)


def twin_lines(result: Any, x: str, y: str, twin: str, twin_label: str = "", **options: Any) -> Any:
    """Variables ``y`` and ``twin`` of ``result`` over ``x``, each on its own y axis."""
    import hvplot.xarray  # noqa: F401  (registers the .hvplot accessor)

    first = result[y].hvplot.line(x=x, label=y, **options)
    second = result[twin].hvplot.line(x=x, label=twin, ylabel=twin_label, color="#d62728")
    return (first * second).opts(multi_y=True, show_legend=True, legend_position="top_left")


def two_variables(ds: xr.Dataset, kind: str) -> tuple[xr.DataArray, xr.DataArray]:
    """The two variables of ``ds`` a comparison plots, refused unless there are exactly two on
    the same dimensions."""
    names = list(ds.data_vars)
    if len(names) != 2:
        raise InvalidInputError(
            f"a {kind} compares two variables; this selection has {len(names)} "
            f"({', '.join(map(str, names)) or 'none'}): pick one variable to compare with"
        )
    first, second = ds[names[0]], ds[names[1]]
    if first.dims != second.dims:
        raise InvalidInputError(
            f"a {kind} needs both variables on the same grid: {first.name!r} is on "
            f"{first.dims}, {second.name!r} on {second.dims}; compare variables of one grid"
        )
    return first, second


def twin_spec(ds: xr.Dataset, series: Any) -> tuple[str, dict[str, Any]]:
    """Two series over time (``series`` is :func:`plots.timeseries_spec`, checking each)."""
    first, second = two_variables(ds, "twin-axis time series")
    _, kwargs = series(first)
    series(second)
    kwargs.update(
        y=str(first.name),
        twin=str(second.name),
        twin_label=label(second),
        title=", ".join(p for p in (f"{_short(first)} and {_short(second)}", place(first)) if p),
    )
    return "twin_lines", kwargs


def scatter_spec(ds: xr.Dataset) -> tuple[str, dict[str, Any]]:
    """One variable against the other, a point per cell (rasterized above 20,000 cells)."""
    first, second = two_variables(ds, "scatter")
    if "time" in first.dims and first.sizes["time"] > 1:
        raise InvalidInputError(
            "the scatter compares one map: pick one map time (or the time mean), not a range"
        )
    kwargs: dict[str, Any] = {
        "x": str(first.name),
        "y": str(second.name),
        "groupby": [],  # every cell in one plot, not a slider per remaining dimension
        "xlabel": label(first),
        "ylabel": label(second),
        "title": f"{_short(second)} against {_short(first)}",
        "frame_width": SCATTER_SIZE,
        "frame_height": SCATTER_SIZE,
        "grid": True,
    }
    if first.size > SCATTER_POINTS_ABOVE:
        kwargs |= {"rasterize": True, "cmap": "viridis", "clabel": "cells"}
    else:
        kwargs |= {"size": 4, "alpha": 0.6}
    return "scatter", kwargs


def pairs(ds: xr.Dataset, kwargs: dict[str, Any]) -> int:
    """How many cells hold both values (what the scatter draws).

    Example:
        >>> ds = xr.Dataset({"a": ("x", [1.0, np.nan, 3.0]), "b": ("x", [1.0, 2.0, np.nan])})
        >>> pairs(ds, {"x": "a", "y": "b"})
        1
    """
    both = np.isfinite(ds[kwargs["x"]].values) & np.isfinite(ds[kwargs["y"]].values)
    return int(both.sum())


def _short(da: xr.DataArray) -> str:
    """The long name when it is short enough for a title beside another, else the variable's."""
    long_name = text_attr(da, "long_name")
    return long_name if long_name and len(long_name) <= 28 else str(da.name)
