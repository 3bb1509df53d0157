"""A real S3 server on 127.0.0.1 (moto's server, in a thread), plus the GLDAS granules and a store on it.

:class:`LoopbackS3` runs moto's WSGI app behind a small middleware that

* logs every request (method, bucket, key, signed or not, status) — :attr:`LoopbackS3.requests`;
* refuses unsigned (anonymous) requests with ``403 AccessDenied`` unless the bucket's policy
  allows that action for ``"*"`` — as AWS does, which moto alone does not check.

The server can be stopped and started again on the same port (:meth:`LoopbackS3.stop`,
:meth:`LoopbackS3.start`); moto keeps the buckets in the test process, so the data survives a
restart. Do not use ``moto.mock_aws`` in the same session: it resets those buckets.

Fixtures:
    ``s3_server``  the running server (session).
    ``s3_gldas``   the four real GLDAS granules uploaded to ``s3://granules/gldas/`` and an Icechunk
                   repo built from them at ``s3://stores/gldas.icechunk`` whose virtual chunk
                   container is ``s3://granules/`` (session).

Example::

    def test_read(s3_server, s3_gldas):
        handle = connect(s3_gldas.link, credentials=s3_server.credentials)
"""

from __future__ import annotations

import fnmatch
import json
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest

from tests.net import free_port
from vstore_explorer.catalog.links import StoreLink
from vstore_explorer.stores.access import Access, S3Credentials

REGION = "us-east-1"
KEY = "testing"
GLDAS_BUCKET = "granules"
STORE_BUCKET = "stores"


@dataclass(frozen=True)
class S3Request:
    """One request the S3 server received."""

    method: str
    bucket: str
    key: str
    signed: bool
    status: int


