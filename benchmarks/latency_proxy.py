"""A reverse proxy on 127.0.0.1 that makes a loopback server look like a remote one.

Each request waits a set **first-byte latency** before it is forwarded to the upstream server
(moto's S3, a byte-range file server), and its response body is sent at no more than a set
**bandwidth** per request. The proxy counts what crosses it: requests (by method), response body
bytes, and the **peak number of requests in flight** (from the arrival of a request to the last
byte of its answer). Its own endpoints, not counted and not delayed, let another process read and
reset the counters and switch the profile: ``GET /__proxy__/stats``, ``POST /__proxy__/reset``,
``POST /__proxy__/profile?name=s3-in-region``.

:class:`FileServer` is the byte-range HTTP server used for HTTPS-like reads (aiohttp's
``FileResponse``: ``Range``, ``HEAD``, ``206``). Both run on one asyncio loop in a background
thread (:class:`Servers`), or as their own process: ``python -m benchmarks.latency_proxy
--upstream http://127.0.0.1:PORT --port P [--files DIR --files-port Q] --profile local``.

Example:
    >>> PROFILES["s3-in-region"].latency_s
    0.02
    >>> stats = Stats()
    >>> stats.begin("GET"); stats.begin("GET"); stats.end(100); stats.end(50)
    >>> stats.snapshot()["peak_in_flight"], stats.snapshot()["bytes"]
    (2, 150)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CONTROL = "/__proxy__"
HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailers",
    "transfer-encoding",
    "upgrade",
}
BODY_PIECE = 64 * 1024
RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
LOG_LIMIT = 200_000


@dataclass(frozen=True)
class Profile:
    """A network profile: first-byte latency (s) and bandwidth per request (bytes/s, None: no
    limit)."""

    name: str
    latency_s: float
    bandwidth: float | None
    title: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "latency_ms": self.latency_s * 1000,
            "bandwidth_MBps": None if self.bandwidth is None else self.bandwidth / 1e6,
            "title": self.title,
        }


# In-region S3: ~10-30 ms to the first byte, ~90 MB/s per connection; remote HTTPS: 50-150 ms,
# ~25 MB/s per connection (issue #16).
PROFILES = {
    "local": Profile("local", 0.0, None, "loopback, no added latency"),
    "s3-in-region": Profile("s3-in-region", 0.020, 90e6, "20 ms first byte, 90 MB/s per request"),
    "https-remote": Profile("https-remote", 0.080, 25e6, "80 ms first byte, 25 MB/s per request"),
}


def profile_of(name: str) -> Profile:
    try:
        return PROFILES[name]
    except KeyError:
        raise ValueError(f"unknown profile {name!r}; known: {', '.join(PROFILES)}") from None


class Stats:
    """Requests, bytes and requests in flight (thread-safe; the proxy's loop and readers)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._methods: Counter[str] = Counter()
        self._statuses: Counter[int] = Counter()
        self._bytes = 0
        self._in_flight = 0
        self._peak = 0
        self._first: float | None = None
        self._last: float | None = None
        self._log: list[tuple[str, str, str, int, float, float]] = []

    def begin(self, method: str) -> None:
        with self._lock:
            self._methods[method] += 1
            self._in_flight += 1
            self._peak = max(self._peak, self._in_flight)
            now = time.monotonic()
            self._first = now if self._first is None else self._first

    def end(self, body_bytes: int, status: int = 200) -> None:
        with self._lock:
            self._in_flight -= 1
            self._bytes += body_bytes
            self._statuses[status] += 1
            self._last = time.monotonic()

    def reset(self) -> None:
        with self._lock:
            self._methods.clear()
            self._statuses.clear()
            self._bytes = 0
            self._peak = self._in_flight
            self._first = self._last = None
            self._log.clear()

    def record(self, method: str, path: str, byte_range: str, sent: int, started: float) -> None:
        """Keep one answered request for :meth:`log` (the last :data:`LOG_LIMIT`)."""
        with self._lock:
            if len(self._log) > LOG_LIMIT:
                del self._log[: LOG_LIMIT // 2]
            self._log.append((method, path, byte_range, sent, started, time.monotonic()))

    def log(self) -> list[dict[str, Any]]:
        """The answered requests: method, path, range, body bytes, start and end (monotonic s)."""
        with self._lock:
            rows = list(self._log)
        keys = ("method", "path", "range", "bytes", "start", "end")
        return [dict(zip(keys, row, strict=True)) for row in rows]

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            busy = (self._last - self._first) if self._first and self._last else 0.0
            return {
                "requests": sum(self._methods.values()),
                "methods": dict(self._methods),
                "statuses": {str(k): v for k, v in self._statuses.items()},
                "bytes": self._bytes,
                "peak_in_flight": self._peak,
                "in_flight": self._in_flight,
                "busy_s": busy,
            }


class LatencyProxy:
    """Forwards every request to ``upstream`` after the profile's latency, at its bandwidth.

    ``mirror`` maps URL path prefixes (``/bucket/granules/``) to local folders holding the same
    objects: ``GET``/``HEAD`` under them are answered by the proxy itself, as an object store
    would (``206`` + ``Content-Range``, ``ETag``, ``Last-Modified``), after the same latency and
    at the same bandwidth. moto's server (Python, several ms of CPU per request on the machine
    that also runs the client) is then only asked for the store's own objects.
    """

    def __init__(
        self, upstream: str, profile: Profile, mirror: Mapping[str, Path] | None = None
    ) -> None:
        self.upstream = upstream.rstrip("/")
        self.profile = profile
        self.mirror = {prefix: Path(folder) for prefix, folder in (mirror or {}).items()}
        self.stats = Stats()
        self._session: Any = None

    def _mirrored(self, request: Any) -> Path | None:
        if request.method not in ("GET", "HEAD"):
            return None
        for prefix, folder in self.mirror.items():
            if request.path.startswith(prefix):
                name = request.path[len(prefix) :]
                if name and "/" not in name and ".." not in name:
                    return folder / name
        return None

    async def _serve_file(self, request: Any, path: Path) -> tuple[Any, int, int]:
        """An object store's answer for ``path``: the response, its status and body bytes."""
        from email.utils import formatdate

        from aiohttp import web

        try:
            info = path.stat()
        except OSError:
            return web.Response(status=404), 404, 0
        size = info.st_size
        headers = {
            "ETag": f'"{size:x}-{info.st_mtime_ns:x}"',
            "Last-Modified": formatdate(info.st_mtime, usegmt=True),
            "Accept-Ranges": "bytes",
            "Content-Type": "application/octet-stream",
        }
        start, end, status = 0, size - 1, 200
        match = RANGE.match(request.headers.get("Range", ""))
        if match:
            first, last = match.groups()
            if first:
                start, end = int(first), min(int(last) if last else size - 1, size - 1)
            else:
                start, end = max(0, size - int(last)), size - 1
            if start > end:
                return web.Response(status=416, headers=headers), 416, 0
            status = 206
            headers["Content-Range"] = f"bytes {start}-{end}/{size}"
        headers["Content-Length"] = str(end - start + 1)
        response = web.StreamResponse(status=status, headers=headers)
        await response.prepare(request)
        if request.method == "HEAD":
            await response.write_eof()
            return response, status, 0
        with path.open("rb") as handle:
            handle.seek(start)
            body = handle.read(end - start + 1)
        sent = await self._send(
            response, [body[i : i + BODY_PIECE] for i in range(0, len(body), BODY_PIECE)]
        )
        await response.write_eof()
        return response, status, sent

    async def _send(self, response: Any, pieces: Any) -> int:
        """Write the body at no more than the profile's bandwidth; the bytes sent."""
        sent, started = 0, time.monotonic()
        bandwidth = self.profile.bandwidth
        async for piece in _aiter(pieces):
            await response.write(piece)
            sent += len(piece)
            if bandwidth:
                ahead = sent / bandwidth - (time.monotonic() - started)
                if ahead > 0.001:
                    await asyncio.sleep(ahead)
        return sent

    async def handle(self, request: Any) -> Any:
        from aiohttp import web

        if request.path.startswith(CONTROL):
            return await self._control(request)
        if self._session is None:
            import aiohttp

            # no connection limit: the client under test decides how many requests are in flight
            connector = aiohttp.TCPConnector(limit=0, force_close=False)
            self._session = aiohttp.ClientSession(
                connector=connector, auto_decompress=False, skip_auto_headers=("User-Agent",)
            )
        profile = self.profile
        self.stats.begin(request.method)
        sent, status, arrived = 0, 0, time.monotonic()
        try:
            body = await request.read()
            if profile.latency_s:
                await asyncio.sleep(profile.latency_s)
            local = self._mirrored(request)
            if local is not None:
                response, status, sent = await self._serve_file(request, local)
                return response
            headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP}
            async with self._session.request(
                request.method,
                self.upstream + request.path_qs,
                headers=headers,
                data=body or None,
                allow_redirects=False,
            ) as answer:
                status = answer.status
                response = web.StreamResponse(status=answer.status, reason=answer.reason)
                for key, value in answer.headers.items():
                    if key.lower() not in HOP_BY_HOP:
                        response.headers.add(key, value)
                await response.prepare(request)
                sent = await self._send(response, answer.content.iter_chunked(BODY_PIECE))
                await response.write_eof()
                return response
        finally:
            self.stats.end(sent, status)
            byte_range = request.headers.get("Range", "")
            self.stats.record(request.method, request.path, byte_range, sent, arrived)

    async def _control(self, request: Any) -> Any:
        from aiohttp import web

        action = request.path[len(CONTROL) :].strip("/")
        if action == "stats":
            return web.json_response(self.stats.snapshot() | {"profile": self.profile.to_dict()})
        if action == "log":
            return web.json_response(self.stats.log())
        if action == "reset" and request.method == "POST":
            self.stats.reset()
            return web.json_response({"ok": True})
        if action == "profile" and request.method == "POST":
            try:
                self.profile = profile_of(request.query.get("name", ""))
            except ValueError as exc:
                return web.json_response({"error": str(exc)}, status=400)
            return web.json_response(self.profile.to_dict())
        return web.json_response({"error": f"unknown control {action!r}"}, status=404)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()


async def _aiter(pieces: Any) -> Any:
    """An async iterator over ``pieces`` (a list or an async iterator)."""
    if hasattr(pieces, "__aiter__"):
        async for piece in pieces:
            yield piece
    else:
        for piece in pieces:
            yield piece


class FileServer:
    """Serves the files under ``root`` with byte ranges (``GET``/``HEAD``; ``206`` for ranges)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root).resolve()

    async def handle(self, request: Any) -> Any:
        from aiohttp import web

        tail = request.match_info["tail"]
        parts = Path(tail).parts
        path = self.root.joinpath(*parts)  # symbolic links under the root are followed
        if not parts or ".." in parts or Path(tail).is_absolute() or not path.is_file():
            raise web.HTTPNotFound()
        return web.FileResponse(path, chunk_size=BODY_PIECE)


class Servers:
    """The proxies (and a file server) on one asyncio loop in a daemon thread, on 127.0.0.1."""

    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._runners: list[Any] = []
        self._closers: list[Any] = []
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()

    def _run(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(60)

    def proxy(
        self,
        upstream: str,
        profile: str | Profile = "local",
        port: int = 0,
        mirror: Mapping[str, Path] | None = None,
    ) -> Endpoint:
        """A :class:`LatencyProxy` in front of ``upstream``; its endpoint (``port`` 0: any)."""
        chosen = profile if isinstance(profile, Profile) else profile_of(profile)
        proxy = LatencyProxy(upstream, chosen, mirror)
        self._closers.append(proxy.close)
        return Endpoint(self._run(self._serve(proxy.handle, port)), proxy)

    def files(self, root: Path, port: int = 0) -> str:
        """A :class:`FileServer` for ``root``; its URL (``http://127.0.0.1:PORT``)."""
        port = self._run(self._serve(FileServer(root).handle, port, tail=True))
        return f"http://127.0.0.1:{port}"

    async def _serve(self, handler: Any, port: int, tail: bool = False) -> int:
        from aiohttp import web

        app = web.Application(client_max_size=1 << 30)
        app.router.add_route("*", "/{tail:.*}", handler)
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", port, backlog=1024, reuse_address=True)
        await site.start()
        self._runners.append(runner)
        return int(site._server.sockets[0].getsockname()[1])  # type: ignore[union-attr]

    def close(self) -> None:
        async def stop() -> None:
            for close in self._closers:
                await close()
            for runner in self._runners:
                await runner.cleanup()

        try:
            self._run(stop())
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)


@dataclass(frozen=True)
class Endpoint:
    """A running proxy: its port and the proxy itself (in-process use)."""

    port: int
    proxy: LatencyProxy

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


# -- clients of the control endpoints (from any process) ----------------------------------------
def _control(url: str, action: str, method: str = "GET", query: str = "") -> Any:
    target = f"{url.rstrip('/')}{CONTROL}/{action}{'?' + query if query else ''}"
    request = urllib.request.Request(target, method=method, data=b"" if method == "POST" else None)
    with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310 (loopback)
        return json.loads(answer.read())


def read_stats(url: str) -> dict[str, Any]:
    """The counters of the proxy at ``url``."""
    stats: dict[str, Any] = _control(url, "stats")
    return stats


def read_log(url: str) -> list[dict[str, Any]]:
    """The requests the proxy at ``url`` answered since its last reset."""
    rows: list[dict[str, Any]] = _control(url, "log")
    return rows


def reset_stats(url: str) -> None:
    """Reset the counters of the proxy at ``url``."""
    _control(url, "reset", "POST")


def set_profile(url: str, name: str) -> None:
    """Switch the proxy at ``url`` to the profile ``name``."""
    _control(url, "profile", "POST", f"name={name}")


def main(argv: list[str] | None = None) -> int:
    """Run a proxy (and optionally a file server behind a second proxy) until killed."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.latency_proxy")
    parser.add_argument("--upstream", help="the server to forward to (http://127.0.0.1:PORT)")
    parser.add_argument("--port", type=int, default=0, help="the proxy's port (0: any)")
    parser.add_argument("--files", help="also serve this folder, behind a second proxy")
    parser.add_argument("--files-port", type=int, default=0, help="that proxy's port")
    parser.add_argument("--profile", default="local", choices=sorted(PROFILES))
    args = parser.parse_args(argv)
    servers = Servers()
    ports: dict[str, int] = {}
    if args.upstream:
        ports["proxy"] = servers.proxy(args.upstream, args.profile, args.port).port
    if args.files:
        files = servers.files(Path(args.files))
        ports["files_proxy"] = servers.proxy(files, args.profile, args.files_port).port
    print(json.dumps(ports), flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        servers.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
