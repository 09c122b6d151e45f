"""/sparql speaks the SPARQL 1.1 Protocol: every request form, every result format parsed
back, the protocol dataset, and the union default graph — on both embedded backends."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from live_server import AGENCIES_GRAPH, EX, FIXTURES, MISSIONS_GRAPH
from rdflib import Graph, URIRef
from spacekg.app import create_app
from werkzeug.test import TestResponse

SRX = "{http://www.w3.org/2005/sparql-results#}"
RDFS_LABEL = "<http://www.w3.org/2000/01/rdf-schema#label>"
LABELS = f"SELECT ?s ?label WHERE {{ ?s a <{EX}Mission> ; {RDFS_LABEL} ?label }} ORDER BY ?s"
EXPECTED_LABELS = [(EX + "mission-1", "Mission One"), (EX + "mission-2", "Mission Two")]


@pytest.fixture(params=["oxigraph", "memory"])
def app(request: pytest.FixtureRequest) -> Iterator[Flask]:
    yield create_app(
        {
            "TESTING": True,
            "STORE": request.param,
            "GRAPHS": {
                AGENCIES_GRAPH: str(FIXTURES / "agencies.ttl"),
                MISSIONS_GRAPH: str(FIXTURES / "missions.nt"),
            },
        }
    )


def send(client: FlaskClient, form: str, query: str, **kwargs: object) -> TestResponse:
    """Send ``query`` by one of the protocol's three forms."""
    params = dict(kwargs.pop("params", {}) or {})  # type: ignore[call-overload]
    headers = kwargs.pop("headers", None)
    if form == "get":
        return client.get("/sparql", query_string={"query": query, **params}, headers=headers)
    if form == "form":
        return client.post("/sparql", data={"query": query, **params}, headers=headers)
    return client.post(
        "/sparql",
        data=query.encode("utf-8"),
        content_type="application/sparql-query",
        query_string=params,
        headers=headers,
    )


def rows_of(response: TestResponse) -> list[tuple[str, ...]]:
    """Parse any of the four SELECT formats into rows of plain values."""
    media_type = response.mimetype
    text = response.get_data(as_text=True)
    if media_type == "application/sparql-results+json":
        doc = json.loads(text)
        names = doc["head"]["vars"]
        return [tuple(b[n]["value"] for n in names) for b in doc["results"]["bindings"]]
    if media_type == "application/sparql-results+xml":
        root = ET.fromstring(text)
        names = [v.get("name") for v in root.iter(SRX + "variable")]
        out = []
        for result in root.iter(SRX + "result"):
            cells = {b.get("name"): b[0].text for b in result.iter(SRX + "binding")}
            out.append(tuple(cells[n] for n in names))
        return out
    if media_type == "text/csv":
        table = list(csv.reader(io.StringIO(text)))
        return [tuple(r) for r in table[1:]]
    assert media_type == "text/tab-separated-values"
    lines = text.splitlines()
    assert lines[0] == "?s\t?label"
    return [
        tuple(
            cell.strip("<>").rpartition('"@')[0].lstrip('"') or cell.strip("<>")
            for cell in line.split("\t")
        )
        for line in lines[1:]
    ]


@pytest.mark.parametrize("form", ["get", "form", "direct"])
@pytest.mark.parametrize(
    "accept",
    [
        "application/sparql-results+json",
        "application/sparql-results+xml",
        "text/csv",
        "text/tab-separated-values",
    ],
)
def test_select_in_every_form_and_format_parses_back(
    client: FlaskClient, form: str, accept: str
) -> None:
    response = send(client, form, LABELS, headers={"Accept": accept})
    assert response.status_code == 200
    assert response.mimetype == accept
    assert rows_of(response) == EXPECTED_LABELS


@pytest.mark.parametrize("form", ["get", "form", "direct"])
@pytest.mark.parametrize(
    ("accept", "query", "answer"),
    [
        ("application/sparql-results+json", f"ASK {{ <{EX}agency-a> ?p ?o }}", True),
        ("application/sparql-results+xml", f"ASK {{ <{EX}agency-a> ?p ?o }}", True),
        ("application/sparql-results+json", f"ASK {{ <{EX}nobody> ?p ?o }}", False),
    ],
)
def test_ask_answers_in_json_and_xml(
    client: FlaskClient, form: str, accept: str, query: str, answer: bool
) -> None:
    response = send(client, form, query, headers={"Accept": accept})
    assert response.status_code == 200
    if accept.endswith("json"):
        assert json.loads(response.data)["boolean"] is answer
    else:
        node = ET.fromstring(response.data).find(SRX + "boolean")
        assert node is not None and node.text == str(answer).lower()


GRAPH_FORMATS = [
    ("text/turtle", "turtle"),
    ("application/n-triples", "nt"),
    ("application/ld+json", "json-ld"),
    ("application/rdf+xml", "xml"),
    ("application/n-quads", "nquads"),
    ("application/trig", "trig"),
]


