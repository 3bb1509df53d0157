"""A tiny embedded demo archive (6 granules per collection), built once per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

from vstore_explorer.demo.archive import DemoArchive, ensure_demo


@pytest.fixture(scope="session")
def demo_archive(tmp_path_factory: pytest.TempPathFactory) -> DemoArchive:
    """The demo built at size ``tiny`` into a session temp folder (about 10 s)."""
    root: Path = tmp_path_factory.mktemp("demo")
    return ensure_demo(root, "tiny")
