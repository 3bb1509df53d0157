"""A real HTTP file server on 127.0.0.1 that answers byte ranges and counts the bytes it sends.

Used to measure what a read really costs: every response body is counted per file, so a test can
compare the bytes that crossed the wire with the chunk sizes in a manifest. ``GET`` and ``HEAD``
with a single ``Range: bytes=a-b`` (also ``a-`` and ``-n``) are answered with ``206`` and a
``Content-Range``, as object stores expect; missing files give ``404``.

Example::

    def test_reads(serve_files, tmp_path):
        server = serve_files(tmp_path)          # http://127.0.0.1:PORT/ serves tmp_path
        requests.get(server.url + "a.nc", headers={"Range": "bytes=0-9"})
        assert server.bytes_sent() == 10
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


@dataclass(frozen=True)
class ServedRequest:
    """One request the server answered."""

    method: str
    path: str
    range: str | None
    status: int
    body_bytes: int


class CountingFileServer(ThreadingHTTPServer):
    """Serves the files under ``root`` on 127.0.0.1 and counts the body bytes sent per file."""

    daemon_threads = True

    def __init__(self, root: Path) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.root = Path(root).resolve()
        self._lock = threading.Condition()
        self._log: list[ServedRequest] = []
        self._in_flight = 0  # requests being answered: the log waits for them
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT/`` (the root folder)."""
        return f"http://127.0.0.1:{self.server_address[1]}/"

    def url_of(self, path: Path) -> str:
        """The URL that serves the local file ``path`` (which must be under ``root``)."""
        return self.url + Path(path).resolve().relative_to(self.root).as_posix()

    @property
    def requests(self) -> list[ServedRequest]:
        """The requests answered so far, once those still being answered have finished (a
        client can read a whole body before the server thread records it)."""
        with self._lock:
            self._lock.wait_for(lambda: self._in_flight == 0, timeout=10)
            return list(self._log)

    def bytes_sent(self, path: str | None = None) -> int:
        """Body bytes sent in total, or for one file (a path relative to ``root``)."""
        return sum(r.body_bytes for r in self.requests if path is None or r.path == path)

    def bytes_per_file(self) -> dict[str, int]:
        """Body bytes sent per file path (relative to ``root``)."""
        out: dict[str, int] = {}
        for r in self.requests:
            out[r.path] = out.get(r.path, 0) + r.body_bytes
        return out

    def reset(self) -> None:
        """Forget the requests seen so far."""
        with self._lock:
            self._lock.wait_for(lambda: self._in_flight == 0, timeout=10)
            self._log.clear()

    def _begin(self) -> None:
        with self._lock:
            self._in_flight += 1

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients that hang up early (retries, cancelled reads) are not errors worth a traceback."""
        import sys

        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
        self._thread.join(timeout=10)

    def _record(self, request: ServedRequest) -> None:
        with self._lock:
            self._log.append(request)

    def _end(self) -> None:
        with self._lock:
            self._in_flight -= 1
            self._lock.notify_all()


class _Handler(BaseHTTPRequestHandler):
    server: CountingFileServer
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in separate writes: no 40 ms stalls

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet server
        pass

    def do_HEAD(self) -> None:  # noqa: N802 - http.server API
        self._serve(body=False)

    def do_GET(self) -> None:  # noqa: N802 - http.server API
        self._serve(body=True)

    def _serve(self, *, body: bool) -> None:
        self.server._begin()
        try:
            self._answer(body=body)
        finally:
            self.server._end()

    def _answer(self, *, body: bool) -> None:
        rel = unquote(urlsplit(self.path).path).lstrip("/")
        path = (self.server.root / rel).resolve()
        header = self.headers.get("Range")
        if not path.is_relative_to(self.server.root) or not path.is_file():
            self._reply(404, rel, header, b"not found", body)
            return
        size = path.stat().st_size
        start, end = 0, size - 1
        status = 200
        if header:
            match = _RANGE.match(header.strip())
            if not match or match.groups() == ("", ""):
                self._reply(416, rel, header, b"bad range", body, {"Content-Range": f"*/{size}"})
                return
            first, last = match.groups()
            if first:
                start, end = int(first), min(int(last), size - 1) if last else size - 1
            else:  # a suffix: the last N bytes
                start = max(0, size - int(last))
            if start >= size or start > end:
                self._reply(416, rel, header, b"", body, {"Content-Range": f"bytes */{size}"})
                return
            status = 206
        length = end - start + 1
        headers = {"Accept-Ranges": "bytes", "Content-Type": "application/octet-stream"}
        if status == 206:
            headers["Content-Range"] = f"bytes {start}-{end}/{size}"
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(length))
        self.end_headers()
        sent = 0
        if body:
            try:
                with path.open("rb") as f:
                    f.seek(start)
                    sent = _copy(f, self.wfile, length)
            except (BrokenPipeError, ConnectionResetError):  # the client went away
                pass
        self.server._record(ServedRequest(self.command, rel, header, status, sent))

    def _reply(
        self,
        status: int,
        rel: str,
        header: str | None,
        payload: bytes,
        body: bool,
        extra: dict[str, str] | None = None,
    ) -> None:
        self.send_response(status)
        for key, value in (extra or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.server._record(ServedRequest(self.command, rel, header, status, 0))
        if body:
            self.wfile.write(payload)


def _copy(src: Any, dst: Any, length: int) -> int:
    """Copy ``length`` bytes and return how many were written."""
    sent = 0
    while sent < length:
        block = src.read(min(1 << 20, length - sent))
        if not block:
            break
        dst.write(block)
        sent += len(block)
    return sent


@pytest.fixture(scope="session")
def serve_files() -> Iterator[Callable[[Path], CountingFileServer]]:
    """Start a :class:`CountingFileServer` for a folder; every server is stopped at the end."""
    servers: list[CountingFileServer] = []

    def start(root: Path) -> CountingFileServer:
        server = CountingFileServer(root)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()
