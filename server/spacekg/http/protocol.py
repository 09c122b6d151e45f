"""Read a SPARQL 1.1 Protocol request (query operation) from its raw parts.

The three forms (GET, POST form-encoded, POST ``application/sparql-query``) come down to one
:class:`ProtocolRequest`. Strict where the protocol is: exactly one query, UTF-8 only, the
right media type for the body. Parameters are decoded from the raw bytes, so bad
percent-encoded UTF-8 is refused instead of being silently replaced.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from spacekg.errors import BadRequest, UnsupportedMediaType

FORM = "application/x-www-form-urlencoded"
SPARQL_QUERY = "application/sparql-query"
SPARQL_UPDATE = "application/sparql-update"


@dataclass
class ProtocolRequest:
    """What a request asks: a query or an update (or neither), its dataset and format."""

    query: str | None = None
    update: str | None = None
    default_graph_uris: list[str] = field(default_factory=list)
    named_graph_uris: list[str] = field(default_factory=list)
    using_graph_uris: list[str] = field(default_factory=list)
    using_named_graph_uris: list[str] = field(default_factory=list)
    formats: list[str] = field(default_factory=list)


def decode_params(raw: bytes, where: str) -> list[tuple[str, str]]:
    """Name/value pairs of ``application/x-www-form-urlencoded`` bytes, strictly UTF-8."""
    try:
        text = raw.decode("ascii") if raw.isascii() else raw.decode("utf-8")
        return parse_qsl(text, keep_blank_values=True, encoding="utf-8", errors="strict")
    except UnicodeDecodeError as exc:
        raise BadRequest(
            f"the {where} is not valid UTF-8 (byte {exc.start}): SPARQL requests must be UTF-8"
        ) from exc
    except ValueError as exc:
        raise BadRequest(f"the {where} cannot be read: {exc}") from exc


def parse_request(
    method: str,
    query_string: bytes,
    content_type: str | None,
    body: bytes,
) -> ProtocolRequest:
    """Read the query operation from a request; raise BadRequest / UnsupportedMediaType."""
    params = decode_params(query_string, "URL query string")
    if method == "POST":
        mimetype, charset = _media_type(content_type)
        if mimetype == FORM:
            _require_utf8(charset)
            params += decode_params(body, "form body")
        elif mimetype in (SPARQL_QUERY, SPARQL_UPDATE):
            _require_utf8(charset)
            try:
                text = body.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise BadRequest(
                    f"the request body is not valid UTF-8 (byte {exc.start}): "
                    "SPARQL requests must be UTF-8"
                ) from exc
            text = text.removeprefix("\ufeff")
            name = "query" if mimetype == SPARQL_QUERY else "update"
            params.append((name, text))
        elif not mimetype:
            raise UnsupportedMediaType(
                "a POST to the SPARQL endpoint needs a Content-Type: "
                f"{FORM} (query=…) or {SPARQL_QUERY} (the query as the body)"
            )
        else:
            raise UnsupportedMediaType(
                f"Content-Type {mimetype} is not accepted here; use {FORM} (query=…) or "
                f"{SPARQL_QUERY} (the query as the body)"
            )
    request = ProtocolRequest()
    queries: list[str] = []
    updates: list[str] = []
    formats: list[str] = []
    for name, value in params:
        if name == "query":
            queries.append(value)
        elif name == "update":
            updates.append(value)
        elif name == "default-graph-uri":
            request.default_graph_uris.append(value)
        elif name == "named-graph-uri":
            request.named_graph_uris.append(value)
        elif name == "using-graph-uri":
            request.using_graph_uris.append(value)
        elif name == "using-named-graph-uri":
            request.using_named_graph_uris.append(value)
        elif name in ("format", "output"):
            formats.append(value)
    if len(queries) > 1:
        raise BadRequest(f"the request carries {len(queries)} queries; send exactly one")
    if len(updates) > 1:
        raise BadRequest(f"the request carries {len(updates)} updates; send exactly one")
    if queries and updates:
        raise BadRequest("the request carries both a query and an update; send one operation")
    request.query = queries[0] if queries else None
    request.update = updates[0] if updates else None
    request.formats = formats
    return request


def _media_type(content_type: str | None) -> tuple[str, str | None]:
    if not content_type:
        return "", None
    parts = [p.strip() for p in content_type.split(";")]
    charset = None
    for part in parts[1:]:
        key, _, value = part.partition("=")
        if key.strip().lower() == "charset":
            charset = value.strip().strip('"').lower()
    return parts[0].lower(), charset


def _require_utf8(charset: str | None) -> None:
    if charset not in (None, "utf-8", "utf8"):
        raise UnsupportedMediaType(
            f"charset {charset} is not accepted: SPARQL requests must be encoded in UTF-8"
        )
