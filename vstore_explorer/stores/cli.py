"""``vstore-explorer open``: open a virtual store lazily and describe it (nothing but metadata is read).

Example:
    $ vstore-explorer open gpm.icechunk --group S1
    $ vstore-explorer open refs.json
"""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("store", help="a store path or URL (Icechunk, Kerchunk JSON/Parquet, Zarr)")
    parser.add_argument("--group", help="the group to open, e.g. S1 or data_01/ku")
    version = parser.add_mutually_exclusive_group()
    version.add_argument("--branch", help="Icechunk branch")
    version.add_argument("--tag", help="Icechunk tag")
    version.add_argument("--snapshot", help="Icechunk snapshot id")
    parser.add_argument("--anonymous", action="store_true", help="read S3 without credentials")
    parser.add_argument(
        "--code", action="store_true", help="print the Python code that opens it the same way"
    )


def run(args: argparse.Namespace) -> int:
    from vstore_explorer.stores.open import Credentials, connect, list_groups

    credentials: Credentials = "anonymous" if args.anonymous else None
    handle = connect(
        args.store,
        group=args.group,
        branch=args.branch,
        tag=args.tag,
        snapshot=args.snapshot,
        credentials=credentials,
    )
    ds = handle.dataset
    groups = list_groups(handle.link, credentials=credentials)
    print(f"store     {handle.link.url} ({handle.link.kind})")
    if handle.snapshot_id:
        print(f"version   {handle.version.label}, snapshot {handle.snapshot_id}")
    if len(groups) > 1 or groups != [""]:
        shown = ", ".join(g or "(root)" for g in groups)
        print(f"groups    {shown}; opened {handle.group or '(root)'}")
    print("dims      " + ", ".join(f"{d}={n}" for d, n in ds.sizes.items()))
    print("coords    " + (", ".join(map(str, ds.coords)) or "none"))
    for name, var in ds.data_vars.items():
        print(
            f"  {name} {tuple(map(str, var.dims))} {var.dtype} {var.attrs.get('units', '')}".rstrip()
        )
    if args.code:
        print()
        print(handle.open_code())
    return 0
