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

from vstore_explorer.build.cli import (
    add_access_arguments,
    add_change_check_argument,
    add_new_containers_argument,
    add_parallel_arguments,
    run_and_report,
)


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
    add_new_containers_argument(parser)
    add_parallel_arguments(parser)
    parser.add_argument(
        "--no-verify",
        dest="verify",
        action="store_false",
        help="do not read the written slots back and compare them with direct reads before "
        "committing",
    )
    add_change_check_argument(parser)
    add_access_arguments(parser)


def run(args: argparse.Namespace) -> int:
    from vstore_explorer.build.cmr_update import update_store

    return run_and_report(
        args,
        lambda access, parallel: update_store(
            args.store,
            cmr=args.cmr,
            access=access,
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
        ),
    )
