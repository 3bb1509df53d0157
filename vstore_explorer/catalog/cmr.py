"""Search NASA's CMR over HTTP (python-cmr query classes, real CMR paging, retries, timeouts).

Queries are built with python-cmr (``cmr.CollectionQuery`` / ``cmr.GranuleQuery`` with
``.mode(BASE)``); this module only runs them: ``page_size=0`` for the hit count (``CMR-Hits``),
then pages with the ``CMR-Search-After`` cursor echoed back until CMR answers an **empty** page.
Each request has a timeout and is retried with exponential backoff on 429 (honouring
``Retry-After``), 5xx, timeouts and connection errors. No login is ever needed to search.

Example:
    >>> catalog = CMRCatalog("uat", timeout=10)
    >>> catalog.base_url
    'https://cmr.uat.earthdata.nasa.gov/search/'
"""

from __future__ import annotations

import re
import time
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from types import MappingProxyType
from typing import Any
from urllib.parse import quote, urlsplit

import cmr
import requests

from vstore_explorer.catalog.base import (
    BaseCatalog,
    GranuleQuery,
    IncompleteResultsWarning,
    MalformedRecordError,
    MalformedRecordWarning,
    SearchQuery,
    SearchResults,
)
from vstore_explorer.catalog.records import Collection, Granule
from vstore_explorer.errors import InvalidInputError, VStoreError

BASE_URLS = MappingProxyType({"ops": cmr.CMR_OPS, "uat": cmr.CMR_UAT, "sit": cmr.CMR_SIT})
MAX_PAGE_SIZE = 2000
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
UMM_JSON = "umm_json"
OFFLINE_HINT = (
    "search offline instead with --catalog PATH (a folder of UMM JSON records), or run "
    "`vstore-explorer search` without --cmr to use the embedded demo catalog"
)


class CMRError(VStoreError, RuntimeError):
    """CMR refused a search; ``errors`` holds CMR's own messages.

    Attributes:
        url: the request URL (never contains credentials: searches send none).
        status: the HTTP status (``None`` when no answer came).
        errors: CMR's ``errors`` messages, verbatim.
    """

    def __init__(
        self, message: str, *, url: str, status: int | None = None, errors: Sequence[str] = ()
    ) -> None:
        super().__init__(message)
        self.url = url
        self.status = status
        self.errors = tuple(errors)


class CMRUnavailableError(CMRError):
    """CMR could not be reached or kept failing (connection error, 5xx, 429) after retries."""


class CMRTimeoutError(CMRUnavailableError):
    """CMR did not answer within the timeout (after retries)."""


def resolve_base_url(base_url: str) -> str:
    """``"ops"``, ``"uat"``, ``"sit"`` or any http(s) URL → a search root ending in ``/search/``.

    Example:
        >>> resolve_base_url("http://127.0.0.1:8080")
        'http://127.0.0.1:8080/search/'
    """
    text = (base_url or "").strip()
    if text.lower() in BASE_URLS:
        return BASE_URLS[text.lower()]
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InvalidInputError(
            f"CMR base URL {base_url!r} must be 'ops', 'uat', 'sit' or an http(s):// URL "
            "such as https://cmr.earthdata.nasa.gov/search/"
        )
    path = parts.path.rstrip("/")
    if not path.endswith("/search"):
        path += "/search"
    return f"{parts.scheme}://{parts.netloc}{path}/"


def _cmr_errors(response: requests.Response) -> list[str]:
    """CMR's ``errors`` messages from an error response (plain text bodies too)."""
    try:
        body = response.json()
    except ValueError:
        text = response.text.strip()
        return [text[:300]] if text else []
    raw = body.get("errors", []) if isinstance(body, Mapping) else []
    out: list[str] = []
    for err in raw if isinstance(raw, list) else [raw]:
        if isinstance(err, Mapping):  # {"path": [...], "errors": [...]}
            path = "/".join(str(p) for p in err.get("path", []))
            out.extend(f"{path}: {e}" if path else str(e) for e in err.get("errors", []))
        else:
            out.append(str(err))
    return out


def _retry_after(response: requests.Response) -> float:
    value = response.headers.get("Retry-After", "")
    try:
        return max(0.0, float(value))
    except ValueError:
        return 0.0


