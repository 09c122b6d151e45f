"""``spacekg serve``: build if needed, then serve the app with Granian.

Choices, and why:

* Granian (a maintained HTTP server written in Rust, serving the WSGI app): connections, request
  heads and keep-alive are handled by its event loop, so idle and slow clients cost a socket,
  not a thread. A threaded WSGI server (gunicorn's gthread, used until issue 11) gives each
  connection that has sent a byte a thread until its head is complete: 8 clients trickling a
  head one byte at a time, or a few dozen idle connections, stopped it answering anyone;
  Granian is as fast (``bench/README.md``). A head must arrive within ``HEADER_READ_TIMEOUT``.
* One worker process per core (2 here), with ``SPACEKG_THREADS`` (32) threads each for the
  WSGI app. Client queries on an on-disk Oxigraph run in each worker's query processes
  (``query/processes.py``); the worker's own threads only parse, wait and write, so they are many
  and cheap: a request waiting on a long query holds a thread, and a cached answer, a page
  or a short query must still find one free (with 4, eight heavy queries shut everyone out).
* HTTP/1.1 only, and every connection must send a complete request head within
  ``HEADER_READ_TIMEOUT_MS`` (5 s) of opening or of its last answer, or it is closed. In
  Granian's default auto mode (HTTP/1 or HTTP/2), a connection that never sends a byte waits
  for protocol detection with no timer at all: 2,000 silent sockets lived for minutes and
  shut new clients out.
* The default store is the build's on-disk Oxigraph directory, opened read-only by every
  worker and query process: no worker holds the dataset in its heap and a new one is ready
  in milliseconds. ``--in-memory`` loads the dataset into an in-memory Oxigraph in each
  worker instead (joins and aggregates 5–10× faster at a million triples; queries then run
  in the worker, without the query processes' containment).
* A worker that dies is replaced (``respawn_failed_workers``). A query that overruns its
  limit is answered 503 at once; a query process is killed on the spot; a query running in
  the worker (in-memory stores) that cannot be stopped makes its worker exit after draining,
  and Granian starts a fresh one: the process is the unit that can be stopped
  (docs/architecture.md, "Stopping a query").
* Workers give up the network (``netguard``) unless the store is remote.
* "Ready" is said (``on_ready``, printed by the CLI) once a worker has answered a query, not
  when the socket is bound: Granian's master listens before its workers have opened the
  store, and a connection to it then only waits. The question is the readiness check's own
  ``ASK {}``, so it is the first line of the access log. The check runs in a child process
  started before Granian: a thread in the master would be copied into forked workers with
  its locks held (a worker once hung for good on an import lock taken by the check).
* One access-log line per request (``http/accesslog.py``, on standard output; ``ACCESS_LOG``,
  ``--no-access-log``), written by a wrapper around the app rather than by Granian: its log
  has no response size and writes percent-decoded paths as they are (see ``accesslog``).
  Requests Granian refuses itself (a malformed head, 400) never reach it and are not logged.

Environment: every ``SPACEKG_*`` setting of ``config.DEFAULTS`` (``SPACEKG_QUERY_TIMEOUT``,
``SPACEKG_MAX_ROWS``…), plus ``SPACEKG_HOST``, ``SPACEKG_PORT``, ``SPACEKG_WORKERS``,
``SPACEKG_THREADS``, ``SPACEKG_STORE``, ``SPACEKG_GRAPHS``, ``SPACEKG_IN_MEMORY``
(``SPACEKG_ACCESS_LOG`` is ``config.DEFAULTS``'s ``ACCESS_LOG``); command-line options win.
"""

from __future__ import annotations

import argparse
import http.client
import json
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask

from spacekg.errors import ConfigError

log = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
DEFAULT_STORE = "oxigraph"


def default_workers() -> int:
    """One worker per core (at least 1, at most 4: each keeps its own result cache)."""
    return max(1, min(os.cpu_count() or 1, 4))


#: Seconds a recycled worker gives its other requests before it leaves.
DRAIN_SECONDS = 1.0


def recycle_worker(reason: str) -> None:
    """Make this worker finish its other requests and exit; Granian starts a fresh one. The
    thread stuck in the engine can never finish, and Python would wait for it at exit, so
    after ``DRAIN_SECONDS`` the process ends itself, with a failure code (a worker that
    exits cleanly is not replaced)."""
    log.warning("recycling worker %d: %s", os.getpid(), reason)
    timer = threading.Timer(DRAIN_SECONDS, os._exit, args=(70,))
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
    from spacekg.stores.configured import parse_graphs

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
    if getattr(args, "no_access_log", False):
        config["ACCESS_LOG"] = False

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

    from spacekg.build.pipeline import ensure_built

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


