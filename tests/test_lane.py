"""The query lane answers ``/sparql`` queries in front of Flask exactly as the route would,
and replays repeated requests from memory."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from rdflib import Literal, URIRef
from spacekg.app import create_app
from spacekg.http.lane import QueryLane
from spacekg.query.cache import ResultCache
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


def _replays(app: Flask) -> ResultCache:  # type: ignore[type-arg]
    assert isinstance(app.wsgi_app, QueryLane) and app.wsgi_app.replays is not None
    return app.wsgi_app.replays


def _count(client: FlaskClient, **kwargs: Any) -> int:
    response = client.get("/sparql", query_string={"query": COUNT}, **kwargs)
    assert response.status_code == 200
    return int(json.loads(response.data)["results"]["bindings"][0]["n"]["value"])


def test_a_repeated_request_gets_the_same_status_headers_and_bytes_from_memory() -> None:
    app = _app(_store(3))
    client = app.test_client()
    headers = {"Accept": "application/sparql-results+json", "Origin": "http://ui.example"}
    first = client.get("/sparql", query_string={"query": COUNT}, headers=headers)
    hits = _replays(app).hits
    second = client.get("/sparql", query_string={"query": COUNT}, headers=headers)
    assert _replays(app).hits == hits + 1
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
    hits = _replays(app).hits
    revalidated = client.get("/sparql", query_string={"query": COUNT},
                             headers={"If-None-Match": f'W/{etag}, "other"'})
    assert _replays(app).hits == hits + 1
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
    hits = _replays(app).hits
    assert client.post("/sparql", data=COUNT, **kinds).data == first.data
    assert _replays(app).hits == hits + 1
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
    assert len(_replays(app)) == 0


def test_a_post_without_content_length_passes_through_with_its_stream_untouched() -> None:
    seen: dict[str, Any] = {}

    def inner(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        seen["input"] = environ["wsgi.input"]
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    lane = _app(_store(1)).wsgi_app
    assert isinstance(lane, QueryLane)
    lane.wsgi_app = inner
    stream = io.BytesIO(b"query=ASK%7B%7D")
    environ = {"REQUEST_METHOD": "POST", "PATH_INFO": "/sparql", "wsgi.input": stream,
               "CONTENT_TYPE": "application/x-www-form-urlencoded"}
    assert list(lane(environ, lambda *a: None)) == [b"ok"]
    assert seen["input"] is stream and stream.tell() == 0


def test_with_the_cache_off_nothing_is_replayed_but_queries_are_answered() -> None:
    app = _app(_store(2), CACHE_ENTRIES=0)
    assert isinstance(app.wsgi_app, QueryLane) and app.wsgi_app.replays is None
    client = app.test_client()
    assert _count(client) == _count(client) == 2


REQUESTS: list[dict[str, Any]] = [
    {"method": "GET", "query_string": {"query": COUNT}},
    {"method": "GET", "query_string": {"query": COUNT, "format": "csv"}},
    {"method": "GET", "query_string": {"query": "ASK { ?s ?p ?o }"},
     "headers": {"Accept": "application/sparql-results+xml"}},
    {"method": "GET", "query_string": {"query": "CONSTRUCT WHERE { ?s ?p ?o }"},
     "headers": {"Accept": "text/turtle;q=0.5, application/n-triples"}},
    {"method": "GET", "query_string": {"query": "SELECT * WHERE { ?s ?p ?o }"},
     "headers": {"Accept": "text/tab-separated-values"}},
    {"method": "POST", "data": COUNT, "content_type": "application/sparql-query"},
    {"method": "POST", "data": {"query": COUNT, "default-graph-uri": EX + "g"}},
    {"method": "GET", "query_string": {"query": "SELECT (RAND() AS ?r) WHERE {}"}},
]


@pytest.mark.parametrize("kwargs", REQUESTS, ids=lambda k: f"{k['method']}-{len(str(k))}")
@pytest.mark.parametrize("max_rows", [0, 2])
def test_the_lane_answers_exactly_as_the_flask_route(kwargs: dict[str, Any], max_rows: int) -> None:
    app = _app(_store(4), MAX_ROWS=max_rows, CACHE_ENTRIES=0)
    lane = app.wsgi_app
    assert isinstance(lane, QueryLane)
    via_lane = app.test_client().open("/sparql", **kwargs)
    app.wsgi_app = lane.wsgi_app  # the route alone
    via_route = app.test_client().open("/sparql", **kwargs)
    assert via_lane.status == via_route.status
    volatile = "RAND" in str(kwargs)  # a new number each time, maybe of another length
    if not volatile:
        assert via_lane.data == via_route.data

    def headers(response: Any) -> list[tuple[str, str]]:
        return sorted(h for h in response.headers.items()
                      if not (volatile and h[0] == "Content-Length"))

    assert headers(via_lane) == headers(via_route)


@pytest.mark.parametrize(
    ("query", "accept", "status", "kind"),
    [
        ("SELECT * WHERE { ?s ?p }", "application/json", 400, "QuerySyntaxError"),
        ("SELECT * WHERE { SERVICE <http://127.0.0.1/> { ?s ?p ?o } }", "application/json",
         403, "UnsafeQuery"),
        ("ASK {}", "text/csv", 406, "NotAcceptable"),
    ],
)
def test_a_request_failing_in_the_lane_gets_the_routes_error_answer(
    query: str, accept: str, status: int, kind: str
) -> None:
    client = _app(_store(1)).test_client()
    response = client.get("/sparql", query_string={"query": query},
                          headers={"Accept": accept, "Origin": "http://ui.example"})
    assert response.status_code == status
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    if response.is_json:
        assert response.get_json()["error"]["type"] == kind
    else:
        assert str(status) in response.get_data(as_text=True)


def test_a_timed_out_query_is_answered_503_and_evaluated_once() -> None:
    store = _store(1)
    calls: list[str] = []
    original = store.query

    def slow_query(sparql: str, **kwargs: Any) -> Any:
        calls.append(sparql)
        import time

        time.sleep(0.6)
        return original(sparql, **kwargs)

    store.query = slow_query  # type: ignore[method-assign]
    client = _app(store, QUERY_TIMEOUT=0.2, RUNAWAY_GRACE=5).test_client()
    response = client.get("/sparql", query_string={"query": COUNT},
                          headers={"Accept": "application/json"})
    assert response.status_code == 503
    assert response.get_json()["error"]["type"] == "QueryTimeout"
    assert len(calls) == 1


def test_a_get_with_a_body_is_refused_as_the_route_refuses_it() -> None:
    client = _app(_store(1)).test_client()
    response = client.get("/sparql", query_string={"query": COUNT}, data=b"query=ASK{}",
                          content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert "must not have a body" in response.get_data(as_text=True)
