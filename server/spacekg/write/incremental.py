"""Incremental SHACL validation for the write gate: which focus nodes a change can affect.

Why this is sound, in four steps:

1. **What validating a focus node F reads.** From the shapes graph we derive *walks*: the
   sequences of edges (forward or backward, one predicate or any predicate) that validating
   any focus node can follow — property paths (sequences, alternatives, inverses, ``?``),
   property-pair constraints (``sh:equals``, ``sh:disjoint``, ``sh:lessThan(OrEquals)``),
   nested shapes on value nodes (``sh:node``, ``sh:property``, ``sh:or``/``and``/``xone``/
   ``not``, ``sh:qualifiedValueShape``: the nested walks continue from the value nodes), and
   the triple patterns of SPARQL constraints and SPARQL-based targets (parsed with rdflib;
   from ``$this`` over the query's variables, a pattern ``?a p ?b`` being a step either way,
   a variable predicate a step over any predicate). Each walk also says what is read of the
   node it ends at: the term only (``sh:datatype``, ``sh:hasValue``, ``sh:pattern``... or a
   SPARQL variable used once), its RDFS types only (``sh:class``), or its triples. F itself
   and every node *inside* a walk are read in full: all triples touching them (subject or
   object), since a node's RDFS types come from its own triples (``rdf:type``, domains of
   its outgoing predicates, ranges of incoming ones, through sub-properties) and every step
   is such a triple. Shapes the analysis cannot bound (``*``/``+`` paths, recursive shapes,
   SPARQL in property shapes, custom constraint components, rules, node expressions) switch
   incrementality off.

2. **Which focus nodes a change affects.** A changed triple (s, p, o) can change F's results
   only if it is among what F reads before or after the write: it touches a node F reads in
   full, or it can type a node F reads the types of (``rdf:type``, or a predicate with a
   domain/range). If not, no walk from F crossed a changed edge (edges leave nodes read in
   full), so F reads the same before and after. The affected focus nodes are found by
   walking every walk *backwards* from s and o, in the data before and after.

3. **Validating only those.** The affected nodes give a subgraph: every triple touching a
   node read in full, the computed RDFS types (as ``rdf:type`` triples) of nodes read for
   their types only, and the data's own schema triples. pySHACL validates it with the
   ontology and the same options as a full run; results are kept for the affected focus
   nodes only and compared with the baseline's results for those nodes. Other nodes' results
   cannot have changed (step 2), so the baseline keeps them. (Not pySHACL's ``focus_nodes``
   option: 0.40 also filters nested shapes' value nodes with it, so they pass unchecked.)

4. **What falls back to a full run.** Class nodes (objects of ``rdf:type``) are not walked
   through by "any predicate" steps (every instance would touch them); so a change to the
   triples *of* a node used as a class, a change to schema triples (``rdfs:subClassOf``,
   domains, ranges, OWL property axioms, ``rdf:type`` to an RDF/RDFS/OWL class), a change
   to the ontology graph, a big change, or a subgraph not much smaller than the data, are
   validated in full. Quoted triples (RDF-star) are invisible to rdflib and so to SHACL.

``tests/test_writes_incremental.py`` checks the result against full validation for every
broken fixture applied as a write to the report's data.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from rdflib import OWL, RDF, RDFS, BNode, Graph, Literal, URIRef, Variable
from rdflib.paths import AlternativePath, InvPath, MulPath, NegatedPath, SequencePath
from rdflib.plugins.sparql import prepareQuery
from rdflib.term import Node

from spacekg.build.validate import SH, ValidationReport, ValidationResult, short, validate_graph


class Unbounded(Exception):
    """The shapes can look arbitrarily far from a focus node: validate in full."""


@dataclass(frozen=True, order=True)
class Step:
    """One edge of a walk: forward (subject → object) or backward, over ``predicate`` (None:
    any predicate but ``rdf:type``)."""

    forward: bool
    predicate: str | None


Walk = tuple[Step, ...]
#: What validation reads of the node a walk ends at: only the term (sh:datatype, sh:hasValue),
#: its RDFS types (sh:class), or its triples. Nodes inside a walk are always read in full: the
#: next step reads their edges.
TERM, TYPES, TRIPLES = 0, 1, 2
Reach = tuple[Walk, int]

_NESTED_ONE = (SH.node, SH.property, SH.qualifiedValueShape, SH["not"])
_NESTED_LIST = (SH["or"], SH["and"], SH.xone)
_PAIR = (SH.equals, SH.disjoint, SH.lessThan, SH.lessThanOrEquals)
_UNSUPPORTED = (SH.rule, SH.expression, SH.js, SH.filterShape, SH.values)
#: Shape predicates that look at a value node's term only, never at its triples.
_TERM_ONLY = frozenset(
    [RDF.type, RDFS.label, RDFS.comment, SH.name, SH.description, SH.message, SH.severity,
     SH.deactivated, SH.order, SH.group, SH.datatype, SH.nodeKind, SH.languageIn, SH.pattern,
     SH.flags, SH.hasValue, SH["in"], SH.minLength, SH.maxLength, SH.minInclusive,
     SH.maxInclusive, SH.minExclusive, SH.maxExclusive, SH.defaultValue,
     SH.qualifiedMinCount, SH.qualifiedMaxCount]
)
#: On a property shape: constraints on the focus node's values as a whole (its own triples).
_ON_FOCUS = frozenset([SH.path, SH.minCount, SH.maxCount, SH.uniqueLang, *_PAIR])
_NESTED = frozenset([*_NESTED_ONE, *_NESTED_LIST])

#: Predicates whose triples change what RDFS inference concludes about *other* nodes.
SCHEMA_PREDICATES = frozenset(
    [RDFS.subClassOf, RDFS.subPropertyOf, RDFS.domain, RDFS.range, OWL.equivalentClass,
     OWL.equivalentProperty, OWL.inverseOf, OWL.sameAs, OWL.unionOf, OWL.intersectionOf]
)
_META_NAMESPACES = (str(RDF), str(RDFS), str(OWL))
_HARMLESS_META = frozenset([RDFS.label, RDFS.comment, RDFS.seeAlso, RDFS.isDefinedBy,
                            RDF.value, RDF.type])


def _reverse(walk: Walk) -> Walk:
    return tuple(Step(not s.forward, s.predicate) for s in reversed(walk))


def _product(parts: list[list[Walk]]) -> list[Walk]:
    return [tuple(itertools.chain.from_iterable(combo)) for combo in itertools.product(*parts)]


# --- walks from the shapes graph --------------------------------------------------------


def _shacl_path_walks(shapes: Graph, path: Node) -> list[Walk]:
    if isinstance(path, URIRef):
        return [(Step(True, str(path)),)]
    if shapes.value(path, RDF.first) is not None:
        from rdflib.collection import Collection

        return _product([_shacl_path_walks(shapes, p) for p in Collection(shapes, path)])
    inverse = shapes.value(path, SH.inversePath)
    if inverse is not None:
        return [_reverse(w) for w in _shacl_path_walks(shapes, inverse)]
    alternatives = shapes.value(path, SH.alternativePath)
    if alternatives is not None:
        from rdflib.collection import Collection

        return [w for p in Collection(shapes, alternatives) for w in _shacl_path_walks(shapes, p)]
    optional = shapes.value(path, SH.zeroOrOnePath)
    if optional is not None:
        return [(), *_shacl_path_walks(shapes, optional)]
    raise Unbounded(f"property path {path} ({'*'} or {'+'}) has no bound")


def _prefixes(shapes: Graph, node: Node) -> dict[str, str]:
    found: dict[str, str] = {}
    for holder in shapes.objects(node, SH.prefixes):
        for decl in shapes.objects(holder, SH.declare):
            prefix, ns = shapes.value(decl, SH.prefix), shapes.value(decl, SH.namespace)
            if prefix is not None and ns is not None:
                found[str(prefix)] = str(ns)
    return found


def _sparql_path_walks(path: object) -> list[Walk]:
    if isinstance(path, URIRef):
        return [(Step(True, str(path)),)]
    if isinstance(path, Variable | BNode):
        return [(Step(True, None),)]
    if isinstance(path, InvPath):
        return [_reverse(w) for w in _sparql_path_walks(path.arg)]
    if isinstance(path, SequencePath):
        return _product([_sparql_path_walks(p) for p in path.args])
    if isinstance(path, AlternativePath):
        return [w for p in path.args for w in _sparql_path_walks(p)]
    if isinstance(path, MulPath):
        if path.mod == "?":
            return [(), *_sparql_path_walks(path.path)]
        raise Unbounded(f"SPARQL path {path} has no bound")
    if isinstance(path, NegatedPath):
        return [(Step(True, None),), (Step(False, None),)]
    raise Unbounded(f"unknown SPARQL path {path!r}")


def _triple_patterns(algebra: object) -> Iterator[tuple[object, object, object]]:
    """Every triple pattern of a query's algebra, FILTER (NOT) EXISTS included."""
    seen: set[int] = set()
    stack = [algebra]
    while stack:
        item = stack.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, dict):
            for key, value in item.items():
                if key == "triples" and isinstance(value, list):
                    yield from (tuple(t) for t in value)  # type: ignore[misc]
                else:
                    stack.append(value)
        elif isinstance(item, list | tuple):
            stack.extend(item)
        else:
            for attr in ("p", "expr", "graph", "other"):
                value = getattr(item, attr, None)
                if isinstance(value, dict | list):
                    stack.append(value)


