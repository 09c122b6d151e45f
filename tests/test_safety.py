"""The endpoint survives bad input with the right status and keeps answering: malformed
queries, wrong media types, bad encodings, huge bodies, updates, SERVICE and FROM aimed at
loopback or private addresses, a query that runs forever, and eight clients at once."""

from __future__ import annotations

import http.server
import json
import os
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient
from live_server import (
    AGENCIES_GRAPH,
    EX,
    FIXTURES,
    MISSIONS_GRAPH,
    fixture_graph_args,
    live_server,
)
from spacekg.app import create_app
from spacekg.errors import QuerySyntaxError, UnsafeQuery, UpdateRefused
from spacekg.sparql import inspect_query

# Ten VALUES blocks of ten values: 10^10 solutions to count before the first row comes out.
FOREVER = (
    "SELECT (COUNT(*) AS ?n) WHERE { "
    + " ".join(f"VALUES ?v{i} {{ 0 1 2 3 4 5 6 7 8 9 }}" for i in range(10))
    + " }"
)


# --- the query inspector --------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }",
        "select * { service <http://10.0.0.1/> { ?s ?p ?o } }",
        "PREFIX ex: <http://x/> SELECT * { ?a ex:b ?c SERVICE SILENT <http://169.254.169.254/> {}}",
        "SELECT * { SeRvIcE ?endpoint { ?s ?p ?o } }",
        "ASK { SERVICE <http://[::1]/> { } }",
        "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o SERVICE<http://192.168.1.1/>{?s ?p ?o} }",
    ],
)
def test_service_is_refused_wherever_it_appears(query: str) -> None:
    with pytest.raises(UnsafeQuery, match="SERVICE"):
        inspect_query(query)


@pytest.mark.parametrize(
    "query",
    [
        'SELECT * { ?s ?p "SERVICE" }',
        "SELECT ?service { ?service a <http://example.org/SERVICE> }",
        "PREFIX service: <http://x/> SELECT * { ?s service:SERVICE ?o }",
        "SELECT * { ?s ?p ?o } # SERVICE <http://127.0.0.1/>",
        "SELECT * { ?s ?p '''a SERVICE\nin a long string''' }",
    ],
)
def test_the_word_service_in_data_is_not_refused(query: str) -> None:
    assert inspect_query(query).form == "SELECT"


@pytest.mark.parametrize(
    "update",
    [
        "INSERT DATA { <http://a> <http://b> <http://c> }",
        "DELETE WHERE { ?s ?p ?o }",
        "LOAD <file:///etc/passwd>",
        "LOAD <http://127.0.0.1:9/data.ttl> INTO GRAPH <http://g>",
        "CLEAR ALL",
        "DROP GRAPH <http://g>",
        "CREATE GRAPH <http://g>",
        "PREFIX ex: <http://x/> WITH <http://g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }",
        "BASE <http://x/> COPY DEFAULT TO <g>",
    ],
)
def test_updates_are_refused_as_read_only(update: str) -> None:
    with pytest.raises(UpdateRefused, match="read-only"):
        inspect_query(update)


def test_text_that_is_no_query_is_a_syntax_error_with_position() -> None:
    with pytest.raises(QuerySyntaxError) as info:
        inspect_query("PREFIX ex: <http://x/>\n  FETCH ex:a")
    assert (info.value.line, info.value.column) == (2, 3)


# --- through the app ----------------------------------------------------------------


