"""CORS for a public dataset: any origin may GET and POST (YASGUI, Sparklis).

When the server is writable (``WRITABLE``), browser tools must be able to send writes too:
the preflight of the write URLs (``/update``, ``/sparql``, ``/graph-store``, ``/changes``)
then allows ``Authorization`` and the Graph Store methods (PUT, DELETE, HEAD, POST).
``Access-Control-Allow-Credentials`` is never sent: a bearer token travels in a header the
page sets itself, which needs no credentials mode (and ``*`` with credentials is refused by
browsers anyway). Read-only, ``Authorization`` is never advertised: there is nothing to
authorise.
"""

from __future__ import annotations

from flask import Flask, Response, request

EXPOSED = "ETag, Link, Content-Length, SpaceKG-Truncated, SpaceKG-Max-Rows, Retry-After"
ALLOWED_HEADERS = "Accept, Content-Type, If-None-Match, Cache-Control, X-Requested-With"
READ_METHODS = "GET, POST, OPTIONS"

#: Paths that take writes (or show the change history) when the server is writable.
WRITE_PATHS = ("/update", "/sparql", "/graph-store", "/changes")
WRITE_METHODS = "GET, HEAD, POST, PUT, DELETE, OPTIONS"
WRITE_HEADERS = ALLOWED_HEADERS + ", Authorization"
WRITE_EXPOSED = EXPOSED + ", SpaceKG-Added, SpaceKG-Removed, WWW-Authenticate, Location"


def init_app(app: Flask) -> None:
    """Add CORS headers to every answer and answer preflight requests."""
    origin_setting = str(app.config.get("CORS_ORIGIN", "*"))
    from spacekg.http.writes import is_writable

    writable = is_writable(app)

    @app.after_request
    def add_cors(response: Response) -> Response:
        if not origin_setting:
            return response
        response.headers["Access-Control-Allow-Origin"] = origin_setting
        response.headers.pop("Access-Control-Allow-Credentials", None)
        if origin_setting != "*":
            response.vary.add("Origin")
        for_writes = writable and _is_write_path(request.path)
        if request.method == "OPTIONS":
            asked = request.headers.get("Access-Control-Request-Headers")
            if for_writes:
                response.headers["Access-Control-Allow-Methods"] = WRITE_METHODS
                response.headers["Access-Control-Allow-Headers"] = _merge(asked, WRITE_HEADERS)
            else:
                response.headers["Access-Control-Allow-Methods"] = READ_METHODS
                response.headers["Access-Control-Allow-Headers"] = (
                    _without_authorization(asked) or ALLOWED_HEADERS
                )
            if asked:
                response.vary.add("Access-Control-Request-Headers")
            response.headers["Access-Control-Max-Age"] = "86400"
        else:
            for name, value in answer_headers(origin_setting, writable)[1:]:
                response.headers[name] = value
        return response


def answer_headers(origin_setting: str, writable: bool) -> list[tuple[str, str]]:
    """The CORS headers of an answer to a simple (non-preflight) request."""
    if not origin_setting:
        return []
    return [
        ("Access-Control-Allow-Origin", origin_setting),
        ("Access-Control-Expose-Headers", WRITE_EXPOSED if writable else EXPOSED),
    ]


def _is_write_path(path: str) -> bool:
    return any(path == p or path.startswith(p + "/") for p in WRITE_PATHS)


def _names(value: str | None) -> list[str]:
    return [h.strip() for h in (value or "").split(",") if h.strip()]


def _merge(asked: str | None, allowed: str) -> str:
    """The headers the client asked for, followed by ours (each once)."""
    seen: set[str] = set()
    out = []
    for name in _names(asked) + _names(allowed):
        if name.lower() not in seen:
            seen.add(name.lower())
            out.append(name)
    return ", ".join(out)


def _without_authorization(asked: str | None) -> str:
    return ", ".join(h for h in _names(asked) if h.lower() != "authorization")
