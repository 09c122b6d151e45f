"""OWL reasoning for the build: HermiT's consistency check and the materialised inferences.

Two jobs, kept apart:

* :func:`check_consistency` hands ontology + data to HermiT (through owlready2) and raises
  :class:`InconsistentOntology` when they contradict each other or a class is unsatisfiable.
  HermiT knows only the OWL 2 datatype map and reads N-Triples, not TriG, so the input is
  rewritten first (:func:`reasoner_input`): literals of other datatypes (``xsd:date``,
  ``xsd:gYear``) are dropped, and such datatypes in the ontology widen to ``rdfs:Literal``.
* :func:`materialise` computes what users should find without a reasoner (types from
  superclasses, domains and ranges, inverse, symmetric, transitive and super-properties) with
  the SPARQL rules in ``spacekg/queries/infer-*.rq``, run to a fixpoint in Oxigraph, plus the
  class assertions HermiT found. Only triples not asserted anywhere are returned.
"""

from __future__ import annotations

import io
import shutil
import warnings
from collections.abc import Iterable
from dataclasses import dataclass

import pyoxigraph as ox
from rdflib import OWL, RDF, RDFS, XSD, BNode, Dataset, Graph, Literal, URIRef
from rdflib.term import Node

from spacekg import queryfiles
from spacekg.build.validate import short
from spacekg.errors import InconsistentOntology, ReasonerUnavailable, SpaceKGError
from spacekg.namespaces import INFERRED_GRAPH, ONTOLOGY_GRAPH
from spacekg.stores.terms import to_oxigraph

RDF_NS = str(RDF)
RDFS_NS = str(RDFS)
OWL_NS = str(OWL)

#: Datatypes of the OWL 2 datatype map (OWL 2 Structural Specification, section 4).
OWL2_DATATYPES: frozenset[URIRef] = frozenset(
    [RDF.PlainLiteral, RDF.XMLLiteral, RDF.langString, RDFS.Literal, OWL.real, OWL.rational]
    + [XSD[name] for name in (
        "decimal integer nonNegativeInteger nonPositiveInteger positiveInteger negativeInteger "
        "long int short byte unsignedLong unsignedInt unsignedShort unsignedByte double float "
        "string normalizedString token language Name NCName NMTOKEN boolean hexBinary "
        "base64Binary anyURI dateTime dateTimeStamp"
    ).split()]
)

#: rdf:/rdfs:/owl: predicates HermiT may see in the instance data; others are vocabulary
#: misuse or plain annotations (rdf:value) that OWL's RDF mapping would reject.
_ABOX_BUILTIN_PREDICATES = frozenset(
    [RDF.type, RDFS.label, RDFS.comment, RDFS.seeAlso, RDFS.isDefinedBy, OWL.sameAs,
     OWL.differentFrom]
)
_PROPERTY_KINDS = (OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty)

#: The fixpoint rules, in the order they run each round.
RULES = ("infer-subclass-types", "infer-subproperties", "infer-inverses", "infer-transitive",
         "infer-domain-range-types", "infer-partnership-roles")
_MAX_ROUNDS = 50
_INFERENCES_ONTOLOGY = "http://inferrences/"  # owlready2's name for it, sic


@dataclass(frozen=True)
class ConsistencyResult:
    """What HermiT said about a consistent ontology + data."""

    inferred_types: frozenset[tuple[URIRef, URIRef]]  # (individual, class) HermiT derived
    dropped_literals: int  # literals HermiT could not read (outside the OWL 2 datatype map)


def _supported(node: Node) -> bool:
    return not (isinstance(node, Literal) and node.datatype is not None
                and node.datatype not in OWL2_DATATYPES)


def _widen(node: Node) -> Node:
    if isinstance(node, URIRef) and str(node).startswith(str(XSD)) \
            and node not in OWL2_DATATYPES:
        return RDFS.Literal
    return node


def _is_builtin(node: Node) -> bool:
    text = str(node)
    return text.startswith((RDF_NS, RDFS_NS, OWL_NS, str(XSD)))


