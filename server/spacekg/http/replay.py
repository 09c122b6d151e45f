"""Replay answers to repeated query requests before Flask sees them.

UIs and crawlers send the same requests again and again (YASGUI's examples, a dashboard's
queries, a link followed twice). Once ``/sparql`` has answered a request with a cacheable
answer (200 with an ETag: the result cache's ``public, no-cache`` answers), the same request
— same method, URL query string, body, ``Content-Type``, ``Accept`` and ``Origin`` — gets
the same status, headers and bytes straight from memory, ``If-None-Match`` included (304).
That skips routing, protocol parsing, negotiation and the Flask request context: about a
tenth of the cost of a cache hit inside the route.

It is the same contract as the result cache (``cache.py``): entries belong to the store's
``generation``; a change of data (a write, a reload) empties them. Everything else —
errors, HTML, streamed or large answers, HEAD, the service description — goes to Flask
untouched. The middleware wraps ``app.wsgi_app``, so it runs under every WSGI server and in
the test client alike.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from spacekg.cache import ResultCache

Environ = dict[str, Any]
StartResponse = Callable[..., Any]
WSGIApp = Callable[[Environ, StartResponse], Iterable[bytes]]

#: Paths whose cacheable answers are replayed (the query operation of the protocol).
PATHS = frozenset({"/sparql", "/sparql/"})
#: Request bodies larger than this are not read ahead (POSTed queries are short).
MAX_BODY = 64 * 1024
#: Headers a 304 repeats (RFC 9110 §15.4.5) besides the CORS ones.
_NOT_MODIFIED_KEEP = frozenset({"etag", "vary", "cache-control"})


@dataclass(frozen=True)
class ReplayKey:
    """What makes two requests the same request, for answers of one data generation."""

    generation: str
    method: str
    path: str
    query_string: str
    content_type: str
    body: bytes
    accept: str
    origin: str


@dataclass(frozen=True)
class StoredAnswer:
    status: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    etag: str


class AnswerReplay:
    """WSGI middleware: serve stored answers to repeated ``/sparql`` requests."""

    def __init__(
        self,
        app: WSGIApp,
        generation: Callable[[], str],
        *,
        max_entries: int,
        max_bytes: int,
    ) -> None:
        self.app = app
        self.generation = generation
        self.cache: ResultCache[ReplayKey, StoredAnswer] = ResultCache(
            max_entries=max_entries, max_bytes=max_bytes
        )

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        if method not in ("GET", "POST") or environ.get("PATH_INFO") not in PATHS:
            return self.app(environ, start_response)
        body = b""
        if method == "POST":
            length = _content_length(environ)
            if length is None or length > MAX_BODY:
                return self.app(environ, start_response)  # chunked, unknown or big: as is
            body = environ["wsgi.input"].read(length)
            environ["wsgi.input"] = io.BytesIO(body)
        key = ReplayKey(
            self.generation(),
            method,
            environ["PATH_INFO"],
            environ.get("QUERY_STRING", ""),
            environ.get("CONTENT_TYPE", ""),
            body,
            environ.get("HTTP_ACCEPT", ""),
            environ.get("HTTP_ORIGIN", ""),
        )
        stored = self.cache.get(key)
        if stored is not None:
            return _replay(stored, environ.get("HTTP_IF_NONE_MATCH"), start_response)
        return self._answer_and_keep(key, environ, start_response)

    def _answer_and_keep(
        self, key: ReplayKey, environ: Environ, start_response: StartResponse
    ) -> Iterable[bytes]:
        seen: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            seen["status"], seen["headers"] = status, headers
            return start_response(status, headers, exc_info)

        answer = self.app(environ, capture)
        headers = {name.lower(): value for name, value in seen.get("headers", [])}
        if (
            seen.get("status", "").startswith("200")
            and "etag" in headers
            and headers.get("cache-control", "").startswith("public")
            and int(headers.get("content-length", MAX_BODY * 1024)) <= self.cache.max_bytes // 8
        ):
            try:
                chunks = list(answer)
            finally:
                close = getattr(answer, "close", None)
                if close is not None:
                    close()
            body = b"".join(chunks)
            stored = StoredAnswer(seen["status"], tuple(seen["headers"]), body, headers["etag"])
            self.cache.put(key, stored)
            return [body]
        return answer


def _replay(
    stored: StoredAnswer, if_none_match: str | None, start_response: StartResponse
) -> Iterable[bytes]:
    if if_none_match and _matches(if_none_match, stored.etag):
        kept = [
            (name, value)
            for name, value in stored.headers
            if name.lower() in _NOT_MODIFIED_KEEP or name.lower().startswith("access-control-")
        ]
        start_response("304 NOT MODIFIED", kept)
        return []
    start_response(stored.status, list(stored.headers))
    return [stored.body]


def _matches(if_none_match: str, etag: str) -> bool:
    """Weak comparison (RFC 9110 §13.1.2), as ``If-None-Match`` requires."""
    if if_none_match.strip() == "*":
        return True
    opaque = etag.removeprefix("W/")
    return any(
        candidate.strip().removeprefix("W/") == opaque for candidate in if_none_match.split(",")
    )


def _content_length(environ: Environ) -> int | None:
    """The declared body length; None when absent (chunked) or unreadable."""
    try:
        return int(environ["CONTENT_LENGTH"])
    except (KeyError, ValueError):
        return None
