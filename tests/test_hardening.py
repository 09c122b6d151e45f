"""Hostile clients against a live ``spacekg serve`` (issue 11): requests that try to make the
server fetch URLs, crash the engine, or eat the machine's memory. Every target is on
loopback; every loop is bounded in count and time. Assertions are about behaviour — answered,
refused, unchanged, no connection made — never about timings.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from live_server import live_server
from spacekg.build.pipeline import BuildResult

JSON = {"Accept": "application/sparql-results+json"}
TOKEN = "hardening-s3cret"
MEMORY_LIMIT = 1200 << 20


class CountingListener:
    """A loopback TCP server that counts the connections made to it (the SSRF bait): it
    answers each with a valid, empty SPARQL JSON result, so a server that did connect would
    happily return it."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self._stop = False
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        body = b'{"head":{"vars":[]},"results":{"bindings":[{}]}}'
        while not self._stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            with conn:
                conn.settimeout(1)
                try:
                    conn.recv(65536)
                    conn.sendall(
                        b"HTTP/1.1 200 OK\r\nContent-Type: application/sparql-results+json\r\n"
                        + f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
                        + body
                    )
                except OSError:
                    pass

    def close(self) -> None:
        self._stop = True
        self._thread.join(timeout=2)
        self.sock.close()


@pytest.fixture(scope="module")
def bait() -> Iterator[CountingListener]:
    listener = CountingListener()
    yield listener
    listener.close()


@pytest.fixture(scope="module")
def server(built: BuildResult) -> Iterator[str]:
    with live_server(
        "--build-dir", str(built.build_dir), "--timeout", "8",
        "--memory-limit", str(MEMORY_LIMIT), ready_within=120,
    ) as base:
        yield base


