"""Client SPARQL runs in query processes, so nothing a query does can end a server worker.

Oxigraph is native code, and three things it can do to its process cannot be caught from
Python: a panic aborts it (pyoxigraph is built with ``panic = "abort"``; an ``ORDER BY`` over
values that have no total order — e.g. ``ORDER BY DESC(?o)`` over the report — trips Rust's
sort check, "user-provided comparison function does not correctly implement a total order"),
a deep query overflows its stack (SIGSEGV), and a join or a sort allocates until the machine
swaps. So a server worker hands each client query to one of a few long-lived *query
processes* and waits on a pipe; what dies is that process, which is replaced, and the client
gets a clear answer:

* the engine crashed → 500 ``EngineCrashed``, the signal and the query in the server's log;
* the time limit passed → the process is killed at once (a query cannot be stopped inside
  the engine any other way) and the client gets 503 ``QueryTimeout``;
* the worker and its query processes together passed their share of the server's memory
  limit → the biggest busy query is killed, 503 ``MemoryLimitExceeded``; a sampler thread
  looks every 20 ms, and each process also has an address-space ceiling (``RLIMIT_DATA``)
  for what grows faster than that.

Fair shares. Nothing tells a heavy query from a cheap one before it runs, so every query
starts on one of the warm processes, and one still running after ``fast_budget`` (0.5 s)
becomes *long*: its process is niced to the lowest CPU priority (cheap queries preempt it on
a busy machine) and a fresh warm process takes its place. At most ``long_slots`` long queries
run per worker, and at most ``client_share`` of them for one client (its address): a query
that would pass either is stopped on the spot and answered 503 ``Overloaded`` or 429
``TooManyRequests``, with ``Retry-After``. A query text that went long once is remembered
(by digest) and is judged at once the next time, without taking a warm process. So cheap
queries never wait behind heavy ones — a short query finds a warm process in milliseconds,
whatever the heavy ones do — and no client holds more than its share; it is the scheme of
Wikidata's query service (a budget per client, 429 beyond it) with the OS's scheduler doing
the preemption.

Query processes cannot open network sockets (:mod:`spacekg.query.netguard`), are fresh
interpreters (``python -c``, not ``fork``: RocksDB's threads do not survive a fork, and the
host program's ``__main__`` is none of their business) and open the store read-only
themselves. A store this worker writes to is read through a *checkpoint* taken after each
write (RocksDB hard-links its files: ~2 ms): a read-only view of the live directory finds
files gone when the writer compacts them away, a checkpoint keeps them. Queries carry the
store's ``generation``, so a process opens the checkpoint of the latest write. Requests are
pickled over a socket pair and answers come back serialised (``Rendered``): one round trip
per query (about 0.15 ms).
"""

from __future__ import annotations

import ctypes
import hashlib
import logging
import os
import pickle
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

from spacekg.errors import (
    EngineCrashed,
    MemoryLimitExceeded,
    Overloaded,
    QueryError,
    QueryTimeout,
    SpaceKGError,
    TooManyRequests,
)
from spacekg.query import negotiate
from spacekg.query.results import Rendered
from spacekg.stores import Store

log = logging.getLogger(__name__)

#: Where, inside a store directory this worker writes to, the checkpoints read by its query
#: processes are kept.
VIEWS_DIR = "spacekg-readers"
#: Seconds between two looks at the memory of busy query processes.
SAMPLE_SECONDS = 0.02
_PAGE = os.sysconf("SC_PAGE_SIZE")
_CONFIG_KEYS = ("STORE", "BASE_IRI", "DATASET_FILES", "GRAPHS")
#: What a query process says once it can take queries.
READY = b"ready"


@dataclass(frozen=True)
class _Request:
    sparql: str
    fmt: negotiate.Format
    default_graph_uris: tuple[str, ...]
    named_graph_uris: tuple[str, ...]
    max_rows: int | None
    timeout: float
    generation: str
    #: the directory to open instead of the configured one (a writer's checkpoint)
    view: str | None = None


def sandboxable(config: dict[str, Any]) -> bool:
    """Whether client queries on this configuration run in query processes: an on-disk
    Oxigraph store (the default, ``oxigraph:DIR``), which a process can open by itself.
    rdflib (``memory``) is Python and cannot crash the interpreter; a remote store runs its
    queries elsewhere; an in-memory Oxigraph would be one copy of the data per process."""
    spec = config.get("STORE")
    return (
        isinstance(spec, str)
        and spec.startswith("oxigraph:")
        and int(config.get("QUERY_PROCESSES") or 0) > 0
    )


