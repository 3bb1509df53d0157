"""Pre-flight: what every granule of one store must share, checked before anything is written.

A virtual store decodes every granule's chunks with one array's metadata, so granules must agree
on variables, dimensions, dtype, chunk shape, codec pipeline, fill value, ``scale_factor`` and
``add_offset`` (VirtualiZarr would otherwise silently decode some granules wrong), and on the grid.
The first granule that differs is refused, naming the field.

Example:
    >>> check_consistent(granules, "time")  # doctest: +SKIP
    Traceback (most recent call last):
    GranuleMismatchError: granule file:///d/b.nc: does not match the store: sst: scale_factor 0.02 instead of 0.01
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import xarray as xr

from vstore_explorer.build.coordinates import coordinate_names
from vstore_explorer.build.errors import GranuleMismatchError

if TYPE_CHECKING:
    from vstore_explorer.build.virtualize import VirtualGranule

ENCODING_ATTRS = ("_FillValue", "missing_value", "scale_factor", "add_offset")


@dataclass(frozen=True)
class VariableFacts:
    """The parts of one variable that must match across granules."""

    dims: tuple[str, ...]
    dtype: str
    chunks: tuple[int, ...] | None
    codecs: str | None
    encoding: tuple[tuple[str, str], ...]

    def differences(self, name: str, other: VariableFacts) -> list[str]:
        out = []
        if self.dims != other.dims:
            out.append(f"{name}: dimensions {other.dims} instead of {self.dims}")
        if self.dtype != other.dtype:
            out.append(f"{name}: dtype {other.dtype} instead of {self.dtype}")
        if self.chunks and other.chunks and self.chunks != other.chunks:
            out.append(f"{name}: chunks {other.chunks} instead of {self.chunks}")
        if self.codecs and other.codecs and self.codecs != other.codecs:
            out.append(f"{name}: codecs {other.codecs} instead of {self.codecs}")
        mine, theirs = dict(self.encoding), dict(other.encoding)
        for attr in ENCODING_ATTRS:
            if mine.get(attr) != theirs.get(attr):
                out.append(
                    f"{name}: {attr} {theirs.get(attr, 'absent')} instead of "
                    f"{mine.get(attr, 'absent')}"
                )
        return out


def _codecs_text(metadata: Any) -> str:
    parts = []
    for codec in metadata.codecs:
        info = codec.to_dict()
        config = info.get("configuration") or {}
        parts.append(
            info["name"]
            + (json.dumps(config, sort_keys=True, separators=(",", ":")) if config else "")
        )
    return " -> ".join(parts)


def _encoding_of(attrs: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    return tuple((k, repr(_plain(attrs[k]))) for k in ENCODING_ATTRS if k in attrs)


def _plain(value: Any) -> Any:
    if isinstance(value, np.ndarray | np.generic):
        return value.tolist()
    if isinstance(value, list | tuple) and len(value) == 1:
        return _plain(value[0])
    return value


def _facts(dims: Sequence[Any], dtype: Any, metadata: Any, attrs: Mapping[str, Any], dim: str):
    chunks = None
    codecs = None
    if metadata is not None:
        shape = tuple(metadata.chunk_grid.chunk_shape)
        chunks = tuple(c for d, c in zip(dims, shape, strict=True) if d != dim)
        codecs = _codecs_text(metadata)
    return VariableFacts(
        tuple(map(str, dims)), str(np.dtype(dtype)), chunks, codecs, _encoding_of(attrs)
    )


@dataclass(frozen=True)
class Signature:
    """What every granule of one store group must share: variables and their encodings, the grid.

    Only virtual variables carry chunk and codec facts: loaded ones (coordinates) are rewritten.
    """

    variables: dict[str, VariableFacts]
    grid: dict[str, np.ndarray]

    @classmethod
    def of(cls, ds: xr.Dataset, dim: str) -> Signature:
        """The signature of a granule's virtual dataset (or of a decoded dataset: no codecs)."""
        variables = {}
        for name, var in ds.data_vars.items():
            metadata = getattr(var.variable._data, "metadata", None)  # a ManifestArray
            attrs = var.attrs if metadata is not None else {}
            variables[str(name)] = _facts(var.dims, var.dtype, metadata, attrs, dim)
        grid = {str(k): np.asarray(v.values) for k, v in ds.coords.items() if _is_grid(v, k, dim)}
        virtual = {str(n) for n, v in ds.data_vars.items() if hasattr(v.variable._data, "manifest")}
        grid.update(_loaded_bounds(ds, dim, exclude=virtual))
        return cls(variables, grid)

    @classmethod
    def of_store(cls, group: Any, decoded: xr.Dataset, dim: str, virtual: set[str]) -> Signature:
        """The signature of a store group already written (``virtual``: names to take codecs of)."""
        variables = {}
        for name, var in decoded.data_vars.items():
            array = group[str(name)]
            is_virtual = str(name) in virtual
            metadata = array.metadata if is_virtual else None
            attrs = dict(array.attrs) if is_virtual else {}
            # a loaded variable compares decoded, as a granule's loaded variable is (time_bnds)
            dtype = array.dtype if is_virtual else var.dtype
            variables[str(name)] = _facts(var.dims, dtype, metadata, attrs, dim)
        grid = {
            str(k): np.asarray(v.values) for k, v in decoded.coords.items() if _is_grid(v, k, dim)
        }
        grid.update(_loaded_bounds(decoded, dim, exclude=virtual))
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
            out += self.variables[name].differences(name, other.variables[name])
        for coord in sorted(set(self.grid) | set(other.grid)):
            a, b = self.grid.get(coord), other.grid.get(coord)
            if a is None or b is None:
                out.append(f"coordinate {coord!r} {'missing' if b is None else 'unexpected'}")
            elif a.shape != b.shape:
                out.append(f"grid {coord!r} has {b.size} points instead of {a.size}")
            elif not np.array_equal(a, b, equal_nan=a.dtype.kind in "fc" and b.dtype.kind in "fc"):
                # identical, not close: the store keeps one copy (the first granule's)
                where = np.flatnonzero(~_same(a, b))
                first = int(where[0]) if where.size else 0
                out.append(
                    f"grid {coord!r} values differ (at index {first}: {b.flat[first]!r} instead "
                    f"of {a.flat[first]!r})"
                )
        return out


