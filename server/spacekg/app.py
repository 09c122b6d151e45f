"""The Flask application factory.

``create_app(config)`` takes the defaults below, then ``SPACEKG_*`` environment variables
(``SPACEKG_QUERY_TIMEOUT=10``, values parsed as JSON when they are JSON), then ``config``.
Nothing is opened at import time; the store opens on first use (or at once with
EAGER_STORE, which ``spacekg serve`` sets for rdflib's in-memory store so server workers
inherit the loaded data; an in-memory Oxigraph is loaded by each worker, ``serve.py``).
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Mapping
from typing import Any

from flask import Flask

from spacekg import serving
from spacekg.http import cors, edge, lane, site, writes
from spacekg.http.errors import register_error_handlers
from spacekg.http.sparql import sparql_bp
from spacekg.http.wellknown import wellknown_bp
from spacekg.namespaces import BASE

log = logging.getLogger(__name__)

DEFAULTS: dict[str, Any] = {
    # relative IRIs in queries resolve against this (<id/agency/cnsa>)
    "BASE_IRI": BASE,
    # the address people use to reach this server: redirects, links, downloads and the
    # service description name it, never a client's Host header (http/edge.py);
    # ``spacekg serve`` sets it from --base-url, else from --host and --port
    "BASE_URL": "http://localhost/",
    # memory | oxigraph | oxigraph:DIR | http(s)://endpoint | a Store object
    "STORE": "oxigraph",
    # open an on-disk Oxigraph store read-only (every worker can then share it)
    "STORE_READ_ONLY": True,
    # dataset files (N-Quads, TriG) loaded with their own graphs, e.g. the build's dataset.nq
    "DATASET_FILES": [],
    # extra graphs: {"IRI": "FILE"}, [["IRI", "FILE"]] or "IRI=FILE;IRI=FILE"
    "GRAPHS": [],
    "EAGER_STORE": False,
    # seconds a query may run before its client gets 503 and the query is stopped
    "QUERY_TIMEOUT": 30.0,
    # rows (or triples) per answer; more are cut and the answer says so; 0 = no limit
    "MAX_ROWS": 100_000,
    # bytes of request body or URL query string; more gets 413
    "MAX_REQUEST_BYTES": 1_000_000,
    # threads per process evaluating queries (stores that run queries in the worker)
    "QUERY_THREADS": 8,
    # query processes per worker for an on-disk Oxigraph store (sandbox.py); 0 = in the worker
    "QUERY_PROCESSES": 2,
    # long queries (past half a second) per worker, and per client within those; more get
    # 503 / 429 (sandbox.py)
    "LONG_QUERY_SLOTS": 4,
    "CLIENT_LONG_QUERIES": 2,
    # bytes the whole server may hold (master, workers, query processes): a query that
    # would pass it is stopped with 503
    "MEMORY_LIMIT": 2 * 1024**3,
    # worker processes sharing MEMORY_LIMIT (set by ``spacekg serve``)
    "SERVER_WORKERS": 1,
    # seconds a timed-out query may take to stop before it counts as a runaway
    "RUNAWAY_GRACE": 2.0,
    # result cache, and replay of repeated /sparql requests: entries and total bytes of each,
    # per process (0 entries = both off)
    "CACHE_ENTRIES": 2048,
    "CACHE_BYTES": 128 * 1024 * 1024,
    # one line per request on standard output (spacekg serve; accesslog.py); false = none
    "ACCESS_LOG": True,
    # Access-Control-Allow-Origin; "" switches CORS off
    "CORS_ORIGIN": "*",
    # modules with an init_app(app) that other parts of SpaceKG add (linked data, pages…)
    "EXTENSIONS": [],
    # curated writes (SPARQL Update, Graph Store Protocol) behind bearer tokens; off = read-only
    "WRITABLE": False,
    # tokens as name:token lines (SPACEKG_WRITE_TOKENS) and/or a file of such lines
    "WRITE_TOKENS": "",
    "WRITE_TOKENS_FILE": None,
    # JSON-lines audit of writes; default: audit.jsonl in an on-disk store's directory
    "WRITE_AUDIT_LOG": None,
    # protected graphs (ontology, shapes, inferred) a curator may change after all
    "WRITE_OPEN_GRAPHS": [],
    # accept CLEAR/DROP ALL and NAMED (they empty every graph)
    "WRITE_ALLOW_CLEAR_ALL": False,
    # longest literal a write may store, most quads one write may change
    "WRITE_MAX_LITERAL_CHARS": 100_000,
    "WRITE_MAX_QUADS": 200_000,
    # seconds an update (or an upload's parse) may run, and the bytes its process may hold
    # (0: a quarter of the worker's share of MEMORY_LIMIT); past either it is stopped
    "WRITE_TIMEOUT": 10.0,
    "WRITE_MEMORY": 0,
}


def create_app(
    config: Mapping[str, Any] | None = None,
    *,
    on_runaway: Callable[[str], None] | None = None,
) -> Flask:
    """Build the SpaceKG web app.

    ``on_runaway`` is called (from a timer thread) when a timed-out query cannot be stopped
    inside this process; ``spacekg serve`` passes one that recycles the worker.
    Raises ConfigError / InputError when EAGER_STORE is set and the store cannot be opened.
    """
    app = Flask("spacekg")
    app.config.from_mapping(DEFAULTS)
    app.config.from_prefixed_env("SPACEKG")
    if config:
        app.config.from_mapping(config)
    app.config["MAX_CONTENT_LENGTH"] = int(app.config["MAX_REQUEST_BYTES"])
    app.json.sort_keys = False  # type: ignore[attr-defined]

    register_error_handlers(app)
    cors.init_app(app)
    app.register_blueprint(sparql_bp)
    app.register_blueprint(wellknown_bp)
    writes.init_app(app)  # only with WRITABLE
    site.init_app(app)  # linked data, pages, search, explorer, downloads, YASGUI
    for name in _extension_names(app.config["EXTENSIONS"]):
        importlib.import_module(name).init_app(app)
    state = serving.init_app(app, on_runaway=on_runaway)
    app.wsgi_app = edge.SecurityHeaders(  # type: ignore[method-assign]
        edge.PublicURL(app.wsgi_app, str(app.config["BASE_URL"]))
    )
    lane.init_app(app, state)  # /sparql queries answered in front of Flask (and the edge,
    return app  # whose security headers it adds to its own answers)


def _extension_names(value: object) -> list[str]:
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    return [str(v) for v in value or []]  # type: ignore[attr-defined]
