"""``vstore-explorer serve``: the explorer as a dashboard on 127.0.0.1 (one state per session).

Example:
    $ vstore-explorer serve                      # the demo archive, http://127.0.0.1:5006/
    $ vstore-explorer serve --catalog cmr --port 5007 --show
    $ vstore-explorer serve --catalog ./records  # a folder of UMM JSON records
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

DEFAULT_PORT = 5006
DEFAULT_ADDRESS = "127.0.0.1"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--catalog",
        default="demo",
        help="demo (default: the embedded archive, built on first use), cmr, uat, a CMR URL, "
        "or a folder of UMM JSON records",
    )
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port ({DEFAULT_PORT})")
    parser.add_argument(
        "--address",
        default=DEFAULT_ADDRESS,
        help=f"address to listen on ({DEFAULT_ADDRESS}: this machine only)",
    )
    parser.add_argument("--show", action="store_true", help="open the app in a web browser")
    parser.add_argument("--collection", help="concept id or short name to open first")
    parser.add_argument(
        "--allow-websocket-origin",
        action="append",
        default=[],
        metavar="HOST[:PORT]",
        help="extra origin allowed to connect (behind a proxy); repeatable",
    )


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def session_catalog(catalog: str) -> str:
    """What each session opens: the demo's records folder (built now if needed) or ``catalog``."""
    if catalog.strip().lower() != "demo":
        return catalog
    from vstore_explorer.demo.archive import ensure_demo

    _say("vstore-explorer serve: checking the demo archive (built on first use)...")
    return str(ensure_demo(progress=_say).records_dir)


def serve_options(args: argparse.Namespace) -> dict[str, Any]:
    """Keyword arguments for ``panel.serve``."""
    if not 0 < args.port < 65536:
        raise ValueError(f"--port must be between 1 and 65535, got {args.port}")
    origins = {f"{args.address}:{args.port}", f"localhost:{args.port}", f"127.0.0.1:{args.port}"}
    origins |= set(args.allow_websocket_origin)
    return {
        "port": args.port,
        "address": args.address,
        "show": bool(args.show),
        "title": "vstore_explorer",
        "websocket_origin": sorted(origins),
    }


def run(args: argparse.Namespace) -> int:
    catalog = session_catalog(args.catalog)
    import panel as pn

    from vstore_explorer.app.explorer import EXTENSIONS, explore
    from vstore_explorer.app.live import warm_up

    pn.extension(*EXTENSIONS)
    _say(f"vstore-explorer serve: rasterizer ready in {warm_up():.1f} s")
    collection = args.collection

    def session() -> Any:
        return explore(catalog, collection=collection)

    options = serve_options(args)
    _say(f"vstore-explorer serve: http://{args.address}:{args.port}/ (Ctrl+C to stop)")
    pn.serve(session, **options)
    return 0