def sparql_walks(query: str, prefixes: dict[str, str]) -> set[Reach]:
    """Walks from ``$this``/``?this`` over a SELECT query's triple patterns (see module doc)."""
    try:
        prepared = prepareQuery(query, initNs=prefixes)
    except Exception as exc:  # rdflib raises pyparsing errors and friends
        raise Unbounded(f"cannot parse a SPARQL constraint: {exc}") from exc
    edges: list[tuple[object, list[Walk], object]] = [
        (s, _sparql_path_walks(p), o) for s, p, o in _triple_patterns(prepared.algebra)
    ]
    this = Variable("this")
    variables = {t for s, _p, o in edges for t in (s, o) if isinstance(t, Variable | BNode)}
    uses: dict[object, int] = {}
    for s, _p, o in edges:
        for term in {s, o}:
            uses[term] = uses.get(term, 0) + 1

    def explore(through_constants: bool) -> tuple[set[Reach], set[object]]:
        walks: set[Reach] = {((), TRIPLES)}
        reached: set[object] = {this}
        stack: list[tuple[object, Walk, frozenset[int]]] = [(this, (), frozenset())]
        while stack:
            node, walk, used = stack.pop()
            for index, (s, ws, o) in enumerate(edges):
                if index in used:
                    continue
                moves: list[tuple[object, list[Walk]]] = []
                if s == node:
                    moves.append((o, ws))
                if o == node:
                    moves.append((s, [_reverse(w) for w in ws]))
                for target, options in moves:
                    if isinstance(target, Literal):
                        continue
                    # A constant end is not walked to: the triple touching the current
                    # node is read anyway, and a constant (a class, skg:Exact) is a hub.
                    if not (isinstance(target, Variable | BNode) or through_constants):
                        continue
                    for option in options:
                        # a variable met in one pattern only is a leaf: its term is used
                        walks.add((walk + option, TRIPLES if uses.get(target, 0) > 1
                                   else TERM))
                        reached.add(target)
                        stack.append((target, walk + option, used | {index}))
        return walks, reached

    walks, reached = explore(through_constants=False)
    if not variables <= reached:
        walks, reached = explore(through_constants=True)
    return walks