def _quoted(text: str) -> str:
    """Percent-encode a free-text value (python-cmr puts values into the URL as they are)."""
    return quote(text, safe="*?")


class _Pager:
    """Pages of one CMR query: the hit count and a lazy stream of parsed records."""

    def __init__(
        self,
        catalog: CMRCatalog,
        url: str,
        page_size: int,
        parse: Callable[[Mapping[str, Any]], Any],
        keep: Callable[[Any], bool] | None = None,
    ) -> None:
        self._catalog = catalog
        self._url = url
        self._page_size = page_size
        self._parse = parse
        self._keep = keep
        self.hits: int | None = None
        self.incomplete: str | None = None

    def _note_hits(self, response: requests.Response, body: Mapping[str, Any]) -> None:
        raw = response.headers.get("CMR-Hits", body.get("hits"))
        if raw is not None:
            self.hits = int(raw)

    def count(self) -> int:
        """The total hit count (a ``page_size=0`` request unless a page was already fetched)."""
        if self.hits is None:
            response, body = self._catalog._request(self._url, {"page_size": 0})
            self._note_hits(response, body)
        return self.hits or 0

    def __iter__(self) -> Iterator[Any]:
        search_after: str | None = None
        cursors: set[str] = set()
        served = 0
        while True:
            response, body = self._catalog._request(
                self._url, {"page_size": self._page_size}, search_after=search_after
            )
            self._note_hits(response, body)
            items = body.get("items")
            if not isinstance(items, list):
                raise CMRError(
                    f"CMR at {self._url} answered without an 'items' list", url=self._url
                )
            if not items:  # an empty page ends the search (that is how CMR says "no more")
                if self.hits is not None and served < self.hits:
                    self._broke_off(served)
                return
            served += len(items)
            next_cursor = response.headers.get("CMR-Search-After")
            if next_cursor and next_cursor in cursors:  # this page repeats one already yielded
                raise CMRError(
                    f"CMR at {self._url} sent a paging cursor (CMR-Search-After) it had sent "
                    "before; stopped paging instead of repeating records",
                    url=self._url,
                )
            for item in items:
                record = self._parse_or_warn(item)
                if record is not None and (self._keep is None or self._keep(record)):
                    yield record
            if not next_cursor:  # defensive: without a cursor the next page would repeat
                return
            cursors.add(next_cursor)
            search_after = next_cursor

    def _broke_off(self, served: int) -> None:
        self.incomplete = (
            f"CMR at {self._url} reported {self.hits:,} hits but sent an empty page after "
            f"{served:,}: the results are incomplete (CMR may be busy). Search again, or narrow "
            "the filters."
        )
        warnings.warn(self.incomplete, IncompleteResultsWarning, stacklevel=3)

    def _parse_or_warn(self, item: Any) -> Any:
        try:
            return self._parse(item)
        except MalformedRecordError as exc:
            warnings.warn(f"skipped a record: {exc}", MalformedRecordWarning, stacklevel=4)
            return None


