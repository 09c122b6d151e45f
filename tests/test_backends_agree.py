"""Every competency question gets the same answer from Oxigraph, rdflib and a remote Virtuoso.

Answers are compared as multisets of normalised rows: engines may order unordered results
differently, name blank nodes differently and write the same value in different lexical
forms ("43.50" vs "43.5", "1" vs "true"); none of that is a different answer.
"""

from __future__ import annotations

import datetime
import os
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from spacekg.build.pipeline import ensure_built
from spacekg.resources import query_files
from spacekg.stores import BooleanResult, GraphResult, QueryResult, SolutionsResult, Store
from spacekg.stores.memory import MemoryStore
from spacekg.stores.oxigraph import OxigraphStore
from spacekg.stores.remote import RemoteStore
from spacekg.stores.terms import term_parts
from virtuoso_support import virtuoso

XSD = "http://www.w3.org/2001/XMLSchema#"
_NUMERIC = {
    XSD + name
    for name in (
        "integer decimal double float long int short byte nonNegativeInteger positiveInteger "
        "negativeInteger nonPositiveInteger unsignedLong unsignedInt unsignedShort unsignedByte"
    ).split()
}

QUERIES = query_files()


@pytest.fixture(scope="module")
def nquads() -> Path:
    return ensure_built().nquads_path


def _loaded(store: Store, nquads: Path) -> Iterator[Store]:
    store.load(nquads)
    yield store
    store.close()


@pytest.fixture(scope="module")
def memory(nquads: Path) -> Iterator[Store]:
    yield from _loaded(MemoryStore(), nquads)


@pytest.fixture(scope="module")
def oxigraph(nquads: Path) -> Iterator[Store]:
    yield from _loaded(OxigraphStore(), nquads)


@pytest.fixture(scope="module")
def remote(nquads: Path) -> Iterator[Store]:
    """The dataset in Virtuoso, loaded through the Graph Store Protocol."""
    engine = virtuoso()
    store = RemoteStore(
        engine.sparql, gsp_endpoint=engine.gsp_auth, user=engine.user, password=engine.password
    )
    store.load(nquads)
    yield store
    store.clear()
    store.close()


def normalise_term(term: Any) -> tuple[Any, ...] | None:
    """A comparable key: same value, same key, whatever the engine's lexical form."""
    if term is None:
        return None
    kind, value, datatype, language = term_parts(term)
    if kind == "bnode":
        return ("bnode",)  # labels are local to each engine's answer
    if kind != "literal":
        return (kind, value)
    if language:
        return ("lang", value, language.lower())
    if datatype in _NUMERIC:
        try:
            return ("number", Decimal(value).normalize())
        except InvalidOperation:
            return ("number", value.strip().upper())  # NaN, INF
    if datatype == XSD + "boolean":
        return ("boolean", value.strip() in ("true", "1"))
    if datatype == XSD + "date":
        return ("date", datetime.date.fromisoformat(value.strip()[:10]), value.strip()[10:] or None)
    return ("literal", value, datatype)


def normalise(result: QueryResult) -> Any:
    if isinstance(result, BooleanResult):
        return result.value
    if isinstance(result, SolutionsResult):
        order = sorted(range(len(result.variables)), key=lambda i: result.variables[i])
        rows = Counter(tuple(normalise_term(row[i]) for i in order) for row in result.rows)
        return sorted(result.variables), rows
    assert isinstance(result, GraphResult)
    return Counter(tuple(normalise_term(t) for t in triple) for triple in result.triples)


def virtuoso_booleans(answer: Any, reference: Any) -> Any:
    """Virtuoso 7.2 writes the value of a boolean *expression* (EXISTS, BOUND, ``=``) as
    xsd:integer 1/0. Read such cells as booleans, only in columns where the reference answer
    holds booleans, so every other difference still shows."""
    if not (isinstance(answer, tuple) and isinstance(reference, tuple)):
        return answer
    columns = {
        i for row in reference[1] for i, cell in enumerate(row) if cell and cell[0] == "boolean"
    }
    if not columns:
        return answer

    def fix(i: int, cell: Any) -> Any:
        if i in columns and cell and cell[0] == "number" and cell[1] in (0, 1):
            return ("boolean", cell[1] == 1)
        return cell

    rows: Counter[tuple[Any, ...]] = Counter()
    for row, n in answer[1].items():
        rows[tuple(fix(i, c) for i, c in enumerate(row))] += n
    return answer[0], rows


def test_there_are_competency_questions_to_compare() -> None:
    assert QUERIES, "queries/*.rq is empty"