@dataclass(frozen=True)
class ShapeReach:
    """The walks validating a focus node may follow, derived from a shapes graph."""

    walks: frozenset[Reach]

    @classmethod
    def from_shapes(cls, shapes: Graph) -> ShapeReach:
        """Raises Unbounded when some shape can look arbitrarily far (validate in full)."""
        if any(True for _ in shapes.subjects(RDF.type, SH.ConstraintComponent)):
            raise Unbounded("the shapes declare custom constraint components")
        roots = set(shapes.subjects(RDF.type, SH.NodeShape))
        roots |= set(shapes.subjects(RDF.type, SH.PropertyShape))
        roots |= set(shapes.subjects(SH.path, None))
        cache: dict[Node, tuple[frozenset[Reach], int]] = {}
        walks: set[Reach] = set()
        for root in roots:
            walks |= _shape_walks(shapes, root, (), cache)[0]
        return cls(_without_redundant(walks))


def _shape_walks(shapes: Graph, shape: Node, stack: tuple[Node, ...],
                 cache: dict[Node, tuple[frozenset[Reach], int]]
                 ) -> tuple[frozenset[Reach], int]:
    """The walks from a shape's focus node, and what the shape reads of the focus itself."""
    if shape in cache:
        return cache[shape]
    if shape in stack:
        raise Unbounded(f"shape {short(shape)} refers to itself")
    for predicate in _UNSUPPORTED:
        if shapes.value(shape, predicate) is not None:
            raise Unbounded(f"shape {short(shape)} uses {short(predicate)}")
    predicates = set(shapes.predicates(shape, None))
    nested: list[Node] = []
    for predicate in _NESTED_ONE:
        nested.extend(shapes.objects(shape, predicate))
    for predicate in _NESTED_LIST:
        from rdflib.collection import Collection

        for head in shapes.objects(shape, predicate):
            nested.extend(Collection(shapes, head))
    inner = [_shape_walks(shapes, n, (*stack, shape), cache) for n in nested]
    inner_reads = max((reads for _w, reads in inner), default=TERM)
    walks: set[Reach] = set()
    path = shapes.value(shape, SH.path)
    if path is not None:
        if SH.sparql in predicates:
            raise Unbounded(f"property shape {short(shape)} has a SPARQL constraint")
        focus_reads = TRIPLES
        base = _shacl_path_walks(shapes, path)
        value_reads = max(inner_reads, _reads(predicates - _ON_FOCUS))
        walks |= {(b, value_reads) for b in base}
        for predicate in _PAIR:
            for other in shapes.objects(shape, predicate):
                walks |= {(w, TERM) for w in _shacl_path_walks(shapes, other)}
    else:
        focus_reads = max(inner_reads, _reads(predicates))
        base = [()]
    walks.add(((), focus_reads))
    for reaches, _need in inner:
        walks |= {(b + w, full) for b in base for w, full in reaches}
    for constraint in shapes.objects(shape, SH.sparql):
        select = shapes.value(constraint, SH.select)
        if select is None:
            raise Unbounded(f"shape {short(shape)} has a SPARQL constraint without sh:select")
        walks |= sparql_walks(str(select), _prefixes(shapes, constraint))
    for target in shapes.objects(shape, SH.target):
        select = shapes.value(target, SH.select)
        if select is None:
            raise Unbounded(f"shape {short(shape)} has a custom target")
        walks |= sparql_walks(str(select), _prefixes(shapes, target))
    result = (frozenset(walks), focus_reads)
    cache[shape] = result
    return result


