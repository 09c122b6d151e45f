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

import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
from rdflib import RDF, Graph, URIRef

import spacekg.write.uploads  # noqa: F401 - quiets rdflib's conversion warnings
from spacekg.build.reasoning import refresh_inferred
from spacekg.build.validate import ValidationReport, ValidationResult
from spacekg.errors import (
    ConfigError,
    GraphNotFound,
    RequestTooLarge,
    UnprocessableWrite,
    UnsupportedMediaType,
    WriteForbidden,
    WriteRejected,
)
from spacekg.namespaces import INFERRED_GRAPH, ONTOLOGY_GRAPH, SHAPES_GRAPH
from spacekg.sparql import add_using, check_update
from spacekg.stores import Store
from spacekg.write.incremental import IncrementalValidator
from spacekg.write.journal import HALVES, Journal
from spacekg.write.quads import (
    data_block,
    data_graph,
    data_triples,
    graph_label,
    has_blank,
    in_graph,
    is_default,
    own_default_triples,
    reasoner_types,
    refuse_ill_typed,
    settle_default_graph,
    still_data,
)
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


_ONTOLOGY = str(ONTOLOGY_GRAPH)
_INFERRED = str(INFERRED_GRAPH)
#: Graphs the build maintains: writes to them are refused unless the operator opens one.
PROTECTED_GRAPHS = frozenset({_ONTOLOGY, _INFERRED, str(SHAPES_GRAPH)})
#: Longest literal a write may store (the report's longest paragraph is a few thousand).
MAX_LITERAL_CHARS = 100_000
#: Most quads one write may add and remove together.
MAX_WRITE_QUADS = 200_000
_RDF_TYPE = ox.NamedNode(str(RDF.type))


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
        self.journal = Journal(Path(audit_log) if audit_log else None)
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
            own_default = own_default_triples(before, after)
            # the union in the default graph is recomputed below, and must not feed the
            # rules stale premises meanwhile
            candidate.clear_graph(ox.DefaultGraph())
            refreshed = False
            if state.maintain_inferred(candidate) and any(
                    not in_graph(q, _INFERRED) for q in own_added | own_removed):
                refresh_inferred(candidate, state.kept_types(candidate))
                refreshed = True
                own_added = {q for q in own_added if not in_graph(q, _INFERRED)}
                own_removed = {q for q in own_removed if not in_graph(q, _INFERRED)}
            settle_default_graph(candidate, own_default)
            after = set(candidate)
            # what the write itself changed, not the union following it
            own_added = {q for q in own_added if q in after}
            own_removed = {q for q in own_removed if q not in after}
            added, removed = after - before, before - after
            inferred_added = sum(1 for q in added if in_graph(q, _INFERRED))
            inferred_removed = sum(1 for q in removed if in_graph(q, _INFERRED))
            graphs_before = set(native.named_graphs())
            graphs_after = set(candidate.named_graphs())
            new_graphs, gone_graphs = graphs_after - graphs_before, graphs_before - graphs_after
            touched = set(graphs) | {graph_label(q.graph_name) for q in own_added | own_removed}
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
                self.journal.audit({**record, "outcome": "accepted (no change)"})
                return WriteResult(0, 0, tuple(sorted(touched)))
            for quad in own_added:
                refuse_ill_typed(quad)
            checked = time.monotonic()
            ontology_changed = any(in_graph(q, _ONTOLOGY) for q in own_added | own_removed) or any(
                isinstance(g, ox.NamedNode) and g.value == _ONTOLOGY
                for g in new_graphs | gone_graphs)
            try:
                outcome = state.validator.check(
                    data_triples(own_added),
                    data_triples(q for q in own_removed if not still_data(candidate, q)),
                    force_full="the ontology graph changed" if ontology_changed
                    else "" if self.incremental else "incremental validation is off",
                )
            except Exception as exc:  # noqa: BLE001 - a validator's failure refuses the write
                state.validator.rollback()
                self._state = None  # rebuilt from the store on the next write
                log.exception("validation failed on a write; the write is refused")
                self.journal.audit({**record, "outcome": "rejected", "error": "validation failed"})
                raise UnprocessableWrite(
                    "the write could not be validated against the shapes, so it was refused; "
                    "nothing was changed (the server's log has the cause)") from exc
            record["validation"] = outcome.mode
            if outcome.reason:
                record["validation_reason"] = outcome.reason
            record["validation_seconds"] = round(time.monotonic() - checked, 3)
            if outcome.introduced:
                state.validator.rollback()
                self.journal.audit({**record, "outcome": "rejected",
                             "violations": len(outcome.introduced)})
                rejected = ValidationReport(tuple(sorted(outcome.introduced)))
                raise WriteRejected(
                    f"the write was refused: it would introduce {len(outcome.introduced)} "
                    "SHACL violation(s); nothing was changed",
                    rejected,
                )
            # write-ahead: the changeset and a "committing" record are on disk before the
            # store changes, so a write that lands is never without its audit record
            changeset = self.journal.record_changeset(own_added, own_removed)
            self.journal.audit({**record, "outcome": "committing", "changeset": changeset})
            try:
                self._apply(added, removed, new_graphs, gone_graphs)
            except BaseException:
                state.validator.rollback()
                self._state = None  # the store may be half-written (blank nodes): resync
                self.journal.audit({**record, "outcome": "failed", "changeset": changeset})
                raise
            self.store.mark_changed()
            state.validator.commit()
            state.generation = self.store.generation
            self.journal.audit(
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
        touched = {graph_label(q.graph_name) for q in added | removed}
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
            data = data_graph(self.native)
            validator = IncrementalValidator(data, shapes=self.shapes, ontology=self.ontology)
            self._state = _GateState(generation, validator, reasoner_types(self.native))
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
        if any(has_blank(q) for q in added | removed) or any(
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
                operations.append("DELETE DATA {\n" + data_block(removed) + "}")
            if added:
                operations.append("INSERT DATA {\n" + data_block(added) + "}")
            # one request = one transaction in Oxigraph
            native.update(" ;\n".join(operations))
        if getattr(self.store, "path", None) is not None:
            native.flush()

    # change history ------------------------------------------------------------------

    def _recover(self) -> None:
        """Settle writes a crash interrupted: a "committing" record without its outcome is
        "accepted" when the store holds its changeset (added quads in, removed quads out),
        else "failed". Runs once, when the gate opens the store."""
        for name, record in self.journal.pending().items():
            added, removed = (
                list(ox.parse(self.journal.changeset_quads(name, kind),
                              format=ox.RdfFormat.N_QUADS))
                for kind in HALVES
            )
            landed = all(q in self.native for q in added if not has_blank(q)) and not any(
                q in self.native for q in removed if not has_blank(q))
            outcome = "accepted" if landed else "failed"
            fields = {k: v for k, v in record.items() if k not in ("time", "outcome")}
            self.journal.audit({**fields, "outcome": outcome, "recovered": True})


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
            if any(not in_graph(q, _INFERRED) and not in_graph(q, _ONTOLOGY) and not is_default(q)
                   for q in candidate.quads_for_pattern(ox.NamedNode(individual), None, None,
                                                        None)):
                kept.append((URIRef(individual), URIRef(cls)))
        return kept




def _accepted_media_type(media_type: str) -> None:
    if media_type not in GRAPH_FORMATS:
        raise UnsupportedMediaType(
            f"Content-Type {media_type or '(none)'} is not accepted for a graph; use one of "
            + ", ".join(GRAPH_FORMATS)
        )


