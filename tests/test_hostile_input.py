"""Hostile input the app refuses cleanly (issue 11): wholesale deletes, protected graphs, XML
entity bombs, oversized literals and chunked bodies, malformed graph IRIs, non-ASCII IRIs in
headers, and IRIs that would be dangerous as links."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from live_server import AGENCIES_GRAPH, EX
from spacekg.namespaces import INFERRED_GRAPH, ONTOLOGY_GRAPH
from spacekg.publish.links import href_for
from test_writes import AUTH, dump, make_app

JSON = {"Accept": "application/json"}


@pytest.fixture
def app(tmp_path: Path) -> Flask:
    return make_app(tmp_path, WRITE_MAX_LITERAL_CHARS=1000)


def _update(client: FlaskClient, text: str) -> tuple[int, dict[str, object]]:
    response = client.post("/update", data=text.encode(), headers={
        **AUTH, **JSON, "Content-Type": "application/sparql-update"})
    return response.status_code, response.json["error"] if response.status_code >= 400 else {}  # type: ignore[index]


@pytest.mark.parametrize(
    "update",
    ["CLEAR ALL", "DROP ALL", "drop silent named", "CLEAR NAMED",
     "\\u0043LEAR ALL", f"INSERT DATA {{ GRAPH <{EX}g> {{ <{EX}a> <{EX}b> 1 }} }} ; DROP ALL"],
)
def test_clear_and_drop_of_every_graph_are_refused(
    app: Flask, client: FlaskClient, update: str
) -> None:
    before = dump(app)
    status, error = _update(client, update)
    assert status == 403 and error["type"] == "WriteForbidden"
    assert "ALL" in str(error["message"]) or "NAMED" in str(error["message"])
    assert dump(app) == before


def test_clear_all_is_accepted_when_the_operator_allows_it(tmp_path: Path) -> None:
    app = make_app(tmp_path, WRITE_ALLOW_CLEAR_ALL=True)
    status, _ = _update(app.test_client(), "CLEAR ALL")
    assert status == 200 and dump(app) == set()


@pytest.mark.parametrize("graph", [str(ONTOLOGY_GRAPH), str(INFERRED_GRAPH)])
def test_protected_graphs_refuse_writes_of_every_kind(
    app: Flask, client: FlaskClient, graph: str
) -> None:
    before = dump(app)
    status, error = _update(client, f"INSERT DATA {{ GRAPH <{graph}> {{ <{EX}a> <{EX}b> 1 }} }}")
    assert status == 403 and "protected" in str(error["message"])
    put = client.put(f"/graph-store?graph={graph}", data=f"<{EX}a> <{EX}b> 1 .".encode(),
                     headers={**AUTH, **JSON, "Content-Type": "text/turtle"})
    assert put.status_code == 403
    assert dump(app) == before


def test_an_opened_graph_takes_writes(tmp_path: Path) -> None:
    app = make_app(tmp_path, WRITE_OPEN_GRAPHS=[str(INFERRED_GRAPH)])
    status, _ = _update(app.test_client(),
                        f"INSERT DATA {{ GRAPH <{INFERRED_GRAPH}> {{ <{EX}a> <{EX}b> 1 }} }}")
    assert status == 200


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE rdf:RDF [
 <!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">
 <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
 <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
 <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="http://example.org/">
 <rdf:Description rdf:about="http://example.org/a"><ex:b>&d;</ex:b></rdf:Description>
</rdf:RDF>
"""


@pytest.mark.parametrize("body", [BILLION_LAUGHS, BILLION_LAUGHS.decode().encode("utf-16")],
                         ids=["utf-8", "utf-16"])
def test_rdfxml_entities_are_refused(app: Flask, client: FlaskClient, body: bytes) -> None:
    before = dump(app)
    response = client.put(f"/graph-store?graph={EX}graph/xml", data=body,
                          headers={**AUTH, **JSON, "Content-Type": "application/rdf+xml"})
    assert response.status_code == 400
    assert "ENTITY" in response.json["error"]["message"]  # type: ignore[index]
    assert dump(app) == before


