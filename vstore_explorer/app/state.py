"""The explorer's state: one ``param.Parameterized`` per session, no Panel import.

Everything the user picks is a parameter (widgets are made from them); everything shown is derived
here through the package's one path: a :class:`~vstore_explorer.selection.Selection` per view,
:func:`~vstore_explorer.compute.cost_of`, :func:`~vstore_explorer.compute.load` and
:func:`~vstore_explorer.compute.to_code` with the :func:`~vstore_explorer.plots.spec` of the very
data shown. Errors become ``alert`` messages, never exceptions.

Example:
    >>> state = ExplorerState(catalog=LocalCatalog(records_dir))  # doctest: +SKIP
    >>> state.search(); state.select_collection(state.results[0])  # doctest: +SKIP
    >>> state.param.update(where="point", lon=-40.0, lat=30.0, view="timeseries")  # doctest: +SKIP
    >>> state.result("timeseries").data.values  # doctest: +SKIP
"""

from __future__ import annotations

import io
import logging
import math
import re
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import param
import xarray as xr

from vstore_explorer.app.query import VIEWS, ViewQuery, parse_version
from vstore_explorer.axes import Axes, find_axes
from vstore_explorer.catalog.base import IncompleteResultsWarning
from vstore_explorer.catalog.records import Collection
from vstore_explorer.compute import Request
from vstore_explorer.cost import Cost, CostLimitError, Limits, check
from vstore_explorer.errors import InvalidInputError, VStoreError
from vstore_explorer.plots import PlotSpec, spec
from vstore_explorer.selection import Selection
from vstore_explorer.stores.open import StoreHandle, connect, list_versions

SUBSET_PARAMS = (
    "variable",
    "time_start",
    "time_end",
    "where",
    "west",
    "south",
    "east",
    "north",
    "lon",
    "lat",
    "level",
    "stride",
)
SLOW_CHUNKS = 24  # loads above this many chunks or bytes are "longer than a moment"
SLOW_BYTES = 64e6
NO_LIMITS = Limits(max_read_bytes=math.inf, max_memory_bytes=math.inf)
TIME_FORMAT = "%Y-%m-%dT%H:%M:%S"


@dataclass(frozen=True, eq=False)
class ViewResult:
    """What one view shows: its selection, the loaded data, the plot spec and the cost."""

    view: str
    selection: Selection
    data: xr.DataArray
    plot: PlotSpec
    cost: Cost
    seconds: float
    store: tuple[str, ...] = ()
    request: Request | None = None
    """The request that loaded it (planned once: its cost and code are kept)."""


LOG = logging.getLogger("vstore_explorer.app")


def time_labels(index: pd.Index) -> list[str]:
    """ISO labels (to the second) of a time index: what Selection time bounds are made of."""
    if isinstance(index, pd.DatetimeIndex):
        return list(index.strftime(TIME_FORMAT))
    return [t.strftime(TIME_FORMAT) for t in index]


def is_slow(cost: Cost) -> bool:
    """Whether loading takes long enough to show progress first."""
    return cost.chunks > SLOW_CHUNKS or cost.decoded_bytes > SLOW_BYTES


def _message(exc: BaseException) -> str:
    """What the alert says: the package's own errors as they are; anything else is a bug."""
    text = str(exc).strip() or type(exc).__name__
    if isinstance(exc, VStoreError):
        return text
    LOG.error("unexpected error in the explorer", exc_info=exc)
    return (
        f"Unexpected error: {type(exc).__name__}: {text}. This is a bug in vstore_explorer; "
        "please report it with the steps that led here."
    )