def service_obfuscations(port: int) -> list[str]:
    """``SERVICE`` written every way a token scanner might miss and the engine would not."""
    target = f"http://127.0.0.1:{port}/sparql"
    return [
        f"SELECT * {{ SERVICE <{target}> {{ ?s ?p ?o }} }}",
        f"select * {{ service <{target}> {{ ?s ?p ?o }} }}",
        f"SELECT * {{ SeRvIcE SILENT <{target}> {{ ?s ?p ?o }} }}",
        f"SELECT * {{ \\u0053ERVICE <{target}> {{ ?s ?p ?o }} }}",
        f"SELECT * {{ SERV\\u0049CE <{target}> {{ ?s ?p ?o }} }}",
        f"SELECT * {{ \\U00000053ERVICE <{target}> {{ ?s ?p ?o }} }}",
        f"SELECT * {{ SERVICE <\\u0068ttp://127.0.0.1:{port}/sparql> {{ ?s ?p ?o }} }}",
        # strings and IRIs holding delimiters, quotes and angle brackets before the SERVICE
        f"SELECT * {{ ?s ?p ?o FILTER(?o < \"a>b'\" || ?o > '<\"') SERVICE <{target}> {{}} }}",
        f"SELECT * {{ ?s ?p \"#\" . SERVICE <{target}> {{ ?s ?p ?o }} }}",
        f"SELECT * {{ ?s ?p '''a ' '' \\''' . SERVICE <{target}> {{ ?s ?p ?o }} }}",
        f"SELECT * {{ ?s ?p \"\"\"\\\"\"\"\" . SERVICE <{target}> {{ ?s ?p ?o }} }}",
        f"SELECT * {{ ?s <http://x/a#b> ?o SERVICE <{target}> {{ ?s ?p ?o }} }}",
        f"SELECT * # \"unterminated in a comment\n{{ SERVICE <{target}> {{ ?s ?p ?o }} }}",
        f"SELECT*{{SERVICE\n\t<{target}>{{?s ?p ?o}}}}",
        # a carriage return ends a comment for Oxigraph (and the grammar), not for rdflib
        f"SELECT * {{ ?s ?p ?o # a comment\rSERVICE <{target}> {{ ?s ?p ?o }} }}",
        f"SELECT * {{ ?s ?p ?o # a comment\rSERVICE SILENT <{target}> {{ ?s ?p ?o }} }}",
        # an escaped backslash: a string for one reading, code for the other
        f"SELECT * {{ ?s ?p \"\\u005C\" \" . SERVICE <{target}> {{ ?s ?p ?o }} }}",
        f"SELECT * {{ ?s ?p \"\\u005C\" . SERVICE <{target}> {{ ?s ?p ?o }} }} #\"",
        # the service IRI from a variable, a prefix, a base
        f"SELECT * {{ VALUES ?x {{ <{target}> }} SERVICE ?x {{ ?s ?p ?o }} }}",
        f"SELECT * {{ BIND(<{target}> AS ?x) SERVICE ?x {{ ?s ?p ?o }} }}",
        f"PREFIX b: <http://127.0.0.1:{port}/> SELECT * {{ SERVICE b:sparql {{ ?s ?p ?o }} }}",
        f"BASE <http://127.0.0.1:{port}/> SELECT * {{ SERVICE <sparql> {{ ?s ?p ?o }} }}",
        # nested: sub-queries, EXISTS, OPTIONAL, UNION, MINUS, GRAPH
        f"SELECT * {{ {{ SELECT * {{ {{ SELECT * {{ SERVICE <{target}> {{ ?s ?p ?o }} }} }} }} }}"
        " }",
        f"ASK {{ FILTER EXISTS {{ SERVICE <{target}> {{ ?s ?p ?o }} }} }}",
        f"SELECT * {{ ?a ?b ?c OPTIONAL {{ SERVICE <{target}> {{ ?s ?p ?o }} }} }}",
        f"SELECT * {{ {{ ?a ?b ?c }} UNION {{ SERVICE <{target}> {{ ?s ?p ?o }} }} }}",
        f"SELECT * {{ ?a ?b ?c MINUS {{ SERVICE <{target}> {{ ?a ?b ?c }} }} }}",
        f"SELECT * {{ GRAPH ?g {{ SERVICE <{target}> {{ ?s ?p ?o }} }} }}",
        f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ SERVICE <{target}> {{ ?s ?p ?o }} }}",
        f"DESCRIBE ?s WHERE {{ SERVICE <{target}> {{ ?s ?p ?o }} }}",
    ]


def update_obfuscations(port: int) -> list[str]:
    source = f"http://127.0.0.1:{port}/data.ttl"
    return [
        f"LOAD <{source}>",
        f"load silent <{source}> into graph <http://example.org/g>",
        f"\\u004cOAD <{source}>",
        f"LO\\u0041D <{source}>",
        f"INSERT DATA {{ GRAPH <http://example.org/g> {{ <http://example.org/a> "
        f"<http://example.org/b> \"LOAD\" }} }} ; LOAD <{source}>",
        f"CLEAR SILENT GRAPH <http://example.org/none> ; LOAD <{source}> ; "
        "DROP SILENT GRAPH <http://example.org/none>",
        f"INSERT {{ GRAPH <http://example.org/g> {{ ?s ?p ?o }} }} "
        f"WHERE {{ SERVICE <http://127.0.0.1:{port}/sparql> {{ ?s ?p ?o }} }}",
        f"DELETE {{ ?s ?p ?o }} WHERE {{ VALUES ?x {{ <http://127.0.0.1:{port}/> }} "
        "SERVICE ?x { ?s ?p ?o } }",
        f"PREFIX d: <http://127.0.0.1:{port}/> LOAD d:data.ttl",
        f"# a comment\rLOAD <{source}>",
        f"INSERT DATA {{ GRAPH <http://example.org/g> {{ <http://example.org/a> "
        f"<http://example.org/b> \"\\u005C\" }} }} ; LOAD <{source}>",
        "# a comment\rCLEAR ALL",
        "DROP SILENT\tALL",
    ]


