"""The explorer's state: one session object made of small ``param.Parameterized`` parts; no Panel.

Everything the user picks is a parameter (widgets are made from them); everything shown is derived
through the package's one path: a :class:`~vstore_explorer.selection.Selection` per view, planned
once as a :class:`~vstore_explorer.compute.Request` whose cost, load and code are what the views
show. Errors become ``alert`` messages, never exceptions.

Parts, each in its own module: :mod:`.messages` (alert, status, progress), :mod:`.search`,
:mod:`.store` (collection, store kind, version, handle), :mod:`.subset`, :mod:`.loading` (views,
cost, confirmation, code), :mod:`.downloads`; :mod:`.session` puts them in one object and holds
the one watcher. Restoring a URL is :func:`vstore_explorer.app.query.restore_view`.
"""

from __future__ import annotations

# Typing the parameters (see .params): declare them so that reading one gives its value's type.
# param types String/Number/Integer/Boolean/Callable/ClassSelector itself: leave those as they
# are. A Selector reads as Any whatever it is annotated with, so declare it with ``selector``
# (param.Selector at run time) and the value type: ``variable: str | None = selector(default=None,
# objects=[], allow_None=True)``. A ClassSelector that is always given but starts as None (the
# views' ``state``) takes ``allow_None=NoNone`` to read as the class, not Optional. Attributes a
# part uses from a sibling part are declared under ``if TYPE_CHECKING:`` (StorePart).
from vstore_explorer.app.state.loading import NO_LIMITS, ViewResult, is_slow
from vstore_explorer.app.state.session import ExplorerState
from vstore_explorer.app.state.subset import SUBSET_PARAMS, TIME_FORMAT, time_labels

__all__ = [
    "NO_LIMITS",
    "SUBSET_PARAMS",
    "TIME_FORMAT",
    "ExplorerState",
    "ViewResult",
    "is_slow",
    "time_labels",
]