class ExplorerState(param.Parameterized):
    """One explorer session: search, collection, store version, subset, views, code and URL."""

    # -- search ---------------------------------------------------------------------------------
    keyword = param.String(default="", doc="Words to look for in titles, names and abstracts")
    search_bbox = param.String(default="", doc="Search box: west,south,east,north (degrees)")
    search_start = param.CalendarDate(default=None, allow_None=True, doc="Search from this date")
    search_end = param.CalendarDate(default=None, allow_None=True, doc="Search up to this date")
    has_virtual_store = param.Boolean(default=True, doc="Only collections with a virtual store")
    limit = param.Integer(default=50, bounds=(1, 2000), doc="Most results to list")
    source_is_local = param.Boolean(default=True, doc="The catalog is local (searched at start)")
    results = param.List(default=[], doc="Collections found by the last search")

    # -- collection and store -------------------------------------------------------------------
    collection = param.ClassSelector(class_=Collection, default=None, allow_None=True)
    store = param.Selector(default=None, objects=[], allow_None=True, doc="Virtual store kind")
    version = param.Selector(default=None, objects=[], allow_None=True, doc="Store version")
    handle = param.ClassSelector(class_=StoreHandle, default=None, allow_None=True)

    # -- subset ---------------------------------------------------------------------------------
    variable = param.Selector(default=None, objects=[], allow_None=True)
    time_start = param.Selector(default=None, objects=[], allow_None=True, label="From")
    time_end = param.Selector(default=None, objects=[], allow_None=True, label="To")
    where = param.Selector(
        default="all", objects=["all", "box", "point"], doc="Whole grid, a box or a point"
    )
    west = param.Number(default=None, allow_None=True, doc="Box west longitude")
    south = param.Number(default=None, allow_None=True, doc="Box south latitude")
    east = param.Number(default=None, allow_None=True, doc="Box east longitude")
    north = param.Number(default=None, allow_None=True, doc="Box north latitude")
    lon = param.Number(default=None, allow_None=True, doc="Point longitude")
    lat = param.Number(default=None, allow_None=True, doc="Point latitude")
    level = param.Selector(default=None, objects=[], allow_None=True, doc="Vertical level")
    stride = param.Integer(default=1, bounds=(1, 64), doc="Keep one grid point in N (preview)")

    # -- views ----------------------------------------------------------------------------------
    view = param.Selector(default="map", objects=list(VIEWS), doc="The plot on show")
    coastlines = param.Boolean(default=True, doc="Coastlines on maps, and in their scripts")
    map_time = param.Selector(default=None, objects=[], allow_None=True, label="Map time")

    # -- outputs (read-only for users) -----------------------------------------------------------
    alert = param.String(default="", doc="Message shown to the user (errors, warnings)")
    alert_level = param.Selector(default="danger", objects=["danger", "warning", "info"])
    status = param.String(default="", doc="One line about the last action")
    cost_text = param.String(default="", doc="Cost of the current view's selection")
    needs_confirmation = param.Boolean(default=False, doc="Above the limits: load only if asked")
    busy = param.Boolean(default=False)
    progress = param.Integer(default=0, bounds=(0, 100))
    code = param.String(default="", doc="The script of the current view")
    query = param.String(default="", doc="The URL query string of the current view")
    defer = param.Callable(
        default=None,
        allow_None=True,
        precedence=-1,
        doc="Runs slow loads later, so the page shows 'busy' first (set by served apps)",
    )
    map_result = param.ClassSelector(class_=ViewResult, default=None, allow_None=True)
    timeseries_result = param.ClassSelector(class_=ViewResult, default=None, allow_None=True)
    hovmoller_result = param.ClassSelector(class_=ViewResult, default=None, allow_None=True)

    def __init__(
        self,
        catalog: Any,
        *,
        limits: Limits | None = None,
        credentials: Any = None,
        **params: Any,
    ) -> None:
        super().__init__(**params)
        self.catalog = catalog
        self.limits = limits or Limits()
        self.credentials = credentials
        self.axes: Axes | None = None
        self.times: list[str] = []
        self._stale: set[str] = set(VIEWS)
        self._subset_of: str | None = None  # the collection the subset parameters belong to
        self._hold = 0
        self._watchers = [
            self.param.watch(self._on_subset, list(SUBSET_PARAMS)),
            self.param.watch(self._on_map_time, ["map_time"]),
            self.param.watch(self._on_view, ["view"]),
            self.param.watch(self._on_store, ["store", "version"]),
        ]

    # ======================================================================= messages

    def _fail(self, exc: BaseException | str, level: str = "danger") -> None:
        self.param.update(
            alert=exc if isinstance(exc, str) else _message(exc), alert_level=level, busy=False
        )

    def report(self, exc: BaseException | str, level: str = "danger") -> None:
        """Show an error (or a warning/info with ``level``) to the user as the alert."""
        self._fail(exc, level)

    def _clear(self) -> None:
        if self.alert:
            self.alert = ""

    @contextmanager
    def _held(self) -> Iterator[None]:
        """Change many parameters without reloading after each one."""
        self._hold += 1
        try:
            yield
        finally:
            self._hold -= 1

    # ======================================================================= search

    def search(self) -> list[Collection]:
        """Run the search with the current filters; results go to ``results``."""
        temporal = None
        if self.search_start or self.search_end:
            temporal = (self.search_start, self.search_end)
        try:
            found = self.catalog.search(
                self.keyword.strip() or None,
                bbox=self.search_bbox.strip() or None,
                temporal=temporal,
                has_virtual_store=True if self.has_virtual_store else None,
                limit=self.limit,
            )
            with warnings.catch_warnings():  # said in the alert below instead
                warnings.simplefilter("ignore", IncompleteResultsWarning)
                results = list(found)
        except Exception as exc:  # the UI boundary: validation, network, malformed records
            self._fail(exc)
            return []
        self._clear()
        self.param.update(results=results, status=f"{len(results)} collection(s) found")
        if getattr(found, "incomplete", None):
            self.report(found.incomplete, "warning")
        return results

    def results_frame(self) -> pd.DataFrame:
        """The results as a table: title, short name, provider, extents, store kinds."""
        rows = []
        for c in self.results:
            box = c.bbox
            rows.append(
                {
                    "title": c.title,
                    "short_name": c.short_name,
                    "provider": c.provider or "",
                    "time": c.time_range_text(),
                    "bbox": "" if box is None else ", ".join(f"{v:g}" for v in box.as_tuple()),
                    "stores": ", ".join(c.store_kinds) or "none",
                    "concept_id": c.concept_id or "",
                }
            )
        columns = ["title", "short_name", "provider", "time", "bbox", "stores", "concept_id"]
        return pd.DataFrame(rows, columns=columns)

    @staticmethod
    def key_of(collection: Collection) -> str:
        """What identifies a collection in a URL: its concept id, else its short name."""
        return collection.concept_id or collection.short_name

    def find_collection(self, key: str) -> Collection | None:
        """A collection by concept id or short name: in the results, else asked of the catalog."""
        for c in self.results:
            if key in (c.concept_id, c.short_name):
                return c
        by_id = re.fullmatch(r"C\d+-[A-Za-z0-9_]+", key) is not None
        try:
            found = self.catalog.search(
                concept_id=key if by_id else None, short_name=None if by_id else key, limit=1
            )
            return next(iter(found), None)
        except Exception as exc:
            self._fail(exc)
            return None

    # ======================================================================= collection, store

    def select_collection(self, collection: Collection | str | int | None) -> bool:
        """Pick a collection (record, key or row of ``results``) and open its first store."""
        if isinstance(collection, int):
            collection = self.results[collection] if 0 <= collection < len(self.results) else None
        if isinstance(collection, str):
            collection = self.find_collection(collection)
        if collection is None:
            self._fail("no such collection in the results; search again")
            return False
        kinds = list(dict.fromkeys(link.kind for link in collection.stores))
        with self._held():
            self.param.store.objects = kinds
            self.param.update(collection=collection, store=kinds[0] if kinds else None)
        if not kinds:
            self._fail(
                f"{collection.short_name} has no virtual store this explorer can open", "info"
            )
            return False
        return self._open()

    def link(self) -> Any:
        """The StoreLink of the chosen store kind."""
        if self.collection is None or self.store is None:
            return None
        return next((s for s in self.collection.stores if s.kind == self.store), None)

    def _versions(self, link: Any) -> dict[str, str]:
        """Version choices: display name -> ``branch:X`` / ``tag:X`` / ``snapshot:ID``."""
        if link.kind != "icechunk":
            return {"(no versions)": "branch:main"}
        versions = list_versions(link, credentials=self.credentials)
        names = {f"branch {b}": f"branch:{b}" for b in versions.branches}
        names |= {f"tag {t}": f"tag:{t}" for t in versions.tags}
        for entry in versions.history:
            when = entry.written_at.strftime("%Y-%m-%d %H:%M")
            names[f"snapshot {entry.id[:8]} · {entry.message[:40]} · {when}"] = (
                f"snapshot:{entry.id}"
            )
        return names

    def _on_store(self, *events: Any) -> None:
        if not self._hold:
            self._open(list_versions_again=not any(e.name == "version" for e in events))

    def _open(
        self, version: str | None = None, *, list_versions_again: bool = True, show: bool = True
    ) -> bool:
        """Open the chosen store at ``version`` (default: the chosen one, else its branch)."""
        link = self.link()
        if link is None:
            return False
        try:
            if list_versions_again:
                names = self._versions(link)
                wanted = version or self.version
                if version and version not in names.values():
                    names[version.replace(":", " ", 1)] = version
                with self._held():
                    self.param.version.objects = names
                    default = f"branch:{link.branch or 'main'}"
                    self.version = wanted if wanted in names.values() else default
            kwargs = parse_version(self.version or "branch:main") if link.kind == "icechunk" else {}
            handle = connect(link, credentials=self.credentials, **kwargs)
        except Exception as exc:  # the UI boundary: missing store, access, bad version
            self._fail(exc)
            return False
        self._clear()
        self._set_handle(handle, show=show)
        return True

    def _set_handle(self, handle: StoreHandle, *, show: bool = True) -> None:
        ds = handle.dataset
        axes = find_axes(ds)
        variables = [
            str(name)
            for name, var in ds.data_vars.items()
            if axes.lat in var.dims and axes.lon in var.dims
        ]
        times = time_labels(ds.indexes[axes.time]) if axes.time else []
        owner = self.key_of(self.collection) if self.collection else handle.link.url
        same = self.handle is not None and self._subset_of == owner  # another store or version
        self._subset_of = owner
        keep = same and self.variable in variables
        with self._held():
            self.axes, self.times = axes, times
            self.param.variable.objects = variables
            self.param.time_start.objects = times
            self.param.time_end.objects = times
            updates: dict[str, Any] = {
                "handle": handle,
                "variable": self.variable if keep else self._default_variable(ds, variables),
                "time_start": self.time_start if keep and self.time_start in times else None,
                "time_end": self.time_end if keep and self.time_end in times else None,
            }
            updates["time_start"] = updates["time_start"] or _first(times)
            updates["time_end"] = updates["time_end"] or _last(times)
            if not same:
                updates |= {"where": "all", "stride": 1, "map_time": None}
            self.param.update(**updates)
            self._update_levels()
            self._update_map_times()
        if not variables:
            self._fail(f"{handle.link.url} has no variable on a latitude/longitude grid", "info")
            return
        if show:
            self.refresh(all_views=True)

    def _default_variable(self, ds: xr.Dataset, variables: list[str]) -> str | None:
        """The variable the collection is about: most words shared with its title."""
        title = f"{self.collection.title} {self.collection.short_name}" if self.collection else ""
        words = {w for w in _words(title) if len(w) > 3}

        def score(name: str) -> tuple[int, int, int]:
            attrs = ds[name].attrs
            text = f"{name} {attrs.get('long_name', '')} {attrs.get('standard_name', '')}"
            own = _words(text)
            auxiliary = any(w in own for w in _AUXILIARY)
            return (-len(words & own), int(auxiliary), variables.index(name))

        return min(variables, key=score) if variables else None

    def _update_levels(self) -> None:
        ds = self.handle.dataset if self.handle is not None else None
        if ds is None or self.variable is None or self.axes is None or self.axes.level is None:
            levels: list[float] = []
        elif self.axes.level in ds[self.variable].dims:
            levels = [float(v) for v in np.asarray(ds[self.axes.level].values)]
        else:
            levels = []
        self.param.level.objects = levels
        if self.level not in levels:
            self.level = levels[0] if levels else None

    def _update_map_times(self) -> None:
        if not self.times:
            self.param.map_time.objects = []
            self.map_time = None
            return
        i0 = self.times.index(self.time_start) if self.time_start in self.times else 0
        i1 = self.times.index(self.time_end) if self.time_end in self.times else len(self.times) - 1
        if i0 > i1:
            i0, i1 = i1, i0
        inside = self.times[i0 : i1 + 1]
        self.param.map_time.objects = inside
        if self.map_time not in inside:
            self.map_time = inside[0]

    # ======================================================================= selections

    def selection(self) -> Selection:
        """The user's selection (what 'Download subset' writes and the URL carries).

        Raises:
            ValueError: an invalid box, point or time range (the message says what to fix).
        """
        if self.variable is None:
            raise InvalidInputError("pick a collection and a variable first")
        time_range = None
        if self.times and (self.time_start, self.time_end) != (self.times[0], self.times[-1]):
            time_range = (self.time_start, self.time_end)
        bbox = point = None
        if self.where == "box":
            corners = (self.west, self.south, self.east, self.north)
            if any(v is None for v in corners):
                raise InvalidInputError(
                    "the box needs west, south, east and north (or draw it on the map)"
                )
            bbox = corners
        elif self.where == "point":
            if self.lon is None or self.lat is None:
                raise InvalidInputError(
                    "the point needs a longitude and a latitude (or tap the map)"
                )
            point = (self.lon, self.lat)
        return Selection(
            variables=(self.variable,),
            time=time_range,
            bbox=bbox,
            point=point,
            level=self.level,
            stride=self.stride,
        )

    def view_selection(self, view: str, base: Selection | None = None) -> Selection:
        """The selection a view loads: the map one time step, the series a point or an area mean,
        the Hovmöller a zonal mean."""
        base = base if base is not None else self.selection()
        if view == "map":
            if self.map_time is None:
                return base.replace(point=None)
            return base.replace(time=(self.map_time, self.map_time), point=None)
        if view == "timeseries":
            return base if base.point is not None else base.replace(reduction="area_mean")
        if view == "hovmoller":
            return base.replace(point=None, reduction="zonal_mean")
        raise InvalidInputError(f"view must be one of {', '.join(VIEWS)}; got {view!r}")

    def result(self, view: str | None = None) -> ViewResult | None:
        """The last loaded result of ``view`` (default: the view on show)."""
        return getattr(self, f"{view or self.view}_result")

    # ======================================================================= refresh

    def _on_subset(self, *events: Any) -> None:
        if self._hold:
            return
        names = {e.name for e in events}
        with self._held():
            if "variable" in names:
                self._update_levels()
            if names & {"time_start", "time_end"}:
                self._update_map_times()
        self.refresh(all_views=True)

    def _on_map_time(self, *events: Any) -> None:
        if self._hold:
            return
        self._stale.add("map")
        if self.view == "map":
            self.refresh()
        else:
            self._sync_query()

    def _on_view(self, *events: Any) -> None:
        if self._hold:
            return
        if self.view in self._stale or self.result() is None:
            self.refresh()
        else:
            self._show_code(self.result())

    def refresh(self, *, all_views: bool = False, confirmed: bool = False) -> ViewResult | None:
        """Cost, load (within the limits unless ``confirmed``), plot spec and code of the view."""
        if all_views:
            self._stale = set(VIEWS)
        if self.handle is None or self.variable is None:
            return None
        view = self.view
        try:
            sel = self.view_selection(view)
            request = Request(self.handle, sel)
            cost = request.cost()
        except Exception as exc:
            self.needs_confirmation = False
            self._fail(exc)
            self._sync_query()
            return None
        self.cost_text = cost.summary()
        shown = self.result(view)
        if shown is not None and shown.selection == sel and shown.store == self._store_key():
            self._stale.discard(view)
            self.param.update(needs_confirmation=False)
            self._clear()
            self._show_code(shown)
            return shown
        try:
            check(cost, self.limits)
        except CostLimitError as exc:
            if not confirmed:
                return self._ask_confirmation(request, exc)
        if self.defer is not None and is_slow(cost):
            self.param.update(
                busy=True, progress=0, needs_confirmation=False, status=f"Loading the {view}…"
            )
            self.defer(lambda: self._load_if_current(view, request, confirmed))
            return None
        return self._load(view, request, confirmed)

    def _load_if_current(self, view: str, request: Request, confirmed: bool) -> None:
        """A deferred load, skipped when the user has changed the view or selection meanwhile."""
        try:
            current = self.view == view and self.view_selection(view) == request.selection
        except ValueError:
            current = False
        if current:
            self._load(view, request, confirmed)
        elif self.busy:
            self.busy = False

    def _ask_confirmation(self, request: Request, exc: CostLimitError) -> None:
        first = str(exc).splitlines()[0]
        self.param.update(
            needs_confirmation=True,
            alert=f"{first} Press 'Load anyway' to read it, or narrow the selection.",
            alert_level="warning",
        )
        try:
            plot = spec(request.lazy(), self.view)
            self.code = request.code(plot, coastlines=self._coastlines(self.view))
        except Exception as exc2:
            self._fail(exc2)
        self._sync_query()
        return None

    def confirm(self) -> ViewResult | None:
        """Load the current view although it is above the limits (the confirmation step)."""
        return self.refresh(confirmed=True)

    def _load(self, view: str, request: Request, confirmed: bool) -> ViewResult | None:
        started = time.perf_counter()
        self.param.update(busy=True, progress=0, needs_confirmation=False)
        try:
            data = request.load(  # the cost shown is the one checked: planned and estimated once
                NO_LIMITS if confirmed else self.limits, progress=self._progress
            )
            if not isinstance(data, xr.DataArray):
                raise InvalidInputError("the explorer plots one variable at a time")
            plot = spec(data, view)
        except Exception as exc:
            self._fail(exc)
            self._sync_query()
            return None
        seconds = time.perf_counter() - started
        result = ViewResult(
            view, request.selection, data, plot, request.cost(), seconds, self._store_key(), request
        )
        self._stale.discard(view)
        self._clear()
        self.param.update(**{f"{view}_result": result}, busy=False, progress=100)
        self._show_code(result)
        self.status = f"{view}: {data.size:,} values in {result.seconds * 1000:.0f} ms"
        return result

    def _store_key(self) -> tuple[str, ...]:
        h = self.handle
        if h is None:
            return ()
        return (h.link.url, h.link.kind, h.version.label, str(h.snapshot_id))

    def _progress(self, fraction: float) -> None:
        self.progress = int(round(100 * min(max(fraction, 0.0), 1.0)))

    def _coastlines(self, view: str) -> bool:
        """Whether the exported script overlays coastlines: on maps, as the app draws them."""
        return self.coastlines and view == "map"

    def _show_code(self, result: ViewResult | None) -> None:
        if result is not None and self.handle is not None:
            try:
                request = result.request or Request(self.handle, result.selection)
                self.code = request.code(result.plot, coastlines=self._coastlines(result.view))
            except Exception as exc:
                self._fail(exc)
        self._sync_query()

    # ======================================================================= map interactions

    def set_box(self, west: float, south: float, east: float, north: float) -> None:
        """Use a box (e.g. drawn on the map): ``where`` becomes ``box``."""
        south, north = max(-90.0, min(south, north)), min(90.0, max(south, north))
        west, east = (max(-180.0, min(v, 360.0)) for v in (west, east))
        self.param.update(west=west, south=south, east=east, north=north, where="box")

    def set_point(self, lon: float, lat: float) -> None:
        """Use a point (e.g. tapped on the map): ``where`` becomes ``point``."""
        self.param.update(lon=float(lon), lat=float(lat), where="point")

    # ======================================================================= download

    def netcdf_bytes(self) -> bytes | None:
        """The user's subset (no reduction) as NetCDF-4 bytes, within the limits; None on error."""
        try:
            data = Request(self.handle, self.selection()).load(self.limits, progress=self._progress)
            buffer = io.BytesIO()
            dataset = data.to_dataset() if isinstance(data, xr.DataArray) else data
            dataset.to_netcdf(buffer, engine="h5netcdf")
        except Exception as exc:
            self._fail(exc)
            return None
        return buffer.getvalue()

    def download_name(self, suffix: str) -> str:
        """A file name for downloads: ``<short name>_<variable>_<view>.<suffix>``."""
        short = self.collection.short_name if self.collection else "vstore"
        stem = "_".join(p for p in (short, self.variable or "", self.view) if p)
        safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in stem)
        return f"{safe}.{suffix}"

    # ======================================================================= URL

    def view_query(self) -> ViewQuery:
        """The current view as a :class:`ViewQuery` (raises ValueError for an invalid subset)."""
        return ViewQuery(
            collection=self.key_of(self.collection) if self.collection else None,
            store=self.store,
            version=self.version,
            view=self.view,
            time=self.map_time,
            selection=self.selection() if self.variable else Selection(),
        )

    def _sync_query(self) -> None:
        with suppress(ValueError):  # an invalid subset keeps the last valid URL
            self.query = self.view_query().to_query()

    def apply_query(self, query: str) -> bool:
        """Restore a view from a URL query (see :class:`ViewQuery`); errors become an alert."""
        try:
            q = ViewQuery.from_query(query)
        except ValueError as exc:
            self._fail(exc)
            return False
        if q.collection is None:
            return False
        collection = self.find_collection(q.collection)
        if collection is None:
            self._fail(f"collection {q.collection!r} not found in the catalog")
            return False
        kinds = list(dict.fromkeys(link.kind for link in collection.stores))
        if not kinds or q.store and q.store not in kinds:
            self._fail(
                f"{collection.short_name} has no {q.store or 'known'} store (it has {kinds})"
            )
            return False
        with self._held():
            self.param.store.objects = kinds
            self.param.update(collection=collection, store=q.store or kinds[0], view=q.view)
        if not self._open(q.version, show=False):
            return False
        return self._apply_selection(q)

    def _apply_selection(self, q: ViewQuery) -> bool:
        sel = q.selection
        updates: dict[str, Any] = {}
        if sel.variables:
            updates["variable"] = sel.variables[0]
        if sel.time is not None and self.times:
            start, end = sel.time
            updates["time_start"] = _at_or_after(self.times, start) if start else self.times[0]
            updates["time_end"] = _at_or_before(self.times, end) if end else self.times[-1]
        elif self.times:
            updates |= {"time_start": self.times[0], "time_end": self.times[-1]}
        if sel.bbox is not None:
            updates |= dict(zip(("west", "south", "east", "north"), sel.bbox, strict=True))
            updates["where"] = "box"
        elif sel.point is not None:
            updates |= {"lon": sel.point[0], "lat": sel.point[1], "where": "point"}
        else:
            updates["where"] = "all"
        updates["stride"] = sel.stride
        with self._held():
            try:
                self.param.update(**updates)
                self._update_levels()
                if sel.level is not None:
                    self.level = _nearest(self.param.level.objects, sel.level)
                self._update_map_times()
                if q.time is not None and q.time in self.param.map_time.objects:
                    self.map_time = q.time
            except ValueError as exc:
                self._fail(exc)
                return False
        self.refresh(all_views=True)
        return not self.alert


_AUXILIARY = ("error", "mask", "flag", "flags", "uncertainty", "quality", "qc", "count")


def _words(text: str) -> set[str]:
    return {w for w in re.split(r"[^a-z0-9]+", str(text).lower()) if w}


def _first(values: list[str]) -> str | None:
    return values[0] if values else None


def _last(values: list[str]) -> str | None:
    return values[-1] if values else None


def _at_or_after(times: list[str], value: str) -> str:
    return next((t for t in times if t >= value), times[-1])


def _at_or_before(times: list[str], value: str) -> str:
    return next((t for t in reversed(times) if t <= value or t.startswith(value)), times[0])


def _nearest(values: list[Any], target: float) -> Any:
    return min(values, key=lambda v: abs(float(v) - target)) if values else None