def _send_every_way(sparql: str, query: str) -> list[requests.Response]:
    return [
        requests.get(sparql, params={"query": query}, headers=JSON, timeout=30),
        requests.post(sparql, data={"query": query}, headers=JSON, timeout=30),
        requests.post(
            sparql, data=query.encode(),
            headers={**JSON, "Content-Type": "application/sparql-query"}, timeout=30,
        ),
    ]


def test_service_obfuscations_are_refused_and_connect_nowhere(
    server: str, bait: CountingListener
) -> None:
    before = bait.connections
    for query in service_obfuscations(bait.port):
        for response in _send_every_way(server + "/sparql", query):
            assert response.status_code in (400, 403), (query, response.text)
            assert response.json()["error"]["type"] in ("UnsafeQuery", "QuerySyntaxError")
    assert bait.connections == before == 0
    # the same server still answers ordinary queries
    ok = requests.get(server + "/sparql", params={"query": "ASK {}"}, headers=JSON, timeout=10)
    assert ok.status_code == 200 and ok.json()["boolean"] is True


def test_the_word_service_in_strings_and_names_is_still_answered(server: str) -> None:
    query = (
        'SELECT ?service WHERE { BIND("SERVICE <http://127.0.0.1:9/> {}" AS ?service) '
        "?x <http://example.org/service> ?y } "
    )
    response = requests.get(server + "/sparql", params={"query": query}, headers=JSON, timeout=10)
    assert response.status_code == 200
    assert response.json()["results"]["bindings"] == []


def test_query_processes_cannot_connect_even_when_asked_directly(
    built: BuildResult, bait: CountingListener
) -> None:
    """The second wall: a SERVICE query handed straight to a query process (as if the parse
    check had missed it) fails inside the engine, and nothing reaches the listener."""
    from spacekg.errors import QueryError
    from spacekg.query import negotiate
    from spacekg.query.processes import ProcessRunner
    from spacekg.stores import OUTSIDE_REFUSED, open_store

    config = {"STORE": f"oxigraph:{built.oxigraph_path}", "BASE_IRI": None,
              "DATASET_FILES": [], "GRAPHS": []}
    store = open_store(config["STORE"], read_only=True)
    runner = ProcessRunner(config, processes=1, timeout=20)
    fmt = negotiate.choose(negotiate.offers_for("SELECT"), "application/sparql-results+json", ())
    before = bait.connections
    refused = 0
    try:
        for query in service_obfuscations(bait.port):
            # SILENT turns the failure into an empty answer, an empty join side skips the
            # call, some are not SPARQL to Oxigraph: those answer or fail otherwise
            try:
                runner.run_query(store, query, fmt)
            except QueryError as exc:
                refused += str(exc) == OUTSIDE_REFUSED
                assert "not permitted" not in str(exc)  # the sandbox is not described
    finally:
        runner.close()
    assert refused >= 10  # the engine tried, the system said no, the client is told plainly
    assert bait.connections == before == 0


def test_writable_server_refuses_load_and_service_in_updates(
    built: BuildResult, bait: CountingListener, tmp_path: Path
) -> None:
    env = {"SPACEKG_WRITE_TOKENS": f"alice:{TOKEN}"}
    args = ("--writable", "--build-dir", str(built.build_dir),
            "--store", f"oxigraph:{tmp_path / 'store'}")
    before = bait.connections
    with live_server(*args, env=env, ready_within=120) as base:
        auth = {"Authorization": f"Bearer {TOKEN}", **JSON}
        size = _triples(base)
        for update in update_obfuscations(bait.port):
            for response in (
                requests.post(base + "/sparql", data={"update": update}, headers=auth, timeout=60),
                requests.post(
                    base + "/update", data=update.encode(), timeout=60,
                    headers={**auth, "Content-Type": "application/sparql-update"},
                ),
            ):
                assert response.status_code in (400, 403), (update, response.text)
        for query in service_obfuscations(bait.port)[::4]:
            response = requests.get(base + "/sparql", params={"query": query}, headers=auth,
                                    timeout=30)
            assert response.status_code in (400, 403), (query, response.text)
        # the worker itself cannot connect: a JSON-LD body naming a remote context
        jsonld = json.dumps({"@context": f"http://127.0.0.1:{bait.port}/context.jsonld",
                             "@id": "http://example.org/a", "b": 1})
        response = requests.put(
            base + "/graph-store?graph=http://example.org/g", data=jsonld.encode(), timeout=30,
            headers={**auth, "Content-Type": "application/ld+json"},
        )
        assert response.status_code == 400, response.text
        assert _triples(base) == size  # nothing was written
    assert bait.connections == before == 0


