"""The embedded demo archive: granules, virtual stores and UMM records, built into a cache folder.

The archive works offline and is what every command uses when no CMR or catalog is given. Layout::

    <root>/granules/<SHORT_NAME>/*.nc         one NetCDF4 granule per time step
    <root>/stores/<SHORT_NAME>.icechunk       Icechunk repo (tags v1 and v2: build, then append)
    <root>/stores/<SHORT_NAME>.json|.parq     Kerchunk references (for the SST collection)
    <root>/records/collections/*.json         UMM-C records (CMR umm_json items) linking the stores
    <root>/records/granules/<SHORT_NAME>/     UMM-G records of the granules
    <root>/demo.json                          written last: the build is complete and what it holds

A build in progress, or one that was interrupted, has no ``demo.json`` (it is removed first), so an
unfinished cache never looks complete. Granules are written atomically and reused on the next run.

Example:
    >>> archive = ensure_demo()  # doctest: +SKIP
    >>> print(archive.describe())  # doctest: +SKIP
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vstore_explorer.catalog.links import StoreKind, StoreLink
from vstore_explorer.errors import InvalidInputError

if TYPE_CHECKING:
    from vstore_explorer.demo.products import DemoProduct

CACHE_ENV = "VSTORE_EXPLORER_CACHE"
SIZE_ENV = "VSTORE_DEMO_SIZE"
FORMAT_VERSION = 1
MARKER = "demo.json"
KERCHUNK_PRODUCT_KIND = "ghrsst"  # the collection that also gets Kerchunk JSON and Parquet refs
SIZES = ("tiny", "small", "default")
# granules from which worker processes virtualize (below, starting them costs more than it saves)
PARALLEL_VIRTUALIZE_FROM = 100

Progress = Callable[[str], None]


def default_cache_dir() -> Path:
    """``$VSTORE_EXPLORER_CACHE`` or the platform's user cache folder, plus ``demo``.

    Example:
        >>> default_cache_dir().is_absolute()
        True
        >>> default_cache_dir()  # doctest: +SKIP
        PosixPath('/home/me/.cache/vstore-explorer/demo')
    """
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env).expanduser().resolve()
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("vstore-explorer")) / "demo"


def counts_for(size: str | int, products: Mapping[str, Any]) -> dict[str, int]:
    """Number of granules per product for a size name, or ``N`` days of the daily products.

    ``tiny`` (tests): 6 steps each; ``small``: a month; ``default``: each product's default
    (a year of daily files, a month of 3-hourly ones); an integer: that many days (daily products)
    and at most a month of 3-hourly steps.

    Example:
        >>> from vstore_explorer.demo.products import PRODUCTS
        >>> counts = counts_for(10, PRODUCTS)
        >>> counts["DEMO_25km-VSTOREDEMO-L4-GLOB-v01"], counts["GLDAS_NOAH025_3H_DEMO"]
        (10, 80)
        >>> set(counts_for("tiny", PRODUCTS).values())
        {6}
    """
    counts: dict[str, int] = {}
    for name, product in products.items():
        per_day = max(1, round(86400 / product.time_step.total_seconds()))
        if size == "tiny":
            counts[name] = 6
        elif size == "small":
            counts[name] = min(product.default_count, 31 * per_day if per_day > 1 else 31)
        elif size == "default":
            counts[name] = product.default_count
        elif isinstance(size, int) and not isinstance(size, bool) and size > 0:
            counts[name] = size if per_day == 1 else min(size, 31) * per_day
        else:
            raise InvalidInputError(
                f"size must be one of {', '.join(SIZES)} or a positive number of days"
            )
    return counts


@dataclass(frozen=True)
class DemoCollection:
    """One demo collection: where its granules, stores and records are.

    Example:
        >>> sst = ensure_demo().collection("DEMO_25km-VSTOREDEMO-L4-GLOB-v01")  # doctest: +SKIP
        >>> sst.link("kerchunk-json").url.rsplit("/", 1)[-1]  # doctest: +SKIP
        'DEMO_25km-VSTOREDEMO-L4-GLOB-v01.json'
    """

    short_name: str
    title: str
    granules: int
    time_range: tuple[str, str]
    stores: tuple[StoreLink, ...]
    record: Path

    def link(self, kind: str = "icechunk") -> StoreLink:
        """The collection's store link of ``kind``."""
        for link in self.stores:
            if link.kind == kind:
                return link
        kinds = ", ".join(s.kind for s in self.stores)
        raise InvalidInputError(f"{self.short_name} has no {kind} store (it has: {kinds})")