#: Milliseconds a connection may stay silent: to send a complete request head after opening,
#: or the next one after an answer (keep-alive).
HEADER_READ_TIMEOUT_MS = 5_000
#: Connections waiting to be accepted, and connections each worker holds at once.
BACKLOG = 4096
BACKPRESSURE = 16_384
#: Threads per worker for the WSGI app (``SPACEKG_THREADS``).
DEFAULT_THREADS = 32
#: The environment variable that carries the app's settings to the worker processes.
CONFIG_ENV = "SPACEKG_SERVE_CONFIG"


def server_options(args: argparse.Namespace, config: dict[str, Any]) -> dict[str, Any]:
    """Granian's settings: address, workers, threads, timeouts."""
    from granian.constants import HTTPModes, Interfaces
    from granian.http import HTTP1Settings

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
    threads = int(env.get("SPACEKG_THREADS") or DEFAULT_THREADS)
    return {
        "address": host,
        "port": int(port),
        "interface": Interfaces.WSGI,
        "http": HTTPModes.http1,
        # a WSGI app has no websockets; left on, Granian says so at every start
        "websockets": False,
        "workers": workers or default_workers(),
        "blocking_threads": threads,
        "http1_settings": HTTP1Settings(header_read_timeout=HEADER_READ_TIMEOUT_MS),
        "respawn_failed_workers": True,
        "respawn_interval": 0.5,
        "backlog": BACKLOG,
        # connections a worker holds at once, whether they have sent a request or not:
        # Granian's default (backlog / workers) let 2,100 silent sockets fill both workers,
        # and the next client waited in the kernel's queue until one timed out
        "backpressure": BACKPRESSURE,
        "log_access": False,
    }


