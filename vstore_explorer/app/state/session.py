"""One explorer session: the parts (search, store, subset, views, downloads) in one object, and
the one watcher that reacts to a change.

Programmatic changes that touch many parameters happen in one ``param.update`` (a new handle
with its subset), so :meth:`_changed` sees them as one batch and reacts once, or while
:meth:`~.changes.ChangesPart.holding` (choosing a collection, restoring a URL), after which the
code that held them refreshes: a new store or version is opened, a new handle or subset
refreshes the views, a new map time or tab refreshes that view.

Example:
    >>> state = ExplorerState(catalog=LocalCatalog(records_dir))  # doctest: +SKIP
    >>> state.search(); state.select_collection(state.results[0])  # doctest: +SKIP
    >>> state.param.update(where="point", lon=-40.0, lat=30.0, view="timeseries")  # doctest: +SKIP
    >>> state.result("timeseries").data.values  # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import param

from vstore_explorer.app.query import ViewQuery, restore_view, view_query_of
from vstore_explorer.app.state.downloads import DownloadsPart
from vstore_explorer.app.state.search import SearchPart
from vstore_explorer.app.state.subset import SUBSET_PARAMS
from vstore_explorer.cost import Limits
from vstore_explorer.stores.open import Credentials

if TYPE_CHECKING:
    from distributed import Client

OPENING = frozenset({"store", "version", "group"})
RESHAPING = frozenset({*SUBSET_PARAMS, "handle"})
ON_THE_MAP = frozenset({"map", "scatter"})  # views of the map's time step (or time mean)


class ExplorerState(SearchPart, DownloadsPart):
    """One explorer session: search, collection, store version, subset, views, code and URL.

    ``client`` (a ``distributed.Client``, or None: this process) is where the loads that go
    through dask run; a served app's sessions share one (it is thread-safe).
    """

    def __init__(
        self,
        catalog: Any,
        *,
        limits: Limits | None = None,
        credentials: Credentials = None,
        client: Client | None = None,
        **params: Any,
    ) -> None:
        super().__init__(**params)
        self.catalog = catalog
        self.limits = limits or Limits()
        self.credentials = credentials
        self.client = client
        watched = sorted(OPENING | RESHAPING | {"map_time", "map_mean", "view"})
        self._watcher = self.param.watch(self._changed, watched)

    def _changed(self, *events: param.parameterized.Event) -> None:
        """React once to a batch of changes (see the module docstring)."""
        if self.held:
            return
        names = {e.name for e in events}
        if names & OPENING and "handle" not in names:
            self._open(list_versions_again="store" in names)
            return
        if names & RESHAPING:
            with self.holding():
                if names & {"variable", "handle"}:
                    self._update_levels()
                if names & {"time_start", "time_end", "handle"}:
                    self._update_map_times()
            self.refresh(all_views=True)
            return
        if names & {"map_time", "map_mean"}:
            self._stale |= ON_THE_MAP
            if self.view in ON_THE_MAP:
                self.refresh()
            else:
                self._sync_query()
            return
        if "view" in names:
            if self.view in self._stale or self.result() is None:
                self.refresh()
            else:  # its result is current: another view's message or Apply is not for it
                self._clear()
                self.pending = False
                self._show_code(self.result())

    def view_query(self) -> ViewQuery:
        """The current view as a :class:`ViewQuery` (raises ValueError for an invalid subset)."""
        return view_query_of(self)

    def apply_query(self, query: str) -> bool:
        """Restore a view from a URL query (see :class:`ViewQuery`); errors become an alert."""
        return restore_view(self, query)
