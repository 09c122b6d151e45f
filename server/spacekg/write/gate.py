"""Curated writes: who may write, and a SHACL gate every write passes before it lands.

No Flask here: ``http/writes.py`` reads the request and calls :class:`WriteGate`.

How a write is applied, and why:

* Each write (one SPARQL Update request, one Graph Store Protocol call) runs on a *candidate*:
  an in-memory Oxigraph copy of the dataset. The candidate is validated against SpaceKG's
  shapes with the ontology (``build/validate.py``, as the build does); a write is refused when the
  candidate has a violation the current data does not have (so data that was already
  imperfect does not block unrelated curation). The store is untouched until then.
* Validation is incremental (``write/incremental.py``): the gate keeps the data as an rdflib graph
  updated from each write's difference (never reserialised) with its violations per focus
  node; a write revalidates only the focus nodes the changed triples can affect, as far as
  the shapes look, and compares them with those nodes' earlier results. A big write, a
  change to the ontology graph or to schema triples, or ``incremental=False`` validates the
  whole data instead. The audit record says which (``validation``: incremental, full or
  skipped, with ``validation_seconds``).
* ``graph/inferred`` follows the data in the same transaction: when a write changes data in a
  store that has the ontology graph, it is recomputed on the candidate with the build's
  SPARQL rules (``reasoning.refresh_inferred``, ~0.1 s on the report). HermiT is not rerun per
  write (seconds, and a JVM): the types it added at build time are kept while their
  individual is still described, so an unchanged part of the data keeps exactly the build's
  inferences. The curator's own quads and the inferred ones are counted apart.
* An accepted write is applied to the real store as the difference between the two states,
  in one Oxigraph update (one transaction: readers see the old state or the new, never a
  mix; on disk it is all-or-nothing and then flushed, so an acknowledged write survives a
  crash). Differences holding blank nodes cannot be named in SPARQL Update: they are
  applied quad by quad under the same lock (still validated first; not atomic for readers).
* One lock per gate serialises writers: the second waits, then starts from the first's
  result, so neither write is lost.
* An audit line (JSON) records the token's *name*, never the token, with the graphs and
  counts; the added and removed quads of each accepted write are kept beside it as a
  changeset (two N-Quads files under ``changesets/``): the curator's quads, not the
  recomputed inferences (those follow from the data again).
"""

from __future__ import annotations

import hmac
import json
import logging
import os
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pyoxigraph as ox
from rdflib import RDF, Graph, Literal, URIRef
from rdflib.term import Node

import spacekg.write.uploads  # noqa: F401 - quiets rdflib's conversion warnings
from spacekg.build.reasoning import close_store, from_ox, refresh_inferred
from spacekg.build.validate import ValidationReport, ValidationResult
from spacekg.errors import (
    ConfigError,
    GraphNotFound,
    RequestTooLarge,
    SpaceKGError,
    Unauthorized,
    UnprocessableWrite,
    UnsupportedMediaType,
    WriteForbidden,
    WriteRejected,
)
from spacekg.namespaces import INFERRED_GRAPH, ONTOLOGY_GRAPH, SHAPES_GRAPH
from spacekg.sparql import add_using, check_update
from spacekg.stores import Store
from spacekg.write.incremental import IncrementalValidator
from spacekg.write.update_process import (
    UPDATE_TIMEOUT,
    Limits,
    Operation,
    UpdateProcess,
    protected_message,
)

log = logging.getLogger(__name__)

#: RDF media types a Graph Store Protocol request body may use (triples only).
GRAPH_FORMATS = (
    "text/turtle",
    "application/n-triples",
    "application/rdf+xml",
    "application/ld+json",
)

_CHANGESET = re.compile(r"\d{8}T\d{12}Z-[0-9a-f]{8}")

#: Graphs not validated as instance data (the build validates data without them too).
_NOT_DATA = frozenset({str(ONTOLOGY_GRAPH), str(INFERRED_GRAPH)})
_ONTOLOGY = str(ONTOLOGY_GRAPH)
_INFERRED = str(INFERRED_GRAPH)
#: Graphs the build maintains: writes to them are refused unless the operator opens one.
PROTECTED_GRAPHS = frozenset({_ONTOLOGY, _INFERRED, str(SHAPES_GRAPH)})
#: Longest literal a write may store (the report's longest paragraph is a few thousand).
MAX_LITERAL_CHARS = 100_000
#: Most quads one write may add and remove together.
MAX_WRITE_QUADS = 200_000
_RDF_TYPE = ox.NamedNode(str(RDF.type))