def _cases() -> list[Any]:
    cases = []
    for path in QUERIES:
        for backend in ("oxigraph", "remote"):
            cases.append(pytest.param(path, backend, id=f"{path.stem}-{backend}"))
    return cases


@pytest.mark.parametrize(("path", "backend"), _cases())
def test_backend_answers_like_rdflib(
    path: Path, backend: str, memory: Store, request: pytest.FixtureRequest
) -> None:
    store: Store = request.getfixturevalue(backend)
    sparql = path.read_text(encoding="utf-8")
    reference = normalise(memory.query(sparql))
    answer = normalise(store.query(sparql))
    if backend == "remote":
        answer = virtuoso_booleans(answer, reference)
    assert answer == reference, f"{backend} disagrees with rdflib on {path.name}"


@pytest.mark.parametrize("backend", ["oxigraph", "remote"])
def test_backend_holds_the_same_dataset_as_rdflib(
    backend: str, memory: Store, request: pytest.FixtureRequest
) -> None:
    store: Store = request.getfixturevalue(backend)
    assert store.graph_names() == memory.graph_names()
    assert store.triple_count() == memory.triple_count()


# -- the default graph is a set -----------------------------------------------------------


@pytest.fixture(scope="module")
def oxigraph_disk() -> Iterator[Store]:
    """The build's on-disk store, opened read-only as ``spacekg serve`` and its query
    processes open it."""
    store = OxigraphStore(ensure_built().oxigraph_path, read_only=True)
    yield store
    store.close()


@pytest.fixture(scope="module")
def distinct_triples(nquads: Path) -> int:
    import pyoxigraph as ox

    return len({(q.subject, q.predicate, q.object)
                for q in ox.parse(path=str(nquads), format=ox.RdfFormat.N_QUADS)})


@pytest.fixture(scope="module")
def quad_count(nquads: Path) -> int:
    return sum(1 for line in nquads.read_text(encoding="utf-8").splitlines() if line.strip())


BACKENDS = ["memory", "oxigraph", "oxigraph_disk", "remote"]


def _count(store: Store, sparql: str) -> int:
    result = store.query(sparql)
    assert isinstance(result, SolutionsResult)
    return int(term_parts(next(iter(result.rows))[0])[1])


@pytest.mark.parametrize("backend", BACKENDS)
def test_default_graph_counts_each_triple_once(
    backend: str, distinct_triples: int, request: pytest.FixtureRequest
) -> None:
    store: Store = request.getfixturevalue(backend)
    assert _count(store, "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }") == distinct_triples
    assert store.triple_count() == distinct_triples


@pytest.mark.parametrize("backend", BACKENDS)
def test_graph_patterns_see_every_graph_that_holds_a_triple(
    backend: str, quad_count: int, distinct_triples: int, request: pytest.FixtureRequest
) -> None:
    store: Store = request.getfixturevalue(backend)
    assert quad_count > distinct_triples  # some facts are stated in several paragraphs
    assert _count(store, "SELECT (COUNT(*) AS ?n) { GRAPH ?g { ?s ?p ?o } }") == quad_count


@pytest.mark.parametrize("backend", BACKENDS)
def test_workshop_organisers_come_back_once_each_without_distinct(
    backend: str, request: pytest.FixtureRequest
) -> None:
    store: Store = request.getfixturevalue(backend)
    organisers = """
        PREFIX skg: <https://w3id.org/spacekg/ontology#>
        PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
        SELECT ?organiser WHERE {
          <https://w3id.org/spacekg/id/event/haikou-workshop-2022>
              skg:organiser/skos:prefLabel ?organiser .
          FILTER (lang(?organiser) = "en")
        }"""
    result = store.query(organisers)
    assert isinstance(result, SolutionsResult)
    assert sorted(term_parts(row[0])[1] for row in result.rows) == [
        "China National Space Administration",
        "People's Government of Hainan Province",
        "United Nations Office for Outer Space Affairs",
    ]


@pytest.mark.parametrize("backend", ["memory", "oxigraph", "oxigraph_disk"])
def test_from_one_graph_reads_that_graph_only(
    backend: str, request: pytest.FixtureRequest
) -> None:
    store: Store = request.getfixturevalue(backend)
    graph = "https://w3id.org/spacekg/graph/reference"
    assert _count(store, f"SELECT (COUNT(*) AS ?n) FROM <{graph}> {{ ?s ?p ?o }}") == (
        store.triple_count(graph))
    assert _count(store, "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }") > store.triple_count(graph)


