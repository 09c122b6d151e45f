"""The access-log wrapper on its own: what a line holds, what it never holds, and when it is
written (the live server's lines are checked in test_serve.py)."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterable, Iterator
from typing import Any

import pytest
from spacekg.http import accesslog
from spacekg.http.accesslog import MAX_TARGET_CHARS, AccessLog, format_line, request_target


def environ(path: str = "/", query: str = "", **extra: str) -> dict[str, Any]:
    return {"REQUEST_METHOD": "GET", "PATH_INFO": path, "QUERY_STRING": query,
            "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "192.0.2.7", **extra}


class Recorder(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    logger = logging.getLogger("spacekg.test-access")
    handler = Recorder()
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield handler
    logger.removeHandler(handler)


def call(app: AccessLog, env: dict[str, Any]) -> bytes:
    body = app(env, lambda status, headers, exc_info=None: None)
    try:
        return b"".join(body)
    finally:
        close = getattr(body, "close", None)
        if close is not None:
            close()


def test_a_line_has_address_time_request_status_bytes_and_milliseconds() -> None:
    line = format_line(environ("/sparql", "query=ASK%7B%7D"), 0.0, 200, 35, 0.0012)
    address, rest = line.split(" - [", 1)
    assert address == "192.0.2.7"
    assert rest.split("] ", 1)[1] == '"GET /sparql?query=ASK%7B%7D HTTP/1.1" 200 35 1.2ms'


def test_a_streamed_body_is_counted_and_logged_once_when_the_server_closes_it(
    recorder: Recorder,
) -> None:
    closed = []

    class Body:
        def __iter__(self) -> Iterator[bytes]:
            return iter([b"abc", b"", b"defg"])

        def close(self) -> None:
            closed.append(True)

    def app(env: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        start_response("201 Created", [])
        return Body()

    logged = AccessLog(app, logging.getLogger("spacekg.test-access"))
    body = logged(environ("/x"), lambda *a: None)
    assert recorder.lines == []  # not before the body is sent
    assert b"".join(body) == b"abcdefg"
    body.close()  # type: ignore[attr-defined]
    body.close()  # type: ignore[attr-defined]
    assert closed == [True, True]
    line, = recorder.lines
    assert '"GET /x HTTP/1.1" 201 7 ' in line


def test_an_app_that_fails_is_logged_as_500(recorder: Recorder) -> None:
    def app(env: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        call(AccessLog(app, logging.getLogger("spacekg.test-access")), environ("/x"))
    line, = recorder.lines
    assert '"GET /x HTTP/1.1" 500 0 ' in line


@pytest.mark.parametrize(
    "path",
    ["/a\nforged", "/a\r\nforged", "/a\x1b[31mred", "/a\x00b", "/a\"b", "/a b", "/é".encode()
     .decode("latin-1")],
)
def test_a_path_is_logged_percent_encoded_without_control_characters(path: str) -> None:
    target = request_target(environ(path))
    assert target.isascii() and target.isprintable() and " " not in target
    assert '"' not in target and "\\" not in target


@pytest.mark.parametrize("method", ["G\nET", 'G"ET', "GÉT"])
def test_a_strange_method_is_escaped(method: str) -> None:
    line = format_line(environ("/", REQUEST_METHOD=method), 0.0, 400, 0, 0.0)
    request = line.split('"', 1)[1].rsplit('"', 1)[0]
    assert request.isascii() and request.isprintable() and '"' not in request
    assert request.startswith("G\\x")


@pytest.mark.parametrize(
    "name", ["access_token", "token", "Password", "api_key", "apikey", "secret", "auth_token"]
)
def test_credentials_in_the_query_string_are_hidden(name: str) -> None:
    target = request_target(environ("/sparql", f"query=ASK&{name}=s3cr3t&x=1"))
    assert "s3cr3t" not in target
    assert target == f"/sparql?query=ASK&{name}=[hidden]&x=1"


def test_a_long_target_is_cut_and_says_how_much_was_left_out() -> None:
    query = "query=" + "x" * 5000
    target = request_target(environ("/sparql", query))
    kept, left_out = target.split("...[+")
    assert len(kept) == MAX_TARGET_CHARS
    assert int(left_out.rstrip("]")) == len("/sparql?" + query) - MAX_TARGET_CHARS


def test_a_short_target_is_logged_whole() -> None:
    assert request_target(environ("/id/agency/cnsa", "format=ttl")) == "/id/agency/cnsa?format=ttl"


def test_log_to_adds_its_handler_once() -> None:
    stream = io.StringIO()
    logger = accesslog.log_to(stream)
    try:
        accesslog.log_to(stream)
        logger.info("one")
        assert stream.getvalue() == "one\n" and not logger.propagate
    finally:
        for handler in list(logger.handlers):
            logger.removeHandler(handler)
