"""Quads as the write gate sees them: which are data (not the ontology, not the inferred
graph, not the default graph's copies of the union), the default graph kept the union of the
named graphs after a write, the data as an rdflib graph for SHACL, the types HermiT added,
and quads written as the body of an INSERT DATA. No state: the gate holds that.
"""

from __future__ import annotations

from collections.abc import Iterable

import pyoxigraph as ox
from rdflib import RDF, Graph, Literal, URIRef
from rdflib.term import Node

from spacekg.build.reasoning import close_store, from_ox
from spacekg.errors import SpaceKGError, UnprocessableWrite
from spacekg.namespaces import INFERRED_GRAPH, ONTOLOGY_GRAPH

#: Graphs not validated as instance data (the build validates data without them too).
NOT_DATA = frozenset({str(ONTOLOGY_GRAPH), str(INFERRED_GRAPH)})
_INFERRED = str(INFERRED_GRAPH)
_RDF_TYPE = ox.NamedNode(str(RDF.type))
_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
_LANG_STRING = str(RDF.langString)


def settle_union(store: ox.Store, before: set[ox.Quad]) -> None:
    """After quads were added to or removed from ``store`` (which held ``before``), make its
    default graph the union again: what replaying a changeset needs, since changesets hold
    the curator's quads and the union follows from them, as the inferences do."""
    settle_default_graph(store, own_default_triples(before, set(store)))


def own_default_triples(before: set[ox.Quad], after: set[ox.Quad]) -> set[ox.Triple]:
    """Triples of the default graph after a write that stand there on their own: written to
    it by this write, or there before without any named graph holding them. The others were
    copies of the named graphs' union and follow it (README, "The default graph")."""
    named_before = {triple_of(q) for q in before if not is_default(q)}
    default_before = {triple_of(q) for q in before if is_default(q)}
    return {
        t for t in (triple_of(q) for q in after if is_default(q))
        if t not in named_before or t not in default_before
    }


def settle_default_graph(store: ox.Store, own: set[ox.Triple]) -> None:
    """Make the default graph of ``store`` its own triples plus the union of its named
    graphs, each triple once: a triple leaves it only when no named graph holds it."""
    default = ox.DefaultGraph()
    store.clear_graph(default)
    union = {triple_of(q) for q in store if not is_default(q)}
    store.extend(ox.Quad(t.subject, t.predicate, t.object, default) for t in union | own)


def triple_of(quad: ox.Quad) -> ox.Triple:
    return ox.Triple(quad.subject, quad.predicate, quad.object)


def is_default(quad: ox.Quad) -> bool:
    return isinstance(quad.graph_name, ox.DefaultGraph)


def in_graph(quad: ox.Quad, graph: str) -> bool:
    return isinstance(quad.graph_name, ox.NamedNode) and quad.graph_name.value == graph


def is_data(quad: ox.Quad) -> bool:
    """A quad of a data graph, or of the default graph (the gate's callers pass default-graph
    quads only when they are the writer's own: the union copies are not data twice)."""
    return not (isinstance(quad.graph_name, ox.NamedNode) and quad.graph_name.value in NOT_DATA)


def to_triple(quad: ox.Quad) -> tuple[Node, Node, Node] | None:
    try:
        return from_ox(quad.subject), from_ox(quad.predicate), from_ox(quad.object)
    except SpaceKGError:  # a quoted triple (RDF-star): rdflib, and so SHACL, cannot see it
        return None


def data_triples(quads: Iterable[ox.Quad]) -> set[tuple[Node, Node, Node]]:
    triples = (to_triple(q) for q in quads if is_data(q))
    return {t for t in triples if t is not None}


def still_data(store: ox.Store, quad: ox.Quad) -> bool:
    """Whether the triple of a removed quad is still data in ``store``: in a data graph, or
    in the default graph without being a copy of a named graph's (the ontology's or the
    inferred graph's) triple."""
    holders = list(store.quads_for_pattern(quad.subject, quad.predicate, quad.object, None))
    named = [q for q in holders if not is_default(q)]
    return any(is_data(q) for q in named) or (not named and bool(holders))


def data_graph(store: ox.Store) -> Graph:
    """The union of the data graphs as an rdflib Graph (blank nodes keep Oxigraph's ids, so
    focus nodes are named the same in every run)."""
    data = Graph()
    in_named = set()
    for quad in store.quads_for_pattern(None, None, None, None):
        if is_default(quad):
            continue
        in_named.add(triple_of(quad))
        if is_data(quad):
            triple = to_triple(quad)
            if triple is not None:
                data.add(triple)
    for quad in store.quads_for_pattern(None, None, None, ox.DefaultGraph()):
        if triple_of(quad) not in in_named:  # the default graph's own triples
            triple = to_triple(quad)
            if triple is not None:
                data.add(triple)
    return data


def reasoner_types(store: ox.Store) -> frozenset[tuple[str, str]]:
    """Types in graph/inferred that the rules alone do not give: what the build's HermiT run
    added. Kept when graph/inferred is recomputed after a write (HermiT is not rerun)."""
    inferred = ox.NamedNode(_INFERRED)
    if not any(True for _ in store.quads_for_pattern(None, None, None, inferred)):
        return frozenset()
    scratch = ox.Store()  # the named graphs but the inferred one: the rules read their union
    scratch.extend(q for q in store if not in_graph(q, _INFERRED) and not is_default(q))
    close_store(scratch)
    by_rules = set(scratch.quads_for_pattern(None, _RDF_TYPE, None, inferred))
    return frozenset(
        (q.subject.value, q.object.value)
        for q in store.quads_for_pattern(None, _RDF_TYPE, None, inferred)
        if q not in by_rules and isinstance(q.subject, ox.NamedNode)
        and isinstance(q.object, ox.NamedNode)
    )


def graph_label(graph: object) -> str:
    return graph.value if isinstance(graph, ox.NamedNode) else "default"


def has_blank(quad: ox.Quad) -> bool:
    return any(
        isinstance(t, ox.BlankNode) for t in (quad.subject, quad.object, quad.graph_name)
    ) or isinstance(quad.subject, ox.Triple) or isinstance(quad.object, ox.Triple)


def data_block(quads: Iterable[ox.Quad]) -> str:
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
