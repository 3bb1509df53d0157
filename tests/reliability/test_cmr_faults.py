"""CMR faults the loopback plugin lacks: truncated and non-JSON bodies, an empty page in the middle of
paging, a cursor that never advances, a dropped connection (a real server on 127.0.0.1).

The extra faults wrap :class:`tests.plugins.cmr_server.LoopbackCMR`'s handler (the plugin itself is
unchanged): ``url(fault=...)`` of :class:`FaultyCMR` accepts the names in :data:`EXTRA_FAULTS`.
"""

from __future__ import annotations

import json
import threading
import time
import warnings
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.plugins import cmr_server as plugin
from vstore_explorer.catalog.base import IncompleteResultsWarning
from vstore_explorer.catalog.cmr import CMRCatalog, CMRError, CMRUnavailableError

EXTRA_FAULTS = {
    "truncated": {},  # Content-Length promises more than is sent, then the connection closes
    "badjson": {},  # 200 with half a JSON document (and an honest Content-Length)
    "html200": {},  # 200 with an HTML error page (a proxy in the way)
    "noitems": {},  # 200 with JSON that lacks "items"
    "emptymiddle": {},  # the 2nd page is empty although more hits remain
    "stuckcursor": {},  # every page repeats the first cursor: a naive client loops forever
    "dropped": {},  # the connection is closed without any answer
}


class _FaultyHandler(plugin._Handler):
    """The plugin's handler plus :data:`EXTRA_FAULTS` (chosen by ``fault=`` in the path)."""

    def do_GET(self) -> None:  # noqa: N802 - http.server API
        tag = self.path.split("?")[0].strip("/").split("/")[0]
        options = dict(p.split("=", 1) for p in tag.split(",") if "=" in p)
        fault = options.get("fault")
        if fault not in EXTRA_FAULTS:
            return super().do_GET()
        self._paging_fault = (None, 0)
        count = self.cmr._count(tag)
        if fault in ("emptymiddle", "stuckcursor"):  # real pages, then bend them in _send
            self._paging_fault = (fault, count)
            return self._serve_pages(fault, count)
        self.cmr._log(plugin.RecordedRequest(tag, fault, {}, None, 200))
        if fault == "dropped":
            self.close_connection = True
            return
        if fault in ("truncated", "badjson", "html200", "noitems"):
            body = {
                "truncated": json.dumps({"hits": 1, "items": []}).encode(),
                "badjson": b'{"hits": 1, "items": [{"meta": {"concept-id": "C1-X"',
                "html200": b"<html><body>Gateway says hello</body></html>",
                "noitems": b'{"hits": 1, "took": 3}',
            }[fault]
            length = len(body) + (500 if fault == "truncated" else 0)
            self.send_response(200)
            self.send_header("Content-Type", plugin.CONTENT_TYPE)
            self.send_header("Content-Length", str(length))
            self.end_headers()
            self.wfile.write(body)
            self.wfile.flush()
            if fault == "truncated":
                self.close_connection = True
            return

    def _serve_pages(self, fault: str, count: int) -> None:
        """The plugin's answer (fault removed from the path), bent by :meth:`_send`."""
        if fault == "stuckcursor" and count > 1:
            del self.headers["CMR-Search-After"]  # a buggy proxy: answers the first page again
        self.path = self.path.replace(f"fault={fault}", "fault=none", 1)
        super().do_GET()

    def _send(self, status: int, body: Any, headers: Any = None) -> None:
        fault, count = getattr(self, "_paging_fault", (None, 0))
        headers = dict(headers or {})
        if fault == "emptymiddle" and isinstance(body, dict) and count == 2:
            body = {**body, "items": []}
        if fault == "stuckcursor" and isinstance(body, dict):
            headers["CMR-Search-After"] = plugin._cursor(3, "stuck")
        super()._send(status, body, headers)


