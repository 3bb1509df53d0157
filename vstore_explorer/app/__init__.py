"""The Panel explorer: :func:`explore` returns the app (Panel is imported only when it is called).

Example:
    >>> import panel as pn  # doctest: +SKIP
    >>> pn.extension("tabulator", "codeeditor")  # doctest: +SKIP
    >>> from vstore_explorer import explore  # doctest: +SKIP
    >>> explore()  # the demo archive, in a notebook  # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from vstore_explorer.app.explorer import Explorer

__all__ = ["explore"]


def explore(catalog: Any = "demo", **kwargs: Any) -> Explorer:
    """The explorer app (a Panel ``Viewer``); see :func:`vstore_explorer.app.explorer.explore`.

    Example:
        >>> app = explore("demo")  # doctest: +SKIP
        >>> app.servable()  # in a `panel serve` script  # doctest: +SKIP
    """
    from vstore_explorer.app.explorer import explore as _explore

    return _explore(catalog, **kwargs)
