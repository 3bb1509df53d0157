"""CF flags (``flag_values`` with ``flag_meanings``): named codes in a variable.

A *measurement* that carries flag codes (wind speeds stored as 0..250 with 251-255 meaning land,
ice, rain, no observation) has them masked unless ``Selection.flags == "keep"``: codes its CF
valid range already excludes are masked by that range, these are the rest. A variable that is
*only* categories (an unscaled integer code without physical units, such as a surface type) is
never masked: its categories are its values, and maps name them (:func:`categories`).

Pure: metadata only.

Example:
    >>> import numpy as np, xarray as xr
    >>> wind = xr.DataArray(np.zeros(3, "f4"), attrs={"units": "m s-1",
    ...     "flag_values": np.array([251, 252], "u1"), "flag_meanings": "land ice"})
    >>> wind.encoding = {"dtype": np.dtype("u1"), "scale_factor": 0.2}
    >>> flag_codes(wind), is_categorical(wind)
    ({50.2: 'land', 50.4: 'ice'}, False)
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

import numpy as np
import xarray as xr

from vstore_explorer.ops.op import Op

_NO_UNITS = frozenset({"", "1", "-", "none", "n/a", "dimensionless"})


def _scale_offset(var: xr.DataArray) -> tuple[float, float]:
    enc, attrs = var.encoding, var.attrs
    scale = enc.get("scale_factor", attrs.get("scale_factor"))
    offset = enc.get("add_offset", attrs.get("add_offset"))
    s = float(np.asarray(scale).ravel()[0]) if scale is not None else 1.0
    o = float(np.asarray(offset).ravel()[0]) if offset is not None else 0.0
    return s, o


def flag_codes(var: xr.DataArray) -> dict[float, str] | None:
    """The decoded value of each CF flag code and its meaning, or ``None`` (no flags, or
    ``flag_values``/``flag_meanings`` that do not pair up)."""
    values = var.attrs.get("flag_values")
    meanings = var.attrs.get("flag_meanings")
    if values is None or not isinstance(meanings, str):
        return None
    codes = np.atleast_1d(np.asarray(values)).ravel()
    names = meanings.split()
    if codes.size == 0 or codes.size != len(names) or not np.issubdtype(codes.dtype, np.number):
        return None
    s, o = _scale_offset(var)
    return {round(float(c) * s + o, 12): name for c, name in zip(codes, names, strict=True)}


def is_categorical(var: xr.DataArray) -> bool:
    """Whether the variable is only categories: flag codes, no scaling, no physical units."""
    if flag_codes(var) is None:
        return False
    stored = np.dtype(var.encoding.get("dtype", var.dtype))
    units = str(var.attrs.get("units", "")).strip().lower()
    scaled = any(k in var.encoding or k in var.attrs for k in ("scale_factor", "add_offset"))
    return stored.kind in "iub" and not scaled and units in _NO_UNITS


def flag_mask_op(ds: xr.Dataset, names: Sequence[Hashable], single: bool) -> Op | None:
    """The ``mask_flags`` op for the selected measurements that carry flag codes."""
    masks = []
    for name in names:
        var = ds[name]
        codes = flag_codes(var)
        if codes is None or is_categorical(var):
            continue
        s, _ = _scale_offset(var)
        stored = np.dtype(var.encoding.get("dtype", var.dtype))
        tolerance = abs(s) / 2 if stored.kind in "iu" and s != 1.0 else 0.0
        masks.append((str(name), tuple(codes), tolerance))
    return Op.make("mask_flags", masks=tuple(masks), single=single) if masks else None


def categories(da: xr.DataArray) -> dict[float, str] | None:
    """The named categories a map shows for a categorical variable, else ``None``."""
    return flag_codes(da) if is_categorical(da) else None
