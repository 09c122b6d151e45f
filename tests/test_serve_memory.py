"""An in-memory Oxigraph served by Granian: each worker loads its own copy, and a worker
that dies is replaced by one that loads the same data."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import requests
from live_server import fixture_graph_args, live_server

COUNT = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"


def _pids_serving(port: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"serve" in cmdline and port.encode() in cmdline:
            found.append(int(entry.name))
    return found


def _parent(pid: int) -> int:
    return int((Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[1])


def _count(base: str) -> int:
    # a fresh connection each time, so the requests spread over the workers
    response = requests.get(base + "/sparql", params={"query": COUNT, "format": "csv"},
                            headers={"Connection": "close"}, timeout=30)
    assert response.status_code == 200
    return int(response.text.splitlines()[1])


def test_a_killed_worker_is_replaced_by_one_that_serves_the_same_data() -> None:
    with live_server("--no-report", "--workers", "2", *fixture_graph_args()) as base:
        port = base.rsplit(":", 1)[1]
        expected = _count(base)
        assert expected > 0
        deadline = time.monotonic() + 30
        while True:  # the workers start one after the other
            pids = _pids_serving(port)
            workers = [p for p in pids if _parent(p) in pids]
            if len(workers) == 2 or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert len(workers) == 2
        os.kill(workers[0], signal.SIGKILL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            current = [p for p in _pids_serving(port) if _parent(p) in pids]
            if len(current) == 2 and workers[0] not in current:
                break
            time.sleep(0.2)
        else:
            raise AssertionError("no new worker was started")
        assert {_count(base) for _ in range(20)} == {expected}
