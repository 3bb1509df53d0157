"""The servers of the latency-realistic benchmark, and a collection put on them.

- **S3**: moto's server (``moto_server``, its own process) holds an Icechunk store built by
  ``vstore-explorer build`` (``s3://bench/stores/<SST>.icechunk``) over the granules'
  ``s3://bench/granules/<SST>/`` URLs. Reads of the granules are answered by the S3 proxy itself
  from their folder (``mirror``, the default; :class:`~benchmarks.latency_proxy.LatencyProxy`),
  since moto's Python server spends several ms of CPU per request on the 2 cores the client
  uses too; ``mirror=False`` uploads them to moto, which serves them. Clients reach it through a
  :class:`~benchmarks.latency_proxy.LatencyProxy` on a **fixed port** (:data:`S3_PROXY_PORT`):
  the store's virtual chunk container keeps the endpoint it was built with, so the store, built
  once and cached on disk (``<cache>/remote/<collection>/built-s3-<port>.icechunk``), is only
  valid behind a proxy on that port. moto keeps objects in memory: they are uploaded on each run.
- **HTTP**: a byte-range file server (:class:`~benchmarks.latency_proxy.FileServer`) behind a
  second proxy serves the same granules (``/granules/<SST>/``) and the collection's Kerchunk JSON,
  its references rewritten from ``file://`` paths to that server's URLs (``/refs/<SST>.json``),
  from a folder of this run's own (``<cache>/remote/http-*``, removed at the end).

Both proxies switch profile together (:meth:`Remote.set_profile`); the measured client is another
process, which reads and resets the proxies' counters through their control endpoints.

Example:
    >>> remote = Remote.start(Path("benchmarks/work"))  # doctest: +SKIP
    >>> sources = remote.put(prepared)  # doctest: +SKIP
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from benchmarks.demo_data import SST, Prepared
from benchmarks.latency_proxy import Servers, reset_stats, set_profile

S3_PROXY_PORT = 47617
"""The S3 proxy's port: the built store's container endpoint (``http://127.0.0.1:PORT``)."""
BUCKET = "bench"
REGION = "us-east-1"
KEY = "testing"  # moto accepts any keys

PUBLIC_READ = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": ["s3:GetObject", "s3:HeadObject", "s3:ListBucket"],
                "Resource": [f"arn:aws:s3:::{BUCKET}", f"arn:aws:s3:::{BUCKET}/*"],
            }
        ],
    }
)

Say = Callable[[str], None]


@dataclass(frozen=True)
class RemoteSources:
    """Where the paths find the collection on the servers (plain strings: sent to children)."""

    s3_endpoint: str  # the S3 proxy
    http_endpoint: str  # the HTTP proxy
    store: str  # s3:// URL of the `vstore-explorer build` store
    container: str  # its virtual chunk container (s3://bench/granules/<SST>/)
    refs: str  # http:// URL of the rewritten Kerchunk JSON
    granules: tuple[str, ...]  # http:// URLs of the granules, in time order
    count: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RemoteSources:
        return cls(**{**data, "granules": tuple(data["granules"])})


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {seconds:.0f} s")


def s3_env() -> dict[str, str]:
    """The environment of a process reading moto's S3 (static test keys, the region)."""
    return {
        "AWS_ACCESS_KEY_ID": KEY,
        "AWS_SECRET_ACCESS_KEY": KEY,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
    }


