"""Run each measurement in a fresh process: forked from a preloaded server, or a cold interpreter.

- ``fork`` (default): a ``multiprocessing`` fork server starts once, imports
  :data:`benchmarks.measure.PRELOAD` (xarray, zarr, icechunk, netCDF4, dask, vstore_explorer) and
  nothing else; every measurement is a new child forked from it: no open file, no cache, no
  library state from earlier measurements, and no import time in the numbers (import time is
  measured separately).
- ``exec``: ``python -m benchmarks.measure`` per measurement (imports paid each time, reported as
  ``import_s``); slower, for checking that ``fork`` changes nothing.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Protocol

from benchmarks.measure import PRELOAD, run_task

PROJECT_ROOT = Path(__file__).resolve().parents[1]
LAUNCHES = ("fork", "exec")


class Launcher(Protocol):
    def run(self, task: dict[str, Any]) -> dict[str, Any]: ...

    def close(self) -> None: ...


def _forked(task: dict[str, Any], conn: Any, log: str) -> None:
    """The child: output to the log (Icechunk warns on local storage), the result to the pipe."""
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    conn.send(run_task(task) | {"launch": "fork"})
    conn.close()


def _timeout(task: dict[str, Any], seconds: float) -> dict[str, Any]:
    return {
        "path": task["path"],
        "case": task["case"]["name"],
        "size": task.get("size"),
        "layout": task.get("layout"),
        "error": f"timed out after {seconds:.0f} s",
    }


class ForkLauncher:
    """Children forked from one preloaded ``multiprocessing`` fork server."""

    def __init__(self, log: Path, timeout: float = 1800.0) -> None:
        self.log = log
        self.timeout = timeout
        self.ctx = multiprocessing.get_context("forkserver")
        self.ctx.set_forkserver_preload([*PRELOAD, "benchmarks.measure", "benchmarks.launch"])

    def run(self, task: dict[str, Any]) -> dict[str, Any]:
        receive, send = self.ctx.Pipe(duplex=False)
        child = self.ctx.Process(target=_forked, args=(task, send, str(self.log)))
        child.start()
        send.close()
        try:
            if receive.poll(self.timeout):
                return receive.recv()
            child.kill()
            return _timeout(task, self.timeout)
        except EOFError:
            return {**_timeout(task, 0), "error": f"child died (exit code {child.exitcode})"}
        finally:
            child.join(30)
            receive.close()

    def close(self) -> None:
        pass


class ExecLauncher:
    """``python -m benchmarks.measure '<task>'`` per measurement (a cold interpreter each time)."""

    def __init__(self, log: Path, timeout: float = 1800.0) -> None:
        self.log = log
        self.timeout = timeout

    def run(self, task: dict[str, Any]) -> dict[str, Any]:
        command = [sys.executable, "-m", "benchmarks.measure", json.dumps(task)]
        try:
            done = subprocess.run(
                command, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=self.timeout
            )
        except subprocess.TimeoutExpired:
            return _timeout(task, self.timeout)
        with self.log.open("a") as log:
            log.write(done.stderr)
        lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
        if done.returncode != 0 or not lines:
            tail = done.stderr.strip().splitlines()[-1:] or ["no output"]
            return {**_timeout(task, 0), "error": f"exit code {done.returncode}: {tail[0]}"}
        return json.loads(lines[-1])

    def close(self) -> None:
        pass


def launcher(kind: str, log: Path, timeout: float = 1800.0) -> Launcher:
    """A :class:`ForkLauncher` (``fork``) or :class:`ExecLauncher` (``exec``)."""
    if kind == "fork":
        return ForkLauncher(log, timeout)
    if kind == "exec":
        return ExecLauncher(log, timeout)
    raise ValueError(f"launch must be one of {', '.join(LAUNCHES)}, got {kind!r}")
