"""The demo archive one collection at a time: what ``serve --catalog demo`` does on a first run.

A whole default archive takes minutes to build on two cores (three collections of a year of
granules). The explorer opens one collection first (:func:`first_collection`), so ``serve``
builds that one, starts serving, and builds the others in a background process (lower CPU
priority, its progress on the server's terminal); their records join the catalog as each one is
done, and the archive is complete (``demo.json``) when the last is.

Each built collection leaves ``<root>/built/<SHORT_NAME>.json`` (what it holds, for which size and
product definition), so an archive completed later -- by this background process, the next
``serve`` or :func:`~vstore_explorer.demo.archive.ensure_demo` -- reuses it instead of
virtualizing its granules again.

Example:
    >>> records, rest = ensure_first_collection(progress=print)  # doctest: +SKIP
    >>> background = build_rest_in_background(records.parent, "default")  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlparse

if TYPE_CHECKING:
    from vstore_explorer.demo.archive import DemoArchive, DemoCollection
    from vstore_explorer.demo.products import DemoProduct

BUILT_DIR = "built"
BUILT_FORMAT = 1
BACKGROUND_NICE = 10  # the background build yields the CPU to the server and its visitors

Progress = Callable[[str], None]


def fingerprint(product: DemoProduct) -> str:
    """A digest of a product's definition (grid, variables, chunks, encodings, attributes): a
    collection built from another definition (e.g. a benchmark's rechunked variant) is not reused.
    """
    return hashlib.sha256(repr(product).encode()).hexdigest()[:16]


def save_built(archive_root: Path, size: str, product: DemoProduct, data: dict[str, Any]) -> None:
    """Record that ``product``'s collection (``data``: its entry in ``demo.json``) is built."""
    from vstore_explorer.demo.archive import _write_atomic

    entry = {"format": BUILT_FORMAT, "size": size, "product": fingerprint(product), **data}
    _write_atomic(archive_root / BUILT_DIR / f"{product.short_name}.json", json.dumps(entry))


def load_built(
    archive_root: Path, size: str, product: DemoProduct, count: int
) -> DemoCollection | None:
    """The collection built earlier for this size, product definition and granule count, if its
    record, stores and granules are all still there; else None (it is built again)."""
    from vstore_explorer.demo.archive import DemoArchive
    from vstore_explorer.demo.granules import is_complete

    path = archive_root / BUILT_DIR / f"{product.short_name}.json"
    try:
        entry = json.loads(path.read_text())
        if (entry.get("format"), entry.get("size"), entry.get("product")) != (
            BUILT_FORMAT,
            size,
            fingerprint(product),
        ) or int(entry["granules"]) != count:
            return None
        data = {"size": size, "built_at": "", "seconds": 0, "collections": [entry]}
        (collection,) = DemoArchive.from_dict(archive_root, data).collections
    except (OSError, ValueError, KeyError, TypeError):
        return None
    stores = [Path(unquote(urlparse(link.url).path)) for link in collection.stores]
    folder = archive_root / "granules" / product.short_name
    granules = [folder / product.filename(t) for t in product.times(count)]
    if not (collection.record.is_file() and all(p.exists() for p in stores)):
        return None
    return collection if all(is_complete(p) for p in granules) else None


def build_collections(
    root: Path,
    size: str | int,
    products: tuple[str, ...] | None = None,
    *,
    workers: int = 2,
    progress: Progress | None = None,
    variants: Sequence[DemoProduct] = (),
    reuse: bool = True,
) -> list[DemoCollection]:
    """Build the collections of ``products`` (default: all) into ``root``, each with its granules,
    stores and records, without marking the archive complete (:func:`build_demo` does that).
    With ``reuse``, a collection an earlier build finished (same size and product) is kept."""
    from vstore_explorer.demo.archive import (
        MARKER,
        DemoArchive,
        _build_collection,
        counts_for,
    )
    from vstore_explorer.demo.products import PRODUCTS
    from vstore_explorer.errors import InvalidInputError

    say = progress or (lambda _msg: None)
    root.mkdir(parents=True, exist_ok=True)
    (root / MARKER).unlink(missing_ok=True)  # from here on the archive is incomplete until the end
    chosen = {k: v for k, v in PRODUCTS.items() if products is None or k in products}
    unknown = set(products or ()) - set(PRODUCTS)
    if unknown:
        raise InvalidInputError(
            f"unknown demo product(s) {', '.join(sorted(unknown))}; known: {', '.join(PRODUCTS)}"
        )
    for variant in variants:
        if variant.short_name not in chosen:
            raise InvalidInputError(
                f"variant {variant.short_name!r} replaces no chosen product; "
                f"chosen: {', '.join(chosen) or 'none'}"
            )
        chosen[variant.short_name] = variant
    counts = counts_for(size, chosen)
    collections = []
    for name, product in chosen.items():
        built = load_built(root, str(size), product, counts[name]) if reuse else None
        if built is not None:
            say(f"{name}: built before, reused")
        else:  # not reusable while it is rebuilt (an interrupted rebuild leaves it half written)
            (root / BUILT_DIR / f"{name}.json").unlink(missing_ok=True)
            built = _build_collection(root, product, counts[name], workers, say)
            entry = DemoArchive(root, str(size), (built,), "", 0).to_dict()["collections"][0]
            save_built(root, str(size), product, entry)
        collections.append(built)
    return collections


def resolved_size(size: str | int | None) -> str | int:
    """``size``, or ``$VSTORE_DEMO_SIZE`` (default ``"default"``) when None (as ensure_demo)."""
    from vstore_explorer.demo.archive import SIZE_ENV

    if size is not None:
        return size
    env = os.environ.get(SIZE_ENV, "default")
    return int(env) if env.isdigit() else env


def ensure_first_collection(
    root: Path | str | None = None,
    size: str | int | None = None,
    *,
    workers: int = 2,
    progress: Progress | None = None,
) -> tuple[Path, tuple[str, ...]]:
    """The records folder of the demo archive with at least its first collection built (the one
    the explorer opens first), and the short names of the collections still to build (empty
    when the archive is complete).

    A complete archive is used as it is (as :func:`~vstore_explorer.demo.archive.ensure_demo`
    does); otherwise only the first collection is built now (or reused from an earlier run).
    """
    from vstore_explorer.demo.archive import default_cache_dir, load_demo
    from vstore_explorer.demo.products import PRODUCTS

    existing = load_demo(root)
    if existing is not None and (size is None or existing.size == str(size)):
        return existing.records_dir, ()
    size = resolved_size(size)
    root = Path(root).expanduser().resolve() if root else default_cache_dir()
    first = first_collection()
    build_collections(root, size, (first,), workers=workers, progress=progress)
    return root / "records", tuple(name for name in PRODUCTS if name != first)


def first_collection() -> str:
    """The short name of the collection the explorer opens first on the demo: a local catalog
    reads its records in file-name order (``records/collections/<SHORT_NAME>.json``) and an
    empty search keeps that order, so the first name (AIRS, also the quickest to build)."""
    from vstore_explorer.demo.products import PRODUCTS

    return min(PRODUCTS)


def build_rest_in_background(root: Path, size: str | int) -> subprocess.Popen[bytes]:
    """Complete the demo archive at ``root`` in a new process with a lower CPU priority (its
    progress lines go to this process's stderr); the caller stops it if it stops first."""
    command = [sys.executable, "-m", "vstore_explorer.demo.staged", str(root), str(size)]
    return subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)


def stop(process: subprocess.Popen[bytes] | None, *, timeout: float = 10.0) -> None:
    """Stop a background build (its granules and finished collections are kept for next time)."""
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=timeout)


def _complete(root: str, size: str) -> DemoArchive:
    """The background process: finish the archive, reusing the collections already built."""
    from vstore_explorer.demo.archive import ensure_demo

    if hasattr(os, "nice"):
        os.nice(BACKGROUND_NICE)
    _exit_with_parent()

    def say(message: str) -> None:
        print(f"demo (background): {message}", file=sys.stderr, flush=True)

    return ensure_demo(root, int(size) if size.isdigit() else size, progress=say)


def _exit_with_parent(every: float = 1.0) -> threading.Thread:
    """End this process when the server that started it is gone, however it ended (a SIGTERM
    skips its clean-up): granules and finished collections stay for the next run."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(every)
        os._exit(1)

    thread = threading.Thread(target=watch, name="vstore-demo-parent-watch", daemon=True)
    thread.start()
    return thread


if __name__ == "__main__":  # pragma: no cover - run by build_rest_in_background
    _complete(sys.argv[1], sys.argv[2])
