"""Oxigraph's fast paths give what the Python paths give.

Answers small enough to fit the row limit are written by the engine's serialiser (fast);
bigger ones fall back to SpaceKG's writer, which cuts them at the limit and says so: a client
must not be able to tell the difference except by the truncation flag. Files are loaded by
Oxigraph's own parser, all or nothing, into the graphs `load` promises.
"""

from __future__ import annotations

import csv
import io
import json
import threading
from pathlib import Path

import pyoxigraph as ox
import pytest
from spacekg.query import negotiate as n
from spacekg.query.results import Stopped, render
from spacekg.stores import GraphResult, SolutionsResult
from spacekg.stores.oxigraph import OxigraphStore

EX = "http://example.org/"
QUERY = "SELECT ?s ?o ?missing WHERE { ?s ?p ?o } ORDER BY ?s ?o"
FORMATS = [n.SPARQL_JSON, n.SPARQL_XML, n.CSV, n.TSV]


def _store(rows: int) -> OxigraphStore:
    store = OxigraphStore()
    graph = ox.NamedNode(EX + "g")
    quads = []
    for i in range(rows):
        subject = ox.NamedNode(f"{EX}s{i:04d}")
        value: ox.Literal | ox.BlankNode
        if i % 3 == 0:
            value = ox.Literal(f"名称 {i}", language="zh")
        elif i % 3 == 1:
            value = ox.Literal(str(i), datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer"))
        else:
            value = ox.Literal(f'line "{i}"\twith\ttabs')
        quads.append(ox.Quad(subject, ox.NamedNode(EX + "p"), value, graph))
    store.native.extend(quads)
    return store


def _python_only(result: SolutionsResult) -> SolutionsResult:
    return SolutionsResult(result.variables, result.rows)


def _parse(body: bytes, fmt: n.Format) -> list[tuple[str, ...]]:
    """The answer's rows as comparable tuples, read with a plain parser per format."""
    if fmt is n.SPARQL_JSON:
        doc = json.loads(body)
        names = doc["head"]["vars"]
        return [
            tuple(json.dumps(b.get(v), sort_keys=True) for v in names)
            for b in doc["results"]["bindings"]
        ]
    if fmt is n.CSV:
        return [tuple(r) for r in csv.reader(io.StringIO(body.decode()))][1:]
    if fmt is n.TSV:
        return [tuple(line.split("\t")) for line in body.decode().splitlines()[1:]]
    parsed = ox.parse_query_results(body, format=ox.QueryResultsFormat.XML)
    assert isinstance(parsed, ox.QuerySolutions)
    return [tuple(str(s[v]) for v in parsed.variables) for s in parsed]


@pytest.mark.parametrize("fmt", FORMATS, ids=lambda f: f.name)
def test_native_and_python_writers_give_the_same_rows(fmt: n.Format) -> None:
    store = _store(30)
    native = render(store.query(QUERY), fmt, max_rows=100_000)
    python = render(_python_only(store.query(QUERY)), fmt, max_rows=100_000)
    assert not native.truncated and not python.truncated
    assert len(_parse(native.body, fmt)) == 30
    assert _parse(native.body, fmt) == _parse(python.body, fmt)


@pytest.mark.parametrize("fmt", FORMATS, ids=lambda f: f.name)
def test_an_answer_over_the_row_limit_is_cut_and_flagged(fmt: n.Format) -> None:
    store = _store(50)
    rendered = render(store.query(QUERY), fmt, max_rows=7)
    assert rendered.truncated
    rows = _parse(rendered.body, fmt)
    assert len(rows) == 7
    full = _parse(render(store.query(QUERY), fmt, max_rows=None).body, fmt)
    assert rows == full[:7]


@pytest.mark.parametrize("fmt", FORMATS, ids=lambda f: f.name)
def test_an_answer_exactly_at_the_limit_is_not_flagged(fmt: n.Format) -> None:
    store = _store(12)
    rendered = render(store.query(QUERY), fmt, max_rows=12)
    assert not rendered.truncated
    assert len(_parse(rendered.body, fmt)) == 12


def test_a_cancelled_native_answer_stops_writing() -> None:
    store = _store(5000)
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(Stopped):
        render(store.query(QUERY), n.SPARQL_JSON, max_rows=None, cancel=cancel)


def test_a_broken_graph_file_is_refused_whole_with_its_position(tmp_path: Path) -> None:
    from spacekg.errors import InputError

    good = "<http://example.org/a> <http://example.org/p> \"1\" .\n"
    path = tmp_path / "broken.nt"
    path.write_text(good * 3 + "<http://example.org/a> <http://example.org/p> .\n")
    store = OxigraphStore()
    with pytest.raises(InputError, match=r"cannot read .*broken\.nt.*4"):
        store.load(path, EX + "g")
    assert len(store.native) == 0  # all or nothing


def test_graph_files_land_in_their_graph_and_datasets_keep_theirs(tmp_path: Path) -> None:
    triples = tmp_path / "one.ttl"
    triples.write_text("<http://example.org/a> <http://example.org/p> 1 .\n")
    quads = tmp_path / "two.nq"
    quads.write_text(f"<{EX}b> <{EX}p> \"2\" <{EX}h> .\n")
    store = OxigraphStore()
    assert store.load(triples, EX + "g") == 1
    assert store.load(quads) == 1
    assert store.load(quads, EX + "moved") == 1
    assert store.graph_names() == [EX + "g", EX + "h", EX + "moved"]


def test_a_turtle_answer_declares_the_prefixes_it_uses_and_only_those() -> None:
    from rdflib import Graph
    from spacekg.query.results import PREFIXES

    store = OxigraphStore()
    graph = ox.NamedNode(EX + "g")
    late = ox.NamedNode(PREFIXES["skos"] + "prefLabel")  # only in the last triple
    quads = [
        ox.Quad(ox.NamedNode(f"{EX}s{i:05d}"),
                ox.NamedNode(PREFIXES["rdfs"] + "label") if i < 1499 else late,
                ox.Literal(f"名 {i}", language="zh"), graph)
        for i in range(1500)
    ]
    store.native.extend(quads)
    result = store.query("CONSTRUCT WHERE { ?s ?p ?o }")
    assert isinstance(result, GraphResult)
    result = GraphResult(result.triples)  # SpaceKG's own writer (the engine's has no prefixes)
    body = render(result, n.TURTLE, max_rows=None).body
    assert b"@prefix rdfs:" in body and b"@prefix skos:" in body
    assert b"@prefix prov:" not in body and b"@prefix owl:" not in body
    assert len(Graph().parse(data=body, format="turtle")) == 1500


@pytest.mark.parametrize(
    "query",
    [
        "SELECT ?o WHERE { <s0001> ?p ?o }",
        "SELECT ?o WHERE { ?s ?p ?o FILTER(?s = IRI(\"s0001\")) }",
        "SELECT ?o WHERE { <http://example.org/s0001> ?p ?o }",
    ],
    ids=["relative-iri", "iri-function", "absolute"],
)
def test_relative_iris_resolve_against_the_base_whether_or_not_one_is_needed(query: str) -> None:
    store = _store(3)
    store.base_iri = EX
    result = store.query(query)
    assert isinstance(result, SolutionsResult)
    assert [str(row[0]) for row in result.rows] == ['"1"^^<http://www.w3.org/2001/XMLSchema#integer>']


GRAPH_FORMATS = [n.TURTLE, n.NTRIPLES, n.JSONLD, n.RDFXML, n.NQUADS, n.TRIG]


@pytest.mark.parametrize("fmt", GRAPH_FORMATS, ids=lambda f: f.name)
def test_native_and_python_graph_answers_are_the_same_graph(fmt: n.Format) -> None:
    from rdflib import Dataset

    store = _store(40)
    construct = "CONSTRUCT WHERE { ?s ?p ?o }"
    native = render(store.query(construct), fmt, max_rows=100_000)
    python = store.query(construct)
    assert isinstance(python, GraphResult)
    written = render(GraphResult(python.triples), fmt, max_rows=100_000)
    assert not native.truncated and not written.truncated
    rdflib_format = {"jsonld": "json-ld", "ntriples": "nt", "rdfxml": "xml", "nquads": "nquads",
                     "trig": "trig", "turtle": "turtle"}[fmt.name]
    triples = []
    for body in (native.body, written.body):
        ds = Dataset()
        ds.parse(data=body, format=rdflib_format)
        triples.append({(s, p, o) for s, p, o, _ in ds.quads()})  # no blank nodes here
    assert len(triples[0]) == 40
    assert triples[0] == triples[1]


def test_a_graph_answer_over_the_row_limit_is_cut_and_flagged() -> None:
    store = _store(50)
    rendered = render(store.query("CONSTRUCT WHERE { ?s ?p ?o }"), n.NTRIPLES, max_rows=7)
    assert rendered.truncated
    assert len(rendered.body.decode().strip().splitlines()) == 7
