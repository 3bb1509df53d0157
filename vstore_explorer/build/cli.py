"""``vstore-explorer build``: granules -> a new Icechunk store or Kerchunk references.

Example:
    $ vstore-explorer build data/*.nc4 --store gldas.icechunk --tag v1
    $ vstore-explorer build --collection GLDAS_NOAH025_3H --temporal 2024-01-01,2024-01-31 \
          --store s3://bucket/gldas.icechunk --region us-west-2 --umm-out related_url.json
    $ vstore-explorer build data/*.nc --kerchunk refs.json
    $ vstore-explorer build 3B-HHR*.HDF5 --group Grid --store imerg.icechunk
    $ vstore-explorer build SMAP_L4*.h5 --group Geophysical_Data --time-from coord:/time --store smap.icechunk
    $ vstore-explorer build ascat_*.nc --dim NUMROWS --store ascat.icechunk          # a netCDF-3 swath
"""

from __future__ import annotations

import argparse
import glob
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from vstore_explorer.build.cli_cmr import add_cmr_arguments, run_from_cmr
from vstore_explorer.build.executors import PARALLEL_NAMES, Parallel, dask_client
from vstore_explorer.build.parsers import PARSER_CHOICES
from vstore_explorer.errors import InvalidInputError
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
    parser.add_argument(
        "--dim",
        default=None,
        help="dimension to concatenate along (time; for L2 swaths their along-track dimension, "
        "e.g. mirror_step or NUMROWS)",
    )
    parser.add_argument(
        "--parser",
        default=None,
        choices=PARSER_CHOICES,
        help="how to read granules: auto (default: a <granule>.dmrpp sidecar when there is one, "
        "else by the file's signature), hdf (NetCDF4/HDF5), dmrpp (the sidecar), netcdf3",
    )
    parser.add_argument(
        "--group",
        action="append",
        metavar="PATH",
        help="an HDF5/NetCDF4 group to include, e.g. Grid or data_01/ku (repeat for several; "
        "default: the root group)",
    )
    parser.add_argument(
        "--time-from",
        metavar="SOURCE",
        help="give granules without a time dimension one: coord:NAME (a scalar or length-1 "
        "variable), attr:NAME (a global attribute such as time_coverage_start) or filename:REGEX "
        "(the captured groups of the file name, e.g. 'A(\\d{7})')",
    )
    add_parallel_arguments(parser)
    parser.add_argument(
        "--no-verify",
        dest="verify",
        action="store_false",
        help="do not read the first and last granule back through the store before committing "
        "(by default a mismatch with a direct read refuses the change)",
    )
    add_access_arguments(parser)


def add_parallel_arguments(parser: argparse.ArgumentParser) -> None:
    """``--parallel`` and ``--dask-scheduler``: where granules are parsed (read by
    :func:`parallel_from`)."""
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


def add_access_arguments(parser: argparse.ArgumentParser) -> None:
    """The store and S3 options of build, append and update (read by :func:`access_from`), and
    ``--workers``."""
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
        raise InvalidInputError("no granules given: pass paths, globs or URLs, or --from-file LIST")
    return sources


@contextmanager
def parallel_from(args: argparse.Namespace) -> Iterator[Parallel]:
    """``--parallel`` / ``--dask-scheduler`` as the builders' ``parallel=`` argument (a client
    connected here is closed when the command ends)."""
    if not args.dask_scheduler:
        yield args.parallel
        return
    client = dask_client(args.dask_scheduler)
    try:
        yield client
    finally:
        client.close()


def layout_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    """The layout options given on the command line (unset ones are left out)."""
    out: dict[str, Any] = {
        "parser": args.parser,
        "group": args.group,
        "dim": args.dim,
        "time_from": args.time_from,
    }
    return {k: v for k, v in out.items() if v is not None}


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


def add_new_containers_argument(parser: argparse.ArgumentParser) -> None:
    """``--no-new-containers`` (append and update): refuse granules outside the store's
    containers."""
    parser.add_argument(
        "--no-new-containers",
        dest="new_containers",
        action="store_false",
        help="refuse granules outside the store's virtual chunk containers instead of adding a "
        "container for their folder",
    )


def run_and_report(args: argparse.Namespace, change: Callable[[Access, Parallel], Any]) -> int:
    """Run ``change(access, parallel)`` with the command line's S3 access and ``--parallel`` /
    ``--dask-scheduler``, print the summary of what it returns and return the exit code (0)."""
    access = access_from(args)
    with parallel_from(args) as parallel:
        report = change(access, parallel)
    print(report.summary())
    return 0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_source_arguments(parser)
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--store", help="new Icechunk repository (path or s3:// URL)")
    target.add_argument("--kerchunk", help="Kerchunk references to write (*.json or *.parq)")
    parser.add_argument(
        "--container-prefix",
        help="virtual chunk container prefix, a path or URL (default: the granules' common folder)",
    )
    parser.add_argument("--message", help="commit message")
    parser.add_argument("--tag", help="tag the new snapshot")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing store")
    add_change_check_argument(parser)
    add_cmr_arguments(parser)


def run(args: argparse.Namespace) -> int:
    if args.collection:
        return run_from_cmr(args)
    for flag in ("temporal", "bbox", "cmr", "umm_out"):
        if getattr(args, flag) is not None:
            raise InvalidInputError(f"--{flag.replace('_', '-')} needs --collection")
    sources = sources_from(args)
    return run_and_report(args, lambda access, parallel: _build(args, sources, access, parallel))


def _build(args: argparse.Namespace, sources: list[str], access: Access, parallel: Parallel) -> Any:
    from vstore_explorer.build.icechunk_store import build_icechunk
    from vstore_explorer.build.kerchunk_refs import build_kerchunk

    common = dict(
        access=access,
        overwrite=args.overwrite,
        workers=args.workers,
        parallel=parallel,
        verify=args.verify,
        **layout_kwargs(args),
    )
    if args.store:
        report = build_icechunk(
            sources,
            args.store,
            container_prefix=args.container_prefix,
            message=args.message,
            tag=args.tag,
            check_changes=args.check_changes,
            **common,
        )
    else:
        report = build_kerchunk(sources, args.kerchunk, **common)
    return report
