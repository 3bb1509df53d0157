"""The architecture's rules (docs/architecture.md), checked on the source: the layer table, the
pure core, Panel only in app/, no module-level mutable state, no file over 500 lines."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "vstore_explorer"
DOC = ROOT / "docs" / "architecture.md"
PURE = ("selection", "ops", "cost", "codegen", "plots", "literals", "chunks", "axes", "errors")
IO_LIBRARIES = (
    "icechunk",
    "zarr",
    "fsspec",
    "obstore",
    "obspec_utils",
    "requests",
    "netCDF4",
    "h5py",
    "h5netcdf",
    "socket",
    "urllib.request",
    "http",
    "boto3",
    "s3fs",
    "panel",
    "bokeh",
)
LAZY_EXCEPTIONS = {("catalog", "demo")}  # "demo" catalog built on first use (see the doc)
LONG_DECLARATIVE = ()  # files allowed over 500 lines because they are tables


def layers() -> dict[str, int]:
    """Top-level module -> layer number, read from the doc's layer table."""
    table = {}
    for line in DOC.read_text().splitlines():
        match = re.match(r"\|\s*(\d+)\s*\|(.*?)\|", line)
        if match:
            for name in re.findall(r"`([a-z_]+)`", match.group(2)):
                table[name] = int(match.group(1))
    assert len(table) >= 10, "the layer table could not be read"
    return table


def modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def top_of(path: Path) -> str:
    rel = path.relative_to(PACKAGE)
    return (
        rel.parts[0].removesuffix(".py")
        if len(rel.parts) > 1 or rel.name != "__init__.py"
        else "__init__"
    )


def imports(path: Path) -> list[tuple[str, bool]]:
    """(module imported, at module level) for every import of ``path``."""
    tree = ast.parse(path.read_text())
    top_level = {id(n) for n in tree.body}
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.append((node.module, id(node) in top_level))
        elif isinstance(node, ast.Import):
            out += [(a.name, id(node) in top_level) for a in node.names]
    return out


def test_every_module_named_in_the_doc_exists_and_every_module_has_a_layer():
    table = layers()
    tops = {top_of(p) for p in modules()}
    assert set(table) == tops, (sorted(set(table) - tops), sorted(tops - set(table)))
    for path in re.findall(
        r"`((?:ops|stores|build|app|catalog)/[a-z_/]+(?:\.py)?)`", DOC.read_text()
    ):
        target = PACKAGE / path
        assert target.exists() or target.with_suffix(".py").exists(), path


def test_no_module_imports_from_a_higher_layer():
    table = layers()
    bad = []
    for path in modules():
        here = top_of(path)
        for name, _ in imports(path):
            if not name.startswith("vstore_explorer."):
                continue
            there = name.split(".")[1]
            if table[there] > table[here] and (here, there) not in LAZY_EXCEPTIONS:
                bad.append(f"{path.relative_to(ROOT)} imports {name}")
    assert bad == []


def test_the_lazy_exception_is_lazy():
    for path in modules():
        for name, at_top in imports(path):
            if (
                name.startswith("vstore_explorer.")
                and (top_of(path), name.split(".")[1]) in LAZY_EXCEPTIONS
            ):
                assert not at_top, f"{path} imports {name} at module level"


@pytest.mark.parametrize("name", PURE)
def test_the_pure_core_does_no_io(name: str):
    paths = (
        [PACKAGE / f"{name}.py"]
        if (PACKAGE / f"{name}.py").exists()
        else sorted((PACKAGE / name).rglob("*.py"))
    )
    for path in paths:
        for module, _ in imports(path):
            assert not any(module == lib or module.startswith(lib + ".") for lib in IO_LIBRARIES), (
                f"{path.relative_to(ROOT)} imports {module}"
            )
        tree = ast.parse(path.read_text())
        calls = [
            n for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
        ]
        assert not [c for c in calls if c.func.id == "open"], f"{path} calls open()"


def test_only_app_imports_panel_or_bokeh():
    for path in modules():
        if top_of(path) == "app":
            continue
        for module, _ in imports(path):
            assert module.split(".")[0] not in ("panel", "bokeh"), f"{path} imports {module}"


MUTABLE_CALLS = ("list", "dict", "set", "defaultdict", "OrderedDict", "Counter", "deque")


def test_no_module_level_mutable_state():
    found = []
    for path in modules():
        tree = ast.parse(path.read_text())
        for node in tree.body:
            if isinstance(node, ast.Global):
                found.append(f"{path}:{node.lineno} global")
            if isinstance(node, ast.Assign):
                targets, value = node.targets, node.value
            elif isinstance(node, ast.AnnAssign) and node.value is not None:
                targets, value = [node.target], node.value
            else:
                continue
            names = [ast.unparse(t) for t in targets]
            if names == ["__all__"]:
                continue
            mutable = isinstance(
                value, ast.List | ast.Dict | ast.Set | ast.ListComp | ast.DictComp | ast.SetComp
            ) or (
                isinstance(value, ast.Call)
                and isinstance(value.func, ast.Name)
                and value.func.id in MUTABLE_CALLS
            )
            if mutable:
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} {names[0]}")
        for node in ast.walk(tree):
            if isinstance(node, ast.Global):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} global {node.names}")
    assert found == []


def test_no_file_is_over_500_lines():
    long = [
        f"{p.relative_to(ROOT)}: {len(p.read_text().splitlines())}"
        for p in modules()
        if len(p.read_text().splitlines()) > 500 and p.name not in LONG_DECLARATIVE
    ]
    assert long == []