# --- tokens -----------------------------------------------------------------------------


def parse_tokens(text: str, *, where: str) -> dict[str, str]:
    """``name:token`` entries (one per line, or separated by commas) → {token: name}.

    Blank lines and ``#`` comments are skipped. Raises ConfigError for an entry without a
    name or a token (the message never repeats the token).
    """
    tokens: dict[str, str] = {}
    for number, raw in enumerate(text.replace(",", "\n").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, token = line.partition(":")
        if not sep or not name.strip() or not token.strip():
            raise ConfigError(f"{where}, entry {number}: expected name:token")
        tokens[token.strip()] = name.strip()
    return tokens


def load_tokens(tokens_file: str | Path | None, env_value: str | None) -> dict[str, str]:
    """Write tokens from a file and/or the ``SPACEKG_WRITE_TOKENS`` value → {token: name}.

    Raises ConfigError when the file cannot be read or no token is configured at all.
    """
    tokens: dict[str, str] = {}
    if tokens_file:
        try:
            text = Path(tokens_file).read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"cannot read the tokens file {tokens_file}: {exc}") from exc
        tokens.update(parse_tokens(text, where=str(tokens_file)))
    if env_value:
        tokens.update(parse_tokens(env_value, where="SPACEKG_WRITE_TOKENS"))
    if not tokens:
        raise ConfigError(
            "writes are on but no token is configured: give --tokens-file FILE (lines "
            "name:token) or set SPACEKG_WRITE_TOKENS"
        )
    return tokens


def authorise(authorization: str | None, tokens: Mapping[str, str]) -> str:
    """The name of the token in an ``Authorization: Bearer …`` header.

    Raises Unauthorized when there is no bearer token, WriteForbidden when it is not one of
    ``tokens``. Every configured token is compared in constant time.
    """
    scheme, _, presented = (authorization or "").strip().partition(" ")
    if scheme.lower() != "bearer" or not presented.strip():
        raise Unauthorized("writing needs a bearer token: Authorization: Bearer <token>")
    presented = presented.strip()
    found = None
    for token, name in tokens.items():
        if hmac.compare_digest(token.encode(), presented.encode()):
            found = name
    if found is None:
        raise WriteForbidden("this token may not write")
    return found


# --- the gate ---------------------------------------------------------------------------


@dataclass(frozen=True)
class WriteResult:
    """What an accepted write changed."""

    added: int
    removed: int
    graphs: tuple[str, ...]
    created: bool = False


@dataclass(frozen=True)
class GraphTarget:
    """A Graph Store Protocol target: a named graph IRI, or the default graph (None)."""

    iri: str | None

    @property
    def node(self) -> ox.NamedNode | ox.DefaultGraph:
        return ox.NamedNode(self.iri) if self.iri else ox.DefaultGraph()

    @property
    def label(self) -> str:
        return self.iri or "default"


