"""Real SPARQL clients against a live ``spacekg serve`` (Granian on a loopback port):
SPARQLWrapper, rdflib's SPARQLStore, and plain HTTP in each protocol form; CORS preflight;
and one test that serves the real build."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from live_server import AGENCIES_GRAPH, EX, MISSIONS_GRAPH, fixture_graph_args, live_server
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import VOID
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from spacekg.build.pipeline import BuildResult
from SPARQLWrapper import CSV, JSON, JSONLD, N3, POST, POSTDIRECTLY, TSV, TURTLE, XML, SPARQLWrapper

RDFS_LABEL = "<http://www.w3.org/2000/01/rdf-schema#label>"
MISSIONS = f"SELECT ?m ?label WHERE {{ ?m a <{EX}Mission> ; {RDFS_LABEL} ?label }} ORDER BY ?m"
OPERATED = f"CONSTRUCT {{ ?m <{EX}operatedBy> ?a }} WHERE {{ ?m <{EX}operatedBy> ?a }}"
OPERATED_TRIPLES = {
    (URIRef(EX + "mission-1"), URIRef(EX + "operatedBy"), URIRef(EX + "agency-a")),
    (URIRef(EX + "mission-2"), URIRef(EX + "operatedBy"), URIRef(EX + "agency-b")),
}


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    with live_server("--no-report", *fixture_graph_args()) as base:
        yield base + "/sparql"


# --- SPARQLWrapper ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "request_method"),
    [("GET", None), (POST, "urlencoded"), (POST, POSTDIRECTLY)],
)
def test_sparqlwrapper_select_json(endpoint: str, method: str, request_method: str | None) -> None:
    client = SPARQLWrapper(endpoint)
    client.setMethod(method)
    if request_method:
        client.setRequestMethod(request_method)
    client.setQuery(MISSIONS)
    client.setReturnFormat(JSON)
    rows = client.query().convert()["results"]["bindings"]  # type: ignore[index]
    assert [(r["m"]["value"], r["label"]["value"]) for r in rows] == [
        (EX + "mission-1", "Mission One"),
        (EX + "mission-2", "Mission Two"),
    ]


def test_sparqlwrapper_select_xml_csv_tsv(endpoint: str) -> None:
    client = SPARQLWrapper(endpoint)
    client.setQuery(MISSIONS)
    client.setReturnFormat(XML)
    document = client.query().convert()
    assert len(document.getElementsByTagName("result")) == 2  # type: ignore[union-attr]
    client.setReturnFormat(CSV)
    assert client.query().convert().decode().splitlines()[0] == "m,label"  # type: ignore[union-attr]
    client.setReturnFormat(TSV)
    assert client.query().convert().decode().splitlines()[0] == "?m\t?label"  # type: ignore[union-attr]


def test_sparqlwrapper_ask(endpoint: str) -> None:
    client = SPARQLWrapper(endpoint)
    client.setQuery(f"ASK {{ <{EX}agency-b> <{EX}partner> <{EX}agency-a> }}")
    client.setReturnFormat(JSON)
    assert client.query().convert()["boolean"] is True  # type: ignore[index]


@pytest.mark.parametrize("fmt", [XML, TURTLE, N3, JSONLD])
def test_sparqlwrapper_construct(endpoint: str, fmt: str) -> None:
    client = SPARQLWrapper(endpoint)
    client.setQuery(OPERATED)
    client.setReturnFormat(fmt)
    converted = client.query().convert()
    if isinstance(converted, bytes):
        converted = Graph().parse(data=converted, format="turtle")
    assert set(converted) == OPERATED_TRIPLES  # type: ignore[arg-type]


def test_sparqlwrapper_sees_syntax_errors(endpoint: str) -> None:
    from SPARQLWrapper.SPARQLExceptions import QueryBadFormed

    client = SPARQLWrapper(endpoint)
    client.setQuery("SELECT * WHERE {")
    client.setReturnFormat(JSON)
    with pytest.raises(QueryBadFormed):
        client.query()


# --- rdflib SPARQLStore ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("return_format", "method"),
    [("xml", "GET"), ("xml", "POST_FORM"), ("json", "POST"), ("json", "GET")],
)
def test_rdflib_sparqlstore_select_and_ask(endpoint: str, return_format: str, method: str) -> None:
    store = SPARQLStore(endpoint, returnFormat=return_format, method=method)
    graph = Graph(store=store)
    rows = [(str(m), str(label)) for m, label in graph.query(MISSIONS)]  # type: ignore[misc]
    assert rows == [(EX + "mission-1", "Mission One"), (EX + "mission-2", "Mission Two")]
    assert graph.query(f"ASK {{ <{EX}mission-1> ?p ?o }}").askAnswer is True


@pytest.mark.parametrize("method", ["GET", "POST", "POST_FORM"])
def test_rdflib_sparqlstore_construct(endpoint: str, method: str) -> None:
    # SPARQLStore's default "xml" return format accepts RDF/XML for graphs; configured for
    # "json" it accepts no graph format at all, and the endpoint rightly answers 406.
    graph = Graph(store=SPARQLStore(endpoint, method=method))
    constructed = graph.query(OPERATED).graph
    assert constructed is not None and set(constructed) == OPERATED_TRIPLES


def test_rdflib_sparqlstore_triples_and_named_graphs(endpoint: str) -> None:
    store = SPARQLStore(endpoint)
    graph = Graph(store=store)
    labels = set(
        graph.objects(URIRef(EX + "agency-a"), URIRef("http://www.w3.org/2000/01/rdf-schema#label"))
    )
    assert labels == {Literal("Agency A", lang="en"), Literal("甲机构", lang="zh")}
    assert {str(c) for c in store.contexts()} == {AGENCIES_GRAPH, MISSIONS_GRAPH}
    missions_only = Graph(store=store, identifier=URIRef(MISSIONS_GRAPH))
    assert len(list(missions_only.triples((None, None, None)))) == 6


# --- plain HTTP and CORS ---------------------------------------------------------------


@pytest.mark.parametrize("form", ["get", "form", "direct"])
def test_plain_http_each_protocol_form(endpoint: str, form: str) -> None:
    headers = {"Accept": "application/sparql-results+json"}
    if form == "get":
        response = requests.get(endpoint, params={"query": MISSIONS}, headers=headers, timeout=10)
    elif form == "form":
        response = requests.post(endpoint, data={"query": MISSIONS}, headers=headers, timeout=10)
    else:
        response = requests.post(
            endpoint,
            data=MISSIONS.encode(),
            headers={**headers, "Content-Type": "application/sparql-query"},
            timeout=10,
        )
    assert response.status_code == 200
    assert len(response.json()["results"]["bindings"]) == 2
    revalidated = requests.get(
        endpoint,
        params={"query": MISSIONS},
        headers={**headers, "If-None-Match": response.headers["ETag"]},
        timeout=10,
    )
    assert revalidated.status_code == 304


def test_cors_preflight_on_the_live_server(endpoint: str) -> None:
    preflight = requests.options(
        endpoint,
        headers={
            "Origin": "https://sparklis.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "Content-Type, Accept",
        },
        timeout=10,
    )
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    answer = requests.post(
        endpoint,
        data={"query": "ASK {}"},
        headers={"Origin": "https://sparklis.example"},
        timeout=10,
    )
    assert answer.headers["Access-Control-Allow-Origin"] == "*"


# --- the real build --------------------------------------------------------------------


def test_serves_the_built_report_reusing_the_build(built: BuildResult) -> None:
    """Serves the session's build as it is (warm: nothing rebuilt; start-up time is a
    benchmark figure, bench/README.md, not asserted here)."""
    manifest = built.manifest_path.stat().st_mtime_ns
    with live_server("--build-dir", str(built.build_dir), ready_within=120) as base:
        response = requests.get(
            base + "/sparql",
            params={"query": "SELECT (COUNT(DISTINCT ?g) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"},
            headers={"Accept": "text/csv"},
            timeout=30,
        )
        graphs = int(response.text.splitlines()[1])
        void = requests.get(
            base + "/.well-known/void", headers={"Accept": "text/turtle"}, timeout=30
        )
    assert built.manifest_path.stat().st_mtime_ns == manifest
    assert graphs == len(built.counts)
    subsets = set(Graph().parse(data=void.content, format="turtle").objects(None, VOID.subset))
    assert len(subsets) == graphs
