"""A CMR-like server on 127.0.0.1 whose granules a test writes, revises and deletes.

Unlike :mod:`tests.plugins.cmr_server` (recorded real responses, shared by a session), each test
gets its own server (``granule_cmr`` fixture) and changes its records as a DAAC would: a granule
put again under the same GranuleUR keeps its concept id and gets the next revision id and a later
``revision-date``, as CMR does on reingest. Routes: ``/search/collections.umm_json`` and
``/search/granules.umm_json``; filters: those of :func:`tests.plugins.cmr_server._matches`
(``short_name``, ``version``, ``concept_id[]``, ``collection_concept_id[]``, ``temporal[]``,
``bounding_box``, ``provider``) and ``revision_date[]=START,END`` (CMR's revision date, either
side may be empty). Paging as CMR: ``page_size`` (default 10, at most 2000), ``CMR-Hits``,
``CMR-Search-After`` cursors, an empty page at the end; unknown parameters are a 400.

Faults: :meth:`GranuleCMR.fail` answers every request for a page after the first (one that
carries ``CMR-Search-After``) with an HTTP error, ``times`` times (default: until :meth:`heal`).
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import MappingProxyType
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.plugins.cmr_server import CONTENT_TYPE, _matches, _parse_time

PARAMS: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        "collections": frozenset({"page_size", "short_name", "version", "concept_id", "provider"}),
        "granules": frozenset(
            {
                "page_size",
                "short_name",
                "version",
                "concept_id",
                "collection_concept_id",
                "provider",
                "temporal",
                "bounding_box",
                "revision_date",
            }
        ),
    }
)


@dataclass(frozen=True)
class Seen:
    """One request the server answered."""

    route: str
    params: Mapping[str, tuple[str, ...]]
    search_after: str | None
    status: int
    returned: tuple[str, ...]


class GranuleCMR:
    """The running server and the records it serves (change them between requests freely)."""

    def __init__(self, provider: str = "VXTEST") -> None:
        self.provider = provider
        self.collections: list[dict[str, Any]] = []
        self._granules: dict[str, dict[str, Any]] = {}  # by GranuleUR
        self._ids: dict[str, str] = {}  # GranuleUR -> concept id, kept across deletions
        self._lock = threading.Lock()
        self._last_revision = datetime(2000, 1, 1, tzinfo=UTC)
        self._fault: tuple[int, int | None] | None = None
        self.requests: list[Seen] = []
        handler = type("Handler", (_Handler,), {"cmr": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        # a short poll: stop() (every test's teardown) waits for the loop to see the shutdown
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()

    @property
    def url(self) -> str:
        """The CMR search root, ``http://127.0.0.1:PORT/search/``."""
        return f"http://127.0.0.1:{self._server.server_address[1]}/search/"

    def _revision_date(self) -> str:
        now = max(datetime.now(UTC), self._last_revision + timedelta(milliseconds=1))
        self._last_revision = now
        return now.isoformat(timespec="milliseconds").replace("+00:00", "Z")

    def add_collection(self, umm: Mapping[str, Any], concept_id: str) -> dict[str, Any]:
        """Serve a UMM-C record as collection ``concept_id``; returns its CMR item."""
        item = {
            "meta": {
                "concept-type": "collection",
                "concept-id": concept_id,
                "revision-id": 1,
                "native-id": umm["ShortName"],
                "provider-id": self.provider,
                "format": "application/vnd.nasa.cmr.umm+json",
                "revision-date": self._revision_date(),
            },
            "umm": json.loads(json.dumps(umm)),
        }
        with self._lock:
            self.collections.append(item)
        return item

    def put_granule(self, umm: Mapping[str, Any], collection_id: str) -> dict[str, Any]:
        """Ingest (or reingest, by GranuleUR) a UMM-G record; returns its CMR item."""
        ur = str(umm["GranuleUR"])
        with self._lock:
            cid = self._ids.setdefault(ur, f"G{1_200_000_000 + len(self._ids)}-{self.provider}")
            old = self._granules.get(ur)
            item = {
                "meta": {
                    "concept-type": "granule",
                    "concept-id": cid,
                    "revision-id": (old["meta"]["revision-id"] + 1) if old else 1,
                    "native-id": ur,
                    "provider-id": self.provider,
                    "collection-concept-id": collection_id,
                    "format": "application/vnd.nasa.cmr.umm+json",
                    "revision-date": self._revision_date(),
                },
                "umm": json.loads(json.dumps(umm)),
            }
            self._granules[ur] = item
        return item

    def delete_granule(self, ur: str) -> None:
        """Remove a granule, as a DAAC deleting it from CMR."""
        with self._lock:
            del self._granules[ur]

    def granules(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._granules.values())

    def fail(self, status: int = 503, times: int | None = None) -> None:
        """Answer ``status`` to requests for pages after the first (``times`` times)."""
        with self._lock:
            self._fault = (status, times)

    def heal(self) -> None:
        with self._lock:
            self._fault = None

    def _take_fault(self) -> int | None:
        with self._lock:
            if self._fault is None:
                return None
            status, times = self._fault
            if times is not None:
                self._fault = (status, times - 1) if times > 1 else None
            return status

    def _log(self, seen: Seen) -> None:
        with self._lock:
            self.requests.append(seen)

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def _revised(item: Mapping[str, Any], ranges: list[str]) -> bool:
    when = _parse_time(item["meta"]["revision-date"].replace("Z", "+00:00"))
    for text in ranges:
        start, _, end = text.partition(",")
        lo, hi = _parse_time(start.replace("Z", "+00:00")), _parse_time(end.replace("Z", "+00:00"))
        if when is None or (lo and when < lo) or (hi and when > hi):
            return False
    return True


