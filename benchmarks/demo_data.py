"""The SST demo collection at a given size and granule layout: built once into the cache, reused.

Two layouts of the same values (:data:`LAYOUTS`): ``gamssa``, the demo product as it is (one
1×720×1440 chunk per daily field, as the real GAMSSA granules), and ``chunked``, the same product
with spatially chunked granules (1×240×480: 3×3 chunks per field, as cloud-era L4 products such as
MUR chunk theirs), derived with ``dataclasses.replace`` without changing the demo product.

Each (size, layout) lives in its own folder (``<cache>/sst-<size>`` for ``gamssa``, as before;
``<cache>/sst-<size>-chunked-240x480``) holding a complete demo archive of the SST product only:
NetCDF4 granules, an Icechunk store and Kerchunk JSON/Parquet references; beside them
``stores/<SST>.built.icechunk``, the same granules built the way users build a store
(``vstore-explorer build granules/*.nc --store ...``, in a subprocess), for the ``built`` path.

Example:
    >>> prepared = prepare(Path("benchmarks/work"), 365, "chunked")  # doctest: +SKIP
    >>> prepared.sources.count, prepared.key  # doctest: +SKIP
    (365, '365/chunked')
    >>> LAYOUTS["chunked"].folder("tiny")
    'sst-tiny-chunked-240x480'
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.cases import Case
from benchmarks.paths import Sources

SST = "DEMO_25km-VSTOREDEMO-L4-GLOB-v01"
TIME_FORMAT = "%Y-%m-%dT%H:%M:%S"
INT16_BYTES = 2  # analysed_sst is packed int16: a chunk's inflated size is its cells x 2

Say = Callable[[str], None]


@dataclass(frozen=True)
class Layout:
    """How the granules' science variables are chunked.

    Attributes:
        name: the label used on the command line and in the report.
        chunks: the chunk shape of every (time, lat, lon) variable; None keeps the product's own.
        title: a short description for the report.
        time_chunk: the granules' ``time`` chunk; None keeps the product's (1,048,576 values,
            as GAMSSA's), 1 gives one-value chunks as most daily products have.
    """

    name: str
    chunks: tuple[int, int, int] | None
    title: str
    time_chunk: int | None = None

    def folder(self, size: str | int) -> str:
        """The cache folder's name for ``size`` granules in this layout."""
        if self.chunks is None:
            return f"sst-{size}"
        return f"sst-{size}-{self.name}-" + "x".join(map(str, self.chunks[1:]))

    def product(self) -> Any:
        """The SST demo product in this layout (the registered product when ``chunks`` is None)."""
        from vstore_explorer.demo.products import get_product

        product = get_product(SST)
        if self.chunks is None:
            return product
        grid = ("time", "lat", "lon")
        variables = tuple(
            dataclasses.replace(v, chunks=self.chunks) if v.dims == grid else v
            for v in product.variables
        )
        coords = tuple(
            dataclasses.replace(c, chunks=(self.time_chunk,))
            if c.name == "time" and self.time_chunk is not None
            else c
            for c in product.coords
        )
        return dataclasses.replace(product, variables=variables, coords=coords)


# 240x480: 3x3 chunks of 230 kB (int16) per field. Decoding the chunk of the point costs ~1/18
# of the whole field (1/25 at 180x360, 1/76 at 90x180; benchmarks/README.md), and the references
# stay 9 per field (33k per variable at 3650 granules, not 58k or 234k).
LAYOUTS = {
    "gamssa": Layout("gamssa", None, "one 1×720×1440 chunk per field, as the GAMSSA granules"),
    "chunked": Layout("chunked", (1, 240, 480), "1×240×480 chunks (3×3 per field)"),
    # opt-in (--layouts time1): granules whose `time` has one-value chunks, as most daily
    # products, which stores used to keep as one chunk per granule (issue #16)
    "time1": Layout(
        "time1", (1, 240, 480), "1×240×480 chunks, `time` in one-value chunks", time_chunk=1
    ),
}
LAYOUT_NAMES = ("gamssa", "chunked")
"""The layouts measured by default."""


def layout_of(name: str) -> Layout:
    """The :class:`Layout` called ``name``."""
    try:
        return LAYOUTS[name]
    except KeyError:
        raise ValueError(f"unknown layout {name!r}; known: {', '.join(LAYOUTS)}") from None


def collection_key(size: str | int, layout: str) -> str:
    """The key of one (size, layout) collection in the results: ``"365/chunked"``."""
    return f"{size}/{layout}"


def parse_size(text: str | int) -> str | int:
    """``"tiny"`` (6 granules, for CI) or a positive number of daily granules."""
    if isinstance(text, int) and not isinstance(text, bool):
        value: str | int = text
    elif str(text).strip().lower() == "tiny":
        return "tiny"
    else:
        try:
            value = int(str(text))
        except ValueError:
            raise ValueError(
                f"size must be 'tiny' or a number of daily granules, got {text!r}"
            ) from None
    if isinstance(value, int) and value < 1:
        raise ValueError(f"size must be at least 1 granule, got {value}")
    return value


@dataclass(frozen=True)
class Prepared:
    """A collection ready to measure: where it is, its time steps and its footprint on disk."""

    size: str
    layout: str
    chunks: tuple[int, ...]
    root: Path
    sources: Sources
    times: tuple[str, ...]
    reused: bool
    build_s: float
    disk_bytes: dict[str, int]
    cli_build_s: float = 0.0

    @property
    def key(self) -> str:
        return collection_key(self.size, self.layout)

    def describe(self) -> dict[str, Any]:
        return {
            "size": self.size,
            "layout": self.layout,
            "chunks": list(self.chunks),
            "chunk_bytes": math.prod(self.chunks) * INT16_BYTES,
            "granules": self.sources.count,
            "root": str(self.root),
            "first": self.times[0],
            "last": self.times[-1],
            "reused": self.reused,
            "build_s": round(self.build_s, 2),
            "cli_build_s": round(self.cli_build_s, 2),
            "disk_bytes": self.disk_bytes,
        }


def _folder_bytes(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _complete(archive: Any, size: str | int, chunks: tuple[int, ...]) -> bool:
    if archive is None or archive.size != str(size):
        return False
    try:
        collection = archive.collection(SST)
        collection.link("icechunk")
        collection.link("kerchunk-json")
        sources = sources_of(archive)
        return (
            stored_chunks(sources) == chunks
            and manifests_split(sources)
            and one_chunk_time(sources.icechunk)
        )
    except (ValueError, OSError, KeyError):
        return False


def one_chunk_time(store: str) -> bool:
    """Whether the store keeps ``time`` in one chunk of exactly its length, as the builders write
    it now. Stores built before kept the granules' chunk: one per granule for one-value chunks
    (``time1``), or one oversized chunk (the demo granules' 1,048,576 values, as GAMSSA's); they
    are rebuilt, so the numbers are those of the stores the builders write."""
    import icechunk
    import zarr

    repo = icechunk.Repository.open(icechunk.local_filesystem_storage(store))
    array = zarr.open_group(repo.readonly_session("main").store, mode="r")["time"]
    return isinstance(array, zarr.Array) and tuple(array.chunks) == tuple(array.shape)


def build_with_cli(sources: Sources, root: Path, say: Say) -> tuple[Path, float]:
    """The collection's granules built into ``<root>/stores/<SST>.built.icechunk`` by
    ``vstore-explorer build`` in a subprocess (reused when complete); the store and the
    seconds the build took (0 when reused)."""
    import subprocess
    import sys

    import icechunk

    store = root / "stores" / f"{SST}.built.icechunk"
    if store.is_dir() and icechunk.Repository.exists(icechunk.local_filesystem_storage(str(store))):
        from benchmarks.paths import open_path

        built = dataclasses.replace(sources, built=str(store))
        if (
            one_chunk_time(str(store))
            and len(open_path("built", built).dataset.time) == sources.count
        ):
            return store, 0.0
    say(f"building {store.name} with `vstore-explorer build` ({sources.count} granules) ...")
    started = time.perf_counter()
    command = [sys.executable, "-m", "vstore_explorer.cli", "build"]
    command += [str(Path(sources.granules) / "*.nc"), "--store", str(store), "--overwrite"]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"vstore-explorer build failed: {done.stderr[-2000:]}")
    return store, time.perf_counter() - started


def manifests_split(sources: Sources) -> bool:
    """Whether the Icechunk store splits its manifests (built since ``manifest_config``): older
    stores keep every reference in one manifest, which a one-day map reads whole."""
    import icechunk

    config = icechunk.Repository.fetch_config(icechunk.local_filesystem_storage(sources.icechunk))
    manifest = config.manifest if config else None
    return manifest is not None and manifest.splitting is not None


def stored_chunks(sources: Sources, variable: str = "analysed_sst") -> tuple[int, ...]:
    """The chunk shape of ``variable`` in the collection's Icechunk store."""
    from benchmarks.paths import open_path

    return tuple(open_path("icechunk", sources)[variable].encoding["chunks"])


def prepare(
    cache: Path, size: str | int, layout: str = "gamssa", *, say: Say | None = None
) -> Prepared:
    """The SST collection of ``size`` granules in ``layout`` under ``cache`` (built if missing,
    incomplete or chunked otherwise)."""
    from vstore_explorer.demo.archive import build_demo, load_demo

    say = say or (lambda _msg: None)
    chosen = layout_of(layout)
    product = chosen.product()
    chunks = product.variable("analysed_sst").chunks
    root = (cache / chosen.folder(size)).resolve()
    archive = load_demo(root)
    started = time.perf_counter()
    reused = _complete(archive, size, chunks)
    if not reused:
        say(f"building the SST demo collection ({size} granules, {layout} layout) in {root} ...")
        variants = () if chosen.chunks is None else (product,)
        archive = build_demo(root, size, products=(SST,), progress=say, variants=variants)
    build_s = 0.0 if reused else time.perf_counter() - started
    sources = sources_of(archive)
    built, cli_build_s = build_with_cli(sources, root, say)
    sources = dataclasses.replace(sources, built=str(built))
    disk = {
        "granules": _folder_bytes(Path(sources.granules)),
        "icechunk": _folder_bytes(Path(sources.icechunk)),
        "icechunk_built": _folder_bytes(built),
        "kerchunk_json": _folder_bytes(Path(sources.kerchunk)),
    }
    times = time_steps(sources)
    return Prepared(
        str(size), layout, chunks, root, sources, times, reused, build_s, disk, cli_build_s
    )


def sources_of(archive: Any) -> Sources:
    """The :class:`Sources` of the archive's SST collection."""
    import icechunk

    from vstore_explorer.stores.urls import local_path

    collection = archive.collection(SST)
    repo = local_path(collection.link("icechunk").url)
    config = icechunk.Repository.fetch_config(icechunk.local_filesystem_storage(str(repo)))
    containers = sorted((config.virtual_chunk_containers or {}) if config else {})
    if len(containers) != 1:
        raise ValueError(f"expected one virtual chunk container in {repo}, found {containers}")
    granules = archive.root / "granules" / SST
    return Sources(
        icechunk=str(repo),
        container=containers[0],
        kerchunk=str(local_path(collection.link("kerchunk-json").url)),
        granules=str(granules),
        count=len(list(granules.glob("*.nc"))),
    )


def time_steps(sources: Sources) -> tuple[str, ...]:
    """The record's time steps (ISO strings), read from the Kerchunk references."""
    import pandas as pd

    from benchmarks.paths import open_path

    ds = open_path("kerchunk", sources)
    return tuple(pd.DatetimeIndex(ds["time"].values).strftime(TIME_FORMAT))


def needed(sources: Sources, cases: Sequence[Case]) -> dict[str, dict[str, Any]]:
    """What each reading case must read, from the Icechunk manifest (``cost_of``): chunks and
    compressed bytes."""
    from benchmarks.cases import selection
    from benchmarks.paths import open_path
    from vstore_explorer.compute import cost_of

    handle = open_path("explorer", sources)
    return {c.name: cost_of(handle, selection(c), exact=True).to_dict() for c in cases if c.reads}
