"""Every error becomes an HTTP answer here, and only here.

One table maps SpaceKG's exception classes to status codes (the most specific class wins),
so a route just raises. The answer is JSON when the client prefers JSON (SPARQL clients ask
for ``application/sparql-results+json``), plain text otherwise, and always carries the
message a person needs: the parser's message with line and column, the time limit, the
formats available.
"""

from __future__ import annotations

import json
import logging

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

from spacekg import errors as e
from spacekg.query.negotiate import parse_accept, quality

log = logging.getLogger(__name__)

#: Status for each exception class; the nearest class in an exception's MRO decides.
#: Other blueprints add their own classes here (e.g. an unknown IRI → 404).
STATUS: dict[type[BaseException], int] = {
    e.SpaceKGError: 500,
    e.QueryError: 400,
    e.QuerySyntaxError: 400,
    e.UnsafeQuery: 403,
    e.UpdateRefused: 403,
    e.BadRequest: 400,
    e.UnsupportedMediaType: 415,
    e.RequestTooLarge: 413,
    e.NotAcceptable: 406,
    e.QueryTimeout: 503,
    e.Overloaded: 503,
    e.TooManyRequests: 429,
    e.MemoryLimitExceeded: 503,
    e.EngineCrashed: 500,
    e.Unauthorized: 401,
    e.WriteForbidden: 403,
    e.WriteRejected: 422,
    e.UnprocessableWrite: 422,
}


def status_for(exc: BaseException) -> int:
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 500


def error_response(status: int, title: str, message: str, **details: object) -> Response:
    """A JSON or text error answer, whichever the client prefers."""
    mimetype, text = error_document(
        status, title, message, request.headers.get("Accept"), **details
    )
    return Response(text, status, mimetype=mimetype)


def error_document(
    status: int, title: str, message: str, accept: str | None, **details: object
) -> tuple[str, str]:
    """(media type, text) of an error answer: JSON when the client prefers JSON, else text.
    Needs no request context, so an answer can be written from outside Flask too."""
    ranges = parse_accept(accept)
    wants_json = ranges and max(
        quality(ranges, "application/json"), quality(ranges, "application/sparql-results+json")
    ) > quality(ranges, "text/plain")
    if wants_json:
        body = {"error": {"status": status, "title": title, "message": message, **details}}
        return "application/json", json.dumps(body, ensure_ascii=False)
    lines = [f"{status} {title}", "", message]
    lines += [f"{k}: {v}" for k, v in details.items() if v is not None]
    return "text/plain", "\n".join(lines) + "\n"


def error_answer(
    exc: e.SpaceKGError, accept: str | None
) -> tuple[int, list[tuple[str, str]], bytes]:
    """(status, headers, body) for a SpaceKG exception, without a request context: Flask's
    handler below and the query lane (``http/lane.py``) both answer with it."""
    status = status_for(exc)
    details: dict[str, object] = {"type": type(exc).__name__}
    if isinstance(exc, e.QuerySyntaxError):
        details.update(line=exc.line, column=exc.column)
    if isinstance(exc, e.QueryTimeout):
        details["limit_seconds"] = exc.limit
    if isinstance(exc, e.NotAcceptable):
        details["available"] = list(exc.available)
    if status >= 500 and not isinstance(
        exc, e.QueryTimeout | e.Overloaded | e.MemoryLimitExceeded | e.EngineCrashed
        | e.TooManyRequests
    ):  # those are logged where they happen, with their cause
        log.error("request failed: %s", exc, exc_info=exc)
    mimetype, text = error_document(status, _TITLES.get(status, "Error"), str(exc), accept,
                                    **details)
    body = text.encode("utf-8")
    headers = [("Content-Type", f"{mimetype}; charset=utf-8" if mimetype.startswith("text/")
                else mimetype), ("Content-Length", str(len(body)))]
    if isinstance(exc, e.Unauthorized):
        headers.append(("WWW-Authenticate", BEARER_CHALLENGE))
    if isinstance(exc, e.Overloaded | e.TooManyRequests):
        headers.append(("Retry-After", RETRY_AFTER[type(exc)]))
    return status, headers, body


def register_error_handlers(app: Flask) -> None:
    """Install the one mapping from exceptions to HTTP answers."""

    @app.errorhandler(e.SpaceKGError)
    def spacekg_error(exc: e.SpaceKGError) -> Response:
        if isinstance(exc, e.WriteRejected):
            return _rejected(exc, {"type": type(exc).__name__})
        status, headers, body = error_answer(exc, request.headers.get("Accept"))
        return Response(body, status, headers=headers)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response:
        status = exc.code or 500
        response = error_response(status, exc.name, exc.description or exc.name)
        for name, value in exc.get_headers():
            if name.lower() == "allow":
                response.headers[name] = value
        return response

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> Response:
        log.exception("unexpected error")
        return error_response(
            500, "Internal Server Error", "the server failed unexpectedly; it has been logged"
        )


BEARER_CHALLENGE = 'Bearer realm="spacekg"'
#: Seconds a client should wait before asking again: a busy server frees a process within a
#: second; a client's long queries last up to the time limit.
RETRY_AFTER = {e.Overloaded: "1", e.TooManyRequests: "5"}


def _rejected(exc: e.WriteRejected, details: dict[str, object]) -> Response:
    """422 with the validation report (focus node, path, message) in the language asked."""
    lang = next(
        (
            tag.split("-")[0].lower()
            for tag, q in request.accept_languages
            if q > 0 and tag.split("-")[0].lower() in ("en", "zh")
        ),
        "en",
    )
    report = exc.report
    message = str(exc)
    if report is not None:
        message += "\n\n" + report.format(lang, include_warnings=False)
        details["violations"] = [
            {"severity": r.severity, "focus": r.focus, "path": r.path, "value": r.value,
             "message": r.message(lang), "shape": r.shape}
            for r in report.violations
        ]
    ranges = parse_accept(request.headers.get("Accept"))
    if ranges and quality(ranges, "application/json") > quality(ranges, "text/plain"):
        response = error_response(422, "Unprocessable Content", str(exc), **details)
    else:
        response = error_response(422, "Unprocessable Content", message)
    response.headers["Content-Language"] = lang
    return response


_TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    406: "Not Acceptable",
    429: "Too Many Requests",
    413: "Content Too Large",
    415: "Unsupported Media Type",
    422: "Unprocessable Content",
    500: "Internal Server Error",
    503: "Service Unavailable",
}
