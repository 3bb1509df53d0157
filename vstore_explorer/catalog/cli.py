"""``vstore-explorer search``: find collections (and their virtual stores) from the shell.

Example:
    $ vstore-explorer search "sea surface temperature" --has-virtual-store --bbox=-180,-90,180,90
    $ vstore-explorer search --short-name MUR-JPL-L4-GLOB-v4.1 --cmr uat --json
    $ vstore-explorer search sst --catalog ./records --temporal 2020-01-01,2020-12-31
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import fields

from vstore_explorer.catalog.base import Catalog, SearchQuery, SearchResults
from vstore_explorer.catalog.records import Collection
from vstore_explorer.catalog.resolve import (
    DemoUnavailableError,
    cmr_catalog,
    demo_catalog,
    local_catalog,
)
from vstore_explorer.errors import InvalidInputError

COLUMNS = ("TITLE", "SHORT NAME", "VERSION", "PROVIDER", "TIME RANGE", "STORES")
WIDTHS = (44, 32, 10, 10, 25, 40)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``search`` options to ``parser``."""
    parser.add_argument("keyword", nargs="?", help="free text, e.g. 'sea surface temperature'")
    parser.add_argument(
        "--bbox",
        metavar="W,S,E,N",
        help="bounding box in degrees (write --bbox=-10,20,30,40 when W is negative; W > E "
        "crosses the antimeridian)",
    )
    parser.add_argument(
        "--temporal",
        metavar="START,END",
        help="ISO dates or datetimes, either side may be empty: 2020-01-01,2020-12-31",
    )
    parser.add_argument("--provider", help="CMR provider, e.g. POCLOUD")
    parser.add_argument("--short-name", dest="short_name", help="collection short name")
    parser.add_argument(
        "--concept-id",
        dest="concept_id",
        action="append",
        metavar="ID",
        help="collection concept id (repeatable)",
    )
    parser.add_argument(
        "--has-virtual-store",
        dest="has_virtual_store",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="only collections with (or without) a virtual store",
    )
    parser.add_argument(
        "--cloud-hosted",
        dest="cloud_hosted",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="only collections hosted (or not) in Earthdata Cloud",
    )
    parser.add_argument("--limit", type=int, default=20, help="most collections to list (20)")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--cmr", metavar="ops|uat|URL", help="search NASA's CMR (no login needed)")
    source.add_argument(
        "--catalog", metavar="PATH", help="search a folder or JSON file of UMM records"
    )
    parser.add_argument(
        "--timeout", type=float, default=30.0, help="seconds to wait for CMR (default 30)"
    )
    parser.add_argument(
        "--retries", type=int, default=3, help="retries on CMR errors/timeouts (default 3)"
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")


def catalog_from_args(args: argparse.Namespace) -> Catalog:
    """The catalog the options select, by :mod:`vstore_explorer.catalog.resolve`'s explicit forms:
    ``--cmr`` (always CMR), ``--catalog`` (always a path), else the embedded demo."""
    if args.cmr:
        return cmr_catalog(args.cmr, timeout=args.timeout, retries=args.retries)
    if args.catalog:
        return local_catalog(args.catalog)
    try:
        return demo_catalog()
    except DemoUnavailableError:
        raise InvalidInputError(
            "no catalog given and the embedded demo catalog is not available; "
            "pass --cmr ops|uat|URL or --catalog PATH"
        ) from None


def query_from_args(args: argparse.Namespace) -> SearchQuery:
    """The :class:`SearchQuery` of the options (their ``dest`` names are its field names)."""
    return SearchQuery.build(**{f.name: getattr(args, f.name) for f in fields(SearchQuery)})


def _cut(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _stores_text(c: Collection) -> str:
    kinds = list(c.store_kinds)
    if c.unknown_stores:
        kinds.append(f"unknown×{len(c.unknown_stores)}")
    return ", ".join(kinds) or "-"


def format_table(collections: Sequence[Collection]) -> str:
    """A plain-text table of collections (title truncated)."""
    rows = [
        (c.title, c.short_name, c.version, c.provider or "-", c.time_range_text(), _stores_text(c))
        for c in collections
    ]
    widths = [
        min(w, max([len(h), *(len(r[i]) for r in rows)]))
        for i, (h, w) in enumerate(zip(COLUMNS, WIDTHS, strict=True))
    ]
    lines = ["  ".join(h.ljust(w) for h, w in zip(COLUMNS, widths, strict=True)).rstrip()]
    for row in rows:
        cells = (_cut(cell, w).ljust(w) for cell, w in zip(row, widths, strict=True))
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def _hits_line(results: SearchResults[Collection], shown: int) -> str:
    hits = results.hits
    if results.hits_exact:
        total = f"{hits} hit" + ("" if hits == 1 else "s")
    else:
        total = f"{hits} hits before the virtual-store filter"
    return f"{shown} shown of {total} ({results.source or 'catalog'})"


def run(args: argparse.Namespace) -> int:
    """Run the search and print a table (or JSON); returns the exit code."""
    catalog = catalog_from_args(args)
    results = catalog.search(query_from_args(args))
    collections = list(results)
    if args.json:
        payload = {
            "hits": results.hits,
            "hits_exact": results.hits_exact,
            "source": results.source,
            "collections": [c.to_dict(include_umm=False) for c in collections],
        }
        json.dump(payload, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    if collections:
        print(format_table(collections))
        flagged = [c for c in collections if c.unknown_stores]
        for c in flagged:
            urls = ", ".join(s.url for s in c.unknown_stores)
            print(f"note: {c.short_name} has virtual store link(s) of unknown kind: {urls}")
    else:
        print("no collection matched")
    print(_hits_line(results, len(collections)))
    return 0
