"""The Flask application factory.

``create_app(config)`` takes the defaults below, then ``SPACEKG_*`` environment variables
(``SPACEKG_QUERY_TIMEOUT=10``, values parsed as JSON when they are JSON), then ``config``.
Nothing is opened at import time; the store opens on first use (or at once with
EAGER_STORE, which ``spacekg serve`` sets for rdflib's in-memory store so server workers
inherit the loaded data; an in-memory Oxigraph is loaded by each worker, ``serve.py``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from flask import Flask

from spacekg.config import DEFAULTS
from spacekg.http import cors, edge, lane, serving, site, writes
from spacekg.http.errors import register_error_handlers
from spacekg.http.sparql import sparql_bp
from spacekg.http.wellknown import wellknown_bp

log = logging.getLogger(__name__)



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
    state = serving.init_app(app, on_runaway=on_runaway)
    app.wsgi_app = edge.SecurityHeaders(  # type: ignore[method-assign]
        edge.PublicURL(app.wsgi_app, str(app.config["BASE_URL"]))
    )
    lane.init_app(app, state)  # /sparql queries answered in front of Flask (and the edge,
    return app  # whose security headers it adds to its own answers)

