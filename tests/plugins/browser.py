"""Fixtures for browser tests: Debian's Chromium driven by Playwright, the served explorer, JupyterLab.

Chromium is ``/usr/bin/chromium`` (``./dev test`` installs it); ``playwright install`` cannot
download browsers here. Without it the browser tests are skipped locally and fail on CI (``$CI``).
Every server binds to 127.0.0.1 on a free port and is stopped when its fixture ends.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.net import free_port
from tests.plugins.paths import PROJECT_ROOT

CHROMIUM = Path(os.environ.get("VSTORE_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
VIEWPORT = {"width": 1400, "height": 1100}
DOCS_IMAGES = PROJECT_ROOT / "docs" / "images"
ARTIFACTS = PROJECT_ROOT / "test-artifacts"
SERVE_TIMEOUT = 90.0  # seconds for a server to answer (imports, warm-up)


def wait_for_http(url: str, process: subprocess.Popen[bytes], log: Path, timeout: float) -> float:
    """Poll ``url`` until it answers 200; returns the seconds waited.

    Raises:
        AssertionError: the process exited or did not answer in time (with its log).
    """
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if process.poll() is not None:
            raise AssertionError(f"server exited ({process.returncode}):\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return time.perf_counter() - started
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.1)
    raise AssertionError(f"{url} did not answer within {timeout:.0f} s:\n{log.read_text()}")


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop a server started by a fixture (SIGTERM, then SIGKILL)."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def save_screenshot(png: bytes, name: str) -> Path:
    """Write ``explorer-<name>.png`` to ``test-artifacts/`` (and, with ``VSTORE_UPDATE_SCREENSHOTS=1``,
    to ``docs/images/`` for the documentation); returns the artifact path."""
    folders = [ARTIFACTS]
    if os.environ.get("VSTORE_UPDATE_SCREENSHOTS") == "1":
        folders.append(DOCS_IMAGES)
    for folder in folders:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"explorer-{name}.png").write_bytes(png)
    return ARTIFACTS / f"explorer-{name}.png"


def record_timing(name: str, seconds: float) -> None:
    """Add a measurement to ``test-artifacts/browser-timings.json`` (for the benchmarks)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / "browser-timings.json"
    timings = json.loads(path.read_text()) if path.exists() else {}
    timings[name] = round(seconds, 3)
    path.write_text(json.dumps(timings, indent=2, sort_keys=True) + "\n")


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    """Debian's Chromium; skips when it is missing (fails instead on CI, where ``$CI`` is set)."""
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} not found (install it: apt-get install -y chromium, or ./dev test)"
        if os.environ.get("CI"):
            pytest.fail(f"browser tests must run on CI: {reason}")
        pytest.skip(reason)
    return CHROMIUM


@pytest.fixture(scope="module")
def chromium(chromium_path: Path) -> Iterator[Any]:
    """A headless Debian Chromium (Playwright ``Browser``), shared by a test module.

    Module-scoped on purpose: while Playwright's sync API runs, its event loop counts as running
    in this thread, so other tests' ``asyncio.run`` would fail; it is stopped after each module.
    """
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(chromium_path), args=list(CHROMIUM_ARGS)
        )
        try:
            yield browser
        finally:
            browser.close()


@dataclass(frozen=True)
class BrowserPage:
    """A Playwright ``Page`` with what it sent outside 127.0.0.1 and its console errors."""

    page: Any
    outside: list[str]
    errors: list[str]


_LOCAL = ("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:", "about:")


def open_page(browser: Any) -> BrowserPage:
    """A page in a fresh context (its own cookies and storage) that records outside requests."""
    context = browser.new_context(viewport=VIEWPORT, accept_downloads=True)
    page = context.new_page()
    opened = BrowserPage(page, [], [])
    page.on("request", lambda r: None if r.url.startswith(_LOCAL) else opened.outside.append(r.url))
    page.on("console", lambda m: opened.errors.append(m.text) if m.type == "error" else None)
    return opened


