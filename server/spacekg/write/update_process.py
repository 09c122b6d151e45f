"""Curated writes evaluated with the same containment as client queries (``query/processes.py``).

A token holder's update or upload is native work on their input: Oxigraph's update engine
and parsers can recurse until the stack overflows (a 20,000-pattern WHERE, JSON-LD nested
10,000 deep), allocate without end (a CONCAT that doubles a string) or run for hours (a
three-way cross product). So the writer hands each write to an *update process*: a fresh
interpreter (``python -c``, as query processes are) without network, with an address-space
ceiling (``RLIMIT_DATA``) of its memory share, watched every 20 ms by the writer and killed
on the spot past its time limit or its memory share (or when the worker's whole process
tree passes the worker's share). The process holds a copy of the dataset, applies the write
to a candidate copy of it, and sends back only the *change* (added and removed quads,
created and dropped graphs) as N-Quads; the gate then validates and applies that change as
before. Killed, the process has changed nothing: the store is only ever written by the gate,
after validation, so a write is all or nothing and the write lock is released when the
answer (or the death) comes back.

The copy is sent again only when the store has changed since the process loaded it (after an
accepted write, or a write from elsewhere); a replaced process loads it afresh.
"""

from __future__ import annotations

import logging
import os
import pickle
import re
import socket
import subprocess
import sys
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from spacekg.errors import (
    GraphNotFound,
    QueryError,
    QuerySyntaxError,
    QueryTimeout,
    QueryTooComplex,
    RequestTooLarge,
    SpaceKGError,
    WriteForbidden,
)
from spacekg.query.processes import (
    SAMPLE_SECONDS,
    _rebuild,
    _rss,
    _signal_name,
    contain_this_process,
)

log = logging.getLogger(__name__)

#: Seconds an update (or an upload's parse) may run by default.
UPDATE_TIMEOUT = 10.0


@dataclass(frozen=True)
class Operation:
    """One write, as the update process applies it."""

    kind: str  # "update", "put" (replace a graph), "post" (add to a graph)
    text: str = ""  # the update (with USING added)
    original: str = ""  # the update as sent (for messages)
    graph: str | None = None  # the Graph Store target; None is the default graph
    body: bytes = b""
    media_type: str = ""
    base_iri: str | None = None


@dataclass(frozen=True)
class Limits:
    """What one write may do."""

    max_literal_chars: int
    max_write_quads: int
    protected: frozenset[str] = frozenset()


@dataclass
class Change:
    """What a write changed on the candidate, before the gate's own steps (inferences,
    the default graph's union)."""

    added: list[ox.Quad] = field(default_factory=list)
    removed: list[ox.Quad] = field(default_factory=list)
    new_graphs: list[str] = field(default_factory=list)
    gone_graphs: list[str] = field(default_factory=list)

    def apply(self, store: ox.Store) -> None:
        """Make ``store`` (the dataset the change was computed on) the candidate."""
        for quad in self.removed:
            store.remove(quad)
        for graph in self.gone_graphs:
            store.remove_graph(ox.NamedNode(graph))
        for graph in self.new_graphs:
            store.add_graph(ox.NamedNode(graph))
        store.extend(self.added)


@dataclass(frozen=True)
class _Job:
    generation: str
    dataset: bytes | None  # N-Quads of the whole store, when the process's copy is stale
    operation: Operation
    limits: Limits


_CHILD = (
    "import sys; from spacekg.write.update_process import child_main; "
    "child_main(int(sys.argv[1]))"
)


def tree_rss(pid: int) -> int:
    """Resident bytes of process ``pid`` and all its descendants."""
    total, stack, seen = 0, [pid], set()
    while stack:
        current = stack.pop()
        if current in seen:
            continue
        seen.add(current)
        total += _rss(current)
        for task in Path(f"/proc/{current}/task").glob("*/children"):
            try:
                stack.extend(int(p) for p in task.read_text().split())
            except (OSError, ValueError):
                pass
    return total


