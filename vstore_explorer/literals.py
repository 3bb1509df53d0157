"""Python literals and safe comment text for generated code (pure; nothing from metadata is ever
spliced into code as anything but a literal).

Example:
    >>> literal(("sst", 1.5, None)), comment_text("two\nlines")
    ("('sst', 1.5, None)", 'two lines')
"""

from __future__ import annotations

import keyword
import math
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from vstore_explorer.errors import InvalidInputError

_UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


def literal(value: Any) -> str:
    """Python source for a plain value (str, int, float, bool, None, tuple, list, dict).

    Raises:
        ValueError: for any other type (nothing else may reach generated code).
    """
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or isinstance(value, bool | int | str):
        return repr(value)
    if isinstance(value, float):
        if math.isnan(value):
            return 'float("nan")'
        if math.isinf(value):
            return 'float("inf")' if value > 0 else '-float("inf")'
        return repr(value)
    if isinstance(value, tuple):
        items = [literal(v) for v in value]
        return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
    if isinstance(value, list):
        return "[" + ", ".join(literal(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{literal(k)}: {literal(v)}" for k, v in value.items()) + "}"
    raise InvalidInputError(
        f"cannot write {type(value).__name__} value {value!r} as a Python literal"
    )


def comment_text(text: str) -> str:
    """``text`` made safe for one comment line: no line breaks or control/format characters."""
    flat = " ".join(str(text).replace("\t", " ").splitlines())
    return "".join(ch for ch in flat if unicodedata.category(ch) not in _UNSAFE_CATEGORIES)


def identifier(name: str, what: str) -> str:
    if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name):
        raise InvalidInputError(f"{what} must be a Python identifier, got {name!r}")
    return name


def mapping(pairs: Iterable[tuple[Any, str]]) -> str:
    return "{" + ", ".join(f"{literal(key)}: {code}" for key, code in pairs) + "}"


def slice_code(start: Any, stop: Any, step: Any = None) -> str:
    if step is None:
        return f"slice({literal(start)}, {literal(stop)})"
    return f"slice({literal(start)}, {literal(stop)}, {literal(step)})"