class WriteGate:
    """Validated, serialised, audited writes to one Oxigraph store (see the module doc)."""

    def __init__(
        self,
        store: Store,
        *,
        shapes: Graph,
        ontology: Graph,
        audit_log: str | Path | None = None,
        incremental: bool = True,
        protected_graphs: Iterable[str] = PROTECTED_GRAPHS,
        allow_clear_all: bool = False,
        max_literal_chars: int = MAX_LITERAL_CHARS,
        max_write_quads: int = MAX_WRITE_QUADS,
        update_timeout: float = UPDATE_TIMEOUT,
        update_memory: int = 512 << 20,
        tree_limit: int | None = None,
    ) -> None:
        native = getattr(store, "native", None)
        if not isinstance(native, ox.Store) or getattr(store, "read_only", False):
            raise ConfigError(
                f"writes need a writable Oxigraph store, not {store.kind}"
                + (" opened read-only" if getattr(store, "read_only", False) else "")
            )
        self.store = store
        self.shapes = shapes
        self.ontology = ontology
        self.audit_log = Path(audit_log) if audit_log else None
        self._lock = threading.Lock()
        self._state: _GateState | None = None
        #: False: every write is validated in full (the reference the incremental run is
        #: tested against; also an operator's way out should the analysis ever be in doubt).
        self.incremental = incremental
        #: graphs no write may change (the ontology, the inferred graph…), by configuration
        self.protected_graphs = frozenset(protected_graphs)
        self.allow_clear_all = allow_clear_all
        self.max_literal_chars = max_literal_chars
        self.max_write_quads = max_write_quads
        #: where updates and uploads are evaluated: a process with a time limit and a
        #: memory share (``update_process.py``)
        self.runner = UpdateProcess(timeout=update_timeout, memory_limit=update_memory,
                                    tree_limit=tree_limit)
        self._recover()

    def close(self) -> None:
        """Stop the update process (a server's end; tests)."""
        self.runner.close()

    @property
    def native(self) -> ox.Store:
        return self.store.native  # type: ignore[attr-defined, no-any-return]

    # reads ---------------------------------------------------------------------------

    def graph_exists(self, target: GraphTarget) -> bool:
        if target.iri is None:
            return True
        return bool(self.native.contains_named_graph(target.node))

    def read_graph(self, target: GraphTarget, media_type: str) -> bytes:
        """The graph serialised as ``media_type``; raises GraphNotFound."""
        if not self.graph_exists(target):
            raise GraphNotFound(f"no graph {target.label} in the dataset", iri=target.iri or "")
        fmt = ox.RdfFormat.from_media_type(media_type)
        assert fmt is not None
        triples = (
            ox.Triple(q.subject, q.predicate, q.object)
            for q in self.native.quads_for_pattern(None, None, None, target.node)
        )
        return ox.serialize(triples, format=fmt) or b""  # type: ignore[no-any-return]

    # writes --------------------------------------------------------------------------

    def update(
        self,
        sparql: str,
        *,
        who: str,
        using_graph_uris: Sequence[str] = (),
        using_named_graph_uris: Sequence[str] = (),
    ) -> WriteResult:
        """Apply a SPARQL 1.1 Update request; raises QueryError/UnsafeQuery/WriteRejected,
        WriteForbidden for CLEAR/DROP ALL or NAMED (unless ``allow_clear_all``)."""
        check_update(sparql, allow_clear_all=self.allow_clear_all)
        text = add_using(sparql, using_graph_uris, using_named_graph_uris)
        operation = Operation("update", text=text, original=sparql,
                              base_iri=self.store.base_iri)
        return self._commit(who, "update", self._contained(operation))

    def _contained(self, operation: Operation) -> Callable[[ox.Store], None]:
        """Apply ``operation`` by way of the update process: what it sends back is the
        change, applied to the gate's candidate copy (called under the write lock)."""
        limits = Limits(self.max_literal_chars, self.max_write_quads,
                        frozenset(self.protected_graphs))
        native = self.native

        def apply(candidate: ox.Store) -> None:
            change = self.runner.run(
                operation, limits, self.store.generation,
                lambda: ox.serialize(native, format=ox.RdfFormat.N_QUADS) or b"")
            change.apply(candidate)

        return apply

    def _refuse_protected(self, target: GraphTarget) -> None:
        if target.iri is not None and target.iri in self.protected_graphs:
            raise WriteForbidden(protected_message([target.iri]))

    def replace_graph(
        self, target: GraphTarget, body: bytes, media_type: str, *, who: str
    ) -> WriteResult:
        """Graph Store PUT: the graph's content becomes ``body``."""
        return self._upload("put", target, body, media_type, who=who)

    def add_to_graph(
        self, target: GraphTarget, body: bytes, media_type: str, *, who: str
    ) -> WriteResult:
        """Graph Store POST: merge ``body`` into the graph (created if absent)."""
        return self._upload("post", target, body, media_type, who=who)

    def _upload(
        self, method: str, target: GraphTarget, body: bytes, media_type: str, *, who: str
    ) -> WriteResult:
        """A Graph Store PUT or POST of ``body``, evaluated in the update process."""
        self._refuse_protected(target)
        _accepted_media_type(media_type)
        existed = self.graph_exists(target)
        apply = self._contained(Operation(method, graph=target.iri, body=body,
                                          media_type=media_type))
        result = self._commit(who, f"graph-store {method.upper()}", apply,
                              graphs=(target.label,))
        return WriteResult(result.added, result.removed, result.graphs, created=not existed)

    def delete_graph(self, target: GraphTarget, *, who: str) -> WriteResult:
        """Graph Store DELETE: drop the graph (empty the default graph); GraphNotFound if absent."""
        self._refuse_protected(target)
        if not self.graph_exists(target):
            raise GraphNotFound(f"no graph {target.label} in the dataset", iri=target.iri or "")

        def apply(candidate: ox.Store) -> None:
            if target.iri is None:
                candidate.clear_graph(ox.DefaultGraph())
            else:
                candidate.remove_graph(target.node)

        return self._commit(who, "graph-store DELETE", apply, graphs=(target.label,))

    # the gate itself -------------------------------------------------------------------

    def _commit(
        self,
        who: str,
        operation: str,
        apply: Callable[[ox.Store], None],
        *,
        graphs: tuple[str, ...] = (),
    ) -> WriteResult:
        started = time.monotonic()
        with self._lock:
            native = self.native
            candidate = ox.Store()
            candidate.extend(native)
            for name in native.named_graphs():
                candidate.add_graph(name)
            apply(candidate)  # first: a refused write does not wait for the mirror's build
            state = self._sync()
            before, after = set(native), set(candidate)
            own_added, own_removed = after - before, before - after
            own_default = _own_default_triples(before, after)
            # the union in the default graph is recomputed below, and must not feed the
            # rules stale premises meanwhile
            candidate.clear_graph(ox.DefaultGraph())
            refreshed = False
            if state.maintain_inferred(candidate) and any(
                    not _in(q, _INFERRED) for q in own_added | own_removed):
                refresh_inferred(candidate, state.kept_types(candidate))
                refreshed = True
                own_added = {q for q in own_added if not _in(q, _INFERRED)}
                own_removed = {q for q in own_removed if not _in(q, _INFERRED)}
            _settle_default_graph(candidate, own_default)
            after = set(candidate)
            # what the write itself changed, not the union following it
            own_added = {q for q in own_added if q in after}
            own_removed = {q for q in own_removed if q not in after}
            added, removed = after - before, before - after
            inferred_added = sum(1 for q in added if _in(q, _INFERRED))
            inferred_removed = sum(1 for q in removed if _in(q, _INFERRED))
            graphs_before = set(native.named_graphs())
            graphs_after = set(candidate.named_graphs())
            new_graphs, gone_graphs = graphs_after - graphs_before, graphs_before - graphs_after
            touched = set(graphs) | {_graph_label(q.graph_name) for q in own_added | own_removed}
            touched |= {g.value for g in new_graphs | gone_graphs
                        if not (refreshed and g.value == _INFERRED)}
            record: dict[str, object] = {
                "operation": operation,
                "token_name": who,
                "graphs": sorted(touched),
                "added": len(own_added),
                "removed": len(own_removed),
            }
            if refreshed:
                record["inferred"] = {"added": inferred_added, "removed": inferred_removed}
            self._refuse_out_of_bounds(own_added, own_removed, new_graphs, gone_graphs, refreshed)
            if not (added or removed or new_graphs or gone_graphs):
                self._audit({**record, "outcome": "accepted (no change)"})
                return WriteResult(0, 0, tuple(sorted(touched)))
            for quad in own_added:
                refuse_ill_typed(quad)
            checked = time.monotonic()
            ontology_changed = any(_in(q, _ONTOLOGY) for q in own_added | own_removed) or any(
                isinstance(g, ox.NamedNode) and g.value == _ONTOLOGY
                for g in new_graphs | gone_graphs)
            try:
                outcome = state.validator.check(
                    _data_triples(own_added),
                    _data_triples(q for q in own_removed if not _still_data(candidate, q)),
                    force_full="the ontology graph changed" if ontology_changed
                    else "" if self.incremental else "incremental validation is off",
                )
            except Exception as exc:  # noqa: BLE001 - a validator's failure refuses the write
                state.validator.rollback()
                self._state = None  # rebuilt from the store on the next write
                log.exception("validation failed on a write; the write is refused")
                self._audit({**record, "outcome": "rejected", "error": "validation failed"})
                raise UnprocessableWrite(
                    "the write could not be validated against the shapes, so it was refused; "
                    "nothing was changed (the server's log has the cause)") from exc
            record["validation"] = outcome.mode
            if outcome.reason:
                record["validation_reason"] = outcome.reason
            record["validation_seconds"] = round(time.monotonic() - checked, 3)
            if outcome.introduced:
                state.validator.rollback()
                self._audit({**record, "outcome": "rejected",
                             "violations": len(outcome.introduced)})
                rejected = ValidationReport(tuple(sorted(outcome.introduced)))
                raise WriteRejected(
                    f"the write was refused: it would introduce {len(outcome.introduced)} "
                    "SHACL violation(s); nothing was changed",
                    rejected,
                )
            # write-ahead: the changeset and a "committing" record are on disk before the
            # store changes, so a write that lands is never without its audit record
            changeset = self._record_changeset(own_added, own_removed)
            self._audit({**record, "outcome": "committing", "changeset": changeset})
            try:
                self._apply(added, removed, new_graphs, gone_graphs)
            except BaseException:
                state.validator.rollback()
                self._state = None  # the store may be half-written (blank nodes): resync
                self._audit({**record, "outcome": "failed", "changeset": changeset})
                raise
            self.store.mark_changed()
            state.validator.commit()
            state.generation = self.store.generation
            self._audit(
                {**record, "outcome": "accepted", "changeset": changeset,
                 "seconds": round(time.monotonic() - started, 3)}
            )
        return WriteResult(len(own_added), len(own_removed), tuple(sorted(touched)))

    def _refuse_out_of_bounds(
        self,
        added: set[ox.Quad],
        removed: set[ox.Quad],
        new_graphs: set[ox.NamedNode | ox.BlankNode],
        gone_graphs: set[ox.NamedNode | ox.BlankNode],
        refreshed: bool,
    ) -> None:
        """Refuse, before validation, a write that touches a protected graph, stores an
        oversized literal or changes more quads than a write may."""
        touched = {_graph_label(q.graph_name) for q in added | removed}
        touched |= {g.value for g in new_graphs | gone_graphs if isinstance(g, ox.NamedNode)
                    and not (refreshed and g.value == _INFERRED)}
        hit = sorted(touched & self.protected_graphs)
        if hit:
            raise WriteForbidden(
                f"the write would change the protected graph(s) {', '.join(hit)}; they are "
                "maintained by the build (start the server with --open-graph IRI to curate one)"
            )
        if len(added) + len(removed) > self.max_write_quads:
            raise RequestTooLarge(
                f"the write would change {len(added) + len(removed)} quads; one write may "
                f"change at most {self.max_write_quads}"
            )
        for quad in added:
            value = quad.object
            if isinstance(value, ox.Literal) and len(value.value) > self.max_literal_chars:
                raise RequestTooLarge(
                    f"a literal of {len(value.value):,} characters (object of "
                    f"{quad.predicate.value}) is over the {self.max_literal_chars:,}-character "
                    "limit"
                )

    def _sync(self) -> _GateState:
        """The mirror of the data and its violations, rebuilt (one full validation) when the
        store changed other than through this gate, or on the first write."""
        generation = self.store.generation
        if self._state is None or self._state.generation != generation:
            data = _data_graph(self.native)
            validator = IncrementalValidator(data, shapes=self.shapes, ontology=self.ontology)
            self._state = _GateState(generation, validator, _reasoner_types(self.native))
        return self._state

    def violations(self) -> tuple[ValidationResult, ...]:
        """The SHACL violations the current data has (the baseline writes are compared with)."""
        with self._lock:
            return tuple(sorted(self._sync().validator.violations()))

    def _apply(
        self,
        added: set[ox.Quad],
        removed: set[ox.Quad],
        new_graphs: set[ox.NamedNode | ox.BlankNode],
        gone_graphs: set[ox.NamedNode | ox.BlankNode],
    ) -> None:
        native = self.native
        if any(_has_blank(q) for q in added | removed) or any(
            isinstance(g, ox.BlankNode) for g in new_graphs | gone_graphs
        ):
            # SPARQL Update cannot name existing blank nodes: quad by quad, under the lock.
            for quad in removed:
                native.remove(quad)
            for graph in gone_graphs:
                native.remove_graph(graph)
            for graph in new_graphs:
                native.add_graph(graph)
            native.extend(added)
        else:
            operations = [f"DROP SILENT GRAPH {g}" for g in sorted(gone_graphs, key=str)]
            operations += [f"CREATE SILENT GRAPH {g}" for g in sorted(new_graphs, key=str)]
            if removed:
                operations.append("DELETE DATA {\n" + _data_block(removed) + "}")
            if added:
                operations.append("INSERT DATA {\n" + _data_block(added) + "}")
            # one request = one transaction in Oxigraph
            native.update(" ;\n".join(operations))
        if getattr(self.store, "path", None) is not None:
            native.flush()

    # change history ------------------------------------------------------------------

    @property
    def changes_dir(self) -> Path | None:
        return self.audit_log.parent / "changesets" if self.audit_log else None

    def _record_changeset(self, added: set[ox.Quad], removed: set[ox.Quad]) -> str | None:
        """Write the added and removed quads as two N-Quads files; return the changeset id."""
        directory = self.changes_dir
        if directory is None:
            return None
        directory.mkdir(parents=True, exist_ok=True)
        name = f"{datetime.now(UTC):%Y%m%dT%H%M%S%fZ}-{uuid.uuid4().hex[:8]}"
        for kind, quads in (("added", added), ("removed", removed)):
            path = directory / f"{name}.{kind}.nq"
            data = ox.serialize(sorted(quads, key=str), format=ox.RdfFormat.N_QUADS) or b""
            with path.open("wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
        return name

    def _recover(self) -> None:
        """Settle writes a crash interrupted: a "committing" record without its outcome is
        "accepted" when the store holds its changeset (added quads in, removed quads out),
        else "failed". Runs once, when the gate opens the store."""
        if self.audit_log is None or not self.audit_log.is_file() or self.changes_dir is None:
            return
        pending: dict[str, dict[str, object]] = {}
        for line in self.audit_log.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            name = record.get("changeset")
            if not name:
                continue
            if record.get("outcome") == "committing":
                pending[str(name)] = record
            else:
                pending.pop(str(name), None)
        for name, record in pending.items():
            added, removed = (
                list(ox.parse(path=str(self.changes_dir / f"{name}.{kind}.nq"),
                              format=ox.RdfFormat.N_QUADS))
                for kind in ("added", "removed")
            )
            landed = all(q in self.native for q in added if not _has_blank(q)) and not any(
                q in self.native for q in removed if not _has_blank(q))
            outcome = "accepted" if landed else "failed"
            fields = {k: v for k, v in record.items() if k not in ("time", "outcome")}
            self._audit({**fields, "outcome": outcome, "recovered": True})

    def changesets(self) -> list[dict[str, object]]:
        """Accepted writes that changed something, oldest first, as their audit records."""
        if self.audit_log is None or not self.audit_log.is_file():
            return []
        records = []
        for line in self.audit_log.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            if record.get("outcome") == "accepted" and record.get("changeset"):
                records.append(record)
        return records

    def changeset_quads(self, name: str, kind: str) -> bytes:
        """The N-Quads of one changeset's ``added`` or ``removed`` half; GraphNotFound if none."""
        directory = self.changes_dir
        path = directory / f"{name}.{kind}.nq" if directory else None
        if path is None or not _CHANGESET.fullmatch(name) or kind not in ("added", "removed") \
                or not path.is_file():
            raise GraphNotFound(f"no changeset {name} {kind}", iri="")
        return path.read_bytes()

    def _audit(self, record: dict[str, object]) -> None:
        line = {"time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"), **record}
        text = json.dumps(line, ensure_ascii=False)
        log.info("write: %s", text)
        if self.audit_log is None:
            return
        self.audit_log.parent.mkdir(parents=True, exist_ok=True)
        with self.audit_log.open("a", encoding="utf-8") as handle:
            handle.write(text + "\n")
            handle.flush()
            os.fsync(handle.fileno())


