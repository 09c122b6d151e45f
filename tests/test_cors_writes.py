"""CORS when the server takes writes (issue 6): browser tools may send PUT, DELETE, HEAD and
POST with ``Authorization`` to the write URLs; read-only, nothing of that is advertised; and
``Access-Control-Allow-Credentials`` is never sent."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import requests
from flask import Flask
from live_server import AGENCIES_GRAPH, EX, FIXTURES, live_server
from spacekg.app import create_app

TOKEN = "cors-s3cret"
ORIGIN = "https://curator.example"
WRITE_METHODS = {"PUT", "DELETE", "HEAD", "POST"}


def make_app(**extra: object) -> Flask:
    config: dict[str, object] = {
        "TESTING": True,
        "STORE": "oxigraph",
        "GRAPHS": [[AGENCIES_GRAPH, str(FIXTURES / "agencies.ttl")]],
    }
    config.update(extra)
    return create_app(config)


def writable_app(**extra: object) -> Flask:
    return make_app(WRITABLE=True, WRITE_TOKENS=f"alice:{TOKEN}", **extra)


def preflight_headers(method: str, headers: str = "authorization, content-type") -> dict[str, str]:
    return {
        "Origin": ORIGIN,
        "Access-Control-Request-Method": method,
        "Access-Control-Request-Headers": headers,
    }


def listed(value: str | None) -> set[str]:
    return {v.strip().lower() for v in (value or "").split(",") if v.strip()}


@pytest.mark.parametrize(
    ("path", "method"),
    [
        ("/update", "POST"),
        ("/sparql", "POST"),
        (f"/graph-store?graph={EX}graph/new", "PUT"),
        (f"/graph-store?graph={EX}graph/new", "DELETE"),
        ("/graph-store?default", "HEAD"),
    ],
)
def test_writable_preflight_allows_authorization_and_the_write_methods(
    path: str, method: str
) -> None:
    response = writable_app().test_client().options(path, headers=preflight_headers(method))
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert {m.lower() for m in WRITE_METHODS} <= listed(
        response.headers["Access-Control-Allow-Methods"]
    )
    assert {"authorization", "content-type"} <= listed(
        response.headers["Access-Control-Allow-Headers"]
    )
    assert "Access-Control-Allow-Credentials" not in response.headers


def test_writable_preflight_keeps_a_configured_origin_without_credentials() -> None:
    client = writable_app(CORS_ORIGIN=ORIGIN).test_client()
    response = client.options("/update", headers=preflight_headers("POST"))
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "Origin" in response.headers["Vary"]
    assert "authorization" in listed(response.headers["Access-Control-Allow-Headers"])
    assert "Access-Control-Allow-Credentials" not in response.headers


def test_a_cross_origin_write_answer_carries_cors_and_exposes_the_counts() -> None:
    client = writable_app().test_client()
    response = client.put(
        f"/graph-store?graph={EX}graph/new",
        data=f"<{EX}a> <{EX}b> 1 .",
        headers={"Origin": ORIGIN, "Authorization": f"Bearer {TOKEN}",
                 "Content-Type": "text/turtle"},
    )
    assert response.status_code == 201
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    exposed = listed(response.headers["Access-Control-Expose-Headers"])
    assert {"spacekg-added", "spacekg-removed", "www-authenticate"} <= exposed
    assert "Access-Control-Allow-Credentials" not in response.headers
    refused = client.post("/update", data={"update": "CLEAR ALL"}, headers={"Origin": ORIGIN})
    assert refused.status_code == 401
    assert refused.headers["Access-Control-Allow-Origin"] == "*"


def test_writable_read_urls_keep_the_read_only_preflight() -> None:
    response = writable_app().test_client().options(
        "/download", headers=preflight_headers("GET")
    )
    assert "authorization" not in listed(response.headers["Access-Control-Allow-Headers"])
    assert "PUT" not in response.headers["Access-Control-Allow-Methods"]


@pytest.mark.parametrize("path", ["/sparql", "/update", "/graph-store?default"])
def test_read_only_preflight_advertises_neither_authorization_nor_write_methods(
    path: str,
) -> None:
    response = make_app().test_client().options(path, headers=preflight_headers("PUT"))
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert listed(response.headers["Access-Control-Allow-Methods"]) == {"get", "post", "options"}
    allowed = listed(response.headers["Access-Control-Allow-Headers"])
    assert "authorization" not in allowed and "content-type" in allowed
    assert "Access-Control-Allow-Credentials" not in response.headers
    assert "spacekg-added" not in listed(
        make_app().test_client().get("/sparql", query_string={"query": "ASK {}"})
        .headers["Access-Control-Expose-Headers"]
    )


def test_live_writable_server_answers_a_browser_preflight_then_the_write(
    tmp_path: Path,
) -> None:
    args = ("--writable", "--no-report", "--store", f"oxigraph:{tmp_path / 'store'}",
            "--graph", f"{AGENCIES_GRAPH}={FIXTURES / 'agencies.ttl'}")
    env = {"SPACEKG_WRITE_TOKENS": f"alice:{TOKEN}", "TMPDIR": os.environ.get("TMPDIR", "/tmp")}
    with live_server(*args, env=env) as base:
        target = f"{base}/graph-store?graph={EX}graph/live"
        preflight = requests.options(
            target, headers=preflight_headers("PUT", "Authorization, Content-Type"), timeout=10
        )
        assert preflight.status_code == 200
        assert "PUT" in preflight.headers["Access-Control-Allow-Methods"]
        assert "authorization" in listed(preflight.headers["Access-Control-Allow-Headers"])
        assert "Access-Control-Allow-Credentials" not in preflight.headers
        put = requests.put(
            target, data=f"<{EX}a> <{EX}b> 1 .".encode(),
            headers={"Origin": ORIGIN, "Authorization": f"Bearer {TOKEN}",
                     "Content-Type": "text/turtle"},
            timeout=60,
        )
        assert put.status_code == 201
        assert put.headers["Access-Control-Allow-Origin"] == "*"
        assert put.headers["SpaceKG-Added"] == "1"
