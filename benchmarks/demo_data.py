"""The SST demo collection at a given size: built once into the cache folder, then reused.

Each size lives in its own folder (``<cache>/sst-<size>``) holding a complete demo archive of the
SST product only: NetCDF4 granules, an Icechunk store and Kerchunk JSON/Parquet references.

Example:
    >>> prepared = prepare(Path("benchmarks/work"), 365)  # doctest: +SKIP
    >>> prepared.sources.count
    365
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.cases import Case
from benchmarks.paths import Sources

SST = "DEMO_25km-VSTOREDEMO-L4-GLOB-v01"
TIME_FORMAT = "%Y-%m-%dT%H:%M:%S"

Say = Callable[[str], None]


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
    root: Path
    sources: Sources
    times: tuple[str, ...]
    reused: bool
    build_s: float
    disk_bytes: dict[str, int]

    def describe(self) -> dict[str, Any]:
        return {
            "size": self.size,
            "granules": self.sources.count,
            "root": str(self.root),
            "first": self.times[0],
            "last": self.times[-1],
            "reused": self.reused,
            "build_s": round(self.build_s, 2),
            "disk_bytes": self.disk_bytes,
        }


def _folder_bytes(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _complete(archive: Any, size: str | int) -> bool:
    if archive is None or archive.size != str(size):
        return False
    try:
        collection = archive.collection(SST)
        collection.link("icechunk")
        collection.link("kerchunk-json")
    except ValueError:
        return False
    return True


def prepare(cache: Path, size: str | int, *, say: Say | None = None) -> Prepared:
    """The SST collection of ``size`` granules under ``cache`` (built if missing or incomplete)."""
    from vstore_explorer.demo.archive import build_demo, load_demo

    say = say or (lambda _msg: None)
    root = (cache / f"sst-{size}").resolve()
    archive = load_demo(root)
    started = time.perf_counter()
    reused = _complete(archive, size)
    if not reused:
        say(f"building the SST demo collection with {size} granules in {root} ...")
        archive = build_demo(root, size, products=(SST,), progress=say)
    build_s = 0.0 if reused else time.perf_counter() - started
    sources = sources_of(archive)
    disk = {
        "granules": _folder_bytes(Path(sources.granules)),
        "icechunk": _folder_bytes(Path(sources.icechunk)),
        "kerchunk_json": _folder_bytes(Path(sources.kerchunk)),
    }
    return Prepared(str(size), root, sources, time_steps(sources), reused, build_s, disk)


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
    return {c.name: cost_of(handle, selection(c)).to_dict() for c in cases if c.reads}
