"""A served page's side of the explorer's :class:`Background`, for tests without a server."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable

from vstore_explorer.app.state.background import Background


class Page:
    """A served page's side of a :class:`Background`: hand-backs queue up until drained."""

    def __init__(self) -> None:
        self.calls: queue.Queue[Callable[[], None]] = queue.Queue()
        self.background = Background(self.calls.put)
        self.gate = threading.Event()

    def hold(self, *, download: bool = False) -> None:
        """Keep the worker (the download worker) busy until :meth:`release`, so what is sent
        there queues behind it."""
        self.gate.clear()
        pool = self.background._downloads if download else self.background._pool
        pool.submit(self.gate.wait, 30)

    def release(self) -> None:
        self.gate.set()

    def drain(self, until: Callable[[], bool], timeout: float = 60) -> None:
        """Run the hand-backs, as the page's event loop does, until ``until()`` holds."""
        while not until():
            self.calls.get(timeout=timeout)()

    def settle(self) -> None:
        """Wait for the worker to finish what it has, then run every hand-back."""
        for pool in (self.background._pool, self.background._downloads):
            pool.submit(lambda: None).result(timeout=60)
        while not self.calls.empty():
            self.calls.get_nowait()()
