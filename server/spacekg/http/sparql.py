"""``/sparql``: the SPARQL 1.1 Protocol query operation, and the service description.

Thin route: read the protocol request, check the query, negotiate the format, answer from
the cache or the query pool. Every failure is an exception mapped in ``http/errors.py``.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, request, url_for

from spacekg import negotiate
from spacekg.cache import cache_key
from spacekg.description import service_description
from spacekg.errors import BadRequest, RequestTooLarge, UpdateRefused
from spacekg.http.protocol import parse_request
from spacekg.http.rdfdoc import rdf_response
from spacekg.serving import get_cache, get_runner, get_store
from spacekg.sparql import inspect_query

sparql_bp = Blueprint("sparql", __name__)

TRUNCATED_HEADER = "SpaceKG-Truncated"


@sparql_bp.route("/sparql", methods=["GET", "POST"], strict_slashes=False)
def endpoint() -> Response:
    limit = int(current_app.config["MAX_REQUEST_BYTES"])
    if request.content_length is not None and request.content_length > limit:
        raise RequestTooLarge(
            f"the request body is {request.content_length} bytes; the limit is {limit}"
        )
    if len(request.query_string) > limit:
        raise RequestTooLarge(f"the URL query string is over the {limit}-byte limit")
    body = request.get_data(cache=False)  # a GET with a body is refused (protocol.py)
    protocol = parse_request(
        request.method, request.query_string, request.headers.get("Content-Type"), body
    )
    if protocol.update is not None:
        if current_app.extensions.get("spacekg.writes") is not None:
            from spacekg.http.writes import handle_update

            return handle_update(protocol)
        raise UpdateRefused(
            "this endpoint is read-only: SPARQL Update is not accepted"
        )
    if protocol.query is None:
        if request.method == "POST":
            raise BadRequest("the request carries no query (parameter 'query' or a body)")
        return _service_description(protocol.formats)
    if not protocol.query.strip():
        raise BadRequest("the query is empty")

    info = inspect_query(protocol.query)
    fmt = negotiate.choose(
        negotiate.offers_for(info.form), request.headers.get("Accept"), protocol.formats
    )
    store = get_store()
    max_rows = int(current_app.config["MAX_ROWS"]) or None
    key = cache_key(
        store.generation,
        info.normalised,
        default_graphs=protocol.default_graph_uris,
        named_graphs=protocol.named_graph_uris,
        media_type=fmt.media_type,
        max_rows=max_rows,
    )
    if key is not None and request.if_none_match.contains_weak(key.etag.strip('"')):
        return _not_modified(key.etag)
    cache = get_cache()
    rendered = cache.get(key) if key is not None else None
    if rendered is None:
        rendered = get_runner().run_query(
            store,
            protocol.query,
            fmt,
            default_graph_uris=protocol.default_graph_uris,
            named_graph_uris=protocol.named_graph_uris,
            max_rows=max_rows,
        )
        if key is not None:
            cache.put(key, rendered)
    response = Response(rendered.body, 200, content_type=rendered.format.content_type)
    response.headers["Vary"] = "Accept"
    if key is not None:
        response.headers["ETag"] = key.etag
        response.headers["Cache-Control"] = "public, no-cache"
    else:
        response.headers["Cache-Control"] = "no-store"
    if rendered.truncated:
        response.headers[TRUNCATED_HEADER] = "true"
        response.headers["SpaceKG-Max-Rows"] = str(rendered.max_rows)
    return response


def _not_modified(etag: str) -> Response:
    response = Response(status=304)
    response.headers["ETag"] = etag
    response.headers["Vary"] = "Accept"
    response.headers["Cache-Control"] = "public, no-cache"
    return response


def _service_description(format_param: list[str]) -> Response:
    endpoint_url = url_for("sparql.endpoint", _external=True)
    void_url = url_for("wellknown.void", _external=True)
    writable = current_app.extensions.get("spacekg.writes") is not None
    graph = service_description(
        endpoint_url, get_store(), void_url=void_url, writable=writable
    )
    return rdf_response(graph, format_param)
