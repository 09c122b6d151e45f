"""What ``spacekg serve`` tells the person who started it: the address once it answers, then
one access-log line per request (unless told not to), never a token or a forged line."""

from __future__ import annotations

import http.server
import re
import socket
import threading
import time
import uuid
from pathlib import Path

import pytest
import requests
from live_server import fixture_graph_args, live_server
from spacekg.cli import _say_ready
from spacekg.serve import READY_PROBE, Listening, access_log_enabled, answers

SERVE = ("--no-report", "--workers", "1", *fixture_graph_args())
READY = "SpaceKG is ready: "
ACCESS_LINE = re.compile(
    r'^(?P<addr>\S+) - \[\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}\] '
    r'"(?P<method>[A-Z]+) (?P<target>\S+) HTTP/1\.1" (?P<status>\d{3}) (?P<bytes>\d+) '
    r"(?P<ms>\d+\.\d)ms$"
)


def access_lines(log: Path) -> list[re.Match[str]]:
    return [m for line in log.read_text().splitlines() if (m := ACCESS_LINE.match(line))]


def said_ready(log: Path, within: float = 30.0) -> bool:
    """Whether the server printed its ready line. The test's own first answer can come a
    moment before the server's readiness check gets its own: wait for the line, rather than
    stop the server between the two."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if READY in log.read_text():
            return True
        time.sleep(0.05)
    return False


def test_serve_prints_the_home_page_url_when_ready(tmp_path: Path) -> None:
    log = tmp_path / "serve.log"
    with live_server(*SERVE, log_path=log) as base:
        assert said_ready(log)
    lines = log.read_text().splitlines()
    ready = [i for i, line in enumerate(lines) if line.startswith(READY)]
    assert len(ready) == 1
    assert f"{base}/ " in lines[ready[0]] and f"{base}/sparql" in lines[ready[0]]
    # printed after the server answered a query, not when the socket was merely bound
    answered = [i for i, line in enumerate(lines)
                if (m := ACCESS_LINE.match(line)) and m["status"] == "200"]
    assert answered and answered[0] < ready[0]


def _defunct_children_of_server(port: str) -> list[int]:
    """Zombie processes whose parent is a ``spacekg serve --port PORT`` process (Linux)."""
    zombies = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            parent = Path(f"/proc/{fields[1]}/cmdline").read_bytes().split(b"\0")
        except (OSError, IndexError):
            continue
        if fields[0] == "Z" and b"serve" in parent and port.encode() in parent:
            zombies.append(int(stat.parent.name))
    return zombies


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux's /proc")
def test_serve_keeps_no_defunct_child_and_greets_without_noise(tmp_path: Path) -> None:
    """The readiness check's process is reaped at once (no ``<defunct>`` beside the server
    for its whole life), and Granian's websocket notice does not greet every start."""
    log = tmp_path / "serve.log"
    with live_server(*SERVE, log_path=log) as base:
        assert said_ready(log)
        time.sleep(0.5)
        assert _defunct_children_of_server(base.rsplit(":", 1)[1]) == []
    assert "Websockets" not in log.read_text()


