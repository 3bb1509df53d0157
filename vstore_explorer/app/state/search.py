"""Searching the catalog: the filters, the results, and finding a collection by its key.

Example:
    >>> part = SearchPart(catalog=LocalCatalog(records_dir))  # doctest: +SKIP
    >>> part.keyword = "sea surface temperature"; part.search()  # doctest: +SKIP
"""

from __future__ import annotations

import re
import warnings
from typing import Any

import pandas as pd
import param

from vstore_explorer.app.state.messages import MessagesPart
from vstore_explorer.catalog.base import IncompleteResultsWarning
from vstore_explorer.catalog.records import Collection


class SearchPart(MessagesPart):
    """The search filters and the collections found (``catalog`` is set by the session)."""

    keyword = param.String(default="", doc="Words to look for in titles, names and abstracts")
    search_bbox = param.String(default="", doc="Search box: west,south,east,north (degrees)")
    search_start = param.CalendarDate(default=None, allow_None=True, doc="Search from this date")
    search_end = param.CalendarDate(default=None, allow_None=True, doc="Search up to this date")
    has_virtual_store = param.Boolean(default=True, doc="Only collections with a virtual store")
    limit = param.Integer(default=50, bounds=(1, 2000), doc="Most results to list")
    source_is_local = param.Boolean(default=True, doc="The catalog is local (searched at start)")
    results = param.List(default=[], doc="Collections found by the last search")

    catalog: Any

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