@pytest.fixture
def new_page(chromium: Any) -> Iterator[Callable[[], BrowserPage]]:
    """``new_page()``: a :class:`BrowserPage` in a fresh context; all closed after the test."""
    pages: list[BrowserPage] = []

    def make() -> BrowserPage:
        pages.append(open_page(chromium))
        return pages[-1]

    yield make
    for opened in pages:
        opened.page.context.close()


@dataclass(frozen=True)
class ServedApp:
    """``vstore-explorer serve`` running on 127.0.0.1: its URL, process and start-up times."""

    url: str
    process: subprocess.Popen[bytes]
    log: Path
    http_seconds: float  # from starting the command to the first HTTP answer
    first_plot_seconds: float  # from starting the command to the first map visible in Chromium


def wait_for_map(page: Any, timeout: float = 60.0) -> None:
    """Wait until the explorer's map (a Bokeh canvas) is visible."""
    page.locator(".vx-plot-map canvas").first.wait_for(state="visible", timeout=timeout * 1000)


@contextmanager
def serving(
    catalog: str, folder: Path, *options: str
) -> Iterator[tuple[str, subprocess.Popen[bytes], Path, float]]:
    """``vstore-explorer serve --catalog CATALOG [OPTIONS]`` on a free 127.0.0.1 port, answering
    HTTP: ``(url, process, log, start time)``; stopped on exit."""
    port = free_port()
    log = folder / "serve.log"
    command = [sys.executable, "-m", "vstore_explorer.cli", "serve", "--catalog", catalog]
    command += ["--port", str(port), "--address", "127.0.0.1", *options]
    url = f"http://127.0.0.1:{port}/"
    started = time.perf_counter()
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=PROJECT_ROOT, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_for_http(url, process, log, SERVE_TIMEOUT)
        yield url, process, log, started
    finally:
        stop(process)


@pytest.fixture(scope="module")
def served_app(
    chromium: Any, demo_records: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServedApp]:
    """``python -m vstore_explorer.cli serve --catalog <tiny demo records>`` on a free port.

    Also measures the time from starting the command to the first map shown in Chromium
    (written to ``test-artifacts/browser-timings.json``).
    """
    with serving(demo_records, tmp_path_factory.mktemp("serve")) as (url, process, log, started):
        http_seconds = time.perf_counter() - started
        first = open_page(chromium)
        try:
            first.page.goto(url)
            wait_for_map(first.page)
            first_plot = time.perf_counter() - started
        finally:
            first.page.context.close()
        record_timing("serve_to_first_plot_s", first_plot)
        record_timing("serve_to_http_s", http_seconds)
        yield ServedApp(url, process, log, http_seconds, first_plot)


@dataclass(frozen=True)
class JupyterLab:
    """A JupyterLab server on 127.0.0.1 with no token, serving ``root``."""

    url: str
    root: Path
    process: subprocess.Popen[bytes]
    log: Path


@pytest.fixture(scope="session")
def jupyter_lab(
    chromium_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[JupyterLab]:
    """``jupyter lab`` on a free port; its config, data, runtime and settings live in a temp
    folder, so nothing of the user's Jupyter setup is read or changed."""
    jupyter = Path(sys.executable).with_name("jupyter")
    if not jupyter.exists():
        jupyter = Path(shutil.which("jupyter") or "jupyter")
    home = tmp_path_factory.mktemp("jupyter")
    root = home / "root"
    root.mkdir()
    env = os.environ | {
        "JUPYTER_CONFIG_DIR": str(home / "config"),
        "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
        "JUPYTERLAB_SETTINGS_DIR": str(home / "settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"),
        "IPYTHONDIR": str(home / "ipython"),
        "JUPYTER_PLATFORM_DIRS": "1",
    }
    port = free_port()
    command = [
        str(jupyter),
        "lab",
        "--allow-root",
        "--no-browser",
        "--IdentityProvider.token=",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        "--LabApp.expose_app_in_browser=True",
        f"--ServerApp.root_dir={root}",
        "--LabApp.news_url=None",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]
    url = f"http://127.0.0.1:{port}/"
    log = home / "lab.log"
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_for_http(url + "api/status", process, log, SERVE_TIMEOUT)
        yield JupyterLab(url, root, process, log)
    finally:
        stop(process)
