"""An acknowledged write to an on-disk store survives ``kill -9`` of a live ``spacekg serve``
and a restart; the token is never on the command line nor in the server's log."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests
from live_server import AGENCIES_GRAPH, EX, FIXTURES, free_port

TOKEN = "durable-s3cret"
FACT = f"<{EX}agency-d> <{EX}staff> 99"


def start(store: Path, log_path: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    args = [sys.executable, "-m", "spacekg.cli", "serve", "--port", str(port), "--no-report",
            "--store", f"oxigraph:{store}",
            "--graph", f"{AGENCIES_GRAPH}={FIXTURES / 'agencies.ttl'}", "--writable"]
    env = {**os.environ, "SPACEKG_WRITE_TOKENS": f"curator:{TOKEN}"}
    with log_path.open("ab") as log:
        process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=env,
                                   start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"serve exited {process.returncode}:\n{log_path.read_text()}")
        try:
            if requests.get(base + "/sparql", params={"query": "ASK {}"}, timeout=2).ok:
                return process, base
        except requests.ConnectionError:
            pass
        if time.monotonic() > deadline:
            os.killpg(process.pid, signal.SIGKILL)
            raise RuntimeError(f"serve did not answer:\n{log_path.read_text()}")
        time.sleep(0.2)


def ask(base: str, query: str) -> bool:
    response = requests.get(base + "/sparql", params={"query": query},
                            headers={"Accept": "application/sparql-results+json"}, timeout=10)
    response.raise_for_status()
    return bool(response.json()["boolean"])


def test_acknowledged_write_survives_kill_9_and_restart(tmp_path: Path) -> None:
    store = tmp_path / "store"
    log_path = tmp_path / "serve.log"
    process, base = start(store, log_path)
    try:
        assert ask(base, f"ASK {{ <{EX}agency-a> ?p ?o }}")
        response = requests.post(
            base + "/sparql",
            data={"update": f"INSERT DATA {{ GRAPH <{AGENCIES_GRAPH}> {{ {FACT} }} }}"},
            headers={"Authorization": f"Bearer {TOKEN}"}, timeout=60,
        )
        assert response.status_code == 200, response.text
    finally:
        os.killpg(process.pid, signal.SIGKILL)  # master and worker, no clean shutdown
        process.wait(timeout=10)
    process, base = start(store, log_path)
    try:
        assert ask(base, f"ASK {{ {FACT} }}")
        assert ask(base, f"ASK {{ <{EX}agency-a> ?p ?o }}")
        unauthorised = requests.post(base + "/sparql", data={"update": "CLEAR ALL"}, timeout=10)
        assert unauthorised.status_code == 401
        assert ask(base, f"ASK {{ {FACT} }}")
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)
    assert TOKEN not in log_path.read_text(encoding="utf-8", errors="replace")
    audit = (store / "audit.jsonl").read_text(encoding="utf-8")
    assert '"token_name": "curator"' in audit and TOKEN not in audit
