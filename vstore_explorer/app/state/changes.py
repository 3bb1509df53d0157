"""Changing many parameters as one step: the session's watcher ignores changes made while held.

Opening a store or restoring a URL sets a dozen parameters (choices, then values); the session
must react once, to the whole new state, not to each half-made one. Inside :meth:`holding`,
:meth:`ExplorerState._changed` ignores events; the code that held them then refreshes itself.
(``param``'s ``batch_call_watchers`` is not enough: it also batches the widgets' own watchers,
which then see a value before its new choices and reset it to the first choice.)

Example:
    >>> part = ChangesPart()
    >>> with part.holding():
    ...     part.held
    True
    >>> part.held
    False
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import param


class ChangesPart(param.Parameterized):
    """Whether the session's reactions are held (see the module docstring)."""

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        self._held_depth = 0

    @property
    def held(self) -> bool:
        """True while some code is changing many parameters as one step."""
        return self._held_depth > 0

    @contextmanager
    def holding(self) -> Iterator[None]:
        """Change many parameters without the session reacting to each."""
        self._held_depth += 1
        try:
            yield
        finally:
            self._held_depth -= 1
