"""The change history (issue 6): changesets listed as JSON, HTML or text, exported in order
as one download that replays to the current state, and listed by ``spacekg changes``."""

from __future__ import annotations

import json
from pathlib import Path

import pyoxigraph as ox
import pytest
from flask import Flask
from flask.testing import FlaskClient
from live_server import AGENCIES_GRAPH, EX, FIXTURES
from spacekg.app import create_app
from spacekg.cli import main
from spacekg.http.serving import get_store
from spacekg.write.quads import settle_union

TOKEN = "s3cret-alice"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
FIRST = f'INSERT DATA {{ GRAPH <{AGENCIES_GRAPH}> {{ <{EX}agency-c> <{EX}note> "第一" }} }}'
SECOND = (
    f'DELETE DATA {{ GRAPH <{AGENCIES_GRAPH}> {{ <{EX}agency-c> <{EX}note> "第一" }} }} ; '
    f"INSERT DATA {{ GRAPH <{EX}graph/notes> {{ <{EX}agency-c> <{EX}staff> 7 }} }}"
)


def quads(app: Flask) -> set[ox.Quad]:
    with app.app_context():
        return set(get_store().native)  # type: ignore[attr-defined]


@pytest.fixture
def app(tmp_path: Path) -> Flask:
    return create_app({
        "TESTING": True,
        "STORE": "oxigraph",
        "GRAPHS": [[AGENCIES_GRAPH, str(FIXTURES / "agencies.ttl")]],
        "WRITABLE": True,
        "WRITE_TOKENS": f"alice:{TOKEN},bob:s3cret-bob",
        "WRITE_AUDIT_LOG": str(tmp_path / "audit.jsonl"),
    })


@pytest.fixture
def written(app: Flask) -> tuple[FlaskClient, set[ox.Quad]]:
    """Two accepted writes (by alice, then bob) and one refused; returns the state before."""
    client = app.test_client()
    client.get("/sparql", query_string={"query": "ASK {}"})  # opens the store
    before = quads(app)
    assert client.post("/update", data={"update": FIRST}, headers=AUTH).status_code == 200
    bob = {"Authorization": "Bearer s3cret-bob"}
    assert client.post("/update", data={"update": SECOND}, headers=bob).status_code == 200
    assert client.post("/update", data={"update": "INSERT {"}, headers=AUTH).status_code == 400
    return client, before


def test_changes_are_json_by_default_oldest_first(written: tuple[FlaskClient, set]) -> None:
    client, _ = written
    response = client.get("/changes", headers=AUTH)
    assert response.status_code == 200 and response.mimetype == "application/json"
    listed = response.json["changesets"]  # type: ignore[index]
    assert [r["token_name"] for r in listed] == ["alice", "bob"]
    assert [(r["added"], r["removed"]) for r in listed] == [(1, 0), (1, 1)]
    assert response.headers["Cache-Control"] == "no-store"


def test_changes_are_an_html_table_or_plain_text_when_asked(
    written: tuple[FlaskClient, set],
) -> None:
    client, _ = written
    html = client.get("/changes", headers={**AUTH, "Accept": "text/html"})
    assert html.mimetype == "text/html"
    page = html.get_data(as_text=True)
    assert page.count("<tr><td>") == 2 and "alice" in page and "bob" in page
    assert 'href="changes/export"' in page
    text = client.get("/changes", headers={**AUTH, "Accept": "text/plain"})
    assert text.mimetype == "text/plain"
    lines = text.get_data(as_text=True).splitlines()
    assert len(lines) == 2 and "alice  +1 -0" in lines[0] and "bob  +1 -1" in lines[1]
    assert client.get("/changes", query_string={"format": "text"},
                      headers=AUTH).mimetype == "text/plain"
    assert client.get("/changes", headers={**AUTH, "Accept": "image/png"}).status_code == 406


def test_changes_export_replays_from_the_old_state_to_the_current_one(
    app: Flask, written: tuple[FlaskClient, set],
) -> None:
    client, before = written
    response = client.get("/changes/export", headers=AUTH)
    assert response.status_code == 200
    assert response.mimetype == "application/x-ndjson"
    assert "attachment" in response.headers["Content-Disposition"]
    lines = [json.loads(line) for line in response.get_data(as_text=True).splitlines()]
    assert [line["token_name"] for line in lines] == ["alice", "bob"]
    assert '"第一"' in lines[0]["added_nquads"]  # UTF-8, not escaped
    replay = ox.Store()
    replay.extend(before)
    for line in lines:
        state = set(replay)
        for q in ox.parse(line["removed_nquads"].encode(), format=ox.RdfFormat.N_QUADS):
            replay.remove(q)
        replay.extend(ox.parse(line["added_nquads"].encode(), format=ox.RdfFormat.N_QUADS))
        settle_union(replay, state)  # the default graph follows the named graphs
    assert set(replay) == quads(app)


def test_the_change_history_needs_a_token(written: tuple[FlaskClient, set]) -> None:
    client, _ = written
    for path in ("/changes", "/changes/export"):
        assert client.get(path).status_code == 401
        assert client.get(path, headers={"Authorization": "Bearer wrong"}).status_code == 403


def test_spacekg_changes_lists_and_exports_what_the_server_recorded(
    written: tuple[FlaskClient, set], tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    store = ["--store", f"oxigraph:{tmp_path}", "--audit-log", str(tmp_path / "audit.jsonl")]
    assert main(["changes", *store]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 2 and "alice  +1 -0" in out[0] and f"{EX}graph/notes" in out[1]
    assert main(["changes", *store, "--format", "json"]) == 0
    listed = json.loads(capsys.readouterr().out)["changesets"]
    assert [r["token_name"] for r in listed] == ["alice", "bob"]
    assert main(["changes", *store, "--export"]) == 0
    exported = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    client, _ = written
    served = client.get("/changes/export", headers=AUTH).get_data(as_text=True)
    assert exported == [json.loads(line) for line in served.splitlines()]


def test_spacekg_changes_on_a_store_without_writes_lists_none(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["changes", "--store", f"oxigraph:{tmp_path}"]) == 0
    captured = capsys.readouterr()
    assert captured.out == "" and "no changesets" in captured.err


@pytest.mark.parametrize("store", ["oxigraph:{tmp}/missing", "memory"])
def test_spacekg_changes_with_a_bad_store_is_exit_2_without_traceback(
    store: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["changes", "--store", store.format(tmp=tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("spacekg: error: ") and "Traceback" not in err
