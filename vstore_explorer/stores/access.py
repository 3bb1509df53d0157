"""How to reach a store and the granules its chunks point into: endpoints, regions and credentials.

Credentials are passed explicitly (never read from module state) and never shown: the reprs of
:class:`S3Credentials` and :class:`Access` mask them, and no error message includes them.

Example:
    >>> access = Access(endpoint_url="http://127.0.0.1:9000",
    ...                 credentials=S3Credentials("AKIDEXAMPLE", "not-shown"))
    >>> "not-shown" in repr(access)
    False
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from vstore_explorer.errors import InvalidInputError, VStoreError
from vstore_explorer.stores.aws_environment import s3_credentials_in_environment
from vstore_explorer.stores.urls import bucket_and_key, scheme_of, to_url

if TYPE_CHECKING:
    from obstore.store import S3Config

READ_RETRIES = 5
"""Default :attr:`Access.retries`."""
READ_TIMEOUT_S = 10.0
"""Default :attr:`Access.timeout_s`."""
BACKOFF_S = (0.2, 2.0)
"""First and longest wait (seconds) between two tries; full jitter picks a wait up to that."""
READ_CONCURRENCY = 128
"""Default :attr:`Access.concurrency`: chunk requests in flight (benchmarks/README.md, issue #16)."""
CHUNK_REQUEST_BYTES = 12 * 1024 * 1024
"""A chunk up to this size is fetched in one request (Icechunk's S3 default, 12 MiB); a store
built on a local disk keeps the local default (4 kB parts) in its config otherwise."""
CHUNK_REQUEST_PARTS = 18
"""Most parallel requests for one larger chunk (Icechunk's S3 default)."""


class ContainerAccessError(VStoreError, PermissionError):
    """A virtual chunk container (a URL prefix of granules) cannot be read with the given access.

    Example:
        >>> try:
        ...     Access().icechunk_container_credential("s3://private-bucket/granules/")
        ... except ContainerAccessError as exc:
        ...     print(str(exc).split(":")[0])
        no credentials for the virtual chunk container 's3
    """


@dataclass(frozen=True, repr=False)
class S3Credentials:
    """Static (or temporary) S3 credentials. The repr never shows them.

    Example:
        >>> creds = S3Credentials("AKIDEXAMPLE", "not-shown", session_token="token")
        >>> creds
        S3Credentials(access_key_id='***', secret_access_key='***')
        >>> creds.access_key_id
        'AKIDEXAMPLE'
    """

    access_key_id: str
    secret_access_key: str
    session_token: str | None = None
    expires: datetime | None = None

    def __repr__(self) -> str:
        return "S3Credentials(access_key_id='***', secret_access_key='***')"

    __str__ = __repr__

    @classmethod
    def from_earthaccess(cls, creds: Mapping[str, Any]) -> S3Credentials:
        """From the dict returned by ``earthaccess.get_s3_credentials`` / a DAAC s3credentials API."""
        try:
            expires = creds.get("expiration")
            return cls(
                access_key_id=creds["accessKeyId"],
                secret_access_key=creds["secretAccessKey"],
                session_token=creds.get("sessionToken"),
                expires=datetime.fromisoformat(expires) if isinstance(expires, str) else None,
            )
        except KeyError as exc:
            raise InvalidInputError(
                f"the s3credentials answer has no {exc.args[0]!r}; is the Earthdata login valid?"
            ) from None


@dataclass(frozen=True, repr=False)
class Access:
    """Where S3 lives and which credentials to use, for a store and for its chunk containers.

    Attributes:
        endpoint_url: an S3-compatible endpoint (``None`` for AWS).
        region: the S3 region.
        anonymous: read S3 without signing requests (public buckets).
        credentials: credentials for the store itself and, unless overridden, its containers.
        container_credentials: per URL prefix credentials for virtual chunk containers
            (``None`` value = anonymous for that prefix).
        retries: how many times a failed read request (refused connection, timeout, 5xx) is
            tried again, after a jittered wait of up to 0.2 s, then doubling up to 2 s: a blip
            of a second or so is ridden out, and a server that refuses connections is reported
            after at most 5 s of waiting per request. ``0`` reports the first failure.
        timeout_s: the longest one read request waits for an answer, retries included; each
            attempt gets a third of it (at least 1 s) to connect and to receive a first byte.
            Downloading the answer's body is not cut short. Raise both on slow links.
        concurrency: how many chunk requests one read keeps in flight (default 128). Over S3
            or HTTPS each request waits 10-150 ms for its first byte, so a read of N chunks takes
            at least N x latency / concurrency: zarr's default (10) makes a 3,650-day point
            series wait ~7 s at 20 ms, 128 ~0.6 s. It sets Icechunk's ``max_concurrent_requests``
            for the store and raises zarr's process-wide ``async.concurrency`` to at least this
            (zarr has no per-store setting; it is never lowered, so one store cannot slow
            another). Measured with ``python -m benchmarks.remote --sweep`` at 20 and 80 ms
            first-byte latency: on 365 chunks 64 and 128 tie (within 4%), 10 is 1.5-3.5x
            slower, 256 slower again; on 3,650 chunks at 20 ms 128 beat 64 by 14%. Reads
            through dask's threaded scheduler run up to 32 threads for it
            (:mod:`vstore_explorer.read_threads`).
            ``None`` leaves the libraries' defaults.

    Example:
        >>> access = Access(region="us-west-2", anonymous=True,
        ...                 container_credentials={"s3://bucket/granules/": None})
        >>> "region='us-west-2'" in repr(access), "<1 prefixes>" in repr(access)
        (True, True)
        >>> Access(retries=8, timeout_s=30)  # a slow link
        Access(endpoint_url=None, region=None, retries=8, timeout_s=30)
        >>> Access(concurrency=128).concurrency
        128
    """

    endpoint_url: str | None = None
    region: str | None = None
    anonymous: bool = False
    credentials: S3Credentials | None = None
    container_credentials: Mapping[str, S3Credentials | None] = field(
        default_factory=lambda: MappingProxyType({})
    )
    retries: int = READ_RETRIES
    timeout_s: float = READ_TIMEOUT_S
    concurrency: int | None = READ_CONCURRENCY

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "container_credentials", MappingProxyType(dict(self.container_credentials))
        )
        if isinstance(self.retries, bool) or not isinstance(self.retries, int) or self.retries < 0:
            raise InvalidInputError(
                f"Access(retries=...) must be an integer >= 0, not {self.retries!r}"
            )
        if isinstance(self.timeout_s, bool) or not (
            isinstance(self.timeout_s, int | float) and self.timeout_s > 0
        ):
            raise InvalidInputError(
                f"Access(timeout_s=...) must be a number of seconds > 0, not {self.timeout_s!r}"
            )
        if self.concurrency is not None and (
            isinstance(self.concurrency, bool)
            or not isinstance(self.concurrency, int)
            or self.concurrency < 1
        ):
            raise InvalidInputError(
                f"Access(concurrency=...) must be an integer >= 1 or None, not {self.concurrency!r}"
            )

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        """Picklable (for worker processes): the read-only mapping travels as a dict."""
        return (
            Access,
            (
                self.endpoint_url,
                self.region,
                self.anonymous,
                self.credentials,
                dict(self.container_credentials),
                self.retries,
                self.timeout_s,
                self.concurrency,
            ),
        )

    def __repr__(self) -> str:
        parts = [f"endpoint_url={self.endpoint_url!r}", f"region={self.region!r}"]
        if self.anonymous:
            parts.append("anonymous=True")
        if self.credentials is not None:
            parts.append("credentials=***")
        if self.container_credentials:
            parts.append(f"container_credentials=<{len(self.container_credentials)} prefixes>")
        if self.retries != READ_RETRIES:
            parts.append(f"retries={self.retries}")
        if self.timeout_s != READ_TIMEOUT_S:
            parts.append(f"timeout_s={self.timeout_s}")
        if self.concurrency != READ_CONCURRENCY:
            parts.append(f"concurrency={self.concurrency}")
        return f"Access({', '.join(parts)})"

    __str__ = __repr__

    @property
    def allow_http(self) -> bool:
        return bool(self.endpoint_url and self.endpoint_url.startswith("http://"))

    @property
    def attempt_timeout_s(self) -> float:
        """Seconds one attempt may take to connect and to receive a first byte."""
        return max(1.0, self.timeout_s / 3)

    # -- retries, timeouts and concurrency --------------------------------------------------
    def icechunk_config(self) -> Any:
        """Icechunk's ``RepositoryConfig`` for reading: :meth:`icechunk_storage_settings` and,
        unless :attr:`concurrency` is None, ``max_concurrent_requests``. Icechunk merges it over
        the repository's persisted config.

        Example:
            >>> Access(concurrency=32).icechunk_config().max_concurrent_requests
            32
        """
        import icechunk

        return icechunk.RepositoryConfig(
            storage=self.icechunk_storage_settings(), max_concurrent_requests=self.concurrency
        )

    def apply_zarr_concurrency(self) -> None:
        """Raise zarr's ``async.concurrency`` (chunks one array read fetches at a time) to at least
        :attr:`concurrency`. zarr keeps it process-wide only; it is never lowered here.

        Example:
            >>> import zarr
            >>> with zarr.config.set({"async.concurrency": 10}):  # restored after the block
            ...     Access(concurrency=48).apply_zarr_concurrency()
            ...     zarr.config.get("async.concurrency")
            48
        """
        if self.concurrency is None:
            return
        import zarr

        current = zarr.config.get("async.concurrency")
        if current is not None and current < self.concurrency:
            zarr.config.set({"async.concurrency": self.concurrency})

    def icechunk_storage_settings(self) -> Any:
        """Icechunk's ``StorageSettings`` for reading: bounded retries and timeouts, one request
        per chunk up to :data:`CHUNK_REQUEST_BYTES`.

        They apply to the repository's own objects (manifests) and, through the repository
        config, to the virtual chunks fetched from its containers. The request size matters for
        stores built on a local disk and then uploaded: they keep Icechunk's local default in
        their config (4 kB parts, 5 at a time), which split each 70 kB chunk into 5 requests.

        Example:
            >>> settings = Access(retries=2).icechunk_storage_settings()
            >>> settings.retries.max_tries, settings.timeouts.operation_timeout_ms
            (3, 10000)
            >>> settings.concurrency.ideal_concurrent_request_size
            12582912
        """
        import icechunk

        attempt_ms = round(self.attempt_timeout_s * 1000)
        return icechunk.StorageSettings(
            concurrency=icechunk.StorageConcurrencySettings(
                max_concurrent_requests_for_object=CHUNK_REQUEST_PARTS,
                ideal_concurrent_request_size=CHUNK_REQUEST_BYTES,
            ),
            retries=icechunk.StorageRetriesSettings(
                max_tries=self.retries + 1,
                initial_backoff_ms=round(BACKOFF_S[0] * 1000),
                max_backoff_ms=round(BACKOFF_S[1] * 1000),
            ),
            timeouts=icechunk.StorageTimeoutSettings(
                connect_timeout_ms=attempt_ms,
                read_timeout_ms=attempt_ms,
                operation_timeout_ms=round(self.timeout_s * 1000),
            ),
        )

    def obstore_options(self) -> dict[str, Any]:
        """``retry_config`` and ``client_options`` (connect timeout) for an obstore store."""
        return {
            "retry_config": {
                "max_retries": self.retries,
                "backoff": {
                    "init_backoff": timedelta(seconds=BACKOFF_S[0]),
                    "max_backoff": timedelta(seconds=BACKOFF_S[1]),
                    "base": 2,
                },
                "retry_timeout": timedelta(seconds=self.timeout_s),
            },
            "client_options": {"connect_timeout": timedelta(seconds=self.attempt_timeout_s)},
        }

    # -- icechunk -------------------------------------------------------------------------
    def icechunk_storage(self, url: str) -> Any:
        """The ``icechunk.Storage`` of a repository at ``url`` (local path, ``s3://`` or ``https://``)."""
        import icechunk

        url = to_url(url)
        scheme = scheme_of(url)
        if scheme == "file":
            from vstore_explorer.stores.urls import local_path

            return icechunk.local_filesystem_storage(str(local_path(url)))
        if scheme == "s3":
            bucket, prefix = bucket_and_key(url)
            kwargs: dict[str, Any] = {
                "bucket": bucket,
                "prefix": prefix.rstrip("/") or None,
                "region": self.region,
                "endpoint_url": self.endpoint_url,
                "allow_http": self.allow_http,
                "force_path_style": self.endpoint_url is not None,
            }
            if self.credentials is not None:
                kwargs.update(
                    access_key_id=self.credentials.access_key_id,
                    secret_access_key=self.credentials.secret_access_key,
                    session_token=self.credentials.session_token,
                )
            elif self.anonymous:
                kwargs["anonymous"] = True
            else:
                kwargs["from_env"] = True
            return icechunk.s3_storage(**kwargs)
        return icechunk.http_storage(url.rstrip("/"))

    def icechunk_container_store(self, prefix: str) -> Any:
        """The ``ObjectStoreConfig`` for a virtual chunk container at ``prefix`` (for writing)."""
        import icechunk

        scheme = scheme_of(prefix)
        if scheme == "file":
            return icechunk.local_filesystem_store(prefix)
        if scheme == "s3":
            return icechunk.s3_store(
                region=self.region,
                endpoint_url=self.endpoint_url,
                allow_http=self.allow_http,
                anonymous=self._anonymous_for(prefix),
                s3_compatible=self.endpoint_url is not None,
                force_path_style=self.endpoint_url is not None,
            )
        return icechunk.http_store()

    def icechunk_container_credential(self, prefix: str) -> Any:
        """The credential that authorizes reading chunks under ``prefix``.

        Raises:
            ContainerAccessError: for an S3 prefix with no credentials and no anonymous access.
        """
        import icechunk

        scheme = scheme_of(prefix)
        if scheme == "file":
            return icechunk.credentials.LocalFileSystemAccess
        if scheme in ("http", "https"):
            return icechunk.credentials.HttpAccess
        creds = self._credentials_for(prefix)
        if creds is not None:
            return icechunk.s3_static_credentials(
                access_key_id=creds.access_key_id,
                secret_access_key=creds.secret_access_key,
                session_token=creds.session_token,
                expires_after=creds.expires,
            )
        if self._anonymous_for(prefix):
            return icechunk.s3_anonymous_credentials()
        if s3_credentials_in_environment():  # as the store itself and the exported scripts
            return icechunk.s3_from_env_credentials()
        raise ContainerAccessError(
            f"no credentials for the virtual chunk container {prefix!r}: set AWS credentials "
            "in the environment (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or AWS_PROFILE), pass "
            "Access(credentials=...) or Access(container_credentials={prefix: ...}), "
            "Access(anonymous=True) for a public bucket, or earthdata=True for NASA data"
        )

    # -- obstore / fsspec -----------------------------------------------------------------
    def obstore_store(self, url: str) -> Any:
        """An obstore store that can read objects under ``url``'s bucket (or the local disk)."""
        from obstore.store import HTTPStore, LocalStore, S3Store

        url = to_url(url)
        scheme = scheme_of(url)
        if scheme == "file":
            return LocalStore()
        if scheme == "s3":
            bucket, _ = bucket_and_key(url)
            config: S3Config = {}
            if self.region:
                config["region"] = self.region
            creds = self._credentials_for(url)
            if creds is not None:
                config["access_key_id"] = creds.access_key_id
                config["secret_access_key"] = creds.secret_access_key
                if creds.session_token:
                    config["session_token"] = creds.session_token
            elif self._anonymous_for(url):
                config["skip_signature"] = True
            options = self.obstore_options()
            if self.allow_http:
                options["client_options"]["allow_http"] = True
            if self.endpoint_url:
                config["endpoint"] = self.endpoint_url
                config["virtual_hosted_style_request"] = False
            return S3Store(bucket, config=config, **options)
        base = url.split("/", 3)
        options = self.obstore_options()
        if scheme == "http":
            options["client_options"]["allow_http"] = True
        return HTTPStore.from_url("/".join(base[:3]), **options)

    def fsspec_options(self, url: str) -> dict[str, Any]:
        """fsspec storage options for reading ``url`` (used for Kerchunk references)."""
        if scheme_of(url) != "s3":
            return {}
        options: dict[str, Any] = {}
        creds = self._credentials_for(url)
        if creds is not None:
            options.update(key=creds.access_key_id, secret=creds.secret_access_key)
            if creds.session_token:
                options["token"] = creds.session_token
        elif self._anonymous_for(url):
            options["anon"] = True
        client_kwargs: dict[str, Any] = {}
        if self.endpoint_url:
            client_kwargs["endpoint_url"] = self.endpoint_url
        if self.region:
            client_kwargs["region_name"] = self.region
        if client_kwargs:
            options["client_kwargs"] = client_kwargs
        options["config_kwargs"] = self.botocore_options()
        return options

    def botocore_options(self) -> dict[str, Any]:
        """botocore ``Config`` options (s3fs ``config_kwargs``): bounded retries, connect timeout.

        botocore's backoff starts at 1 s and doubles, so :attr:`retries` is capped at 3 here
        (at most 7 s of waiting).

        Example:
            >>> Access(retries=1).botocore_options()["retries"]
            {'total_max_attempts': 2, 'mode': 'standard'}
        """
        return {
            "retries": {"total_max_attempts": 1 + min(self.retries, 3), "mode": "standard"},
            "connect_timeout": self.attempt_timeout_s,
        }

    # -- helpers --------------------------------------------------------------------------
    def _matching_prefix(self, url: str) -> str | None:
        matches = [p for p in self.container_credentials if url.startswith(p)]
        return max(matches, key=len) if matches else None

    def _credentials_for(self, url: str) -> S3Credentials | None:
        prefix = self._matching_prefix(url)
        if prefix is not None:
            return self.container_credentials[prefix]
        return self.credentials

    def _anonymous_for(self, url: str) -> bool:
        prefix = self._matching_prefix(url)
        if prefix is not None:
            return self.container_credentials[prefix] is None
        return self.anonymous and self.credentials is None


LOCAL = Access()
"""Access for local files and public HTTP (no credentials). Immutable, so safe to share."""
