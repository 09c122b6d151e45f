"""Start ``spacekg serve`` (Granian) on a free loopback port for tests that need a real
server: real clients, timeouts that recycle workers, concurrent clients, the W3C suite."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

FIXTURES = Path(__file__).parent / "fixtures" / "server"
EX = "http://example.org/spacekg-test/"
AGENCIES_GRAPH = EX + "graph/agencies"
MISSIONS_GRAPH = EX + "graph/missions"


def fixture_graph_args() -> list[str]:
    """``--graph`` options serving the two fixture graphs."""
    return [
        "--graph",
        f"{AGENCIES_GRAPH}={FIXTURES / 'agencies.ttl'}",
        "--graph",
        f"{MISSIONS_GRAPH}={FIXTURES / 'missions.nt'}",
    ]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def live_server(
    *args: str,
    env: dict[str, str] | None = None,
    ready_within: float = 60.0,
    log_path: Path | None = None,
) -> Iterator[str]:
    """Run ``spacekg serve --port P ARGS``; yield its base URL; stop it afterwards.

    The server's output (standard output and error) goes to ``log_path`` (by default a
    file in the temporary directory), shown if it fails to start; once the context has
    exited the server has stopped and the file holds everything it wrote.
    """
    port = free_port()
    if log_path is None:
        log_path = Path(os.environ.get("TMPDIR", "/tmp")) / f"spacekg-serve-{port}.log"
    full_env = {**os.environ, **(env or {})}
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "spacekg.cli", "serve", "--port", str(port), *args],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=full_env,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + ready_within
        while True:
            if process.poll() is not None:
                raise RuntimeError(
                    f"spacekg serve exited with {process.returncode}:\n{log_path.read_text()}"
                )
            try:
                if requests.get(base + "/sparql", params={"query": "ASK {}"}, timeout=2).ok:
                    break
            except requests.ConnectionError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"spacekg serve did not answer:\n{log_path.read_text()}")
            time.sleep(0.2)
        yield base
    finally:
        process.send_signal(signal.SIGTERM)  # Granian's master stops its workers
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)
