"""Strip outputs, execution counts and volatile metadata from notebooks (what git should hold).

Usage:
    python scripts/strip_notebooks.py                 # strip notebooks/*.ipynb in place
    python scripts/strip_notebooks.py --check         # exit 1 if any notebook holds outputs
    python scripts/strip_notebooks.py path/a.ipynb    # only these files

Example:
    >>> import nbformat
    >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")])
    >>> nb.cells[0].outputs = [nbformat.v4.new_output("execute_result", {"text/plain": "2"})]
    >>> nb.cells[0].execution_count = 1
    >>> leftovers(nb)
    ['cell 0: outputs', 'cell 0: execution_count']
    >>> strip(nb), leftovers(nb)
    (True, [])
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
# notebook-level metadata a run adds (widget state, front-end details); the kernelspec stays
VOLATILE_METADATA = ("widgets", "vscode", "toc", "varInspector", "execution")
# cell metadata a run or a front end adds
VOLATILE_CELL_METADATA = ("execution", "collapsed", "scrolled", "jp-MarkdownHeadingCollapsed")


def leftovers(nb: nbformat.NotebookNode) -> list[str]:
    """What a stripped notebook must not hold: outputs, execution counts, volatile metadata."""
    found = [f"metadata: {key}" for key in VOLATILE_METADATA if key in nb.metadata]
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        if cell.get("outputs"):
            found.append(f"cell {i}: outputs")
        if cell.get("execution_count") is not None:
            found.append(f"cell {i}: execution_count")
        found += [f"cell {i}: metadata {k}" for k in VOLATILE_CELL_METADATA if k in cell.metadata]
    return found


def strip(nb: nbformat.NotebookNode) -> bool:
    """Remove outputs, execution counts and volatile metadata in place; True if anything changed."""
    changed = bool(leftovers(nb))
    for key in VOLATILE_METADATA:
        nb.metadata.pop(key, None)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        cell.outputs = []
        cell.execution_count = None
        for key in VOLATILE_CELL_METADATA:
            cell.metadata.pop(key, None)
    return changed


def notebook_paths(paths: Sequence[str | Path] = ()) -> list[Path]:
    """The given notebooks, or every ``notebooks/*.ipynb`` of the project."""
    if paths:
        return [Path(p) for p in paths]
    return sorted(NOTEBOOKS.glob("*.ipynb"))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="*", help="notebooks (default: notebooks/*.ipynb)")
    parser.add_argument("--check", action="store_true", help="only report; exit 1 if unstripped")
    args = parser.parse_args(argv)
    dirty = 0
    for path in notebook_paths(args.paths):
        nb = nbformat.read(path, as_version=4)
        if args.check:
            found = leftovers(nb)
            if found:
                dirty += 1
                print(f"{path}: not stripped ({', '.join(found[:5])})")
            continue
        if strip(nb):
            nbformat.write(nb, path)
            print(f"stripped {path}")
    if args.check and dirty:
        print(f"{dirty} notebook(s) hold outputs: run python scripts/strip_notebooks.py")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