def reasoner_input(ontology: Graph, data: Graph) -> tuple[Graph, int]:
    """Ontology + data rewritten into what HermiT accepts; also the number of dropped literals.

    Undeclared terms get declarations (classes for types, annotation properties for other
    predicates) so OWL API does not have to guess and fail.
    """
    out = Graph()
    for s, p, o in ontology:
        out.add((s, p, _widen(o)))

    kinds: dict[Node, URIRef] = {}
    for kind in _PROPERTY_KINDS:
        for prop in ontology.subjects(RDF.type, kind):
            kinds.setdefault(prop, kind)
    classes = set(ontology.subjects(RDF.type, OWL.Class))

    # Terms the ontology relates to but does not declare (org:FormalOrganization, ...).
    for sub, sup in ontology.subject_objects(RDFS.subClassOf):
        for cls in (sub, sup):
            if isinstance(cls, URIRef) and cls not in classes and not _is_builtin(cls):
                out.add((cls, RDF.type, OWL.Class))
                classes.add(cls)
    for sub, sup in ontology.subject_objects(RDFS.subPropertyOf):
        kind = kinds.get(sub) or kinds.get(sup)
        for prop in (sub, sup):
            if kind and isinstance(prop, URIRef) and prop not in kinds \
                    and not _is_builtin(prop):
                out.add((prop, RDF.type, kind))
                kinds[prop] = kind

    dropped = 0
    for s, p, o in data:
        if not _supported(o):
            dropped += 1
            continue
        if _is_builtin(p) and p not in _ABOX_BUILTIN_PREDICATES:
            continue
        if p == RDF.type:
            if _is_builtin(o) and o not in (OWL.NamedIndividual, OWL.Thing):
                continue
            if isinstance(o, URIRef) and o not in classes and not _is_builtin(o):
                out.add((o, RDF.type, OWL.Class))
                classes.add(o)
        elif p not in kinds and not _is_builtin(p):
            out.add((p, RDF.type, OWL.AnnotationProperty))
            kinds[p] = OWL.AnnotationProperty
        out.add((s, p, o))
    return out, dropped


def java_available() -> bool:
    """Whether a ``java`` executable is on PATH (HermiT runs in Java)."""
    return shutil.which("java") is not None


def check_consistency(ontology: Graph, data: Graph, *,
                      explain_with: ox.Store | None = None) -> ConsistencyResult:
    """Run HermiT on ontology + data.

    ``explain_with`` is a store holding the dataset with its type closure; when HermiT finds
    an inconsistency, it is searched for individuals in disjoint classes to name in the error.

    Raises ReasonerUnavailable (no Java, HermiT crashed) or InconsistentOntology.
    """
    if not java_available():
        raise ReasonerUnavailable(
            "HermiT needs Java, but no `java` executable is on PATH. Install a Java runtime "
            "(Debian/Ubuntu: apt-get install default-jre-headless) and build again."
        )
    import owlready2

    graph, dropped = reasoner_input(ontology, data)
    ntriples = graph.serialize(format="nt", encoding="utf-8")
    world = owlready2.World()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            world.get_ontology("https://w3id.org/spacekg/reasoning-input").load(
                fileobj=io.BytesIO(ntriples), format="ntriples")
            owlready2.sync_reasoner_hermit(world, infer_property_values=False, debug=0)
    except owlready2.OwlReadyInconsistentOntologyError as exc:
        raise explain_inconsistency(explain_with, str(exc)) from None
    except owlready2.OwlReadyJavaError as exc:
        raise ReasonerUnavailable(f"HermiT failed: {exc}") from exc
    except OSError as exc:
        raise ReasonerUnavailable(f"cannot run HermiT: {exc}") from exc

    unsatisfiable = sorted(str(c.iri) for c in world.inconsistent_classes()
                           if not str(c.iri).startswith(OWL_NS))
    if unsatisfiable:
        names = ", ".join(short(URIRef(c)) for c in unsatisfiable)
        raise InconsistentOntology(f"unsatisfiable classes (equivalent to owl:Nothing): {names}",
                                   classes=tuple(unsatisfiable))
    return ConsistencyResult(frozenset(_inferred_types(world)), dropped)


def _inferred_types(world: object) -> Iterable[tuple[URIRef, URIRef]]:
    inferences = world.get_ontology(_INFERENCES_ONTOLOGY)  # type: ignore[attr-defined]
    rdf_type = world._abbreviate(str(RDF.type))  # type: ignore[attr-defined]
    for s, _p, o in inferences.get_triples(None, rdf_type, None):
        if not (isinstance(s, int) and isinstance(o, int) and s > 0 and o > 0):
            continue  # blank nodes and literals
        cls = world._unabbreviate(o)  # type: ignore[attr-defined]
        if cls.startswith(OWL_NS):
            continue
        yield URIRef(world._unabbreviate(s)), URIRef(cls)  # type: ignore[attr-defined]


