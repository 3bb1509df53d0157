"""How a plot looks and reads: colormaps and colour ranges from CF attributes, named CF flag
categories, and the words of labels and titles (places, levels, what a reduction is over).

Pure: nothing here reads data that is not loaded, and nothing imports Panel.

Example:
    >>> import numpy as np, xarray as xr
    >>> colormap(xr.DataArray(0.0, attrs={"standard_name": "precipitation_flux"}))
    'Blues'
    >>> longitude_text(-59.88), latitude_text(-5.0)
    ('59.88°W', '5°S')
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import xarray as xr

from vstore_explorer.axes import axis_kind
from vstore_explorer.ops.cf_flags import categories
from vstore_explorer.selection import Selection

ROBUST = (2.0, 98.0)  # percentiles for the colour range
SAMPLE = 250_000  # values used for the percentiles at most
# (words in standard_name / long_name / name, colormap); the first match wins.
_COLORMAPS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("precipitation", "rainfall", "rain", "snowfall", "precip"), "Blues"),
    (("humidity", "water_vapor", "water vapour", "water vapor", "moisture", "qair"), "YlGnBu"),
    (("sea_ice", "sea ice", "ice_area", "ice area", "ice fraction"), "Blues_r"),
    (("temperature", "sst", "tair", "skin temp"), "RdYlBu_r"),
    (("chlorophyll",), "viridis"),
    (("radiation", "radiative", "flux", "swdown", "lwdown"), "inferno"),
    (("height", "elevation", "depth", "altitude"), "cividis"),
)
DIVERGING = "RdBu_r"
DEFAULT_CMAP = "viridis"
_ANOMALY_WORDS = ("anomaly", "anomalies", "difference", "departure", "bias", "tendency")


def text_attr(da: xr.DataArray, key: str) -> str:
    value = da.attrs.get(key, "")
    return " ".join(value.split()) if isinstance(value, str) else ""


def label(da: xr.DataArray) -> str:
    """``long_name (units)`` from the CF attributes, falling back to the standard or variable name.

    Example:
        >>> label(xr.DataArray(0.0, name="t", attrs={"units": "K"}))
        't (K)'
    """
    name = (
        text_attr(da, "long_name")
        or text_attr(da, "standard_name").replace("_", " ")
        or str(da.name or "value")
    )
    units = text_attr(da, "units")
    return f"{name} ({units})" if units and units not in ("1", "-") else name


def _words(da: xr.DataArray) -> str:
    parts = [text_attr(da, "standard_name"), text_attr(da, "long_name"), str(da.name or "")]
    return " ".join(parts).lower()


def is_anomaly(da: xr.DataArray) -> bool:
    """Whether the names say the values are anomalies/differences (a diverging colormap)."""
    words = _words(da)
    return any(w in words for w in _ANOMALY_WORDS)


def colormap(da: xr.DataArray, spans_zero: bool = False) -> str:
    """A colormap for the variable: from its CF names, diverging for anomalies or zero-crossing data.

    Example:
        >>> colormap(xr.DataArray(0.0, attrs={"standard_name": "precipitation_flux"}))
        'Blues'
    """
    if is_anomaly(da) or spans_zero and _is_signed_quantity(da):
        return DIVERGING
    words = _words(da)
    for keys, cmap in _COLORMAPS:
        if any(k in words for k in keys):
            return cmap
    return DEFAULT_CMAP


def _is_signed_quantity(da: xr.DataArray) -> bool:
    """Zero-crossing data gets a diverging colormap unless its units say it is absolute (kelvin)."""
    units = text_attr(da, "units").lower()
    return units not in ("k", "kelvin", "degrees_kelvin")


# ---------------------------------------------------------------------------------- values


def in_memory(da: xr.DataArray) -> bool:
    """Whether ``da``'s values are loaded (reading them costs no I/O)."""
    return bool(getattr(da.variable, "_in_memory", False))


def _round(value: float, digits: int = 4) -> float:
    if value == 0 or not math.isfinite(value):
        return float(value)
    return float(f"{value:.{digits}g}")


def robust_range(
    da: xr.DataArray, percentiles: tuple[float, float] = ROBUST
) -> tuple[float, float] | None:
    """The 2nd-98th percentile range of the finite values (rounded), or ``None``.

    ``None`` when the values are not loaded (nothing is read here), there are none, or all equal.
    """
    if not in_memory(da) or da.size == 0 or not np.issubdtype(da.dtype, np.number):
        return None
    values = np.asarray(da.values).ravel()
    if values.size > SAMPLE:  # a regular sample is enough for percentiles (and fast)
        values = values[:: math.ceil(values.size / SAMPLE)]
    values = values.astype(np.float64)
    values = values[np.isfinite(values)]
    if values.size == 0:
        return None
    low, high = (float(v) for v in np.percentile(values, percentiles))
    if not low < high:
        low, high = float(values.min()), float(values.max())
    if not low < high:
        return None
    return _round(low), _round(high)


_CATEGORY_COLORS = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
    "#bcbd22", "#17becf", "#aec7e8", "#ffbb78", "#98df8a", "#ff9896", "#c5b0d5", "#c49c94",
)  # fmt: skip


