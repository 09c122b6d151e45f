"""SpaceKG's gunicorn worker: gthread, with a short path for plain SPARQL queries.

Measured under load, gunicorn's ``gthread`` worker spends about 0.2 ms of Python on every
request — its parser, the WSGI environ, header checks, the ``Date`` header, the response
object — and each kept-alive request makes two trips through the worker's main thread (the
pool hands the connection back to the poller, which hands it to the pool again). For a
point lookup that Oxigraph answers in 0.07 ms, that is most of the cost, and it is what a
server written in C (Virtuoso) does not pay.

This worker keeps everything of gthread — processes, signals, graceful stops, the accept
loop, the poller for idle connections — and changes two things:

* **The short path.** A request that is plainly a query — ``GET`` or ``POST`` on
  ``/sparql``, HTTP/1.0 or 1.1, a small body of declared length, no ``Transfer-Encoding``,
  ``Expect``, ``Upgrade`` or proxy headers, nothing malformed — is read by a few lines of
  strict parsing, given a plain WSGI environ, and answered in one ``send``. Whatever the
  short path is not sure of goes to gunicorn's own parser with the bytes already read put
  back (:func:`read_head` returns None), so gunicorn's checks and error answers remain the
  reference for everything unusual.
* **Staying with a busy connection.** After an answer on a kept-alive connection, the
  thread waits a moment for the client's next request instead of handing the connection
  back to the main thread — while no other connection is waiting for a thread.
"""

from __future__ import annotations

import io
import os
import re
import select
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from email.utils import formatdate
from typing import Any

from gunicorn.http.wsgi import FileWrapper
from gunicorn.workers.gthread import _DEFER, DEFAULT_WORKER_DATA_TIMEOUT, ThreadWorker

from spacekg.http.protocol import QUERY_PATHS, SHORT_BODY

SHORT_PATHS = frozenset(path.encode() for path in QUERY_PATHS)
#: Largest request head the short path reads (gunicorn's request-line limit); bigger
#: heads, and bodies over SHORT_BODY, go to gunicorn.
MAX_HEAD = 8190
MAX_FIELDS = 100
#: How long a thread waits for the next request on a connection it just answered, and how
#: often it looks whether another connection needs the thread meanwhile.
STAY_SECONDS = 0.05
STAY_SLICE_MS = 2
#: Seconds a client may pause while sending a request the short path reads; then the
#: connection is closed, so a stalled or trickling client cannot hold a thread for good.
READ_TIMEOUT = 10.0

_TOKEN = re.compile(rb"[!#$%&'*+\-.^`|~0-9A-Za-z]+")
_TARGET = re.compile(rb"[\x21-\x7e]+")
_CONTROL = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")
_BARE_CR_LF = re.compile(rb"[\r\n]")
#: Headers that send the request to gunicorn: framing and upgrades it knows how to handle,
#: and the proxy headers from which it may derive the scheme and client address.
_TO_GUNICORN = frozenset(
    {
        b"TRANSFER-ENCODING",
        b"EXPECT",
        b"UPGRADE",
        b"HTTP2-SETTINGS",
        b"FORWARDED",
        b"X-FORWARDED-FOR",
        b"X-FORWARDED-PROTO",
        b"X-FORWARDED-PROTOCOL",
        b"X-FORWARDED-SSL",
        b"X-FORWARDED-HOST",
        b"X-FORWARDED-PORT",
    }
)
_NO_BODY_STATUS = ("1", "204", "304")
_INTERNAL_ERROR = (
    b"HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/plain\r\n"
    b"Content-Length: 21\r\nConnection: close\r\n\r\nInternal Server Error"
)


@dataclass
class Head:
    """A request head the short path can serve."""

    method: str
    target: str
    path: str
    query_string: str
    version: str
    headers: dict[str, str]  # WSGI names: HTTP_*, CONTENT_TYPE, CONTENT_LENGTH
    content_length: int
    keep_alive: bool


