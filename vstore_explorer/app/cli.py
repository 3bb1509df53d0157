"""``vstore-explorer serve``: the explorer as a dashboard on 127.0.0.1 (one state per session).

Example:
    $ vstore-explorer serve                      # the demo archive, http://127.0.0.1:5006/
    $ vstore-explorer serve --catalog cmr --port 5007 --show
    $ vstore-explorer serve --catalog ./records  # a folder of UMM JSON records
    $ vstore-explorer serve --max-read-bytes 200MB  # ask before any view reads more
    $ vstore-explorer serve --dask-scheduler tcp://10.0.0.5:8786  # dask loads on a cluster
"""

from __future__ import annotations

import argparse
import importlib
import math
import socket
import subprocess
import sys
import threading
from typing import TYPE_CHECKING, Any

from vstore_explorer.errors import InvalidInputError

if TYPE_CHECKING:
    from distributed import Client

DEFAULT_PORT = 5006
DEFAULT_ADDRESS = "127.0.0.1"
# A session whose page is closed is dropped after UNUSED_SESSION_MS without a connection (Bokeh's
# default: it also bounds how long a slow page may take to connect), checked every CHECK_UNUSED_MS
# (Bokeh checks every 17 s): closed sessions free their memory within about 17 s, not 32 s.
UNUSED_SESSION_MS = 15_000
CHECK_UNUSED_MS = 2_000
# Seconds the server waits for a first visitor before preparing the first session itself.
PREPARE_DELAY = 0.3
# Seconds `--dask-scheduler` may take to answer before serve gives up (a refused connection fails
# at once).
SCHEDULER_TIMEOUT = 10.0
DEFAULT_SCHEDULER_PORT = 8786


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
        "--max-read-bytes",
        metavar="SIZE",
        help="largest read a view loads without asking 'Load anyway' (e.g. 500MB; default 2GB)",
    )
    parser.add_argument(
        "--max-memory-bytes",
        metavar="SIZE",
        help="largest result a view holds in memory without asking (e.g. 1GB; default 4GB)",
    )
    parser.add_argument(
        "--apply-above",
        metavar="SECONDS",
        type=_seconds,
        default=None,
        help="views whose load is estimated to take longer wait for 'Apply' (default 1; "
        "0: every change waits; 'never': every change loads at once)",
    )
    parser.add_argument(
        "--allow-websocket-origin",
        action="append",
        default=[],
        metavar="HOST[:PORT]",
        help="extra origin allowed to connect (behind a proxy); repeatable",
    )
    parser.add_argument(
        "--dask-scheduler",
        metavar="ADDRESS",
        help="a dask.distributed scheduler (tcp://host:8786): the views' dask loads run on its "
        "cluster, one client shared by every session",
    )


def _seconds(text: str) -> float:
    """``--apply-above``: a number of seconds >= 0, or ``never`` (inf)."""
    if text.strip().lower() == "never":
        return math.inf
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"expected seconds >= 0 or 'never', got {text!r}")
    return value


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def session_catalog(catalog: str) -> tuple[str, subprocess.Popen[bytes] | None]:
    """What each session opens: the demo's records folder (built now if needed) or ``catalog``;
    and the process building the rest of the demo, if one was started.

    On a first run only the demo's first collection (the one the explorer opens) is built before
    serving; the others are built by a background process (:mod:`vstore_explorer.demo.staged`)
    and join the catalog as each is done. The caller stops that process when it stops serving.
    """
    if catalog.strip().lower() != "demo":
        return catalog, None
    from vstore_explorer.demo.staged import (
        build_rest_in_background,
        ensure_first_collection,
        resolved_size,
    )

    _say("vstore-explorer serve: checking the demo archive (built on first use)...")
    records, rest = ensure_first_collection(progress=_say)
    if not rest:
        return str(records), None
    _say(
        f"vstore-explorer serve: building {', '.join(rest)} in the background (they join the "
        "catalog when ready)"
    )
    return str(records), build_rest_in_background(records.parent, resolved_size(None))


def limits_of(args: argparse.Namespace) -> Any:
    """The :class:`~vstore_explorer.cost.Limits` of ``--max-read-bytes``/``--max-memory-bytes``.

    Example:
        >>> limits_of(argparse.Namespace(max_read_bytes="500MB", max_memory_bytes=None))
        Limits(max_read_bytes=500000000.0, max_memory_bytes=4000000000.0)
    """
    from vstore_explorer.cost import Limits, parse_size

    sizes = {}
    for name in ("max_read_bytes", "max_memory_bytes"):
        text = getattr(args, name, None)
        if text is not None:
            try:
                sizes[name] = parse_size(text)
            except ValueError as exc:
                raise InvalidInputError(f"--{name.replace('_', '-')}: {exc}") from exc
    return Limits(**sizes)


