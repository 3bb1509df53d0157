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
import inspect
import keyword
import textwrap
from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType
from typing import Any

import black

from vstore_explorer.errors import InvalidInputError
from vstore_explorer.literals import comment_text, identifier, literal
from vstore_explorer.ops import KINDS, Op
from vstore_explorer.plots import float_coords
from vstore_explorer.plots_compare import twin_lines

PLOT_HELPERS = MappingProxyType({"twin_lines": twin_lines})  # plots drawn by a package function

__all__ = ["comment_text", "literal", "render_op", "render_ops", "render_script"]


def helper_source(fn: Callable[..., Any]) -> str:
    """The source of a helper an op's code calls, without type annotations (a script defines it
    and runs as is, whatever it imports).

    Example:
        >>> from vstore_explorer.geodesy import in_box
        >>> helper_source(in_box).splitlines()[0]
        'def in_box(obj, lat, lon, west, south, east, north):'
    """
    tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef):
            node.returns = None
            a = node.args
            for arg in (*a.posonlyargs, *a.args, *a.kwonlyargs, a.vararg, a.kwarg):
                if arg is not None:
                    arg.annotation = None
    return ast.unparse(tree)


def render_op(op: Op, source: str) -> str:
    """The expression applying ``op`` to the object named ``source`` (mirrors ``ops.execute``)."""
    return KINDS[op.name].code(source, op.kwargs)


def render_ops(ops: Iterable[Op], source: str = "ds", target: str = "result") -> str:
    """Python statements applying ``ops`` to ``source`` and leaving the result in ``target``.

    One statement per op; with no ops, ``target = source``.
    """
    identifier(source, "source")
    identifier(target, "target")
    lines: list[str] = []
    current = source
    for op in ops:
        comment = KINDS[op.name].comment
        if comment is not None:
            lines.append(f"# {comment_text(comment(op.kwargs))}")
        lines.append(f"{target} = {render_op(op, current)}")
        current = target
    if not lines:
        lines.append(f"{target} = {source}")
    return "\n".join(lines)


def _plot_call(method: str, kwargs: Mapping[str, Any], float64: tuple[str, ...] = ()) -> str:
    identifier(method, "plot method")
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
    source = "result"
    if float64:
        cast = ", ".join(f'{literal(n)}: result[{literal(n)}].astype("float64")' for n in float64)
        source = f"result.assign_coords({{{cast}}})"
    if method in PLOT_HELPERS:  # a package helper, its source inlined above
        return f"plot = {method}({', '.join([source, *named])})"
    return f"plot = {source}.hvplot.{method}({', '.join(named)})"


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
    if any(KINDS[op.name].needs_numpy for op in ops):
        imports.append("import numpy as np")
    imports.append("import xarray as xr")
    if plot is not None:
        imports.append("import hvplot.xarray  # noqa: F401")
    parts.append("\n".join(imports))
    helpers = dict.fromkeys(fn for op in ops for fn in KINDS[op.name].helpers)
    if plot is not None and isinstance(plot, tuple | list) and plot[0] in PLOT_HELPERS:
        helpers[PLOT_HELPERS[plot[0]]] = None
    if helpers:
        parts.append("\n\n".join(helper_source(fn) for fn in helpers))
    parts.append(str(open_code).strip())
    parts.append(render_ops(ops) + "\nresult")
    if plot is not None:
        if not isinstance(plot, tuple | list) or len(plot) != 2:
            raise InvalidInputError(f"plot must be (method, options), got {plot!r}")
        parts.append(_plot_call(*plot, float_coords((plot[0], plot[1]))))
        if coastlines:
            parts.append(_coastline_overlay(plot[1]))
    source = "\n\n".join(parts) + "\n"
    try:
        ast.parse(source)
        return black.format_str(source, mode=black.Mode(line_length=100))
    except (SyntaxError, black.InvalidInput) as exc:
        raise InvalidInputError(f"the generated script does not parse: {exc}") from exc
