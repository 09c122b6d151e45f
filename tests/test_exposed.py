"""Exposed on the internet (issue 17): anonymous clients cannot get a wrong answer served,
starve others, grow the server's memory, hold connections, get past the SERVICE check by
spelling, or put their Host header into a response; every answer carries security headers.

The figures (latencies under heavy load, memory under a flood, idle sockets) are measured by
``bench/hostile.py``; these tests pin the behaviour."""

from __future__ import annotations

import resource
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from live_server import live_server
from spacekg.app import create_app
from spacekg.build.pipeline import BuildResult
from spacekg.errors import ConfigError, Overloaded, QueryTimeout, TooManyRequests, UnsafeQuery
from spacekg.http.edge import CONTENT_SECURITY_POLICY, parse_base_url
from spacekg.query import negotiate
from spacekg.query.cache import ResultCache
from spacekg.query.processes import ProcessRunner
from spacekg.sparql import _MEMO, analyse, inspect_query
from spacekg.stores import open_store
from spacekg.stores.oxigraph import OxigraphStore

JSON = {"Accept": "application/sparql-results+json"}
EX = "http://example.org/x/"

# --- the cache key --------------------------------------------------------------------------

#: Queries with numbers, IRIs, strings, VALUES, comments and prefixed names in them: a space,
#: a tab or a line break put anywhere in one may or may not change what the engine reads.
TEMPLATES = [
    "SELECT ?x WHERE { VALUES ?x { 56 0.5 1e3 -7 } }",
    "SELECT ?x WHERE { VALUES ?x { 77 } } # a comment 5 6",
    'SELECT ?o WHERE { ?s <http://example.org/x/p> ?o FILTER(?o != "a  b") }',
    "SELECT ?s WHERE { ?s <http://example.org/x/p> 12 }",
    "SELECT ?o WHERE { <http://example.org/x/s1> <http://example.org/x/p> ?o }",
    'SELECT (CONCAT("x y", "z") AS ?c) WHERE {}',
    "PREFIX ex: <http://example.org/x/> SELECT ?o WHERE { ex:s1 ex:p ?o } LIMIT 10",
    'SELECT ?v WHERE { VALUES ?v { "56" \'5 6\' """a\nb""" } }',
    "SELECT (1.5 + 2 AS ?n) WHERE {} # end\rLIMIT 0",
    "ASK { ?s ?p 3.14 }",
]


def _answer(store: ox.Store, query: str) -> object:
    """What the engine answers to ``query``: its rows (or boolean), or that it refused."""
    try:
        result = store.query(query)
    except (SyntaxError, ValueError, OSError) as exc:
        return ("error", type(exc).__name__)
    if isinstance(result, ox.QueryBoolean):
        return bool(result)
    return sorted(tuple(str(row[v]) for v in result.variables) for row in result)


@pytest.fixture(scope="module")
def tiny() -> ox.Store:
    store = ox.Store()
    s1, p = ox.NamedNode(EX + "s1"), ox.NamedNode(EX + "p")
    for value in (ox.Literal("a  b"), ox.Literal("a b"), ox.Literal("12", datatype=ox.NamedNode(
            "http://www.w3.org/2001/XMLSchema#integer")), ox.Literal("56")):
        store.add(ox.Quad(s1, p, value))
    return store