@pytest.mark.parametrize(("accept", "parser"), GRAPH_FORMATS)
@pytest.mark.parametrize("form", ["get", "form", "direct"])
def test_construct_in_every_graph_format_parses_back(
    client: FlaskClient, form: str, accept: str, parser: str
) -> None:
    query = f"CONSTRUCT {{ ?m <{EX}operatedBy> ?a }} WHERE {{ ?m <{EX}operatedBy> ?a }}"
    response = send(client, form, query, headers={"Accept": accept})
    assert response.status_code == 200
    assert response.mimetype == accept
    if parser in ("nquads", "trig"):
        from rdflib import Dataset

        graph: Graph = Dataset()
        graph.parse(data=response.data, format=parser)
    else:
        graph = Graph().parse(data=response.data, format=parser)
    assert set(graph.triples((None, None, None))) == {
        (URIRef(EX + "mission-1"), URIRef(EX + "operatedBy"), URIRef(EX + "agency-a")),
        (URIRef(EX + "mission-2"), URIRef(EX + "operatedBy"), URIRef(EX + "agency-b")),
    }


def test_describe_returns_the_resource_description(client: FlaskClient) -> None:
    response = send(client, "get", f"DESCRIBE <{EX}mission-1>", headers={"Accept": "text/turtle"})
    assert response.status_code == 200
    graph = Graph().parse(data=response.data, format="turtle")
    assert (URIRef(EX + "mission-1"), URIRef(EX + "operatedBy"), URIRef(EX + "agency-a")) in graph


def test_default_graph_is_the_union_of_named_graphs(client: FlaskClient) -> None:
    query = f"ASK {{ ?m <{EX}operatedBy> ?a . ?a <{EX}staff> 120 }}"
    assert json.loads(send(client, "get", query).data)["boolean"] is True


def test_default_graph_uri_restricts_the_default_graph(client: FlaskClient) -> None:
    query = f"ASK {{ ?m <{EX}operatedBy> ?a }}"
    only_agencies = send(client, "get", query, params={"default-graph-uri": AGENCIES_GRAPH})
    only_missions = send(client, "form", query, params={"default-graph-uri": MISSIONS_GRAPH})
    assert json.loads(only_agencies.data)["boolean"] is False
    assert json.loads(only_missions.data)["boolean"] is True


def test_named_graph_uri_restricts_graph_patterns(client: FlaskClient) -> None:
    query = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } } ORDER BY ?g"
    both = send(client, "get", query, headers={"Accept": "text/csv"})
    one = send(
        client,
        "direct",
        query,
        params={"named-graph-uri": MISSIONS_GRAPH},
        headers={"Accept": "text/csv"},
    )
    assert [r[0] for r in csv.reader(io.StringIO(both.get_data(as_text=True)))][1:] == [
        AGENCIES_GRAPH,
        MISSIONS_GRAPH,
    ]
    assert [r[0] for r in csv.reader(io.StringIO(one.get_data(as_text=True)))][1:] == [
        MISSIONS_GRAPH
    ]


def test_protocol_dataset_overrides_from_clauses(client: FlaskClient) -> None:
    query = f"ASK FROM <{AGENCIES_GRAPH}> {{ ?m <{EX}operatedBy> ?a }}"
    assert json.loads(send(client, "get", query).data)["boolean"] is False
    overridden = send(client, "get", query, params={"default-graph-uri": MISSIONS_GRAPH})
    assert json.loads(overridden.data)["boolean"] is True


def test_from_selects_a_local_graph(client: FlaskClient) -> None:
    query = f"ASK FROM <{MISSIONS_GRAPH}> {{ ?m <{EX}operatedBy> ?a }}"
    assert json.loads(send(client, "get", query).data)["boolean"] is True


def test_format_parameter_overrides_accept(client: FlaskClient) -> None:
    response = send(
        client,
        "get",
        LABELS,
        params={"format": "csv"},
        headers={"Accept": "application/sparql-results+json"},
    )
    assert response.mimetype == "text/csv"
    assert rows_of(response) == EXPECTED_LABELS


def test_unacceptable_accept_gets_406_listing_formats(client: FlaskClient) -> None:
    response = send(client, "get", LABELS, headers={"Accept": "image/png"})
    assert response.status_code == 406
    assert "application/sparql-results+json" in response.get_data(as_text=True)


def test_literals_keep_language_datatype_and_special_characters(client: FlaskClient) -> None:
    query = (
        f"SELECT ?label ?founded ?note WHERE {{ <{EX}agency-a> "
        "<http://www.w3.org/2000/01/rdf-schema#label> ?label ; "
        f"<{EX}founded> ?founded ; <{EX}note> ?note FILTER(lang(?label) = 'zh') }}"
    )
    doc = json.loads(send(client, "get", query).data)
    (row,) = doc["results"]["bindings"]
    assert row["label"] == {"type": "literal", "value": "甲机构", "xml:lang": "zh"}
    assert row["founded"]["datatype"] == "http://www.w3.org/2001/XMLSchema#date"
    assert row["note"]["value"] == 'tab\there, "quoted", comma, and\nnewline'
    tsv = send(client, "get", query, headers={"Accept": "text/tab-separated-values"})
    cells = tsv.get_data(as_text=True).splitlines()[1].split("\t")
    assert cells == [
        '"甲机构"@zh',
        '"1993-04-22"^^<http://www.w3.org/2001/XMLSchema#date>',
        '"tab\\there, \\"quoted\\", comma, and\\nnewline"',
    ]
    table = list(
        csv.reader(
            io.StringIO(
                send(client, "get", query, headers={"Accept": "text/csv"}).get_data(as_text=True)
            )
        )
    )
    assert table[1][2] == 'tab\there, "quoted", comma, and\nnewline'


