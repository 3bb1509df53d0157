"""The explorer's view as a URL query string, so a copied link reopens the same view.

The query holds the collection, the store kind, version and group, the plot on show, the map's time
step, and the :class:`~vstore_explorer.selection.Selection` (its own ``to_query`` keys).

Example:
    >>> from vstore_explorer.selection import Selection
    >>> q = ViewQuery(collection="SST_DEMO", store="icechunk", version="tag:v1",
    ...               selection=Selection(variables=("sst",), point=(-40.0, 30.0)))
    >>> q.to_query()
    'collection=SST_DEMO&store=icechunk&version=tag:v1&view=map&var=sst&point=-40.0,30.0'
    >>> ViewQuery.from_query(q.to_query()) == q
    True
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, quote

from vstore_explorer.errors import InvalidInputError
from vstore_explorer.selection import Selection

if TYPE_CHECKING:
    from vstore_explorer.app.state.session import ExplorerState
    from vstore_explorer.plots import PlotKind

VIEWS: tuple[PlotKind, ...] = ("map", "timeseries", "hovmoller", "hovmoller_lon", "scatter")
APP_KEYS: tuple[str, ...] = ("collection", "store", "version", "group", "view", "t")
VERSION_KINDS: tuple[str, ...] = ("branch", "tag", "snapshot")


def parse_version(value: str) -> dict[str, str]:
    """``"tag:v1"`` -> ``{"tag": "v1"}`` (keyword arguments of ``connect``).

    Raises:
        ValueError: when the text is not ``branch:NAME``, ``tag:NAME`` or ``snapshot:ID``.
    """
    kind, sep, name = str(value).partition(":")
    if not sep or kind not in VERSION_KINDS or not name.strip():
        raise InvalidInputError(f"version {value!r} must be branch:NAME, tag:NAME or snapshot:ID")
    return {kind: name.strip()}


@dataclass(frozen=True)
class ViewQuery:
    """What a link carries: the collection (concept id or short name), store kind, version
    (``branch:main``, ``tag:v1``, ``snapshot:ID``), store group (``None``: the store's
    default), view, map time step (``mean``: the time mean map of the range) and the
    selection."""

    collection: str | None = None
    store: str | None = None
    version: str | None = None
    group: str | None = None
    view: str = "map"
    time: str | None = None
    selection: Selection = field(default_factory=Selection)

    def __post_init__(self) -> None:
        if self.view not in VIEWS:
            raise InvalidInputError(f"view must be one of {', '.join(VIEWS)}; got {self.view!r}")
        if self.version is not None:
            parse_version(self.version)
        if self.time is not None and self.time != "mean":
            Selection(time=(self.time, self.time))  # validates the ISO date

    def to_query(self) -> str:
        """``collection=...&store=...&version=...&view=...&t=...&`` + the selection's query."""
        pairs = [
            (key, value)
            for key, value in (
                ("collection", self.collection),
                ("store", self.store),
                ("version", self.version),
                ("group", self.group),
                ("view", self.view),
                ("t", self.time),
            )
            if value
        ]
        parts = [f"{key}={quote(value, safe='-_.,/:')}" for key, value in pairs]
        selection = self.selection.to_query()
        return "&".join([*parts, selection] if selection else parts)

    @classmethod
    def from_query(cls, query: str) -> ViewQuery:
        """Read :meth:`to_query` output (a leading ``?`` is fine; unknown keys are refused).

        Raises:
            ValueError: naming the bad key or value.
        """
        if not isinstance(query, str):
            raise InvalidInputError(f"the view query must be a string, got {type(query).__name__}")
        try:
            query.encode("utf-8")
        except UnicodeEncodeError as exc:  # a lone surrogate: no URL can carry it
            raise InvalidInputError(
                f"the view query holds a character that is not valid Unicode at position "
                f"{exc.start}; copy the link again from the explorer"
            ) from None
        app: dict[str, str] = {}
        rest: list[str] = []
        for part in query.removeprefix("?").split("&"):
            if not part:
                continue
            pairs = parse_qsl(part, keep_blank_values=True)
            key = pairs[0][0] if pairs else part
            if key in APP_KEYS:
                if key in app:
                    raise InvalidInputError(f"view query: key {key!r} is repeated")
                app[key] = pairs[0][1] if pairs else ""
            else:
                rest.append(part)
        selection = Selection.from_query("&".join(rest))
        return cls(
            collection=app.get("collection") or None,
            store=app.get("store") or None,
            version=app.get("version") or None,
            group=app.get("group") or None,
            view=app.get("view") or "map",
            time=app.get("t") or None,
            selection=selection,
        )