class FaultyCMR(plugin.LoopbackCMR):
    """:class:`LoopbackCMR` whose handler also knows :data:`EXTRA_FAULTS`."""

    def __init__(self, default: Any) -> None:  # same as the plugin, with our handler
        self._datasets = {"default": default}
        self._lock = threading.Lock()
        self._counters: dict[str, int] = {}
        self.requests: list[plugin.RecordedRequest] = []
        handler = type("Handler", (_FaultyHandler,), {"cmr": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def requests_for(self, base_url: str) -> list[plugin.RecordedRequest]:
        """Requests under ``base_url``'s id (paging faults are logged with ``fault=none``)."""
        ident = base_url.split("/")[3].split(",")[0]
        with self._lock:
            return [r for r in self.requests if r.tag.split(",")[0] == ident]

    def fault_url(self, fault: str) -> str:
        """A base URL with one of :data:`EXTRA_FAULTS` (and its own id)."""
        assert fault in EXTRA_FAULTS
        base = self.url()
        return base.replace("/search/", f",fault={fault}/search/")


@pytest.fixture(scope="module")
def faulty_cmr(fixtures_dir: Path) -> Iterator[FaultyCMR]:
    server = FaultyCMR(plugin.load_fixture_dataset(fixtures_dir))
    try:
        yield server
    finally:
        server.stop()


def _catalog(base: str, **kwargs: Any) -> CMRCatalog:
    kwargs = {"timeout": 3, "retries": 1, "backoff": 0.01, **kwargs}
    return CMRCatalog(base, **kwargs)


@pytest.mark.parametrize("fault", ["badjson", "html200"])
def test_non_json_body_is_a_clear_cmr_error(faulty_cmr: FaultyCMR, fault: str) -> None:
    base = faulty_cmr.fault_url(fault)
    with pytest.raises(CMRError, match="not JSON") as info:
        list(_catalog(base).search(provider="POCLOUD"))
    assert base in str(info.value) and info.value.status == 200
    assert len(faulty_cmr.requests_for(base)) == 1  # a bad body is not retried forever


def test_answer_without_items_is_a_clear_cmr_error(faulty_cmr: FaultyCMR) -> None:
    base = faulty_cmr.fault_url("noitems")
    with pytest.raises(CMRError, match="without an 'items' list"):
        list(_catalog(base).search(provider="POCLOUD"))


@pytest.mark.parametrize("fault", ["truncated", "dropped"])
def test_truncated_or_dropped_answer_is_retried_then_a_clear_error(
    faulty_cmr: FaultyCMR, fault: str
) -> None:
    base = faulty_cmr.fault_url(fault)
    started = time.monotonic()
    with pytest.raises(CMRUnavailableError) as info:
        list(_catalog(base, retries=2).search(provider="POCLOUD"))
    assert time.monotonic() - started < 10
    message = str(info.value)
    assert base in message and "3 attempt(s)" in message and "--catalog" in message
    assert len(faulty_cmr.requests_for(base)) == 3


def test_empty_page_in_the_middle_stops_cleanly_without_duplicates(faulty_cmr: FaultyCMR) -> None:
    base = faulty_cmr.fault_url("emptymiddle")
    results = _catalog(base, page_size=3).search(provider="POCLOUD", cloud_hosted=True)
    with pytest.warns(IncompleteResultsWarning, match="reported 21 hits but sent an empty page"):
        ids = [c.concept_id for c in results]
    assert len(ids) == 3 and len(set(ids)) == 3  # the first page, then paging stops
    assert len(faulty_cmr.requests_for(base)) == 2  # no loop, no retry storm
    assert results.hits == 21  # the count still says how many CMR has
    assert results.incomplete is not None and base in results.incomplete


def test_the_explorer_says_when_cmr_broke_off_paging(faulty_cmr: FaultyCMR) -> None:
    from vstore_explorer.app.state import ExplorerState

    state = ExplorerState(catalog=_catalog(faulty_cmr.fault_url("emptymiddle"), page_size=3))
    state.param.update(keyword="", has_virtual_store=False, limit=50)
    assert len(state.search()) == 3  # what came, shown...
    assert state.alert_level == "warning" and "results are incomplete" in state.alert  # ...and said
    assert "hits but sent an empty page after 3" in state.alert and "Search again" in state.alert


def test_a_complete_search_is_not_called_incomplete(faulty_cmr: FaultyCMR) -> None:
    results = _catalog(faulty_cmr.url(), page_size=5).search(provider="POCLOUD", cloud_hosted=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error", IncompleteResultsWarning)
        assert len(list(results)) == results.hits > 5
    assert results.incomplete is None


def test_cursor_that_never_advances_is_reported_not_looped(faulty_cmr: FaultyCMR) -> None:
    base = faulty_cmr.fault_url("stuckcursor")
    results = _catalog(base, page_size=3).search(provider="POCLOUD", cloud_hosted=True)
    seen: list[str] = []
    with pytest.raises(CMRError, match="cursor") as info:
        for record in results:
            seen.append(record.concept_id)
            assert len(seen) < 100, "the client is looping"
    assert len(seen) == len(set(seen)) == 3  # no duplicates were yielded
    assert base in str(info.value)
    assert len(faulty_cmr.requests_for(base)) == 2
