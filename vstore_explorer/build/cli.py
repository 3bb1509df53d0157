"""``vstore-explorer build``: granules -> a new Icechunk store or Kerchunk references.

Example:
    $ vstore-explorer build data/*.nc4 --store gldas.icechunk --tag v1
    $ vstore-explorer build data/*.nc --kerchunk refs.json
"""

from __future__ import annotations

import argparse
import glob
from pathlib import Path

from vstore_explorer.stores.access import LOCAL, Access


def add_source_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments shared by build and append: granules, dimension and S3 access."""
    parser.add_argument(
        "granules",
        nargs="*",
        help="granule paths, globs or URLs (file://, s3://, https://)",
    )
    parser.add_argument(
        "--from-file",
        type=Path,
        help="a text file listing granule paths/URLs, one per line",
    )
    parser.add_argument("--dim", default="time", help="dimension to concatenate along (time)")
    parser.add_argument(
        "--endpoint-url", help="S3-compatible endpoint for s3:// granules and stores"
    )
    parser.add_argument("--region", help="S3 region")
    parser.add_argument("--anonymous", action="store_true", help="read S3 without credentials")
    parser.add_argument("--workers", type=int, default=4, help="parallel granule reads (4)")


def sources_from(args: argparse.Namespace) -> list[str]:
    """Granule locations from positional arguments (globs expanded) and --from-file."""
    sources: list[str] = []
    for item in args.granules:
        if "://" in item:
            sources.append(item)
            continue
        matches = sorted(glob.glob(item))
        if not matches:
            raise FileNotFoundError(f"no granule matches {item!r}")
        sources.extend(matches)
    if args.from_file:
        lines = args.from_file.read_text().splitlines()
        sources.extend(s.strip() for s in lines if s.strip() and not s.startswith("#"))
    if not sources:
        raise ValueError("no granules given: pass paths, globs or URLs, or --from-file LIST")
    return sources


def access_from(args: argparse.Namespace) -> Access:
    """S3 access from the command line; credentials come from the environment (never flags)."""
    if not (args.endpoint_url or args.region or args.anonymous):
        return LOCAL
    return Access(endpoint_url=args.endpoint_url, region=args.region, anonymous=args.anonymous)


def add_change_check_argument(parser: argparse.ArgumentParser) -> None:
    """``--no-change-check``: do not make reads refuse granules modified after they were added."""
    parser.add_argument(
        "--no-change-check",
        dest="check_changes",
        action="store_false",
        help="Icechunk only: let reads use granules modified after they were added (by default a "
        "read refuses them, naming the granule, since their bytes may no longer match the store); "
        "use it only when granules are rewritten in place with identical bytes",
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_source_arguments(parser)
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--store", help="new Icechunk repository (path or s3:// URL)")
    target.add_argument("--kerchunk", help="Kerchunk references to write (*.json or *.parq)")
    parser.add_argument(
        "--container-prefix",
        help="virtual chunk container prefix (default: the granules' common folder)",
    )
    parser.add_argument("--message", help="commit message")
    parser.add_argument("--tag", help="tag the new snapshot")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing store")
    add_change_check_argument(parser)


def run(args: argparse.Namespace) -> int:
    from vstore_explorer.build.icechunk_store import build_icechunk
    from vstore_explorer.build.kerchunk_refs import build_kerchunk

    sources = sources_from(args)
    access = access_from(args)
    if args.store:
        report = build_icechunk(
            sources,
            args.store,
            access=access,
            container_prefix=args.container_prefix,
            dim=args.dim,
            message=args.message,
            tag=args.tag,
            overwrite=args.overwrite,
            workers=args.workers,
            check_changes=args.check_changes,
        )
    else:
        report = build_kerchunk(
            sources,
            args.kerchunk,
            access=access,
            dim=args.dim,
            overwrite=args.overwrite,
            workers=args.workers,
        )
    print(report.summary())
    return 0