def read_head(data: bytes) -> Head | None:
    """The head in ``data`` (without its blank line), or None when the short path should
    not serve it — gunicorn then reads the same bytes and decides."""
    if len(data) > MAX_HEAD or _BARE_CR_LF.search(data.replace(b"\r\n", b"")):
        return None
    lines = data.split(b"\r\n")
    if len(lines) > MAX_FIELDS + 1:
        return None
    parts = lines[0].split(b" ")
    if len(parts) != 3:
        return None
    method, target, version = parts
    if method not in (b"GET", b"POST") or version not in (b"HTTP/1.1", b"HTTP/1.0"):
        return None
    if not _TARGET.fullmatch(target):
        return None
    path, _, query = target.partition(b"?")
    if path not in SHORT_PATHS or b"#" in query:
        return None
    headers: dict[str, str] = {}
    connection = b""
    for line in lines[1:]:
        name, colon, value = line.partition(b":")
        if not colon or not _TOKEN.fullmatch(name) or b"_" in name:
            return None  # obs-fold, bad names, and names WSGI cannot tell apart
        name = name.upper()
        if name in _TO_GUNICORN:
            return None
        value = value.strip(b" \t")
        if _CONTROL.search(value):
            return None
        if name == b"CONNECTION":
            connection = value.lower()
        if name == b"CONTENT-LENGTH":
            if "CONTENT_LENGTH" in headers or not value.isdigit() or len(value) > 9:
                return None
            key = "CONTENT_LENGTH"
        elif name == b"CONTENT-TYPE":
            key = "CONTENT_TYPE"
        else:
            key = "HTTP_" + name.decode("ascii").replace("-", "_")
        text = value.decode("latin-1")
        headers[key] = f"{headers[key]},{text}" if key in headers else text
    if "CONTENT_TYPE" in headers and "," in headers["CONTENT_TYPE"]:
        return None  # two Content-Types: let gunicorn and the app refuse it
    length = int(headers.get("CONTENT_LENGTH", "0"))
    if (
        length > SHORT_BODY
        or (method == b"GET" and length)
        or (method == b"POST" and "CONTENT_LENGTH" not in headers)
    ):
        return None
    tokens = {t.strip() for t in connection.split(b",")}
    keep_alive = b"close" not in tokens and (version == b"HTTP/1.1" or b"keep-alive" in tokens)
    return Head(
        method.decode("ascii"),
        target.decode("ascii"),
        path.decode("ascii"),
        query.decode("ascii"),
        version.decode("ascii"),
        headers,
        length,
        keep_alive,
    )


class _Dates:
    """The ``Date`` header, formatted once a second."""

    def __init__(self) -> None:
        self._second = -1
        self._value = ""

    def now(self) -> str:
        second = int(time.time())
        if second != self._second:
            self._value, self._second = formatdate(second, usegmt=True), second
        return self._value


def encode_response(
    version: str,
    status: str,
    headers: list[tuple[str, str]],
    body: bytes,
    *,
    date: str,
    keep_alive: bool,
) -> bytes:
    """The whole response: status line, the app's headers with ours, the body.

    The length is always ours (the body is all here); hop-by-hop headers of the app are
    dropped, except that its ``Connection: close`` is obeyed by the caller."""
    lines = [f"{version} {status}", f"Date: {date}"]
    for name, value in headers:
        lowered = name.lower()
        if lowered in ("content-length", "connection", "transfer-encoding", "keep-alive"):
            continue
        lines.append(f"{name}: {value}")
    if status.startswith(_NO_BODY_STATUS):
        body = b""
    else:
        lines.append(f"Content-Length: {len(body)}")
    if not keep_alive:
        lines.append("Connection: close")
    elif version == "HTTP/1.0":
        lines.append("Connection: keep-alive")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


class _Collector:
    """``start_response`` and the ``write`` callable it returns, for one request."""

    def __init__(self) -> None:
        self.status: str | None = None
        self.headers: list[tuple[str, str]] = []
        self.written: list[bytes] = []

    def start_response(
        self, status: str, headers: list[tuple[str, str]], exc_info: Any = None
    ) -> Callable[[bytes], None]:
        self.status, self.headers = status, headers
        return self.written.append