def test_a_store_written_without_the_union_is_still_read_as_the_union(tmp_path: Path) -> None:
    """An on-disk store filled before the union was materialised (named graphs only): read
    as Oxigraph's union, opened read-only; given its union when opened for writing."""
    import pyoxigraph as ox

    directory = tmp_path / "old-store"
    old = ox.Store(str(directory))
    s, p = ox.NamedNode("http://example.org/s"), ox.NamedNode("http://example.org/p")
    old.extend([ox.Quad(s, p, ox.Literal("x"), ox.NamedNode("http://example.org/g1")),
                ox.Quad(s, p, ox.Literal("y"), ox.NamedNode("http://example.org/g2"))])
    old.flush()
    del old
    reader = OxigraphStore(directory, read_only=True)
    assert _count(reader, "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }") == 2
    reader.close()
    del reader
    writer = OxigraphStore(directory)
    assert len(list(writer.native.quads_for_pattern(None, None, None, ox.DefaultGraph()))) == 2
    assert _count(writer, "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }") == 2
    writer.close()


# -- one order -----------------------------------------------------------------------------


def _ordered(store: Store, sparql: str) -> list[tuple[Any, ...]]:
    from spacekg.query.ordering import total_order

    result = store.query(total_order(sparql, wrap=store.kind == "remote"))  # as /sparql does
    assert isinstance(result, SolutionsResult)
    return [tuple(normalise_term(term) for term in row) for row in result.rows]


@pytest.mark.parametrize("direction", ["ASC", "DESC"])
def test_order_by_over_every_object_is_the_same_rows_in_the_same_order(
    direction: str, memory: Store, oxigraph: Store, remote: Store
) -> None:
    """SELECT ?o { ?s ?p ?o } ORDER BY DESC(?o) over the report: every kind of term and seven
    datatypes, which made Oxigraph's sort panic (query/ordering.py)."""
    sparql = f"SELECT ?o WHERE {{ ?s ?p ?o }} ORDER BY {direction}(?o)"
    reference = _ordered(memory, sparql)
    assert len(reference) == memory.triple_count()
    assert _ordered(oxigraph, sparql) == reference
    # Virtuoso keeps booleans as 0 and 1 inside expressions, so a boolean and the number of
    # its value tie there: read both as numbers (query/ordering.py)
    as_numbers = [tuple(_boolean_as_number(cell) for cell in row) for row in reference]
    assert [tuple(_boolean_as_number(cell) for cell in row)
            for row in _ordered(remote, sparql)] == as_numbers


def _boolean_as_number(cell: Any) -> Any:
    if cell and cell[0] == "boolean":
        return ("number", Decimal(int(cell[1])))
    return cell


# -- differential: generated queries -------------------------------------------------------

SKG = "https://w3id.org/spacekg/ontology#"
#: Predicates of the report, frequent and rare, object-valued and literal-valued.
_PREDICATES = [
    "<http://www.w3.org/2004/02/skos/core#prefLabel>", f"<{SKG}mentions>", f"<{SKG}about>",
    f"<{SKG}sourceParagraph>", f"<{SKG}paragraphNumber>", f"<{SKG}topic>",
    f"<{SKG}participant>", f"<{SKG}partOf>", f"<{SKG}claimant>", f"<{SKG}position>",
    f"<{SKG}representedCountry>", f"<{SKG}iso3166Alpha3>", f"<{SKG}count>",
    "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>", f"<{SKG}partner>",
]
_CLASSES = [f"<{SKG}{name}>" for name in ("Agent", "Claim", "Country", "Event", "Document",
                                          "Partnership", "SpaceAgency", "Mission")]
_PATHS = [
    f"<{SKG}partOf>+", f"^<{SKG}mentions>", f"<{SKG}sourceParagraph>/<{SKG}paragraphNumber>",
    f"<{SKG}topic>|<{SKG}about>", "<http://www.w3.org/2004/02/skos/core#broader>*",
    f"<{SKG}participant>/<http://www.w3.org/2004/02/skos/core#prefLabel>",
]
#: No ``?x > 5`` over terms that may not be numbers: found by this test, the engines
#: disagree on a comparison that is a type error (SPARQL: the FILTER is false). rdflib 7.6
#: keeps ``"Keynote speeches"@en > 5``; Virtuoso 7.2 fails with SR066 "Unsupported case in
#: CONVERT (INTEGER -> IRI_ID)" for an IRI, or keeps IRIs; Oxigraph follows the spec.
_FILTERS = [
    "isLiteral({x})", 'lang({x}) = "en"', "isIRI({x})", "BOUND({x})", "!BOUND({x})",
    'STRSTARTS(STR({x}), "https://w3id.org/spacekg/id/a")', "{x} = {y}",
    'CONTAINS(LCASE(STR({x})), "space")', "isNumeric({x})",
    "isNumeric({x}) && {x} > 5",
]


