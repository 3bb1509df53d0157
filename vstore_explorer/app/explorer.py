"""The explorer app: one :class:`ExplorerState` per session, the section views, the URL sync.

Runs three ways:

- JupyterLab: ``pn.extension("tabulator", "codeeditor")`` then display ``explore()``;
- any Jupyter front end: ``pn.ipywidget(explore())`` (needs ``jupyter_bokeh``);
- served: ``vstore-explorer serve`` or ``panel serve vstore_explorer/app/serve_app.py``.

Example:
    >>> app = explore("demo")  # doctest: +SKIP
    >>> app.state.param.update(where="point", lon=-40.0, lat=30.0)  # doctest: +SKIP
    >>> print(app.state.code)  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import panel as pn
import param
from panel.viewable import Viewer

from vstore_explorer.app.live import warm_up, warm_up_in_background
from vstore_explorer.app.memory import memory_release
from vstore_explorer.app.notebook_root import ExplorerRoot
from vstore_explorer.app.output_views import CodeView, StatusView
from vstore_explorer.app.plots_view import PlotsView
from vstore_explorer.app.query import VIEWS
from vstore_explorer.app.sources import CatalogSource, resolve_catalog
from vstore_explorer.app.state import ExplorerState
from vstore_explorer.app.state.background import Background
from vstore_explorer.app.state.params import NoNone
from vstore_explorer.app.views import SIDEBAR_WIDTH, CollectionView, SearchView, SubsetView
from vstore_explorer.cost import Limits
from vstore_explorer.stores.open import Credentials

if TYPE_CHECKING:
    from bokeh.document import Document
    from distributed import Client
    from panel.io.location import Location

EXTENSIONS = ("tabulator", "codeeditor")
MAIN_MIN_WIDTH = 860  # the map figure (frame, axes, colour bar, toolbar) is about 820 px wide
WARM_UP_DELAY = 5.0  # seconds after the first page has loaded before compiling the rasterizer


class Explorer(Viewer):
    """The whole app for one session. ``state`` holds everything; the views only display it.

    ``location`` is the ``panel.io.location.Location`` the URL query is read from and written to
    (the served session's by default; pass one in tests).
    """

    state = param.ClassSelector(class_=ExplorerState, allow_None=NoNone)
    title = param.String(default="vstore_explorer")

    def __init__(
        self,
        state: ExplorerState,
        *,
        source: CatalogSource | None = None,
        location: Location | None = None,
        coastlines: bool = True,
        **params: Any,
    ) -> None:
        super().__init__(state=state, **params)
        state.coastlines = coastlines  # the exported script draws what the map draws
        self.source = source
        self.search_view = SearchView(state=state)
        self.collection_view = CollectionView(state=state)
        self.subset_view = SubsetView(state=state)
        self.plots_view = PlotsView(state=state, coastlines=coastlines)
        self.code_view = CodeView(state=state)
        self.status_view = StatusView(state=state)
        self.location = location if location is not None else _session_location()
        if self.location is not None:
            state.param.watch(self._write_url, "query")
            if _served():
                pn.state.onload(self._sync_url)  # the page sets its own URL first; then ours
        doc = _served_document()
        if state.background is None and doc is not None:  # slow loads off the page's thread
            state.background = Background(doc.add_next_tick_callback)
        if _served():
            pn.state.on_session_destroyed(self._session_destroyed)
            pn.state.on_session_destroyed(memory_release().soon)

    # -- end --------------------------------------------------------------------------------------

    def _session_destroyed(self, session_context: Any) -> None:
        self.dispose()

    def dispose(self) -> None:
        """Let go of what the session holds (loaded results, the store handle, the plots' streams
        and pipes): a closed served session calls it, so its arrays are freed at once rather than
        whenever the cycles between its objects are collected. The app is unusable afterwards."""
        state = self.state
        handle = state.handle
        state.cancel()
        state.cancel_download()
        state.forget_plans()
        if state.background is not None:
            state.background.close()
        with param.parameterized.discard_events(state):  # no view updates: the page is gone
            state.param.update(**{f"{view}_result": None for view in VIEWS}, handle=None)
        if handle is not None:
            handle.dataset.close()
        self.plots_view.dispose()

    # -- URL ------------------------------------------------------------------------------------

    def url_query(self) -> str:
        """The query string of the page's URL (empty outside a served session)."""
        if self.location is None:
            return ""
        return str(self.location.search or "").removeprefix("?")

    def _write_url(self, event: param.parameterized.Event) -> None:
        if self.location is not None and event.new:
            self.location.search = "?" + event.new

    def _sync_url(self) -> None:
        if self.location is not None and self.state.query:
            self.location.search = "?" + self.state.query

    # -- start ----------------------------------------------------------------------------------

    def start(self, *, query: str | None = None, collection: str | None = None) -> None:
        """Restore the view of ``query`` (default: the page URL's), else search a local catalog
        and open ``collection`` (default: the first result)."""
        query = query if query is not None else self.url_query()
        if query and "collection=" in query:
            if self.state.source_is_local:
                self.state.search()
            self.state.apply_query(query)
            self.search_view.collapsed = self.state.collection is not None
            return
        if self.state.source_is_local:
            results = self.state.search()
            if collection is not None:
                self.state.select_collection(collection)
            elif results:
                self.state.select_collection(0)
        self.search_view.collapsed = self.state.collection is not None  # the subset comes first

    def __panel__(self) -> pn.viewable.Viewable:
        where = self.source.describe if self.source else repr(self.state.catalog)
        header = pn.pane.Markdown(
            f"## {self.title}\nSearch · open a virtual store · subset · plot · take the code "
            f"— catalog: *{where}*",
            css_classes=["vx-header"],
        )
        sidebar = pn.Column(
            self.search_view,
            self.collection_view,
            self.subset_view,
            width=SIDEBAR_WIDTH + 40,
            css_classes=["vx-sidebar"],
        )
        main = pn.Column(
            self.status_view,  # messages beside the plot they are about
            self.plots_view,
            self.code_view,
            css_classes=["vx-main"],
            min_width=MAIN_MIN_WIDTH,
            sizing_mode="stretch_width",
            styles={"flex": f"1 1 {MAIN_MIN_WIDTH}px"},
        )
        # side by side when there is room; else (narrow windows, notebooks) the plots first,
        # the sidebar under them: wrap-reverse stacks the lines upwards (so "flex-end" is the
        # top of each line)
        body = pn.FlexBox(sidebar, main, flex_wrap="wrap-reverse", align_items="flex-end")
        return ExplorerRoot(header, body, css_classes=["vx-explorer"])


def _served_document() -> Document | None:
    """The served session's document (None in notebooks and scripts)."""
    doc = pn.state.curdoc
    return doc if doc is not None and doc.session_context is not None else None


def _served() -> bool:
    """Whether this runs in a served session (not a notebook or a script)."""
    return _served_document() is not None


def _session_location() -> Location | None:
    """The served session's ``Location`` (None in notebooks and scripts)."""
    return pn.state.location if _served() else None


def explore(
    catalog: str | Path | Any = "demo",
    *,
    collection: str | None = None,
    query: str | None = None,
    limits: Limits | None = None,
    apply_above: float | None = None,
    credentials: Credentials = None,
    coastlines: bool = True,
    location: Location | None = None,
    warm: bool = True,
    progress: Callable[[str], None] | None = None,
    client: Client | None = None,
) -> Explorer:
    """The explorer app (a Panel ``Viewer``) on a catalog.

    Args:
        catalog: ``"demo"`` (the embedded archive, built on first use), ``"cmr"``/``"uat"``, a
            CMR URL, a folder of UMM JSON records, a catalog object, or a ``CatalogSource``
            (servers share one local catalog between sessions: ``session_sources``).
        collection: concept id or short name to open first (default: the first result of a
            local catalog; CMR is only searched when asked).
        query: a view query (as in the page URL) to restore; default: the served page's URL.
        limits: largest read/memory the app loads without asking (:class:`Limits`).
        apply_above: views estimated (by the cost) to take longer than this many seconds wait
            for 'Apply' (default 1 s; ``math.inf``: every change loads at once).
        credentials: passed to the store openers (``"earthdata"``, ``S3Credentials``...).
        coastlines: draw the packaged coastlines on maps.
        location: a ``panel.io.location.Location`` to sync the URL with (tests).
        warm: compile the rasterizer (datashader, for large grids) before the first large map:
            now, or in a served session in the background once its page has loaded (so neither
            the server's start nor the first page waits for it).
        progress: called with each step of the demo build, if one is needed.
        client: a ``distributed.Client`` (dask's default one, e.g. ``Client(address)`` or a
            dask-gateway ``cluster.get_client()``): the loads that go through dask (reductions:
            area-mean series, Hovmöllers, time-mean maps) run on its cluster, their progress is
            the cluster's (per finished output chunk) and Cancel cancels its futures. Reads
            without dask (a one-day map, a point's series) stay in this process. Kept as
            ``state.client``. Default None: everything runs in this process.

    Example:
        >>> import panel as pn  # doctest: +SKIP
        >>> pn.extension("tabulator", "codeeditor")  # doctest: +SKIP
        >>> explore()  # doctest: +SKIP
        >>> from distributed import Client  # doctest: +SKIP
        >>> explore(client=Client("tcp://127.0.0.1:8786"))  # doctest: +SKIP
    """
    source = resolve_catalog(catalog, progress=progress)
    state = ExplorerState(
        source.catalog,
        limits=limits,
        credentials=credentials,
        client=client,
        source_is_local=source.local,
    )
    if apply_above is not None:
        state.apply_above = None if apply_above == float("inf") else apply_above
    if warm and _served():

        def warm_up_later() -> None:
            warm_up_in_background(WARM_UP_DELAY)

        pn.state.onload(warm_up_later)
    elif warm:
        warm_up()
    app = Explorer(state, source=source, location=location, coastlines=coastlines)
    app.start(query=query, collection=collection)
    return app