class Remote:
    """moto (a process), the S3 and HTTP proxies and the file server (threads of this one)."""

    def __init__(
        self,
        cache: Path,
        moto: subprocess.Popen[bytes],
        moto_port: int,
        mirror: bool = True,
        s3_port: int = S3_PROXY_PORT,
    ) -> None:
        self.cache = cache
        self.mirror = mirror
        self.s3_port = s3_port
        self.moto = moto
        self.moto_url = f"http://127.0.0.1:{moto_port}"
        # the HTTP server's root, this instance's own (links to the granules, rewritten refs)
        (cache / "remote").mkdir(parents=True, exist_ok=True)
        self.stage = Path(tempfile.mkdtemp(prefix="http-", dir=cache / "remote"))
        self.servers = Servers()
        try:
            self.s3 = self.servers.proxy(self.moto_url, "local", s3_port)
        except OSError as exc:
            self.close()
            raise RuntimeError(
                f"the S3 proxy needs 127.0.0.1:{s3_port} (the built store's endpoint): {exc}"
            ) from exc
        self.http = self.servers.proxy(self.servers.files(self.stage), "local")

    @classmethod
    def start(cls, cache: Path, mirror: bool = True, s3_port: int = S3_PROXY_PORT) -> Remote:
        """moto and the proxies. ``mirror``: the S3 proxy answers reads of the granules from
        their folder itself (moto keeps only the store); else moto holds and serves them too."""
        port = free_port()
        moto_server = Path(sys.executable).with_name("moto_server")
        moto = subprocess.Popen(
            [str(moto_server), "-H", "127.0.0.1", "-p", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(port)
        return cls(cache.resolve(), moto, port, mirror, s3_port)

    def close(self) -> None:
        try:
            if getattr(self, "servers", None) is not None:
                self.servers.close()
        finally:
            self.moto.terminate()
            self.moto.wait(30)
            shutil.rmtree(self.stage, ignore_errors=True)

    @property
    def proxies(self) -> tuple[str, str]:
        return (self.s3.url, self.http.url)

    def set_profile(self, name: str) -> None:
        for url in self.proxies:
            set_profile(url, name)

    def reset(self) -> None:
        for url in self.proxies:
            reset_stats(url)

    def client(self, endpoint: str | None = None) -> Any:
        import boto3
        from botocore.config import Config

        return boto3.client(
            "s3",
            endpoint_url=endpoint or self.moto_url,
            region_name=REGION,
            aws_access_key_id=KEY,
            aws_secret_access_key=KEY,
            config=Config(max_pool_connections=16),
        )

    # -- putting a collection on the servers ------------------------------------------------
    def put(self, prepared: Prepared, say: Say) -> tuple[RemoteSources, dict[str, float]]:
        """Upload the granules and the built store to S3, stage them for HTTP; the sources and
        the seconds each step took."""
        timings: dict[str, float] = {}
        client = self.client()
        client.create_bucket(Bucket=BUCKET)
        # a public bucket: the paths read anonymously (no signing); moto checks HEAD as
        # s3:HeadObject
        client.put_bucket_policy(Bucket=BUCKET, Policy=PUBLIC_READ)
        granules = sorted(Path(prepared.sources.granules).glob("*.nc"))
        prefix = f"granules/{SST}/"
        started = time.perf_counter()
        if self.mirror:  # answered by the S3 proxy from the granules' folder
            folder = Path(prepared.sources.granules).resolve()
            self.s3.proxy.mirror[f"/{BUCKET}/{prefix}"] = folder
        else:
            say(f"uploading {len(granules)} granules to s3://{BUCKET}/{prefix} (moto) ...")
            self._upload(client, [(p, prefix + p.name) for p in granules])
        timings["upload_granules_s"] = time.perf_counter() - started
        container = f"s3://{BUCKET}/{prefix}"
        key = f"stores/{prepared.root.name}.icechunk"
        started = time.perf_counter()
        timings["cli_build_s"] = self._built_store(client, prepared, container, key, granules, say)
        timings["store_s"] = time.perf_counter() - started
        refs = self._stage_http(prepared, granules)
        sources = RemoteSources(
            s3_endpoint=self.s3.url,
            http_endpoint=self.http.url,
            store=f"s3://{BUCKET}/{key}",
            container=container,
            refs=f"{self.http.url}/{refs}",
            granules=tuple(f"{self.http.url}/granules/{SST}/{p.name}" for p in granules),
            count=len(granules),
        )
        return sources, timings

    def _upload(self, client: Any, pairs: list[tuple[Path, str]]) -> None:
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda pair: client.upload_file(str(pair[0]), BUCKET, pair[1]), pairs))

    def _built_store(
        self,
        client: Any,
        prepared: Prepared,
        container: str,
        key: str,
        granules: list[Path],
        say: Say,
    ) -> float:
        """``s3://bench/<key>``: ``vstore-explorer build --anonymous`` of the granules' s3:// URLs
        (read through the S3 proxy, ``local`` profile) into a local folder, cached, then uploaded
        (moto forgets objects between runs). The seconds the build took (0 when cached).

        The CLI cannot write the store to S3 here: it reads S3 credentials from the environment
        for the store but then finds none for the granules' container (and ``--anonymous``
        cannot write). A store built on a local disk keeps Icechunk's local storage settings in
        its config (chunks fetched in 4 kB parts), as any store uploaded after a local build.
        """
        import icechunk

        cache = self.cache / "remote" / prepared.root.name / f"built-s3-{self.s3_port}.icechunk"
        done_marker = cache.with_suffix(".complete")
        seconds = 0.0
        if not (
            done_marker.is_file()
            and icechunk.Repository.exists(icechunk.local_filesystem_storage(str(cache)))
        ):
            shutil.rmtree(cache, ignore_errors=True)
            cache.parent.mkdir(parents=True, exist_ok=True)
            listing = cache.parent / "granules.txt"
            listing.write_text("".join(f"{container}{p.name}\n" for p in granules))
            say(f"building {cache} with `vstore-explorer build` ({len(granules)} granules on S3)")
            self.set_profile("local")
            command = [sys.executable, "-m", "vstore_explorer.cli", "build", "--from-file"]
            command += [str(listing), "--endpoint-url", self.s3.url, "--region", REGION]
            command += ["--anonymous", "--store", str(cache), "--container-prefix", container]
            # moto is refilled on every run: the granules are rewritten with identical bytes
            command += ["--no-change-check"]
            started = time.perf_counter()
            done = subprocess.run(
                command, capture_output=True, text=True, env={**os.environ, **s3_env()}
            )
            if done.returncode != 0:
                shutil.rmtree(cache, ignore_errors=True)
                raise RuntimeError(f"vstore-explorer build failed: {done.stderr[-3000:]}")
            seconds = time.perf_counter() - started
            done_marker.write_text(json.dumps({"cli_build_s": seconds, "granules": len(granules)}))
        files = [p for p in cache.rglob("*") if p.is_file()]
        self._upload(client, [(p, f"{key}/{p.relative_to(cache).as_posix()}") for p in files])
        return seconds

    def _stage_http(self, prepared: Prepared, granules: list[Path]) -> str:
        """Link the granules under the file server's root and write the Kerchunk JSON with its
        references pointing at the HTTP proxy; the JSON's path under the root."""
        folder = self.stage / "granules"
        folder.mkdir(parents=True, exist_ok=True)
        link = folder / SST
        if link.is_symlink() or link.exists():
            link.unlink()
        link.symlink_to(Path(prepared.sources.granules).resolve(), target_is_directory=True)
        refs = json.loads(Path(prepared.sources.kerchunk).read_text())
        base = f"{self.http.url}/granules/{SST}/"
        local = str(Path(prepared.sources.granules).resolve()) + "/"

        def rewrite(value: Any) -> Any:
            if isinstance(value, list) and value and isinstance(value[0], str):
                url = value[0]
                for old in ("file://" + local, local):
                    if url.startswith(old):
                        return [base + url[len(old) :], *value[1:]]
            return value

        refs["refs"] = {k: rewrite(v) for k, v in refs["refs"].items()}
        name = f"refs/{prepared.root.name}.json"
        (self.stage / "refs").mkdir(exist_ok=True)
        (self.stage / name).write_text(json.dumps(refs))
        return name