@settings(max_examples=400, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    template=st.sampled_from(TEMPLATES),
    position=st.integers(min_value=0, max_value=200),
    blank=st.sampled_from([" ", "  ", "\t", "\n", "\r"]),
)
def test_two_queries_share_a_cache_key_only_when_the_engine_answers_alike(
    tiny: ox.Store, template: str, position: int, blank: str
) -> None:
    changed = template[: position % (len(template) + 1)] + blank + template[
        position % (len(template) + 1):]
    same_key = analyse(template).key == analyse(changed).key
    if same_key:
        assert _answer(tiny, template) == _answer(tiny, changed), (template, changed)


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("SELECT ?x { VALUES ?x { 56 } }", "SELECT ?x { VALUES ?x { 5 6 } }"),
        ("SELECT ?x { VALUES ?x { 0.5 } }", "SELECT ?x { VALUES ?x { 0 .5 } }"),
        ("SELECT ?x { VALUES ?x { 77 } }", "SELECT ?x { VALUES ?x { 7 7 } }"),
        ('SELECT ?x { VALUES ?x { "a b" } }', 'SELECT ?x { VALUES ?x { "a  b" } }'),
        ("SELECT ?x { VALUES ?x { <http://e/a> } } # x\r LIMIT 0",
         "SELECT ?x { VALUES ?x { <http://e/a> } } # x LIMIT 0"),
    ],
)
def test_queries_a_space_apart_get_their_own_answers_and_etags(
    first: str, second: str
) -> None:
    client = create_app({"TESTING": True, "STORE": OxigraphStore()}).test_client()
    one = client.get("/sparql", query_string={"query": first}, headers=JSON)
    two = client.get("/sparql", query_string={"query": second}, headers=JSON)
    assert one.status_code == two.status_code == 200
    assert one.json != two.json
    assert one.headers["ETag"] != two.headers["ETag"]
    # the first answer's ETag does not validate the second query
    again = client.get("/sparql", query_string={"query": second},
                       headers={**JSON, "If-None-Match": one.headers["ETag"]})
    assert again.status_code == 200 and again.json == two.json


def test_reindented_copies_of_a_query_share_their_key() -> None:
    indented = "SELECT * {\n  ?s ?p ?o . # all\n}"
    assert analyse(indented).key == analyse("SELECT * { ?s ?p ?o . }").key


# --- memory ---------------------------------------------------------------------------------


def test_long_query_texts_are_not_kept_by_the_analysis_memo() -> None:
    before = len(_MEMO._items)
    for n in range(20):
        analyse(f"ASK {{ ?s ?p {n} }} #" + "x" * 100_000)
    assert len(_MEMO._items) == before


def test_the_result_cache_counts_its_keys_bytes() -> None:
    class Key:
        def __init__(self, n: int) -> None:
            self.generation, self.text = "g", f"{n}" + "q" * 100_000

        @property
        def nbytes(self) -> int:
            return len(self.text)

        def __hash__(self) -> int:
            return hash(self.text)

        def __eq__(self, other: object) -> bool:
            return isinstance(other, Key) and other.text == self.text

    class Answer:
        body = b"tiny"

    cache: ResultCache = ResultCache(max_entries=10_000, max_bytes=1_000_000)
    for n in range(100):
        cache.put(Key(n), Answer())
    assert cache.nbytes <= 1_000_000
    assert 0 < len(cache) <= 10


# --- the SERVICE check reads what the engines read ------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * { ?s ?p ?o # a comment\rSERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }",
        'SELECT * { ?s ?p "\\u005C" " . SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }',
        'SELECT * { ?s ?p "\\u005C" . SERVICE <http://127.0.0.1:9/> {} } #"',
        "SELECT * { \\u0053ERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }",
    ],
)
def test_service_spelt_for_one_engine_only_is_refused(query: str) -> None:
    with pytest.raises(UnsafeQuery, match="SERVICE is not allowed"):
        inspect_query(query)


@pytest.mark.parametrize("store", ["oxigraph", "memory"])
def test_a_refused_service_is_a_403_with_a_plain_message(store: str) -> None:
    client = create_app({"TESTING": True, "STORE": store}).test_client()
    query = "SELECT * { ?s ?p ?o # x\rSERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }"
    response = client.get("/sparql", query_string={"query": query})
    assert response.status_code == 403
    assert response.mimetype == "text/plain"
    assert "SERVICE is not allowed" in response.text
    assert "seccomp" not in response.text and "os error" not in response.text


def test_nesting_hidden_behind_an_escaped_backslash_is_refused() -> None:
    client = create_app({"TESTING": True, "STORE": "oxigraph"}).test_client()
    query = 'ASK { FILTER("\\u005C" = "' + "(" * 20_000 + '") }'
    response = client.post("/sparql", data=query.encode(),
                           headers={"Content-Type": "application/sparql-query"})
    assert response.status_code == 400
    assert "nests brackets" in response.text


