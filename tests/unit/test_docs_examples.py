"""The documentation's examples run, and its references match the code.

Every ```` ```python ```` block of ``docs/**/*.md`` runs here, page by page, in order, in one
namespace per page, in a temporary working folder, on the tiny demo archive. A block whose first
line is ``# not run: <why>`` is skipped (it needs a network, a login, or serves forever).
After a page has run, a few of the values it computed are checked.

The docs call ``vx.ensure_demo()`` / ``vx.search(...)`` as a user would, which means the
*default* demo size; here ``ensure_demo`` is wrapped so that "default" means "tiny" (the demo
archive fixture), so the examples run in seconds.
"""

from __future__ import annotations

import contextlib
import io
import re
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from tests.plugins.paths import PROJECT_ROOT
from vstore_explorer.demo.archive import DemoArchive

DOCS = PROJECT_ROOT / "docs"
FENCE = re.compile(r"^(?P<fence>`{3,}|~{3,})\s*(?P<lang>[\w+-]*)")
NOT_RUN = re.compile(r"#\s*not run:\s*(?P<why>\S.*)")


def doc_pages() -> list[Path]:
    """The Markdown pages of the site (the hooks folder holds no pages)."""
    return sorted(p for p in DOCS.rglob("*.md") if "hooks" not in p.relative_to(DOCS).parts)


def code_blocks(text: str) -> list[tuple[int, str, str]]:
    """``(first line number, language, code)`` of each fenced block of a Markdown text.

    Example:
        >>> code_blocks("text\\n```python\\nx = 1\\n```\\n")
        [(3, 'python', 'x = 1')]
    """
    blocks: list[tuple[int, str, str]] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        match = FENCE.match(lines[i])
        if not match:
            i += 1
            continue
        fence, lang, start, body = match["fence"], match["lang"], i + 2, []
        i += 1
        while i < len(lines) and not lines[i].startswith(fence):
            body.append(lines[i])
            i += 1
        blocks.append((start, lang, "\n".join(body)))
        i += 1
    return blocks


def python_blocks(page: Path) -> list[tuple[int, str, str | None]]:
    """``(line, code, why not run)`` of each ``python`` block of ``page``."""
    out = []
    for line, lang, code in code_blocks(page.read_text()):
        if lang != "python":
            continue
        first = next((s.strip() for s in code.splitlines() if s.strip()), "")
        skip = NOT_RUN.fullmatch(first)
        out.append((line, code, skip["why"] if skip else None))
    return out


RUNNABLE = [p for p in doc_pages() if any(why is None for _, _, why in python_blocks(p))]


# -- what each page must have computed (real values of the tiny demo) -----------------------------
def _index(ns: dict[str, Any]) -> None:
    assert ns["series"].sizes["time"] == 6
    assert "readonly_session" in ns["handle"].open_code()


def _getting_started(ns: dict[str, Any]) -> None:
    assert ns["archive"].size == "tiny"
    assert ns["series"].sizes["time"] == 5  # 2023-01-01 .. 2023-01-05 (12:00 each), tag v1
    assert 270 < float(ns["series"].min()) < float(ns["series"].max()) < 310


def _search(ns: dict[str, Any]) -> None:
    names = {c.short_name for c in ns["results"]}
    assert "DEMO_25km-VSTOREDEMO-L4-GLOB-v01" in names
    assert ns["one"].short_name == "GLDAS_NOAH025_3H_DEMO"
    assert [link.kind for link in ns["sst"].stores] == [
        "icechunk",
        "kerchunk-json",
        "kerchunk-parquet",
    ]
    assert ns["granules"].hits == 6


def _stores(ns: dict[str, Any]) -> None:
    assert set(ns["versions"].tags) == {"v1", "v2"}
    assert (ns["first_build"].sizes["time"], ns["latest"].sizes["time"]) == (5, 6)


def _subset(ns: dict[str, Any]) -> None:
    assert ns["cost"].exact and ns["cost"].chunks == 5  # one chunk per day, 5 days
    assert ns["box"].shape == (5, 160, 320)
    assert 270 < float(ns["box"].mean()) < 305
    assert ns["area_mean"].sizes == {"time": 5}
    assert ns["t500"].dims == ("lat", "lon")


def _plots(ns: dict[str, Any]) -> None:
    assert ns["method"] == "quadmesh" and ns["options"]["y"] == "lat"
    assert ns["field"].dims == ("lat", "lon")


def _code_export(ns: dict[str, Any]) -> None:
    assert Path("view.nc").is_file()
    assert ns["series"].sizes == {"time": 6}
    assert ns["code"].count("earthaccess.login()") == 1  # credentials fetched, never written


def _build(ns: dict[str, Any]) -> None:
    assert len(ns["built"].added) == 4 and ns["built"].tag == "v1"
    assert len(ns["appended"].added) == 2 and ns["appended"].tag == "v2"
    assert ns["versions"].tags.keys() == {"v1", "v2"}
    assert Path("gldas.json").is_file()


def _explorer(ns: dict[str, Any]) -> None:
    assert "point=-40.0,35.0" in ns["app"].state.query
    assert ns["app"].state.result("timeseries").data.sizes["time"] == 6


CHECKS: dict[str, Callable[[dict[str, Any]], None]] = {
    "index.md": _index,
    "getting-started.md": _getting_started,
    "search.md": _search,
    "stores.md": _stores,
    "subset-and-cost.md": _subset,
    "plots.md": _plots,
    "code-export.md": _code_export,
    "build-and-update.md": _build,
    "explorer.md": _explorer,
}