def _rss(pid: int) -> int:
    """Resident bytes of process ``pid`` (0 when it is gone)."""
    try:
        with open(f"/proc/{pid}/statm", "rb") as statm:
            return int(statm.read().split()[1]) * _PAGE
    except (OSError, IndexError, ValueError):
        return 0


_CHILD = "import sys; from spacekg.query.processes import child_main; child_main(int(sys.argv[1]))"


class _QueryProcess:
    """One query process and the parent's end of the socket pair that talks to it."""

    def __init__(self, config: dict[str, Any], data_limit: int) -> None:
        parent, child = socket.socketpair()
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-c", _CHILD, str(child.fileno())],
                pass_fds=[child.fileno()],
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # Ctrl-C on the terminal is the server's to handle
            )
        finally:
            child.close()
        self.conn = Connection(parent.detach())
        self.conn.send_bytes(pickle.dumps((config, data_limit)))
        self.killed_for: str | None = None  # "timeout", "memory"… when the parent killed it
        self.ready = False  # it says so once its imports are done (a third of a second)

    def wait_ready(self, timeout: float) -> bool:
        """Whether the process has started and can take a query within ``timeout`` s."""
        if not self.ready and wait([self.conn], max(0.0, timeout)):
            try:
                self.ready = self.conn.recv_bytes() == READY
            except (EOFError, OSError):
                return False
        return self.ready

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self, reason: str) -> None:
        self.killed_for = reason
        try:
            self.process.kill()
        except ProcessLookupError:
            pass

    def reap(self) -> int | None:
        """Wait for a dead process; its exit code (negative: killed by that signal)."""
        try:
            code = self.process.wait(timeout=2.0)
        except subprocess.TimeoutExpired:
            self.kill("unresponsive")
            code = self.process.wait()
        self.conn.close()
        return code


#: Seconds a query runs on a warm process before it counts as long (module docstring).
FAST_BUDGET = 0.5
#: Digests of query texts that went long, remembered per worker.
_REMEMBERED = 4096


