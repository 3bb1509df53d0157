"""The explorer as a Panel app file: ``panel serve vstore_explorer/app/serve_app.py``.

Also what Binder opens with ``?urlpath=panel-preview/render/vstore_explorer/app/serve_app.py``.
Panel runs this file once per session, so each visitor gets a state of their own. The catalog is
``$VSTORE_EXPLORER_CATALOG`` (default ``demo``: the embedded archive, built on first use).
"""

from __future__ import annotations

import os

import panel as pn

from vstore_explorer.app.explorer import EXTENSIONS, explore

pn.extension(*EXTENSIONS)

explore(os.environ.get("VSTORE_EXPLORER_CATALOG", "demo")).servable(title="vstore_explorer")