# --- the Host header and security headers ---------------------------------------------------


@pytest.fixture(scope="module")
def report_app(built: BuildResult) -> Flask:
    return create_app({
        "TESTING": True,
        "STORE": f"oxigraph:{built.oxigraph_path}",
        "BASE_URL": "https://kg.example.org/",
    })


@pytest.fixture
def report(report_app: Flask) -> FlaskClient:
    return report_app.test_client()


PAGES = ["/", "/sparql", "/sparql?query=ASK%7B%7D", "/id/agency/cnsa", "/explore",
         "/download", "/.well-known/void", "/id//agency/cnsa", "/no/such/page"]


@pytest.mark.parametrize("path", PAGES)
def test_a_clients_host_header_reaches_no_response(report: FlaskClient, path: str) -> None:
    response = report.get(path, headers={"Host": "evil.example", "Accept": "text/html",
                                         "X-Forwarded-Host": "evil2.example"})
    everything = str(response.headers) + response.get_data(as_text=True)
    assert "evil" not in everything
    if response.status_code in (301, 302, 303, 307, 308):
        assert response.headers["Location"].startswith("https://kg.example.org/")


def test_the_service_description_names_the_configured_base_url(report: FlaskClient) -> None:
    response = report.get("/sparql", headers={"Host": "evil.example", "Accept": "text/turtle"})
    assert "<https://kg.example.org/sparql>" in response.text


@pytest.mark.parametrize("path", PAGES)
def test_every_answer_carries_the_security_headers(report: FlaskClient, path: str) -> None:
    response = report.get(path, headers={"Accept": "text/html"})
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert "frame-ancestors 'none'" in CONTENT_SECURITY_POLICY
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_pages_have_no_inline_script_the_policy_would_block(report: FlaskClient) -> None:
    for path in ("/", "/sparql", "/id/agency/cnsa", "/explore", "/partnerships"):
        html = report.get(path, headers={"Accept": "text/html"}).get_data(as_text=True)
        for tag in html.split("<script")[1:]:
            head = tag.split(">", 1)[0]
            assert " src=" in head or 'type="application/json"' in head, (path, head)
        assert " onclick=" not in html and " onload=" not in html


@pytest.mark.parametrize(
    "value", ["evil.example", "ftp://x/", "http://", "https://a.example/?q=1", "http://a:b@c/"]
)
def test_a_base_url_that_is_no_http_url_is_refused(value: str) -> None:
    with pytest.raises(ConfigError, match="BASE_URL"):
        parse_base_url(value)


def test_serve_refuses_a_bad_base_url_with_exit_code_2() -> None:
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "spacekg.cli", "serve", "--no-report", "--store", "memory",
         "--base-url", "evil.example"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "BASE_URL must be an http(s) URL" in result.stderr
    assert "Traceback" not in result.stderr


# --- fair shares ----------------------------------------------------------------------------

#: Runs to any time limit on the report: three unconstrained patterns joined.
HEAVY = "SELECT (COUNT(*) AS ?n) {{ ?a ?b ?c . ?d ?e ?f . ?g ?h ?i FILTER(?i != {n}) }}"


@pytest.fixture
def runner(built: BuildResult) -> Iterator[tuple[ProcessRunner, object]]:
    config = {"STORE": f"oxigraph:{built.oxigraph_path}", "BASE_IRI": None,
              "DATASET_FILES": [], "GRAPHS": []}
    store = open_store(config["STORE"], read_only=True)
    runner = ProcessRunner(config, processes=1, timeout=20, long_slots=2, client_share=1,
                           fast_budget=0.3)
    try:
        yield runner, store
    finally:
        runner.close()