class ProcessRunner:
    """Runs client queries in query processes with the same interface as
    :class:`spacekg.query.threads.QueryRunner` (``run_query``): ``processes`` warm ones, plus
    up to ``long_slots`` running long queries, ``client_share`` of them per client.

    ``memory_limit`` is the bytes this server worker and its query processes may hold
    together; ``timeout`` the default per-query limit in seconds.
    """

    def __init__(
        self,
        config: dict[str, Any],
        *,
        processes: int = 2,
        timeout: float = 30.0,
        memory_limit: int = 1 << 30,
        long_slots: int = 4,
        client_share: int = 2,
        fast_budget: float = FAST_BUDGET,
    ) -> None:
        self.timeout = timeout
        self.memory_limit = memory_limit
        self.long_slots = max(1, long_slots)
        self.client_share = max(1, min(client_share, self.long_slots))
        self.fast_budget = fast_budget
        self._config = {key: _plain(config.get(key)) for key in _CONFIG_KEYS}
        self._idle: list[_QueryProcess] = []
        self._busy: set[_QueryProcess] = set()
        self._long: dict[_QueryProcess, str] = {}  # process → client
        self._went_long: OrderedDict[bytes, None] = OrderedDict()
        self._size = max(1, processes)
        self._lock = threading.Condition()
        self._started = 0
        self._closed = False
        self._views: list[tuple[str, Path]] = []  # (generation, checkpoint), newest last
        self._view_count = 0
        self._view_lock = threading.Lock()
        self._sampler = threading.Thread(target=self._sample, name="spacekg-memory", daemon=True)
        self._sampler.start()
        with self._lock:
            for _ in range(self._size):
                self._idle.append(self._spawn())

    def _spawn(self) -> _QueryProcess:
        self._started += 1
        return _QueryProcess(self._config, self.memory_limit)

    # -- running a query -------------------------------------------------------------------

    def run_query(
        self,
        store: Store,
        sparql: str,
        fmt: negotiate.Format,
        *,
        default_graph_uris: Sequence[str] = (),
        named_graph_uris: Sequence[str] = (),
        max_rows: int | None = None,
        timeout: float | None = None,
        client: str = "",
    ) -> Rendered:
        """Evaluate ``sparql`` in a query process and return its serialised answer.

        Raises what the evaluation raised (QuerySyntaxError, QueryError…), QueryTimeout at
        the limit, MemoryLimitExceeded, EngineCrashed, Overloaded when no process became
        free within the limit or every long slot is taken, TooManyRequests when ``client``
        already runs its share of long queries. The limit is kept exactly, by killing the
        process.
        """
        limit = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + limit
        digest = hashlib.blake2b(sparql.encode(), digest_size=16).digest()
        known_long = self._remembered(digest)
        if known_long:
            with self._lock:
                self._admit_long(client)  # judged before it takes a process
        generation = store.generation
        request = _Request(
            sparql, fmt, tuple(default_graph_uris), tuple(named_graph_uris), max_rows, limit,
            generation, self._view(store, generation),
        )
        worker = self._acquire(deadline, limit)
        try:
            worker.wait_ready(deadline - time.monotonic())  # a fresh one is still starting
            if known_long:
                self._go_long(worker, client, digest)
            return self._exchange(worker, request, deadline, limit, client, digest)
        finally:
            self._release(worker)

    # -- fair shares ---------------------------------------------------------------------

    def _remembered(self, digest: bytes) -> bool:
        with self._lock:
            return digest in self._went_long

    def _admit_long(self, client: str) -> None:
        """Raise when a long query of ``client`` may not run now (call with the lock)."""
        mine = sum(1 for owner in self._long.values() if owner == client)
        if mine >= self.client_share:
            raise TooManyRequests(
                f"you already run {mine} long queries on this server, your share; this one "
                "was stopped. Retry when one of them has ended, or narrow the query"
            )
        if len(self._long) >= self.long_slots:
            raise Overloaded(
                "the server is busy with long queries and stopped this one; "
                "try again shortly, or narrow the query"
            )

    def _go_long(self, worker: _QueryProcess, client: str, digest: bytes) -> None:
        """Count the query on ``worker`` as long: within the shares it goes on at the lowest
        CPU priority and a warm process takes its place; otherwise it is stopped."""
        with self._lock:
            self._went_long[digest] = None
            self._went_long.move_to_end(digest)
            while len(self._went_long) > _REMEMBERED:
                self._went_long.popitem(last=False)
            try:
                self._admit_long(client)
            except (TooManyRequests, Overloaded):
                worker.kill("share")
                raise
            self._long[worker] = client
            if (not self._idle and not self._closed
                    and len(self._busy) < self._size + self.long_slots):
                self._idle.append(self._spawn())  # the warm process it took is replaced
                self._lock.notify_all()
        _renice(worker.pid, 19)

    def _view(self, store: Store, generation: str) -> str | None:
        """The checkpoint of ``generation`` of a store this process writes to (made on first
        use, the three newest kept); None for a read-only store, opened as it is."""
        native = getattr(store, "native", None)
        path = getattr(store, "path", None)
        if getattr(store, "read_only", True) or native is None or path is None:
            return None
        with self._view_lock:
            if self._views and self._views[-1][0] == generation:
                return str(self._views[-1][1])
            root = Path(path) / VIEWS_DIR
            if not self._views:
                shutil.rmtree(root, ignore_errors=True)  # a previous server's
            root.mkdir(parents=True, exist_ok=True)
            self._view_count += 1
            target = root / f"{self._view_count:06d}-{generation[:12]}"
            native.backup(str(target))
            self._views.append((generation, target))
            for _, old in self._views[:-3]:
                shutil.rmtree(old, ignore_errors=True)
            del self._views[:-3]
            return str(target)

    def _acquire(self, deadline: float, limit: float) -> _QueryProcess:
        """A process for a query: an idle one, else a new one while there are fewer than
        ``processes + long_slots`` (no query queues behind others while a slot is free),
        else the next to come free."""
        with self._lock:
            if (not self._idle and not self._closed
                    and len(self._busy) < self._size + self.long_slots):
                self._idle.append(self._spawn())
            while not self._idle:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self._closed:
                    raise Overloaded(
                        f"the server is busy: every query process stayed busy for the "
                        f"{limit:g} s limit; try again shortly"
                    )
                self._lock.wait(remaining)
            # a process that has started (or says so now) first: a fresh one needs a third
            # of a second to import, which a short query should not wait for
            started = [w for w in self._idle if w.ready or w.conn.poll()]
            worker = started[-1] if started else self._idle[-1]
            self._idle.remove(worker)
            self._busy.add(worker)
            self._lock.notify_all()  # wakes the sampler
            return worker

    def _release(self, worker: _QueryProcess) -> None:
        """Give ``worker`` back, or retire it (dead, killed, niced for good, or one more
        than the warm pool needs), keeping ``processes`` warm ones."""
        with self._lock:
            self._busy.discard(worker)
            was_long = self._long.pop(worker, None) is not None
            keep = worker.killed_for is None and worker.alive()
            if keep and was_long:
                keep = _renice(worker.pid, 0)
            keep = keep and len(self._idle) < self._size
            if keep:
                self._idle.append(worker)
            if len(self._idle) < self._size and not self._closed:
                self._idle.append(self._spawn())
            self._lock.notify_all()
        if not keep:
            if worker.alive():
                worker.kill("retired")
            if worker.process.returncode is None:
                worker.reap()

    def _exchange(
        self, worker: _QueryProcess, request: _Request, deadline: float, limit: float,
        client: str = "", digest: bytes = b"",
    ) -> Rendered:
        try:
            worker.conn.send_bytes(pickle.dumps(request, protocol=pickle.HIGHEST_PROTOCOL))
            remaining = deadline - time.monotonic()
            ready = wait([worker.conn], max(0.0, min(remaining, self.fast_budget)))
            if not ready and worker not in self._long and remaining > self.fast_budget:
                self._go_long(worker, client, digest)  # may stop it (429/503)
                ready = wait([worker.conn], max(0.0, deadline - time.monotonic()))
            if ready:
                outcome, value = pickle.loads(worker.conn.recv_bytes())
                if outcome == "ok":
                    return value  # type: ignore[no-any-return]
                raise _rebuild(value)
            worker.kill("timeout")
        except (EOFError, OSError, pickle.UnpicklingError):
            pass  # the process died mid-answer: explained below
        return self._explain_death(worker, request, limit)

    def _explain_death(self, worker: _QueryProcess, request: _Request, limit: float) -> Rendered:
        code = worker.reap()
        if worker.killed_for == "timeout":
            raise QueryTimeout(
                f"the query ran longer than the {limit:g} s limit and was stopped; "
                "narrow it, add LIMIT, or ask the operator for a longer timeout",
                limit=limit,
            )
        if worker.killed_for == "memory":
            raise MemoryLimitExceeded(
                f"the query needed more memory than this server allows "
                f"({self.memory_limit / 2**20:.0f} MiB per worker) and was stopped; "
                "narrow it or add LIMIT (an ORDER BY or GROUP BY over many rows holds them all)"
            )
        worker.killed_for = "crash"
        cause = _signal_name(code)
        log.error(
            "query process %d died (%s) while evaluating a client query; replaced. Query: %r",
            worker.pid, cause, request.sparql[:300],
        )
        raise EngineCrashed(
            f"the query engine failed on this query ({cause}) and the query was abandoned; "
            "the server goes on"
        )

    # -- memory ------------------------------------------------------------------------------

    def _sample(self) -> None:
        """Keep this worker and its query processes under ``memory_limit`` together: when
        they pass it, kill the busy query process holding the most."""
        own = os.getpid()
        while True:
            with self._lock:
                while not self._busy and not self._closed:
                    self._lock.wait()
                if self._closed:
                    return
                busy = list(self._busy)
                idle = list(self._idle)
            sizes = {worker: _rss(worker.pid) for worker in busy}
            total = _rss(own) + sum(sizes.values()) + sum(_rss(w.pid) for w in idle)
            if total > self.memory_limit and sizes:
                worst = max(sizes, key=sizes.__getitem__)
                if worst.killed_for is None:
                    log.warning(
                        "memory limit: worker %d and its query processes hold %.0f MiB "
                        "(limit %.0f MiB); stopping the query in process %d (%.0f MiB)",
                        own, total / 2**20, self.memory_limit / 2**20, worst.pid,
                        sizes[worst] / 2**20,
                    )
                    worst.kill("memory")
            time.sleep(SAMPLE_SECONDS)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            workers = self._idle + list(self._busy)
            self._idle.clear()
            self._lock.notify_all()
        for worker in workers:
            worker.kill("closed")
            worker.reap()

    @property
    def processes_started(self) -> int:
        """How many query processes were started (the first ones, plus replacements)."""
        return self._started


