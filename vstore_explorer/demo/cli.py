"""``vstore-explorer demo build | info | path``: the embedded, offline demo archive.

Example:
    $ vstore-explorer demo build              # about a year per collection, cached
    $ vstore-explorer demo build --size tiny  # a few granules each (tests)
    $ vstore-explorer demo build --days 3650 --products DEMO_25km-VSTOREDEMO-L4-GLOB-v01  # benchmark scale
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from vstore_explorer.errors import InvalidInputError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=("build", "info", "path"), help="what to do")
    parser.add_argument(
        "--cache",
        type=Path,
        help="cache folder (default: $VSTORE_EXPLORER_CACHE or the user cache folder)",
    )
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--size", choices=("tiny", "small", "default"), help="preset size (default)")
    size.add_argument("--days", type=int, help="days of daily granules (up to 3650)")
    parser.add_argument("--products", nargs="+", help="only these collections (short names)")
    parser.add_argument("--workers", type=int, default=2, help="parallel workers (2)")
    parser.add_argument(
        "--force", action="store_true", help="rebuild even if the cache is complete"
    )


def run(args: argparse.Namespace) -> int:
    from vstore_explorer.demo.archive import build_demo, default_cache_dir, ensure_demo, load_demo

    root = args.cache or default_cache_dir()
    if args.action == "path":
        print(root)
        return 0
    if args.action == "info":
        archive = load_demo(root)
        if archive is None:
            print(f"no complete demo archive at {root}; run `vstore-explorer demo build`")
            return 1
        print(archive.describe())
        return 0
    if args.days is not None and not 1 <= args.days <= 3650:
        raise InvalidInputError("--days must be between 1 and 3650")
    size = args.days if args.days is not None else args.size  # None: reuse any complete archive

    def progress(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    if args.force or args.products:
        archive = build_demo(
            root,
            size or "default",
            products=tuple(args.products or ()) or None,
            workers=args.workers,
            progress=progress,
        )
    else:
        archive = ensure_demo(root, size, workers=args.workers, progress=progress)
    print(archive.describe())
    return 0