def _triples(base: str) -> int:
    response = requests.get(
        base + "/sparql", params={"query": "SELECT (COUNT(*) AS ?n) { GRAPH ?g { ?s ?p ?o } }"},
        headers=JSON, timeout=30,
    )
    return int(response.json()["results"]["bindings"][0]["n"]["value"])


# -- no request ends a worker --------------------------------------------------------------


def _server_pids(base: str) -> tuple[int, set[int]]:
    """The Granian master of the server at ``base`` and its worker processes."""
    port = base.rpartition(":")[2].encode()
    serving: set[int] = set()  # the master and its forks share its command line
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")
            stat = (entry / "stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        parents[int(entry.name)] = int(stat[1])
        if b"serve" in cmdline and port in cmdline and b"spacekg.cli" in cmdline:
            serving.add(int(entry.name))
    # the readiness check's process shares the command line too, but forks no worker
    (master,) = {pid for pid in serving if parents[pid] not in serving
                 and any(parents.get(child) == pid for child in serving)}
    return master, {pid for pid, ppid in parents.items() if ppid == master}


def _tree_rss(master: int) -> int:
    """Resident bytes of the server: the master and every process below it."""
    parents: dict[int, int] = {}
    sizes: dict[int, int] = {}
    page = os.sysconf("SC_PAGE_SIZE")
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text().rpartition(")")[2].split()
                sizes[int(entry.name)] = int((entry / "statm").read_text().split()[1]) * page
            except (OSError, IndexError):
                continue
            parents[int(entry.name)] = int(stat[1])
    tree = {master}
    grew = True
    while grew:
        below = {pid for pid, ppid in parents.items() if ppid in tree} - tree
        grew = bool(below)
        tree |= below
    return sum(sizes.get(pid, 0) for pid in tree)


def _keep_asking(base: str, stop: threading.Event) -> list[bool]:
    answers = []
    with requests.Session() as session:
        while not stop.is_set() and len(answers) < 400:
            response = session.get(
                base + "/sparql",
                params={"query": f"ASK {{ ?s ?p {len(answers)} }}"},
                headers=JSON, timeout=30,
            )
            answers.append(response.status_code == 200 and "boolean" in response.json())
            time.sleep(0.02)
    return answers


def _cpu_ticks(pid: int) -> int:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])  # utime + stime


def _busiest_query_process(workers: set[int]) -> int:
    """The query process (a child of a worker) burning the most CPU right now."""
    children = [
        int(entry.name)
        for entry in Path("/proc").iterdir()
        if entry.name.isdigit() and _parent(int(entry.name)) in workers
    ]
    before = {pid: _cpu_ticks(pid) for pid in children}
    time.sleep(0.5)
    return max(children, key=lambda pid: _cpu_ticks(pid) - before[pid])


def _parent(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[1])
    except OSError:
        return 0


