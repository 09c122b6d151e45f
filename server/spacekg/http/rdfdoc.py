"""Send a small RDF document (service description, VoID) in the negotiated format."""

from __future__ import annotations

from collections.abc import Sequence

from flask import Response, request
from rdflib import Graph

from spacekg.query import negotiate
from spacekg.query.results import render_graph

_RDFLIB_NAMES = {
    negotiate.TURTLE.media_type: "turtle",
    negotiate.NTRIPLES.media_type: "nt",
    negotiate.JSONLD.media_type: "json-ld",
    negotiate.RDFXML.media_type: "xml",
}


def rdf_response(graph: Graph, format_param: str | Sequence[str] | None = None) -> Response:
    """``graph`` serialised as the client asks (Accept or ``format``), Turtle by default."""
    fmt = negotiate.choose(negotiate.GRAPH, request.headers.get("Accept"), format_param)
    if fmt.media_type in _RDFLIB_NAMES:  # rdflib nests blank nodes: easier to read
        body = graph.serialize(format=_RDFLIB_NAMES[fmt.media_type], encoding="utf-8")
    else:  # dataset formats: the triples in the default graph
        body = render_graph(list(graph), fmt)
    response = Response(body, 200, content_type=fmt.content_type)
    response.headers["Vary"] = "Accept"
    links = [
        f'<{request.base_url}?format={alt.name}>; rel="alternate"; type="{alt.media_type}"'
        for alt in negotiate.GRAPH
        if alt is not fmt
    ]
    response.headers["Link"] = ", ".join(links)
    return response