# --- the gate's state: data mirror, violations, types the reasoner added ----------------


@dataclass
class _GateState:
    """What the gate keeps between writes, valid for one store generation."""

    generation: str
    validator: IncrementalValidator
    #: (individual, class) in graph/inferred that the SPARQL rules do not derive: HermiT's.
    reasoner_types: frozenset[tuple[str, str]]

    @staticmethod
    def maintain_inferred(candidate: ox.Store) -> bool:
        """graph/inferred is kept up to date where there is an ontology to infer from."""
        return any(True for _ in candidate.quads_for_pattern(
            None, None, None, ox.NamedNode(_ONTOLOGY)))

    def kept_types(self, candidate: ox.Store) -> list[tuple[URIRef, URIRef]]:
        """HermiT's types, for individuals the data still says something about."""
        kept = []
        for individual, cls in sorted(self.reasoner_types):
            if any(not _in(q, _INFERRED) and not _in(q, _ONTOLOGY) and not _is_default(q)
                   for q in candidate.quads_for_pattern(ox.NamedNode(individual), None, None,
                                                        None)):
                kept.append((URIRef(individual), URIRef(cls)))
        return kept


def settle_union(store: ox.Store, before: set[ox.Quad]) -> None:
    """After quads were added to or removed from ``store`` (which held ``before``), make its
    default graph the union again: what replaying a changeset needs, since changesets hold
    the curator's quads and the union follows from them, as the inferences do."""
    _settle_default_graph(store, _own_default_triples(before, set(store)))