def test_an_engine_abort_is_a_500_and_no_worker_dies(server: str) -> None:
    """The engine aborting mid-query (as Oxigraph's sort panic does, on data it cannot
    predict) is delivered for certain here: SIGABRT to the process running a long query."""
    master, workers = _server_pids(server)
    stop = threading.Event()
    slow = "SELECT (COUNT(*) AS ?n) { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
    with ThreadPoolExecutor(max_workers=3) as pool:
        others = pool.submit(_keep_asking, server, stop)
        victim = pool.submit(
            requests.get, server + "/sparql", params={"query": slow}, headers=JSON, timeout=30
        )
        time.sleep(1.0)
        os.kill(_busiest_query_process(workers), signal.SIGABRT)
        response = victim.result()
        time.sleep(0.5)
        stop.set()
        answers = others.result()
    assert response.status_code == 500
    error = response.json()["error"]
    assert error["type"] == "EngineCrashed" and "SIGABRT" in error["message"]
    assert answers and all(answers)  # everyone else was answered meanwhile
    assert _server_pids(server) == (master, workers)  # and no worker was lost
    after = requests.get(server + "/sparql", params={"query": "ASK {}"}, headers=JSON, timeout=30)
    assert after.status_code == 200 and after.json()["boolean"] is True


def test_order_by_over_mixed_datatypes_is_answered_and_no_worker_dies(server: str) -> None:
    """ORDER BY DESC(?o) over the report made Oxigraph's sort panic (a 500 and a lost query
    process); the query is now ordered in SpaceKG's total order (query/ordering.py)."""
    master, workers = _server_pids(server)
    for n in (3, 100_000):
        response = requests.get(
            server + "/sparql",
            params={"query": f"SELECT ?o {{ ?s ?p ?o }} ORDER BY DESC(?o) LIMIT {n}"},
            headers=JSON, timeout=60,
        )
        assert response.status_code == 200, response.text
        bindings = response.json()["results"]["bindings"]
        assert len(bindings) == n if n < 10 else len(bindings) > 10_000
    assert _server_pids(server) == (master, workers)


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * " + "{" * 3000 + "}" * 3000,
        "SELECT * { FILTER(" + "(" * 3000 + "1" + ")" * 3000 + ") }",
        "SELECT * { BIND(" + "CONCAT(" * 1000 + "'a'" + ")" * 1000 + " AS ?x) }",
        "SELECT * { ?s " + "(" * 2000 + "<http://x/p>" + ")" * 2000 + " ?o }",
        "SELECT * " + "\\u007B" * 3000 + "}" * 3000,
    ],
    ids=["braces", "parentheses", "concat", "path", "escaped-braces"],
)
def test_deep_nesting_is_a_400_before_any_parser(server: str, query: str) -> None:
    master, workers = _server_pids(server)
    response = requests.post(server + "/sparql", data={"query": query}, headers=JSON, timeout=30)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["type"] == "QueryTooComplex" and "100 levels" in error["message"]
    assert _server_pids(server) == (master, workers)


def test_a_memory_hungry_query_is_stopped_with_503_under_the_limit(server: str) -> None:
    # ORDER BY on STR(): one kind of value, so the engine sorts it as written (a bare ?c is
    # rewritten into like-with-like keys, query/ordering.py, and runs out of time first)
    hungry = "SELECT * { ?a ?b ?c . ?d ?e ?f } ORDER BY STR(?c) STR(?f) LIMIT 5"
    master, workers = _server_pids(server)
    peak = 0
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not stop.is_set():
            peak = max(peak, _tree_rss(master))
            time.sleep(0.02)

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        with ThreadPoolExecutor(max_workers=5) as pool:
            others = pool.submit(_keep_asking, server, stop)
            hungry_answers = list(pool.map(
                lambda _: requests.get(server + "/sparql", params={"query": hungry},
                                       headers=JSON, timeout=60),
                range(4),
            ))
            stop.set()
            answers = others.result()
    finally:
        stop.set()
        sampler.join()
    for response in hungry_answers:  # past its share of long queries, a client gets 429
        assert (response.status_code, response.json()["error"]["type"]) in (
            (503, "MemoryLimitExceeded"), (503, "QueryTimeout"), (503, "Overloaded"),
            (429, "TooManyRequests"),
        ), response.text
    assert any(r.json()["error"]["type"] == "MemoryLimitExceeded" for r in hungry_answers)
    assert answers and all(answers)
    # the sampler looks every 20 ms; the limit holds within what grows in that time
    assert peak < MEMORY_LIMIT * 1.1, f"server reached {peak / 2**20:.0f} MiB"
    assert _server_pids(server) == (master, workers)


