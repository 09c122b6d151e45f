"""What hostile anonymous clients do to a running ``spacekg serve``, measured (issue 17).

Not a test: a measurement on loopback, bounded in time. Each part prints its figures:

* ``heavy``: N heavy queries (each runs to the time limit) sent at once; one cheap probe
  half a second into the burst; then, ``--settle`` seconds later, 100 fresh cheap probes one
  after the other while the heavy ones run: the probes' p50 / p99 / max latency and
  statuses, and how the heavy ones ended (200, 429, 503).
* ``flood``: ``--flood`` distinct 1 MB ``ASK`` queries (4 at a time), sampling the server's
  process tree RSS; then 20 ordinary queries: their statuses.
* ``idle``: ``--idle`` TCP connections that never send a byte, then fresh queries: latency.

    .venv/bin/python bench/hostile.py http://127.0.0.1:8000 --parts heavy,flood,idle
"""

from __future__ import annotations

import argparse
import os
import resource
import socket
import statistics
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import requests

HEAVY = "SELECT (COUNT(*) AS ?n) {{ ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . FILTER(?i != {n}) }}"
JSON = {"Accept": "application/sparql-results+json"}


def cheap(n: int) -> str:
    return f"ASK {{ ?s ?p {n} }}"


def tree_rss(root: int) -> int:
    """Bytes resident in ``root`` and every process below it."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                children.setdefault(int(fields[1]), []).append(int(entry.name))
            except (OSError, IndexError, ValueError):
                continue
    total, stack = 0, [root]
    page = os.sysconf("SC_PAGE_SIZE")
    while stack:
        pid = stack.pop()
        try:
            total += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * page
        except (OSError, IndexError, ValueError):
            pass
        stack.extend(children.get(pid, []))
    return total


def server_pid(port: int) -> int:
    """The pid of the server listening on ``port``: its master, above the workers."""
    inode = None
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "0A":
                inode = fields[9]
    holders = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if any(os.readlink(fd) == f"socket:[{inode}]" for fd in (entry / "fd").iterdir()):
                holders.add(int(entry.name))
        except OSError:
            continue
    if not holders:
        raise SystemExit(f"no process listens on port {port}")
    pid = min(holders)
    command = Path(f"/proc/{pid}/cmdline").read_bytes()
    while True:  # up to the master: the workers' parent runs the same command
        parent = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
        if parent <= 1 or Path(f"/proc/{parent}/cmdline").read_bytes() != command:
            return pid
        pid = parent


def percentiles(values: list[float]) -> str:
    ordered = sorted(values)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return (f"p50 {statistics.median(ordered) * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms, "
            f"max {ordered[-1] * 1000:.0f} ms")


def heavy(base: str, count: int, settle: float) -> None:
    outcomes: Counter[int | str] = Counter()

    def run(n: int) -> None:
        try:
            response = requests.get(base + "/sparql", params={"query": HEAVY.format(n=n)},
                                    headers=JSON, timeout=120)
            outcomes[response.status_code] += 1
        except requests.RequestException as exc:
            outcomes[type(exc).__name__] += 1

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    time.sleep(0.5)
    start = time.perf_counter()  # one probe in the burst, while the heavy ones are sorted out
    burst = requests.get(base + "/sparql", params={"query": cheap(9_999)}, headers=JSON,
                         timeout=60)
    print(f"heavy x{count}: a probe during the burst: {burst.status_code} in "
          f"{(time.perf_counter() - start) * 1000:.0f} ms")
    time.sleep(settle)  # every heavy query runs long, or was stopped past the shares
    latencies, statuses = [], Counter()
    for n in range(100):
        start = time.perf_counter()
        response = requests.get(base + "/sparql", params={"query": cheap(10_000 + n)},
                                headers=JSON, timeout=60)
        latencies.append(time.perf_counter() - start)
        statuses[response.status_code] += 1
    running = sum(thread.is_alive() for thread in threads)
    slow = [(n, round(t, 2)) for n, t in enumerate(latencies) if t > 0.25]
    if slow:
        print(f"heavy x{count}: probes over 250 ms (index, seconds): {slow}")
    print(f"heavy x{count}: 100 fresh cheap probes {percentiles(latencies)}; "
          f"statuses {dict(statuses)}; heavy still running after the probes: {running}")
    for thread in threads:
        thread.join()
    print(f"heavy x{count}: heavy queries ended {dict(outcomes)}")


def flood(base: str, count: int, pid: int) -> None:
    peak = 0
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not stop.is_set():
            peak = max(peak, tree_rss(pid))
            time.sleep(0.1)

    before = tree_rss(pid)
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    padding = "#" + "x" * (1_000_000 - 200) + "\n"
    statuses: Counter[int | str] = Counter()

    def ask(n: int) -> None:
        query = f"ASK {{ ?s ?p {n} }} {padding}"
        try:
            response = requests.post(base + "/sparql", data=query.encode(), timeout=60,
                                     headers={**JSON, "Content-Type": "application/sparql-query"})
            statuses[response.status_code] += 1
        except requests.RequestException as exc:
            statuses[type(exc).__name__] += 1

    start = time.monotonic()
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(ask, range(count)))
    stop.set()
    sampler.join()
    after = tree_rss(pid)
    ordinary = Counter(
        requests.get(base + "/sparql", params={"query": cheap(n)}, headers=JSON,
                     timeout=30).status_code
        for n in range(20)
    )
    print(f"flood x{count} 1 MB queries in {time.monotonic() - start:.0f} s: statuses "
          f"{dict(statuses)}; process tree {before / 2**20:.0f} MiB before, peak "
          f"{peak / 2**20:.0f} MiB, {after / 2**20:.0f} MiB after; then 20 ordinary "
          f"queries: {dict(ordinary)}")


def idle(base: str, count: int) -> None:
    parts = urlsplit(base)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, count + 1000), hard))
    sockets = []
    for _ in range(count):
        sock = socket.socket()
        sock.setblocking(False)
        try:
            sock.connect((parts.hostname, parts.port))
        except BlockingIOError:
            pass
        sockets.append(sock)
    time.sleep(1.0)
    latencies, statuses = [], Counter()
    for n in range(20):
        start = time.perf_counter()
        try:
            statuses[requests.get(base + "/sparql", params={"query": cheap(n)},
                                  headers={**JSON, "Connection": "close"},
                                  timeout=30).status_code] += 1
        except requests.RequestException as exc:
            statuses[type(exc).__name__] += 1
        latencies.append(time.perf_counter() - start)
    time.sleep(6.0)
    closed = 0
    for sock in sockets:
        try:
            closed += sock.recv(1) == b""
        except BlockingIOError:
            pass
        except OSError:
            closed += 1
        sock.close()
    print(f"idle x{count}: 20 fresh queries {percentiles(latencies)}, statuses "
          f"{dict(statuses)}; idle sockets closed by the server within 7 s: {closed}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base", help="server URL on loopback, e.g. http://127.0.0.1:8000")
    parser.add_argument("--parts", default="heavy,flood,idle")
    parser.add_argument("--heavy", default="8,16", help="heavy query counts to try")
    parser.add_argument("--settle", type=float, default=3.0,
                        help="seconds between the burst and the probes")
    parser.add_argument("--flood", type=int, default=2000)
    parser.add_argument("--idle", type=int, default=2100)
    args = parser.parse_args()
    parts = urlsplit(args.base)
    if parts.hostname not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit("loopback only")
    wanted = args.parts.split(",")
    if "heavy" in wanted:
        for count in (int(c) for c in args.heavy.split(",")):
            heavy(args.base, count, args.settle)
    if "flood" in wanted:
        flood(args.base, args.flood, server_pid(parts.port or 80))
    if "idle" in wanted:
        idle(args.base, args.idle)


if __name__ == "__main__":
    main()