def test_unbound_variables_are_left_out(client: FlaskClient) -> None:
    query = (
        f"SELECT ?a ?partner WHERE {{ ?a a <{EX}Agency> "
        f"OPTIONAL {{ ?a <{EX}partner> ?partner }} }} ORDER BY ?a"
    )
    doc = json.loads(send(client, "get", query).data)
    assert [sorted(b) for b in doc["results"]["bindings"]] == [["a"], ["a", "partner"]]
    csv_rows = list(
        csv.reader(
            io.StringIO(
                send(client, "get", query, headers={"Accept": "text/csv"}).get_data(as_text=True)
            )
        )
    )
    assert csv_rows[1] == [EX + "agency-a", ""]


def test_blank_nodes_are_answered_as_bnodes(client: FlaskClient) -> None:
    query = f"SELECT ?c WHERE {{ <{EX}agency-b> <{EX}contact> ?c }}"
    (row,) = json.loads(send(client, "get", query).data)["results"]["bindings"]
    assert row["c"]["type"] == "bnode"


def test_relative_iris_resolve_against_the_dataset_base(client: FlaskClient) -> None:
    doc = json.loads(send(client, "get", "SELECT (<id/agency/x> AS ?iri) {}").data)
    assert doc["results"]["bindings"][0]["iri"]["value"] == "https://w3id.org/spacekg/id/agency/x"


def test_head_request_gets_headers_only(client: FlaskClient) -> None:
    response = client.head("/sparql", query_string={"query": LABELS})
    assert response.status_code == 200
    assert response.data == b""
    assert response.mimetype == "application/sparql-results+json"


# --- prefixes: SpaceKG's own predeclared, an undeclared one named in one line -------------


JSON = {"Accept": "application/json"}


def _error(response: TestResponse) -> dict[str, object]:
    assert response.status_code == 400
    return response.json["error"]  # type: ignore[index, no-any-return]


def test_undefined_prefix_is_named_in_one_line(client: FlaskClient) -> None:
    error = _error(send(client, "get", "SELECT * { ?s foo:bar ?o }", headers=JSON))
    assert error["message"] == (
        'undefined prefix "foo:" at line 1, column 15; declare it with PREFIX foo: <…>')
    assert (error["line"], error["column"]) == (1, 15)
    plain = send(client, "get", "SELECT * { ?s foo:bar ?o }").get_data(as_text=True)
    assert plain.splitlines()[2] == error["message"]  # the text answer says it the same way


def test_undefined_prefix_on_a_later_line_is_located_there(client: FlaskClient) -> None:
    query = "SELECT * {\n  ?s rdfs:label ?o .\n  ?s ex:partner/foo:bar ?o }"
    error = _error(send(client, "form", query, headers=JSON))
    assert str(error["message"]).startswith('undefined prefix "ex:" at line 3, column 6;')
    assert "\n" not in str(error["message"])


def test_predeclared_prefixes_need_no_declaration(client: FlaskClient) -> None:
    response = send(client, "get", "SELECT ?s ?label WHERE { ?s rdfs:label ?label . "
                    'FILTER(lang(?label) = "en" && datatype(?label) = rdf:langString) }',
                    headers={"Accept": "application/sparql-results+json"})
    assert response.status_code == 200
    assert len(response.json["results"]["bindings"]) > 0  # type: ignore[index]


def test_own_prefix_declaration_overrides_predeclared(client: FlaskClient) -> None:
    staff = "SELECT ?s WHERE { ?s skg:staff ?n }"
    accept = {"Accept": "application/sparql-results+json"}
    predeclared = send(client, "get", staff, headers=accept)
    assert predeclared.json["results"]["bindings"] == []  # type: ignore[index]
    own = send(client, "direct", f"PREFIX skg: <{EX}>\n{staff}", headers=accept)
    assert len(own.json["results"]["bindings"]) == 2  # type: ignore[index]


def test_syntax_error_positions_point_at_the_query_as_written(client: FlaskClient) -> None:
    query = "SELECT * { ?s rdfs:label ?o . FILTER( }"
    error = _error(send(client, "get", query, headers=JSON))
    assert error["line"] == 1
    assert 1 <= int(error["column"]) <= len(query) + 1  # type: ignore[call-overload]
    assert f"error at 1:{error['column']}:" in str(error["message"])