class _Recorder(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        _Recorder.hits.append(self.path)
        body = b"<http://evil/s> <http://evil/p> <http://evil/o> .\n"
        self.send_response(200)
        self.send_header("Content-Type", "text/turtle")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_POST = do_GET  # noqa: N815

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture
def bait() -> Iterator[str]:
    """A loopback HTTP server that records every request: nothing should reach it."""
    _Recorder.hits = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(params=["oxigraph", "memory"])
def app(request: pytest.FixtureRequest) -> Flask:
    return create_app(
        {
            "TESTING": True,
            "STORE": request.param,
            "MAX_REQUEST_BYTES": 20_000,
            "GRAPHS": {
                AGENCIES_GRAPH: str(FIXTURES / "agencies.ttl"),
                MISSIONS_GRAPH: str(FIXTURES / "missions.nt"),
            },
        }
    )


@pytest.fixture
def client(app: Flask) -> Iterator[FlaskClient]:
    client = app.test_client()
    yield client
    # whatever came before, the endpoint still answers
    after = client.get("/sparql", query_string={"query": f"ASK {{ <{EX}agency-a> ?p ?o }}"})
    assert after.status_code == 200 and json.loads(after.data)["boolean"] is True


JSON_ACCEPT = {"Accept": "application/sparql-results+json"}


@pytest.mark.parametrize(
    ("query", "line", "column"),
    [
        ("SELECT * WHERE { ?s ?p ", 1, None),
        ("SELECT * WHERE {\n  ?s ?p ?o .\n  FILTER( }", 3, None),
        ("ASK {", 1, None),
        ("SELEC * { }", 1, 1),
        ('SELECT ?x WHERE { ?x <http://a> "unterminated }', 1, None),
    ],
)
def test_malformed_query_is_400_with_message_and_position(
    client: FlaskClient, query: str, line: int, column: int | None
) -> None:
    response = client.get("/sparql", query_string={"query": query}, headers=JSON_ACCEPT)
    assert response.status_code == 400
    error = json.loads(response.data)["error"]
    assert error["type"] == "QuerySyntaxError"
    assert error["line"] == line
    assert isinstance(error["column"], int)
    if column is not None:
        assert error["column"] == column
    assert error["message"]


def test_malformed_query_in_text_names_the_position(client: FlaskClient) -> None:
    response = client.get("/sparql", query_string={"query": "ASK {"})
    assert response.status_code == 400
    assert response.mimetype == "text/plain"
    assert "error at 1:" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("content_type", "body", "status"),
    [
        ("text/plain", b"ASK {}", 415),
        ("application/json", b'{"query": "ASK {}"}', 415),
        ("multipart/form-data; boundary=x", b"--x--", 415),
        (None, b"query=ASK%20%7B%7D", 415),
        ("application/sparql-query; charset=UTF-16", "ASK {}".encode("utf-16"), 415),
        ("application/sparql-query", b"ASK { ?s ?p \xff\xfe }", 400),
        ("application/x-www-form-urlencoded", b"query=ASK%20%7B%20%22%FF%22%20%7D", 400),
        ("application/x-www-form-urlencoded; charset=latin-1", b"query=ASK%20%7B%7D", 415),
        ("application/sparql-query", b"", 400),
        ("application/x-www-form-urlencoded", b"nothing=here", 400),
        ("application/x-www-form-urlencoded", b"query=ASK%7B%7D&query=ASK%7B%7D", 400),
    ],
)
def test_bad_post_bodies_get_4xx(
    client: FlaskClient, content_type: str | None, body: bytes, status: int
) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    response = client.post("/sparql", data=body, headers=headers)
    assert response.status_code == status, response.get_data(as_text=True)


def test_non_utf8_query_string_is_400(client: FlaskClient) -> None:
    response = client.get("/sparql?query=ASK%20%7B%20%22%C3%28%22%20%7D")
    assert response.status_code == 400
    assert "UTF-8" in response.get_data(as_text=True)


def test_huge_body_is_413(client: FlaskClient) -> None:
    query = "ASK { " + "?s ?p ?o . " * 5_000 + "}"
    direct = client.post("/sparql", data=query, content_type="application/sparql-query")
    form = client.post("/sparql", data={"query": query})
    assert (direct.status_code, form.status_code) == (413, 413)


def test_huge_query_string_is_413(client: FlaskClient) -> None:
    response = client.get("/sparql", query_string={"query": "ASK { " + "?s ?p ?o . " * 5_000 + "}"})
    assert response.status_code == 413