class CMRCatalog(BaseCatalog):
    """Collections and granules from CMR's search API.

    Args:
        base_url: ``"ops"`` (default), ``"uat"``, ``"sit"`` or any CMR-compatible URL.
        timeout: seconds to wait for each answer.
        retries: extra attempts on 429/5xx/timeouts/connection errors.
        backoff: first retry delay in seconds; doubles at each attempt (capped by ``max_backoff``);
            a longer ``Retry-After`` from CMR wins.
        page_size: largest page to ask for (CMR allows up to 2000).
        session: a ``requests.Session`` to use (one is created per catalog otherwise).

    Example:
        >>> CMRCatalog("ops").search("sea surface temperature", has_virtual_store=True, limit=5)
        ... # doctest: +SKIP
    """

    def __init__(
        self,
        base_url: str = "ops",
        *,
        timeout: float = 30.0,
        retries: int = 3,
        backoff: float = 0.5,
        max_backoff: float = 30.0,
        page_size: int = 500,
        session: requests.Session | None = None,
    ) -> None:
        if not isinstance(timeout, int | float) or timeout <= 0:
            raise InvalidInputError(
                f"timeout must be a positive number of seconds, not {timeout!r}"
            )
        if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
            raise InvalidInputError(f"retries must be a non-negative integer, not {retries!r}")
        if not isinstance(backoff, int | float) or backoff < 0:
            raise InvalidInputError(
                f"backoff must be a non-negative number of seconds, not {backoff!r}"
            )
        if isinstance(page_size, bool) or not isinstance(page_size, int):
            raise InvalidInputError(f"page_size must be an integer in 1..{MAX_PAGE_SIZE}")
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise InvalidInputError(f"page_size must be in 1..{MAX_PAGE_SIZE}, not {page_size}")
        self.base_url = resolve_base_url(base_url)
        self.timeout = float(timeout)
        self.retries = retries
        self.backoff = float(backoff)
        self.max_backoff = float(max_backoff)
        self.page_size = page_size
        self._session = session or requests.Session()
        self._own_session = session is None

    def __repr__(self) -> str:
        return f"CMRCatalog({self.base_url!r}, timeout={self.timeout}, retries={self.retries})"

    def close(self) -> None:
        """Close the HTTP session (if this catalog created it)."""
        if self._own_session:
            self._session.close()

    def __enter__(self) -> CMRCatalog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- queries (python-cmr) -------------------------------------------------------------

    def collection_query(self, query: SearchQuery) -> cmr.CollectionQuery:
        """The python-cmr query for a validated :class:`SearchQuery` (``has_virtual_store`` and
        ``limit`` are applied by :meth:`search`, not by CMR)."""
        q = cmr.CollectionQuery().mode(self.base_url).format(UMM_JSON)
        if query.keyword:
            q.keyword(_quoted(query.keyword))
        if query.short_name:
            q.short_name(_quoted(query.short_name))
        if query.concept_id:
            q.concept_id(list(query.concept_id))
        if query.provider:
            q.provider(_quoted(query.provider))
        if query.bbox:
            q.bounding_box(*query.bbox)
        if query.temporal:
            q.temporal(*query.temporal)
        if query.cloud_hosted is not None:
            q.cloud_hosted(query.cloud_hosted)
        return q

    def granule_query(self, collection: Collection | str, query: GranuleQuery) -> cmr.GranuleQuery:
        """The python-cmr granule query for a collection (object, concept id or short name)."""
        q = cmr.GranuleQuery().mode(self.base_url).format(UMM_JSON)
        if isinstance(collection, Collection):
            if collection.concept_id:
                q.collection_concept_id(collection.concept_id)
            else:
                q.short_name(_quoted(collection.short_name))
                if collection.version:
                    q.version(_quoted(collection.version))
        elif isinstance(collection, str) and re.fullmatch(
            r"C\d+-[A-Za-z0-9_]+", collection.strip()
        ):
            q.collection_concept_id(collection.strip())
        elif isinstance(collection, str) and collection.strip():
            q.short_name(_quoted(collection.strip()))
        else:
            raise InvalidInputError(
                f"collection must be a Collection, a concept id or a short name, not {collection!r}"
            )
        if query.bbox:
            q.bounding_box(*query.bbox)
        if query.temporal:
            q.temporal(*query.temporal)
        return q

    # -- the protocol (BaseCatalog.search/granules build the query, then call these) ---------

    def _search(self, query: SearchQuery) -> SearchResults[Collection]:
        """Collections matching every filter; lazy (see :class:`SearchResults`).

        Requests happen while iterating or on ``.hits``. ``has_virtual_store`` is filtered here,
        as CMR has no such parameter.
        """
        return self.run(
            self.collection_query(query),
            limit=query.limit,
            has_virtual_store=query.has_virtual_store,
        )

    def _granules(
        self, collection: Collection | str, query: GranuleQuery
    ) -> SearchResults[Granule]:
        """Granules of a collection (a :class:`Collection`, a concept id or a short name)."""
        return self.run(self.granule_query(collection, query), limit=query.limit)

    def run(
        self,
        query: cmr.CollectionQuery | cmr.GranuleQuery,
        *,
        limit: int | None = None,
        has_virtual_store: bool | None = None,
    ) -> SearchResults[Any]:
        """Run any python-cmr collection or granule query (for filters :meth:`search` lacks).

        Example:
            >>> q = cmr.CollectionQuery().mode(catalog.base_url).platform("Terra")  # doctest: +SKIP
            >>> catalog.run(q, limit=10)  # doctest: +SKIP
        """
        if isinstance(query, cmr.CollectionQuery):
            parse: Callable[[Mapping[str, Any]], Any] = Collection.from_umm
        elif isinstance(query, cmr.GranuleQuery):
            parse = Granule.from_umm
            if has_virtual_store is not None:
                raise InvalidInputError("has_virtual_store only applies to collection searches")
        else:
            raise InvalidInputError(
                f"expected a cmr.CollectionQuery or cmr.GranuleQuery, not {query!r}"
            )
        query.format(UMM_JSON)
        url = query._build_url()  # the query string comes from python-cmr
        client_filter = has_virtual_store is not None
        page_size = (
            self.page_size if (limit is None or client_filter) else min(limit, self.page_size)
        )
        keep = None
        if client_filter:
            keep = lambda c: c.has_virtual_store == has_virtual_store  # noqa: E731
        pager = _Pager(self, url, page_size, parse, keep)
        return SearchResults(
            pager, count=pager.count, limit=limit, hits_exact=not client_filter, source=url
        )

    # -- HTTP --------------------------------------------------------------------------------

    def _delay(self, attempt: int, response: requests.Response | None) -> float:
        delay = min(self.backoff * (2**attempt), self.max_backoff)
        if response is not None:
            delay = max(delay, min(_retry_after(response), self.max_backoff))
        return delay

    def _request(
        self, url: str, params: Mapping[str, Any], *, search_after: str | None = None
    ) -> tuple[requests.Response, Mapping[str, Any]]:
        """GET one page with retries; returns the response and its JSON body."""
        headers = {"Accept": "application/json"}
        if search_after:
            headers["CMR-Search-After"] = search_after
        failure: str = ""
        response: requests.Response | None = None
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(self._delay(attempt - 1, response))
            response = None
            try:
                response = self._session.get(
                    url, params=params, headers=headers, timeout=self.timeout
                )
            except requests.Timeout:
                failure = "timeout"
                continue
            except requests.ConnectionError as exc:
                failure = f"connection error ({type(exc).__name__})"
                continue
            except (
                requests.exceptions.ChunkedEncodingError,
                requests.exceptions.ContentDecodingError,
            ):
                failure = "incomplete answer (the connection broke mid-body)"
                continue
            if response.status_code in RETRY_STATUSES:
                failure = f"HTTP {response.status_code}"
                continue
            return response, self._body(url, response)
        tries = f"{self.retries + 1} attempt(s)"
        if failure == "timeout":
            raise CMRTimeoutError(
                f"CMR at {url} did not answer within {self.timeout:g} s ({tries}); "
                f"raise the timeout, or {OFFLINE_HINT}",
                url=url,
            )
        status = response.status_code if response is not None else None
        errors = _cmr_errors(response) if response is not None else []
        detail = f": {'; '.join(errors)}" if errors and status != 503 else ""
        raise CMRUnavailableError(
            f"could not reach CMR at {url}: {failure}{detail} after {tries}; check the network "
            f"and the --cmr URL, or {OFFLINE_HINT}",
            url=url,
            status=status,
            errors=errors,
        )

    @staticmethod
    def _body(url: str, response: requests.Response) -> Mapping[str, Any]:
        if response.status_code >= 400:
            errors = _cmr_errors(response)
            message = "; ".join(errors) or response.reason or "no message"
            raise CMRError(
                f"CMR at {url} answered {response.status_code}: {message}",
                url=url,
                status=response.status_code,
                errors=errors,
            )
        try:
            body = response.json()
        except ValueError:
            raise CMRError(
                f"CMR at {url} answered with something that is not JSON "
                f"({response.headers.get('Content-Type', 'no content type')})",
                url=url,
                status=response.status_code,
            ) from None
        if not isinstance(body, Mapping):
            raise CMRError(f"CMR at {url} answered with unexpected JSON", url=url)
        return body