def _reads(predicates: set[Node]) -> int:
    """What constraints with these predicates read of the node they apply to."""
    rest = predicates - _TERM_ONLY - _NESTED
    if not rest:
        return TERM
    return TYPES if rest == {SH["class"]} else TRIPLES


def _without_redundant(walks: set[Reach]) -> frozenset[Reach]:
    """One entry per walk (reading the most any says), none that is a prefix of a longer walk:
    its end is inside the longer one, where it is read in full anyway."""
    merged: dict[Walk, int] = {}
    for walk, need in walks:
        merged[walk] = max(merged.get(walk, TERM), need)
    return frozenset((w, f) for w, f in merged.items()
                     if not any(len(o) > len(w) and o[:len(w)] == w for o in merged))


# --- following walks in a data graph -----------------------------------------------------


def _step(graph: Graph, node: Node, step: Step) -> Iterator[Node]:
    if isinstance(node, Literal):
        return
    pred = URIRef(step.predicate) if step.predicate is not None else None
    if step.forward:
        for p, o in graph.predicate_objects(node):
            if (pred is None and p != RDF.type) or p == pred:
                yield o
    else:
        for s, p in graph.subject_predicates(node):
            if (pred is None and p != RDF.type) or p == pred:
                yield s


def reach(graph: Graph, focus: Node, walks: Iterable[Reach]) -> tuple[set[Node], set[Node]]:
    """R(focus), as the nodes whose triples validating ``focus`` reads (``focus``, every node
    inside a walk, ends read in full) and the nodes of which it reads the types only."""
    full, typed = {focus}, set()
    for walk, need in walks:
        frontier = {focus}
        for index, step in enumerate(walk):
            frontier = {n for node in frontier for n in _step(graph, node, step)}
            if not frontier:
                break
            if index < len(walk) - 1 or need == TRIPLES:
                full |= frontier
            elif need == TYPES:
                typed |= frontier
    return full, typed - full


