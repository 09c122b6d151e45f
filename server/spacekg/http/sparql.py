"""``/sparql``: the one function that decides what a request to the endpoint is.

A query (``query/answer.py`` answers it), an update (the curated write path, when the server
is writable), a browser asking for the page (YASGUI, ``http/site.py``) or a client asking for
the service description. Every failure is an exception mapped in ``http/errors.py``.

Most plain queries are answered by ``http/lane.py`` before Flask is reached; the lane calls
the same ``answer_query`` and the same error mapping, and hands everything else here.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, request, url_for

from spacekg.errors import BadRequest, RequestTooLarge, UpdateRefused
from spacekg.http.body import read_body
from spacekg.http.rdfdoc import rdf_response
from spacekg.http.serving import get_serving, get_store
from spacekg.http.site import sparql_page, wants_yasgui
from spacekg.http.writes import accepts_writes, handle_update
from spacekg.publish.description import service_description
from spacekg.query.answer import answer_query
from spacekg.query.protocol import parse_request

sparql_bp = Blueprint("sparql", __name__)

@sparql_bp.route("/sparql", methods=["GET", "POST"], strict_slashes=False)
def endpoint() -> Response:
    if wants_yasgui():
        return sparql_page()
    limit = int(current_app.config["MAX_REQUEST_BYTES"])
    if len(request.query_string) > limit:
        raise RequestTooLarge(f"the URL query string is over the {limit}-byte limit")
    body = read_body()  # a GET with a body is refused (query/protocol.py)
    protocol = parse_request(
        request.method, request.query_string, request.headers.get("Content-Type"), body
    )
    if protocol.update is not None:
        if accepts_writes():
            return handle_update(protocol)
        raise UpdateRefused(
            "this endpoint is read-only: SPARQL Update is not accepted"
        )
    if protocol.query is None:
        if request.method == "POST":
            raise BadRequest("the request carries no query (parameter 'query' or a body)")
        return _service_description(protocol.formats)

    answer = answer_query(
        get_serving().query_context(),
        protocol,
        accept=request.headers.get("Accept"),
        if_none_match=request.headers.get("If-None-Match"),
        client=request.remote_addr or "",
    )
    return Response(answer.body, answer.status, headers=answer.headers)


def _service_description(format_param: list[str]) -> Response:
    endpoint_url = url_for("sparql.endpoint", _external=True)
    void_url = url_for("wellknown.void", _external=True)
    writable = accepts_writes()
    graph = service_description(
        endpoint_url, get_store(), void_url=void_url, writable=writable
    )
    return rdf_response(graph, format_param)
