"""``spacekg serve``: build if needed, then serve the app with gunicorn.

Choices, and why:

* gunicorn ``gthread`` workers, one per core (2 here), 4 threads each. Queries are CPU work
  in Oxigraph, which releases the GIL, so threads of one worker overlap; a second process
  lets the Python half (Flask, serialisation) use the second core too. More processes than
  cores only add memory. The worker class is gthread's with a short path for plain
  ``/sparql`` queries (``http/worker.py``): gunicorn's per-request Python was most of a
  point lookup's cost.
* The default store is the build's on-disk Oxigraph directory, opened read-only by every
  worker: no worker holds the dataset in its heap (RSS stays in the tens of MB at 1M
  triples; the OS page cache is shared) and a new worker is ready in milliseconds.
  ``--in-memory`` trades that for speed: the dataset is loaded into an in-memory Oxigraph in
  the master, where RocksDB's lookups no longer cost (joins and aggregates 5–10× faster at
  a million triples).
  rdflib's in-memory store (``--store memory``) is loaded once in the master
  (``preload_app``) and inherited by the workers; an in-memory Oxigraph (``--in-memory``,
  ``--graph`` with the report) is loaded by each worker (see ``loads_per_worker``).
* A query that overruns its limit is answered 503 at once; if it cannot be stopped inside
  the engine, its worker is told to finish its other requests and exit (SIGTERM to itself,
  gunicorn's graceful shutdown) and the master starts a fresh one: the process is the unit
  that can be stopped (DESIGN.md §6).

Environment: every ``SPACEKG_*`` setting of ``app.DEFAULTS`` (``SPACEKG_QUERY_TIMEOUT``,
``SPACEKG_MAX_ROWS``…), plus ``SPACEKG_HOST``, ``SPACEKG_PORT``, ``SPACEKG_WORKERS``,
``SPACEKG_THREADS``, ``SPACEKG_STORE``, ``SPACEKG_GRAPHS``, ``SPACEKG_IN_MEMORY``;
command-line options win.
"""

from __future__ import annotations

import argparse
import ctypes
import logging
import os
import signal
import threading
from pathlib import Path
from typing import Any

from flask import Flask

from spacekg.errors import ConfigError

log = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
DEFAULT_STORE = "oxigraph"
#: gunicorn's gthread worker with a short path for plain queries (``http/worker.py``).
WORKER_CLASS = "spacekg.http.worker.SpaceKGWorker"


def default_workers() -> int:
    """One worker per core (at least 1, at most 4: each keeps its own result cache)."""
    return max(1, min(os.cpu_count() or 1, 4))


#: Seconds a recycled worker gives its other requests before it leaves.
DRAIN_SECONDS = 1.0


def recycle_worker(reason: str) -> None:
    """Make this gunicorn worker stop taking requests, finish the others and exit; the
    master replaces it. The thread stuck in the engine can never finish, and gunicorn (and
    then Python) would wait for it, so after ``DRAIN_SECONDS`` the process ends itself."""
    log.warning("recycling worker %d: %s", os.getpid(), reason)
    os.kill(os.getpid(), signal.SIGTERM)
    timer = threading.Timer(DRAIN_SECONDS, os._exit, args=(0,))
    timer.daemon = True
    timer.start()