def test_literal_over_the_cap_is_413(app: Flask, client: FlaskClient) -> None:
    before = dump(app)
    long = "x" * 1001
    status, error = _update(
        client, f'INSERT DATA {{ GRAPH <{AGENCIES_GRAPH}> {{ <{EX}a> <{EX}b> "{long}" }} }}')
    assert status == 413 and "1,001 characters" in str(error["message"])
    assert dump(app) == before


def test_chunked_body_over_the_limit_is_413_and_nothing_runs(tmp_path: Path) -> None:
    app = make_app(tmp_path, MAX_REQUEST_BYTES=1000)
    update = f"INSERT DATA {{ GRAPH <{AGENCIES_GRAPH}> {{ <{EX}a> <{EX}b> 1 }} }}"
    body = update.encode() + b" " * 2000  # valid within the first 1000 bytes
    before = dump(app)
    response = app.test_client().post(
        "/update", input_stream=io.BytesIO(body),
        headers={**AUTH, **JSON, "Content-Type": "application/sparql-update",
                 "Transfer-Encoding": "chunked"})
    assert response.status_code == 413
    assert dump(app) == before


@pytest.mark.parametrize("name", ["default-graph-uri", "named-graph-uri"])
@pytest.mark.parametrize("value", ["not an iri", "relative/path", "http://x/ y"])
def test_graph_parameters_that_are_no_iri_are_400(
    client: FlaskClient, name: str, value: str
) -> None:
    response = client.get("/sparql", query_string={"query": "ASK {}", name: value},
                          headers=JSON)
    assert response.status_code == 400
    assert name in response.json["error"]["message"]  # type: ignore[index]


def test_a_non_ascii_entity_iri_gets_an_answer_not_a_500(client: FlaskClient) -> None:
    for accept in ("text/turtle", "text/html"):
        response = client.get("/id/agency/航天局", headers={"Accept": accept})
        assert response.status_code in (200, 303, 404)
        for header in ("Link", "Content-Location"):
            assert response.headers.get(header, "").isascii()


@pytest.mark.parametrize(
    ("iri", "href"),
    [("javascript:alert(1)", None), ("JavaScript:alert(1)", None),
     ("data:text/html,<script>x</script>", None), ("vbscript:x", None),
     ("https://example.org/a", "https://example.org/a"), ("mailto:a@example.org",
                                                           "mailto:a@example.org"),
     ("https://w3id.org/spacekg/id/agency/cnsa", "/id/agency/cnsa")],
)
def test_only_web_and_mail_iris_become_links(iri: str, href: str | None) -> None:
    assert href_for(iri) == href


def test_a_write_cut_off_after_landing_keeps_its_audit_record(app: Flask, client: FlaskClient,
                                                               tmp_path: Path) -> None:
    """``kill -9`` between the store's commit and the final audit line: the write-ahead
    "committing" record is there, and opening the gate again settles it as accepted."""
    import json

    from spacekg.http.writes import _state

    fact = f"INSERT DATA {{ GRAPH <{AGENCIES_GRAPH}> {{ <{EX}a> <{EX}b> 2 }} }}"
    status, _ = _update(client, fact)
    assert status == 200
    audit = tmp_path / "audit.jsonl"
    lines = audit.read_text(encoding="utf-8").splitlines()
    outcomes = [json.loads(line)["outcome"] for line in lines]
    assert outcomes[-2:] == ["committing", "accepted"]
    audit.write_text("\n".join(lines[:-1]) + "\n", encoding="utf-8")  # the crash
    with app.app_context():
        _state().gate_for()._recover()
    records = [json.loads(line) for line in audit.read_text(encoding="utf-8").splitlines()]
    assert records[-1]["outcome"] == "accepted" and records[-1]["recovered"] is True
    assert records[-1]["changeset"] == records[-2]["changeset"]
