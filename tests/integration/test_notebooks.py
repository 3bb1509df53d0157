"""The notebooks run (``pytest --nbval-lax``), the docs build offline with warnings as errors,
and the committed notebooks and Binder files are what they should be.

Each notebook runs in its own ``pytest --nbval-lax`` process, on the session's tiny demo archive
(``VSTORE_EXPLORER_CACHE`` + ``VSTORE_DEMO_SIZE=tiny``), with the project's ``python3`` kernel.
Outputs are never compared (they are stripped in git): each cell must run without error, and the
notebooks check their own numbers with ``assert``.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import nbformat
import pytest

from tests.plugins.paths import PROJECT_ROOT
from vstore_explorer.demo.archive import DemoArchive

NOTEBOOKS = sorted((PROJECT_ROOT / "notebooks").glob("*.ipynb"))
BINDER = PROJECT_ROOT / "binder"
EXPECTED_NOTEBOOKS = [
    "01-quickstart.ipynb",
    "02-from-explorer-to-script.ipynb",
    "03-build-and-update-a-virtual-store.ipynb",
    "04-dashboard.ipynb",
]
# any attempt to reach the internet through the usual proxies' variables fails fast
OFFLINE = {"HTTP_PROXY": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9"}


def _strip_script() -> object:
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "strip_notebooks", PROJECT_ROOT / "scripts" / "strip_notebooks.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _code_cells(path: Path) -> int:
    return sum(c.cell_type == "code" for c in nbformat.read(path, as_version=4).cells)


def test_the_four_notebooks_exist() -> None:
    assert [p.name for p in NOTEBOOKS] == EXPECTED_NOTEBOOKS


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_committed_notebooks_hold_no_outputs(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert _strip_script().leftovers(nb) == []  # type: ignore[attr-defined]
    assert nb.metadata["kernelspec"]["name"] == "python3"
    first_code = next(c.source for c in nb.cells if c.cell_type == "code")
    assert 'os.environ.get("VSTORE_DEMO_SIZE", "default")' in first_code  # CI can shrink the demo


def test_strip_script_check_mode_flags_outputs(tmp_path: Path) -> None:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")])
    nb.cells[0].outputs = [nbformat.v4.new_output("stream", text="2\n")]
    path = tmp_path / "dirty.ipynb"
    nbformat.write(nb, path)
    script = str(PROJECT_ROOT / "scripts" / "strip_notebooks.py")
    check = subprocess.run([sys.executable, script, "--check", str(path)], capture_output=True)
    assert check.returncode == 1 and b"not stripped" in check.stdout
    subprocess.run([sys.executable, script, str(path)], check=True, capture_output=True)
    assert nbformat.read(path, as_version=4).cells[0].outputs == []
    again = subprocess.run([sys.executable, script, "--check", str(path)], capture_output=True)
    assert again.returncode == 0


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_under_nbval(path: Path, demo_archive: DemoArchive, tmp_path: Path) -> None:
    env = {
        **os.environ,
        **OFFLINE,
        "NO_PROXY": "127.0.0.1,localhost",
        "VSTORE_EXPLORER_CACHE": str(demo_archive.root),
        "VSTORE_DEMO_SIZE": "tiny",
        "MPLBACKEND": "Agg",
    }
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--nbval-lax",
            "--nbval-cell-timeout=300",
            "-p",
            "no:cacheprovider",
            "-q",
            "--rootdir",
            str(tmp_path),
            str(path),
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    summary = run.stdout[-4000:]
    assert run.returncode == 0, summary + run.stderr[-2000:]
    passed = re.search(r"(\d+) passed", summary)
    assert passed and int(passed[1]) == _code_cells(path), summary
    assert re.search(r"\d+ (failed|errors?)\b", summary) is None, summary


@pytest.mark.slow
def test_docs_build_offline_and_strict(tmp_path: Path) -> None:
    site = tmp_path / "site"
    mkdocs = Path(sys.executable).with_name("mkdocs")
    run = subprocess.run(
        [str(mkdocs), "build", "--strict", "-d", str(site)],
        cwd=PROJECT_ROOT,
        env={**os.environ, **OFFLINE, "NO_MKDOCS_2_WARNING": "1"},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    api = (site / "reference" / "api" / "index.html").read_text()
    # docstrings rendered by mkdocstrings: vstore_explorer.compute.load, stores.open.connect
    assert "cost checked first" in api and "Open a store lazily" in api
    assert 'id="vstore_explorer.compute.load"' in api
    for page in ("getting-started", "search", "subset-and-cost", "serving", "reference/cli"):
        assert (site / page / "index.html").is_file(), page
    html = "".join(p.read_text() for p in site.rglob("*.html"))
    assert "fonts.googleapis.com" not in html and "fonts.gstatic.com" not in html
    assert "panel-preview/render/vstore_explorer/app/serve_app.py" in html


# -- Binder -----------------------------------------------------------------------------------------
def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_binder_requirements_are_pinned_as_in_uv_lock() -> None:
    lock = tomllib.loads((PROJECT_ROOT / "uv.lock").read_text())
    locked = {_normalize(p["name"]): p["version"] for p in lock["package"] if "version" in p}
    pins = {}
    for line in (BINDER / "requirements.txt").read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_.-]+)(?:\[[^\]]*\])?==([^\s;]+)", line)
        if match:
            pins[_normalize(match[1])] = match[2]
    assert len(pins) > 100
    wrong = {name: (pin, locked.get(name)) for name, pin in pins.items() if locked.get(name) != pin}
    assert wrong == {}, "regenerate binder/requirements.txt (see binder/README.md)"
    for needed in ("panel", "jupyterlab", "ipykernel", "icechunk", "virtualizarr", "xarray"):
        assert needed in pins, needed
    assert "vstore-explorer" not in pins  # postBuild installs the package itself


def test_binder_runtime_and_postbuild() -> None:
    assert (BINDER / "runtime.txt").read_text().strip() == "python-3.12"
    post = BINDER / "postBuild"
    assert os.access(post, os.X_OK), "postBuild must be executable"
    text = post.read_text()
    assert text.startswith("#!/usr/bin/env bash") and "set -euo pipefail" in text
    assert "pip install --no-deps" in text and "-e ." in text
    assert "vstore-explorer demo build" in text
    subprocess.run(["bash", "-n", str(post)], check=True)
    assert (PROJECT_ROOT / "vstore_explorer" / "app" / "serve_app.py").is_file()  # Binder's link