@pytest.fixture
def demo_as_default(
    demo_archive: DemoArchive, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> DemoArchive:
    """Docs examples see the tiny demo as *the* demo; they run in an empty working folder."""
    import vstore_explorer.demo.archive as archive_module

    original = archive_module.ensure_demo

    def ensure_tiny(root: Any = None, size: Any = "default", **kwargs: Any) -> DemoArchive:
        return original(root, "tiny" if size == "default" else size, **kwargs)

    monkeypatch.setenv("VSTORE_EXPLORER_CACHE", str(demo_archive.root))
    monkeypatch.setattr(archive_module, "ensure_demo", ensure_tiny)
    monkeypatch.chdir(tmp_path)
    return demo_archive


@pytest.mark.parametrize("page", RUNNABLE, ids=[str(p.relative_to(DOCS)) for p in RUNNABLE])
def test_page_examples_run(page: Path, demo_as_default: DemoArchive) -> None:
    namespace: dict[str, Any] = {"__name__": "__docs__"}
    ran = 0
    for line, code, why in python_blocks(page):
        if why is not None:
            continue
        printed = io.StringIO()
        try:
            with contextlib.redirect_stdout(printed):
                exec(compile(code, f"{page.name}:{line}", "exec"), namespace)  # noqa: S102
        except Exception as exc:
            raise AssertionError(
                f"{page.relative_to(DOCS)}, the block at line {line} failed: {exc!r}"
            ) from exc
        ran += 1
    assert ran >= 1
    check = CHECKS.get(str(page.relative_to(DOCS)))
    assert check is not None, f"add a check of what {page.name} computes to CHECKS"
    check(namespace)


def test_every_python_block_runs_or_says_why() -> None:
    blocks = {str(p.relative_to(DOCS)): python_blocks(p) for p in doc_pages()}
    skipped = {page: [why for _, _, why in found if why] for page, found in blocks.items()}
    assert sum(len(found) for found in blocks.values()) >= 20
    for page, reasons in skipped.items():
        for why in reasons:
            assert len(why) > 10, f"{page}: say why a block is not run ({why!r})"
    # the ones that cannot run offline are exactly the network / login / serve-forever ones
    assert all(
        any(word in why for word in ("network", "login", "serves"))
        for reasons in skipped.values()
        for why in reasons
    ), skipped


def test_docs_blocks_cover_the_pages_with_code() -> None:
    """Pages with Python examples are all checked (a new page needs an entry in CHECKS)."""
    assert {str(p.relative_to(DOCS)) for p in RUNNABLE} == set(CHECKS)


# -- the CLI reference matches the parser ---------------------------------------------------------
def _sections(text: str) -> dict[str, str]:
    parts = re.split(r"^## (\S+)\s*$", text, flags=re.MULTILINE)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def test_cli_reference_documents_every_option() -> None:
    import argparse

    from vstore_explorer.cli import build_parser

    sections = _sections((DOCS / "reference" / "cli.md").read_text())
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    assert set(sub.choices) == set(sections), "one section per sub-command, no more"
    for name, command in sub.choices.items():
        for action in command._actions:
            if isinstance(action, argparse._HelpAction):
                continue
            if action.option_strings:
                documented = [f"`{option}" for option in action.option_strings]
            elif action.choices:  # a positional with choices: demo build|info|path
                documented = [f"`{choice}`" for choice in action.choices]
            else:  # a positional: keyword, granules
                documented = [f"`{action.dest}`"]
            for text in documented:
                assert text in sections[name], f"{name}: {text.strip('`')} is not documented"


# -- the screenshot hook ----------------------------------------------------------------------------
def _hook() -> Any:
    import importlib.util

    spec = importlib.util.spec_from_file_location("screenshots", DOCS / "hooks" / "screenshots.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_screenshot_hook_keeps_existing_images_and_explains_missing_ones(tmp_path: Path) -> None:
    (tmp_path / "images").mkdir()
    (tmp_path / "images" / "explorer-map.png").write_bytes(b"\x89PNG")
    page = SimpleNamespace(file=SimpleNamespace(src_path="explorer.md"))
    markdown = "![A map](images/explorer-map.png)\n\n![The code](images/explorer-code.png)\n"
    out = _hook().on_page_markdown(markdown, page, {"docs_dir": str(tmp_path)}, None)
    assert "![A map](images/explorer-map.png)" in out
    assert "explorer-code.png)" not in out.replace("`images/explorer-code.png`", "")
    assert '!!! note "Screenshot not generated yet: The code"' in out
    assert "pytest -m browser" in out


def test_screenshot_hook_resolves_paths_from_nested_pages(tmp_path: Path) -> None:
    (tmp_path / "images").mkdir()
    (tmp_path / "images" / "explorer-app.png").write_bytes(b"\x89PNG")
    page = SimpleNamespace(file=SimpleNamespace(src_path="reference/api.md"))
    markdown = "![App](../images/explorer-app.png)"
    out = _hook().on_page_markdown(markdown, page, {"docs_dir": str(tmp_path)}, None)
    assert out == markdown


def test_code_blocks_parser_handles_other_languages_and_longer_fences() -> None:
    text = "````markdown\n```python\nnot code\n```\n````\n\n```python\n# not run: needs a network\nx\n```"
    blocks = code_blocks(text)
    assert [(lang, code.splitlines()[0]) for _, lang, code in blocks] == [
        ("markdown", "```python"),
        ("python", "# not run: needs a network"),
    ]
    assert np.array_equal([line for line, _, _ in blocks], [2, 8])
