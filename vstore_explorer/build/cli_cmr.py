"""``vstore-explorer build --collection``: an Icechunk store of a CMR collection's granules.

Example:
    $ vstore-explorer build --collection C1996881146-POCLOUD --temporal 2024-10-01,2024-10-07 \\
          --store s3://bucket/mur.icechunk --region us-west-2 --umm-out mur_related_url.json
"""

from __future__ import annotations

import argparse

from vstore_explorer.errors import InvalidInputError


def add_cmr_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of a build from CMR (instead of granule paths)."""
    parser.add_argument(
        "--collection",
        metavar="SHORT_NAME|CONCEPT_ID",
        help="build from this CMR collection's granules instead of paths (Icechunk only)",
    )
    parser.add_argument(
        "--temporal",
        metavar="START,END",
        help="with --collection: only granules in this time range (ISO dates; a side may be empty)",
    )
    parser.add_argument(
        "--bbox",
        metavar="W,S,E,N",
        help="with --collection: only granules intersecting this box (write --bbox=-10,... when "
        "W is negative)",
    )
    parser.add_argument(
        "--cmr",
        metavar="ops|uat|URL",
        help="with --collection: the CMR to search (ops by default; no login needed)",
    )
    parser.add_argument(
        "--umm-out",
        metavar="FILE",
        help="with --collection: write the UMM-C RelatedUrls entry linking the collection to "
        "the new store (JSON)",
    )


def run_from_cmr(args: argparse.Namespace) -> int:
    """Run ``build --collection`` and print what it did."""
    from vstore_explorer.build.cli import access_from, layout_kwargs, parallel_from
    from vstore_explorer.build.from_cmr import build_from_cmr

    if args.granules or args.from_file:
        raise InvalidInputError("give either granules or --collection, not both")
    if not args.store:
        raise InvalidInputError(
            "--collection builds an Icechunk store: use --store, not --kerchunk"
        )
    with parallel_from(args) as parallel:
        change = build_from_cmr(
            args.collection,
            args.store,
            temporal=args.temporal,
            bbox=args.bbox,
            cmr=args.cmr or "ops",
            access=access_from(args),
            umm_out=args.umm_out,
            message=args.message,
            tag=args.tag,
            overwrite=args.overwrite,
            container_prefix=args.container_prefix,
            workers=args.workers,
            parallel=parallel,
            verify=args.verify,
            check_changes=args.check_changes,
            **layout_kwargs(args),
        )
    print(change.summary())
    if args.umm_out:
        print(f"umm        RelatedUrls entry written to {args.umm_out}")
    return 0