def _renice(pid: int, niceness: int) -> bool:
    """Set a process's niceness; False when not allowed (raising it back needs privilege)."""
    try:
        os.setpriority(os.PRIO_PROCESS, pid, niceness)
    except OSError:
        return False
    return True


def _signal_name(code: int | None) -> str:
    if code is not None and code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return {
            "SIGABRT": "SIGABRT: the engine aborted (a panic inside Oxigraph)",
            "SIGSEGV": "SIGSEGV: the engine crashed (a stack overflow or a fault in native code)",
            "SIGKILL": "SIGKILL: the process was killed (out of memory?)",
        }.get(name, name)
    return f"exit code {code}"


def _rebuild(value: tuple[str, str, dict[str, Any]]) -> BaseException:
    """A SpaceKG error sent back by a query process as (class name, message, attributes)."""
    from spacekg import errors

    name, message, attributes = value
    cls = getattr(errors, name, None)
    if not (isinstance(cls, type) and issubclass(cls, SpaceKGError)):
        return QueryError(message)
    exc = cls.__new__(cls)
    Exception.__init__(exc, message)
    exc.__dict__.update(attributes)
    return exc


# -- inside a query process ------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """A setting as plain data (paths as strings) for the query process."""
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value if value is None or isinstance(value, str | int | float) else str(value)


