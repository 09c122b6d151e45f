"""The query lane: ``/sparql`` queries answered in front of Flask.

A SPARQL endpoint spends most requests on short queries, where the web framework costs as
much as the engine: routing, request and context objects, hooks, header objects — about
0.3 ms a request under Flask, as much as a point lookup in Oxigraph. The lane takes the
requests that are plainly queries (GET, or POST with a declared length, on ``/sparql``),
reads them with the same parser as the route (``query/protocol.py``) and answers them with
the same function (``query/answer.py``): same checks, limits, negotiation, cache, ETags and
headers, CORS included.

It also replays: once a request got a cacheable answer (200 with an ETag), the very same
request — method, URL query string, body, ``Content-Type``, ``Accept``, ``Origin`` — gets
the same bytes from memory, ``If-None-Match`` included (304), without parsing anything.
Entries belong to the store's ``generation``; any change of data empties them.

Everything else goes to Flask untouched, to the one ``/sparql`` handler
(``http/sparql.py``): the service description and YASGUI, updates, oversized or chunked
requests, HEAD, other paths. A query that fails is answered here with the same error mapping
as Flask's handler (``http/errors.error_answer``), so it is never computed twice.

Why it exists (the README's "Why a lane in front of Flask"): at concurrency 8, point
lookups through Flask alone reach about half the lane's throughput at a million triples.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from flask import Flask

from spacekg.errors import SpaceKGError
from spacekg.http import cors
from spacekg.http.edge import SECURITY_HEADERS
from spacekg.http.errors import error_answer
from spacekg.http.serving import Serving
from spacekg.query.answer import Answer, answer_query, etag_matches
from spacekg.query.cache import ResultCache
from spacekg.query.protocol import QUERY_PATHS, SHORT_BODY, parse_request

Environ = dict[str, Any]
StartResponse = Callable[..., Any]
WSGIApp = Callable[[Environ, StartResponse], Iterable[bytes]]

#: Headers a 304 repeats (RFC 9110 §15.4.5) besides the CORS ones.
_NOT_MODIFIED_KEEP = frozenset({"etag", "vary", "cache-control"}) | frozenset(
    name.lower() for name, _ in SECURITY_HEADERS
)


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

    @property
    def nbytes(self) -> int:
        """What the key costs to keep (a URL or body may be a 1 MB query)."""
        return (
            len(self.query_string) + len(self.body) + len(self.content_type)
            + len(self.accept) + len(self.origin) + 200
        )


@dataclass(frozen=True)
class StoredAnswer:
    status: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    etag: str


class QueryLane:
    """WSGI middleware around the Flask app (see the module docstring)."""

    def __init__(self, app: Flask, serving: Serving) -> None:
        self.app = app
        self.wsgi_app: WSGIApp = app.wsgi_app
        self.serving = serving
        config = app.config
        self.max_request = int(config["MAX_REQUEST_BYTES"])
        self.added_headers = cors.answer_headers(
            str(config.get("CORS_ORIGIN", "*")), bool(config.get("WRITABLE"))
        ) + list(SECURITY_HEADERS)  # what the edge adds to Flask's answers
        entries = int(config["CACHE_ENTRIES"])
        self.replays: ResultCache[ReplayKey, StoredAnswer] | None = (
            ResultCache(max_entries=entries, max_bytes=int(config["CACHE_BYTES"]))
            if entries > 0
            else None
        )

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        if method not in ("GET", "POST") or environ.get("PATH_INFO") not in QUERY_PATHS:
            return self.wsgi_app(environ, start_response)
        query_string = environ.get("QUERY_STRING", "")
        if len(query_string) > self.max_request:
            return self.wsgi_app(environ, start_response)  # 413 from the route
        body = b""
        if method == "GET" and (
            environ.get("CONTENT_LENGTH", "0") not in ("", "0")
            or environ.get("HTTP_TRANSFER_ENCODING")
        ):
            return self.wsgi_app(environ, start_response)  # a GET with a body: refused there
        if method == "POST":
            length = _content_length(environ)
            if length is None or length > min(SHORT_BODY, self.max_request):
                return self.wsgi_app(environ, start_response)  # chunked, unknown or big
            body = environ["wsgi.input"].read(length)
            environ["wsgi.input"] = io.BytesIO(body)
        key = None
        if self.replays is not None:
            key = ReplayKey(
                self.serving.store().generation,
                method,
                environ["PATH_INFO"],
                query_string,
                environ.get("CONTENT_TYPE", ""),
                body,
                environ.get("HTTP_ACCEPT", ""),
                environ.get("HTTP_ORIGIN", ""),
            )
            stored = self.replays.get(key)
            if stored is not None:
                return _replay(stored, environ.get("HTTP_IF_NONE_MATCH"), start_response)
        try:
            protocol = parse_request(
                method, query_string.encode("latin-1"), environ.get("CONTENT_TYPE"), body
            )
            if protocol.query is None or protocol.update is not None:
                return self.wsgi_app(environ, start_response)
            answer = answer_query(
                self.serving.query_context(),
                protocol,
                accept=environ.get("HTTP_ACCEPT"),
                if_none_match=environ.get("HTTP_IF_NONE_MATCH"),
                client=environ.get("REMOTE_ADDR", ""),
            )
        except SpaceKGError as exc:
            status, headers, payload = error_answer(exc, environ.get("HTTP_ACCEPT"))
            start_response(f"{status} {HTTPStatus(status).phrase}", headers + self.added_headers)
            return [payload]
        return self._send(answer, key, start_response)

    def _send(
        self, answer: Answer, key: ReplayKey | None, start_response: StartResponse
    ) -> Iterable[bytes]:
        status = f"{answer.status} {HTTPStatus(answer.status).phrase}"
        headers = answer.headers + self.added_headers
        if (
            key is not None
            and self.replays is not None
            and answer.status == 200
            and answer.etag is not None
        ):
            self.replays.put(key, StoredAnswer(status, tuple(headers), answer.body, answer.etag))
        start_response(status, headers)
        return [answer.body]


def init_app(app: Flask, serving: Serving) -> None:
    """Put the lane in front of ``app``."""
    app.wsgi_app = QueryLane(app, serving)  # type: ignore[method-assign]


def _replay(
    stored: StoredAnswer, if_none_match: str | None, start_response: StartResponse
) -> Iterable[bytes]:
    if if_none_match and etag_matches(if_none_match, stored.etag):
        kept = [
            (name, value)
            for name, value in stored.headers
            if name.lower() in _NOT_MODIFIED_KEEP or name.lower().startswith("access-control-")
        ]
        start_response("304 Not Modified", kept)
        return []
    start_response(stored.status, list(stored.headers))
    return [stored.body]


def _content_length(environ: Environ) -> int | None:
    """The declared body length; None when absent (chunked) or unreadable."""
    try:
        return int(environ["CONTENT_LENGTH"])
    except (KeyError, ValueError):
        return None