# -- idle and slow clients -------------------------------------------------------------------


class SlowClients:
    """``idle`` connections that send nothing and ``trickling`` ones that send a request head
    one byte at a time, for as long as the context lasts (at most ``seconds``)."""

    def __init__(self, base: str, *, idle: int, trickling: int, seconds: float = 60) -> None:
        host, _, port = base.removeprefix("http://").partition(":")
        self.address = (host, int(port))
        self.idle, self.trickling, self.seconds = idle, trickling, seconds
        self.sockets: list[socket.socket] = []
        self.stop = threading.Event()
        self.threads: list[threading.Thread] = []

    def __enter__(self) -> SlowClients:
        for _ in range(self.idle):
            self.sockets.append(socket.create_connection(self.address, timeout=5))
        for _ in range(self.trickling):
            thread = threading.Thread(target=self._trickle, daemon=True)
            thread.start()
            self.threads.append(thread)
        time.sleep(1.0)  # every trickler has sent a few bytes
        return self

    def _trickle(self) -> None:
        head = b"GET /sparql?query=ASK%7B%7D HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 10_000
        deadline = time.monotonic() + self.seconds
        sock = socket.create_connection(self.address, timeout=5)
        try:
            for byte in head:
                if self.stop.is_set() or time.monotonic() > deadline:
                    break
                try:
                    sock.send(bytes([byte]))
                except OSError:  # cut off by the server: come back, as an attacker would
                    sock.close()
                    sock = socket.create_connection(self.address, timeout=5)
                self.stop.wait(0.3)
        finally:
            sock.close()

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=5)
        for sock in self.sockets:
            sock.close()


def _fresh_clients_are_answered(base: str, count: int = 30) -> list[int]:
    statuses = []
    for _ in range(count):
        response = requests.get(base + "/sparql", params={"query": "ASK {}"}, headers=JSON,
                                timeout=5)
        statuses.append(response.status_code)
        time.sleep(0.05)
    return statuses


def test_idle_and_trickling_clients_do_not_stop_the_read_only_server(server: str) -> None:
    with SlowClients(server, idle=200, trickling=50):
        assert _fresh_clients_are_answered(server) == [200] * 30


def test_idle_and_trickling_clients_do_not_stop_the_writable_server(
    built: BuildResult, tmp_path: Path
) -> None:
    env = {"SPACEKG_WRITE_TOKENS": f"alice:{TOKEN}"}
    args = ("--writable", "--build-dir", str(built.build_dir),
            "--store", f"oxigraph:{tmp_path / 'store'}")
    with live_server(*args, env=env, ready_within=120) as base, SlowClients(
        base, idle=200, trickling=50
    ):
        assert _fresh_clients_are_answered(base) == [200] * 30
        # the first write validates the whole data (about 15 s on two idle cores): the limit
        # is for a server that stopped answering, not for a slow machine
        put = requests.put(
            base + "/graph-store?graph=http://example.org/slow", data=b"<http://example.org/a> "
            b"<http://example.org/b> 1 .", timeout=120,
            headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "text/turtle"},
        )
        assert put.status_code == 201


# -- the writer and the readers ------------------------------------------------------------