@st.composite
def generated_queries(draw: st.DrawFn) -> tuple[str, bool]:
    """A SELECT over the report: a chain of patterns (or a property path), an OPTIONAL, a
    FILTER, and either GROUP BY with COUNT or ORDER BY over every projected variable.
    Returns the text and whether ORDER BY fixes the order of its rows."""
    variables = ["?a", "?b", "?c", "?d"]
    patterns = []
    if draw(st.booleans()):
        patterns.append(f"?a a {draw(st.sampled_from(_CLASSES))} .")
    length = draw(st.integers(1, 2))
    for i in range(length):
        if draw(st.integers(0, 3)) == 0:
            predicate = draw(st.sampled_from(_PATHS))
        else:
            predicate = draw(st.sampled_from(_PREDICATES))
        patterns.append(f"{variables[i]} {predicate} {variables[i + 1]} .")
    used = variables[: length + 1]
    if draw(st.booleans()):
        optional = draw(st.sampled_from(_PREDICATES))
        patterns.append(f"OPTIONAL {{ {used[-1]} {optional} ?d }}")
        used = [*used, "?d"] if "?d" not in used else used
    if draw(st.booleans()):
        x, y = draw(st.sampled_from(used)), draw(st.sampled_from(used))
        patterns.append(f"FILTER({draw(st.sampled_from(_FILTERS)).format(x=x, y=y)})")
    where = " ".join(patterns)
    if draw(st.booleans()):
        key = draw(st.sampled_from(used))
        counted = draw(st.sampled_from(used))
        distinct = "DISTINCT " if draw(st.booleans()) else ""
        return (f"SELECT {key} (COUNT({distinct}{counted}) AS ?n) WHERE {{ {where} }} "
                f"GROUP BY {key}"), False
    projected = draw(st.lists(st.sampled_from(used), min_size=1, max_size=3, unique=True))
    if draw(st.booleans()):
        directions = [draw(st.sampled_from(["", "DESC"])) for _ in projected]
        order = " ".join(f"{d}({v})" if d else v for d, v in zip(directions, projected,
                                                                  strict=True))
        return f"SELECT {' '.join(projected)} WHERE {{ {where} }} ORDER BY {order}", True
    return f"SELECT {' '.join(projected)} WHERE {{ {where} }}", False


def _answer(store: Store, sparql: str, ordered: bool) -> Any:
    from spacekg.query.ordering import total_order

    result = store.query(total_order(sparql, wrap=store.kind == "remote"), timeout=20)
    assert isinstance(result, SolutionsResult)
    rows = [tuple(_boolean_as_number(normalise_term(t)) for t in row) for row in result.rows]
    return rows if ordered else Counter(rows)


#: Generated cases per run: bounded for CI (about 30 s with Virtuoso); raise it to search
#: further (SPACEKG_DIFFERENTIAL_EXAMPLES=500).
DIFFERENTIAL_EXAMPLES = int(os.environ.get("SPACEKG_DIFFERENTIAL_EXAMPLES", "40"))


@settings(max_examples=DIFFERENTIAL_EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(case=generated_queries())
def test_generated_queries_get_one_answer_from_every_engine(
    case: tuple[str, bool], memory: Store, oxigraph: Store, remote: Store
) -> None:
    """Oxigraph and Virtuoso answer like rdflib: as multisets, in order where ORDER BY
    fixes it (booleans read as numbers: Virtuoso writes boolean expressions as 0/1)."""
    from spacekg.errors import RemoteStoreError

    sparql, ordered = case
    reference = _answer(memory, sparql, ordered)
    assert _answer(oxigraph, sparql, ordered) == reference, f"oxigraph: {sparql}"
    if "*" in sparql.partition("WHERE")[2]:
        # found by this test: Virtuoso 7.2 gives no zero-length match for ``P*`` from a
        # literal (``?a skos:prefLabel ?b . ?b skos:broader* ?c`` is empty), where SPARQL 1.1
        # and the other two match ?b to itself; compared between Oxigraph and rdflib only
        return
    try:
        answer = _answer(remote, sparql, ordered)
    except RemoteStoreError:
        # found by this test: Virtuoso refuses transitive paths (P+) with both ends unbound
        # ("transitive start not given") and fails on some with a FILTER (SQ156 "Internal
        # Optimized compiler error"); SpaceKG answers 502 with its reason. Every other
        # refusal fails the test.
        assert "+" in sparql.partition("WHERE")[2], sparql
        return
    assert answer == reference, f"virtuoso: {sparql}"