def _own_default_triples(before: set[ox.Quad], after: set[ox.Quad]) -> set[ox.Triple]:
    """Triples of the default graph after a write that stand there on their own: written to
    it by this write, or there before without any named graph holding them. The others were
    copies of the named graphs' union and follow it (README, "The default graph")."""
    named_before = {_triple(q) for q in before if not _is_default(q)}
    default_before = {_triple(q) for q in before if _is_default(q)}
    return {
        t for t in (_triple(q) for q in after if _is_default(q))
        if t not in named_before or t not in default_before
    }


def _settle_default_graph(store: ox.Store, own: set[ox.Triple]) -> None:
    """Make the default graph of ``store`` its own triples plus the union of its named
    graphs, each triple once: a triple leaves it only when no named graph holds it."""
    default = ox.DefaultGraph()
    store.clear_graph(default)
    union = {_triple(q) for q in store if not _is_default(q)}
    store.extend(ox.Quad(t.subject, t.predicate, t.object, default) for t in union | own)


def _triple(quad: ox.Quad) -> ox.Triple:
    return ox.Triple(quad.subject, quad.predicate, quad.object)


def _is_default(quad: ox.Quad) -> bool:
    return isinstance(quad.graph_name, ox.DefaultGraph)


def _in(quad: ox.Quad, graph: str) -> bool:
    return isinstance(quad.graph_name, ox.NamedNode) and quad.graph_name.value == graph