@pytest.mark.parametrize(
    ("host", "home", "everywhere"),
    [
        ("127.0.0.1", "http://127.0.0.1:8000/", False),
        ("0.0.0.0", "http://127.0.0.1:8000/", True),
        ("::", "http://[::1]:8000/", True),
        ("::1", "http://[::1]:8000/", False),
        ("localhost", "http://localhost:8000/", False),
    ],
)
def test_the_printed_url_is_one_a_browser_on_this_machine_can_open(
    host: str, home: str, everywhere: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    listening = Listening(host, 8000)
    assert (listening.home, listening.sparql) == (home, home + "sparql")
    _say_ready(listening)
    out = capsys.readouterr().out
    assert out.startswith(READY + home)
    assert ("all interfaces" in out) == everywhere


def test_a_port_that_accepts_connections_but_does_not_answer_is_not_ready() -> None:
    with socket.socket() as listener:  # bound and listening, as Granian's master before its
        listener.bind(("127.0.0.1", 0))  # workers are up: connections queue, nobody answers
        listener.listen()
        assert not answers(Listening("127.0.0.1", listener.getsockname()[1]), timeout=0.2)


@pytest.mark.parametrize(("status", "ready"), [(200, True), (503, False)])
def test_ready_means_a_query_was_answered(status: int, ready: bool) -> None:
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            self.send_response(status if self.path == READY_PROBE else 404)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    with http.server.HTTPServer(("127.0.0.1", 0), Handler) as server:
        thread = threading.Thread(target=server.handle_request)
        thread.start()
        assert answers(Listening("127.0.0.1", server.server_address[1])) is ready
        thread.join()


def test_each_request_writes_one_access_log_line(tmp_path: Path) -> None:
    log = tmp_path / "serve.log"
    marker = uuid.uuid4().hex
    with live_server(*SERVE, log_path=log) as base:
        found = requests.get(f"{base}/sparql", params={"query": "ASK {}", "m": marker},
                             headers={"Accept": "application/sparql-results+json"})
        missing = requests.get(f"{base}/id/nothing/{marker}")
        posted = requests.post(f"{base}/sparql", data={"query": f"ASK {{}} # {marker}"},
                               headers={"Accept": "application/sparql-results+json"})
    assert (found.status_code, missing.status_code, posted.status_code) == (200, 404, 200)
    lines = access_lines(log)
    get_line, = [m for m in lines if marker in m["target"] and m["method"] == "GET"
                 and m["target"].startswith("/sparql")]
    assert (get_line["addr"], get_line["status"]) == ("127.0.0.1", "200")
    assert int(get_line["bytes"]) == len(found.content)
    missing_line, = [m for m in lines if m["target"] == f"/id/nothing/{marker}"]
    assert missing_line["status"] == "404" and int(missing_line["bytes"]) == len(missing.content)
    # a POST is logged by its path: the body (the query) is not written
    post_lines = [m for m in lines if m["method"] == "POST"]
    assert len(post_lines) == 1 and post_lines[0]["target"] == "/sparql"
    assert sum(marker in line for line in log.read_text().splitlines()) == 2


@pytest.mark.parametrize(
    ("args", "env"),
    [(("--no-access-log",), {}), ((), {"SPACEKG_ACCESS_LOG": "off"})],
    ids=["flag", "environment"],
)
def test_no_access_log_flag_silences_it(
    tmp_path: Path, args: tuple[str, ...], env: dict[str, str]
) -> None:
    log = tmp_path / "serve.log"
    marker = uuid.uuid4().hex
    with live_server(*SERVE, *args, env=env, log_path=log) as base:
        assert requests.get(f"{base}/id/nothing/{marker}").status_code == 404
        assert said_ready(log)  # the server did start and answer
    text = log.read_text()
    assert access_lines(log) == [] and marker not in text


def test_access_log_escapes_control_characters_and_hides_tokens(tmp_path: Path) -> None:
    log = tmp_path / "serve.log"
    bearer, secret = f"bearer-{uuid.uuid4().hex}", f"secret-{uuid.uuid4().hex}"
    forged = '127.0.0.1 - [01/Jan/2000:00:00:00 +0000] "GET /forged HTTP/1.1" 200 0 0.1ms'
    long_query = "SELECT * WHERE { ?s ?p ?o } # " + "x" * 2000
    with live_server(*SERVE, log_path=log) as base:
        requests.get(f"{base}/id/a%0D%0A{requests.utils.quote(forged)}%1B[31m",
                     headers={"Authorization": f"Bearer {bearer}"})
        requests.get(f"{base}/sparql", params={"query": "ASK {}", "access_token": secret})
        requests.get(f"{base}/sparql", params={"query": long_query})
    text = log.read_text()
    assert bearer not in text and secret not in text
    assert "access_token=[hidden]" in text
    assert not any(line.startswith(forged[:20]) for line in text.splitlines())
    lines = access_lines(log)
    escaped, = [m for m in lines if m["target"].startswith("/id/a")]
    assert "%0D%0A" in escaped["target"] and "%1B" in escaped["target"]
    assert "\x1b" not in text
    long_line, = [m for m in lines if "xxxx" in m["target"]]
    assert len(long_line["target"]) < 400 and "x" * 1000 not in long_line["target"]


@pytest.mark.parametrize(
    ("value", "enabled"),
    [(True, True), (False, False), ("off", False), ("0", False), ("false", False),
     ("on", True), ("1", True), (0, False)],
)
def test_the_access_log_setting_reads_like_the_other_switches(
    value: object, enabled: bool
) -> None:
    assert access_log_enabled(value) is enabled
