"""How long a fresh client waits while idle and slow clients hold connections open.

Opens ``--idle`` TCP connections that send nothing and ``--trickling`` ones that send a
request head one byte every ``--interval`` seconds, then times ``--requests`` fresh
``ASK {}`` queries, one after the other, and prints their p50 / p99 / max latency. Loopback
only; bounded in count and time (``--seconds``). Not a test: a measurement.

    .venv/bin/python bench/slow_clients.py http://127.0.0.1:8000
"""

from __future__ import annotations

import argparse
import socket
import statistics
import threading
import time
from urllib.parse import urlsplit

import requests


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base", help="server URL on loopback, e.g. http://127.0.0.1:8000")
    parser.add_argument("--idle", type=int, default=200)
    parser.add_argument("--trickling", type=int, default=50)
    parser.add_argument("--interval", type=float, default=1.0)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=120.0)
    args = parser.parse_args()
    parts = urlsplit(args.base)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    if not host.startswith("127.") and host not in ("localhost", "::1"):
        raise SystemExit("loopback only")
    stop = threading.Event()
    idle = [socket.create_connection((host, port), timeout=5) for _ in range(args.idle)]

    def trickle() -> None:
        head = b"GET /sparql?query=ASK%7B%7D HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 100_000
        sock = socket.create_connection((host, port), timeout=5)
        for byte in head:
            if stop.is_set():
                break
            try:
                sock.send(bytes([byte]))
            except OSError:  # cut off: come back, as an attacker would
                sock.close()
                sock = socket.create_connection((host, port), timeout=5)
            stop.wait(args.interval)
        sock.close()

    threads = [threading.Thread(target=trickle, daemon=True) for _ in range(args.trickling)]
    for thread in threads:
        thread.start()
    time.sleep(2 * args.interval)
    latencies: list[float] = []
    failures = 0
    deadline = time.monotonic() + args.seconds
    try:
        while len(latencies) + failures < args.requests and time.monotonic() < deadline:
            started = time.monotonic()
            try:
                response = requests.get(args.base + "/sparql", params={"query": "ASK {}"},
                                        headers={"Connection": "close"}, timeout=10)
                response.raise_for_status()
                latencies.append(time.monotonic() - started)
            except requests.RequestException:
                failures += 1
            time.sleep(0.05)
    finally:
        stop.set()
        for sock in idle:
            sock.close()
    if latencies:
        ordered = sorted(latencies)
        p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
        print(f"{len(latencies)} answered, {failures} failed (10 s timeout) with "
              f"{args.idle} idle + {args.trickling} trickling clients: "
              f"p50 {statistics.median(ordered) * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms, "
              f"max {ordered[-1] * 1000:.1f} ms")
    else:
        print(f"none answered, {failures} failed (10 s timeout)")


if __name__ == "__main__":
    main()
