"""RemoteStore against a real Virtuoso on loopback, plus a stub engine for failure modes."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import NamedTuple

import pyoxigraph as ox
import pytest
from rdflib import Literal, URIRef
from spacekg.errors import QueryError, QueryTimeout
from spacekg.sparql import analyse
from spacekg.stores import BooleanResult, GraphResult, SolutionsResult, open_store
from spacekg.stores.remote import RemoteStore, RemoteStoreError, parse_results, with_dataset
from virtuoso_support import Virtuoso, virtuoso

EX = "http://example.org/"
XSD = "http://www.w3.org/2001/XMLSchema#"

TRIG = """\
@prefix ex: <http://example.org/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
ex:g1 {
  ex:cnsa ex:label "国家航天局"@zh , "China National Space Administration"@en ;
          ex:count 42 ; ex:share "43.5"^^xsd:decimal ; ex:start "2022-11-21"^^xsd:date ;
          ex:hybrid true ; ex:note "plain" ;
          ex:capacity [ ex:mass 25 ] .
}
ex:g2 {
  ex:cnsa ex:label "国家航天局"@zh .
  ex:esa ex:label "European Space Agency"@en .
}
"""


@pytest.fixture(scope="module")
def engine() -> Virtuoso:
    return virtuoso()


@pytest.fixture
def trig(tmp_path: Path) -> Path:
    path = tmp_path / "data.trig"
    path.write_text(TRIG, encoding="utf-8")
    return path


def _graph(name: str) -> str:
    return f"{EX}{name}"


class Loaded(NamedTuple):
    store: RemoteStore
    g1: str
    g2: str


@pytest.fixture
def loaded(engine: Virtuoso, trig: Path, request: pytest.FixtureRequest) -> Iterator[Loaded]:
    """A store over its own two graphs (named after the test), loaded by the protocol."""
    prefix = f"{EX}{request.node.name}/"
    g1, g2 = f"{prefix}g1", f"{prefix}g2"
    trig.write_text(TRIG.replace("ex:g1 {", f"<{g1}> {{").replace("ex:g2 {", f"<{g2}> {{"))
    url = engine.sparql.replace("http://", f"http://{engine.user}:{engine.password}@")
    remote = RemoteStore(url, gsp_endpoint=engine.gsp_auth)
    remote.load(trig)
    yield Loaded(remote, g1, g2)
    remote.clear()
    remote.close()


@pytest.fixture
def store(loaded: Loaded) -> RemoteStore:
    return loaded.store


def _rows(result: object) -> list[tuple[object, ...]]:
    assert isinstance(result, SolutionsResult)
    return [tuple(row) for row in result.rows]


def test_loading_a_dataset_file_keeps_its_named_graphs(loaded: Loaded) -> None:
    store = loaded.store
    assert store.graph_names() == [loaded.g1, loaded.g2]
    assert store.triple_count(loaded.g1) == 9
    assert store.triple_count(loaded.g2) == 2
    assert store.triple_count() == 10  # the default graph: the zh label is in both, once


def test_default_graph_is_the_union_of_the_dataset_graphs_only(store: RemoteStore) -> None:
    # Virtuoso's own default graph would add its system graphs; the store names ours.
    rows = _rows(store.query("SELECT ?s ?p ?o WHERE { ?s ?p ?o }"))
    assert len(rows) == 10  # a set: the label both graphs hold comes back once
    graphs = _rows(store.query("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"))
    assert sorted(g.value for (g,) in graphs) == store.graph_names()


def test_terms_come_back_as_they_were_loaded(store: RemoteStore) -> None:
    rows = _rows(store.query(f"SELECT ?p ?o WHERE {{ <{EX}cnsa> ?p ?o FILTER(!isBlank(?o)) }}"))
    got = {(p.value, o) for p, o in rows}
    assert (f"{EX}label", ox.Literal("国家航天局", language="zh")) in got
    assert (f"{EX}label", ox.Literal("China National Space Administration", language="en")) in got
    assert (f"{EX}count", ox.Literal("42", datatype=ox.NamedNode(XSD + "integer"))) in got
    assert (f"{EX}start", ox.Literal("2022-11-21", datatype=ox.NamedNode(XSD + "date"))) in got
    assert (f"{EX}note", ox.Literal("plain")) in got
    share = next(o for p, o in got if p == f"{EX}share")
    assert share.datatype.value == XSD + "decimal" and float(share.value) == pytest.approx(43.5)
    hybrid = next(o for p, o in got if p == f"{EX}hybrid")
    assert hybrid.value in ("true", "1")


def test_blank_nodes_of_one_graph_stay_joined(store: RemoteStore) -> None:
    rows = _rows(
        store.query(f"SELECT ?c ?m WHERE {{ <{EX}cnsa> <{EX}capacity> ?c . ?c <{EX}mass> ?m }}")
    )
    assert len(rows) == 1
    assert isinstance(rows[0][0], ox.BlankNode) and rows[0][1].value == "25"  # type: ignore[union-attr]


def test_request_dataset_replaces_the_union(loaded: Loaded) -> None:
    store, g1, g2 = loaded
    only_g2 = _rows(store.query("SELECT * WHERE { ?s ?p ?o }", default_graph_uris=[g2]))
    assert len(only_g2) == 2
    named_only = store.query("SELECT * WHERE { ?s ?p ?o }", named_graph_uris=[g1])
    assert _rows(named_only) == []
    in_g1 = _rows(
        store.query("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }", named_graph_uris=[g1])
    )
    assert in_g1 == [(ox.NamedNode(g1),)]


def test_from_clause_of_the_query_is_honoured(loaded: Loaded) -> None:
    rows = _rows(loaded.store.query(f"SELECT * FROM <{loaded.g2}> WHERE {{ ?s ?p ?o }}"))
    assert len(rows) == 2


def test_ask_construct_and_describe_return_their_kinds(store: RemoteStore) -> None:
    ask = store.query(f"ASK {{ <{EX}esa> ?p ?o }}")
    assert ask == BooleanResult(True)
    assert store.query(f"ASK {{ <{EX}nobody> ?p ?o }}") == BooleanResult(False)
    built = store.query(f"CONSTRUCT {{ ?s <{EX}name> ?o }} WHERE {{ ?s <{EX}label> ?o }}")
    assert isinstance(built, GraphResult)
    triples = list(built.triples)
    assert len(triples) == 3  # the label stated in two graphs is one triple of the union
    described = store.query(f"DESCRIBE <{EX}esa>")
    assert isinstance(described, GraphResult)
    assert len(list(described.triples)) >= 1


def test_malformed_query_raises_query_error_with_the_engine_message(store: RemoteStore) -> None:
    with pytest.raises(QueryError, match="syntax"):
        store.query("SELECT * WHERE { ?s ?p ")


def test_more_than_ten_thousand_rows_are_not_truncated(engine: Virtuoso) -> None:
    # Virtuoso's default ResultSetMaxRows (10,000) cuts answers silently.
    remote = RemoteStore(
        engine.sparql, gsp_endpoint=engine.gsp_auth, user=engine.user, password=engine.password
    )
    graph = f"{EX}many"
    quads = [(URIRef(f"{EX}item/{i}"), URIRef(f"{EX}n"), Literal(i), graph) for i in range(12_500)]
    try:
        assert remote.load(quads) == 12_500
        rows = _rows(remote.query("SELECT ?s WHERE { ?s ?p ?o }"))
        assert len(rows) == 12_500
        ordered = _rows(
            remote.query("SELECT ?o WHERE { ?s ?p ?o } ORDER BY DESC(?o) LIMIT 1000 OFFSET 12000")
        )
        assert len(ordered) == 500
    finally:
        remote.clear()


def test_loading_again_replaces_the_graphs_instead_of_merging(
    engine: Virtuoso, tmp_path: Path
) -> None:
    first = tmp_path / "v1.nt"
    first.write_text(f'<{EX}a> <{EX}p> "old" .\n', encoding="utf-8")
    second = tmp_path / "v2.nt"
    second.write_text(f'<{EX}a> <{EX}p> "new" .\n', encoding="utf-8")
    graph = f"{EX}replaced"
    kwargs = {"gsp_endpoint": engine.gsp_auth, "user": engine.user, "password": engine.password}
    RemoteStore(engine.sparql, **kwargs).load(first, graph=graph)  # type: ignore[arg-type]
    restarted = RemoteStore(engine.sparql, **kwargs)  # type: ignore[arg-type]
    try:
        restarted.load(second, graph=graph)
        values = _rows(restarted.query("SELECT ?o WHERE { ?s ?p ?o }"))
        assert values == [(ox.Literal("new"),)]
    finally:
        restarted.clear()


def test_sparql_update_loading_keeps_unicode_and_blank_nodes(engine: Virtuoso, trig: Path) -> None:
    # Without a Graph Store endpoint the store writes by SPARQL Update (Virtuoso's /sparql-auth).
    remote = RemoteStore(engine.sparql_auth, user=engine.user, password=engine.password)
    graph = f"{EX}by-update"
    try:
        assert remote.load(trig, graph=graph) == 11
        assert remote.triple_count(graph) == 10  # the label stated twice is one triple
        labels = _rows(remote.query(f"SELECT ?o WHERE {{ <{EX}cnsa> <{EX}label> ?o }}"))
        assert sorted(labels, key=str) == sorted(
            [
                (ox.Literal("国家航天局", language="zh"),),
                (ox.Literal("China National Space Administration", language="en"),),
            ],
            key=str,
        )
        joined = _rows(remote.query(f"SELECT ?m WHERE {{ ?x <{EX}capacity>/<{EX}mass> ?m }}"))
        assert len(joined) == 1
    finally:
        remote.clear()


def test_triples_without_a_graph_join_the_default_graph_but_no_named_graph(
    engine: Virtuoso, tmp_path: Path
) -> None:
    path = tmp_path / "plain.ttl"
    path.write_text(f"<{EX}x> <{EX}p> 1 .\n", encoding="utf-8")
    remote = RemoteStore(
        engine.sparql, gsp_endpoint=engine.gsp_auth, user=engine.user, password=engine.password
    )
    try:
        remote.load(path)
        assert remote.graph_names() == []
        assert len(_rows(remote.query("SELECT * WHERE { ?s ?p ?o }"))) == 1
        assert _rows(remote.query("SELECT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")) == []
    finally:
        remote.clear()


def test_clear_drops_only_the_graphs_the_store_loaded(store: RemoteStore, engine: Virtuoso) -> None:
    other = RemoteStore(
        engine.sparql, gsp_endpoint=engine.gsp_auth, user=engine.user, password=engine.password
    )
    graph = f"{EX}kept"
    other.load([(URIRef(f"{EX}k"), URIRef(f"{EX}p"), Literal("kept"), graph)])
    try:
        store.clear()
        assert store.graph_names() == []
        assert other.triple_count(graph) == 1
    finally:
        other.clear()


def test_open_store_takes_an_endpoint_url_with_credentials(engine: Virtuoso) -> None:
    url = engine.sparql.replace("http://", f"http://{engine.user}:{engine.password}@")
    opened = open_store(url, gsp_endpoint=engine.gsp_auth, graphs=[f"{EX}declared"])
    assert isinstance(opened, RemoteStore)
    assert opened.endpoint == engine.sparql
    assert opened.graph_names() == [f"{EX}declared"]


def test_generation_changes_when_data_is_loaded(engine: Virtuoso) -> None:
    remote = RemoteStore(
        engine.sparql, gsp_endpoint=engine.gsp_auth, user=engine.user, password=engine.password
    )
    before = remote.generation
    try:
        remote.load([(URIRef(f"{EX}g"), URIRef(f"{EX}p"), Literal(1), f"{EX}gen")])
        assert remote.generation != before
    finally:
        remote.clear()


# -- failure modes, with a stub engine ----------------------------------------------------


class _Stub(BaseHTTPRequestHandler):
    """Answers like Virtuoso at its own time limit: 200, partial rows, X-SQL-State."""

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        body = b'{"head":{"vars":["s"]},"results":{"bindings":[]}}'
        self.send_response(200)
        self.send_header("Content-Type", "application/sparql-results+json")
        self.send_header("X-SQL-State", "S1TAT")
        self.send_header("X-SQL-Message", "RC...: Returning incomplete results, query interrupted")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def stub_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Stub)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/sparql"
    server.shutdown()
    server.server_close()


def test_partial_answer_at_the_engine_time_limit_is_refused(stub_url: str) -> None:
    remote = RemoteStore(stub_url, graphs=[f"{EX}g"])
    with pytest.raises(QueryTimeout, match="partial results refused"):
        remote.query("SELECT ?s WHERE { ?s ?p ?o }")


def test_unreachable_engine_raises_remote_store_error() -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    remote = RemoteStore(f"http://127.0.0.1:{port}/sparql", graphs=[f"{EX}g"], timeout=2)
    with pytest.raises(RemoteStoreError, match="unreachable"):
        remote.query("ASK { ?s ?p ?o }")


@pytest.mark.parametrize(
    ("query", "form", "has_from"),
    [
        ("SELECT * WHERE { ?s ?p ?o }", "SELECT", False),
        (
            "PREFIX from: <http://x/> SELECT ?from WHERE { ?from from:p 'FROM' } # FROM",
            "SELECT",
            False,
        ),
        ("prefix ex: <http://x/>\nask from <http://x/g> { ?s ?p ?o }", "ASK", True),
        (
            "CONSTRUCT { ?s ?p ?o } FROM NAMED <http://x/g> WHERE { GRAPH ?g { ?s ?p ?o } }",
            "CONSTRUCT",
            True,
        ),
        ("DESCRIBE <http://x/select>", "DESCRIBE", False),
        ('BASE <http://x/> SELECT ("""a\n"FROM" b""" AS ?x) {}', "SELECT", False),
    ],
)
def test_the_one_analysis_reads_the_form_and_dataset_clause(
    query: str, form: str, has_from: bool
) -> None:
    analysis = analyse(query)
    assert (analysis.form, analysis.has_dataset_clause) == (form, has_from)


def test_dataset_clauses_are_refused_for_text_without_a_query_form() -> None:
    with pytest.raises(QueryError):
        with_dataset("INSERT DATA { <a:b> <a:c> <a:d> }", ["http://g/1"], [])


def test_results_are_read_as_virtuoso_writes_them() -> None:
    """Pinned: Virtuoso's JSON (``typed-literal``, ``nodeID://`` blank nodes, the
    ``link`` and ``distinct`` members) read by pyoxigraph into its terms."""
    body = (
        b'{ "head": { "link": [], "vars": ["n", "l", "i", "b", "u"] },\n'
        b'  "results": { "distinct": false, "ordered": true, "bindings": [\n'
        b'    { "n": { "type": "typed-literal", "datatype": "http://www.w3.org/2001/XMLSchema'
        b'#integer", "value": "42" }\t, "l": { "type": "literal", "xml:lang": "zh", "value":'
        b' "\u56fd\u5bb6" }\t, "i": { "type": "uri", "value": "http://x/a" }\t, "b": {'
        b' "type": "bnode", "value": "nodeID://b10007" }},\n'
        b'    { "l": { "type": "literal", "value": "nodeID://not-a-blank-node" }} ] } }'
    )
    result = parse_results(body)
    assert isinstance(result, SolutionsResult)
    assert result.variables == ["n", "l", "i", "b", "u"]
    first, second = list(result.rows)
    assert first[0] == ox.Literal("42", datatype=ox.NamedNode(XSD + "integer"))
    assert first[1] == ox.Literal("国家", language="zh")
    assert first[2] == ox.NamedNode("http://x/a")
    assert first[3] == ox.BlankNode("b10007") and first[4] is None
    assert second[1] == ox.Literal("nodeID://not-a-blank-node") and second[0] is None
    assert parse_results(b'{"head": {}, "boolean": true}') == BooleanResult(True)
    with pytest.raises(RemoteStoreError, match="unreadable"):
        parse_results(b"<html>Internal error</html>")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (
            "SELECT * WHERE { ?s ?p ?o }",
            "SELECT * \nFROM <http://g/1>\nFROM NAMED <http://g/n>\nWHERE { ?s ?p ?o }",
        ),
        ("ASK { ?s ?p ?o }", "ASK \nFROM <http://g/1>\nFROM NAMED <http://g/n>\n{ ?s ?p ?o }"),
        (
            "SELECT (EXISTS { ?a ?b ?c } AS ?e) { ?s ?p ?o }",
            "SELECT (EXISTS { ?a ?b ?c } AS ?e) \nFROM <http://g/1>\nFROM NAMED <http://g/n>\n"
            "{ ?s ?p ?o }",
        ),
        (
            "CONSTRUCT { ?s ?p ?o } { ?s ?p ?o }",
            "CONSTRUCT { ?s ?p ?o } \nFROM <http://g/1>\nFROM NAMED <http://g/n>\n{ ?s ?p ?o }",
        ),
        (
            "CONSTRUCT WHERE { ?s ?p ?o }",
            "CONSTRUCT \nFROM <http://g/1>\nFROM NAMED <http://g/n>\nWHERE { ?s ?p ?o }",
        ),
        (
            "DESCRIBE <http://x/a>",
            "DESCRIBE <http://x/a>\nFROM <http://g/1>\nFROM NAMED <http://g/n>\n",
        ),
    ],
)
def test_dataset_clauses_go_where_the_grammar_puts_them(query: str, expected: str) -> None:
    assert with_dataset(query, ["http://g/1"], ["http://g/n"]) == expected


def test_a_dataset_of_many_graphs_is_queried_whole(engine: Virtuoso) -> None:
    # Protocol graph parameters would come back as one response header each (Virtuoso),
    # and HTTP clients refuse answers with more than 100 headers.
    remote = RemoteStore(
        engine.sparql, gsp_endpoint=engine.gsp_auth, user=engine.user, password=engine.password
    )
    quads = [
        (URIRef(f"{EX}s{i}"), URIRef(f"{EX}p"), Literal(i), f"{EX}many-graphs/{i}")
        for i in range(150)
    ]
    try:
        remote.load(quads)
        assert len(remote.graph_names()) == 150
        assert len(_rows(remote.query("SELECT * WHERE { ?s ?p ?o }"))) == 150
        assert remote.triple_count() == 150
    finally:
        remote.clear()


def test_relative_iris_resolve_against_the_store_base(store: RemoteStore) -> None:
    store.base_iri = EX
    assert store.query("ASK { <esa> ?p ?o }") == BooleanResult(True)
    # a BASE in the query itself still wins
    assert store.query("BASE <http://elsewhere.example/> ASK { <esa> ?p ?o }") == BooleanResult(
        False
    )


# -- a build published once, served from the command line ---------------------------------

NQUADS = f"""\
<{EX}a> <{EX}p> "shared" <{EX}pub/g1> .
<{EX}a> <{EX}p> "shared" <{EX}pub/g2> .
<{EX}a> <{EX}q> _:r <{EX}pub/g1> .
_:r <{EX}n> "1"^^<http://www.w3.org/2001/XMLSchema#integer> <{EX}pub/g1> .
<{EX}b> <{EX}p> "其他"@zh <{EX}pub/g2> .
"""


def _creds(engine: Virtuoso) -> dict[str, str]:
    return {"SPACEKG_STORE_USER": engine.user, "SPACEKG_STORE_PASSWORD": engine.password}


def _forget_builds(engine: Virtuoso) -> None:
    """Drop every graph a published build left (the engine is shared by the session)."""
    admin = RemoteStore(
        engine.sparql, gsp_endpoint=engine.gsp_auth, user=engine.user, password=engine.password
    )
    held = admin.published()
    if held is not None:
        for graph in [*held[1], held[2], "urn:x-spacekg:build"]:
            admin._drop(graph)
    admin.close()


def test_a_build_is_loaded_once_and_read_by_stores_that_did_not_load_it(
    engine: Virtuoso, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from spacekg.errors import ConfigError
    from spacekg.stores.configured import open_configured_store, publish_build

    path = tmp_path / "dataset.nq"
    path.write_text(NQUADS, encoding="utf-8")
    for name, value in _creds(engine).items():
        monkeypatch.setenv(name, value)
    config = {"STORE": engine.sparql, "STORE_UPDATE": engine.gsp_auth}
    try:
        first = publish_build(config, path)
        assert first.loaded and first.statements == 5
        assert first.graphs == [f"{EX}pub/g1", f"{EX}pub/g2"]
        again = publish_build(config, path)
        assert not again.loaded and again.checksum == first.checksum
        reader = open_configured_store({"STORE": engine.sparql, **again.settings()})
        assert reader.triple_count() == 4  # the default graph: "shared" once
        rows = _rows(reader.query(f"SELECT ?m WHERE {{ ?a <{EX}q>/<{EX}n> ?m }}"))
        assert rows == [(ox.Literal("1", datatype=ox.NamedNode(XSD + "integer")),)]
        with pytest.raises(ConfigError, match="read-only"):
            reader.load(path)
        path.write_text(NQUADS.replace("其他", "别的"), encoding="utf-8")
        changed = publish_build(config, path)
        assert changed.loaded and changed.checksum != first.checksum
        now = open_configured_store({"STORE": engine.sparql, **changed.settings()})
        assert now.query(f"ASK {{ <{EX}b> ?p '别的'@zh }}") == BooleanResult(True)
        assert now.query(f"ASK {{ <{EX}b> ?p '其他'@zh }}") == BooleanResult(False)
    finally:
        _forget_builds(engine)


def test_serve_from_the_engine_loads_the_report_once_and_answers_like_the_build(
    engine: Virtuoso, built: object, tmp_path: Path
) -> None:
    from live_server import live_server

    build_dir = str(built.build_dir)  # type: ignore[attr-defined]
    args = ("--build-dir", build_dir, "--store", engine.sparql, "--store-update", engine.gsp_auth)
    query = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    json_accept = {"Accept": "application/sparql-results+json"}
    import requests

    try:
        first_log, second_log = tmp_path / "first.log", tmp_path / "second.log"
        with live_server(*args, env=_creds(engine), ready_within=180,
                         log_path=first_log) as base:
            count = requests.get(base + "/sparql", params={"query": query}, headers=json_accept,
                                 timeout=60).json()["results"]["bindings"][0]["n"]["value"]
            for path in ("/", "/id/agency/cnsa", "/search?q=ESA", "/explore", "/download"):
                assert requests.get(base + path, timeout=60).status_code == 200, path
            ordered = requests.get(base + "/sparql", headers=json_accept, timeout=60, params={
                "query": "SELECT ?o { ?s ?p ?o } ORDER BY DESC(?o)"})
            assert ordered.status_code == 200
        local = ox.Store.read_only(str(Path(build_dir) / "oxigraph"))
        expected = next(iter(local.query(query)))["n"].value  # type: ignore[index]
        assert count == expected  # the default graph counted once, as the build counts it
        with live_server(*args, env=_creds(engine), ready_within=180, log_path=second_log):
            pass
        first, second = first_log.read_text(), second_log.read_text()
        assert "loaded the report into" in first and "holds this build already" in second
        for log in (first, second):
            assert "exit" not in log.lower().replace("stop with ctrl-c", ""), log
            assert engine.password not in log
    finally:
        _forget_builds(engine)


def test_a_refusal_from_the_engine_stops_load_with_one_line(
    engine: Virtuoso, built: object
) -> None:
    import os
    import subprocess
    import sys

    run = subprocess.run(
        [sys.executable, "-m", "spacekg.cli", "load", "--build-dir",
         str(built.build_dir), "--store", engine.sparql,  # type: ignore[attr-defined]
         "--store-update", engine.sparql],  # the public endpoint: no permission to write
        capture_output=True, text=True, timeout=300, env={**os.environ, **_creds(engine)},
    )
    assert run.returncode == 2
    errors = [line for line in run.stderr.splitlines() if line.startswith("spacekg: error:")]
    assert len(errors) == 1 and "SR186" in errors[0], run.stderr
    assert engine.password not in run.stderr + run.stdout