def contain_this_process(role: str, data_limit: int) -> None:
    """What a process evaluating a client's SPARQL does first: log as ``role``, cap its heap
    at ``data_limit`` bytes (a ceiling for what grows faster than the parent's sampler looks)
    and give up the network (:mod:`spacekg.query.netguard`)."""
    logging.basicConfig(level=logging.WARNING, format=f"[{role} %(process)d] %(message)s")
    try:
        resource.setrlimit(resource.RLIMIT_DATA, (data_limit, data_limit))
    except (ValueError, OSError):
        pass
    from spacekg.query import netguard

    try:
        netguard.deny_outbound_network()
    except netguard.NetworkWallUnavailable as exc:
        log.warning("%s process without the network wall: %s", role, exc)


def child_main(fd: int) -> None:
    """A query process: answer requests from socket ``fd`` until the parent goes away."""
    conn = Connection(fd)
    config, data_limit = pickle.loads(conn.recv_bytes())
    contain_this_process("query", data_limit)
    from spacekg.query.results import render
    from spacekg.stores import OUTSIDE_REFUSED
    from spacekg.stores.configured import open_configured_store

    conn.send_bytes(READY)
    store: Store | None = None
    generation: str | None = None
    baseline = _rss(os.getpid())
    while True:
        try:
            request: _Request = pickle.loads(conn.recv_bytes())
        except (EOFError, OSError):
            return
        reply: tuple[str, Any] = ("error", ("QueryError", "no answer", {}))
        for attempt in range(_ATTEMPTS):
            try:
                if store is None or generation != request.generation or attempt:
                    where = {"STORE": f"oxigraph:{request.view}"} if request.view else {}
                    store = open_configured_store(
                        {**config, **where, "STORE_READ_ONLY": True}
                    )
                    generation = request.generation
                result = store.query(
                    request.sparql,
                    default_graph_uris=request.default_graph_uris,
                    named_graph_uris=request.named_graph_uris,
                    timeout=request.timeout,
                )
                reply = ("ok", render(result, request.fmt, max_rows=request.max_rows))
            except SpaceKGError as exc:
                reply = ("error", (type(exc).__name__, str(exc), dict(exc.__dict__)))
            except OSError:
                reply = ("error", ("QueryError", OUTSIDE_REFUSED, {}))
            except (ValueError, RuntimeError) as exc:
                reply = ("error", ("QueryError", f"query could not be evaluated: {exc}", {}))
            if reply[0] == "ok" or not _STALE.search(reply[1][1]):
                break
            store = None  # the writer compacted files away under this read-only view
        conn.send_bytes(pickle.dumps(reply, protocol=pickle.HIGHEST_PROTOCOL))
        del reply
        if _rss(os.getpid()) > baseline + (64 << 20):
            _trim()


#: A read-only view of a store that a writer is changing can find a file gone (RocksDB
#: compacts): the view is opened again, at most ``_ATTEMPTS`` times in all.
_STALE = re.compile(r"No such file or directory|Corruption")
_ATTEMPTS = 3


def _trim() -> None:
    """Give freed heap back to the system, so an idle process does not count against the
    memory limit for what its last query needed."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass
