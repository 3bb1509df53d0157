"""Paths to the shared real-data fixtures (``../shared/fixtures``), never copied into the project."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(os.environ.get("VSTORE_FIXTURES", PROJECT_ROOT.parent / "shared" / "fixtures"))


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    """The shared fixtures folder (real NASA granules, CMR responses, UMM schemas)."""
    if not FIXTURES.is_dir():
        pytest.fail(f"shared fixtures not found at {FIXTURES}; set VSTORE_FIXTURES")
    return FIXTURES


@pytest.fixture()
def gldas_files(fixtures_dir: Path, tmp_path: Path) -> list[Path]:
    """The four real GLDAS granules, copied into a folder the test may change or add files to."""
    folder = tmp_path / "gldas"
    folder.mkdir()
    sources = sorted((fixtures_dir / "granules" / "gldas_noah025_3h").glob("*.nc4"))
    assert len(sources) == 4
    return [Path(shutil.copy(s, folder / s.name)) for s in sources]
