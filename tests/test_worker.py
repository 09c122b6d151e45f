"""SpaceKG's gunicorn worker (``http/worker.py``): the short path serves plain queries the
same as gunicorn would, and hands everything else to gunicorn with nothing lost."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from urllib.parse import quote

import pytest
from live_server import EX, fixture_graph_args, live_server
from spacekg.http.protocol import SHORT_BODY
from spacekg.http.worker import READ_TIMEOUT, encode_response, read_head

ASK = f"ASK {{ <{EX}agency-a> ?p ?o }}"
GET_ASK = f"/sparql?query={quote(ASK, safe='')}"


def head(*lines: str) -> bytes:
    return "\r\n".join(lines).encode("latin-1")


# -- reading the head ----------------------------------------------------------------------


def test_a_plain_get_is_read_with_wsgi_header_names() -> None:
    got = read_head(
        head(
            f"GET {GET_ASK} HTTP/1.1",
            "Host: localhost",
            "Accept: text/csv",
            "X-Thing: a",
            "x-thing: b",
        )
    )
    assert got is not None
    assert (got.method, got.path, got.version) == ("GET", "/sparql", "HTTP/1.1")
    assert got.query_string == GET_ASK.partition("?")[2]
    assert got.headers == {
        "HTTP_HOST": "localhost",
        "HTTP_ACCEPT": "text/csv",
        "HTTP_X_THING": "a,b",
    }
    assert got.keep_alive is True


def test_a_post_declares_its_type_and_length_as_wsgi_expects() -> None:
    got = read_head(
        head(
            "POST /sparql HTTP/1.1", "Content-Type: application/sparql-query", "Content-Length: 12"
        )
    )
    assert got is not None
    assert got.headers == {"CONTENT_TYPE": "application/sparql-query", "CONTENT_LENGTH": "12"}
    assert got.content_length == 12


@pytest.mark.parametrize(
    ("version", "connection", "keep"),
    [
        ("HTTP/1.1", None, True),
        ("HTTP/1.1", "close", False),
        ("HTTP/1.1", "Keep-Alive, Close", False),
        ("HTTP/1.0", None, False),
        ("HTTP/1.0", "keep-alive", True),
    ],
)
def test_keep_alive_follows_the_version_and_the_connection_header(
    version: str, connection: str | None, keep: bool
) -> None:
    lines = [f"GET {GET_ASK} {version}"] + ([f"Connection: {connection}"] if connection else [])
    got = read_head(head(*lines))
    assert got is not None and got.keep_alive is keep


@pytest.mark.parametrize(
    "lines",
    [
        ["HEAD /sparql HTTP/1.1"],
        ["GET / HTTP/1.1"],
        ["GET /sparql/../admin HTTP/1.1"],
        ["GET http://example.org/sparql HTTP/1.1"],
        ["GET /sparql HTTP/2.0"],
        ["GET /sparql  HTTP/1.1"],
        ["GET /sparql?query=a\tb HTTP/1.1"],
        ["POST /sparql HTTP/1.1", "Transfer-Encoding: chunked"],
        ["POST /sparql HTTP/1.1", "Content-Length: 5", "Content-Length: 5"],
        ["POST /sparql HTTP/1.1", "Content-Length: +5"],
        ["POST /sparql HTTP/1.1", f"Content-Length: {SHORT_BODY + 1}"],
        ["POST /sparql HTTP/1.1"],
        ["GET /sparql HTTP/1.1", "Content-Length: 3"],
        ["POST /sparql HTTP/1.1", "Content-Length: 5", "Expect: 100-continue"],
        ["GET /sparql HTTP/1.1", "Upgrade: h2c", "HTTP2-Settings: AAMAAABkAAQAAP__"],
        ["GET /sparql HTTP/1.1", "X-Forwarded-Proto: https"],
        ["GET /sparql HTTP/1.1", "Forwarded: for=1.2.3.4"],
        ["GET /sparql HTTP/1.1", "Content_Length: 5"],
        ["GET /sparql HTTP/1.1", "Bad Name: x"],
        ["GET /sparql HTTP/1.1", "Accept: a", " folded"],
        ["GET /sparql HTTP/1.1", "Accept: a\x01b"],
        ["GET /sparql HTTP/1.1\nAccept: a"],
        ["GET /sparql HTTP/1.1", "Accept: a\rb"],
        ["POST /sparql HTTP/1.1", "Content-Length: 0", "Content-Type: a", "Content-Type: b"],
        ["GET /sparql HTTP/1.1", "NoColon"],
    ],
)
def test_anything_unusual_is_left_to_gunicorn(lines: list[str]) -> None:
    assert read_head(head(*lines)) is None


def test_a_head_with_too_many_fields_is_left_to_gunicorn() -> None:
    assert read_head(head("GET /sparql HTTP/1.1", *[f"X-F{i}: v" for i in range(101)])) is None


# -- writing the answer --------------------------------------------------------------------


def _split(raw: bytes) -> tuple[list[str], bytes]:
    top, _, body = raw.partition(b"\r\n\r\n")
    return top.decode("latin-1").split("\r\n"), body


def test_the_length_is_the_bodys_whatever_the_app_said() -> None:
    lines, body = _split(
        encode_response(
            "HTTP/1.1",
            "200 OK",
            [("Content-Type", "text/csv"), ("Content-Length", "999"), ("Connection", "x")],
            b"n\r\n6\r\n",
            date="D",
            keep_alive=True,
        )
    )
    assert lines == ["HTTP/1.1 200 OK", "Date: D", "Content-Type: text/csv", "Content-Length: 6"]
    assert body == b"n\r\n6\r\n"


def test_a_304_has_neither_body_nor_length() -> None:
    lines, body = _split(
        encode_response(
            "HTTP/1.1", "304 Not Modified", [("ETag", '"e"')], b"x", date="D", keep_alive=True
        )
    )
    assert lines == ["HTTP/1.1 304 Not Modified", "Date: D", 'ETag: "e"'] and body == b""


def test_closing_and_http_1_0_keep_alive_are_announced() -> None:
    closing, _ = _split(encode_response("HTTP/1.1", "200 OK", [], b"", date="D", keep_alive=False))
    kept, _ = _split(encode_response("HTTP/1.0", "200 OK", [], b"", date="D", keep_alive=True))
    assert closing[-1] == "Connection: close" and kept[-1] == "Connection: keep-alive"


# -- on a real server -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def address() -> Iterator[tuple[str, int]]:
    with live_server("--no-report", "--workers", "1", *fixture_graph_args()) as base:
        host, _, port = base.removeprefix("http://").partition(":")
        yield host, int(port)


class Connection:
    """A raw HTTP/1.x client connection that reads answers one by one."""

    def __init__(self, address: tuple[str, int]) -> None:
        self.sock = socket.create_connection(address, timeout=10)
        self.buffer = b""

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def answer(self, *, body: bool = True) -> tuple[int, dict[str, str], bytes]:
        while b"\r\n\r\n" not in self.buffer:
            self._more()
        top, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
        lines = top.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ")[1])
        headers = {k.lower(): v.strip() for k, _, v in (x.partition(":") for x in lines[1:])}
        if not body or status == 304:
            length = 0
        elif "content-length" in headers:
            length = int(headers["content-length"])
        elif headers.get("transfer-encoding") == "chunked":
            return status, headers, self._chunked()
        else:
            length = 0
        while len(self.buffer) < length:
            self._more()
        content, self.buffer = self.buffer[:length], self.buffer[length:]
        return status, headers, content

    def _chunked(self) -> bytes:
        out = b""
        while True:
            while b"\r\n" not in self.buffer:
                self._more()
            size_line, _, self.buffer = self.buffer.partition(b"\r\n")
            size = int(size_line.split(b";")[0], 16)
            while len(self.buffer) < size + 2:
                self._more()
            out, self.buffer = out + self.buffer[:size], self.buffer[size + 2 :]
            if size == 0:
                return out

    def closed(self) -> bool:
        try:
            return self.sock.recv(1) == b""
        except ConnectionResetError:
            return True  # a timeout is not a close: it propagates

    def _more(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("the server closed the connection")
        self.buffer += chunk

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def conn(address: tuple[str, int]) -> Iterator[Connection]:
    connection = Connection(address)
    yield connection
    connection.close()


def get(path: str, *headers: str, version: str = "HTTP/1.1") -> bytes:
    return head(f"GET {path} {version}", "Host: localhost", *headers) + b"\r\n\r\n"


def post(body: bytes, *headers: str) -> bytes:
    return (
        head(
            "POST /sparql HTTP/1.1",
            "Host: localhost",
            "Content-Type: application/sparql-query",
            f"Content-Length: {len(body)}",
            *headers,
        )
        + b"\r\n\r\n"
        + body
    )


def test_pipelined_requests_are_answered_in_order_on_one_connection(conn: Connection) -> None:
    conn.send(get(GET_ASK) + post(b"ASK { ?s ?p 42 }") + get(GET_ASK + "&format=xml"))
    answers = [conn.answer() for _ in range(3)]
    assert [a[0] for a in answers] == [200, 200, 200]
    assert json.loads(answers[0][2])["boolean"] is True
    assert json.loads(answers[1][2])["boolean"] is False
    assert b"<boolean>true</boolean>" in answers[2][2]


def test_a_request_sent_in_pieces_is_answered(conn: Connection) -> None:
    raw = post(ASK.encode())
    for piece in (raw[:7], raw[7:40], raw[40:-3], raw[-3:]):
        conn.send(piece)
    status, _, body = conn.answer()
    assert status == 200 and json.loads(body)["boolean"] is True


def test_chunked_expect_and_head_requests_are_served_by_gunicorn_on_the_same_connection(
    conn: Connection,
) -> None:
    chunked = head(
        "POST /sparql HTTP/1.1",
        "Host: localhost",
        "Content-Type: application/sparql-query",
        "Transfer-Encoding: chunked",
    )
    body = ASK.encode()
    conn.send(chunked + b"\r\n\r\n" + f"{len(body):x}\r\n".encode() + body + b"\r\n0\r\n\r\n")
    assert json.loads(conn.answer()[2])["boolean"] is True
    conn.send(post(ASK.encode(), "Expect: 100-continue"))
    status, _, _ = conn.answer()
    if status == 100:
        status, _, body = conn.answer()
    assert status == 200 and json.loads(body)["boolean"] is True
    conn.send(head(f"HEAD {GET_ASK} HTTP/1.1", "Host: localhost") + b"\r\n\r\n")
    status, headers, _ = conn.answer(body=False)  # HEAD: the headers only
    assert status == 200 and int(headers["content-length"]) > 0
    conn.send(get(GET_ASK))  # and the short path again afterwards
    status, _, body = conn.answer()
    assert status == 200 and json.loads(body)["boolean"] is True


def test_http_1_0_without_keep_alive_is_answered_then_closed(conn: Connection) -> None:
    conn.send(get(GET_ASK, version="HTTP/1.0"))
    status, headers, body = conn.answer()
    assert status == 200 and headers["connection"] == "close"
    assert json.loads(body)["boolean"] is True
    assert conn.closed()


def test_connection_close_is_obeyed(conn: Connection) -> None:
    conn.send(get(GET_ASK, "Connection: close"))
    status, headers, _ = conn.answer()
    assert status == 200 and headers["connection"] == "close" and conn.closed()


def test_errors_keep_their_status_and_document_and_the_connection_goes_on(
    conn: Connection,
) -> None:
    conn.send(
        get("/sparql?query=" + quote("SELECT * WHERE {", safe=""), "Accept: application/json")
    )
    status, headers, body = conn.answer()
    assert status == 400 and headers["content-type"].startswith("application/json")
    error = json.loads(body)["error"]
    assert error["type"] == "QuerySyntaxError" and error["line"] == 1
    conn.send(get(GET_ASK, "Accept: image/png"))
    status, _, _ = conn.answer()
    assert status == 406
    conn.send(get(GET_ASK))
    assert conn.answer()[0] == 200


def test_not_modified_has_no_body_and_the_next_answer_is_intact(conn: Connection) -> None:
    conn.send(get(GET_ASK))
    _, headers, _ = conn.answer()
    conn.send(get(GET_ASK, f"If-None-Match: {headers['etag']}") + get(GET_ASK))
    status, headers304, body = conn.answer()
    assert status == 304 and body == b"" and "content-length" not in headers304
    status, _, body = conn.answer()
    assert status == 200 and json.loads(body)["boolean"] is True


def test_a_malformed_request_gets_gunicorns_400(conn: Connection) -> None:
    conn.send(b"GET /sparql HTTP/1.1\r\nBad Header\r\n\r\n")
    assert conn.answer()[0] == 400


def test_cors_and_validators_come_through_the_short_path(conn: Connection) -> None:
    conn.send(get(GET_ASK, "Origin: https://yasgui.example"))
    status, headers, _ = conn.answer()
    assert status == 200
    assert headers["access-control-allow-origin"] == "*"
    assert headers["etag"].startswith('"') and headers["vary"] == "Accept"
    assert headers["date"].endswith(" GMT")


def test_a_client_that_stalls_mid_request_is_cut_off_while_others_are_served(
    address: tuple[str, int],
) -> None:
    stalled = Connection(address)
    stalled.sock.settimeout(READ_TIMEOUT + 10)
    try:
        stalled.send(post(ASK.encode())[:-5])  # the head and most of the body, then nothing
        started = time.monotonic()
        other = Connection(address)
        try:
            other.send(get(GET_ASK))
            assert other.answer()[0] == 200  # served while the stalled one holds a thread
        finally:
            other.close()
        assert stalled.closed()
        assert READ_TIMEOUT - 1 <= time.monotonic() - started <= READ_TIMEOUT + 5
    finally:
        stalled.close()
