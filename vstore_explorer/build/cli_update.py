"""``vstore-explorer update``: bring a store built with ``build --collection`` up to date with CMR.

One commit adds new granules, rewrites reprocessed ones in place and (with --apply-deletions)
removes granules CMR no longer lists; ``--dry-run`` prints the plan and writes nothing. With
nothing to change no commit is made.

Example:
    $ vstore-explorer update --store sst.icechunk --dry-run
    $ vstore-explorer update --store sst.icechunk --tag 2024-10-12
"""

from __future__ import annotations

import argparse

from vstore_explorer.build.cli import access_from, add_change_check_argument, parallel_from
from vstore_explorer.build.executors import PARALLEL_NAMES


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--store", required=True, help="an Icechunk store built from CMR")
    parser.add_argument("--branch", default="main", help="branch to update (main)")
    parser.add_argument(
        "--dry-run", action="store_true", help="print what would change; write nothing"
    )
    parser.add_argument(
        "--apply-deletions",
        action="store_true",
        help="remove granules CMR no longer lists (by default they are only reported)",
    )
    parser.add_argument("--message", help="commit message")
    parser.add_argument("--tag", help="tag the new snapshot")
    parser.add_argument(
        "--cmr",
        metavar="ops|uat|URL",
        help="the CMR to ask (default: the one the store was built from)",
    )
    parser.add_argument(
        "--no-new-containers",
        dest="new_containers",
        action="store_false",
        help="refuse granules outside the store's virtual chunk containers instead of adding a "
        "container for their folder",
    )
    parser.add_argument(
        "--parallel",
        choices=PARALLEL_NAMES,
        help="where granules are parsed: threads (default), processes (every core) or dask",
    )
    parser.add_argument(
        "--dask-scheduler",
        metavar="ADDRESS",
        help="a dask.distributed scheduler (tcp://host:8786) to parse on (implies --parallel dask)",
    )
    parser.add_argument(
        "--no-verify",
        dest="verify",
        action="store_false",
        help="do not read the written slots back and compare them with direct reads before "
        "committing",
    )
    add_change_check_argument(parser)
    parser.add_argument(
        "--endpoint-url", help="S3-compatible endpoint for s3:// granules and stores"
    )
    parser.add_argument("--region", help="S3 region")
    parser.add_argument("--anonymous", action="store_true", help="read S3 without credentials")
    parser.add_argument("--workers", type=int, default=4, help="parallel granule reads (4)")


def run(args: argparse.Namespace) -> int:
    from vstore_explorer.build.cmr_update import update_store

    with parallel_from(args) as parallel:
        change = update_store(
            args.store,
            cmr=args.cmr,
            access=access_from(args),
            branch=args.branch,
            dry_run=args.dry_run,
            apply_deletions=args.apply_deletions,
            message=args.message,
            tag=args.tag,
            workers=args.workers,
            parallel=parallel,
            verify=args.verify,
            check_changes=args.check_changes,
            new_containers=args.new_containers,
        )
    print(change.summary())
    return 0