def _raise_file_limit() -> None:
    """Let the server hold as many sockets as the system allows it (the soft limit is often
    1,024: a few hundred idle clients would use up the descriptors of a worker)."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = hard if hard != resource.RLIM_INFINITY else 1 << 20
    if soft < wanted:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
        except (ValueError, OSError):
            log.warning("could not raise the open-file limit from %d", soft)


def base_url(args: argparse.Namespace, listening: Listening) -> str:
    """The public base URL: ``--base-url``, else ``SPACEKG_BASE_URL``, else where the server
    listens (checked: ConfigError for anything but an http(s) URL)."""
    from spacekg.http.edge import parse_base_url

    value = getattr(args, "base_url", None) or os.environ.get("SPACEKG_BASE_URL")
    value = value or listening.home
    parse_base_url(value)
    return value if value.endswith("/") else value + "/"


def worker_app() -> Flask:
    """The app of one worker process (Granian's factory): the settings come from the
    master through :data:`CONFIG_ENV`. The worker gives up the network unless its store is
    remote, and opens the store before it takes requests: a store that cannot be opened
    stops the worker with its reason (no traceback)."""
    from spacekg.app import create_app
    from spacekg.errors import SpaceKGError
    from spacekg.http import accesslog
    from spacekg.http.serving import get_serving
    from spacekg.query import netguard

    config = json.loads(os.environ[CONFIG_ENV])
    if not str(config.get("STORE", "")).startswith(("http:", "https:")):
        try:
            netguard.deny_outbound_network(allow_sockets=True)  # Granian makes sockets
        except netguard.NetworkWallUnavailable as exc:
            log.warning("worker %d keeps network access: %s", os.getpid(), exc)
    app = create_app(config, on_runaway=recycle_worker)
    if access_log_enabled(app.config["ACCESS_LOG"]):
        accesslog.log_to(sys.stdout)
        app.wsgi_app = accesslog.AccessLog(app.wsgi_app)  # type: ignore[method-assign]
    try:
        get_serving(app).store()
        from spacekg.http.writes import recover_at_start

        recover_at_start(app)  # the audit log and the store agree before any request
        from spacekg.http.site import warm_search

        warm_search(app)  # no search request waits for the index to be built
    except SpaceKGError as exc:
        log.error("%s", exc)
        raise SystemExit(3) from None
    return app


def access_log_enabled(value: object) -> bool:
    """ACCESS_LOG as set in the config or the environment (``SPACEKG_ACCESS_LOG=off``)."""
    if isinstance(value, str):
        return value.strip().lower() not in ("", "0", "false", "no", "off")
    return bool(value)


#: Every address: the server listens on all interfaces.
ANY_ADDRESSES = ("0.0.0.0", "::", "")


@dataclass(frozen=True)
class Listening:
    """Where the server listens, and the URLs a person on this machine can open."""

    host: str
    port: int

    @property
    def all_interfaces(self) -> bool:
        return self.host in ANY_ADDRESSES

    @property
    def local_host(self) -> str:
        """The host to connect to: a browser cannot open ``0.0.0.0``, loopback it is."""
        if self.all_interfaces:
            return "::1" if self.host == "::" else "127.0.0.1"
        return self.host

    @property
    def home(self) -> str:
        host = self.local_host
        return f"http://[{host}]:{self.port}/" if ":" in host else f"http://{host}:{self.port}/"

    @property
    def sparql(self) -> str:
        return self.home + "sparql"


#: What the readiness check asks: the cheapest query, answered by a worker and its store.
READY_PROBE = "/sparql?query=ASK%7B%7D"


def answers(listening: Listening, timeout: float = 5.0) -> bool:
    """Whether a worker answers a query now. A socket that accepts a connection is not
    enough: the master listens before its workers have opened the store."""
    connection = http.client.HTTPConnection(listening.local_host, listening.port,
                                            timeout=timeout)
    try:
        connection.request("GET", READY_PROBE, headers={
            "Accept": "application/sparql-results+json", "Connection": "close"})
        return connection.getresponse().status == 200
    except (OSError, http.client.HTTPException):
        return False
    finally:
        connection.close()


def _announce_when_ready(listening: Listening, on_ready: Callable[[Listening], None],
                         server: int, *, warm_report: bool = False) -> None:
    """Ask until a worker answers, then call ``on_ready`` once; with ``warm_report``, then ask
    for the SHACL report so that a worker computes it now rather than on a reader's first
    request. Runs in a process of its own (see :func:`_announcer`) that leaves Ctrl-C to the
    server and ends when the server is gone."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    while _alive(server):
        if answers(listening):
            on_ready(listening)
            if warm_report:
                _fetch(listening.home + REPORT_PATH, timeout=900)
            return
        time.sleep(0.1)


#: The SHACL validation report: computed once per set of inputs, on its first request.
REPORT_PATH = "validation/latest.ttl"


def _fetch(url: str, *, timeout: float) -> None:
    """GET ``url`` and drop the answer; a failure only means the report is computed later."""
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            response.read()
    except OSError as exc:
        log.info("the SHACL report was not computed at start: %s", exc)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _announcer(listening: Listening, on_ready: Callable[[Listening], None], server: int,
               warm_report: bool) -> None:
    """The server's child: starts the grandchild that waits for the first answer, and exits
    at once. The server reaps this child before Granian starts and init reaps the grandchild,
    so no ``<defunct>`` child stays beside the server for its whole life (Granian's master
    never waits for children it did not start)."""
    if os.fork() == 0:
        try:
            _announce_when_ready(listening, on_ready, server, warm_report=warm_report)
        finally:
            os._exit(0)


def main(
    args: argparse.Namespace, on_ready: Callable[[Listening], None] | None = None
) -> int:
    """Run the server until interrupted; returns the exit code for the CLI. ``on_ready`` is
    called, in a child process, once the server has answered its first query.

    The readiness check is a process, not a thread: Granian forks its workers from this
    process, and a fork copies the locks a running thread holds (an import, the resolver's)
    but not the thread, so a worker could wait forever on one of them.
    """
    from granian import Granian

    _raise_file_limit()
    config = app_config(args)
    config.setdefault("QUERY_THREADS", int(os.environ.get("SPACEKG_THREADS") or 4))
    options = server_options(args, config)
    config["BASE_URL"] = base_url(args, Listening(options["address"], options["port"]))
    config["SERVER_WORKERS"] = options["workers"]  # they share MEMORY_LIMIT
    config.pop("EAGER_STORE", None)  # each worker opens its store in worker_app
    os.environ[CONFIG_ENV] = json.dumps(config)
    log.info("serving %s on http://%s:%s/", config["STORE"], options["address"], options["port"])
    if on_ready is not None:
        import multiprocessing

        announcer = multiprocessing.get_context("fork").Process(
            target=_announcer,
            args=(Listening(options["address"], options["port"]), on_ready, os.getpid(),
                  not getattr(args, "no_report", False)),
            name="spacekg-ready", daemon=True,
        )
        announcer.start()
        announcer.join(10)  # it only forks the process that waits, then ends
    Granian("spacekg.serve:worker_app", factory=True, **options).serve()
    return 0
