"""The store's lifecycle inside the web app: opened once per process, shared by requests.

``init_app(app)`` reads the configuration; ``get_store()`` gives the store (opening it on
first use, and again in a forked child when the backend cannot cross a fork, such as
RocksDB files); ``get_serving()`` the whole per-process state, whose ``query_context()``
carries the store, the query thread pool that enforces the time limit and the result cache
to ``query/answer.py``. Nothing here is created at import time.

Configuration keys (``SPACEKG_*`` environment variables, see ``config.DEFAULTS``):
STORE (``memory``, ``oxigraph``, ``oxigraph:DIR``, an ``http(s)://`` endpoint, or a Store
object), STORE_READ_ONLY, DATASET_FILES (dataset files loaded with their own graphs),
GRAPHS (``IRI=FILE`` pairs), QUERY_TIMEOUT, QUERY_THREADS, RUNAWAY, CACHE_ENTRIES,
CACHE_BYTES.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app

from spacekg.config import worker_memory_limit
from spacekg.query.answer import QueryContext
from spacekg.query.cache import CacheKey, ResultCache
from spacekg.query.processes import ProcessRunner, sandboxable
from spacekg.query.results import Rendered
from spacekg.query.threads import QueryRunner
from spacekg.stores import Store
from spacekg.stores.configured import open_configured_store

_KEY = "spacekg"


class Serving:
    """Per-app holder of the store, the query runner and the cache (one per process)."""

    def __init__(self, config: dict[str, Any], on_runaway: Callable[[str], None] | None) -> None:
        self.config = config
        self.on_runaway = on_runaway
        self._lock = threading.Lock()
        self._store: Store | None = None
        self._pid = 0
        self._runner: QueryRunner | ProcessRunner | None = None
        self._runner_pid = 0
        self.cache: ResultCache[CacheKey, Rendered] = ResultCache(
            max_entries=int(config["CACHE_ENTRIES"]), max_bytes=int(config["CACHE_BYTES"])
        )

    def store(self) -> Store:
        store = self._store
        if store is not None and (store.fork_safe or self._pid == os.getpid()):
            return store
        with self._lock:
            if self._store is None or not (self._store.fork_safe or self._pid == os.getpid()):
                self._store = open_configured_store(self.config)
                self._pid = os.getpid()
            return self._store

    def query_context(self) -> QueryContext:
        """What ``answer_query`` needs, bound to this process's store, pool and cache."""
        max_rows = int(self.config["MAX_ROWS"]) or None
        return QueryContext(self.store, self.runner, self.cache, max_rows)

    def runner(self) -> QueryRunner | ProcessRunner:
        """Query processes for an on-disk Oxigraph store (``query/processes.py``: a query that
        crashes the engine or eats memory cannot end this process), else threads here.
        Neither survives a fork: a child process starts its own."""
        if self._runner is None or self._runner_pid != os.getpid():
            with self._lock:
                if self._runner is None or self._runner_pid != os.getpid():
                    self._runner = self._new_runner()
                    self._runner_pid = os.getpid()
        return self._runner

    def _new_runner(self) -> QueryRunner | ProcessRunner:
        timeout = float(self.config["QUERY_TIMEOUT"])
        if sandboxable(self.config):
            return ProcessRunner(
                self.config,
                processes=int(self.config["QUERY_PROCESSES"]),
                timeout=timeout,
                memory_limit=worker_memory_limit(self.config),
                long_slots=int(self.config["LONG_QUERY_SLOTS"]),
                client_share=int(self.config["CLIENT_LONG_QUERIES"]),
            )
        # a remote engine's query ends at the limit with its HTTP request: nothing runs away
        # inside this process, and recycling the worker would stop nothing
        remote = str(self.config.get("STORE", "")).startswith(("http:", "https:"))
        return QueryRunner(
            threads=int(self.config["QUERY_THREADS"]),
            timeout=timeout,
            grace=float(self.config["RUNAWAY_GRACE"]),
            on_runaway=None if remote else self.on_runaway,
        )

    def close(self) -> None:
        """Stop this process's query processes (tests; a server's end)."""
        with self._lock:
            runner, self._runner = self._runner, None
        if isinstance(runner, ProcessRunner) and self._runner_pid == os.getpid():
            runner.close()


def init_app(app: Flask, *, on_runaway: Callable[[str], None] | None = None) -> Serving:
    """Attach the serving state to ``app``; with EAGER_STORE the store opens now."""
    serving = Serving(app.config, on_runaway)  # type: ignore[arg-type]
    app.extensions[_KEY] = serving
    if app.config.get("EAGER_STORE"):
        serving.store()
    return serving


def _serving() -> Serving:
    return current_app.extensions[_KEY]  # type: ignore[no-any-return]


def get_store() -> Store:
    """The store of the current app (in a request or app context)."""
    return _serving().store()


def get_serving(app: Flask | None = None) -> Serving:
    """The serving state of ``app`` (default: the current app)."""
    return (app or current_app).extensions[_KEY]  # type: ignore[no-any-return]


def get_cache() -> ResultCache[CacheKey, Rendered]:
    return _serving().cache