@pytest.mark.parametrize(
    "request_kwargs",
    [
        {"query_string": {"update": "CLEAR ALL"}},
        {"method": "POST", "data": {"update": "INSERT DATA { <a:b> <a:c> <a:d> }"}},
        {
            "method": "POST",
            "data": b"DROP ALL",
            "content_type": "application/sparql-update",
        },
        {"query_string": {"query": "INSERT DATA { <a:b> <a:c> <a:d> }"}},
        {"query_string": {"query": "LOAD <file:///etc/passwd>"}},
    ],
)
def test_updates_are_refused_with_403(client: FlaskClient, request_kwargs: dict) -> None:  # type: ignore[type-arg]
    kwargs = dict(request_kwargs)
    method = kwargs.pop("method", "GET")
    response = client.open("/sparql", method=method, **kwargs)
    assert response.status_code == 403
    assert "read-only" in response.get_data(as_text=True)


def test_other_methods_are_405(client: FlaskClient) -> None:
    for method in ("PUT", "DELETE", "PATCH"):
        response = client.open("/sparql", method=method, query_string={"query": "ASK {}"})
        assert response.status_code == 405
        assert "GET" in response.headers["Allow"]


@pytest.mark.parametrize(
    "target",
    ["{bait}/sparql", "http://10.0.0.1/sparql", "http://169.254.169.254/latest/", "http://[::1]/"],
)
def test_service_to_loopback_and_private_addresses_is_refused(
    client: FlaskClient, bait: str, target: str
) -> None:
    query = f"SELECT * WHERE {{ SERVICE <{target.format(bait=bait)}> {{ ?s ?p ?o }} }}"
    response = client.get("/sparql", query_string={"query": query}, headers=JSON_ACCEPT)
    assert response.status_code == 403
    assert json.loads(response.data)["error"]["type"] == "UnsafeQuery"
    assert _Recorder.hits == []


@pytest.mark.parametrize("clause", ["FROM", "FROM NAMED"])
def test_from_iris_are_never_fetched(client: FlaskClient, bait: str, clause: str) -> None:
    query = f"ASK {clause} <{bait}/data.ttl> {{ <http://evil/s> ?p ?o }}"
    response = client.get("/sparql", query_string={"query": query}, headers=JSON_ACCEPT)
    assert response.status_code == 200
    assert json.loads(response.data)["boolean"] is False
    assert _Recorder.hits == []


def test_from_a_local_file_is_never_read(client: FlaskClient, tmp_path: Path) -> None:
    secret = tmp_path / "secret.nt"
    secret.write_text("<http://secret/s> <http://secret/p> <http://secret/o> .\n")
    query = f"ASK FROM <{secret.as_uri()}> {{ <http://secret/s> ?p ?o }}"
    response = client.get("/sparql", query_string={"query": query}, headers=JSON_ACCEPT)
    assert json.loads(response.data)["boolean"] is False


def test_protocol_graph_uris_are_never_fetched(client: FlaskClient, bait: str) -> None:
    response = client.get(
        "/sparql",
        query_string={"query": "ASK { ?s ?p ?o }", "default-graph-uri": f"{bait}/g.ttl"},
        headers=JSON_ACCEPT,
    )
    assert json.loads(response.data)["boolean"] is False
    assert _Recorder.hits == []