def reverse_reach(graph: Graph, node: Node, walks: Iterable[Reach], *,
                  types_changed: bool = True) -> set[Node]:
    """Every F with ``node`` in R(F) in ``graph`` (module doc, step 2); with
    ``types_changed`` False, not those that read only the node's types."""
    found = {node}
    for walk, need in walks:
        read_end = need == TRIPLES or (need == TYPES and types_changed)
        for length in range(1, len(walk) + (1 if read_end else 0)):
            frontier = {node}
            for step in _reverse(walk[:length]):
                frontier = {n for x in frontier for n in _step(graph, x, step)}
                if not frontier:
                    break
            found |= frontier
    return found


class RdfsTypes:
    """The RDFS types of a node as pySHACL's ``inference="rdfs"`` gives them (rdfs2, 3, 7, 9):
    stated types, domains of its predicates and ranges of predicates pointing at it, through
    sub-properties. Built from the ontology plus the data's own schema triples."""

    def __init__(self, schema: Graph) -> None:
        supers: dict[Node, set[Node]] = {}
        for sub, sup in schema.subject_objects(RDFS.subPropertyOf):
            supers.setdefault(sub, set()).add(sup)
        self._domains: dict[Node, set[Node]] = {}
        self._ranges: dict[Node, set[Node]] = {}
        props = set(supers) | set(schema.subjects(RDFS.domain, None)) \
            | set(schema.subjects(RDFS.range, None))
        for prop in props:
            closure, todo = {prop}, [prop]
            while todo:
                for sup in supers.get(todo.pop(), ()):
                    if sup not in closure:
                        closure.add(sup)
                        todo.append(sup)
            self._domains[prop] = {c for q in closure for c in schema.objects(q, RDFS.domain)}
            self._ranges[prop] = {c for q in closure for c in schema.objects(q, RDFS.range)}

    def typing(self, triple: tuple[Node, Node, Node], node: Node) -> bool:
        """Whether ``triple`` can give ``node`` a type."""
        s, p, o = triple
        return (node == s and (p == RDF.type or bool(self._domains.get(p)))) \
            or (node == o and bool(self._ranges.get(p)))

    def of(self, graph: Graph, node: Node) -> set[Node]:
        types = set(graph.objects(node, RDF.type))
        for p in set(graph.predicates(node, None)):
            types |= self._domains.get(p, set())
        if not isinstance(node, Literal):
            for p in set(graph.predicates(None, node)):
                types |= self._ranges.get(p, set())
        return types