class UpdateProcess:
    """Runs writes in one update process at a time (the gate serialises writers).

    ``memory_limit`` is the update process's own share (also its ``RLIMIT_DATA``);
    ``tree_limit`` (optional) the worker's share for its whole process tree.
    """

    def __init__(
        self, *, timeout: float = UPDATE_TIMEOUT, memory_limit: int = 512 << 20,
        tree_limit: int | None = None,
    ) -> None:
        self.timeout = timeout
        self.memory_limit = memory_limit
        self.tree_limit = tree_limit
        self._process: subprocess.Popen[bytes] | None = None
        self._conn: Connection | None = None
        self._generation: str | None = None  # what the process holds
        self._lock = threading.Lock()
        #: the most the process tree held while a write ran (bytes), for the operator
        self.peak = 0
        self._last_own = 0
        # the process ends with this object, even when nobody called close()
        self._holder: list[subprocess.Popen[bytes]] = []
        weakref.finalize(self, _stop, self._holder)

    def _spawn(self) -> tuple[subprocess.Popen[bytes], Connection]:
        parent, child = socket.socketpair()
        try:
            process = subprocess.Popen(
                [sys.executable, "-c", _CHILD, str(child.fileno())],
                pass_fds=[child.fileno()], stdin=subprocess.DEVNULL, start_new_session=True,
            )
        finally:
            child.close()
        conn = Connection(parent.detach())
        conn.send_bytes(pickle.dumps(self.memory_limit))
        self._holder[:] = [process]
        return process, conn

    def run(
        self, operation: Operation, limits: Limits, generation: str,
        dataset: Callable[[], bytes],
    ) -> Change:
        """The change ``operation`` makes to the dataset of ``generation`` (``dataset()``
        gives its N-Quads when the process needs them). Raises what the process raised,
        QueryTimeout past the time limit, RequestTooLarge past the memory share,
        QueryTooComplex when the engine crashed on the input."""
        with self._lock:
            if self._process is None or self._process.poll() is not None:
                self._process, self._conn = self._spawn()
                self._generation = None
            assert self._conn is not None
            job = _Job(generation, None if self._generation == generation else dataset(),
                       operation, limits)
            try:
                self._conn.send_bytes(pickle.dumps(job, protocol=pickle.HIGHEST_PROTOCOL))
                reason = self._watch()
                if reason is None:
                    outcome, value = pickle.loads(self._conn.recv_bytes())
                    self._generation = generation
                    if outcome == "ok":
                        added, removed, new_graphs, gone_graphs = value
                        from spacekg.write.uploads import iter_quads

                        return Change(list(iter_quads(added)), list(iter_quads(removed)),
                                      new_graphs, gone_graphs)
                    raise _rebuild(value)
            except (EOFError, OSError, pickle.UnpicklingError):
                reason = "crash"
            raise self._explain(reason, operation)

    def _watch(self) -> str | None:
        """Wait for the answer; kill the process past the time limit or the memory share.
        None when an answer is ready, else why the process was killed."""
        assert self._process is not None and self._conn is not None
        deadline = time.monotonic() + self.timeout
        owner = os.getpid()
        self._last_own = 0
        while True:
            if wait([self._conn], SAMPLE_SECONDS):
                return None
            own = _rss(self._process.pid)
            self._last_own = max(self._last_own, own)
            tree = tree_rss(owner) if self.tree_limit else own
            self.peak = max(self.peak, tree)
            if self._process.poll() is not None:
                return "crash"
            if own > self.memory_limit or (
                    self.tree_limit and tree > self.tree_limit and own > self.memory_limit // 2):
                log.warning("write stopped: its update process held %.0f MiB (share %.0f MiB;"
                            " worker tree %.0f MiB)", own / 2**20, self.memory_limit / 2**20,
                            tree / 2**20)
                return self._kill("memory")
            if time.monotonic() > deadline:
                log.warning("write stopped at the %g s time limit", self.timeout)
                return self._kill("timeout")

    def _kill(self, reason: str) -> str:
        assert self._process is not None
        try:
            self._process.kill()
        except ProcessLookupError:
            pass
        return reason

    def _explain(self, reason: str, operation: Operation) -> SpaceKGError:
        """The error for a process that was killed or died; the process is replaced on the
        next write."""
        process, conn = self._process, self._conn
        self._process, self._conn, self._generation = None, None, None
        code = None
        self._last_own, last = 0, self._last_own
        if process is not None:
            if process.poll() is None:
                process.kill()
            code = process.wait()
        if conn is not None:
            conn.close()
        what = "update" if operation.kind == "update" else f"{operation.media_type} body"
        if reason == "timeout":
            return QueryTimeout(
                f"the {what} ran longer than the {self.timeout:g} s a write may take and was "
                "stopped; nothing was changed", limit=self.timeout)
        if reason == "memory":
            return RequestTooLarge(
                f"the {what} needed more than the {self.memory_limit / 2**20:.0f} MiB a write "
                "may use and was stopped; nothing was changed")
        near_limit = last > 0.7 * self.memory_limit
        if code == -9 or (code == -6 and near_limit):  # the OOM killer; RLIMIT_DATA's abort
            return RequestTooLarge(
                f"the {what} needed more than the {self.memory_limit / 2**20:.0f} MiB a write "
                "may use and was stopped; nothing was changed")
        log.error("update process died (%s) on a write; replaced. Write: %r",
                  _signal_name(code), (operation.original or operation.media_type)[:300])
        return QueryTooComplex(
            f"the {what} could not be evaluated: the engine failed on it "
            f"({_signal_name(code).split(':')[0]}), most likely from its size or nesting; "
            "split or simplify it. Nothing was changed")

    def close(self) -> None:
        with self._lock:
            if self._process is not None and self._process.poll() is None:
                self._process.kill()
                self._process.wait()
            if self._conn is not None:
                self._conn.close()
            self._process, self._conn = None, None


def _stop(holder: list[subprocess.Popen[bytes]]) -> None:
    for process in holder:
        if process.poll() is None:
            process.kill()
            process.wait()


# -- inside the update process -------------------------------------------------------------


def child_main(fd: int) -> None:
    """An update process: apply writes from socket ``fd`` until the writer goes away."""
    conn = Connection(fd)
    limit = pickle.loads(conn.recv_bytes())
    contain_this_process("update", limit)
    base: ox.Store | None = None
    before: set[ox.Quad] = set()
    while True:
        try:
            job: _Job = pickle.loads(conn.recv_bytes())
        except (EOFError, OSError):
            return
        if job.dataset is not None:
            base = ox.Store()
            base.bulk_extend(ox.parse(job.dataset, format=ox.RdfFormat.N_QUADS))
            for quad in ox.parse(job.dataset, format=ox.RdfFormat.N_QUADS):
                if isinstance(quad.graph_name, ox.NamedNode):
                    base.add_graph(quad.graph_name)
            before = set(base)
        reply: tuple[str, Any]
        try:
            if base is None:
                raise QueryError("the update process holds no dataset")
            reply = ("ok", _evaluate(base, before, job.operation, job.limits))
        except SpaceKGError as exc:
            reply = ("error", (type(exc).__name__, str(exc), dict(exc.__dict__)))
        except RecursionError:
            reply = ("error", ("QueryTooComplex", "the write nests too deeply; flatten it", {}))
        except MemoryError:
            reply = ("error", ("RequestTooLarge",
                               "the write needed more memory than a write may use", {}))
        except Exception as exc:  # noqa: BLE001 - any other failure refuses this write only
            log.exception("a write failed in the update process")
            reply = ("error", ("QueryError", f"the write could not be applied: {exc}", {}))
        conn.send_bytes(pickle.dumps(reply, protocol=pickle.HIGHEST_PROTOCOL))


def _evaluate(
    base: ox.Store, before: set[ox.Quad], operation: Operation, limits: Limits
) -> tuple[bytes, bytes, list[str], list[str]]:
    """Apply ``operation`` to a copy of ``base``; the change as N-Quads and graph names."""
    from spacekg.write.uploads import check_terms, read_triples

    candidate = ox.Store()
    candidate.bulk_extend(base)
    graphs_before = {g.value for g in base.named_graphs() if isinstance(g, ox.NamedNode)}
    for graph in graphs_before:
        candidate.add_graph(ox.NamedNode(graph))
    if operation.kind == "update":
        refuse_protected_targets(operation.text, limits.protected)
        _update(candidate, operation, limits)
    else:
        fmt = ox.RdfFormat.from_media_type(operation.media_type)
        assert fmt is not None
        triples = read_triples(
            operation.body, fmt, base_iri=operation.graph, media_type=operation.media_type,
            max_literal_chars=limits.max_literal_chars, max_triples=limits.max_write_quads)
        target: ox.NamedNode | ox.DefaultGraph = (
            ox.NamedNode(operation.graph) if operation.graph else ox.DefaultGraph())
        if operation.kind == "put":
            if isinstance(target, ox.DefaultGraph):
                candidate.clear_graph(target)
            elif candidate.contains_named_graph(target):
                candidate.remove_graph(target)
        if isinstance(target, ox.NamedNode):
            candidate.add_graph(target)
        candidate.extend(ox.Quad(t.subject, t.predicate, t.object, target) for t in triples)
    after = set(candidate)
    added, removed = after - before, before - after
    graphs_after = {g.value for g in candidate.named_graphs() if isinstance(g, ox.NamedNode)}
    new_graphs, gone_graphs = graphs_after - graphs_before, graphs_before - graphs_after
    touched = {q.graph_name.value for q in added | removed
               if isinstance(q.graph_name, ox.NamedNode)} | new_graphs | gone_graphs
    hit = sorted(touched & limits.protected)
    if hit:
        raise WriteForbidden(protected_message(hit))
    if len(added) + len(removed) > limits.max_write_quads:
        raise RequestTooLarge(
            f"the write would change {len(added) + len(removed):,} quads; one write may "
            f"change at most {limits.max_write_quads:,}")
    check_terms(added, limits.max_literal_chars)

    def nquads(quads: set[ox.Quad]) -> bytes:
        return ox.serialize(quads, format=ox.RdfFormat.N_QUADS) or b""

    return nquads(added), nquads(removed), sorted(new_graphs), sorted(gone_graphs)


def protected_message(graphs: list[str]) -> str:
    return (f"the write would change the protected graph(s) {', '.join(graphs)}; they are "
            "maintained by the build (start the server with --open-graph IRI to curate one)")


_GRAPH_IN_MESSAGE = re.compile(r"graph <([^>]*)> (does not exist|already exists)", re.I)


def _update(candidate: ox.Store, operation: Operation, limits: Limits) -> None:
    try:
        candidate.update(operation.text, base_iri=operation.base_iri)
    except SyntaxError as exc:
        from spacekg.query.prologue import undefined_prefix

        raise undefined_prefix(operation.original or operation.text, predeclared={}) or \
            QuerySyntaxError(f"the update does not parse: {exc}") from None
    except (ValueError, OSError, RuntimeError) as exc:
        found = _GRAPH_IN_MESSAGE.search(str(exc))
        if found and found.group(1) in limits.protected:
            raise WriteForbidden(protected_message([found.group(1)])) from None
        if found and found.group(2).lower() == "does not exist":
            raise GraphNotFound(f"no graph <{found.group(1)}> in the dataset (add SILENT to "
                                "ignore an absent graph)", iri=found.group(1)) from None
        raise QueryError(f"the update could not be applied: {exc}") from None


_IRI = re.compile(r"<([^<>\"{}|^`\\\s]*)>")


def refuse_protected_targets(text: str, protected: frozenset[str]) -> None:
    """Refuse an operation naming a protected graph as the graph it changes (the target of
    INSERT/DELETE/LOAD/CLEAR/DROP/CREATE/ADD/MOVE/COPY, WITH, or MOVE's source), whether or
    not it would change anything there. Parsed (rdflib) only when the text could name one:
    a protected IRI's last segment, an IRI that begins one, or a relative IRI."""
    if not protected:
        return
    from spacekg.sparql import expand_escapes

    folded = expand_escapes(text)
    tails = {iri.rstrip("/").rsplit("/", 1)[-1].casefold() for iri in protected}
    iris = _IRI.findall(folded)
    if not (any(t in folded.casefold() for t in tails)
            or any(any(p.startswith(i) for p in protected) for i in iris)
            or any(":" not in i for i in iris)):
        return
    from rdflib.plugins.sparql.algebra import translateUpdate
    from rdflib.plugins.sparql.parser import parseUpdate

    try:
        operations = translateUpdate(parseUpdate(folded)).algebra
    except RecursionError:
        raise QueryTooComplex("the update nests too deeply; flatten it") from None
    except Exception:  # noqa: BLE001 - Oxigraph's parser gives the message a person needs
        return
    targets: set[str] = set()
    for op in operations:
        if op.name in ("Clear", "Drop", "Create", "Load"):
            targets.add(str(op.get("graphiri")))
        elif op.name in ("Add", "Copy"):
            targets.add(str(op["graph"][1]))
        elif op.name == "Move":
            targets.update(str(g) for g in op["graph"])
        else:
            if "withClause" in op and op["withClause"] is not None:
                targets.add(str(op["withClause"]))
            for name in ("delete", "insert"):
                if name in op and op[name] is not None and "quads" in op[name]:
                    targets.update(str(g) for g in op[name]["quads"] or {})
            if "quads" in op:
                targets.update(str(g) for g in op["quads"] or {})
    hit = sorted(targets & protected)
    if hit:
        raise WriteForbidden(protected_message(hit))