def test_cors_preflight_allows_get_and_post(client: FlaskClient) -> None:
    response = client.options(
        "/sparql",
        headers={
            "Origin": "https://yasgui.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert {"GET", "POST"} <= set(response.headers["Access-Control-Allow-Methods"].split(", "))
    assert "content-type" in response.headers["Access-Control-Allow-Headers"].lower()


def test_cors_headers_on_answers_and_errors(client: FlaskClient) -> None:
    ok = client.get("/sparql", query_string={"query": "ASK {}"}, headers={"Origin": "https://x"})
    bad = client.get("/sparql", query_string={"query": "ASK {"}, headers={"Origin": "https://x"})
    for response in (ok, bad):
        assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "ETag" in ok.headers["Access-Control-Expose-Headers"]


# --- against a live server -----------------------------------------------------------


def _cpu_seconds_of_children(master: int) -> float:
    total = 0.0
    ticks = os.sysconf("SC_CLK_TCK")
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        if int(fields[1]) == master:  # ppid
            total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def _master_pid(port: int) -> int:
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if b"serve" in cmdline and str(port).encode() in cmdline:
                return int(entry.name)
    raise LookupError(f"no server process for port {port}")


def test_query_that_runs_forever_is_stopped_while_others_are_served() -> None:
    with live_server("--no-report", "--timeout", "2", *fixture_graph_args()) as base:
        sparql = base + "/sparql"
        outcome: dict[str, object] = {}

        def runaway() -> None:
            started = time.monotonic()
            response = requests.post(
                sparql, data={"query": FOREVER}, headers=JSON_ACCEPT, timeout=60
            )
            outcome["status"] = response.status_code
            outcome["error"] = response.json()["error"]
            outcome["seconds"] = time.monotonic() - started

        thread = threading.Thread(target=runaway)
        thread.start()
        served = []
        while thread.is_alive():
            quick = requests.get(
                sparql, params={"query": f"ASK {{ <{EX}mission-1> ?p ?o }}"}, timeout=10
            )
            served.append(quick.status_code == 200 and quick.json()["boolean"] is True)
            time.sleep(0.1)
        thread.join()
        assert outcome["status"] == 503
        error = outcome["error"]
        assert isinstance(error, dict) and error["limit_seconds"] == 2.0
        assert "2 s limit" in error["message"]
        assert 2.0 <= float(outcome["seconds"]) < 6.0  # type: ignore[arg-type]
        assert len(served) >= 5 and all(served)

        # Nothing leaks: the worker that ran it is replaced and the CPU goes quiet.
        master = _master_pid(int(base.rpartition(":")[2]))
        time.sleep(4.0)
        before = _cpu_seconds_of_children(master)
        time.sleep(2.0)
        assert _cpu_seconds_of_children(master) - before < 0.5
        assert requests.get(sparql, params={"query": "ASK {}"}, timeout=10).status_code == 200


def test_eight_concurrent_clients_get_correct_answers() -> None:
    queries = [
        (
            f"SELECT ?m WHERE {{ ?m a <{EX}Mission> }} ORDER BY ?m",
            "application/sparql-results+json",
        ),
        (
            f"ASK {{ <{EX}agency-b> <{EX}partner> <{EX}agency-a> }}",
            "application/sparql-results+xml",
        ),
        (f"CONSTRUCT WHERE {{ ?m <{EX}operatedBy> ?a }}", "application/n-triples"),
        ("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", "text/csv"),
    ]
    with live_server("--no-report", *fixture_graph_args()) as base:
        sparql = base + "/sparql"

        def client(index: int) -> list[bool]:
            results = []
            with requests.Session() as session:
                for round_ in range(15):
                    query, accept = queries[(index + round_) % len(queries)]
                    if round_ % 3 == 0:
                        r = session.get(sparql, params={"query": query}, headers={"Accept": accept})
                    elif round_ % 3 == 1:
                        r = session.post(sparql, data={"query": query}, headers={"Accept": accept})
                    else:
                        r = session.post(
                            sparql,
                            data=query.encode(),
                            headers={"Accept": accept, "Content-Type": "application/sparql-query"},
                        )
                    results.append(r.status_code == 200 and _looks_right(r, accept))
            return results

        with ThreadPoolExecutor(max_workers=8) as pool:
            outcomes = [ok for batch in pool.map(client, range(8)) for ok in batch]
        assert len(outcomes) == 120 and all(outcomes)


def _looks_right(response: requests.Response, accept: str) -> bool:
    if response.headers["Content-Type"].split(";")[0] != accept:
        return False
    if accept == "application/sparql-results+json":
        return len(response.json()["results"]["bindings"]) == 2
    if accept == "application/sparql-results+xml":
        return b"<boolean>true</boolean>" in response.content
    if accept == "application/n-triples":
        return len(response.content.strip().splitlines()) == 2
    return response.text.splitlines() == ["n", "18"]
