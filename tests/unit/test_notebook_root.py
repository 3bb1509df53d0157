"""Browser changes stranded behind a re-applied hold run once the message is applied
(app/notebook_root.py), on a real Bokeh Document held as Panel holds notebook documents."""

from __future__ import annotations

from bokeh.document import Document
from bokeh.models import Select

from vstore_explorer.app.notebook_root import run_stranded


def test_a_browser_change_waiting_in_the_held_events_runs_its_callbacks_once():
    doc = Document()
    select = Select(options=["a", "b", "c"], value="a")
    other = Select(options=["x", "y"], value="x")
    doc.add_root(select)
    doc.add_root(other)
    seen: list[tuple[str, str]] = []
    select.on_change("value", lambda attr, old, new: seen.append((old, new)))
    other.on_change("value", lambda attr, old, new: seen.append((old, new)))
    doc.hold("combine")  # as a notebook output's document stays
    select.set_from_json("value", "b", setter="browser-comm")  # the browser's change
    other.value = "y"  # a change made in the kernel, waiting to be pushed
    assert seen == [] and len(doc.callbacks._held_events) == 2

    assert run_stranded(doc, "browser-comm") == 1
    assert seen == [("a", "b")]  # the browser's change reached its Python callback
    assert [e.model for e in doc.callbacks._held_events] == [other]  # the kernel's still waits
    assert run_stranded(doc, "browser-comm") == 0 and seen == [("a", "b")]  # once only
    assert run_stranded(doc, None) == 0
