"""Curated writes over HTTP (only with ``WRITABLE``): SPARQL 1.1 Update and the Graph Store
HTTP Protocol.

Thin routes: check the bearer token, read the request, call :class:`spacekg.write.gate.WriteGate`
(which validates, applies, flushes and audits), answer. ``/sparql`` hands its update requests
here; ``/update`` is the same operation on its own URL; ``/graph-store`` is the Graph Store
Protocol (``?graph=IRI`` or ``?default``). Without ``WRITABLE`` nothing here is registered and
``/sparql`` keeps answering updates 403.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, Flask, Response, current_app, request
from markupsafe import escape

from spacekg.config import parse_size, worker_memory_limit
from spacekg.errors import BadRequest
from spacekg.http.body import read_body
from spacekg.http.serving import get_store
from spacekg.query import negotiate
from spacekg.query.protocol import ProtocolRequest, decode_params, parse_request
from spacekg.write.gate import (
    GRAPH_FORMATS,
    PROTECTED_GRAPHS,
    GraphTarget,
    WriteGate,
    WriteResult,
)
from spacekg.write.journal import changeset_lines, changeset_table, default_audit_log
from spacekg.write.tokens import authorise, load_tokens

_KEY = "spacekg.writes"

writes_bp = Blueprint("writes", __name__)


@dataclass
class _Writes:
    """Per-app write state: the tokens (read once at start-up) and the gate of this process."""

    tokens: dict[str, str]
    audit_log: str | None
    lock: threading.Lock = field(default_factory=threading.Lock)
    gate: WriteGate | None = None

    def gate_for(self) -> WriteGate:
        store = get_store()
        with self.lock:
            if self.gate is None or self.gate.store is not store:
                from spacekg.build.dataset import Sources, load_graph

                sources = Sources.packaged()
                config = current_app.config
                opened = set(config.get("WRITE_OPEN_GRAPHS") or ())
                self.gate = WriteGate(
                    store,
                    shapes=load_graph(sources.shapes),
                    ontology=load_graph(sources.ontology),
                    audit_log=self.audit_log or default_audit_log(store),
                    protected_graphs=PROTECTED_GRAPHS - opened,
                    allow_clear_all=bool(config.get("WRITE_ALLOW_CLEAR_ALL")),
                    max_literal_chars=int(config["WRITE_MAX_LITERAL_CHARS"]),
                    max_write_quads=int(config["WRITE_MAX_QUADS"]),
                    **update_limits(config),
                )
            return self.gate


def update_limits(config: Mapping[str, Any]) -> dict[str, Any]:
    """The update process's time limit and memory share, and the worker's share its whole
    process tree must stay under (``update_process.py``)."""
    worker = worker_memory_limit(dict(config))
    own = config.get("WRITE_MEMORY") or 0
    return {
        "update_timeout": float(config.get("WRITE_TIMEOUT") or 10.0),
        "update_memory": parse_size(own) if own else max(64 << 20, worker // 4),
        "tree_limit": worker,
    }


def recover_at_start(app: Flask) -> None:
    """Open the gate, which settles writes a crash interrupted (``WriteGate._recover``):
    the audit log and the store agree before the first request is served."""
    if _KEY in app.extensions:
        with app.app_context():
            _state().gate_for()


def init_app(app: Flask) -> None:
    """Register the write routes when ``WRITABLE`` is on; raise ConfigError without tokens."""
    if not is_writable(app):
        return
    tokens = load_tokens(app.config.get("WRITE_TOKENS_FILE"), _env_tokens(app))
    app.extensions[_KEY] = _Writes(tokens, app.config.get("WRITE_AUDIT_LOG") or None)
    app.register_blueprint(writes_bp)


def accepts_writes() -> bool:
    """Whether this app was set up for curated writes (``init_app`` found it writable)."""
    return _KEY in current_app.extensions


def is_writable(app: Flask) -> bool:
    value = app.config.get("WRITABLE")
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


def _env_tokens(app: Flask) -> str | None:
    value = app.config.get("WRITE_TOKENS")
    return str(value) if value else None


def _state() -> _Writes:
    return current_app.extensions[_KEY]  # type: ignore[no-any-return]


def _who() -> str:
    return authorise(request.headers.get("Authorization"), _state().tokens)


def handle_update(protocol: ProtocolRequest) -> Response:
    """Answer a SPARQL Update request already read by ``/sparql`` (or ``/update``)."""
    who = _who()
    if request.method != "POST":
        raise BadRequest("SPARQL Update must be sent with POST")
    assert protocol.update is not None
    if not protocol.update.strip():
        raise BadRequest("the update is empty")
    result = _state().gate_for().update(
        protocol.update,
        who=who,
        using_graph_uris=protocol.using_graph_uris,
        using_named_graph_uris=protocol.using_named_graph_uris,
    )
    return _done(result, 200, f"update applied: {result.added} added, {result.removed} removed")


@writes_bp.route("/update", methods=["POST"])
def update() -> Response:
    _who()
    body = read_body()
    protocol = parse_request(
        "POST", request.query_string, request.headers.get("Content-Type"), body
    )
    if protocol.update is None:
        raise BadRequest("the request carries no update (parameter 'update' or a body)")
    return handle_update(protocol)


@writes_bp.route("/graph-store", methods=["GET", "HEAD", "PUT", "POST", "DELETE"])
def graph_store() -> Response:
    target = _target()
    gate_state = _state()
    if request.method in ("GET", "HEAD"):
        fmt = negotiate.choose(
            [f for f in negotiate.GRAPH if f.media_type in GRAPH_FORMATS],
            request.headers.get("Accept"),
            [],
        )
        body = gate_state.gate_for().read_graph(target, fmt.media_type)
        response = Response(body, 200, content_type=fmt.content_type)
        response.headers["Vary"] = "Accept"
        response.headers["Cache-Control"] = "no-cache"
        return response
    who = _who()
    body = read_body()
    gate = gate_state.gate_for()
    if request.method == "DELETE":
        return _done(gate.delete_graph(target, who=who), 204)
    media_type = (request.mimetype or "").lower()
    if request.method == "PUT":
        result = gate.replace_graph(target, body, media_type, who=who)
    else:
        result = gate.add_to_graph(target, body, media_type, who=who)
    return _done(result, 201 if result.created else 204)


_CHANGES_JSON = negotiate.Format("application/json", "json", "json")
_CHANGES_TEXT = negotiate.Format("text/plain", "text", "txt")
_CHANGES_OFFERS = (_CHANGES_JSON, negotiate.HTML, _CHANGES_TEXT)


@writes_bp.route("/changes", methods=["GET"])
def changes() -> Response:
    """The change history, oldest first (curators only: it names who wrote): JSON, an HTML
    table or plain text, as ``Accept`` (or ``?format=json|html|text``) asks."""
    _who()
    fmt = negotiate.choose(_CHANGES_OFFERS, request.headers.get("Accept"),
                           request.args.getlist("format") or None)
    records = _state().gate_for().journal.changesets()
    if fmt is negotiate.HTML:
        response = Response(_changes_html(records), 200, content_type="text/html; charset=utf-8")
    elif fmt is _CHANGES_TEXT:
        response = Response(changeset_table(records), 200,
                            content_type="text/plain; charset=utf-8")
    else:
        response = current_app.json.response({"changesets": records})
    response.headers["Vary"] = "Accept"
    response.headers["Cache-Control"] = "no-store"
    return response


@writes_bp.route("/changes/export", methods=["GET"])
def changes_export() -> Response:
    """Every changeset in order, one JSON object per line with its added and removed quads
    (``added_nquads`` / ``removed_nquads``): the whole history as one download."""
    _who()
    gate = _state().gate_for()
    records = gate.journal.changesets()
    response = Response(changeset_lines(records, gate.journal.changeset_quads), 200,
                        content_type="application/x-ndjson; charset=utf-8")
    response.headers["Content-Disposition"] = 'attachment; filename="spacekg-changes.jsonl"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _changes_html(records: list[dict[str, object]]) -> str:
    rows = []
    for r in records:
        name = escape(str(r.get("changeset", "")))
        rows.append(
            f"<tr><td>{escape(str(r.get('time', '')))}</td><td><code>{name}</code></td>"
            f"<td>{escape(str(r.get('token_name', '')))}</td>"
            f"<td>{escape(str(r.get('operation', '')))}</td>"
            f"<td><a href=\"changes/{name}/added\">+{escape(str(r.get('added', 0)))}</a></td>"
            f"<td><a href=\"changes/{name}/removed\">&minus;"
            f"{escape(str(r.get('removed', 0)))}</a></td>"
            f"<td>{escape(', '.join(str(g) for g in r.get('graphs', [])))}</td></tr>"  # type: ignore[attr-defined]
        )
    body = "\n".join(rows) or '<tr><td colspan="7">no accepted write yet</td></tr>'
    return (
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<title>SpaceKG changes</title></head><body>\n<h1>Changes</h1>\n"
        f"<p>{len(records)} accepted write(s), oldest first. "
        "<a href=\"changes/export\">Download all</a> (JSON lines with the quads).</p>\n"
        "<table><thead><tr><th>time</th><th>changeset</th><th>who</th><th>operation</th>"
        "<th>added</th><th>removed</th><th>graphs</th></tr></thead><tbody>\n"
        f"{body}\n</tbody></table>\n</body></html>\n"
    )


@writes_bp.route("/changes/<name>/<kind>", methods=["GET"])
def changeset(name: str, kind: str) -> Response:
    """One changeset's added or removed quads as N-Quads."""
    _who()
    body = _state().gate_for().journal.changeset_quads(name, kind)
    response = Response(body, 200, content_type="application/n-quads; charset=utf-8")
    response.headers["Cache-Control"] = "no-store"
    return response


def _target() -> GraphTarget:
    params = decode_params(request.query_string, "URL query string")
    graphs = [v for k, v in params if k == "graph"]
    default = any(k == "default" for k, _ in params)
    if len(graphs) + int(default) != 1:
        raise BadRequest("name exactly one graph: ?graph=IRI or ?default")
    if default:
        return GraphTarget(None)
    import pyoxigraph as ox

    try:
        ox.NamedNode(graphs[0])
    except ValueError as exc:
        raise BadRequest(f"graph={graphs[0]!r} is not an absolute IRI: {exc}") from exc
    return GraphTarget(graphs[0])


def _done(result: WriteResult, status: int, message: str = "") -> Response:
    response = Response(
        (message + "\n") if message and status != 204 else None,
        status,
        mimetype="text/plain",
    )
    response.headers["SpaceKG-Added"] = str(result.added)
    response.headers["SpaceKG-Removed"] = str(result.removed)
    response.headers["Cache-Control"] = "no-store"
    return response
