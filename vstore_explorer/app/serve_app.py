"""The explorer as a Panel app file: ``panel serve vstore_explorer/app/serve_app.py``.

Also what Binder opens with ``?urlpath=panel-preview/render/vstore_explorer/app/serve_app.py``.
Panel runs this file once per session, so each visitor gets a state of their own. The catalog is
``$VSTORE_EXPLORER_CATALOG`` (default ``demo``: the embedded archive, built on first use).
"""

from __future__ import annotations

import os

import panel as pn

from vstore_explorer.app.explorer import EXTENSIONS, explore
from vstore_explorer.app.memory import limit_malloc_arenas
from vstore_explorer.app.sources import session_sources

pn.extension(*EXTENSIONS)
limit_malloc_arenas()  # fewer glibc arenas: less memory kept by the server's threads

CATALOG = os.environ.get("VSTORE_EXPLORER_CATALOG", "demo")
# a local catalog is read once per server process and shared (its records are frozen)
sources = pn.state.as_cached(f"vstore_explorer.sources:{CATALOG}", session_sources, catalog=CATALOG)

explore(sources()).servable(title="vstore_explorer")
