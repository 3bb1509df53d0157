"""The explorer's view as a URL query string, so a copied link reopens the same view.

The query holds the collection, the store kind and version, the plot on show, the map's time
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
from urllib.parse import parse_qsl, quote

from vstore_explorer.errors import InvalidInputError
from vstore_explorer.selection import Selection

VIEWS: tuple[str, ...] = ("map", "timeseries", "hovmoller")
APP_KEYS: tuple[str, ...] = ("collection", "store", "version", "view", "t")
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
    (``branch:main``, ``tag:v1``, ``snapshot:ID``), view, map time step and the selection."""

    collection: str | None = None
    store: str | None = None
    version: str | None = None
    view: str = "map"
    time: str | None = None
    selection: Selection = field(default_factory=Selection)

    def __post_init__(self) -> None:
        if self.view not in VIEWS:
            raise InvalidInputError(f"view must be one of {', '.join(VIEWS)}; got {self.view!r}")
        if self.version is not None:
            parse_version(self.version)
        if self.time is not None:
            Selection(time=(self.time, self.time))  # validates the ISO date

    def to_query(self) -> str:
        """``collection=...&store=...&version=...&view=...&t=...&`` + the selection's query."""
        pairs = [
            (key, value)
            for key, value in (
                ("collection", self.collection),
                ("store", self.store),
                ("version", self.version),
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
            view=app.get("view") or "map",
            time=app.get("t") or None,
            selection=selection,
        )