def explain_inconsistency(store: ox.Store | None, detail: str = "") -> InconsistentOntology:
    """An InconsistentOntology naming individuals in disjoint classes, when any are found."""
    rows = []
    if store is not None:
        rows = [(str(r["individual"].value), str(r["class1"].value), str(r["class2"].value))
                for r in store.query(queryfiles.load("disjoint-class-members"),
                                     use_default_graph_as_union=True)]
    if not rows:
        return InconsistentOntology(
            "HermiT found the ontology and data inconsistent; no individual belongs to two "
            "disjoint classes, so look for functional properties with two values, "
            "cardinality restrictions or owl:differentFrom/owl:sameAs clashes"
            + (f" ({detail})" if detail else "")
        )
    lines = []
    for individual, c1, c2 in rows:
        graphs = [short(URIRef(r["graph"].value)) for r in store.query(  # type: ignore[union-attr]
            queryfiles.load("paragraph-graph-of"), use_default_graph_as_union=False,
            substitutions={ox.Variable("individual"): ox.NamedNode(individual)})]
        where = f" (typed in {', '.join(graphs)})" if graphs else ""
        lines.append(f"{short(URIRef(individual))} is both {short(URIRef(c1))} and "
                     f"{short(URIRef(c2))}, which are disjoint{where}")
    return InconsistentOntology(
        "HermiT found the ontology and data inconsistent:\n  " + "\n  ".join(lines),
        individuals=tuple(sorted({r[0] for r in rows})),
        classes=tuple(sorted({c for r in rows for c in r[1:]})),
    )


# --- materialisation -------------------------------------------------------------------

def from_ox(term: object) -> Node:
    """pyoxigraph term → rdflib term."""
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        return Literal(term.value, datatype=URIRef(term.datatype.value))
    raise SpaceKGError(f"unsupported RDF term {term!r}")


def store_of(ds: Dataset) -> ox.Store:
    """An in-memory Oxigraph store holding every named graph of ``ds``."""
    store = ox.Store()
    store.extend(ox.Quad(to_oxigraph(s), to_oxigraph(p), to_oxigraph(o), ox.NamedNode(str(g)))
                 for s, p, o, g in ds.quads((None, None, None, None))
                 if isinstance(g, URIRef) and not str(g).startswith("urn:x-rdflib:"))
    return store


def close_store(store: ox.Store, *, extra_types: Iterable[tuple[URIRef, URIRef]] = ()) -> int:
    """Add the rules' conclusions to ``graph/inferred`` of ``store`` until nothing is new.

    ``extra_types`` are (individual, class) pairs from HermiT, added first when not stated.
    Returns the number of triples added. Raises SpaceKGError if no fixpoint is reached.
    """
    inferred = ox.NamedNode(str(INFERRED_GRAPH))
    added = 0
    rdf_type = ox.NamedNode(str(RDF.type))
    for individual, cls in extra_types:
        s, o = ox.NamedNode(str(individual)), ox.NamedNode(str(cls))
        if not any(True for _ in store.quads_for_pattern(s, rdf_type, o, None)):
            store.add(ox.Quad(s, rdf_type, o, inferred))
            added += 1
    rules = [queryfiles.load(name) for name in RULES]
    for _round in range(_MAX_ROUNDS):
        new = 0
        for rule in rules:
            triples = list(store.query(rule, use_default_graph_as_union=True))
            for t in triples:
                quad = ox.Quad(t.subject, t.predicate, t.object, inferred)
                if quad not in store:
                    store.add(quad)
                    new += 1
        added += new
        if not new:
            return added
    raise SpaceKGError(f"inference did not reach a fixpoint in {_MAX_ROUNDS} rounds")


def refresh_inferred(store: ox.Store, extra_types: Iterable[tuple[URIRef, URIRef]] = ()) -> int:
    """Recompute ``graph/inferred`` of ``store`` from scratch with the build's rules, after a
    write changed the data (deletions too: a conclusion whose premises went goes with them).

    ``extra_types`` stand in for HermiT, which is too slow to rerun per write. An existing
    (even empty) ``graph/inferred`` is kept as a graph. Returns the number of triples.
    """
    inferred = ox.NamedNode(str(INFERRED_GRAPH))
    existed = store.contains_named_graph(inferred)
    if existed:
        store.remove_graph(inferred)
    added = close_store(store, extra_types=extra_types)
    if existed:
        store.add_graph(inferred)
    return added


def ontology_graph(ds: Dataset) -> Graph:
    """The ontology's triples as a plain Graph."""
    graph = Graph()
    for triple in ds.graph(ONTOLOGY_GRAPH):
        graph.add(triple)
    return graph
