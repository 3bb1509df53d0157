"""Typed declarations of ``param`` parameters, for the state parts and the views.

param (2.4) types most of its parameters: ``param.String``, ``Number``, ``Integer``, ``Boolean``,
``Callable`` and ``ClassSelector`` read as their values (``str``, ``float | int | None``,
``ClassSelector(class_=X, default=None)`` as ``X | None``...). Two gaps are filled here:

- :func:`selector`: ``param.Selector`` reads as ``Any`` whatever it is annotated with. This *is*
  ``param.Selector`` at run time; to the type checker it returns the declared value type, so
  ``variable: str | None = selector(default=None, objects=[], allow_None=True)`` reads and
  writes as ``str | None`` (class access also gives the value: the default).
- :data:`NoNone`: ``param.ClassSelector(class_=X, allow_None=NoNone)`` reads as ``X`` for a
  parameter that starts as ``None`` but is always given (``state=`` of the views). At run time it
  changes nothing: a ``None`` default allows ``None`` whatever ``allow_None`` says.

Example:
    >>> class Part(param.Parameterized):
    ...     where: str = selector(default="all", objects=["all", "box"])
    >>> Part().where, type(Part.param.where).__name__
    ('all', 'Selector')
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import param

if TYPE_CHECKING:
    from param.parameters import NoNone

    def selector[T](*, default: T, **params: Any) -> T:
        """A ``param.Selector`` (``objects=``, ``allow_None=``, ``doc=``...) typed as its value."""

else:
    NoNone = getattr(param.parameters, "NoNone", False)  # param < 2.4: False has the same effect
    selector = param.Selector

__all__ = ["NoNone", "selector"]