def category_options(da: xr.DataArray) -> dict[str, Any] | None:
    """Colour options naming a categorical variable's CF flag categories on the colorbar
    (one colour per code when the codes are consecutive integers), else ``None``.

    Example:
        >>> da = xr.DataArray(np.zeros(2, "i1"), name="surface",
        ...                   attrs={"flag_values": [0, 1, 2], "flag_meanings": "sea land ice"})
        >>> category_options(da)["cticks"]
        [(0.0, 'sea'), (1.0, 'land'), (2.0, 'ice')]
    """
    found = categories(da)
    if not found:
        return None
    codes = sorted(found)
    options: dict[str, Any] = {"cticks": [(c, found[c].replace("_", " ")) for c in codes]}
    consecutive = all(float(c).is_integer() for c in codes) and codes == [
        codes[0] + i for i in range(len(codes))
    ]
    if consecutive and len(codes) <= len(_CATEGORY_COLORS):
        options["cmap"] = list(_CATEGORY_COLORS[: len(codes)])
        options["clim"] = (codes[0] - 0.5, codes[-1] + 0.5)
    else:
        options["cmap"] = DEFAULT_CMAP
        options["clim"] = (codes[0], codes[-1]) if codes[0] < codes[-1] else None
        if options["clim"] is None:
            del options["clim"]
    return options


def color_options(da: xr.DataArray) -> dict[str, Any]:
    named = category_options(da)
    if named is not None:
        return named
    clim = robust_range(da)
    spans_zero = clim is not None and clim[0] < 0 < clim[1]
    cmap = colormap(da, spans_zero)
    options: dict[str, Any] = {"cmap": cmap}
    if clim is not None:
        if cmap == DIVERGING:
            bound = max(abs(clim[0]), abs(clim[1]))
            clim = (-bound, bound)
        options["clim"] = clim
    return options


def latitude_text(lat: float) -> str:
    """``5°S``, ``30.12°N`` (two decimals when not whole).

    Example:
        >>> latitude_text(-5.0), latitude_text(30.123), latitude_text(0.0)
        ('5°S', '30.12°N', '0°')
    """
    text = f"{abs(lat):.2f}".rstrip("0").rstrip(".")
    return f"{text}°" if lat == 0 else f"{text}°{'N' if lat > 0 else 'S'}"


def longitude_text(lon: float) -> str:
    """``59.88°W`` for -59.88 or 300.12 (east positive, in -180..180).

    Example:
        >>> longitude_text(-59.88), longitude_text(300.12), longitude_text(180.0)
        ('59.88°W', '59.88°W', '180°')
    """
    lon = (lon + 180.0) % 360.0 - 180.0 if not -180.0 <= lon <= 180.0 else lon
    text = f"{abs(lon):.2f}".rstrip("0").rstrip(".")
    if lon in (0.0, 180.0, -180.0):
        return f"{text}°"
    return f"{text}°{'E' if lon > 0 else 'W'}"


def reduction_text(sel: Selection) -> str:
    """What a reduction is over, for titles: ``area mean over 170°W–120°W, 5°S–5°N``, ``mean
    over 2024-01-01 to 2024-03-31``.

    Example:
        >>> reduction_text(Selection(bbox=(-170, -5, -120, 5), reduction="area_mean"))
        'area mean over 170°W–120°W, 5°S–5°N'
        >>> reduction_text(Selection(time=("2024-01-01", "2024-03-31"), reduction="time_mean"))
        'mean over 2024-01-01 to 2024-03-31'
    """
    if sel.reduction in ("zonal_mean", "meridional_mean"):
        kind = sel.reduction.replace("_", " ")
        if sel.bbox is None:
            return kind
        west, south, east, north = sel.bbox
        if sel.reduction == "zonal_mean":
            return f"{kind} over {longitude_text(west)}–{longitude_text(east)}"
        return f"{kind} over {latitude_text(south)}–{latitude_text(north)}"
    if sel.reduction == "time_mean":
        if sel.time is None:
            return "mean over the whole record"
        start, end = (str(t).replace("T00:00:00", "") if t else None for t in sel.time)
        return f"mean over {start or 'the start'} to {end or 'the end'}"
    if sel.reduction != "area_mean":
        return ""
    if sel.bbox is None:
        return "area mean over the whole grid"
    west, south, east, north = sel.bbox
    lons = f"{longitude_text(west)}–{longitude_text(east)}"
    return f"area mean over {lons}, {latitude_text(south)}–{latitude_text(north)}"


def level_text(da: xr.DataArray) -> str:
    """``at 500 hPa`` from a scalar vertical coordinate (a level the selection picked)."""
    for name, coord in da.coords.items():
        if coord.ndim != 0 or not np.issubdtype(coord.dtype, np.number):
            continue
        if axis_kind(str(name), coord) == "level":
            units = text_attr(coord, "units")
            return f"at {float(coord):g} {units}".rstrip()
    return ""


def place(da: xr.DataArray) -> str:
    """``30.12°N, 40.12°W`` from scalar latitude/longitude coordinates (a point series)."""
    found: dict[str, float] = {}
    for name, coord in da.coords.items():
        if coord.ndim != 0 or not np.issubdtype(coord.dtype, np.number):
            continue
        kind = axis_kind(str(name), coord)  # CF metadata, then names (as for the level)
        if kind in ("lat", "lon"):
            found.setdefault(kind, float(coord))
    if len(found) != 2:
        return ""
    return f"{latitude_text(found['lat'])}, {longitude_text(found['lon'])}"