def _same(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Element-wise equality (NaN equals NaN for floats)."""
    equal = np.asarray(a == b)
    if a.dtype.kind in "fc" and b.dtype.kind in "fc":
        equal |= np.isnan(a) & np.isnan(b)
    return equal.reshape(-1)


def _loaded_bounds(ds: xr.Dataset, dim: str, exclude: set[str]) -> dict[str, np.ndarray]:
    """Loaded bounds variables not along ``dim`` (``lat_bnds``): stored once, so compared like
    the grid."""
    described = {str(n): (v.dims, {**v.encoding, **v.attrs}) for n, v in ds.variables.items()}
    return {
        name: np.asarray(ds[name].values)
        for name in coordinate_names(described)
        if name in ds.data_vars
        and name not in exclude
        and dim not in ds[name].dims
        and not hasattr(ds[name].variable._data, "manifest")
    }


def _is_grid(var: xr.DataArray, name: Any, dim: str) -> bool:
    """A loaded 1-D coordinate that is not along the concatenation dimension (lat, lon, level)."""
    loaded = not hasattr(var.variable._data, "manifest")
    return name != dim and var.ndim == 1 and dim not in var.dims and loaded


def check_consistent(
    granules: Sequence[VirtualGranule],
    dim: str,
    reference: Mapping[str, Signature] | None = None,
) -> None:
    """Refuse the first granule whose groups, variables, encodings or grid differ from the
    reference (the store's signature when appending, else the first granule's)."""
    if not granules:
        return
    first = granules[0]
    ref = (
        dict(reference)
        if reference
        else {g: Signature.of(ds, dim) for g, ds in first.groups.items()}
    )
    for granule in granules:
        if set(granule.groups) != set(ref):
            raise GranuleMismatchError(
                granule.url,
                f"has groups {', '.join(granule.groups)} instead of {', '.join(ref)}",
            )
        for group, ds in granule.groups.items():
            diffs = ref[group].differences(Signature.of(ds, dim))
            if diffs:
                where = "" if group == "/" else f" (group {group})"
                raise GranuleMismatchError(
                    granule.url, f"does not match the store{where}: " + "; ".join(diffs)
                )
