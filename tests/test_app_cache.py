"""Repeated queries are answered from the cache and revalidated by ETag; a change of data
empties the cache; answers over the row limit are cut and say so."""

from __future__ import annotations

import csv
import io
import json

import pytest
from flask import Flask
from flask.testing import FlaskClient
from live_server import EX, FIXTURES, MISSIONS_GRAPH
from pyoxigraph import NamedNode
from spacekg.app import create_app
from spacekg.http.serving import get_cache
from spacekg.stores.oxigraph import OxigraphStore

QUERY = f"SELECT ?m WHERE {{ ?m a <{EX}Mission> }} ORDER BY ?m"


@pytest.fixture
def store() -> OxigraphStore:
    store = OxigraphStore()
    store.load(FIXTURES / "missions.nt", MISSIONS_GRAPH)
    return store


@pytest.fixture
def app(store: OxigraphStore) -> Flask:
    return create_app({"TESTING": True, "STORE": store})


def test_answer_carries_an_etag_and_revalidates_with_304(client: FlaskClient) -> None:
    first = client.get("/sparql", query_string={"query": QUERY})
    etag = first.headers["ETag"]
    again = client.get("/sparql", query_string={"query": QUERY}, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""
    assert again.headers["ETag"] == etag


def test_etag_differs_per_format_and_vary_names_accept(client: FlaskClient) -> None:
    as_json = client.get("/sparql", query_string={"query": QUERY})
    as_csv = client.get("/sparql", query_string={"query": QUERY}, headers={"Accept": "text/csv"})
    assert as_json.headers["ETag"] != as_csv.headers["ETag"]
    assert as_json.headers["Vary"] == "Accept"
    stale = client.get(
        "/sparql",
        query_string={"query": QUERY},
        headers={"Accept": "text/csv", "If-None-Match": as_json.headers["ETag"]},
    )
    assert stale.status_code == 200


def test_queries_differing_only_in_layout_share_one_cache_entry(
    app: Flask, client: FlaskClient
) -> None:
    spaced = QUERY.replace(" ", "   ").replace("{", "{ # a comment\n")
    first = client.get("/sparql", query_string={"query": QUERY})
    second = client.post("/sparql", data={"query": spaced})
    assert first.headers["ETag"] == second.headers["ETag"]
    with app.app_context():
        cache = get_cache()
        assert (cache.hits, len(cache)) == (1, 1)


def test_strings_are_not_normalised_into_each_other(client: FlaskClient) -> None:
    one = client.get("/sparql", query_string={"query": 'SELECT ("a  b" AS ?x) {}'})
    two = client.get("/sparql", query_string={"query": 'SELECT ("a b" AS ?x) {}'})
    assert one.headers["ETag"] != two.headers["ETag"]
    assert json.loads(one.data)["results"]["bindings"][0]["x"]["value"] == "a  b"


def test_a_change_of_data_empties_the_cache_and_changes_the_etag(
    client: FlaskClient, store: OxigraphStore
) -> None:
    before = client.get("/sparql", query_string={"query": QUERY})
    store.load(
        [
            (
                NamedNode(EX + "mission-3"),
                NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
                NamedNode(EX + "Mission"),
                MISSIONS_GRAPH,
            )
        ]
    )
    after = client.get(
        "/sparql", query_string={"query": QUERY}, headers={"If-None-Match": before.headers["ETag"]}
    )
    assert after.status_code == 200
    assert after.headers["ETag"] != before.headers["ETag"]
    assert len(json.loads(after.data)["results"]["bindings"]) == 3


def test_volatile_queries_are_not_cached(client: FlaskClient) -> None:
    response = client.get("/sparql", query_string={"query": "SELECT (RAND() AS ?r) {}"})
    assert "ETag" not in response.headers
    assert response.headers["Cache-Control"] == "no-store"


def test_rows_over_the_limit_are_cut_and_flagged(store: OxigraphStore) -> None:
    client = create_app({"TESTING": True, "STORE": store, "MAX_ROWS": 1}).test_client()
    as_json = client.get("/sparql", query_string={"query": QUERY})
    doc = json.loads(as_json.data)
    assert as_json.headers["SpaceKG-Truncated"] == "true"
    assert as_json.headers["SpaceKG-Max-Rows"] == "1"
    assert len(doc["results"]["bindings"]) == 1
    assert doc["truncated"] is True and "limit of 1 rows" in doc["note"]
    as_csv = client.get("/sparql", query_string={"query": QUERY, "format": "csv"})
    assert len(list(csv.reader(io.StringIO(as_csv.get_data(as_text=True))))) == 2
    construct = client.get(
        "/sparql",
        query_string={"query": "CONSTRUCT WHERE { ?s ?p ?o }"},
        headers={"Accept": "application/n-triples"},
    )
    assert construct.headers["SpaceKG-Truncated"] == "true"
    assert len(construct.data.strip().splitlines()) == 1


def test_answers_within_the_limit_are_not_flagged(client: FlaskClient) -> None:
    response = client.get("/sparql", query_string={"query": QUERY})
    assert "SpaceKG-Truncated" not in response.headers
    assert "truncated" not in json.loads(response.data)
