"""The update half of the W3C SPARQL 1.1 Protocol tests, run against ``spacekg serve
--writable`` (the query half is in ``test_w3c_protocol.py``; the manifest is read there).

Each update request is sent exactly as the manifest writes it, plus the bearer token; every
write passes the SHACL gate (the test data is outside SpaceKG's vocabulary, so it breaks no
shape and must be accepted).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from live_server import live_server

w3c = pytest.importorskip("test_w3c_protocol")

TOKEN = "w3c-s3cret"
UPDATE_TESTS = [t for t in w3c.TESTS if t.name.startswith("update_")]


def test_the_manifest_has_the_seven_update_tests() -> None:
    assert len(UPDATE_TESTS) == 7


@pytest.fixture(scope="module")
def writable_server() -> Iterator[str]:
    with live_server("--no-report", "--store", "oxigraph", "--writable",
                     env={"SPACEKG_WRITE_TOKENS": f"w3c:{TOKEN}"}) as base:
        yield base


@pytest.mark.parametrize("case", UPDATE_TESTS, ids=[t.name for t in UPDATE_TESTS])
def test_w3c_update_protocol(writable_server: str, case: object) -> None:
    for request in case.requests:  # type: ignore[attr-defined]
        assert request.path.startswith("/sparql/")
        url = writable_server + "/sparql" + request.path.removeprefix("/sparql/").join(["/", ""])
        headers: dict[str, str | None] = {
            "Accept": None, **request.headers, "Authorization": f"Bearer {TOKEN}"
        }
        response = requests.request(request.method, url, headers=headers, data=request.body,
                                    allow_redirects=False, timeout=60)
        w3c._check(response, request.expected)
