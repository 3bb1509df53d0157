"""Which collection, store and version is open, and opening it.

Opening sets the store's handle together with the subset it starts with, in one parameter
update, so whatever watches the session reacts once (see :mod:`.session`).

Example:
    >>> part.select_collection(0)  # doctest: +SKIP
    True
    >>> part.handle.version.label  # doctest: +SKIP
    'branch main'
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

import param

from vstore_explorer.app.query import parse_version
from vstore_explorer.app.state.params import selector
from vstore_explorer.app.state.subset import SubsetPart
from vstore_explorer.catalog.links import StoreLink
from vstore_explorer.catalog.records import Collection
from vstore_explorer.stores.open import (
    Credentials,
    GroupChoiceError,
    StoreHandle,
    connect,
    list_versions,
)


class StorePart(SubsetPart):
    """The collection, the store kind and version, the open handle (``credentials``: session's)."""

    collection = param.ClassSelector(class_=Collection, default=None, allow_None=True)
    store: str | None = selector(
        default=None, objects=[], allow_None=True, doc="Virtual store kind"
    )
    version: str | None = selector(default=None, objects=[], allow_None=True, doc="Store version")
    group: str | None = selector(
        default=None, objects=[], allow_None=True, check_on_set=False, doc="Store group"
    )
    handle = param.ClassSelector(class_=StoreHandle, default=None, allow_None=True)

    credentials: Credentials

    if TYPE_CHECKING:  # from SearchPart, beside this part in the session

        @property
        def results(self) -> list[Collection]: ...

        def find_collection(self, key: str) -> Collection | None: ...

        @staticmethod
        def key_of(collection: Collection) -> str: ...

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        self._subset_of: str | None = None  # the collection the subset parameters belong to

    def select_collection(self, collection: Collection | str | int | None) -> bool:
        """Pick a collection (record, key or row of ``results``) and open its first store."""
        record: Collection | None
        if isinstance(collection, int):
            results = getattr(self, "results", [])
            record = results[collection] if 0 <= collection < len(results) else None
        elif isinstance(collection, str):
            record = self.find_collection(collection)
        else:
            record = collection
        if record is None:
            self._fail("no such collection in the results; search again")
            return False
        kinds = list(dict.fromkeys(link.kind for link in record.stores))
        with self.holding():  # the store is opened below, once
            self.param.store.objects = kinds
            self.param.group.objects = []
            self.param.update(collection=record, store=kinds[0] if kinds else None, group=None)
        if not kinds:
            self._fail(f"{record.short_name} has no virtual store this explorer can open", "info")
            return False
        return self._open()

    def link(self) -> StoreLink | None:
        """The StoreLink of the chosen store kind."""
        if self.collection is None or self.store is None:
            return None
        return next((s for s in self.collection.stores if s.kind == self.store), None)

    def _versions(self, link: StoreLink) -> dict[str, str]:
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

    def _open(self, version: str | None = None, *, list_versions_again: bool = True) -> bool:
        """Open the chosen store at ``version`` (default: the chosen one, else its branch)."""
        link = self.link()
        if link is None:
            return False
        chosen = version or self.version
        try:
            if list_versions_again:
                names = self._versions(link)
                if version and version not in names.values():
                    names[version.replace(":", " ", 1)] = version
                self.param.version.objects = names
                default = f"branch:{link.branch or 'main'}"
                chosen = chosen if chosen in names.values() else default
            kwargs = parse_version(chosen or "branch:main") if link.kind == "icechunk" else {}
            handle = self._connect(link, kwargs)
        except Exception as exc:  # the UI boundary: missing store, access, bad version
            self._fail(exc)
            return False
        self._clear()
        self._set_handle(handle, version=chosen)
        return True

    def _connect(self, link: StoreLink, version: dict[str, str]) -> StoreHandle:
        """Open the chosen group; a store of several groups, none chosen yet, opens its first
        (the group picker lists the others)."""
        open_group = partial(
            connect,
            link,
            credentials=self.credentials,
            branch=version.get("branch"),
            tag=version.get("tag"),
            snapshot=version.get("snapshot"),
        )
        try:
            return open_group(group=self.group or None)
        except GroupChoiceError as exc:
            return open_group(group=exc.groups[0])

    def _set_handle(self, handle: StoreHandle, *, version: str | None) -> None:
        owner = self.key_of(self.collection) if self.collection else handle.link.url
        same = self.handle is not None and self._subset_of == owner  # another group or version
        self._subset_of = owner
        with self.holding():  # the new choices first: widgets resetting to them are not reacted to
            updates = self.subset_for(handle, same=same)
            self.param.group.objects = {g or "(root)": g for g in handle.groups}
        updates["group"] = (handle.group or "") if handle.groups else None
        if version is not None and version != self.version:
            updates["version"] = version
        # one update: the session's watcher reacts once to the new handle and its subset
        self.param.update(handle=handle, **updates)
        if self.variable is None:  # (param keeps a None among the choices: ask the value)
            where = f"{handle.link.url}, group {handle.group}" if handle.group else handle.link.url
            self._fail(
                f"{where} has no variable located on a latitude/longitude grid (1-D "
                "latitude/longitude coordinates, or 2-D latitude/longitude arrays), which the "
                "explorer draws; open it in Python with vx.open_store to work with its other axes",
                "info",
            )
