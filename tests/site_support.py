"""Shared by the linked-data, pages, search, explorer, downloads and browser tests: the
packaged report loaded once into an Oxigraph store, apps over it, and a live loopback server."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

from flask import Flask
from spacekg.app import create_app
from spacekg.build.dataset import Sources, load_sources
from spacekg.stores.oxigraph import OxigraphStore
from werkzeug.serving import make_server

BASE = "https://w3id.org/spacekg/"
CNSA = BASE + "id/agency/cnsa"
CHANGE_7 = BASE + "id/mission/change-7"
PARA_19 = BASE + "id/document/a-ac-105-1294/para/19"


@cache
def report_quads() -> tuple[tuple[Any, Any, Any, Any], ...]:
    """Every quad of the packaged ontology and data (parsed once per test session)."""
    return tuple(load_sources(Sources.packaged()).quads())


@cache
def report_store() -> OxigraphStore:
    """An in-memory Oxigraph store holding the packaged report (shared, read-only use)."""
    store = OxigraphStore()
    store.load((s, p, o, str(g)) for s, p, o, g in report_quads())
    return store


def make_app(tmp: Path, **config: Any) -> Flask:
    settings = {
        "TESTING": True,
        "STORE": report_store(),
        "DOWNLOAD_DIR": str(tmp / "downloads"),
        "SHACL_REPORT_DIR": str(tmp / "shacl"),
        **config,
    }
    return create_app(settings)


@contextmanager
def serve(app: Flask) -> Iterator[str]:
    """Serve ``app`` on a free loopback port in a thread; yield its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(5)
