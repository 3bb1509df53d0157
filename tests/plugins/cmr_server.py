"""A real HTTP server on 127.0.0.1 that answers CMR's search API from recorded real responses.

Routes: ``/search/collections.umm_json`` and ``/search/granules.umm_json`` (CMR ``umm_json`` items
from ``../shared/fixtures/cmr`` and ``umm/records``, plus datasets a test adds). It reproduces
CMR's paging (``CMR-Hits``, ``CMR-Search-After`` cursor, an empty page at the end, ``page_size``
up to 2000, default 10), ``Content-Type: application/vnd.nasa.cmr.umm_results+json`` and
``400 {"errors": ["Parameter [x] was not recognized."]}`` for parameters it does not know.

Options and faults go in one path segment before ``/search/`` (use :meth:`LoopbackCMR.url`, which
also adds a unique id so a test's faults and request log are its own)::

    /id=ab12,fault=flaky503,times=1/search/   503 for the first request, then answers
    /id=..,fault=ratelimit,times=1,retry_after=1/search/   429 with Retry-After first
    /id=..,fault=slow,delay=2/search/          sleeps 2 s before every answer
    /id=..,dataset=NAME/search/                serve a dataset added with add_dataset()

Plain ``/flaky503/search/``, ``/ratelimit/search/`` and ``/slow/search/`` work too (defaults).

Filters understood: collections: keyword, short_name, version, entry_title, provider,
concept_id[], cloud_hosted, bounding_box, temporal[]; granules: collection_concept_id[],
concept_id[], short_name, version, entry_title, provider, bounding_box, temporal[].
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

CONTENT_TYPE = "application/vnd.nasa.cmr.umm_results+json;version=1.6.5; charset=utf-8"
COMMON_PARAMS = {
    "page_size",
    "provider",
    "concept_id",
    "short_name",
    "version",
    "entry_title",
    "bounding_box",
    "temporal",
}
ROUTE_PARAMS = {
    "collections": COMMON_PARAMS | {"keyword", "cloud_hosted"},
    "granules": COMMON_PARAMS | {"collection_concept_id"},
}
FAULT_DEFAULTS = {
    "flaky503": {"times": "1"},
    "ratelimit": {"times": "1", "retry_after": "1"},
    "slow": {"delay": "2"},
    "error500": {"times": "1000000"},
}


@dataclass(frozen=True)
class RecordedRequest:
    """One request the server received."""

    tag: str
    route: str
    params: Mapping[str, tuple[str, ...]]
    search_after: str | None
    status: int
    returned: tuple[str, ...] = ()  # concept ids of the items in the answer


@dataclass
class _Dataset:
    collections: list[dict[str, Any]] = field(default_factory=list)
    granules: list[dict[str, Any]] = field(default_factory=list)


def _concept_id(item: Mapping[str, Any]) -> str:
    return str(item.get("meta", {}).get("concept-id", ""))


def load_fixture_dataset(fixtures: Path) -> _Dataset:
    """Every CMR item in the fixtures, deduplicated by concept id (highest revision wins)."""
    found: dict[str, dict[str, Any]] = {}
    files = sorted((fixtures / "cmr" / "responses").glob("*.json"))
    files += sorted((fixtures / "umm" / "records").glob("*.json"))
    for file in files:
        data = json.loads(file.read_text())
        items = data["items"] if isinstance(data, dict) and "items" in data else [data]
        for item in items:
            if not (isinstance(item, dict) and isinstance(item.get("meta"), dict)):
                continue
            cid = _concept_id(item)
            old = found.get(cid)
            if old is None or item["meta"].get("revision-id", 0) > old["meta"].get(
                "revision-id", 0
            ):
                found[cid] = item
    dataset = _Dataset()
    for cid, item in found.items():
        (dataset.collections if cid.startswith("C") else dataset.granules).append(item)
    return dataset


# -- filters (a small, independent imitation of CMR) -----------------------------------------


def _parse_time(text: str) -> datetime | None:
    if not text:
        return None
    value = datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _boxes(umm: Mapping[str, Any]) -> list[tuple[float, float, float, float]]:
    geometry = umm.get("SpatialExtent", {}).get("HorizontalSpatialDomain", {}).get("Geometry", {})
    out = []
    for r in geometry.get("BoundingRectangles", []):
        out.append(
            (
                r["WestBoundingCoordinate"],
                r["SouthBoundingCoordinate"],
                r["EastBoundingCoordinate"],
                r["NorthBoundingCoordinate"],
            )
        )
    for poly in geometry.get("GPolygons", []):
        pts = poly["Boundary"]["Points"]
        lons, lats = [p["Longitude"] for p in pts], [p["Latitude"] for p in pts]
        out.append((min(lons), min(lats), max(lons), max(lats)))
    return out


def _lon_ranges(w: float, e: float) -> list[tuple[float, float]]:
    return [(w, 180.0), (-180.0, e)] if w > e else [(w, e)]


def _box_hit(box: Sequence[float], query: Sequence[float]) -> bool:
    if box[1] > query[3] or query[1] > box[3]:
        return False
    return any(
        a0 <= b1 and b0 <= a1
        for a0, a1 in _lon_ranges(box[0], box[2])
        for b0, b1 in _lon_ranges(query[0], query[2])
    )


def _time_range(item: Mapping[str, Any]) -> tuple[datetime | None, datetime | None] | None:
    umm = item["umm"]
    if "TemporalExtent" in umm:  # granule
        rng = umm["TemporalExtent"].get("RangeDateTime", {})
        return _parse_time(rng.get("BeginningDateTime", "")), _parse_time(
            rng.get("EndingDateTime", "")
        )
    starts, ends = [], []
    for ext in umm.get("TemporalExtents", []):
        for rng in ext.get("RangeDateTimes", []):
            starts.append(_parse_time(rng.get("BeginningDateTime", "")))
            ends.append(
                None if ext.get("EndsAtPresentFlag") else _parse_time(rng.get("EndingDateTime", ""))
            )
    if not starts:
        return None
    return min(s for s in starts if s), (None if None in ends else max(ends))


def _matches(route: str, item: Mapping[str, Any], params: Mapping[str, list[str]]) -> bool:
    umm, meta = item["umm"], item["meta"]
    text_eq = lambda a, b: str(a or "").lower() == b.lower()  # noqa: E731
    for key, values in params.items():
        value = values[-1]
        if key == "page_size":
            continue
        if key == "provider" and not text_eq(meta.get("provider-id"), value):
            return False
        if key == "concept_id" and meta.get("concept-id") not in values:
            return False
        if key == "collection_concept_id" and meta.get("collection-concept-id") not in values:
            return False
        ref = umm.get("CollectionReference", {}) if route == "granules" else umm
        if key == "short_name" and not text_eq(ref.get("ShortName"), value):
            return False
        if key == "version" and not text_eq(ref.get("Version"), value):
            return False
        if key == "entry_title" and not text_eq(ref.get("EntryTitle"), value):
            return False
        if key == "keyword":
            blob = json.dumps(umm).lower()
            if not all(word in blob for word in value.lower().replace("*", " ").split()):
                return False
        if key == "cloud_hosted" and ("DirectDistributionInformation" in umm) != (value == "true"):
            return False
        if key == "bounding_box":
            query = [float(v) for v in value.split(",")]
            if not any(_box_hit(b, query) for b in _boxes(umm)):
                return False
        if key == "temporal":
            span = _time_range(item)
            for rng in values:
                start_text, _, end_text = rng.partition(",")
                q0, q1 = _parse_time(start_text), _parse_time(end_text)
                if span is None or span[0] is None:
                    return False
                if (q1 and span[0] > q1) or (q0 and span[1] and span[1] < q0):
                    return False
    return True


# -- the server ---------------------------------------------------------------------------------


class LoopbackCMR:
    """The running server: its URLs, datasets and the log of requests it received."""

    def __init__(self, default: _Dataset) -> None:
        self._datasets: dict[str, _Dataset] = {"default": default}
        self._lock = threading.Lock()
        self._counters: dict[str, int] = {}
        self.requests: list[RecordedRequest] = []
        handler = type("Handler", (_Handler,), {"cmr": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def root(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return f"http://127.0.0.1:{self.port}"

    def url(self, *, fault: str | None = None, dataset: str | None = None, **options: Any) -> str:
        """A CMR base URL (ending in ``/search/``) with its own id, and optional fault/dataset."""
        parts = {"id": uuid.uuid4().hex[:10]}
        if fault:
            if fault not in FAULT_DEFAULTS:
                raise ValueError(f"unknown fault {fault!r}; known: {', '.join(FAULT_DEFAULTS)}")
            parts.update({"fault": fault, **FAULT_DEFAULTS[fault]})
        if dataset:
            parts["dataset"] = dataset
        parts.update({k: str(v) for k, v in options.items()})
        segment = ",".join(f"{k}={v}" for k, v in parts.items())
        return f"{self.root}/{segment}/search/"

    def requests_for(self, base_url: str) -> list[RecordedRequest]:
        """Requests received under ``base_url`` (as returned by :meth:`url`)."""
        tag = urlsplit(base_url).path.strip("/").split("/")[0]
        with self._lock:
            return [r for r in self.requests if r.tag == tag]

    def add_dataset(
        self,
        name: str,
        collections: Sequence[Mapping[str, Any]] = (),
        granules: Sequence[Mapping[str, Any]] = (),
    ) -> None:
        """Serve these CMR items under ``url(dataset=name)``."""
        with self._lock:
            self._datasets[name] = _Dataset(
                [json.loads(json.dumps(c)) for c in collections],
                [json.loads(json.dumps(g)) for g in granules],
            )

    def stop(self) -> None:
        """Shut the server down."""
        self._server.shutdown()
        self._server.server_close()

    # used by the handler ----------------------------------------------------------------------

    def _count(self, tag: str) -> int:
        with self._lock:
            self._counters[tag] = self._counters.get(tag, 0) + 1
            return self._counters[tag]

    def _dataset(self, name: str) -> _Dataset | None:
        with self._lock:
            return self._datasets.get(name)

    def _log(self, request: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(request)


def _options(tag: str) -> dict[str, str]:
    if tag in FAULT_DEFAULTS:
        return {"fault": tag, **FAULT_DEFAULTS[tag]}
    return dict(part.split("=", 1) for part in tag.split(",") if "=" in part)


def _cursor(offset: int, signature: str) -> str:
    return base64.urlsafe_b64encode(json.dumps([offset, signature]).encode()).decode()


class _Handler(BaseHTTPRequestHandler):
    cmr: LoopbackCMR
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet server
        pass

    def _send(self, status: int, body: Any, headers: Mapping[str, str] | None = None) -> None:
        payload = body if isinstance(body, bytes) else json.dumps(body).encode()
        try:
            self.send_response(status)
            content_type = CONTENT_TYPE if status == 200 else "application/json"
            if isinstance(body, bytes):
                content_type = "text/html"
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout tests)
            pass

    def do_GET(self) -> None:  # noqa: N802 - http.server API
        parts = urlsplit(self.path)
        segments = parts.path.strip("/").split("/")
        tag = segments[0] if len(segments) == 3 else ""
        route_file = segments[-1]
        search_after = self.headers.get("CMR-Search-After")
        params = {
            k.removesuffix("[]"): v
            for k, v in parse_qs(parts.query, keep_blank_values=True).items()
        }
        frozen = {k: tuple(v) for k, v in params.items()}

        def reply(
            status: int,
            body: Any,
            headers: Mapping[str, str] | None = None,
            returned: tuple[str, ...] = (),
        ) -> None:
            self.cmr._log(RecordedRequest(tag, route, frozen, search_after, status, returned))
            self._send(status, body, headers)

        route = route_file.removesuffix(".umm_json")
        if (
            len(segments) < 2
            or segments[-2] != "search"
            or route not in ROUTE_PARAMS
            or not route_file.endswith(".umm_json")
        ):
            reply(404, {"errors": [f"The requested resource [{parts.path}] was not found."]})
            return
        options = _options(tag)
        fault = options.get("fault")
        if fault == "slow":
            time.sleep(float(options["delay"]))
        failing = fault in ("flaky503", "ratelimit", "error500")
        if failing and self.cmr._count(tag) <= int(options["times"]):
            if fault == "flaky503":
                reply(503, b"<html><body>503 Service Temporarily Unavailable</body></html>")
            elif fault == "error500":
                reply(500, {"errors": ["An Internal Error has occurred."]})
            else:
                headers = {"Retry-After": options["retry_after"]}
                reply(429, {"errors": ["Too many requests."]}, headers)
            return
        unknown = sorted(set(params) - ROUTE_PARAMS[route])
        if unknown:
            reply(400, {"errors": [f"Parameter [{p}] was not recognized." for p in unknown]})
            return
        try:
            page_size = int(params.get("page_size", ["10"])[-1])
            if not 0 <= page_size <= 2000:
                raise ValueError
        except ValueError:
            reply(400, {"errors": ["page_size must be a number between 0 and 2000"]})
            return
        dataset = self.cmr._dataset(options.get("dataset", "default"))
        if dataset is None:
            reply(404, {"errors": [f"no dataset {options.get('dataset')!r} on this test server"]})
            return
        pool = dataset.collections if route == "collections" else dataset.granules
        try:
            matches = [item for item in pool if _matches(route, item, params)]
        except (ValueError, KeyError) as exc:
            reply(400, {"errors": [f"Invalid parameter value: {exc}"]})
            return
        query_sig = hashlib.sha1(
            json.dumps(sorted((k, v) for k, v in params.items() if k != "page_size")).encode()
        ).hexdigest()[:12]
        offset = 0
        if search_after:
            try:
                offset, signature = json.loads(base64.urlsafe_b64decode(search_after))
                if signature != query_sig:
                    raise ValueError
            except ValueError:
                reply(
                    400,
                    {"errors": ["The provided search-after value is not valid for this query."]},
                )
                return
        page = matches[offset : offset + page_size] if page_size else []
        headers = {"CMR-Hits": str(len(matches)), "CMR-Took": "3"}
        if page:
            headers["CMR-Search-After"] = _cursor(offset + len(page), query_sig)
        body = {"hits": len(matches), "took": 3, "items": page}
        reply(200, body, headers, tuple(_concept_id(i) for i in page))


@pytest.fixture(scope="session", name="cmr_server")
def cmr_server_fixture(fixtures_dir: Path) -> Iterator[LoopbackCMR]:
    """``cmr_server``: a CMR-like search server on 127.0.0.1 replaying recorded real responses.

    Until ``tests.plugins.cmr_server`` is listed in ``tests/conftest.py``'s ``pytest_plugins``,
    test modules import it: ``from tests.plugins.cmr_server import cmr_server_fixture  # noqa: F401``.
    """
    server = LoopbackCMR(load_fixture_dataset(fixtures_dir))
    try:
        yield server
    finally:
        server.stop()
