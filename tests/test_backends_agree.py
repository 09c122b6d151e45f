"""Every competency question gets the same answer from Oxigraph, rdflib and a remote Virtuoso.

Answers are compared as multisets of normalised rows: engines may order unordered results
differently, name blank nodes differently and write the same value in different lexical
forms ("43.50" vs "43.5", "1" vs "true"); none of that is a different answer.
"""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import pytest
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