class SpaceKGWorker(ThreadWorker):  # type: ignore[misc]
    """gthread with the short path and the stay (see the module docstring)."""

    def init_process(self) -> None:
        self._dates = _Dates()
        # the short path has no TLS, no access log, no request hooks, no SCRIPT_NAME:
        # where any is configured, gunicorn serves every request as usual
        self._short = not (
            self.cfg.is_ssl
            or self.cfg.accesslog
            or self.cfg.pre_request.__module__ != "gunicorn.config"
            or self.cfg.post_request.__module__ != "gunicorn.config"
            or os.environ.get("SCRIPT_NAME")
        )
        self._base_environ = {
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": self.cfg.workers > 1,
            "wsgi.run_once": False,
            "wsgi.file_wrapper": FileWrapper,
            "wsgi.input_terminated": True,
            "SERVER_SOFTWARE": "gunicorn",
            "SCRIPT_NAME": "",
        }
        super().init_process()

    def handle(self, conn: Any) -> Any:
        keep = self._handle_once(conn)
        while keep is True and self.alive and self._next_request_soon(conn):
            keep = self._handle_once(conn)
        return keep

    def _handle_once(self, conn: Any) -> Any:
        if not self._short or conn.is_http2:
            return super().handle(conn)
        if not conn.initialized and not conn.data_ready:
            if not conn.wait_for_data(DEFAULT_WORKER_DATA_TIMEOUT):
                return _DEFER  # as gthread: the poller waits for the data, not a thread
        conn.init()  # plain HTTP/1 (TLS turns the short path off): makes the parser
        if conn.is_http2:
            return super().handle(conn)
        try:
            return self._short_path(conn)
        except OSError:
            return False  # the client went away
        except Exception:
            self.log.exception("Error handling request")
            try:
                conn.sock.sendall(_INTERNAL_ERROR)
            except OSError:
                pass
            return False

    def _short_path(self, conn: Any) -> Any:
        """Serve one request on the short path, or hand it to gunicorn."""
        unreader = conn.parser.unreader
        buffered = unreader.take_buffered()
        data = bytearray(buffered)
        sock = conn.sock
        sock.settimeout(READ_TIMEOUT)  # socket.timeout is an OSError: the caller closes
        end = data.find(b"\r\n\r\n")
        while end < 0 and len(data) <= MAX_HEAD:
            chunk = sock.recv(16384)
            if not chunk:
                return False
            data += chunk
            end = data.find(b"\r\n\r\n")
        head = read_head(bytes(data[:end])) if end >= 0 else None
        if head is None:
            unreader.unread(bytes(data))
            return super().handle(conn)  # which makes the socket blocking again
        start = end + 4
        while len(data) - start < head.content_length:
            chunk = sock.recv(max(16384, head.content_length))
            if not chunk:
                return False
            data += chunk
        body = bytes(data[start : start + head.content_length])
        rest = bytes(data[start + head.content_length :])
        if rest:
            unreader.unread(rest)  # a pipelined request: served next
        sock.settimeout(None)  # a large answer to a slow reader may take its time
        return self._respond(conn, head, body)

    def _respond(self, conn: Any, head: Head, body: bytes) -> bool:
        server = conn.server if isinstance(conn.server, tuple) else (str(conn.server), "")
        environ = {
            **self._base_environ,
            **head.headers,
            "wsgi.input": io.BytesIO(body),
            "gunicorn.socket": conn.sock,
            "REQUEST_METHOD": head.method,
            "PATH_INFO": head.path,
            "QUERY_STRING": head.query_string,
            "RAW_URI": head.target,
            "SERVER_PROTOCOL": head.version,
            "SERVER_NAME": str(server[0]),
            "SERVER_PORT": str(server[1]),
        }
        if isinstance(conn.client, tuple):
            environ["REMOTE_ADDR"], environ["REMOTE_PORT"] = conn.client[0], str(conn.client[1])
        self.nr += 1
        keep = head.keep_alive and self.alive and bool(self.cfg.keepalive)
        if self.nr >= self.max_requests:
            self.alive = keep = False  # gunicorn's max_requests: restart after this one
        if len(self.keepalived_conns) >= self.max_keepalived:
            keep = False
        collector = _Collector()
        answer: Iterable[bytes] = self.wsgi(environ, collector.start_response)
        try:
            chunks = [*collector.written, *answer]
        finally:
            if hasattr(answer, "close"):
                answer.close()
        if collector.status is None:
            raise RuntimeError("the application did not call start_response")
        if any(n.lower() == "connection" and "close" in v.lower() for n, v in collector.headers):
            keep = False
        conn.sock.sendall(
            encode_response(
                head.version,
                collector.status,
                collector.headers,
                b"".join(chunks),
                date=self._dates.now(),
                keep_alive=keep,
            )
        )
        return keep

    def _next_request_soon(self, conn: Any) -> bool:
        """Whether the client sent its next request within ``STAY_SECONDS``, looking every
        few milliseconds whether another connection waits for a thread (then give way)."""
        if conn.parser is not None and conn.parser.unreader.buf.getvalue():
            return True
        poller = select.poll()
        poller.register(conn.sock.fileno(), select.POLLIN)
        deadline = time.monotonic() + STAY_SECONDS
        waiting = self.tpool._work_queue  # noqa: SLF001 - gthread's own pool
        while True:
            if poller.poll(STAY_SLICE_MS):
                return True
            if not waiting.empty() or time.monotonic() > deadline or not self.alive:
                return False
