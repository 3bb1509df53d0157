"""The package's errors: every error vstore_explorer raises is a :class:`VStoreError`.

Catching :class:`VStoreError` catches what the package means to tell a user (bad input, a store
that cannot be opened, a granule that cannot be read, a request over the limits, CMR down);
anything else escaping the package is a bug, and the explorer shows it as one. Subclasses keep
their standard bases (``ValueError``, ``OSError``, ``RuntimeError``), so existing ``except``
clauses still work.

Example:
    >>> from vstore_explorer.selection import Selection
    >>> try:
    ...     Selection(stride=0)
    ... except VStoreError as exc:
    ...     print(type(exc).__name__, isinstance(exc, ValueError))
    SelectionError True
"""

from __future__ import annotations


class VStoreError(Exception):
    """Base of every error vstore_explorer raises on purpose."""


class InvalidInputError(VStoreError, ValueError):
    """An argument, option or file content that the package cannot use; the message says which
    and what to give instead."""


class SelectionError(InvalidInputError):
    """A selection that is malformed or does not apply to the dataset (unknown variable, a range
    or box outside the data, a missing axis)."""