def test_a_curators_write_survives_crashing_and_hungry_readers(
    built: BuildResult, tmp_path: Path
) -> None:
    """A 10k-triple PUT while anonymous readers crash the engine and exhaust memory: the
    write lands, the readers get their errors, and the next read sees the write."""
    env = {"SPACEKG_WRITE_TOKENS": f"alice:{TOKEN}"}
    args = ("--writable", "--build-dir", str(built.build_dir), "--timeout", "8",
            "--memory-limit", str(MEMORY_LIMIT), "--store", f"oxigraph:{tmp_path / 'store'}")
    graph = "http://example.org/curated"
    body = "".join(
        f"<http://example.org/s{i}> <http://example.org/p> {i} .\n" for i in range(10_000)
    ).encode()
    hostile = [
        "SELECT ?o { ?s ?p ?o } ORDER BY DESC(?o)",
        "SELECT * { ?a ?b ?c . ?d ?e ?f } ORDER BY ?c ?f LIMIT 5",
        "SELECT ?o { ?s ?p ?o } ORDER BY DESC(?o) LIMIT 2",
        "SELECT * { ?a ?b ?c . ?d ?e ?f } ORDER BY ?f ?c LIMIT 5",
    ]
    with live_server(*args, env=env, ready_within=120) as base:
        with ThreadPoolExecutor(max_workers=5) as pool:
            write = pool.submit(
                requests.put, f"{base}/graph-store?graph={graph}", data=body, timeout=120,
                headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "text/turtle"},
            )
            readers = [
                pool.submit(requests.get, base + "/sparql", params={"query": q},
                            headers=JSON, timeout=60)
                for q in hostile
            ]
            answers = [r.result() for r in readers]
            put = write.result()
        assert put.status_code == 201, put.text
        statuses = [a.status_code for a in answers]
        # the sort panics on some states of the data only (a 500 EngineCrashed, wherever it
        # strikes first); the joins otherwise pass the memory limit (503); one client's third
        # and fourth long queries are past its share (429, sandbox.py)
        assert statuses[0] in (200, 500, 429) and statuses[2] in (200, 500, 429), statuses
        for hungry in (answers[1], answers[3]):
            error = hungry.json()["error"]["type"]
            assert (hungry.status_code, error) in (
                (503, "MemoryLimitExceeded"), (503, "QueryTimeout"), (500, "EngineCrashed"),
                (429, "TooManyRequests"),
            ), (statuses, error)
        count = requests.get(
            base + "/sparql", headers=JSON, timeout=30,
            params={"query": f"SELECT (COUNT(*) AS ?n) {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"},
        )
        assert count.status_code == 200, count.text
        assert count.json()["results"]["bindings"][0]["n"]["value"] == "10000"
    audit = [json.loads(line) for line in
             (tmp_path / "store" / "audit.jsonl").read_text(encoding="utf-8").splitlines()]
    assert audit[-1]["outcome"] == "accepted" and audit[-1]["added"] == 10_000


def test_a_request_with_bare_lf_line_endings_is_answered(server: str) -> None:
    host, _, port = server.removeprefix("http://").partition(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(b"GET /sparql?query=ASK%7B%7D HTTP/1.1\nHost: x\n"
                     b"Accept: application/sparql-results+json\nConnection: close\n\n")
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 200") and b'"boolean"' in answer


def test_query_processes_read_each_write_from_a_checkpoint(tmp_path: Path) -> None:
    from spacekg.query import negotiate
    from spacekg.query.processes import VIEWS_DIR, ProcessRunner
    from spacekg.stores import open_store

    directory = tmp_path / "store"
    store = open_store(f"oxigraph:{directory}", read_only=False)
    config = {"STORE": f"oxigraph:{directory}", "BASE_IRI": None,
              "DATASET_FILES": [], "GRAPHS": []}
    runner = ProcessRunner(config, processes=1, timeout=20)
    fmt = negotiate.choose(negotiate.offers_for("SELECT"), "text/csv", ())
    count = "SELECT (COUNT(*) AS ?n) { GRAPH ?g { ?s ?p ?o } }"
    try:
        for n in range(1, 6):
            store.native.update(  # type: ignore[attr-defined]
                f"INSERT DATA {{ GRAPH <http://example.org/g> {{ <http://example.org/s{n}> "
                f"<http://example.org/p> {n} }} }}")
            store.mark_changed()
            answer = runner.run_query(store, count, fmt)
            assert answer.body.decode().split() == ["n", str(n)]
        assert len(list((directory / VIEWS_DIR).iterdir())) == 3  # the newest are kept
    finally:
        runner.close()