# -- the session's view to and from a query ------------------------------------------------------


def view_query_of(state: ExplorerState) -> ViewQuery:
    """The session's current view as a :class:`ViewQuery` (ValueError for an invalid subset)."""
    return ViewQuery(
        collection=state.key_of(state.collection) if state.collection else None,
        store=state.store,
        version=state.version,
        group=state.group or None,
        view=state.view,
        time="mean" if state.map_mean else state.map_time,
        selection=state.selection() if state.variable else Selection(),
    )


def restore_view(state: ExplorerState, query: str) -> bool:
    """Restore a view from a URL query in one batch of changes (the session reacts once, with
    the whole view); errors become the session's alert. Returns whether the view is shown."""

    try:
        q = ViewQuery.from_query(query)
    except ValueError as exc:
        state.report(exc)
        return False
    if q.collection is None:
        return False
    collection = state.find_collection(q.collection)
    if collection is None:
        state.report(f"collection {q.collection!r} not found in the catalog")
        return False
    kinds = list(dict.fromkeys(link.kind for link in collection.stores))
    if not kinds or q.store and q.store not in kinds:
        state.report(f"{collection.short_name} has no {q.store or 'known'} store (it has {kinds})")
        return False
    with state.holding():  # the whole view is set, then shown once
        state.param.store.objects = kinds
        state.param.update(
            collection=collection, store=q.store or kinds[0], view=q.view, group=q.group
        )
        if not state._open(q.version) or not _apply_selection(state, q):
            return False
    state.refresh(all_views=True)
    return not state.alert


def _apply_selection(state: ExplorerState, q: ViewQuery) -> bool:
    sel = q.selection
    times = state.times
    updates: dict[str, Any] = {}
    if sel.variables:
        updates["variable"] = sel.variables[0]
        updates["compare"] = sel.variables[1] if len(sel.variables) > 1 else ""
    if sel.time is not None and times:
        start, end = sel.time
        updates["time_start"] = _at_or_after(times, start) if start else times[0]
        updates["time_end"] = _at_or_before(times, end) if end else times[-1]
    elif times:
        updates |= {"time_start": times[0], "time_end": times[-1]}
    if sel.bbox is not None:
        updates |= dict(zip(("west", "south", "east", "north"), sel.bbox, strict=True))
        updates["where"] = "box"
    elif sel.point is not None:
        updates |= {"lon": sel.point[0], "lat": sel.point[1], "where": "point"}
    else:
        updates["where"] = "all"
    updates["stride"] = sel.stride
    updates["mask_invalid"] = sel.invalid == "mask"
    updates["mask_flags"] = sel.flags == "mask"
    try:
        state.param.update(**updates)
        state._update_levels()
        if sel.level is not None:
            state.level = _nearest(state.param.level.objects, sel.level)
        state._update_map_times()
        state.map_mean = q.time == "mean"
        if q.time is not None and q.time in state.param.map_time.objects:
            state.map_time = q.time
    except ValueError as exc:
        state.report(exc)
        return False
    return True


def _at_or_after(times: list[str], value: str) -> str:
    return next((t for t in times if t >= value), times[-1])


def _at_or_before(times: list[str], value: str) -> str:
    return next((t for t in reversed(times) if t <= value or t.startswith(value)), times[0])


def _nearest(values: list[Any], target: float) -> Any:
    return min(values, key=lambda v: abs(float(v) - target)) if values else None
