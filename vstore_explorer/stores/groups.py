"""Which group of a store to open: the one asked for (checked), else the root, else the only one.

Example:
    >>> clean_group("/data_01/ku/"), clean_group(None)
    ('data_01/ku', None)
    >>> pick_group(["S1", "S2"], "S2", "file:///gpm.icechunk")
    'S2'
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Any

from vstore_explorer.errors import InvalidInputError
from vstore_explorer.stores.handle import GroupChoiceError, StoreOpenError


def clean_group(group: str | None) -> str | None:
    """``'a/b'`` for ``'/a/b/'``; ``None`` for the root (``None``, ``''`` or ``'/'``)."""
    if group is None:
        return None
    text = str(group).strip().strip("/")
    if text and any(part in ("", ".", "..") for part in text.split("/")):
        raise InvalidInputError(f"invalid group {group!r}: give a path such as S1 or data_01/ku")
    return text or None


def root_first(groups: Iterable[str]) -> list[str]:
    """Group paths sorted with the root (``''``) first.

    Example:
        >>> root_first(["b", "", "a"])
        ['', 'a', 'b']
    """
    return sorted(set(groups), key=lambda g: (g != "", g))


def groups_in(zgroup: Any) -> list[str]:
    """Paths of the groups under a zarr group that hold at least one array, root first (``''``).

    One walk of the hierarchy: each node's metadata is read once (a group's arrays are not
    listed again; opening a store pays this walk)."""
    import zarr

    return root_first(
        path.rsplit("/", 1)[0] if "/" in path else ""
        for path, member in zgroup.members(max_depth=None)
        if isinstance(member, zarr.Array)
    )


def has_group(zgroup: Any, group: str | None) -> bool:
    """Whether the zarr group ``zgroup`` has the (sub)group ``group`` (the root always)."""
    if group is None:
        return True
    try:
        zgroup[group]
    except KeyError:
        return False
    return True


def pick_group(
    available: Collection[str], group: str | None, url: str, *, exists: bool | None = None
) -> str | None:
    """The group to open among the ``available`` ones (those holding arrays).

    ``exists`` says whether an asked-for group that holds no arrays itself (a parent group) is
    still there; by default only ``available`` groups are accepted.
    """
    listed = ", ".join(g or "(root)" for g in root_first(available)) or "none"
    if group is not None:
        if group not in available and not exists:
            raise StoreOpenError(f"{url} has no group {group!r}; its groups: {listed}")
        return group
    if "" in available or not available:
        return None
    if len(available) == 1:
        return next(iter(available))
    raise GroupChoiceError(
        f"{url} holds several groups: pass group= one of {listed}", root_first(available)
    )
