"""Render a plan of :class:`~vstore_explorer.ops.Op` as Python code that does what ``execute`` does.

Every name or value taken from metadata (variable and dimension names, dates, plot labels) is
emitted as a Python literal (``repr``), never spliced into code; comment text is stripped of line
breaks and control characters. Scripts are formatted with ``black``.

Example:
    >>> from vstore_explorer.ops import Op
    >>> print(render_ops([Op.make("select_variable", name="sst"),
    ...                   Op.make("time_mean", dim="time")]))
    result = ds['sst']
    result = result.mean('time', keep_attrs=True)
"""

from __future__ import annotations

import ast
import keyword
import math
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any

import black
import numpy as np

from vstore_explorer.errors import InvalidInputError
from vstore_explorer.ops import Op

_NEEDS_NUMPY = frozenset({"lon_runs", "area_mean"})
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


def _identifier(name: str, what: str) -> str:
    if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name):
        raise InvalidInputError(f"{what} must be a Python identifier, got {name!r}")
    return name


def _mapping(pairs: Iterable[tuple[Any, str]]) -> str:
    return "{" + ", ".join(f"{literal(key)}: {code}" for key, code in pairs) + "}"


def _slice(start: Any, stop: Any, step: Any = None) -> str:
    if step is None:
        return f"slice({literal(start)}, {literal(stop)})"
    return f"slice({literal(start)}, {literal(stop)}, {literal(step)})"


def render_op(op: Op, source: str) -> str:
    """The expression applying ``op`` to the object named ``source`` (mirrors ``ops.execute``)."""
    a = op.kwargs
    match op.name:
        case "select_variable":
            return f"{source}[{literal(a['name'])}]"
        case "select_variables":
            return f"{source}[{literal(list(a['names']))}]"
        case "chunk":
            chunks = a["chunks"] if a["chunks"] == "auto" else dict(a["chunks"])
            return f"{source}.chunk({literal(chunks)})"
        case "time_range":
            return f"{source}.sel({_mapping([(a['dim'], _slice(a['start'], a['stop']))])})"
        case "level_nearest":
            indexers = _mapping([(a["dim"], literal(a["value"]))])
            return f'{source}.sel({indexers}, method="nearest")'
        case "point_nearest":
            pairs = [(a["lat"], literal(a["lat_value"])), (a["lon"], literal(a["lon_value"]))]
            return f'{source}.sel({_mapping(pairs)}, method="nearest")'
        case "bbox_slice":
            return f"{source}.sel({_mapping((d, _slice(lo, hi)) for d, lo, hi in a['indexers'])})"
        case "lon_runs":
            runs = ", ".join(f"{literal(i)}:{literal(j)}" for i, j in a["runs"])
            return f"{source}.isel({_mapping([(a['dim'], f'np.r_[{runs}]')])})"
        case "stride":
            step = _slice(None, None, a["step"])
            return f"{source}.isel({_mapping((d, step) for d in a['dims'])})"
        case "area_mean":
            lat, lon = literal(a["lat"]), literal(a["lon"])
            weights = f"np.cos(np.deg2rad({source}[{lat}]))"
            return f"{source}.weighted({weights}).mean(({lat}, {lon}), keep_attrs=True)"
        case "time_mean" | "zonal_mean":
            return f"{source}.mean({literal(a['dim'])}, keep_attrs=True)"
    raise InvalidInputError(
        f"no renderer for op {op.name!r}"
    )  # pragma: no cover - Op validates names


def render_ops(ops: Iterable[Op], source: str = "ds", target: str = "result") -> str:
    """Python statements applying ``ops`` to ``source`` and leaving the result in ``target``.

    One statement per op; with no ops, ``target = source``.
    """
    _identifier(source, "source")
    _identifier(target, "target")
    lines: list[str] = []
    current = source
    for op in ops:
        lines.append(f"{target} = {render_op(op, current)}")
        current = target
    if not lines:
        lines.append(f"{target} = {source}")
    return "\n".join(lines)


def _plot_call(method: str, kwargs: Mapping[str, Any]) -> str:
    _identifier(method, "plot method")
    if method.startswith("_"):
        raise InvalidInputError(f"plot method must be a public hvplot method, got {method!r}")
    if not isinstance(kwargs, Mapping):
        raise InvalidInputError(f"plot options must be a mapping, got {type(kwargs).__name__}")
    named: list[str] = []
    other: dict[str, Any] = {}
    for key, value in kwargs.items():
        if not isinstance(key, str):
            raise InvalidInputError(f"plot option names must be strings, got {key!r}")
        if key.isidentifier() and not keyword.iskeyword(key):
            named.append(f"{key}={literal(value)}")
        else:
            other[key] = value
    if other:
        named.append(f"**{literal(other)}")
    return f"plot = result.hvplot.{method}({', '.join(named)})"


def _coastline_overlay(kwargs: Mapping[str, Any]) -> str:
    if "tiles" in kwargs:
        raise InvalidInputError("coastlines and tiles do not go together: tiles bring their own")
    if "x" not in kwargs or "y" not in kwargs:
        raise InvalidInputError("coastlines need the map's x and y options")
    x, y = literal(str(kwargs["x"])), literal(str(kwargs["y"]))
    return (
        "try:  # coastlines ship with vstore_explorer (Natural Earth, offline)\n"
        "    from vstore_explorer.coastlines import coastline, convention_of\n"
        "except ImportError:  # the same map, without coastlines\n"
        "    pass\n"
        "else:\n"
        f"    plot = plot * coastline(convention_of(result[{x}].values), kdims=({x}, {y}))"
    )


def render_script(
    *,
    open_code: str,
    ops: Iterable[Op],
    plot: tuple[str, Mapping[str, Any]] | None = None,
    header: str = "",
    coastlines: bool = False,
) -> str:
    """A complete, ``black``-formatted script: header, imports, ``open_code``, ops, plot.

    ``open_code`` must define ``ds`` (it comes from the stores module, not from metadata).
    ``plot`` is ``(hvplot method, keyword arguments)``, e.g. ``("image", {"x": "lon"})``.
    ``header`` is free text: each of its lines becomes one sanitised comment line.
    ``coastlines`` overlays the packaged coastlines on a map plot (its ``x``/``y`` options), as
    the explorer draws them, when ``vstore_explorer`` is installed where the script runs; the
    script still runs without it (the map is then drawn without coastlines).

    Raises:
        ValueError: a value that cannot be a literal, a bad plot method, or code that does not parse.
    """
    ops = tuple(ops)
    header_lines = ["Generated by vstore_explorer", *str(header).splitlines()]
    parts = ["\n".join(f"# {comment_text(line)}".rstrip() for line in header_lines)]
    imports = []
    if any(op.name in _NEEDS_NUMPY for op in ops):
        imports.append("import numpy as np")
    imports.append("import xarray as xr")
    if plot is not None:
        imports.append("import hvplot.xarray  # noqa: F401")
    parts.append("\n".join(imports))
    parts.append(str(open_code).strip())
    parts.append(render_ops(ops) + "\nresult")
    if plot is not None:
        if not isinstance(plot, tuple | list) or len(plot) != 2:
            raise InvalidInputError(f"plot must be (method, options), got {plot!r}")
        parts.append(_plot_call(*plot))
        if coastlines:
            parts.append(_coastline_overlay(plot[1]))
    source = "\n\n".join(parts) + "\n"
    try:
        ast.parse(source)
        return black.format_str(source, mode=black.Mode(line_length=100))
    except (SyntaxError, black.InvalidInput) as exc:
        raise InvalidInputError(f"the generated script does not parse: {exc}") from exc
