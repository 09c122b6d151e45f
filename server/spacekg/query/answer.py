"""Answer one protocol query: everything ``/sparql`` does between reading a request and
writing the answer, with no web framework involved.

Both ways into the endpoint call :func:`answer_query` — the Flask route (``http/sparql.py``)
and the query lane in front of Flask (``http/lane.py``) — so they cannot drift apart: same
checks, same negotiation, same cache and ETags, same headers. Failures are raised as
SpaceKG errors and mapped to HTTP in one place (``http/errors.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from spacekg.errors import BadRequest, QueryError
from spacekg.query import negotiate
from spacekg.query.cache import CacheKey, ResultCache, cache_key
from spacekg.query.processes import ProcessRunner
from spacekg.query.prologue import predeclare
from spacekg.query.protocol import ProtocolRequest
from spacekg.query.results import Rendered
from spacekg.query.threads import QueryRunner
from spacekg.sparql import inspect_query
from spacekg.stores import Store

TRUNCATED_HEADER = "SpaceKG-Truncated"
MAX_ROWS_HEADER = "SpaceKG-Max-Rows"


@dataclass(frozen=True)
class Answer:
    """An HTTP answer: status, headers (without CORS, which the app adds), body; ``etag`` is
    set when the answer may be kept and replayed."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes
    etag: str | None = None


@dataclass(frozen=True)
class QueryContext:
    """What answering needs from the serving process: the store, pool, cache and row limit."""

    store: Callable[[], Store]
    runner: Callable[[], QueryRunner | ProcessRunner]
    cache: ResultCache[CacheKey, Rendered]
    max_rows: int | None


def answer_query(
    context: QueryContext,
    protocol: ProtocolRequest,
    *,
    accept: str | None,
    if_none_match: str | None,
    client: str = "",
) -> Answer:
    """The answer to ``protocol.query`` (which must be set): 200, or 304 when the client's
    copy is current. ``client`` (its address) is whose share a long query counts against.
    SpaceKG's prefixes are predeclared (``query/prologue.py``). Raises
    QuerySyntaxError (one line naming an undeclared prefix, when that is what is wrong),
    UnsafeQuery, NotAcceptable, QueryTimeout…."""
    assert protocol.query is not None
    if not protocol.query.strip():
        raise BadRequest("the query is empty")
    prepared = predeclare(protocol.query)
    try:
        return _answer(context, protocol, prepared.text, accept=accept,
                       if_none_match=if_none_match, client=client)
    except QueryError as exc:
        explained = prepared.explain(exc)
        if explained is exc:
            raise
        raise explained from exc


def _answer(
    context: QueryContext,
    protocol: ProtocolRequest,
    query: str,
    *,
    accept: str | None,
    if_none_match: str | None,
    client: str,
) -> Answer:
    """:func:`answer_query` for the text the engine gets (predeclared prefixes added)."""
    info = inspect_query(query)
    fmt = negotiate.choose(negotiate.offers_for(info.form), accept, protocol.formats)
    store = context.store()
    key = cache_key(
        store.generation,
        info.normalised,
        volatile=info.volatile,
        default_graphs=protocol.default_graph_uris,
        named_graphs=protocol.named_graph_uris,
        media_type=fmt.media_type,
        max_rows=context.max_rows,
    )
    if key is not None and if_none_match and etag_matches(if_none_match, key.etag):
        return Answer(304, _validators(key.etag), b"", key.etag)
    rendered = context.cache.get(key) if key is not None else None
    if rendered is None:
        rendered = context.runner().run_query(
            store,
            query,
            fmt,
            default_graph_uris=protocol.default_graph_uris,
            named_graph_uris=protocol.named_graph_uris,
            max_rows=context.max_rows,
            client=client,
        )
        if key is not None:
            context.cache.put(key, rendered)
    headers = [("Content-Type", rendered.format.content_type)]
    if key is not None:
        headers += _validators(key.etag)
    else:
        headers += [("Vary", "Accept"), ("Cache-Control", "no-store")]
    if rendered.truncated:
        headers += [(TRUNCATED_HEADER, "true"), (MAX_ROWS_HEADER, str(rendered.max_rows))]
    headers.append(("Content-Length", str(len(rendered.body))))
    return Answer(200, headers, rendered.body, key.etag if key is not None else None)


def _validators(etag: str) -> list[tuple[str, str]]:
    return [("Vary", "Accept"), ("ETag", etag), ("Cache-Control", "public, no-cache")]


def etag_matches(if_none_match: str, etag: str) -> bool:
    """Weak comparison (RFC 9110 §13.1.2), as ``If-None-Match`` requires; ``*`` matches.

    Werkzeug's ``parse_etags(...).contains_weak`` does the same, but the query layer stays
    free of the web framework (the layers contract), and this is its whole rule."""
    if if_none_match.strip() == "*":
        return True
    opaque = etag.removeprefix("W/")
    return any(
        candidate.strip().removeprefix("W/") == opaque for candidate in if_none_match.split(",")
    )