def test_a_client_past_its_share_of_long_queries_gets_429(runner: tuple) -> None:
    pool, store = runner
    fmt = negotiate.choose(negotiate.offers_for("SELECT"), "application/sparql-results+json", ())
    outcomes: list[str] = []

    def heavy(n: int) -> None:
        try:
            pool.run_query(store, HEAVY.format(n=n), fmt, client="attacker", timeout=8)
            outcomes.append("answered")
        except (TooManyRequests, Overloaded, QueryTimeout) as exc:
            outcomes.append(type(exc).__name__)

    threads = [threading.Thread(target=heavy, args=(n,)) for n in range(3)]
    for thread in threads:
        thread.start()
    # while the attacker's long query runs, someone else's short one is answered
    time.sleep(2)
    assert any(thread.is_alive() for thread in threads)
    cheap = pool.run_query(store, "ASK { ?s ?p 12345 }", fmt, client="reader")
    assert b"false" in cheap.body
    assert any(thread.is_alive() for thread in threads)  # answered before the heavy ones ended
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["QueryTimeout", "TooManyRequests", "TooManyRequests"]


def test_a_query_that_went_long_is_judged_again_before_it_takes_a_process(
    runner: tuple,
) -> None:
    pool, store = runner
    fmt = negotiate.choose(negotiate.offers_for("SELECT"), "application/sparql-results+json", ())
    query = HEAVY.format(n=-1)
    done = threading.Event()

    def first() -> None:
        try:
            pool.run_query(store, query, fmt, client="a", timeout=6)
        except QueryTimeout:
            done.set()

    thread = threading.Thread(target=first)
    thread.start()
    time.sleep(1.5)  # past its budget: it is long now, and remembered
    started = pool.processes_started
    with pytest.raises(TooManyRequests):
        pool.run_query(store, query, fmt, client="a")
    assert pool.processes_started == started  # refused without taking or starting a process
    thread.join()
    assert done.is_set()


# --- connections ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server(built: BuildResult) -> Iterator[str]:
    with live_server("--build-dir", str(built.build_dir), ready_within=120) as base:
        yield base


def test_a_silent_connection_is_closed_by_the_server(server: str) -> None:
    port = int(server.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.settimeout(60)
        assert sock.recv(1) == b""  # closed, never answered


def test_a_connection_idle_after_an_answer_is_closed(server: str) -> None:
    port = int(server.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.settimeout(60)
        sock.sendall(b"GET /sparql?query=ASK%7B%7D HTTP/1.1\r\nHost: x\r\n\r\n")
        first = sock.recv(65536)
        assert first.startswith(b"HTTP/1.1 200")
        while sock.recv(65536):
            pass  # the rest of the answer, then the server closes the idle connection


def test_thousands_of_silent_sockets_leave_a_fresh_client_answered(server: str) -> None:
    port = int(server.rsplit(":", 1)[1])
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    count = min(2_100, hard - 200)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, count + 500), hard))
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket()
            sock.setblocking(False)
            try:
                sock.connect(("127.0.0.1", port))
            except BlockingIOError:
                pass
            sockets.append(sock)
        time.sleep(1)
        response = requests.get(server + "/sparql", params={"query": "ASK {}"}, headers=JSON,
                                timeout=30)
        assert response.status_code == 200 and response.json()["boolean"] is True
    finally:
        for sock in sockets:
            sock.close()
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def test_a_flood_of_distinct_large_queries_leaves_ordinary_queries_answered(
    server: str,
) -> None:
    padding = " #" + "x" * 900_000 + "\n"
    for n in range(40):
        response = requests.post(
            server + "/sparql", data=f"ASK {{ ?s ?p {n} }}{padding}".encode(), timeout=60,
            headers={**JSON, "Content-Type": "application/sparql-query"})
        assert response.status_code == 200
    statuses = [requests.get(server + "/sparql", params={"query": f"ASK {{ ?s ?p {n} }}"},
                             headers=JSON, timeout=30).status_code for n in range(20)]
    assert statuses == [200] * 20


def test_the_readme_documents_the_exposed_server() -> None:
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    section = readme.split("## Exposed on the internet", 1)[1].split("\n## ", 1)[0]
    for term in ("--base-url", "429", "Retry-After", "Content-Security-Policy", "5 s"):
        assert term in section
    assert len(section) > 1500  # a section, not a line
