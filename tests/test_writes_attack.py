"""Curated writes under attack (issue 18): what a token holder sends can neither crash, hang,
bloat nor poison the writer. Each case is a write that once did one of those."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from live_server import AGENCIES_GRAPH, EX
from test_writes import AUTH, dump, make_app

XSD = "http://www.w3.org/2001/XMLSchema#"
ONTOLOGY = "https://w3id.org/spacekg/graph/ontology"
SHAPES = "https://w3id.org/spacekg/graph/shapes"
INFERRED = "https://w3id.org/spacekg/graph/inferred"
PROTECTED = (ONTOLOGY, SHAPES, INFERRED)
DATA = AGENCIES_GRAPH

LAUGHS = (
    b'<?xml version="1.0"?>\n<!-- a -- b -->\n<!DOCTYPE r [<!ENTITY a "aaaaaaaaaa">'
    + b"".join(b'<!ENTITY %s "%s">' % (bytes([c]), (b"&%s;" % bytes([c - 1])) * 10)
               for c in range(ord("b"), ord("j")))
    + b']>\n<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
    b'xmlns:e="http://e/"><rdf:Description rdf:about="http://e/s"><e:p>&i;</e:p>'
    b"</rdf:Description></rdf:RDF>\n"
)


@pytest.fixture
def app(tmp_path: Path) -> Flask:
    return make_app(tmp_path)


def update(client: FlaskClient, text: str) -> tuple[int, str]:
    response = client.post("/sparql", data={"update": text}, headers=AUTH)
    return response.status_code, response.get_data(as_text=True)


def insert(triple: str, graph: str = DATA) -> str:
    return f"INSERT DATA {{ GRAPH <{graph}> {{ {triple} }} }}"


# --- the gate never crashes and never keeps what it refused -------------------------------


def test_ill_typed_literal_is_refused_422_naming_value_and_datatype_and_next_write_lands(
    app: Flask, client: FlaskClient
) -> None:
    before = dump(app)
    status, text = update(client, insert(f'<{EX}agency-a> <{EX}staff> "x"^^<{XSD}integer>'))
    assert status == 422
    assert '"x"' in text and f"{XSD}integer" in text
    assert dump(app) == before
    status, _ = update(client, insert(f'<{EX}agency-a> <{EX}note> "checked"'))
    assert status == 200


def test_triple_term_is_refused_and_the_node_keeps_one_value(
    app: Flask, client: FlaskClient
) -> None:
    before = dump(app)
    term = "<<( <http://e/a> <http://e/b> <http://e/c> )>>"
    status, text = update(client, insert(f"<{EX}agency-a> <{EX}staff> {term}"))
    assert status == 422
    assert "triple term" in text
    assert dump(app) == before


def test_a_failure_inside_validation_refuses_the_write_and_rolls_the_gate_back(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    import spacekg.write.incremental as incremental

    update(client, insert(f'<{EX}agency-a> <{EX}note> "warm-up"'))  # the gate is open
    real = incremental.validate_graph

    def failing(*args: object, **kwargs: object) -> object:
        raise TypeError("unsupported operand")

    monkeypatch.setattr(incremental, "validate_graph", failing)
    before = dump(app)
    status, text = update(client, insert(f'<{EX}agency-a> <{EX}note> "refused"'))
    assert status == 422 and "nothing was changed" in text
    assert "TypeError" not in text
    assert dump(app) == before
    monkeypatch.setattr(incremental, "validate_graph", real)
    status, _ = update(client, insert(f'<{EX}agency-a> <{EX}note> "accepted"'))
    assert status == 200


# --- uploads parsed with limits ------------------------------------------------------------


@pytest.mark.parametrize("prefix", [b"", b"<!-- a -- b -->\n"])
def test_xml_entities_are_refused_whatever_precedes_the_doctype(
    app: Flask, client: FlaskClient, prefix: bytes
) -> None:
    body = LAUGHS.replace(b"<!-- a -- b -->\n", prefix)
    before = dump(app)
    response = client.put("/graph-store?graph=http://e/g", data=body, headers=AUTH,
                          content_type="application/rdf+xml")
    assert response.status_code == 400
    assert "ENTITY" in response.get_data(as_text=True)
    assert dump(app) == before


def test_deeply_nested_json_ld_is_refused_before_the_engine_sees_it(client: FlaskClient) -> None:
    body = '{"@id":"http://e/s","http://e/p":' * 10_000 + '{"@id":"http://e/o"}' + "}" * 10_000
    response = client.put("/graph-store?graph=http://e/g", data=body, headers=AUTH,
                          content_type="application/ld+json")
    assert response.status_code == 400
    assert "64 levels" in response.get_data(as_text=True)


def test_an_upload_with_more_triples_than_a_write_may_change_is_refused_413(
    tmp_path: Path,
) -> None:
    client = make_app(tmp_path, WRITE_MAX_QUADS=10).test_client()
    body = "".join(f"<http://e/s{i}> <http://e/p> {i} .\n" for i in range(50))
    response = client.post("/graph-store?graph=http://e/g", data=body, headers=AUTH,
                           content_type="text/turtle")
    assert response.status_code == 413
    assert "10 triples" in response.get_data(as_text=True)


# --- updates contained: crash, memory, time ------------------------------------------------


def test_an_update_that_crashes_the_engine_is_refused_4xx_and_the_writer_goes_on(
    client: FlaskClient,
) -> None:
    patterns = " . ".join(f"?s <p:{i}> ?o" for i in range(20_000))
    status, text = update(client, f"INSERT {{ GRAPH <{DATA}> {{ <{EX}s> <{EX}p> 1 }} }} "
                                  f"WHERE {{ {patterns} }}")
    assert 400 <= status < 500
    assert "Traceback" not in text
    status, _ = update(client, insert(f'<{EX}agency-a> <{EX}note> "after"'))
    assert status == 200


def test_an_update_past_its_memory_share_is_stopped_413_and_nothing_changes(
    tmp_path: Path,
) -> None:
    app = make_app(tmp_path, WRITE_MEMORY="300M")
    client = app.test_client()
    doubling = " ".join(f"BIND(CONCAT(?x{i}, ?x{i}) AS ?x{i + 1})" for i in range(32))
    before = dump(app)
    status, text = update(client, f"INSERT {{ GRAPH <{DATA}> {{ <{EX}s> <{EX}p> ?x32 }} }} "
                                  f'WHERE {{ BIND("xxxxxxxxxxxxxxxx" AS ?x0) {doubling} }}')
    assert status == 413
    assert "300 MiB" in text
    assert dump(app) == before


def test_an_update_past_its_time_limit_is_stopped_and_the_next_write_is_accepted(
    tmp_path: Path,
) -> None:
    app = make_app(tmp_path, WRITE_TIMEOUT=1.0)
    client = app.test_client()
    before = dump(app)
    product = " . ".join(f"?s{i} ?p{i} ?o{i}" for i in range(8))  # hours of counting
    status, text = update(
        client, f"INSERT {{ GRAPH <{DATA}> {{ <{EX}s> <{EX}p> ?n }} }} WHERE {{ SELECT "
                f"(COUNT(*) AS ?n) {{ {product} }} }}")
    assert status == 503
    assert "1 s" in text
    assert dump(app) == before
    status, _ = update(client, insert(f'<{EX}agency-a> <{EX}note> "after"'))
    assert status == 200


# --- protected graphs ----------------------------------------------------------------------

OPERATIONS = {
    "INSERT DATA": lambda g: f"INSERT DATA {{ GRAPH <{g}> {{ <http://e/s> <http://e/p> 1 }} }}",
    "DELETE DATA": lambda g: f"DELETE DATA {{ GRAPH <{g}> {{ <http://e/s> <http://e/p> 1 }} }}",
    "INSERT WHERE": lambda g: f"INSERT {{ GRAPH <{g}> {{ ?s ?p ?o }} }} WHERE {{ ?s ?p ?o }}",
    "DELETE WHERE": lambda g: f"DELETE WHERE {{ GRAPH <{g}> {{ ?s ?p ?o }} }}",
    "WITH": lambda g: f"WITH <{g}> DELETE {{ ?s ?p ?o }} WHERE {{ ?s ?p ?o }}",
    "LOAD": lambda g: f"LOAD <http://e/x> INTO GRAPH <{g}>",
    "CLEAR": lambda g: f"CLEAR GRAPH <{g}>",
    "CLEAR SILENT": lambda g: f"CLEAR SILENT GRAPH <{g}>",
    "DROP": lambda g: f"DROP GRAPH <{g}>",
    "DROP SILENT": lambda g: f"DROP SILENT GRAPH <{g}>",
    "CREATE": lambda g: f"CREATE GRAPH <{g}>",
    "ADD": lambda g: f"ADD <{DATA}> TO <{g}>",
    "MOVE INTO": lambda g: f"MOVE <{DATA}> TO <{g}>",
    "MOVE FROM": lambda g: f"MOVE <{g}> TO <http://e/elsewhere>",
    "COPY": lambda g: f"COPY <{DATA}> TO <{g}>",
    "PREFIXED": lambda g: (f"PREFIX g: <{g.rsplit('/', 1)[0]}/> "
                           f"INSERT DATA {{ GRAPH g:{g.rsplit('/', 1)[1]} {{ <http://e/s> "
                           "<http://e/p> 1 } }"),
}


@pytest.mark.parametrize("graph", PROTECTED)
@pytest.mark.parametrize("operation", sorted(OPERATIONS))
def test_every_update_operation_on_a_protected_graph_is_403(
    app: Flask, client: FlaskClient, operation: str, graph: str
) -> None:
    before = dump(app)
    status, _ = update(client, OPERATIONS[operation](graph))
    assert status == 403
    assert dump(app) == before


@pytest.mark.parametrize("graph", PROTECTED)
@pytest.mark.parametrize("method", ["PUT", "POST", "DELETE"])
def test_every_graph_store_write_to_a_protected_graph_is_403(
    client: FlaskClient, method: str, graph: str
) -> None:
    response = client.open(f"/graph-store?graph={graph}", method=method, headers=AUTH,
                           data="<http://e/s> <http://e/p> 1 .",
                           content_type="application/n-triples")
    assert response.status_code == 403


def test_drop_of_an_absent_graph_is_404_and_200_with_silent(client: FlaskClient) -> None:
    assert update(client, "DROP GRAPH <http://e/absent>")[0] == 404
    assert update(client, "DROP SILENT GRAPH <http://e/absent>")[0] == 200


# --- recovery at start-up ------------------------------------------------------------------


def test_an_interrupted_write_is_settled_when_the_server_starts_before_any_request(
    app: Flask, client: FlaskClient, tmp_path: Path
) -> None:
    from spacekg.http.writes import _state, recover_at_start

    assert update(client, insert(f"<{EX}a> <{EX}b> 2"))[0] == 200
    audit = tmp_path / "audit.jsonl"
    lines = audit.read_text(encoding="utf-8").splitlines()
    audit.write_text("\n".join(lines[:-1]) + "\n", encoding="utf-8")  # killed at "committing"
    with app.app_context():
        _state().gate = None  # as in a new server process
    recover_at_start(app)
    records = [json.loads(line) for line in audit.read_text(encoding="utf-8").splitlines()]
    assert records[-1]["outcome"] == "accepted" and records[-1]["recovered"] is True
