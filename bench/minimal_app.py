"""The overhead baseline: Flask + gunicorn + pyoxigraph with none of SpaceKG's safety.

No timeouts, no row limits, no SERVICE/LOAD checks, no cache, no content negotiation beyond
picking JSON results or Turtle: what "SPARQL over Flask" costs at its cheapest. The benchmark
compares ``spacekg serve`` against it to show what the safety costs.

    MINIMAL_STORE=/path/to/oxigraph-dir gunicorn -k gthread -w 2 --threads 4 \
        -b 127.0.0.1:8001 bench.minimal_app:app

``MINIMAL_DATA=file.nq`` instead loads the file into an in-memory store at start (with
``--preload`` the workers inherit it, as ``spacekg serve`` does with in-memory stores).
"""

from __future__ import annotations

import os

import pyoxigraph as ox
from flask import Flask, Response, request

app = Flask(__name__)
_store: ox.Store | None = None


def store() -> ox.Store:
    global _store
    if _store is None:
        if os.environ.get("MINIMAL_DATA"):
            _store = ox.Store()
            _store.bulk_load(path=os.environ["MINIMAL_DATA"], format=ox.RdfFormat.N_QUADS)
        else:
            _store = ox.Store.read_only(os.environ["MINIMAL_STORE"])
    return _store


if os.environ.get("MINIMAL_DATA"):
    store()  # with --preload the master loads once and the workers inherit the memory


@app.route("/sparql", methods=["GET", "POST"])
def sparql() -> Response:
    if request.method == "POST" and request.mimetype == "application/sparql-query":
        query = request.get_data(as_text=True)
    else:
        query = request.values.get("query", "")
    # the data file: Oxigraph's union; the on-disk store: its default graph holds the union,
    # each triple once, as ``spacekg build`` writes it
    result = store().query(query, use_default_graph_as_union=bool(os.environ.get("MINIMAL_DATA")))
    if isinstance(result, ox.QuerySolutions | ox.QueryBoolean):
        body = result.serialize(format=ox.QueryResultsFormat.JSON)
        return Response(body, mimetype="application/sparql-results+json")
    body = ox.serialize(result, format=ox.RdfFormat.TURTLE)
    return Response(body, mimetype="text/turtle")
