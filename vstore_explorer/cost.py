"""What a selection will cost before anything is read: chunks, stored bytes, memory.

The chunks a plan touches are found by running the same selection ops (:func:`ops.execute`) on a
*probe*: a copy of the dataset whose variables are lazily indexed zeros (nothing is allocated) and which carries the integer
position of every element along each dimension. So the estimate follows exactly the selection the
explorer and the exported script apply. Stored (compressed) sizes come from a ``chunk_nbytes``
lookup — the Icechunk manifest or the Kerchunk references (exact) — or, without one, from the
chunk grid and the decoded sizes (an upper bound for compressed data).

Example:
    >>> from vstore_explorer.ops import plan
    >>> cost = estimate(ds, plan(ds, sel), chunk_key=handle.chunk_key,
    ...                 chunk_nbytes=handle.chunk_nbytes)  # doctest: +SKIP
    >>> check(cost, Limits(max_read_bytes=500e6))  # doctest: +SKIP
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np
import xarray as xr
from xarray.backends import BackendArray
from xarray.core import indexing

from vstore_explorer.chunks import storage_chunks
from vstore_explorer.errors import SelectionError, VStoreError
from vstore_explorer.ops import KINDS, Op, describe, execute

_INDEX = "__vstore_index_{}"
MAX_EXACT_KEYS = 2_000  # up to this many chunks, every stored size is looked up (exact)
SAMPLE_KEYS = 1_000  # beyond, this many distinct chunks are looked up and the mean scaled
# A rough load time: measured on the demo's stores on local disk with 2 cores (2026-12), a chunk
# costs about 10 ms to fetch and decompress and decoded data is reduced at about 600 MB/s.
SECONDS_PER_CHUNK = 0.01
DECODED_BYTES_PER_SECOND = 600e6

ChunkKey = Callable[[str, Sequence[int]], str]
ChunkSizes = Callable[[Sequence[str]], list[int | None]]


def human_bytes(n: float | None) -> str:
    """``1234567`` -> ``'1.2 MB'`` (decimal units, as storage is billed).

    Example:
        >>> human_bytes(1234567), human_bytes(999), human_bytes(None)
        ('1.2 MB', '999 B', 'unknown')
    """
    if n is None:
        return "unknown"
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if abs(n) < 1000 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} TB"  # pragma: no cover


@dataclass(frozen=True)
class VariableCost:
    """The cost of one variable of the selection.

    Example:
        >>> v = VariableCost("sst", chunks=2, stored_bytes=16, decoded_bytes=16,
        ...                  chunk_shape=(1, 2), selected_shape=(2, 2))
        >>> Cost((v,), exact=False, source="chunk grid", result_bytes=16).chunks
        2
    """

    name: str
    chunks: int
    stored_bytes: int | None
    decoded_bytes: int
    chunk_shape: tuple[int, ...]
    selected_shape: tuple[int, ...]


@dataclass(frozen=True)
class Cost:
    """Chunks and bytes a selection reads, and the memory the loaded subset takes.

    ``exact`` says the stored bytes were summed from the manifest/references for every chunk;
    otherwise they are sampled or derived from the grid (``source`` says which).

    Example:
        >>> v = VariableCost("sst", chunks=12, stored_bytes=9_100_000, decoded_bytes=24_900_000,
        ...                  chunk_shape=(1, 100, 100), selected_shape=(12, 500, 500))
        >>> Cost((v,), exact=True, source="Icechunk manifest", result_bytes=48).summary()
        '12 chunks, 9.1 MB to read (exact, Icechunk manifest), 24.9 MB in memory'
    """

    variables: tuple[VariableCost, ...]
    exact: bool
    source: str
    result_bytes: int

    @property
    def chunks(self) -> int:
        return sum(v.chunks for v in self.variables)

    @property
    def stored_bytes(self) -> int | None:
        sizes = [v.stored_bytes for v in self.variables]
        known = [s for s in sizes if s is not None]
        return sum(known) if len(known) == len(sizes) else None

    @property
    def decoded_bytes(self) -> int:
        return sum(v.decoded_bytes for v in self.variables)

    def seconds(self) -> float:
        """A rough time to load it here (the explorer waits for 'Apply' above a second).

        Example:
            >>> v = VariableCost("sst", 365, None, 3_000_000_000, (1, 720, 1440), (365, 720, 1440))
            >>> round(Cost((v,), exact=False, source="chunk grid", result_bytes=0).seconds(), 1)
            8.7
        """
        return self.chunks * SECONDS_PER_CHUNK + self.decoded_bytes / DECODED_BYTES_PER_SECOND

    def summary(self) -> str:
        """One line: ``'12 chunks, 9.1 MB to read (exact, Icechunk manifest), 24.9 MB in memory'``."""
        how = "exact" if self.exact else "estimated"
        return (
            f"{self.chunks:,} chunk{'s' if self.chunks != 1 else ''}, "
            f"{human_bytes(self.stored_bytes)} to read ({how}, {self.source}), "
            f"{human_bytes(self.decoded_bytes)} in memory"
        )

    def to_dict(self) -> dict[str, object]:
        return {
            "chunks": self.chunks,
            "stored_bytes": self.stored_bytes,
            "decoded_bytes": self.decoded_bytes,
            "result_bytes": self.result_bytes,
            "exact": self.exact,
            "source": self.source,
        }


@dataclass(frozen=True)
class Limits:
    """Largest request the explorer reads without being asked to (bytes, decimal).

    Example:
        >>> Limits()
        Limits(max_read_bytes=2000000000.0, max_memory_bytes=4000000000.0)
        >>> human_bytes(Limits(max_read_bytes=500e6).max_read_bytes)
        '500.0 MB'
    """

    max_read_bytes: float = 2e9
    max_memory_bytes: float = 4e9

    def __post_init__(self) -> None:
        for name in ("max_read_bytes", "max_memory_bytes"):
            value = getattr(self, name)
            if not isinstance(value, int | float) or not value > 0:
                raise SelectionError(f"{name} must be a positive number of bytes, got {value!r}")


_SIZE = re.compile(r"\s*([0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?)\s*([kKMGT]?)(i?)B?\s*")
_UNITS = MappingProxyType({"": 1, "k": 1e3, "K": 1e3, "M": 1e6, "G": 1e9, "T": 1e12})


def parse_size(text: str) -> float:
    """A size in bytes from ``500MB``, ``2 GB``, ``1.5e9``, ``750kB`` (decimal units; ``MiB``
    binary).

    Example:
        >>> parse_size("500MB"), parse_size("2e9"), parse_size("1 GiB")
        (500000000.0, 2000000000.0, 1073741824.0)

    Raises:
        SelectionError: text that is not a positive size.
    """
    match = _SIZE.fullmatch(str(text))
    if match is None:
        raise SelectionError(
            f"{text!r} is not a size: give bytes as a number with an optional unit, such as "
            "500MB, 2GB or 1.5e9"
        )
    number, unit, binary = match.groups()
    scale = 1024.0 ** " KMGT".index(unit.upper()) if binary and unit else _UNITS[unit]
    value = float(number) * scale
    if not value > 0:
        raise SelectionError(f"{text!r}: a size must be more than 0 bytes")
    return value


class CostLimitError(VStoreError, ValueError):
    """A request above the configured limits was stopped before reading anything.

    Example:
        >>> v = VariableCost("sst", 2, 16, 16, (1, 2), (2, 2))
        >>> try:
        ...     check(Cost((v,), False, "chunk grid", 16), Limits(max_read_bytes=10))
        ... except CostLimitError as exc:
        ...     print(str(exc).splitlines()[0], exc.cost.chunks)
        request stopped before reading: it reads 16 B (limit 10 B). 2
    """

    def __init__(self, message: str, cost: Cost) -> None:
        super().__init__(message)
        self.cost = cost


class _Zeros(BackendArray):
    """Zeros of a given shape and dtype that xarray indexes lazily (never materialised whole).

    The probe's variables: selection ops compose on them without reading or allocating anything,
    so probing a decade of global fields costs no more than probing a day.
    """

    def __init__(self, shape: tuple[int, ...], dtype: np.dtype) -> None:
        self.shape = shape
        self.dtype = dtype

    def __getitem__(self, key: indexing.ExplicitIndexer) -> np.ndarray:
        return indexing.explicit_indexing_adapter(
            key, self.shape, indexing.IndexingSupport.OUTER, self._raw
        )

    def _raw(self, key: tuple[Any, ...]) -> np.ndarray:
        """Zeros of the shape an outer (orthogonal) key selects."""
        shape: list[int] = []
        for k, n in zip(key, self.shape, strict=False):
            if isinstance(k, slice):
                shape.append(len(range(*k.indices(n))))
            elif not isinstance(k, int | np.integer):
                shape.append(int(np.asarray(k).size))
        shape += self.shape[len(key) :]
        return np.zeros(shape, dtype=self.dtype)


def _probe(ds: xr.Dataset, names: Iterable[str], real: Iterable[str] = ()) -> xr.Dataset:
    """The dataset's coordinates, lazy zero variables, and the element positions per dimension;
    ``real`` variables (the 2-D geolocation a ``geolocate`` op makes coordinates) are kept as
    they are, since the point and box ops on such grids read them."""
    variables: dict[str, xr.Variable] = {n: ds[n].variable for n in real}
    variables |= {
        name: xr.Variable(
            ds[name].dims,
            indexing.LazilyIndexedArray(_Zeros(ds[name].shape, ds[name].dtype)),
            ds[name].attrs,
        )
        for name in names
    }
    # fastpath: xarray's checks on plain numpy data would import dask.array (~0.2-0.4 s cold)
    positions = {
        _INDEX.format(d): xr.Variable((d,), np.arange(n), fastpath=True)
        for d, n in ds.sizes.items()
    }
    coords = {str(k): v.variable for k, v in ds.coords.items()}
    return xr.Dataset(variables, coords={**coords, **positions}, attrs=ds.attrs)


def selected_positions(ds: xr.Dataset, ops: Sequence[Op]) -> dict[str, dict[str, np.ndarray]]:
    """For each selected variable, the integer positions it reads along each of its dimensions.

    Example:
        >>> import numpy as np
        >>> from vstore_explorer.ops import plan
        >>> from vstore_explorer.selection import Selection
        >>> ds = xr.Dataset({"t": (("lat", "lon"), np.zeros((3, 4)))},
        ...                 coords={"lat": [-10.0, 0.0, 10.0], "lon": [0.0, 90.0, 180.0, 270.0]})
        >>> ops = plan(ds, Selection(variables=("t",), bbox=(0, -5, 100, 15)))
        >>> {d: p.tolist() for d, p in selected_positions(ds, ops)["t"].items()}
        {'lat': [1, 2], 'lon': [0, 1]}
    """
    subset_ops = [op for op in ops if KINDS[op.name].selects]
    names = [n for op in ops if (picks := KINDS[op.name].variables) for n in picks(op.kwargs)]
    if not names:
        names = [str(n) for n in ds.data_vars]
    real = [n for op in ops if op.name == "geolocate" for n in op["names"]]
    result = execute(_probe(ds, names, real), subset_ops)
    objects = (
        {names[0]: result} if isinstance(result, xr.DataArray) else {n: result[n] for n in names}
    )
    out: dict[str, dict[str, np.ndarray]] = {}
    for name, obj in objects.items():
        out[name] = {
            str(d): np.atleast_1d(np.asarray(obj.coords[_INDEX.format(d)].values))
            for d in ds[name].dims
        }
    return out


def estimate(
    ds: xr.Dataset,
    ops: Sequence[Op],
    *,
    chunk_key: ChunkKey | None = None,
    chunk_nbytes: ChunkSizes | None = None,
    source: str = "chunk grid",
    max_exact: int | None = MAX_EXACT_KEYS,
) -> Cost:
    """The :class:`Cost` of applying ``ops`` to ``ds`` (nothing is read but chunk sizes).

    With a ``chunk_nbytes`` lookup, every chunk's stored size is summed when a variable touches
    at most ``max_exact`` chunks (``None``: always); above, :data:`SAMPLE_KEYS` distinct chunks
    are looked up and their mean scaled (``exact`` False, ``source`` ends in ", sampled").

    Example:
        >>> import numpy as np
        >>> from vstore_explorer.ops import plan
        >>> from vstore_explorer.selection import Selection
        >>> ds = xr.Dataset({"t": (("lat", "lon"), np.zeros((3, 4), dtype="float32"))},
        ...                 coords={"lat": [-10.0, 0.0, 10.0], "lon": [0.0, 90.0, 180.0, 270.0]})
        >>> ds["t"].encoding["chunks"] = (1, 2)
        >>> ops = plan(ds, Selection(variables=("t",), bbox=(0, -5, 100, 15)))
        >>> estimate(ds, ops).summary()
        '2 chunks, 16 B to read (estimated, chunk grid), 16 B in memory'
    """
    positions = selected_positions(ds, ops)
    costs = []
    exact = chunk_nbytes is not None and chunk_key is not None
    sampled = False
    for name, dims in positions.items():
        var = ds[name]
        chunk_shape = storage_chunks(var)
        per_dim = [np.unique(dims[str(d)] // c) for d, c in zip(var.dims, chunk_shape, strict=True)]
        n_chunks = math.prod(len(p) for p in per_dim)
        selected_shape = tuple(len(dims[str(d)]) for d in var.dims)
        decoded = math.prod(selected_shape) * var.dtype.itemsize
        stored: int | None
        if chunk_nbytes is not None and chunk_key is not None and n_chunks:
            keys = itertools.product(*per_dim)
            if max_exact is not None and n_chunks > max(max_exact, SAMPLE_KEYS):  # ~0.1 ms each
                exact, sampled = False, True
                flat = np.random.default_rng(0).choice(n_chunks, SAMPLE_KEYS, replace=False)
                where = np.unravel_index(flat, [len(p) for p in per_dim])
                picks = zip(*(p[i] for p, i in zip(per_dim, where, strict=True)), strict=True)
                sizes = chunk_nbytes([chunk_key(name, tuple(int(i) for i in k)) for k in picks])
                known = [s for s in sizes if s is not None]
                stored = int(np.mean(known) * n_chunks) if known else 0
            else:
                sizes = chunk_nbytes([chunk_key(name, tuple(int(i) for i in k)) for k in keys])
                stored = sum(s for s in sizes if s is not None)
        else:
            chunk_bytes = math.prod(chunk_shape) * _stored_itemsize(var)
            stored = n_chunks * chunk_bytes
        costs.append(VariableCost(name, n_chunks, stored, decoded, chunk_shape, selected_shape))
    result_bytes = _result_bytes(ds, ops, positions)
    return Cost(
        tuple(costs),
        exact,
        (f"{source}, sampled" if sampled else source) if exact or chunk_nbytes else "chunk grid",
        result_bytes,
    )


def _stored_itemsize(var: xr.DataArray) -> int:
    dtype = var.encoding.get("dtype")
    return np.dtype(dtype).itemsize if dtype is not None else var.dtype.itemsize


def _result_bytes(
    ds: xr.Dataset, ops: Sequence[Op], positions: dict[str, dict[str, np.ndarray]]
) -> int:
    reduced: set[str] = set()
    for op in ops:
        if op.name == "area_mean":
            reduced |= {op["lat"], op["lon"]}
        elif op.name in ("time_mean", "zonal_mean", "meridional_mean"):
            reduced.add(op["dim"])
        elif op.name in ("cell_mean", "cell_area_mean"):
            reduced |= set(op["dims"])
    total = 0
    for name, dims in positions.items():
        n = math.prod(len(v) for d, v in dims.items() if d not in reduced)
        total += n * ds[name].dtype.itemsize
    return total


def check(cost: Cost, limits: Limits, ops: Sequence[Op] = ()) -> None:
    """Raise :class:`CostLimitError` when ``cost`` exceeds ``limits``: what, how much, what to do.

    Example:
        >>> cost = Cost((VariableCost("sst", 2, 16, 16, (1, 2), (2, 2)),), False, "chunk grid", 16)
        >>> check(cost, Limits()) is None  # well under the limits: nothing happens
        True
    """
    over = []
    if cost.stored_bytes is not None and cost.stored_bytes > limits.max_read_bytes:
        over.append(
            f"it reads {human_bytes(cost.stored_bytes)} (limit {human_bytes(limits.max_read_bytes)})"
        )
    if cost.decoded_bytes > limits.max_memory_bytes:
        over.append(
            f"it needs {human_bytes(cost.decoded_bytes)} of memory "
            f"(limit {human_bytes(limits.max_memory_bytes)})"
        )
    if not over:
        return
    asked = "; ".join(describe(ops)) if ops else "the selection"
    biggest = max(cost.variables, key=lambda v: v.decoded_bytes)
    message = (
        f"request stopped before reading: {' and '.join(over)}.\n"
        f"Asked for: {asked}.\n"
        f"Cost: {cost.summary()}; the largest part is {biggest.name!r} "
        f"{'x'.join(map(str, biggest.selected_shape))} in {biggest.chunks:,} chunks.\n"
        "To narrow it: pick a shorter time range, a smaller box, one level, a point, or a coarser "
        "preview (stride); or raise the limit and run it on a dask cluster "
        "(vstore_explorer.load(..., client=distributed.Client(...), limits=Limits(...)))."
    )
    raise CostLimitError(message, cost)
