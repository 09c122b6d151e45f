"""One access-log line per request, in the shape web servers have always written them.

``127.0.0.1 - [04/Dec/2026:06:10:00 +0000] "GET /sparql?query=ASK%7B%7D HTTP/1.1" 200 35 1.2ms``:
client address, time the request arrived, request line, status, bytes of the answer's body,
milliseconds until the body was sent (Apache's common log format, without its ident and user
fields, plus the time taken — ``grep``, ``awk`` and log tools read it as they read Apache's).

Why a WSGI wrapper and not Granian's own access log (``log_access``): in Granian 2.8 that log
knows neither the size of the answer nor when its body was sent, and writes the path as WSGI
hands it over, percent-decoded: a request for ``/a%0Afake-line`` would put a line break, and
a forged line, into the log. Here the logged text is built so that it cannot hold one:

* the path is percent-encoded again from ``PATH_INFO`` and the query string keeps its own
  encoding; any control character, space, quote, backslash or non-ASCII byte left in either
  is percent-encoded, in the method and protocol too (``\\xNN``);
* request bodies and headers are never logged (so neither is ``Authorization: Bearer …``),
  and the values of query parameters that carry credentials (``access_token=``, RFC 6750
  §2.3; ``token``, ``password``…) are replaced by ``[hidden]``;
* a target longer than :data:`MAX_TARGET_CHARS` is cut, with the number of characters left
  out (``...[+1234]``): a 100 kB query string is no use in a log and fills the disk.
"""

from __future__ import annotations

import logging
import re
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any
from urllib.parse import quote

#: The logger access lines go to (``spacekg serve`` sends it to standard output).
LOGGER_NAME = "spacekg.access"
#: Longest request target (path and query) logged in full.
MAX_TARGET_CHARS = 300

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
# characters a path keeps as they are once percent-encoded again (RFC 3986 pchar and "/")
_PATH_SAFE = "/:@!$&'()*+,;=-._~"
# a query string keeps its own escapes ("%") and every printable ASCII character but
# space, quote and backslash
_QUERY_SAFE = "!#$%&'()*+,-./:;<=>?@[]^_`{|}~"
_SECRET_PARAM = re.compile(
    r"(?i)(^|[&;])((?:access_|api_|auth_|refresh_)?token|password|passwd|secret|api_?key)"
    r"=[^&;]*"
)
_UNPRINTABLE = re.compile(r'[^\x21-\x7e]|["\\]')


def request_target(environ: dict[str, Any]) -> str:
    """The request's path and query as they can safely go into a log line: percent-encoded,
    credentials hidden, cut to :data:`MAX_TARGET_CHARS`."""
    path = quote(_wsgi_bytes(environ.get("PATH_INFO") or "/"), safe=_PATH_SAFE)
    query = environ.get("QUERY_STRING") or ""
    if query:
        query = _SECRET_PARAM.sub(r"\1\2=[hidden]", query)
        path += "?" + quote(_wsgi_bytes(query), safe=_QUERY_SAFE)
    if len(path) > MAX_TARGET_CHARS:
        path = f"{path[:MAX_TARGET_CHARS]}...[+{len(path) - MAX_TARGET_CHARS}]"
    return path


def _wsgi_bytes(text: str) -> bytes:
    """The bytes a WSGI string stands for (PEP 3333 carries them as latin-1 characters)."""
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:  # a server that decoded UTF-8 itself
        return text.encode("utf-8", "backslashreplace")


def _escape(text: str) -> str:
    """Apache's escaping of the fields it does not encode: ``\\xNN`` for anything unprintable,
    quotes and backslashes."""
    return _UNPRINTABLE.sub(lambda m: "".join(f"\\x{b:02x}" for b in m[0].encode()), text)


def common_time(seconds: float) -> str:
    """``04/Dec/2026:06:10:00 +0000`` in local time, whatever the locale."""
    t = time.localtime(seconds)
    return (f"{t.tm_mday:02d}/{_MONTHS[t.tm_mon - 1]}/{t.tm_year}:"
            f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} {time.strftime('%z', t)}")


def format_line(
    environ: dict[str, Any], started: float, status: int, size: int, elapsed: float
) -> str:
    """One access-log line for a finished request."""
    request = (f"{_escape(str(environ.get('REQUEST_METHOD', '-')))} {request_target(environ)} "
               f"{_escape(str(environ.get('SERVER_PROTOCOL', '-')))}")
    return (f"{_escape(str(environ.get('REMOTE_ADDR') or '-'))} - [{common_time(started)}] "
            f'"{request}" {status} {size} {elapsed * 1000:.1f}ms')


class AccessLog:
    """WSGI wrapper writing one line per request to the ``spacekg.access`` logger, once the
    answer's body has been handed to the server (or the app failed: 500)."""

    def __init__(self, app: WSGIApp, logger: logging.Logger | None = None) -> None:
        self.app = app
        self.logger = logger or logging.getLogger(LOGGER_NAME)

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        started, clock = time.time(), time.perf_counter()
        status = [500]

        def record_status(status_line: str, headers: list[tuple[str, str]],
                          exc_info: Any = None) -> Any:
            status[0] = int(status_line.split(" ", 1)[0])
            return start_response(status_line, headers, exc_info)

        try:
            body = self.app(environ, record_status)
        except BaseException:
            self._write(environ, started, 500, 0, clock)
            raise
        if isinstance(body, list):  # whole in memory (replays, errors): keep the server's
            # fast path for lists, the time to send it is the server's own
            self._write(environ, started, status[0], sum(map(len, body)), clock)
            return body
        return _LoggedBody(body, lambda size: self._write(environ, started, status[0], size,
                                                          clock))

    def _write(self, environ: dict[str, Any], started: float, status: int, size: int,
               clock: float) -> None:
        if self.logger.isEnabledFor(logging.INFO):
            self.logger.info("%s", format_line(environ, started, status, size,
                                               time.perf_counter() - clock))


class _LoggedBody:
    """The app's body, counted as it is sent; the line is written when the server closes it
    (WSGI servers close every body they were given, sent in full or not)."""

    __slots__ = ("_inner", "_chunks", "_size", "_done")

    def __init__(self, inner: Iterable[bytes], done: Callable[[int], None]) -> None:
        self._inner = inner
        self._chunks: Iterator[bytes] = iter(inner)
        self._size = 0
        self._done: Callable[[int], None] | None = done

    def __iter__(self) -> _LoggedBody:
        return self

    def __next__(self) -> bytes:
        chunk = next(self._chunks)
        self._size += len(chunk)
        return chunk

    def close(self) -> None:
        try:
            close = getattr(self._inner, "close", None)
            if close is not None:
                close()
        finally:
            done, self._done = self._done, None
            if done is not None:
                done(self._size)


def log_to(stream: Any = None) -> logging.Logger:
    """Send access lines, bare, to ``stream`` (standard output by default) and nowhere else;
    calling it again changes nothing."""
    logger = logging.getLogger(LOGGER_NAME)
    if not any(getattr(h, "_spacekg_access", False) for h in logger.handlers):
        handler = logging.StreamHandler(stream or sys.stdout)
        handler.setFormatter(logging.Formatter("%(message)s"))
        handler._spacekg_access = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    return logger
