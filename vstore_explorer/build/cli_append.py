"""``vstore-explorer append``: add granules along time to an Icechunk store, in one commit.

Example:
    $ vstore-explorer append new/*.nc4 --store gldas.icechunk --tag 2016-01
"""

from __future__ import annotations

import argparse

from vstore_explorer.build.cli import (
    access_from,
    add_change_check_argument,
    add_source_arguments,
    sources_from,
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_source_arguments(parser)
    parser.add_argument("--store", required=True, help="existing Icechunk repository")
    parser.add_argument("--branch", default="main", help="branch to append to (main)")
    parser.add_argument("--message", help="commit message")
    parser.add_argument("--tag", help="tag the new snapshot")
    add_change_check_argument(parser)


def run(args: argparse.Namespace) -> int:
    from vstore_explorer.build.icechunk_store import append_icechunk

    report = append_icechunk(
        sources_from(args),
        args.store,
        access=access_from(args),
        branch=args.branch,
        dim=args.dim,
        message=args.message,
        tag=args.tag,
        workers=args.workers,
        check_changes=args.check_changes,
    )
    print(report.summary())
    return 0
