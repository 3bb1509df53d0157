"""Docstrings of the public API: present, their examples run, and which ones still lack an example.

The public API is ``vstore_explorer.__all__``; its names live in a handful of modules. Every
exported name must have a docstring, and every doctest in those modules must pass (examples that
need a network or the full demo say ``# doctest: +SKIP``). Public functions and classes of those
modules without an ``Example`` section are *reported* (a warning listing them), not failed.
"""

from __future__ import annotations

import doctest
import importlib
import inspect
import types
import warnings

import pytest

import vstore_explorer as vx

EXPORT_MODULES = sorted(set(vx._EXPORTS.values()))


def public_members(module: types.ModuleType) -> list[tuple[str, object]]:
    """Functions and classes defined in ``module`` whose names do not start with ``_``."""
    found = []
    for name, obj in vars(module).items():
        if name.startswith("_") or not (inspect.isfunction(obj) or inspect.isclass(obj)):
            continue
        if getattr(obj, "__module__", None) == module.__name__:
            found.append((f"{module.__name__}.{name}", obj))
    return found


def has_example(obj: object) -> bool:
    doc = inspect.getdoc(obj) or ""
    return "Example" in doc or ">>>" in doc


def test_export_modules_cover_the_public_api() -> None:
    assert "vstore_explorer.compute" in EXPORT_MODULES
    assert len(EXPORT_MODULES) >= 10
    for name in vx.__all__:
        assert getattr(vx, name) is not None


@pytest.mark.parametrize("name", vx.__all__)
def test_every_exported_name_has_a_docstring(name: str) -> None:
    doc = inspect.getdoc(getattr(vx, name)) or ""
    assert len(doc.split()) >= 3, f"vstore_explorer.{name} needs a docstring"


@pytest.mark.parametrize("module_name", EXPORT_MODULES)
def test_doctests_of_the_public_modules_pass(module_name: str) -> None:
    module = importlib.import_module(module_name)
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    for test in finder.find(module, module_name):
        runner.run(test)
    results = runner.summarize(verbose=False)
    assert results.failed == 0, f"{results.failed} doctest example(s) failed in {module_name}"


def test_report_public_callables_without_an_example() -> None:
    """Reported, not failed: the list is for the maintainers (see the warning in the summary)."""
    members = [m for name in EXPORT_MODULES for m in public_members(importlib.import_module(name))]
    missing = sorted(name for name, obj in members if not has_example(obj))
    without_docstring = sorted(name for name, obj in members if not inspect.getdoc(obj))
    assert len(members) >= len(vx.__all__)
    assert has_example(vx) and not has_example(lambda: None)  # the detector itself
    if missing:
        warnings.warn(
            f"{len(missing)} of {len(members)} public functions/classes have no Example: "
            + ", ".join(missing)
            + (
                f"; without any docstring: {', '.join(without_docstring)}"
                if without_docstring
                else ""
            ),
            UserWarning,
            stacklevel=1,
        )
