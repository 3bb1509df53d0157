"""Fixtures for the explorer app without a browser: apps on the tiny demo, rendered Bokeh models."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from vstore_explorer.demo.archive import DemoArchive


@pytest.fixture(scope="session")
def demo_records(demo_archive: DemoArchive) -> str:
    """The tiny demo's local catalog folder (UMM-C records linking its stores)."""
    return str(demo_archive.records_dir)


@pytest.fixture
def make_explorer(demo_records: str) -> Callable[..., Any]:
    """``make_explorer(**explore_kwargs)``: a fresh app on the tiny demo, with its own URL
    ``Location`` (so URL sync is exercised without a server)."""
    from panel.io.location import Location

    from vstore_explorer.app.explorer import explore

    def make(**kwargs: Any) -> Any:
        kwargs.setdefault("location", Location())
        return explore(demo_records, **kwargs)

    return make


@pytest.fixture
def render() -> Callable[[Any], Any]:
    """``render(app)``: build the app's Bokeh models in a new document (as a server would)."""
    import panel as pn
    from bokeh.document import Document

    def do(app: Any) -> Any:
        return pn.panel(app).get_root(Document())

    return do


def holoviews_plot(pane: Any, kind: str) -> Any:
    """The HoloViews plot of ``kind`` (e.g. ``"CurvePlot"``) inside a rendered HoloViews pane."""
    for plot, _ in pane._plots.values():
        found = plot.traverse(lambda p: p, [lambda p: type(p).__name__ == kind])
        if found:
            return found[0]
    raise AssertionError(f"no {kind} in the rendered pane (is it rendered? is its tab active?)")