def _is_data(quad: ox.Quad) -> bool:
    """A quad of a data graph, or of the default graph (the gate's callers pass default-graph
    quads only when they are the writer's own: the union copies are not data twice)."""
    return not (isinstance(quad.graph_name, ox.NamedNode) and quad.graph_name.value in _NOT_DATA)


def _to_triple(quad: ox.Quad) -> tuple[Node, Node, Node] | None:
    try:
        return from_ox(quad.subject), from_ox(quad.predicate), from_ox(quad.object)
    except SpaceKGError:  # a quoted triple (RDF-star): rdflib, and so SHACL, cannot see it
        return None


def _data_triples(quads: Iterable[ox.Quad]) -> set[tuple[Node, Node, Node]]:
    triples = (_to_triple(q) for q in quads if _is_data(q))
    return {t for t in triples if t is not None}


def _still_data(store: ox.Store, quad: ox.Quad) -> bool:
    """Whether the triple of a removed quad is still data in ``store``: in a data graph, or
    in the default graph without being a copy of a named graph's (the ontology's or the
    inferred graph's) triple."""
    holders = list(store.quads_for_pattern(quad.subject, quad.predicate, quad.object, None))
    named = [q for q in holders if not _is_default(q)]
    return any(_is_data(q) for q in named) or (not named and bool(holders))