def _start(item: Mapping[str, Any]) -> str:
    rng = item["umm"].get("TemporalExtent", {}).get("RangeDateTime", {})
    return str(rng.get("BeginningDateTime", ""))


class _Handler(BaseHTTPRequestHandler):
    cmr: GranuleCMR
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet server
        pass

    def _send(self, status: int, body: Any, headers: Mapping[str, str] | None = None) -> None:
        payload = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        kind = CONTENT_TYPE if status == 200 else "application/json"
        self.send_header("Content-Type", "text/html" if isinstance(body, bytes) else kind)
        self.send_header("Content-Length", str(len(payload)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(payload)

    def do_GET(self) -> None:  # noqa: N802 - http.server API
        parts = urlsplit(self.path)
        route = parts.path.rsplit("/", 1)[-1].removesuffix(".umm_json")
        search_after = self.headers.get("CMR-Search-After")
        raw = parse_qs(parts.query, keep_blank_values=True)
        params = {k.removesuffix("[]"): v for k, v in raw.items()}
        frozen = {k: tuple(v) for k, v in params.items()}

        def reply(status: int, body: Any, headers: Any = None, ids: tuple[str, ...] = ()) -> None:
            self.cmr._log(Seen(route, frozen, search_after, status, ids))
            self._send(status, body, headers)

        if not parts.path.endswith(f"/search/{route}.umm_json") or route not in PARAMS:
            reply(404, {"errors": [f"The requested resource [{parts.path}] was not found."]})
            return
        unknown = sorted(set(params) - PARAMS[route])
        if unknown:
            reply(400, {"errors": [f"Parameter [{p}] was not recognized." for p in unknown]})
            return
        if search_after and (status := self.cmr._take_fault()) is not None:
            reply(status, b"<html><body>Service Temporarily Unavailable</body></html>")
            return
        page_size = int(params.get("page_size", ["10"])[-1])
        if not 0 <= page_size <= 2000:
            reply(400, {"errors": ["page_size must be a number between 0 and 2000"]})
            return
        pool = self.cmr.collections if route == "collections" else self.cmr.granules()
        matches = [i for i in pool if _matches(route, i, params)]
        if "revision_date" in params:
            matches = [i for i in matches if _revised(i, params["revision_date"])]
        matches.sort(key=lambda i: (_start(i), i["meta"]["concept-id"]))
        signature = hashlib.sha1(
            json.dumps(sorted((k, v) for k, v in params.items() if k != "page_size")).encode()
        ).hexdigest()[:12]
        offset = 0
        if search_after:
            offset, seen = json.loads(base64.urlsafe_b64decode(search_after))
            if seen != signature:
                reply(400, {"errors": ["The provided search-after value is not valid."]})
                return
        page = matches[offset : offset + page_size] if page_size else []
        headers = {"CMR-Hits": str(len(matches)), "CMR-Took": "2"}
        if page:
            cursor = json.dumps([offset + len(page), signature]).encode()
            headers["CMR-Search-After"] = base64.urlsafe_b64encode(cursor).decode()
        ids = tuple(i["meta"]["concept-id"] for i in page)
        reply(200, {"hits": len(matches), "took": 2, "items": page}, headers, ids)


@pytest.fixture()
def granule_cmr() -> Iterator[GranuleCMR]:
    """A fresh :class:`GranuleCMR` for one test (its records and faults are the test's own)."""
    server = GranuleCMR()
    try:
        yield server
    finally:
        server.stop()