def scheduler_client(address: str, *, timeout: float = SCHEDULER_TIMEOUT) -> Client:
    """A ``distributed.Client`` connected to the scheduler at ``address``, or an
    :class:`InvalidInputError` naming the address when nothing answers there.

    A tcp/tls address is tried with a plain socket first, so a refused connection fails at once
    (``distributed`` itself retries until ``timeout``). It is the server process's one client,
    shared by its sessions, and dask's default there (as ``Client(address)`` makes itself).

    Example:
        >>> scheduler_client("tcp://127.0.0.1:1")  # doctest: +SKIP
        Traceback (most recent call last):
        InvalidInputError: cannot reach the dask scheduler at tcp://127.0.0.1:1: Connection refused
    """
    from distributed import Client
    from distributed.comm import parse_address
    from distributed.comm.addressing import parse_host_port

    failed = f"cannot reach the dask scheduler at {address}"
    try:
        scheme, location = parse_address(address)
        host, port = parse_host_port(location, DEFAULT_SCHEDULER_PORT)
    except ValueError as exc:
        raise InvalidInputError(
            f"--dask-scheduler {address!r} is not a scheduler address (tcp://host:8786): {exc}"
        ) from None
    if scheme in ("tcp", "tls"):
        try:
            socket.create_connection((host, port), timeout=timeout).close()
        except OSError as exc:
            raise InvalidInputError(f"{failed}: {exc.strerror or exc}") from None
    try:
        return Client(address, timeout=timeout)
    except (OSError, TimeoutError) as exc:
        raise InvalidInputError(f"{failed}: {exc}") from None


def serve_options(args: argparse.Namespace) -> dict[str, Any]:
    """Keyword arguments for ``panel.serve``."""
    if not 0 < args.port < 65536:
        raise InvalidInputError(f"--port must be between 1 and 65535, got {args.port}")
    origins = {f"{args.address}:{args.port}", f"localhost:{args.port}", f"127.0.0.1:{args.port}"}
    origins |= set(args.allow_websocket_origin)
    return {
        "port": args.port,
        "address": args.address,
        "show": bool(args.show),
        "title": "vstore_explorer",
        "websocket_origin": sorted(origins),
        "check_unused_sessions_milliseconds": CHECK_UNUSED_MS,
        "unused_session_lifetime_milliseconds": UNUSED_SESSION_MS,
    }


def run(args: argparse.Namespace) -> int:
    limits = limits_of(args)  # a bad size fails before anything starts
    address = getattr(args, "dask_scheduler", None)
    client = scheduler_client(address) if address else None  # unreachable: fail before serving
    try:
        return _serve(args, limits, client)
    finally:
        if client is not None:
            client.close()


def _serve(args: argparse.Namespace, limits: Any, client: Client | None) -> int:
    """Serve the explorer until interrupted: each session gets its own state, sharing the
    local catalog and ``client`` (the ``--dask-scheduler`` cluster's, or None)."""
    catalog, background = session_catalog(args.catalog)
    try:
        return _serve_catalog(args, limits, client, catalog)
    finally:
        if background is not None:
            from vstore_explorer.demo.staged import stop

            stop(background)


def _serve_catalog(
    args: argparse.Namespace, limits: Any, client: Client | None, catalog: str
) -> int:
    import panel as pn

    from vstore_explorer.app.explorer import EXTENSIONS, explore
    from vstore_explorer.app.memory import limit_malloc_arenas
    from vstore_explorer.app.sources import session_sources

    limit_malloc_arenas()  # before the server starts its threads
    pn.extension(*EXTENSIONS)
    sources = session_sources(catalog)  # a local catalog is read once, for every session
    collection = args.collection
    visited = threading.Event()

    def session() -> Any:
        visited.set()
        return explore(
            sources(),
            collection=collection,
            limits=limits,
            apply_above=args.apply_above,
            client=client,
        )

    options = serve_options(args)
    prepare_in_background(sources, collection, unless=visited)
    if client is not None:
        _say(f"vstore-explorer serve: dask loads run on the cluster at {client.scheduler.address}")
    _say(f"vstore-explorer serve: http://{args.address}:{args.port}/ (Ctrl+C to stop)")
    pn.serve(session, **options)
    return 0


# What a first session imports when it opens a store and draws its first map, beyond the app's own
# modules (imported before the server listens): the store stack, dask's arrays (xarray checks for
# them), the Markdown and table renderers. Imported by whoever gets there first: an idle server
# (prepare_in_background) or the first visitor's session.
FIRST_SESSION_IMPORTS = (
    "icechunk",
    "zarr",
    "dask.array",
    "markdown_it",
    "pandas.io.formats.style",
)


def prepare_in_background(
    sources: Any, collection: str | None, *, unless: threading.Event, delay: float = PREPARE_DELAY
) -> threading.Thread:
    """While the server waits for its first visitor, do what the first session does first (no
    Panel): read the shared local catalog, import the store stack, open the store and load the
    first map.

    The catalog is kept (shared) and the imports serve every session; the store and map are
    dropped (each session opens its own). Skipped when a visitor came within ``delay`` seconds
    (``unless`` is set): their session does it, without a duplicate competing for the CPU; a
    visitor arriving later stops it after the shared steps (catalog, imports), before it opens
    the store the visitor's session is opening. Errors are left to the sessions to show.
    """

    def prepare() -> None:
        if unless.wait(delay):
            return
        from vstore_explorer.app.state import ExplorerState

        try:
            source = sources()
            if not source.local:
                return
            for name in FIRST_SESSION_IMPORTS:
                if unless.is_set():
                    return
                importlib.import_module(name)
            if unless.is_set():
                return
            state = ExplorerState(source.catalog, source_is_local=True)
            state.search()
            state.select_collection(collection if collection is not None else 0)
        except Exception:  # noqa: BLE001, S110 - the sessions report it
            pass

    thread = threading.Thread(target=prepare, name="vstore-explorer-prepare", daemon=True)
    thread.start()
    return thread