@dataclass(frozen=True)
class DemoArchive:
    """A complete demo archive on disk.

    Example:
        >>> archive = ensure_demo(size="tiny")  # doctest: +SKIP
        >>> archive.size, archive.records_dir.name  # doctest: +SKIP
        ('tiny', 'records')
    """

    root: Path
    size: str
    collections: tuple[DemoCollection, ...]
    built_at: str
    seconds: float

    @property
    def records_dir(self) -> Path:
        return self.root / "records"

    def collection(self, short_name: str) -> DemoCollection:
        for c in self.collections:
            if c.short_name == short_name:
                return c
        names = ", ".join(c.short_name for c in self.collections)
        raise InvalidInputError(f"no demo collection {short_name!r}; the demo has: {names}")

    def describe(self) -> str:
        """A readable summary of what the archive holds."""
        lines = [
            f"vstore_explorer demo archive at {self.root}",
            f"size {self.size}, built {self.built_at} in {self.seconds:.0f} s",
            "",
        ]
        for c in self.collections:
            lines.append(
                f"{c.short_name}  ({c.granules} granules, {c.time_range[0]} .. {c.time_range[1]})"
            )
            lines.append(f"  {c.title}")
            for link in c.stores:
                lines.append(f"  {link.kind:<17} {link.url}")
        lines += ["", f"UMM records (a local catalog): {self.records_dir}"]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT_VERSION,
            "size": self.size,
            "built_at": self.built_at,
            "seconds": round(self.seconds, 2),
            "collections": [
                {
                    "short_name": c.short_name,
                    "title": c.title,
                    "granules": c.granules,
                    "time_range": list(c.time_range),
                    "stores": [s.to_dict() for s in c.stores],
                    "record": str(c.record.relative_to(self.root)),
                }
                for c in self.collections
            ],
        }

    @classmethod
    def from_dict(cls, root: Path, data: Mapping[str, Any]) -> DemoArchive:
        return cls(
            root=root,
            size=str(data["size"]),
            built_at=data["built_at"],
            seconds=float(data["seconds"]),
            collections=tuple(
                DemoCollection(
                    short_name=c["short_name"],
                    title=c["title"],
                    granules=int(c["granules"]),
                    time_range=tuple(c["time_range"]),
                    stores=tuple(StoreLink.from_dict(s) for s in c["stores"]),
                    record=root / c["record"],
                )
                for c in data["collections"]
            ),
        )


def load_demo(root: Path | str | None = None) -> DemoArchive | None:
    """The archive at ``root`` if it is complete (its marker is present and readable), else None.

    Example:
        >>> load_demo("/nonexistent/demo") is None
        True
        >>> load_demo().size  # doctest: +SKIP
        'default'
    """
    root = Path(root).expanduser().resolve() if root else default_cache_dir()
    try:
        data = json.loads((root / MARKER).read_text())
        if data.get("format") != FORMAT_VERSION:
            return None
        archive = DemoArchive.from_dict(root, data)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not all(c.record.is_file() for c in archive.collections):
        return None
    return archive


def ensure_demo(
    root: Path | str | None = None,
    size: str | int | None = None,
    *,
    workers: int = 2,
    progress: Progress | None = None,
) -> DemoArchive:
    """The demo archive at ``root``, built first if missing or incomplete.

    With ``size=None`` any complete archive is used as it is, and a new one is built at
    ``$VSTORE_DEMO_SIZE`` (default ``"default"``); with a size, an archive of another size is
    rebuilt.

    Example:
        >>> archive = ensure_demo(size="tiny")  # doctest: +SKIP
        >>> [c.short_name for c in archive.collections]  # doctest: +SKIP
        ['DEMO_25km-VSTOREDEMO-L4-GLOB-v01', 'GLDAS_NOAH025_3H_DEMO', 'AIRS3STD_DEMO']
    """
    existing = load_demo(root)
    if existing is not None and (size is None or existing.size == str(size)):
        return existing
    if size is None:
        env = os.environ.get(SIZE_ENV, "default")
        size = int(env) if env.isdigit() else env
    return build_demo(root, size, workers=workers, progress=progress, reuse_built=True)


