"""CORS for a public read-only dataset: any origin may GET and POST (YASGUI, Sparklis)."""

from __future__ import annotations

from flask import Flask, Response, request

EXPOSED = "ETag, Link, Content-Length, SpaceKG-Truncated, SpaceKG-Max-Rows, Retry-After"
ALLOWED_HEADERS = "Accept, Content-Type, If-None-Match, Cache-Control, X-Requested-With"


def init_app(app: Flask) -> None:
    """Add CORS headers to every answer and answer preflight requests."""
    origin_setting = str(app.config.get("CORS_ORIGIN", "*"))

    @app.after_request
    def add_cors(response: Response) -> Response:
        if not origin_setting:
            return response
        response.headers["Access-Control-Allow-Origin"] = origin_setting
        if origin_setting != "*":
            response.vary.add("Origin")
        if request.method == "OPTIONS":
            response.headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
            asked = request.headers.get("Access-Control-Request-Headers")
            response.headers["Access-Control-Allow-Headers"] = asked or ALLOWED_HEADERS
            response.headers["Access-Control-Max-Age"] = "86400"
        else:
            response.headers["Access-Control-Expose-Headers"] = EXPOSED
        return response