def app_config(args: argparse.Namespace, env: dict[str, str] | None = None) -> dict[str, Any]:
    """Settings for ``create_app`` from the CLI options (and the build), env as fallback.

    Raises the build's errors (ValidationFailed, InconsistentOntology…) when the report
    must be built and cannot be.
    """
    env = dict(os.environ if env is None else env)
    store = getattr(args, "store", None) or DEFAULT_STORE
    if store == DEFAULT_STORE and env.get("SPACEKG_STORE"):
        store = env["SPACEKG_STORE"]
    from spacekg.serving import parse_graphs

    graphs = [(iri, str(path)) for iri, path in parse_graphs(env.get("SPACEKG_GRAPHS"))]
    graphs += [(iri, str(path)) for iri, path in getattr(args, "graph", None) or []]
    for _, path in graphs:
        if not Path(path).is_file():
            raise ConfigError(f"--graph file not found: {path}")
    config: dict[str, Any] = {"GRAPHS": graphs}
    writable = bool(getattr(args, "writable", False))
    if writable:
        config["WRITABLE"] = True
        if getattr(args, "tokens_file", None):
            config["WRITE_TOKENS_FILE"] = str(args.tokens_file)
        if getattr(args, "audit_log", None):
            config["WRITE_AUDIT_LOG"] = str(args.audit_log)
        if getattr(args, "open_graph", None):
            config["WRITE_OPEN_GRAPHS"] = list(args.open_graph)
        if getattr(args, "allow_clear_all", False):
            config["WRITE_ALLOW_CLEAR_ALL"] = True
    if getattr(args, "timeout", None) is not None:
        config["QUERY_TIMEOUT"] = float(args.timeout)
    if getattr(args, "max_rows", None) is not None:
        config["MAX_ROWS"] = int(args.max_rows)
    if getattr(args, "memory_limit", None) is not None:
        config["MEMORY_LIMIT"] = int(args.memory_limit)
    if getattr(args, "query_processes", None) is not None:
        config["QUERY_PROCESSES"] = int(args.query_processes)

    if getattr(args, "no_report", False):
        if not graphs and not env.get("SPACEKG_DATASET_FILES") and not store.startswith(
            ("oxigraph:", "http:", "https:")
        ):
            log.warning("--no-report without --graph: the dataset is empty")
        config["STORE"] = store
        if store.startswith("oxigraph:"):
            if graphs:  # otherwise the directory is only ever opened read-only
                _fill(Path(store.partition(":")[2]), None, graphs, writable=writable)
            config["GRAPHS"] = []
            config["STORE_READ_ONLY"] = not writable
        else:
            config["EAGER_STORE"] = True
        return config

    from spacekg.build import ensure_built

    built = ensure_built(getattr(args, "build_dir", None))
    in_memory = bool(getattr(args, "in_memory", False)) or _truthy(env.get("SPACEKG_IN_MEMORY"))
    if store == DEFAULT_STORE and not graphs and not writable and not in_memory:
        # The common case: every worker opens the build's store read-only.
        config["STORE"] = f"oxigraph:{built.oxigraph_path}"
        config["STORE_READ_ONLY"] = True
        return config
    if store.startswith("oxigraph:"):
        _fill(Path(store.partition(":")[2]), built.nquads_path, graphs, writable=writable)
        config["STORE"] = store
        config["STORE_READ_ONLY"] = not writable
        config["GRAPHS"] = []
        return config
    if writable:
        log.warning("--writable with an in-memory store: writes are lost when the server "
                    "stops; use --store oxigraph:DIR to keep them")
    config["STORE"] = store
    config["DATASET_FILES"] = [str(built.nquads_path)]
    config["EAGER_STORE"] = True
    return config


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


def _fill(
    directory: Path, nquads: Path | None, graphs: list[tuple[str, str]], *, writable: bool
) -> None:
    """Fill the store here, or, when the worker will write to it, in a child process.

    RocksDB's background threads (which flush writes) do not survive a fork: a worker
    forked from a master that opened the store would wait for them forever on its first
    flush. A child that fills the store and exits keeps the master clean.
    """
    if not writable:
        _fill_disk_store(directory, nquads, graphs)
        return
    import multiprocessing

    child = multiprocessing.get_context("spawn").Process(
        target=_fill_disk_store, args=(directory, nquads, graphs)
    )
    child.start()
    child.join()
    if child.exitcode != 0:
        raise ConfigError(f"could not load the data into {directory} (see the log above)")


def _fill_disk_store(directory: Path, nquads: Path | None, graphs: list[tuple[str, str]]) -> None:
    """Load the report (and extra graphs) into an on-disk store the first time it is used;
    a store directory that already holds data is served as it is."""
    from spacekg.stores.oxigraph import OxigraphStore

    store = OxigraphStore(directory)
    try:
        if len(store.native) == 0:
            if nquads is not None:
                log.info("loading %s into %s", nquads, directory)
                store.load(nquads)
            for iri, path in graphs:
                store.load(path, iri)
        elif graphs:
            log.warning("%s already holds data: --graph files not loaded into it", directory)
    finally:
        store.close()
        del store