def is_schema_triple(triple: tuple[Node, Node, Node]) -> bool:
    """Whether a data triple can change RDFS conclusions about nodes it does not touch."""
    _s, p, o = triple
    if p in SCHEMA_PREDICATES:
        return True
    if p == RDF.type:
        return isinstance(o, URIRef) and str(o).startswith(_META_NAMESPACES)
    return str(p).startswith(_META_NAMESPACES) and p not in _HARMLESS_META


def touched_nodes(triple: tuple[Node, Node, Node]) -> list[Node]:
    """The nodes a changed triple touches, as the walks see them (classes are not walked)."""
    s, p, o = triple
    nodes = [s]
    if p != RDF.type and not isinstance(o, Literal):
        nodes.append(o)
    return nodes


# --- the validator ------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """What a validation of a candidate found and how it was done."""

    introduced: frozenset[ValidationResult]
    mode: str  # "incremental", "full" or "skipped"
    reason: str
    foci: int  # focus nodes validated (incremental), 0 for a full run
    subgraph: int  # triples validated


class IncrementalValidator:
    """The data as an rdflib graph kept in step with the store, and the violations it has.

    :meth:`check` validates a change (added and removed *triples* of the union of the data
    graphs) against the current state; :meth:`commit` or :meth:`rollback` then settles it.
    Not thread-safe: the gate calls it under its lock.
    """

    #: A change of more triples than this is validated in full.
    MAX_CHANGE = 200
    #: An incremental subgraph larger than this share of the data is validated in full.
    MAX_SHARE = 0.5

    def __init__(self, data: Graph, *, shapes: Graph, ontology: Graph,
                 baseline: ValidationReport | None = None) -> None:
        self.data = data
        self.shapes = shapes
        self.ontology = ontology
        try:
            self.reach: ShapeReach | None = ShapeReach.from_shapes(shapes)
            self.unbounded = ""
        except Unbounded as exc:
            self.reach, self.unbounded = None, str(exc)
        self._types = self._rdfs_types()
        report = baseline or validate_graph(data, shapes=shapes, ontology=ontology)
        self.baseline: dict[str, frozenset[ValidationResult]] = _by_focus(report.violations)
        self._pending: tuple[set, set, dict[str, frozenset[ValidationResult]]] | None = None

    def violations(self) -> frozenset[ValidationResult]:
        return frozenset(r for rs in self.baseline.values() for r in rs)

    def check(self, added: set[tuple[Node, Node, Node]], removed: set[tuple[Node, Node, Node]],
              *, force_full: str = "") -> Outcome:
        """Apply the change to the mirror (until commit/rollback) and validate it."""
        if self._pending is not None:
            raise RuntimeError("a change is already pending")
        added = {t for t in added if t not in self.data}
        removed = {t for t in removed if t in self.data}
        if not (added or removed) and not force_full:
            self._pending = (added, removed, {})
            return Outcome(frozenset(), "skipped", "no data triple changed", 0, 0)
        reason = force_full or self._full_reason(added, removed)
        foci: set[Node] = set()
        if not reason:
            assert self.reach is not None
            walks = self.reach.walks
            for triple in added | removed:
                for node in touched_nodes(triple):
                    foci |= reverse_reach(self.data, node, walks,
                                          types_changed=self._types.typing(triple, node))
        for t in removed:
            self.data.remove(t)
        for t in added:
            self.data.add(t)
        try:
            return self._validate(added, removed, foci, reason)
        except BaseException:
            for t in added:  # a failure inside validation must not leave the change behind
                self.data.remove(t)
            for t in removed:
                self.data.add(t)
            raise

    def _validate(self, added: set, removed: set, foci: set[Node], reason: str) -> Outcome:
        """Validate the mirror (the change applied) in full or around ``foci``."""
        if not reason:
            assert self.reach is not None
            for triple in added | removed:
                for node in touched_nodes(triple):
                    foci |= reverse_reach(self.data, node, self.reach.walks,
                                          types_changed=self._types.typing(triple, node))
            subgraph = self._subgraph(foci)
            if len(subgraph) > self.MAX_SHARE * len(self.data):
                reason = f"the affected part ({len(subgraph)} triples) is most of the data"
        if reason:
            report = validate_graph(self.data, shapes=self.shapes, ontology=self.ontology)
            introduced = frozenset(report.violations) - self.violations()
            self._pending = (added, removed, {"*": frozenset(report.violations)})
            return Outcome(introduced, "full", reason, 0, len(self.data))
        names = {short(f) for f in foci}
        report = validate_graph(subgraph, shapes=self.shapes, ontology=self.ontology)
        new = _by_focus(r for r in report.violations if r.focus in names)
        before = frozenset(r for name in names for r in self.baseline.get(name, ()))
        after = frozenset(r for rs in new.values() for r in rs)
        self._pending = (added, removed, {name: new.get(name, frozenset()) for name in names})
        return Outcome(after - before, "incremental", "", len(foci), len(subgraph))

    def commit(self) -> None:
        """Keep the pending change: the mirror stays, the baseline takes the new results."""
        if self._pending is None:
            return
        _added, _removed, results = self._pending
        self._pending = None
        if "*" in results:
            self.baseline = _by_focus(results["*"])
            self._types = self._rdfs_types()  # the change may have held schema triples
            return
        for name, rs in results.items():
            if rs:
                self.baseline[name] = rs
            else:
                self.baseline.pop(name, None)

    def rollback(self) -> None:
        """Undo the pending change in the mirror."""
        if self._pending is None:
            return
        added, removed, _results = self._pending
        self._pending = None
        for t in added:
            self.data.remove(t)
        for t in removed:
            self.data.add(t)

    def _full_reason(self, added: set, removed: set) -> str:
        if self.reach is None:
            return f"the shapes cannot be bounded: {self.unbounded}"
        changed = added | removed
        if len(changed) > self.MAX_CHANGE:
            return f"a big change ({len(changed)} triples)"
        if any(is_schema_triple(t) for t in changed):
            return "schema triples changed"
        for triple in changed:
            for node in touched_nodes(triple):
                if (None, RDF.type, node) in self.data or any(
                        t[1] == RDF.type and t[2] == node for t in added):
                    return f"the triples of a class ({short(node)}) changed"
        return ""

    def _rdfs_types(self) -> RdfsTypes:
        schema = Graph()
        for source in (self.ontology, self.data):
            for p in (RDFS.subPropertyOf, RDFS.domain, RDFS.range):
                for t in source.triples((None, p, None)):
                    schema.add(t)
        return RdfsTypes(schema)

    def _subgraph(self, foci: Iterable[Node]) -> Graph:
        assert self.reach is not None
        nodes: set[Node] = set()
        typed: set[Node] = set()
        for focus in foci:
            full, types = reach(self.data, focus, self.reach.walks)
            nodes |= full
            typed |= types
        sub = Graph()
        # A node read for its types only: its types, not the triples they follow from.
        for node in typed - nodes:
            for cls in self._types.of(self.data, node):
                sub.add((node, RDF.type, cls))
        for node in nodes:
            if isinstance(node, Literal):
                continue
            for t in self.data.triples((node, None, None)):
                sub.add(t)
            for t in self.data.triples((None, None, node)):
                sub.add(t)
        for p in SCHEMA_PREDICATES:
            for t in self.data.triples((None, p, None)):
                sub.add(t)
        for t in self.data.triples((None, RDF.type, None)):
            if is_schema_triple(t):
                sub.add(t)
        return sub


def _by_focus(results: Iterable[ValidationResult]) -> dict[str, frozenset[ValidationResult]]:
    grouped: dict[str, set[ValidationResult]] = {}
    for r in results:
        grouped.setdefault(r.focus, set()).add(r)
    return {k: frozenset(v) for k, v in grouped.items()}


__all__ = ["IncrementalValidator", "Outcome", "ShapeReach", "Step", "Unbounded", "reach",
           "reverse_reach", "sparql_walks"]
