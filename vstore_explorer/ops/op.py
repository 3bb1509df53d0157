"""One step of a selection plan: an op name and plain-data arguments (hashable, comparable).

Example:
    >>> op = Op.make("time_mean", dim="time")
    >>> op["dim"], op == Op.make("time_mean", dim="time")
    ('time', True)
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from vstore_explorer.errors import SelectionError
from vstore_explorer.ops.kinds import OP_NAMES, OpName


def _freeze(value: Any) -> Any:
    """Plain, hashable data: lists become tuples, numpy scalars Python scalars."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, list | tuple):
        return tuple(_freeze(v) for v in value)
    if isinstance(value, Mapping):
        return tuple((_freeze(k), _freeze(v)) for k, v in value.items())
    if value is None or isinstance(value, str | bool | int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise SelectionError(f"Op arguments must be finite numbers, got {value!r}")
        return value
    raise SelectionError(f"Op arguments must be plain data (str, int, float, None), got {value!r}")


@dataclass(frozen=True)
class Op:
    """One step of a plan: a name from :data:`OP_NAMES` and plain-data arguments.

    Example:
        >>> op = Op.make("time_mean", dim="time")
        >>> op["dim"], op == Op.make("time_mean", dim="time")
        ('time', True)
    """

    name: OpName
    args: tuple[tuple[str, Any], ...] = ()

    def __post_init__(self) -> None:
        if self.name not in OP_NAMES:
            raise SelectionError(f"unknown op {self.name!r}; known ops are {', '.join(OP_NAMES)}")

    @classmethod
    def make(cls, op_name: OpName, /, **kwargs: Any) -> Op:
        """Build an op from keyword arguments (frozen to tuples and Python scalars)."""
        return cls(op_name, tuple((key, _freeze(value)) for key, value in kwargs.items()))

    @property
    def kwargs(self) -> dict[str, Any]:
        """The arguments as a dict."""
        return dict(self.args)

    def __getitem__(self, key: str) -> Any:
        return self.kwargs[key]
