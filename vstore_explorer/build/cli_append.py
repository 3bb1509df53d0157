"""``vstore-explorer append``: add granules along time to an Icechunk store, in one commit.

Granules are read as the store's build recorded (parser, groups, dimension, --time-from), unless
given again. Granules in another folder than the store's containers get a new container.

Example:
    $ vstore-explorer append new/*.nc4 --store gldas.icechunk --tag 2016-01
"""

from __future__ import annotations

import argparse

from vstore_explorer.build.cli import (
    add_change_check_argument,
    add_new_containers_argument,
    add_source_arguments,
    layout_kwargs,
    run_and_report,
    sources_from,
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_source_arguments(parser)
    parser.add_argument("--store", required=True, help="existing Icechunk repository")
    parser.add_argument("--branch", default="main", help="branch to append to (main)")
    parser.add_argument("--message", help="commit message")
    parser.add_argument("--tag", help="tag the new snapshot")
    parser.add_argument(
        "--container-prefix",
        help="prefix (path or URL) of the virtual chunk container to add when the granules are "
        "outside the store's containers (default: their common folder)",
    )
    add_new_containers_argument(parser)
    add_change_check_argument(parser)


def run(args: argparse.Namespace) -> int:
    from vstore_explorer.build.icechunk_store import append_icechunk

    return run_and_report(
        args,
        lambda access, parallel: append_icechunk(
            sources_from(args),
            args.store,
            access=access,
            branch=args.branch,
            message=args.message,
            tag=args.tag,
            workers=args.workers,
            check_changes=args.check_changes,
            parallel=parallel,
            verify=args.verify,
            new_containers=args.new_containers,
            container_prefix=args.container_prefix,
            **layout_kwargs(args),
        ),
    )
