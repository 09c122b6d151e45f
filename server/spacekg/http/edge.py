"""The edge of the app: what every answer names and carries when the server faces strangers.

* **One public base URL.** A client's ``Host`` header is whatever it chose to send; a
  redirect, a download link or a service description built from it would point a shared cache
  (and everyone behind it) at that host. So the request's host, port, scheme and script root
  are set from the configured ``BASE_URL`` (``--base-url`` / ``SPACEKG_BASE_URL``, by default
  where the server listens) before Flask or the query lane sees it: no other Host value can
  reach a response. Behind a reverse proxy, set ``BASE_URL`` to the address people use; a
  path in it (``https://example.org/spacekg/``) is the script root, which the proxy strips.
* **Security headers on every answer**, the query lane's included: a Content Security Policy
  that SpaceKG's pages satisfy (scripts and styles from this server only; styles may be
  inline, as YASGUI and the bar charts set them), ``nosniff``, no framing, and a referrer
  policy that keeps query texts out of other sites' logs.

Both are plain WSGI wrappers (they run for every request, the lane's fast path included).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

from spacekg.errors import ConfigError

Environ = dict[str, Any]
StartResponse = Callable[..., Any]
WSGIApp = Callable[[Environ, StartResponse], Iterable[bytes]]

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "worker-src 'self' blob:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
SECURITY_HEADERS: tuple[tuple[str, str], ...] = (
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "strict-origin-when-cross-origin"),
)
_SECURITY_NAMES = frozenset(name.lower() for name, _ in SECURITY_HEADERS)


def parse_base_url(value: str) -> tuple[str, str, str, str, str]:
    """(scheme, host, netloc, port, script root) of a public base URL; ConfigError
    otherwise."""
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(
            f"BASE_URL must be an http(s) URL such as https://example.org/, not {value!r}"
        )
    if parts.query or parts.fragment or parts.username or parts.password:
        raise ConfigError(f"BASE_URL takes no query, fragment or user: {value!r}")
    try:
        port = parts.port
    except ValueError as exc:
        raise ConfigError(f"BASE_URL has a bad port: {value!r}") from exc
    host = parts.hostname
    if ":" in host:
        host = f"[{host}]"  # an IPv6 literal
    default = 443 if parts.scheme == "https" else 80
    port = port or default
    netloc = host if port == default else f"{host}:{port}"
    return parts.scheme, host, netloc, str(port), parts.path.rstrip("/")


class PublicURL:
    """Every request as if addressed to the configured base URL (module docstring)."""

    def __init__(self, app: WSGIApp, base_url: str) -> None:
        self.app = app
        self.scheme, self.host, self.netloc, self.port, self.root = parse_base_url(base_url)

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        environ["HTTP_HOST"] = self.netloc
        environ["SERVER_NAME"] = self.host
        environ["SERVER_PORT"] = self.port
        environ["wsgi.url_scheme"] = self.scheme
        environ["SCRIPT_NAME"] = self.root
        for forwarded in ("HTTP_X_FORWARDED_HOST", "HTTP_X_FORWARDED_PROTO", "HTTP_FORWARDED"):
            environ.pop(forwarded, None)
        return self.app(environ, start_response)


class SecurityHeaders:
    """Add :data:`SECURITY_HEADERS` to every answer that does not set them itself."""

    def __init__(self, app: WSGIApp) -> None:
        self.app = app

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        def start(status: str, headers: list[tuple[str, str]], *exc_info: Any) -> Any:
            present = {name.lower() for name, _ in headers} & _SECURITY_NAMES
            if len(present) < len(SECURITY_HEADERS):
                headers = list(headers) + [
                    (name, value)
                    for name, value in SECURITY_HEADERS
                    if name.lower() not in present
                ]
            return start_response(status, headers, *exc_info)

        return self.app(environ, start)