def gunicorn_options(args: argparse.Namespace, config: dict[str, Any]) -> dict[str, Any]:
    env = os.environ
    host = getattr(args, "host", None) or DEFAULT_HOST
    if host == DEFAULT_HOST and env.get("SPACEKG_HOST"):
        host = env["SPACEKG_HOST"]
    port = getattr(args, "port", None) or DEFAULT_PORT
    if port == DEFAULT_PORT and env.get("SPACEKG_PORT"):
        port = int(env["SPACEKG_PORT"])
    workers = getattr(args, "workers", None) or int(env.get("SPACEKG_WORKERS") or 0)
    if config.get("WRITABLE"):
        # one process owns the store: a second would hold its own copy (in memory) or be
        # locked out of the files (on disk), and writes are serialised by one lock
        if workers and workers > 1:
            log.warning("--writable serves with one worker process (asked for %d)", workers)
        workers = 1
    threads = int(env.get("SPACEKG_THREADS") or 4)
    timeout = float(config.get("QUERY_TIMEOUT") or env.get("SPACEKG_QUERY_TIMEOUT") or 30)
    return {
        "bind": f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
        "workers": workers or default_workers(),
        "worker_class": WORKER_CLASS,
        "threads": threads,
        # the arbiter only kills a worker whose main loop stalls; queries run on threads
        "timeout": int(timeout + 30),
        "graceful_timeout": int(timeout + 5),
        "keepalive": 5,
        "preload_app": True,
        "limit_request_line": 8190,
        "errorlog": "-",
        "loglevel": "info",
        "proc_name": "spacekg",
        # no control socket: several servers (tests, benchmarks) run side by side
        "control_socket_disable": True,
    }


def master_lets_go(config: dict[str, Any]) -> bool:
    """Whether the master drops its copy of the store once the workers are forked.

    An in-memory Oxigraph is loaded once in the master and inherited by the workers, but the
    sharing does not last: reading the store touches its pages, so each worker soon holds a
    private copy and the master's is one copy too many (at a million triples: 1.16 GB RSS
    with it, 0.84 GB without). Loading in each worker instead would double the start-up
    (two loads compete for the cores). So the master loads, forks, then lets go; a worker
    started later (one recycled after a runaway query) loads its own copy.
    """
    return config.get("STORE") == "oxigraph" and bool(config.get("EAGER_STORE"))


def prepare_worker(app: Flask, *, open_store: bool) -> Any:
    """A gunicorn ``post_fork`` hook. Unless the store is remote, the worker gives up the
    network (``netguard``: nothing it runs — a JSON-LD context, an RDF/XML entity, a query
    that slipped past the checks — can make it connect anywhere). With ``open_store``, it
    has the store before it takes requests (a worker forked after the master let go loads
    it); a store that cannot be loaded stops the server with its reason (no traceback)."""
    from spacekg import netguard
    from spacekg.errors import SpaceKGError
    from spacekg.serving import get_serving

    remote = str(app.config.get("STORE", "")).startswith(("http:", "https:"))

    def post_fork(server: object, worker: object) -> None:
        if not remote:
            try:
                netguard.deny_outbound_network()
            except netguard.NetworkWallUnavailable as exc:
                log.warning("worker %d keeps network access: %s", os.getpid(), exc)
        if open_store:
            try:
                get_serving(app).store()
            except SpaceKGError as exc:
                log.error("%s", exc)
                raise SystemExit(3) from None  # gunicorn's "worker failed to boot": it stops

    return post_fork


def _release_in_master(app: Flask) -> None:
    from spacekg.serving import get_serving

    if get_serving(app).release_store():
        try:  # give the freed heap back to the system (glibc keeps it otherwise)
            ctypes.CDLL("libc.so.6").malloc_trim(0)
        except (OSError, AttributeError):
            pass


def main(args: argparse.Namespace) -> int:
    """Run the server until interrupted; returns the exit code for the CLI."""
    from gunicorn.app.base import BaseApplication

    from spacekg.app import create_app

    config = app_config(args)
    config.setdefault("QUERY_THREADS", int(os.environ.get("SPACEKG_THREADS") or 4))
    let_go = master_lets_go(config)
    app = create_app(config, on_runaway=recycle_worker)
    options = gunicorn_options(args, app.config)
    app.config["SERVER_WORKERS"] = options["workers"]  # they share MEMORY_LIMIT
    options["post_fork"] = prepare_worker(app, open_store=let_go)

    class _Server(BaseApplication):  # type: ignore[misc]
        def __init__(self, application: Flask, settings: dict[str, Any]) -> None:
            self.application = application
            self.settings = settings
            super().__init__()

        def load_config(self) -> None:
            for key, value in self.settings.items():
                if key in self.cfg.settings:  # older gunicorns lack some settings
                    self.cfg.set(key, value)

        def load(self) -> Flask:
            return self.application

        def run(self) -> None:
            from gunicorn.arbiter import Arbiter

            class _Arbiter(Arbiter):  # type: ignore[misc]
                def spawn_workers(self) -> None:  # runs in the master only
                    super().spawn_workers()
                    if let_go:
                        _release_in_master(app)

            _Arbiter(self).run()

    log.info("serving %s on http://%s/sparql", app.config["STORE"], options["bind"])
    _Server(app, options).run()
    return 0