def _data_graph(store: ox.Store) -> Graph:
    """The union of the data graphs as an rdflib Graph (blank nodes keep Oxigraph's ids, so
    focus nodes are named the same in every run)."""
    data = Graph()
    in_named = set()
    for quad in store.quads_for_pattern(None, None, None, None):
        if _is_default(quad):
            continue
        in_named.add(_triple(quad))
        if _is_data(quad):
            triple = _to_triple(quad)
            if triple is not None:
                data.add(triple)
    for quad in store.quads_for_pattern(None, None, None, ox.DefaultGraph()):
        if _triple(quad) not in in_named:  # the default graph's own triples
            triple = _to_triple(quad)
            if triple is not None:
                data.add(triple)
    return data


def _reasoner_types(store: ox.Store) -> frozenset[tuple[str, str]]:
    """Types in graph/inferred that the rules alone do not give: what the build's HermiT run
    added. Kept when graph/inferred is recomputed after a write (HermiT is not rerun)."""
    inferred = ox.NamedNode(_INFERRED)
    if not any(True for _ in store.quads_for_pattern(None, None, None, inferred)):
        return frozenset()
    scratch = ox.Store()  # the named graphs but the inferred one: the rules read their union
    scratch.extend(q for q in store if not _in(q, _INFERRED) and not _is_default(q))
    close_store(scratch)
    by_rules = set(scratch.quads_for_pattern(None, _RDF_TYPE, None, inferred))
    return frozenset(
        (q.subject.value, q.object.value)
        for q in store.quads_for_pattern(None, _RDF_TYPE, None, inferred)
        if q not in by_rules and isinstance(q.subject, ox.NamedNode)
        and isinstance(q.object, ox.NamedNode)
    )


