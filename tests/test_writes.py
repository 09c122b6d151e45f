"""Curated writes (issue 6): tokens, SPARQL Update, the Graph Store Protocol, the SHACL gate,
serialised writers, the audit log, and the read-only default left as it was."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from live_server import AGENCIES_GRAPH, EX, FIXTURES
from rdflib import Graph, URIRef
from spacekg.app import create_app
from spacekg.errors import ConfigError
from spacekg.http.serving import get_store
from spacekg.sparql import add_using
from spacekg.write.tokens import load_tokens, parse_tokens

TOKEN = "s3cret-alice"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
SD = "http://www.w3.org/ns/sparql-service-description#"

NEW_FACT = f"INSERT DATA {{ GRAPH <{AGENCIES_GRAPH}> {{ <{EX}agency-c> <{EX}staff> 7 }} }}"
ASK_NEW_FACT = f"ASK {{ <{EX}agency-c> <{EX}staff> 7 }}"
# A registry entry without its Chinese labels: the shapes refuse it (see fixtures/broken).
BREAKING = (
    "PREFIX skg: <https://w3id.org/spacekg/ontology#> "
    "PREFIX skos: <http://www.w3.org/2004/02/skos/core#> "
    "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> "
    "INSERT DATA { GRAPH <https://w3id.org/spacekg/graph/reference> { "
    '<https://w3id.org/spacekg/id/agency/test-only> a skg:SpaceAgency ; '
    'skos:prefLabel "Test Agency"@en ; rdfs:label "Test Agency"@en } }'
)


def make_app(tmp_path: Path, **extra: object) -> Flask:
    config: dict[str, object] = {
        "TESTING": True,
        "STORE": "oxigraph",
        "GRAPHS": [[AGENCIES_GRAPH, str(FIXTURES / "agencies.ttl")]],
        "WRITABLE": True,
        "WRITE_TOKENS": f"alice:{TOKEN},bob:s3cret-bob",
        "WRITE_AUDIT_LOG": str(tmp_path / "audit.jsonl"),
    }
    config.update(extra)
    return create_app(config)


@pytest.fixture
def app(tmp_path: Path) -> Flask:
    return make_app(tmp_path)


def ask(client: FlaskClient, query: str) -> bool:
    response = client.get(
        "/sparql", query_string={"query": query},
        headers={"Accept": "application/sparql-results+json"},
    )
    assert response.status_code == 200
    return bool(response.json["boolean"])  # type: ignore[index]


def dump(app: Flask) -> set[str]:
    with app.app_context():
        return {str(q) for q in get_store().native}  # type: ignore[attr-defined]


# --- tokens -----------------------------------------------------------------------------


def test_update_without_token_is_401_with_bearer_challenge_and_changes_nothing(
    app: Flask, client: FlaskClient
) -> None:
    before = dump(app)
    response = client.post("/sparql", data={"update": NEW_FACT})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert dump(app) == before


@pytest.mark.parametrize("header", ["Bearer wrong-token", f"Basic {TOKEN}", f"Bearer {TOKEN}x"])
def test_update_with_wrong_token_is_refused_and_changes_nothing(
    app: Flask, client: FlaskClient, header: str
) -> None:
    before = dump(app)
    response = client.post("/sparql", data={"update": NEW_FACT},
                           headers={"Authorization": header})
    assert response.status_code in (401, 403)
    if header.startswith("Bearer"):
        assert response.status_code == 403
    assert dump(app) == before


def test_graph_store_write_without_token_is_401(client: FlaskClient) -> None:
    response = client.delete(f"/graph-store?graph={AGENCIES_GRAPH}")
    assert response.status_code == 401
    assert ask(client, f"ASK {{ <{EX}agency-a> ?p ?o }}")


def test_tokens_come_from_a_file_and_the_environment_value(tmp_path: Path) -> None:
    path = tmp_path / "tokens"
    path.write_text("# curators\nalice:aaa\n\nbob:bbb\n", encoding="utf-8")
    assert load_tokens(path, "carol:ccc") == {"aaa": "alice", "bbb": "bob", "ccc": "carol"}
    assert parse_tokens("dan:d1,erin:e2", where="env") == {"d1": "dan", "e2": "erin"}


def test_writable_without_any_token_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no token"):
        make_app(tmp_path, WRITE_TOKENS="")


def test_a_malformed_token_entry_is_refused_without_echoing_it() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_tokens("only-a-secret-value", where="env")
    assert "only-a-secret-value" not in str(caught.value)


# --- SPARQL Update ----------------------------------------------------------------------


def test_form_update_with_the_right_token_is_applied_and_visible(client: FlaskClient) -> None:
    assert not ask(client, ASK_NEW_FACT)  # also fills the result cache
    response = client.post("/sparql", data={"update": NEW_FACT}, headers=AUTH)
    assert response.status_code == 200
    assert response.headers["SpaceKG-Added"] == "1"
    assert ask(client, ASK_NEW_FACT)  # the cache was emptied by the new generation


def test_direct_update_post_and_the_update_url_are_accepted(client: FlaskClient) -> None:
    response = client.post("/sparql", data=NEW_FACT.encode(),
                           content_type="application/sparql-update", headers=AUTH)
    assert response.status_code == 200
    assert ask(client, ASK_NEW_FACT)
    delete = NEW_FACT.replace("INSERT DATA", "DELETE DATA")
    response = client.post("/update", data={"update": delete}, headers=AUTH)
    assert response.status_code == 200
    assert response.headers["SpaceKG-Removed"] == "1"
    assert not ask(client, ASK_NEW_FACT)


def test_using_graph_uri_sets_the_graphs_the_where_clause_reads(client: FlaskClient) -> None:
    copy = f"INSERT {{ GRAPH <{EX}g/copy> {{ ?s <{EX}copied> ?n }} }} WHERE {{ ?s <{EX}staff> ?n }}"
    response = client.post(
        "/sparql",
        data={"update": copy, "using-graph-uri": f"{EX}graph/none"},
        headers=AUTH,
    )
    assert response.status_code == 200
    assert response.headers["SpaceKG-Added"] == "0"  # the named graph read is empty
    response = client.post(
        "/sparql", data={"update": copy, "using-graph-uri": AGENCIES_GRAPH}, headers=AUTH
    )
    assert response.status_code == 200
    assert response.headers["SpaceKG-Added"] == "2"


def test_using_parameters_are_written_before_where_and_refused_next_to_with() -> None:
    text = "DELETE { ?s ?p ?o } INSERT { ?s ?p 1 } WHERE { ?s ?p ?o }"
    rewritten = add_using(text, ["http://a/"], ["http://b/"])
    assert "} USING <http://a/> USING NAMED <http://b/> WHERE {" in rewritten
    with pytest.raises(Exception, match="WITH"):
        add_using("WITH <http://g/> " + text, ["http://a/"], [])


@pytest.mark.parametrize("update", [
    "LOAD <http://example.org/x>",
    "INSERT { ?s ?p ?o } WHERE { SERVICE <http://x/> { ?s ?p ?o } }",
])
def test_updates_that_would_fetch_urls_are_refused(client: FlaskClient, update: str) -> None:
    response = client.post("/sparql", data={"update": update}, headers=AUTH)
    assert response.status_code == 403


def test_malformed_update_is_400_and_changes_nothing(app: Flask, client: FlaskClient) -> None:
    before = dump(app)
    response = client.post("/sparql", data={"update": "INSERT DATA { <x"}, headers=AUTH)
    assert response.status_code == 400
    assert dump(app) == before


# --- the SHACL gate ---------------------------------------------------------------------


def test_shape_breaking_update_is_rejected_with_its_report_and_the_store_unchanged(
    app: Flask, client: FlaskClient
) -> None:
    before = dump(app)
    response = client.post("/sparql", data={"update": BREAKING},
                           headers={**AUTH, "Accept": "application/json"})
    assert response.status_code == 422
    violations = response.json["error"]["violations"]  # type: ignore[index]
    assert {"focus": "id:agency/test-only", "path": "skos:prefLabel"}.items() <= next(
        v for v in violations if v["path"] == "skos:prefLabel"
    ).items()
    assert any("@zh" in v["message"] for v in violations)
    assert dump(app) == before


def test_rejection_report_is_in_chinese_when_asked(client: FlaskClient) -> None:
    response = client.post("/sparql", data={"update": BREAKING},
                           headers={**AUTH, "Accept-Language": "zh"})
    assert response.status_code == 422
    assert response.headers["Content-Language"] == "zh"
    text = response.get_data(as_text=True)
    assert "id:agency/test-only" in text and "中文" in text


def test_a_complete_registry_entry_passes_the_gate(client: FlaskClient) -> None:
    fixed = BREAKING.replace(
        'skos:prefLabel "Test Agency"@en ; rdfs:label "Test Agency"@en',
        'skos:prefLabel "Test Agency"@en, "测试机构"@zh ; '
        'rdfs:label "Test Agency"@en, "测试机构"@zh',
    )
    response = client.post("/sparql", data={"update": fixed}, headers=AUTH)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert ask(client, "ASK { <https://w3id.org/spacekg/id/agency/test-only> ?p ?o }")


# --- Graph Store Protocol ---------------------------------------------------------------


def test_graph_store_put_get_head_delete_round_trip(client: FlaskClient) -> None:
    target = f"/graph-store?graph={EX}g/new"
    body = f"<{EX}s> <{EX}p> \"v\"@en .\n".encode()
    assert client.get(target).status_code == 404
    response = client.put(target, data=body, content_type="application/n-triples", headers=AUTH)
    assert response.status_code == 201
    response = client.put(target, data=body, content_type="application/n-triples", headers=AUTH)
    assert response.status_code == 204  # replaced, not created
    got = client.get(target, headers={"Accept": "text/turtle"})
    assert got.status_code == 200 and got.mimetype == "text/turtle"
    graph = Graph().parse(data=got.get_data(as_text=True), format="turtle")
    assert set(graph) == set(Graph().parse(data=body.decode(), format="nt"))
    assert client.head(target).status_code == 200
    more = f"<{EX}s> <{EX}p> \"w\"@en .\n".encode()
    assert client.post(target, data=more, content_type="application/n-triples",
                       headers=AUTH).status_code == 204
    graph = Graph().parse(data=client.get(target).get_data(as_text=True), format="turtle")
    assert len(graph) == 2
    assert client.delete(target, headers=AUTH).status_code == 204
    assert client.get(target).status_code == 404
    assert client.delete(target, headers=AUTH).status_code == 404


def test_graph_store_default_graph_and_bad_requests(client: FlaskClient) -> None:
    body = f"<{EX}d> <{EX}p> <{EX}o> .".encode()
    assert client.put("/graph-store?default", data=body, content_type="application/n-triples",
                      headers=AUTH).status_code in (201, 204)
    got = client.get("/graph-store?default", headers={"Accept": "application/n-triples"})
    assert f"<{EX}d>" in got.get_data(as_text=True)
    assert client.get("/graph-store").status_code == 400
    assert client.put(f"/graph-store?graph={EX}g/x", data=b"x", content_type="text/csv",
                      headers=AUTH).status_code == 415
    assert client.put(f"/graph-store?graph={EX}g/x", data=b"<a", content_type="text/turtle",
                      headers=AUTH).status_code == 400


def test_graph_store_put_that_breaks_a_shape_is_rejected(app: Flask, client: FlaskClient) -> None:
    before = dump(app)
    body = (
        b"<https://w3id.org/spacekg/id/agency/test-only> a "
        b"<https://w3id.org/spacekg/ontology#SpaceAgency> ."
    )
    response = client.put("/graph-store?graph=https://w3id.org/spacekg/graph/reference",
                          data=body, content_type="text/turtle", headers=AUTH)
    assert response.status_code == 422
    assert dump(app) == before


# --- atomicity, concurrency, audit ------------------------------------------------------


def test_two_concurrent_writers_both_land(app: Flask) -> None:
    errors: list[str] = []

    def write(n: int) -> None:
        update = f"INSERT DATA {{ GRAPH <{EX}g/w{n}> {{ <{EX}w{n}> <{EX}n> {n} }} }}"
        response = app.test_client().post("/sparql", data={"update": update}, headers=AUTH)
        if response.status_code != 200:
            errors.append(response.get_data(as_text=True))

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    client = app.test_client()
    for n in range(4):
        assert ask(client, f"ASK {{ <{EX}w{n}> <{EX}n> {n} }}")


def test_audit_log_names_the_token_not_the_secret(app: Flask, client: FlaskClient,
                                                  tmp_path: Path) -> None:
    client.post("/sparql", data={"update": NEW_FACT}, headers=AUTH)
    client.post("/sparql", data={"update": BREAKING}, headers=AUTH)
    text = (tmp_path / "audit.jsonl").read_text(encoding="utf-8")
    assert TOKEN not in text
    records = [json.loads(line) for line in text.splitlines()]
    assert [r["outcome"] for r in records] == ["committing", "accepted", "rejected"]
    assert records[0]["changeset"] == records[1]["changeset"]  # written ahead, then settled
    assert records[1]["token_name"] == "alice"
    assert records[1]["graphs"] == [AGENCIES_GRAPH]
    assert records[1]["added"] == 1


def test_service_description_advertises_update_when_writable(client: FlaskClient) -> None:
    graph = Graph().parse(data=client.get("/sparql", headers={"Accept": "text/turtle"})
                          .get_data(as_text=True), format="turtle")
    assert (None, URIRef(SD + "supportedLanguage"), URIRef(SD + "SPARQL11Update")) in graph


# --- read-only default ------------------------------------------------------------------


@pytest.fixture
def read_only_client() -> Iterator[FlaskClient]:
    app = create_app({"TESTING": True, "STORE": "oxigraph",
                      "GRAPHS": [[AGENCIES_GRAPH, str(FIXTURES / "agencies.ttl")]],
                      "WRITE_TOKENS": f"alice:{TOKEN}"})
    yield app.test_client()


def test_read_only_default_refuses_updates_even_with_a_token(
    read_only_client: FlaskClient,
) -> None:
    response = read_only_client.post("/sparql", data={"update": NEW_FACT}, headers=AUTH)
    assert response.status_code == 403
    assert not ask(read_only_client, ASK_NEW_FACT)
    assert read_only_client.put(f"/graph-store?graph={EX}g", data=b"",
                                headers=AUTH).status_code in (404, 405)
    graph = Graph().parse(data=read_only_client.get("/sparql", headers={"Accept": "text/turtle"})
                          .get_data(as_text=True), format="turtle")
    assert (None, URIRef(SD + "supportedLanguage"), URIRef(SD + "SPARQL11Update")) not in graph


def test_graph_with_blank_nodes_round_trips_through_the_graph_store(client: FlaskClient) -> None:
    target = f"/graph-store?graph={EX}g/copy"
    body = (FIXTURES / "agencies.ttl").read_bytes()
    response = client.put(target, data=body, content_type="text/turtle", headers=AUTH)
    assert response.status_code == 201
    got = Graph().parse(data=client.get(target).get_data(as_text=True), format="turtle")
    expected = Graph().parse(FIXTURES / "agencies.ttl", format="turtle")
    assert len(got) == len(expected)
    assert ask(client, f"ASK {{ GRAPH <{EX}g/copy> {{ <{EX}agency-b> <{EX}contact> [] }} }}")
    assert client.delete(target, headers=AUTH).status_code == 204
    assert not ask(client, f"ASK {{ GRAPH <{EX}g/copy> {{ ?s ?p ?o }} }}")


@pytest.mark.parametrize("header", ["zh-Hans,en;q=0.5", "zh-CN"])
def test_rejection_report_language_follows_the_primary_subtag(
    client: FlaskClient, header: str
) -> None:
    response = client.post("/sparql", data={"update": BREAKING},
                           headers={**AUTH, "Accept-Language": header})
    assert response.headers["Content-Language"] == "zh"


def test_a_reader_during_a_large_write_sees_the_old_or_the_new_state(app: Flask) -> None:
    size = 3000
    triples = " ".join(f"<{EX}bulk/{i}> <{EX}n> {i} ." for i in range(size))
    update = f"INSERT DATA {{ GRAPH <{EX}g/bulk> {{ {triples} }} }}"
    # a different literal each time: every read reaches the store, not the result cache
    count = (
        "SELECT (COUNT(*) AS ?n) WHERE { GRAPH <" + EX + "g/bulk> { ?s ?p ?o } FILTER(?o != %d) }"
    )
    seen: set[int] = set()
    done = threading.Event()

    def read() -> None:
        reader = app.test_client()
        k = 0
        while not done.is_set():
            k -= 1
            response = reader.get("/sparql", query_string={"query": count % k},
                                  headers={"Accept": "application/sparql-results+json",
                                           "Cache-Control": "no-cache"})
            rows = response.json["results"]["bindings"]  # type: ignore[index]
            seen.add(int(rows[0]["n"]["value"]))

    thread = threading.Thread(target=read)
    thread.start()
    try:
        response = app.test_client().post("/sparql", data={"update": update}, headers=AUTH)
    finally:
        done.set()
        thread.join()
    assert response.status_code == 200
    assert seen and seen <= {0, size}


# --- spacekg serve options --------------------------------------------------------------


def test_serve_writable_opens_the_disk_store_for_writing_with_one_worker(tmp_path: Path) -> None:
    from spacekg.cli import _parser
    from spacekg.serve import app_config, server_options

    tokens = tmp_path / "tokens"
    tokens.write_text("alice:aaa\n", encoding="utf-8")
    store = tmp_path / "store"
    args = _parser().parse_args([
        "serve", "--no-report", "--store", f"oxigraph:{store}", "--workers", "3",
        "--graph", f"{AGENCIES_GRAPH}={FIXTURES / 'agencies.ttl'}",
        "--writable", "--tokens-file", str(tokens),
    ])
    config = app_config(args, env={})
    assert config["WRITABLE"] is True and config["STORE_READ_ONLY"] is False
    assert config["WRITE_TOKENS_FILE"] == str(tokens)
    assert server_options(args, config)["workers"] == 1
    assert "aaa" not in repr(config)


def test_serve_without_writable_keeps_the_store_read_only(tmp_path: Path) -> None:
    from spacekg.cli import _parser
    from spacekg.serve import app_config

    args = _parser().parse_args([
        "serve", "--no-report", "--store", f"oxigraph:{tmp_path / 'store'}",
        "--graph", f"{AGENCIES_GRAPH}={FIXTURES / 'agencies.ttl'}",
    ])
    config = app_config(args, env={})
    assert "WRITABLE" not in config and config["STORE_READ_ONLY"] is True


def test_accepted_writes_are_listed_as_changesets_with_their_quads(client: FlaskClient) -> None:
    client.post("/sparql", data={"update": NEW_FACT}, headers=AUTH)
    client.post("/sparql", data={"update": BREAKING}, headers=AUTH)  # rejected: no changeset
    assert client.get("/changes").status_code == 401
    listed = client.get("/changes", headers=AUTH).json["changesets"]  # type: ignore[index]
    assert len(listed) == 1
    assert listed[0]["token_name"] == "alice" and listed[0]["added"] == 1
    name = listed[0]["changeset"]
    added = client.get(f"/changes/{name}/added", headers=AUTH)
    assert added.status_code == 200
    assert f"<{EX}agency-c> <{EX}staff>" in added.get_data(as_text=True)
    assert client.get(f"/changes/{name}/removed", headers=AUTH).data == b""
    assert client.get("/changes/..%2Faudit/added", headers=AUTH).status_code == 404


# --- the default graph stays the union, each triple once -------------------------------


def _rows_about(client: FlaskClient, subject: str) -> int:
    response = client.get(
        "/sparql", query_string={"query": f"SELECT ?p ?o {{ <{subject}> ?p ?o }}"},
        headers={"Accept": "application/sparql-results+json"},
    )
    assert response.status_code == 200
    return len(response.json["results"]["bindings"])  # type: ignore[index]


def _update(client: FlaskClient, update: str) -> None:
    response = client.post("/update", data={"update": update}, headers=AUTH)
    assert response.status_code in (200, 204), response.get_data(as_text=True)


FACT = f'<{EX}s> <{EX}p> "v"@en'


def test_a_triple_inserted_into_a_second_graph_is_seen_once(client: FlaskClient) -> None:
    _update(client, f"INSERT DATA {{ GRAPH <{EX}g/one> {{ {FACT} }} }}")
    _update(client, f"INSERT DATA {{ GRAPH <{EX}g/two> {{ {FACT} }} }}")
    assert _rows_about(client, f"{EX}s") == 1
    assert ask(client, f"ASK {{ GRAPH <{EX}g/one> {{ {FACT} }} GRAPH <{EX}g/two> {{ {FACT} }} }}")


def test_a_triple_deleted_from_one_graph_stays_while_another_holds_it(
    client: FlaskClient,
) -> None:
    _update(client, f"INSERT DATA {{ GRAPH <{EX}g/one> {{ {FACT} }} "
                    f"GRAPH <{EX}g/two> {{ {FACT} }} }}")
    _update(client, f"DELETE DATA {{ GRAPH <{EX}g/one> {{ {FACT} }} }}")
    assert _rows_about(client, f"{EX}s") == 1
    _update(client, f"DELETE DATA {{ GRAPH <{EX}g/two> {{ {FACT} }} }}")
    assert _rows_about(client, f"{EX}s") == 0


def test_dropping_a_graph_takes_out_only_the_triples_no_other_graph_holds(
    client: FlaskClient,
) -> None:
    only = f'<{EX}s> <{EX}q> "only in one"@en'
    _update(client, f"INSERT DATA {{ GRAPH <{EX}g/one> {{ {FACT} . {only} }} "
                    f"GRAPH <{EX}g/two> {{ {FACT} }} }}")
    assert _rows_about(client, f"{EX}s") == 2
    assert client.delete(f"/graph-store?graph={EX}g/one", headers=AUTH).status_code == 204
    assert _rows_about(client, f"{EX}s") == 1
    assert ask(client, f"ASK {{ {FACT} }}")
    _update(client, f"DROP GRAPH <{EX}g/two>")
    assert _rows_about(client, f"{EX}s") == 0


def test_graph_store_post_of_a_triple_another_graph_holds_is_seen_once(
    client: FlaskClient,
) -> None:
    body = f"{FACT} .\n".encode()
    for graph in ("one", "two"):
        assert client.post(f"/graph-store?graph={EX}g/{graph}", data=body,
                           content_type="application/n-triples", headers=AUTH).status_code in (
            201, 204)
    assert _rows_about(client, f"{EX}s") == 1


def test_the_default_graph_keeps_its_own_triples_and_cannot_hide_a_named_graphs(
    client: FlaskClient,
) -> None:
    own = f'<{EX}s> <{EX}q> "only in the default graph"@en'
    _update(client, f"INSERT DATA {{ {own} }} ; INSERT DATA {{ GRAPH <{EX}g/one> {{ {FACT} }} }}")
    assert _rows_about(client, f"{EX}s") == 2
    # the default graph is the union: deleting there leaves what a named graph holds
    _update(client, f"DELETE DATA {{ {FACT} }}")
    assert ask(client, f"ASK {{ {FACT} }}")
    _update(client, f"DROP GRAPH <{EX}g/one>")
    assert _rows_about(client, f"{EX}s") == 1  # its own triple stays
    _update(client, f"DELETE DATA {{ {own} }}")
    assert _rows_about(client, f"{EX}s") == 0


def test_undefined_prefix_in_an_update_is_named_in_one_line(
    app: Flask, client: FlaskClient,
) -> None:
    before = dump(app)
    response = client.post(
        "/update", data={"update": f"INSERT DATA {{ GRAPH <{EX}g/one> {{\n  <{EX}s> foo:p 1 }} }}"},
        headers={**AUTH, "Accept": "application/json"},
    )
    assert response.status_code == 400
    column = len(f"  <{EX}s> ") + 1
    assert response.json["error"]["message"] == (  # type: ignore[index]
        f'undefined prefix "foo:" at line 2, column {column}; declare it with PREFIX foo: <…>')
    assert dump(app) == before
