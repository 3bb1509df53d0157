"""Loads that run off the page's thread, so the page stays live: a newer load or the user's
Cancel stops an older one at its next dask task.

A served session gives its state a :class:`Background` whose ``schedule`` is the Bokeh
document's ``add_next_tick_callback`` (the one thread-safe way back into a session): the work runs
on the session's own worker thread, its progress and its result are handed back through
``schedule``. Notebooks and scripts have no background: loads run where they are asked for.

Example:
    >>> ran = []
    >>> bg = Background(schedule=lambda fn: fn())  # run hand-backs at once (a test's page)
    >>> ticket = Ticket("map")
    >>> bg.run(ticket, lambda: 6 * 7, ran.append).result()
    >>> ran
    [42]
    >>> bg.close()
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

from vstore_explorer.errors import VStoreError

T = TypeVar("T")
Schedule = Callable[[Callable[[], None]], Any]


class LoadCancelled(VStoreError):
    """A load was stopped: by the user's Cancel, or by a newer load that replaced it."""


@dataclass(eq=False)
class Ticket:
    """One load in flight: what it is for, and whether it has been cancelled."""

    view: str
    key: Any = None
    """What it loads (the view's selection and store): a second request for the same key joins it."""
    _cancelled: threading.Event = field(default_factory=threading.Event, repr=False)
    shown_percent: int = -1

    def cancel(self) -> None:
        self._cancelled.set()

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    def check(self) -> None:
        """Raise :class:`LoadCancelled` if the load has been cancelled (called between tasks)."""
        if self._cancelled.is_set():
            raise LoadCancelled(f"the {self.view} load was cancelled")


class Background:
    """A worker thread for a session's loads (one for its downloads), and the way back to its
    page (``schedule``)."""

    def __init__(self, schedule: Schedule) -> None:
        self.schedule = schedule
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="vx-load")
        self._downloads = ThreadPoolExecutor(max_workers=1, thread_name_prefix="vx-download")

    def run(
        self,
        ticket: Ticket,
        work: Callable[[], T],
        done: Callable[[T | BaseException], None],
        *,
        download: bool = False,
    ) -> Future[None]:
        """Run ``work`` on the worker thread; ``done`` gets its result (or the exception) on the
        page's thread, unless the ticket was cancelled meanwhile (then nothing is handed back).
        A ``download`` has a thread of its own: the plots keep loading while a file is made."""

        def job() -> None:
            outcome: T | BaseException
            try:
                ticket.check()
                outcome = work()
            except BaseException as exc:  # handed to the page, which shows it
                outcome = exc
            if not ticket.cancelled:
                self.schedule(lambda: None if ticket.cancelled else done(outcome))

        return (self._downloads if download else self._pool).submit(job)

    def progress(self, ticket: Ticket, show: Callable[[int], None]) -> Callable[[float], None]:
        """A dask progress callback for ``ticket``: it stops the work once the ticket is cancelled
        and hands each new whole percent back to the page."""

        def report(fraction: float) -> None:
            ticket.check()
            percent = int(round(100 * min(max(fraction, 0.0), 1.0)))
            if percent != ticket.shown_percent:
                ticket.shown_percent = percent
                self.schedule(lambda: None if ticket.cancelled else show(percent))

        return report

    def close(self) -> None:
        """Stop taking work (the session has closed); a running load ends at its next task."""
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._downloads.shutdown(wait=False, cancel_futures=True)