def default_audit_log(store: Store) -> Path | None:
    """``audit.jsonl`` beside an on-disk store's files (None for an in-memory store)."""
    path = getattr(store, "path", None)
    return Path(path) / "audit.jsonl" if path is not None else None


def _graph_label(graph: object) -> str:
    return graph.value if isinstance(graph, ox.NamedNode) else "default"


def _has_blank(quad: ox.Quad) -> bool:
    return any(
        isinstance(t, ox.BlankNode) for t in (quad.subject, quad.object, quad.graph_name)
    ) or isinstance(quad.subject, ox.Triple) or isinstance(quad.object, ox.Triple)


def _data_block(quads: Iterable[ox.Quad]) -> str:
    """Quads as the body of INSERT DATA / DELETE DATA, serialised by Oxigraph's terms
    (N-Triples escaping), grouped by graph."""
    by_graph: dict[str, list[str]] = {}
    for q in quads:
        key = "" if isinstance(q.graph_name, ox.DefaultGraph) else str(q.graph_name)
        by_graph.setdefault(key, []).append(f"{q.subject} {q.predicate} {q.object} .")
    parts: list[str] = []
    for graph, lines in sorted(by_graph.items()):
        body = "\n".join(sorted(lines))
        parts.append(f"GRAPH {graph} {{\n{body}\n}}\n" if graph else body + "\n")
    return "".join(parts)


_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
_LANG_STRING = str(RDF.langString)


def refuse_ill_typed(quad: ox.Quad) -> None:
    """Raise UnprocessableWrite for a literal that is not a value of its datatype
    (``"x"^^xsd:integer``): SHACL engines fail on them instead of reporting them."""
    value = quad.object
    if not isinstance(value, ox.Literal) or value.language:
        return
    datatype = value.datatype.value
    if datatype in (_XSD_STRING, _LANG_STRING):
        return
    if Literal(value.value, datatype=URIRef(datatype)).ill_typed:
        raise UnprocessableWrite(
            f'"{value.value[:200]}" is not a valid {datatype} (the object of '
            f"{quad.predicate.value} on {quad.subject}); write a value of that datatype. "
            "Nothing was changed"
        )


def _accepted_media_type(media_type: str) -> None:
    if media_type not in GRAPH_FORMATS:
        raise UnsupportedMediaType(
            f"Content-Type {media_type or '(none)'} is not accepted for a graph; use one of "
            + ", ".join(GRAPH_FORMATS)
        )


__all__ = [
    "GRAPH_FORMATS",
    "GraphTarget",
    "WriteGate",
    "WriteResult",
    "authorise",
    "default_audit_log",
    "load_tokens",
    "parse_tokens",
    "settle_union",
]
