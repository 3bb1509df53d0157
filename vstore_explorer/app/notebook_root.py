"""The explorer's outermost layout, with a fix for browser changes stranded in notebooks.

In a notebook, Panel keeps each output's Bokeh document on hold and pushes the kernel's changes
over the comm. A message from the browser is applied with the hold lifted, then each change's
Python callbacks run in turn. A callback that goes through Panel's ``hold`` (a tab switch, the
code editor echoing its text) puts the document back on hold, so the changes after it in the
same message wait: their callbacks run only when the next message arrives, one change behind.
Seen after a plot-tab switch in JupyterLab: the variable picked next was shown in the browser
and set on the kernel's Bokeh model, but the explorer kept the old one (issue #14).

:class:`ExplorerRoot` runs those stranded callbacks once the message has been applied. Served
pages (a Bokeh server session) are not affected and take no extra step.

Example:
    >>> import panel as pn
    >>> isinstance(ExplorerRoot(pn.pane.Markdown("x")), pn.Column)
    True
"""

from __future__ import annotations

from typing import Any

import panel as pn
from bokeh.document.callbacks import invoke_with_curdoc
from panel.io.state import state


class ExplorerRoot(pn.Column):
    """A ``pn.Column`` whose notebook comm handler leaves no change of a browser message
    waiting behind a re-applied hold."""

    def _on_msg(self, ref: str, manager: Any, msg: Any) -> None:
        super()._on_msg(ref, manager, msg)
        view = state._views.get(ref)
        if view is None:
            return
        _, doc, comm = view[1:]
        run_stranded(doc, comm.id if comm is not None else None)


def run_stranded(doc: Any, setter: Any) -> int:
    """Run the Python callbacks of the changes applied from ``setter`` (the browser's comm) that
    still wait in ``doc``'s held events; returns how many. Each is taken out of the held events
    first (the browser already shows it: nothing is sent back), as lifting the hold would."""
    callbacks = doc.callbacks
    done = 0
    while True:
        stranded = [
            event
            for event in callbacks._held_events
            if getattr(event, "setter", None) == setter
            and getattr(event, "callback_invoker", None) is not None
        ]
        if not stranded or setter is None:
            return done
        callbacks._held_events = [e for e in callbacks._held_events if e not in stranded]
        for event in stranded:
            invoke_with_curdoc(doc, event.callback_invoker)
            done += 1