def default_catalog_path() -> Path:
    """The records folder of the default demo archive (building it on first use).

    Example:
        >>> from vstore_explorer.catalog import open_catalog
        >>> catalog = open_catalog(path=default_catalog_path())  # doctest: +SKIP
    """
    return ensure_demo(progress=_stderr).records_dir


def _stderr(message: str) -> None:
    import sys

    print(message, file=sys.stderr, flush=True)


def build_demo(
    root: Path | str | None = None,
    size: str | int = "default",
    *,
    products: tuple[str, ...] | None = None,
    workers: int = 2,
    progress: Progress | None = None,
    variants: Sequence[DemoProduct] = (),
    reuse_built: bool = False,
) -> DemoArchive:
    """Build (or rebuild) the demo archive; granules already written are reused.

    Args:
        root: cache folder (default :func:`default_cache_dir`).
        size: ``tiny``, ``small``, ``default`` or a number of days.
        products: short names to build (default: all).
        workers: processes writing granules and virtualizing them.
        progress: called with one line per step.
        variants: products built in place of the chosen product with the same short name,
            e.g. ``dataclasses.replace`` of its variables' ``chunks`` (the benchmarks build a
            spatially chunked SST this way); default none: the registered products as they are.
        reuse_built: keep the collections an earlier (e.g. interrupted or staged, see
            :mod:`.staged`) build of the same size and product finished, instead of rebuilding
            them from their granules (what :func:`ensure_demo` does).

    Example:
        >>> archive = build_demo("/tmp/vstore-demo", size="tiny",
        ...                      products=("AIRS3STD_DEMO",), progress=print)  # doctest: +SKIP
        >>> [c.granules for c in archive.collections]  # doctest: +SKIP
        [6]
    """
    from vstore_explorer.demo.staged import build_collections

    say = progress or (lambda _msg: None)
    root = Path(root).expanduser().resolve() if root else default_cache_dir()
    started = time.perf_counter()
    collections = build_collections(
        root, size, products, workers=workers, progress=say, variants=variants, reuse=reuse_built
    )
    archive = DemoArchive(
        root=root,
        size=str(size),
        collections=tuple(collections),
        built_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        seconds=round(time.perf_counter() - started, 2),
    )
    _write_atomic(root / MARKER, json.dumps(archive.to_dict(), indent=1))
    say(f"demo archive complete in {archive.seconds:.1f} s: {root}")
    return archive


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def _build_collection(
    root: Path, product: Any, count: int, workers: int, say: Progress
) -> DemoCollection:
    from vstore_explorer.build.icechunk_store import append_icechunk, build_icechunk
    from vstore_explorer.build.kerchunk_refs import build_kerchunk
    from vstore_explorer.build.virtualize import sort_and_check_times, virtualize_granules
    from vstore_explorer.demo.granules import write_granules

    name = product.short_name
    t0 = time.perf_counter()
    folder = root / "granules" / name
    paths = write_granules(product, folder, count=count, workers=workers, mask_cache=root / "masks")
    _remove_stale_granules(folder, paths)
    say(f"{name}: {len(paths)} granules written or reused in {time.perf_counter() - t0:.1f} s")

    t0 = time.perf_counter()
    # HDF parsing holds the GIL (threads only add contention): many granules go to processes
    if workers > 1 and len(paths) >= PARALLEL_VIRTUALIZE_FROM:
        virtual = virtualize_granules(paths, parallel="processes", workers=workers)
    else:
        virtual = virtualize_granules(paths, workers=1)
    granules = sort_and_check_times(virtual, "time")
    say(f"{name}: virtualized with VirtualiZarr in {time.perf_counter() - t0:.1f} s")

    t0 = time.perf_counter()
    stores_dir = root / "stores"
    stores_dir.mkdir(parents=True, exist_ok=True)
    repo = stores_dir / f"{name}.icechunk"
    split = max(1, len(granules) - max(1, len(granules) // 12))  # the last ~month is an append
    build_icechunk(granules[:split], str(repo), overwrite=True, tag="v1", message="initial build")
    if split < len(granules):
        append_icechunk(granules[split:], str(repo), tag="v2", message="append the latest granules")
    links = [
        StoreLink(
            url=repo.as_uri(),
            kind="icechunk",
            branch="main",
            title=f"{name} Icechunk store",
            anonymous=True,
        )
    ]
    if product.kind == KERCHUNK_PRODUCT_KIND:
        kerchunk: tuple[tuple[str, StoreKind], ...] = (
            (".json", "kerchunk-json"),
            (".parq", "kerchunk-parquet"),
        )
        for suffix, kind in kerchunk:
            out = stores_dir / f"{name}{suffix}"
            build_kerchunk(granules, out, overwrite=True)
            links.append(
                StoreLink(
                    url=out.as_uri(), kind=kind, title=f"{name} {kind} references", anonymous=True
                )
            )
    say(f"{name}: stores written in {time.perf_counter() - t0:.1f} s")

    times = product.times(len(paths))
    record = _write_records(root, product, paths, times, links)
    return DemoCollection(
        short_name=name,
        title=product.entry_title,
        granules=len(paths),
        time_range=(_iso(product.coverage(times[0])[0]), _iso(product.coverage(times[-1])[1])),
        stores=tuple(links),
        record=record,
    )


def _remove_stale_granules(folder: Path, keep: list[Path]) -> None:
    """Granules of a larger earlier build would be outside this build's record; remove them."""
    wanted = {p.resolve() for p in keep}
    for path in folder.iterdir():
        if path.is_file() and path.resolve() not in wanted:
            path.unlink()


def _iso(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def _write_records(
    root: Path, product: Any, paths: list[Path], times: list[datetime], links: list[StoreLink]
) -> Path:
    """UMM-C (linking the stores) and UMM-G records, as CMR ``umm_json`` items."""
    from vstore_explorer.build.umm import cmr_item, collection_umm, concept_ids, granule_umm

    ids = concept_ids(product.provider)
    collection_id = ids.collection(product.short_name, product.version)
    bbox = product.grid.bbox
    start, end = product.coverage(times[0])[0], product.coverage(times[-1])[1]
    umm_c = collection_umm(
        short_name=product.short_name,
        version=product.version,
        entry_title=product.entry_title,
        abstract=product.abstract,
        provider=product.provider,
        processing_level=product.processing_level,
        temporal=(start, end),
        bbox=bbox,
        stores=links,
        science_keywords=[k.as_umm() for k in product.science_keywords],
        variables=[v.name for v in product.variables],
        platforms=[p.as_umm() for p in product.platforms],
        resolution_deg=product.grid.resolution,
        average_file_size_bytes=int(sum(p.stat().st_size for p in paths) / len(paths)),
    )
    record = root / "records" / "collections" / f"{product.short_name}.json"
    _write_atomic(
        record,
        json.dumps(cmr_item(umm_c, concept_id=collection_id, provider=product.provider), indent=1),
    )

    items = []
    for i, (path, time_) in enumerate(zip(paths, times, strict=True)):
        begin, end_ = product.coverage(time_)  # the period a granule covers, as real UMM-G says
        umm_g = granule_umm(
            granule_ur=f"{product.short_name}.{path.stem}",
            short_name=product.short_name,
            version=product.version,
            begin=begin,
            end=end_,
            bbox=bbox,
            size_bytes=path.stat().st_size,
            data_url=path.as_uri(),
            file_name=path.name,
        )
        items.append(
            cmr_item(
                umm_g,
                concept_id=ids.granule(product.short_name, i, product.version),
                provider=product.provider,
                collection_concept_id=collection_id,
            )
        )
    granule_file = root / "records" / "granules" / product.short_name / "granules.umm_json.json"
    _write_atomic(granule_file, json.dumps({"hits": len(items), "took": 0, "items": items}))
    return record


def demo_link(short_name: str, kind: str = "icechunk", root: Path | str | None = None) -> StoreLink:
    """The store link of a demo collection (building the demo on first use).

    Example:
        >>> link = demo_link("DEMO_25km-VSTOREDEMO-L4-GLOB-v01")  # doctest: +SKIP
    """
    return ensure_demo(root, progress=_stderr).collection(short_name).link(kind)
