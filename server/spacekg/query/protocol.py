"""Read a SPARQL Protocol request (query or update operation) from its raw parts.

The forms (GET, POST form-encoded, POST ``application/sparql-query`` or
``application/sparql-update``) come down to one :class:`ProtocolRequest`. Strict where the
protocol is: exactly one query or update, UTF-8 only, the right media type for the body, no
body on a GET, and in a form-encoded POST the operation in the body (not the URL).
Parameters are decoded from the raw bytes, so bad percent-encoded UTF-8 is refused instead of
being silently replaced.

SPARQL 1.2 lets a client announce the language version: a ``version`` parameter (at most
one) or a ``version`` media-type parameter on the body's type. Both are read, checked
against :data:`SUPPORTED_VERSIONS` and kept in :attr:`ProtocolRequest.version`; the engine
parses what it can either way (a 1.1 query is a 1.2 query).
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass, field
from urllib.parse import unquote_to_bytes

from spacekg.errors import BadRequest, UnsupportedMediaType

FORM = "application/x-www-form-urlencoded"
SPARQL_QUERY = "application/sparql-query"
SPARQL_UPDATE = "application/sparql-update"
#: Versions a client may announce (SPARQL 1.2 Protocol §2.1); Oxigraph parses 1.2 syntax.
SUPPORTED_VERSIONS = ("1.1", "1.2")
#: Paths of the protocol's query operation (the lane, ``http/lane.py``, and the Flask route,
#: ``http/sparql.py``, serve them).
QUERY_PATHS = frozenset({"/sparql", "/sparql/"})
#: Largest body the fast ways in read themselves (POSTed queries are short); bigger ones go
#: the long way, where the size limit (413) is enforced.
SHORT_BODY = 64 * 1024
#: Parameters that carry the operation itself: in a form-encoded POST they belong in the body.
_OPERATIONS = ("query", "update")


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
    version: str | None = None


def decode_params(raw: bytes, where: str) -> list[tuple[str, str]]:
    """Name/value pairs of ``application/x-www-form-urlencoded`` bytes, strictly UTF-8.

    Read as ``urllib.parse.parse_qsl(..., keep_blank_values=True)`` reads them (fields split
    on ``&``, empty ones skipped, ``+`` is a space, a stray ``%`` kept), but percent-decoded
    in C: an encoded query is mostly ``%XX``, and the standard library's loop over them
    cost a tenth of a point lookup."""
    pairs: list[tuple[str, str]] = []
    try:
        for field_ in raw.split(b"&"):
            if field_:
                name, _, value = field_.partition(b"=")
                pairs.append((_unquote_plus(name).decode(), _unquote_plus(value).decode()))
    except UnicodeDecodeError as exc:
        raise BadRequest(
            f"the {where} is not valid UTF-8 (byte {exc.start}): SPARQL requests must be UTF-8"
        ) from exc
    return pairs


def _unquote_plus(data: bytes) -> bytes:
    """Form decoding of one name or value: ``+`` to space, ``%XX`` to its byte."""
    data = data.replace(b"+", b" ")
    if b"%" not in data:
        return data
    escaped = data.replace(b"\\", b"\\\\").replace(b"%", b"\\x")  # %XX becomes \xXX
    try:
        return codecs.escape_decode(escaped)[0]  # type: ignore[attr-defined,no-any-return]
    except ValueError:  # a % not followed by two hex digits: the standard library keeps it
        return unquote_to_bytes(data)


def parse_request(
    method: str,
    query_string: bytes,
    content_type: str | None,
    body: bytes,
) -> ProtocolRequest:
    """Read the operation from a request; raise BadRequest / UnsupportedMediaType."""
    params = decode_params(query_string, "URL query string")
    versions: list[str] = []
    if method == "GET" and body:
        raise BadRequest(
            "a GET request to the SPARQL endpoint must not have a body; send the query in the "
            "URL (query=…) or POST it"
        )
    if method == "POST":
        mimetype, charset, media_params = _media_type(content_type)
        if mimetype == FORM:
            _require_utf8(charset)
            in_url = sorted({name for name, _ in params if name in _OPERATIONS})
            if in_url:
                raise BadRequest(
                    f"a form-encoded POST carries its {in_url[0]} in the body, not in the URL "
                    f"({in_url[0]}=… found in the URL query string)"
                )
            params += decode_params(body, "form body")
        elif mimetype in (SPARQL_QUERY, SPARQL_UPDATE):
            _require_utf8(charset)
            if "version" in media_params:
                versions.append(media_params["version"])
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
        elif name == "version":
            versions.append(value)
    if len(queries) > 1:
        raise BadRequest(f"the request carries {len(queries)} queries; send exactly one")
    if len(updates) > 1:
        raise BadRequest(f"the request carries {len(updates)} updates; send exactly one")
    if queries and updates:
        raise BadRequest("the request carries both a query and an update; send one operation")
    for name, iris in (
        ("default-graph-uri", request.default_graph_uris),
        ("named-graph-uri", request.named_graph_uris),
        ("using-graph-uri", request.using_graph_uris),
        ("using-named-graph-uri", request.using_named_graph_uris),
    ):
        _require_iris(name, iris)
    request.query = queries[0] if queries else None
    request.update = updates[0] if updates else None
    request.formats = formats
    request.version = _version(versions)
    return request


def _require_iris(name: str, values: list[str]) -> None:
    """Graph parameters name graphs by absolute IRI; anything else is the client's error."""
    import pyoxigraph as ox

    for value in values:
        try:
            ox.NamedNode(value)
        except ValueError as exc:
            raise BadRequest(f"{name}={value[:200]!r} is not an absolute IRI: {exc}") from None


def _version(versions: list[str]) -> str | None:
    """The one version announced (parameter or media-type parameter), checked."""
    if not versions:
        return None
    if len(versions) > 1:
        raise BadRequest(
            f"the request announces {len(versions)} versions ({', '.join(versions)}); "
            "give at most one"
        )
    version = versions[0].strip()
    if version not in SUPPORTED_VERSIONS:
        raise BadRequest(
            f"version {version!r} is not supported; this endpoint speaks SPARQL "
            + " and ".join(SUPPORTED_VERSIONS)
        )
    return version


def _media_type(content_type: str | None) -> tuple[str, str | None, dict[str, str]]:
    """The media type, its charset (lower case) and its other parameters."""
    if not content_type:
        return "", None, {}
    parts = [p.strip() for p in content_type.split(";")]
    charset = None
    others: dict[str, str] = {}
    for part in parts[1:]:
        key, _, value = part.partition("=")
        key = key.strip().lower()
        value = value.strip().strip('"')
        if key == "charset":
            charset = value.lower()
        elif key:
            others[key] = value
    return parts[0].lower(), charset, others


def _require_utf8(charset: str | None) -> None:
    if charset not in (None, "utf-8", "utf8"):
        raise UnsupportedMediaType(
            f"charset {charset} is not accepted: SPARQL requests must be encoded in UTF-8"
        )
