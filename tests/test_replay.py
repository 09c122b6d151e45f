"""Repeated ``/sparql`` requests are answered from memory, exactly as the route answered them."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from rdflib import Literal, URIRef
from spacekg.app import create_app
from spacekg.http.replay import AnswerReplay
from spacekg.stores.memory import MemoryStore

EX = "http://example.org/"
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"


def _store(triples: int) -> MemoryStore:
    store = MemoryStore()
    _load(store, [f"s{i}" for i in range(triples)])
    return store


def _load(store: MemoryStore, subjects: list[str]) -> None:
    store.load([(URIRef(EX + s), URIRef(EX + "p"), Literal(s), EX + "g") for s in subjects])


def _app(store: MemoryStore, **config: Any) -> Flask:
    return create_app({"TESTING": True, "STORE": store, **config})


def _replay(app: Flask) -> AnswerReplay:
    assert isinstance(app.wsgi_app, AnswerReplay)
    return app.wsgi_app


def _count(client: FlaskClient, **kwargs: Any) -> int:
    response = client.get("/sparql", query_string={"query": COUNT}, **kwargs)
    assert response.status_code == 200
    return int(json.loads(response.data)["results"]["bindings"][0]["n"]["value"])


def test_a_repeated_request_gets_the_same_status_headers_and_bytes_from_memory() -> None:
    app = _app(_store(3))
    client = app.test_client()
    headers = {"Accept": "application/sparql-results+json", "Origin": "http://ui.example"}
    first = client.get("/sparql", query_string={"query": COUNT}, headers=headers)
    hits = _replay(app).cache.hits
    second = client.get("/sparql", query_string={"query": COUNT}, headers=headers)
    assert _replay(app).cache.hits == hits + 1
    assert (second.status, second.data) == (first.status, first.data)
    assert sorted(second.headers.items()) == sorted(first.headers.items())
    assert second.headers["Access-Control-Allow-Origin"] == "*"


def test_another_accept_header_is_another_answer() -> None:
    client = _app(_store(3)).test_client()
    as_json = client.get("/sparql", query_string={"query": COUNT},
                         headers={"Accept": "application/sparql-results+json"})
    as_csv = client.get("/sparql", query_string={"query": COUNT}, headers={"Accept": "text/csv"})
    again_csv = client.get("/sparql", query_string={"query": COUNT},
                           headers={"Accept": "text/csv"})
    assert as_json.mimetype == "application/sparql-results+json"
    assert as_csv.mimetype == again_csv.mimetype == "text/csv"
    assert again_csv.data.decode().splitlines() == ["n", "3"]


def test_if_none_match_on_a_replayed_answer_gets_304_with_its_etag_and_cors() -> None:
    app = _app(_store(3))
    client = app.test_client()
    first = client.get("/sparql", query_string={"query": COUNT})
    etag = first.headers["ETag"]
    client.get("/sparql", query_string={"query": COUNT})  # stored now
    hits = _replay(app).cache.hits
    revalidated = client.get("/sparql", query_string={"query": COUNT},
                             headers={"If-None-Match": f'W/{etag}, "other"'})
    assert _replay(app).cache.hits == hits + 1
    assert revalidated.status_code == 304
    assert revalidated.data == b""
    assert revalidated.headers["ETag"] == etag
    assert revalidated.headers["Access-Control-Allow-Origin"] == "*"
    stale = client.get("/sparql", query_string={"query": COUNT},
                       headers={"If-None-Match": '"not-this-one"'})
    assert stale.status_code == 200 and stale.data == first.data


def test_a_change_of_data_is_never_hidden_by_a_replayed_answer() -> None:
    store = _store(3)
    client = _app(store).test_client()
    assert _count(client) == 3
    assert _count(client) == 3
    _load(store, ["new"])
    assert _count(client) == 4


def test_posted_queries_are_replayed_by_body_and_reach_the_route_intact() -> None:
    app = _app(_store(2))
    client = app.test_client()
    kinds = {"content_type": "application/sparql-query",
             "headers": {"Accept": "text/csv"}}
    first = client.post("/sparql", data=COUNT, **kinds)
    assert first.status_code == 200 and first.data.decode().splitlines() == ["n", "2"]
    hits = _replay(app).cache.hits
    assert client.post("/sparql", data=COUNT, **kinds).data == first.data
    assert _replay(app).cache.hits == hits + 1
    other = client.post("/sparql", data="ASK { ?s ?p ?o }", **kinds)
    assert other.status_code == 406  # ASK cannot be CSV: a different body, a different answer
    form = client.post("/sparql", data={"query": COUNT}, headers={"Accept": "text/csv"})
    assert form.data == first.data


@pytest.mark.parametrize(
    "query",
    ["SELECT * WHERE { ?s ?p }", "SELECT (RAND() AS ?r) WHERE {}"],
    ids=["syntax-error", "volatile"],
)
def test_errors_and_volatile_answers_are_not_replayed(query: str) -> None:
    app = _app(_store(1))
    client = app.test_client()
    for _ in range(2):
        client.get("/sparql", query_string={"query": query})
    assert len(_replay(app).cache) == 0


def test_a_post_without_content_length_passes_through_with_its_stream_untouched() -> None:
    seen: dict[str, Any] = {}

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        seen["input"] = environ["wsgi.input"]
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    stream = io.BytesIO(b"query=ASK%7B%7D")
    replay = AnswerReplay(app, lambda: "g", max_entries=10, max_bytes=1 << 20)
    environ = {"REQUEST_METHOD": "POST", "PATH_INFO": "/sparql", "wsgi.input": stream,
               "CONTENT_TYPE": "application/x-www-form-urlencoded"}
    assert list(replay(environ, lambda *a: None)) == [b"ok"]
    assert seen["input"] is stream and stream.tell() == 0


def test_with_the_cache_off_nothing_is_replayed() -> None:
    app = _app(_store(1), CACHE_ENTRIES=0)
    assert not isinstance(app.wsgi_app, AnswerReplay)