def public_read_policy(bucket: str, actions: Iterable[str] = ("s3:GetObject",)) -> str:
    """A bucket policy that lets anyone (``"*"``) do ``actions`` on the bucket and its objects."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "PublicRead",
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": list(actions),
                    "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
                }
            ],
        }
    )


def _action(method: str, key: str, query: dict[str, list[str]]) -> str:
    if method in ("GET", "HEAD"):
        return "s3:GetObject" if key else "s3:ListBucket"
    if method in ("PUT", "POST"):
        return "s3:PutObject" if key and "policy" not in query else "s3:PutBucketPolicy"
    return "s3:DeleteObject" if method == "DELETE" else f"s3:{method}"


def _allows_anyone(policy: bytes | str | None, action: str, bucket: str, key: str) -> bool:
    """Whether a bucket policy allows ``action`` on ``bucket``/``key`` for the principal ``*``."""
    if not policy:
        return False
    resource = f"arn:aws:s3:::{bucket}" + (f"/{key}" if key else "")
    for st in json.loads(policy).get("Statement", []):
        principal = st.get("Principal")
        anyone = principal == "*" or (isinstance(principal, dict) and principal.get("AWS") == "*")
        actions = st.get("Action", [])
        actions = [actions] if isinstance(actions, str) else actions
        resources = st.get("Resource", [])
        resources = [resources] if isinstance(resources, str) else resources
        if (
            st.get("Effect") == "Allow"
            and anyone
            and any(fnmatch.fnmatchcase(action, a) for a in actions)
            and any(fnmatch.fnmatchcase(resource, r) for r in resources)
        ):
            return True
    return False


class _Gate:
    """WSGI middleware: log requests, refuse anonymous ones the bucket policy does not allow."""

    def __init__(self, app: Any, server: LoopbackS3) -> None:
        self.app = app
        self.server = server

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        from moto.core.models import DEFAULT_ACCOUNT_ID
        from moto.s3.models import s3_backends

        method = environ["REQUEST_METHOD"]
        bucket, _, key = environ.get("PATH_INFO", "/").lstrip("/").partition("/")
        query = parse_qs(environ.get("QUERY_STRING", ""))
        signed = "HTTP_AUTHORIZATION" in environ or "X-Amz-Signature" in query
        status: list[int] = []

        def recording_start(code: str, headers: Any, *args: Any) -> Any:
            status.append(int(code.split()[0]))
            return start_response(code, headers, *args)

        if not signed and bucket:
            backend = s3_backends[DEFAULT_ACCOUNT_ID]["global"]
            try:
                policy = backend.get_bucket_policy(bucket)
            except Exception:  # no such bucket: let moto answer NoSuchBucket
                policy = None
            if not _allows_anyone(policy, _action(method, key, query), bucket, key):
                body = (
                    b"<?xml version='1.0' encoding='UTF-8'?><Error><Code>AccessDenied</Code>"
                    b"<Message>Access Denied</Message></Error>"
                )
                self.server._record(S3Request(method, bucket, key, signed, 403))
                start_response(
                    "403 Forbidden",
                    [("Content-Type", "application/xml"), ("Content-Length", str(len(body)))],
                )
                return [body]
        try:
            return self.app(environ, recording_start)
        finally:
            self.server._record(S3Request(method, bucket, key, signed, status[0] if status else 0))


class LoopbackS3:
    """moto's S3 server on ``127.0.0.1:port`` (a fixed port, so it can be restarted in place)."""

    region = REGION
    credentials = S3Credentials(KEY, KEY)

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._log: list[S3Request] = []

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        return self._server is not None

    def start(self) -> None:
        """Start serving (again) on the same port."""
        from moto.moto_server.werkzeug_app import (
            DomainDispatcherApplication,
            MotoRequestHandler,
            create_backend_app,
        )
        from werkzeug.serving import make_server

        if self._server is not None:
            return

        class QuietHandler(MotoRequestHandler):
            def log_request(self, *args: Any, **kwargs: Any) -> None:
                pass

        app = _Gate(DomainDispatcherApplication(create_backend_app), self)
        self._server = make_server(
            "127.0.0.1", self.port, app, threaded=True, request_handler=QuietHandler
        )
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop serving and free the port (the buckets stay in memory for :meth:`start`)."""
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._server = self._thread = None

    def client(self, credentials: S3Credentials | None = None) -> Any:
        """A boto3 S3 client for this server (signed with ``credentials`` or the test keys)."""
        import boto3

        creds = credentials or self.credentials
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            region_name=self.region,
            aws_access_key_id=creds.access_key_id,
            aws_secret_access_key=creds.secret_access_key,
        )

    def access(self, **kwargs: Any) -> Access:
        """An :class:`Access` for this endpoint; ``credentials`` defaults to the test keys."""
        kwargs.setdefault("credentials", self.credentials)
        return Access(endpoint_url=self.endpoint_url, region=self.region, **kwargs)

    def link(self, url: str, kind: str = "icechunk", **kwargs: Any) -> StoreLink:
        """A :class:`StoreLink` to ``url`` on this server."""
        return StoreLink(
            url=url, kind=kind, endpoint_url=self.endpoint_url, region=self.region, **kwargs
        )

    def ensure_bucket(self, name: str, *, public: bool = False) -> None:
        """Create a bucket if needed; ``public`` adds a policy letting anyone read its objects."""
        client = self.client()
        if name not in {b["Name"] for b in client.list_buckets().get("Buckets", [])}:
            client.create_bucket(Bucket=name)
        if public:
            client.put_bucket_policy(Bucket=name, Policy=public_read_policy(name))

    def upload(self, files: Iterable[Path], bucket: str, prefix: str) -> list[str]:
        """Upload local files to ``s3://bucket/prefix<name>``; returns their URLs."""
        client = self.client()
        urls = []
        for path in files:
            client.upload_file(str(path), bucket, f"{prefix}{path.name}")
            urls.append(f"s3://{bucket}/{prefix}{path.name}")
        return urls

    @property
    def requests(self) -> list[S3Request]:
        with self._lock:
            return list(self._log)

    def reset(self) -> None:
        """Forget the requests seen so far."""
        with self._lock:
            self._log.clear()

    def _record(self, request: S3Request) -> None:
        with self._lock:
            self._log.append(request)


@pytest.fixture(scope="session")
def s3_server() -> Iterator[LoopbackS3]:
    """moto's S3 server on 127.0.0.1, stopped at the end of the session."""
    server = LoopbackS3()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@dataclass(frozen=True)
class S3Gldas:
    """The GLDAS granules on the S3 server and the Icechunk store built over them."""

    files: tuple[Path, ...]
    urls: tuple[str, ...]
    store_url: str
    link: StoreLink
    container: str
    snapshot_id: str


@pytest.fixture(scope="session")
def s3_gldas(s3_server: LoopbackS3, fixtures_dir: Path) -> S3Gldas:
    """The real GLDAS granules on ``s3://granules/gldas/`` and an Icechunk repo on ``s3://stores/``."""
    from vstore_explorer.build.icechunk_store import build_icechunk

    files = tuple(sorted((fixtures_dir / "granules" / "gldas_noah025_3h").glob("*.nc4")))
    assert len(files) == 4
    s3_server.ensure_bucket(GLDAS_BUCKET)
    s3_server.ensure_bucket(STORE_BUCKET)
    urls = tuple(s3_server.upload(files, GLDAS_BUCKET, "gldas/"))
    store_url = f"s3://{STORE_BUCKET}/gldas.icechunk"
    report = build_icechunk(
        urls,
        store_url,
        access=s3_server.access(),
        container_prefix=f"s3://{GLDAS_BUCKET}/",
        tag="v1",
    )
    return S3Gldas(
        files=files,
        urls=urls,
        store_url=store_url,
        link=s3_server.link(store_url),
        container=f"s3://{GLDAS_BUCKET}/",
        snapshot_id=report.snapshot_id,
    )
