"""One benchmark run: the same data and the same queries against every target.

Targets (each started on loopback, measured, stopped before the next starts):

* ``inprocess``      pyoxigraph queried in this process, results iterated (the floor)
* ``spacekg-oxigraph`` ``spacekg serve`` on the on-disk Oxigraph store (the default)
* ``spacekg-memory`` ``spacekg serve --store memory`` (rdflib's engine)
* ``minimal``        bench/minimal_app.py: Flask + gunicorn + pyoxigraph, no safety
* ``rdflib-endpoint`` the rdflib-endpoint package serving the same file
* ``virtuoso``       Debian's Virtuoso (scripts/virtuoso.sh), bulk-loaded with the same file

Measured: serve-ready time (cold: from the N-Quads file; warm: from the target's own on-disk
store where it has one), server memory (RSS and PSS summed over the process tree), per-query
median and p95 latency over HTTP (one keep-alive client, the competency questions and the
shapes in bench/queries), throughput with ``wrk`` at concurrency 1 and 8 per shape, and the
repeated-queries scenario (the competency questions replayed at concurrency 8; SpaceKG with
its result cache on, every other target as it is). For the per-shape figures SpaceKG's cache
is off and every request varies its parameters, so every answer is computed.

    python bench/run.py --data bench/data/synthetic-100k.nq --label 100k

Writes bench/results/<label>.json and bench/results/<label>.md. Not a test; bounded in time
(``--duration`` seconds per wrk run, ``--query-timeout`` per request).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from string import Template
from typing import Any
from urllib.parse import quote, urlsplit

import pyoxigraph as ox
import requests

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
QUERIES = ROOT / "bench" / "queries"
SKG = "https://w3id.org/spacekg/ontology#"
ALL_TARGETS = (
    "inprocess",
    "spacekg-oxigraph",
    "minimal",
    "virtuoso",
    "spacekg-memory",
    "rdflib-endpoint",
)
SELECT_ACCEPT = "application/sparql-results+json"
GRAPH_ACCEPT = "text/turtle"


# -- queries ------------------------------------------------------------------------------


@dataclass
class BenchQuery:
    name: str
    kind: str  # "shape" or "cq"
    form: str  # SELECT / ASK / CONSTRUCT
    variants: list[str]


def _form(text: str) -> str:
    body = re.sub(r"#[^\n]*", "", text)
    found = re.search(r"\b(SELECT|ASK|CONSTRUCT|DESCRIBE)\b", body, re.IGNORECASE)
    return found.group(1).upper() if found else "SELECT"


_UNION_OPTIONS: dict[int, dict[str, bool]] = {}


def union_options(store: ox.Store) -> dict[str, bool]:
    """How to read the union of the named graphs, as SpaceKG does: a store whose default graph
    holds it (filled like ``spacekg build``: the union, each triple once) is read as it is;
    the raw N-Quads through Oxigraph's ``use_default_graph_as_union``."""
    key = id(store)
    if key not in _UNION_OPTIONS:
        holds = next(iter(store.quads_for_pattern(None, None, None, ox.DefaultGraph())), None)
        _UNION_OPTIONS[key] = {} if holds is not None else {"use_default_graph_as_union": True}
    return _UNION_OPTIONS[key]


def _pools(store: ox.Store) -> dict[str, list[str]]:
    def column(sparql: str) -> list[str]:
        result = store.query(sparql, **union_options(store))
        assert isinstance(result, ox.QuerySolutions)
        return [row[0].value for row in result]

    prefix = f"PREFIX skg: <{SKG}> PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> "
    agencies = column(prefix + "SELECT ?a WHERE { ?a a skg:SpaceAgency } ORDER BY ?a LIMIT 200")
    countries = column(
        prefix + "SELECT DISTINCT ?c WHERE { ?o skg:country ?c } ORDER BY ?c LIMIT 100"
    )
    labels = column(
        prefix + "SELECT ?l WHERE { ?a a skg:SpaceAgency ; rdfs:label ?l "
        'FILTER(lang(?l) = "en") } ORDER BY ?l LIMIT 100'
    )
    words = sorted({" ".join(label.lower().split()[-2:]) for label in labels})
    topics = column(prefix + "SELECT ?t WHERE { ?t a skg:Topic } ORDER BY ?t LIMIT 40")
    n = len(column(prefix + "SELECT ?a WHERE { ?a a skg:SpaceAgency }"))
    offsets = [str(i) for i in range(0, max(n - 20, 1), max((n - 20) // 50, 1))][:50]
    return {
        "agency": agencies,
        "country": countries,
        "word": [w.replace('"', "") for w in words],
        "topic": topics,
        "offset": offsets or ["0"],
        "none": [""],
    }


def load_queries(store: ox.Store, cq_dir: Path) -> list[BenchQuery]:
    pools = _pools(store)
    out: list[BenchQuery] = []
    for path in sorted(QUERIES.glob("*.rq")):
        text = path.read_text(encoding="utf-8")
        pool_name = re.search(r"^# pool: (\w+)", text, re.MULTILINE)
        pool = pools[pool_name.group(1) if pool_name else "none"]
        if not pool:
            continue
        template = Template(text)
        key = pool_name.group(1) if pool_name else "none"
        variants = [template.substitute({key: value}) for value in pool[:50]]
        out.append(BenchQuery(path.stem, "shape", _form(text), variants))
    for path in sorted(cq_dir.glob("*.rq")):
        text = path.read_text(encoding="utf-8")
        out.append(BenchQuery("cq-" + path.stem.split("-")[0], "cq", _form(text), [text]))
    return out


# -- processes and memory -----------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _children(pid: int) -> list[int]:
    kids: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            text = Path(f"/proc/{pid}/task/{task}/children").read_text()
            kids += [int(k) for k in text.split()]
    except OSError:
        pass
    return kids


def tree(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo += _children(p)
    return out


def memory_mb(pid: int) -> dict[str, float]:
    """RSS and PSS (shared pages split between processes) summed over the process tree."""
    rss = pss = 0
    for p in tree(pid):
        try:
            for line in Path(f"/proc/{p}/smaps_rollup").read_text().splitlines():
                if line.startswith("Rss:"):
                    rss += int(line.split()[1])
                elif line.startswith("Pss:"):
                    pss += int(line.split()[1])
        except OSError:
            continue
    return {"rss_mb": round(rss / 1024, 1), "pss_mb": round(pss / 1024, 1)}


@dataclass
class Server:
    name: str
    url: str
    pid: int
    stop: Callable[[], None]
    notes: dict[str, Any] = field(default_factory=dict)


def _popen(cmd: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    full_env = {**os.environ, **env}
    handle = log.open("ab")
    return subprocess.Popen(
        cmd, env=full_env, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True
    )


def _terminate(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def wait_ready(
    url: str, probe: str, deadline_s: float, proc: subprocess.Popen[bytes] | None
) -> float:
    """Seconds until ``probe`` answers 200 at ``url``; raises RuntimeError past the deadline."""
    start = time.perf_counter()
    session = requests.Session()
    while True:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode} before it was ready")
        try:
            r = session.get(
                url, params={"query": probe}, headers={"Accept": SELECT_ACCEPT}, timeout=5
            )
            if r.status_code == 200:
                return time.perf_counter() - start
        except requests.RequestException:
            pass
        if time.perf_counter() - start > deadline_s:
            raise RuntimeError(f"{url} not ready after {deadline_s:.0f} s")
        time.sleep(0.05)


# -- targets ------------------------------------------------------------------------------


@dataclass
class Context:
    data: Path
    work: Path
    oxigraph_dir: Path
    probe: str
    query_timeout: float
    ready_deadline: float
    oxigraph_mode: str = "memory"  # where the Oxigraph-based targets keep the data


def start_spacekg(
    ctx: Context, store: str, *, cache: bool, cold: bool, exe: Path | None = None,
    name: str | None = None,
) -> Server:
    """``spacekg serve`` of this checkout, or ``exe`` from another one (``--compare``)."""
    port = free_port()
    env = {
        "SPACEKG_QUERY_TIMEOUT": str(ctx.query_timeout),
        "SPACEKG_CACHE_ENTRIES": "2048" if cache else "0",
        "SPACEKG_MAX_ROWS": "0",
    }
    args = [str(exe or VENV_BIN / "spacekg"), "serve", "--no-report", "--port", str(port)]
    if store == "oxigraph" and not cold:
        args += ["--store", f"oxigraph:{ctx.oxigraph_dir}"]
    else:
        args += ["--store", store]
        env["SPACEKG_DATASET_FILES"] = json.dumps([str(ctx.data)])
    name = name or f"spacekg-{store}"
    proc = _popen(args, env, ctx.work / f"{name}.log")
    url = f"http://127.0.0.1:{port}/sparql"
    try:
        ready = wait_ready(url, ctx.probe, ctx.ready_deadline, proc)
    except RuntimeError:
        _terminate(proc)
        raise
    return Server(name, url, proc.pid, lambda: _terminate(proc), {"ready_s": ready})


def start_minimal(ctx: Context) -> Server:
    port = free_port()
    args = [
        str(VENV_BIN / "gunicorn"), "-k", "gthread", "-w", "2", "--threads", "4",
        "-b", f"127.0.0.1:{port}", "--chdir", str(ROOT / "bench"), "--timeout", "120",
        "--preload", "minimal_app:app",
    ]  # fmt: skip
    env = (
        {"MINIMAL_DATA": str(ctx.data.resolve())}
        if ctx.oxigraph_mode == "memory"
        else {"MINIMAL_STORE": str(ctx.oxigraph_dir)}
    )
    proc = _popen(args, env, ctx.work / "minimal.log")
    url = f"http://127.0.0.1:{port}/sparql"
    try:
        ready = wait_ready(url, ctx.probe, ctx.ready_deadline, proc)
    except RuntimeError:
        _terminate(proc)
        raise
    return Server("minimal", url, proc.pid, lambda: _terminate(proc), {"ready_s": ready})


def start_rdflib_endpoint(ctx: Context) -> Server:
    port = free_port()
    args = [
        str(VENV_BIN / "rdflib-endpoint"), "serve", str(ctx.data),
        "--host", "127.0.0.1", "--port", str(port),
    ]  # fmt: skip
    proc = _popen(args, {}, ctx.work / "rdflib-endpoint.log")
    url = f"http://127.0.0.1:{port}/"
    try:
        ready = wait_ready(url, ctx.probe, ctx.ready_deadline, proc)
    except RuntimeError:
        _terminate(proc)
        raise
    return Server("rdflib-endpoint", url, proc.pid, lambda: _terminate(proc), {"ready_s": ready})


def _virtuoso(*args: str) -> dict[str, str]:
    out = subprocess.run(
        ["bash", str(ROOT / "scripts" / "virtuoso.sh"), *args],
        capture_output=True, text=True, check=True, timeout=1800,
    )  # fmt: skip
    return dict(line.split("=", 1) for line in out.stdout.splitlines() if "=" in line)


def start_virtuoso(ctx: Context) -> Server:
    directory = ctx.work / "virtuoso"
    shutil.rmtree(directory, ignore_errors=True)
    t0 = time.perf_counter()
    env = _virtuoso("start", str(directory))
    _virtuoso("load", str(directory), str(ctx.data))
    url = env["VIRTUOSO_SPARQL"]
    wait_ready(url, ctx.probe, ctx.ready_deadline, None)
    cold = time.perf_counter() - t0
    _virtuoso("stop", str(directory))
    t0 = time.perf_counter()
    env = _virtuoso("start", str(directory))
    url = env["VIRTUOSO_SPARQL"]
    wait_ready(url, ctx.probe, ctx.ready_deadline, None)
    warm = time.perf_counter() - t0
    return Server(
        "virtuoso",
        url,
        int(env["VIRTUOSO_PID"]),
        lambda: _virtuoso("stop", str(directory)) and None,
        {"ready_cold_s": cold, "ready_s": warm},
    )


# -- measurements -------------------------------------------------------------------------


def _accept(form: str) -> str:
    return GRAPH_ACCEPT if form in ("CONSTRUCT", "DESCRIBE") else SELECT_ACCEPT


def _answer_size(form: str, body: bytes) -> int:
    if form in ("CONSTRUCT", "DESCRIBE"):
        return len(list(ox.parse(body, format=ox.RdfFormat.TURTLE)))
    doc = json.loads(body)
    if "boolean" in doc:
        return int(bool(doc["boolean"]))
    return len(doc["results"]["bindings"])


class Client:
    """One keep-alive HTTP/1.1 connection (http.client: the least client overhead)."""

    def __init__(self, url: str, timeout: float) -> None:
        parts = urlsplit(url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.path = parts.path or "/"
        self.timeout = timeout
        self.conn: http.client.HTTPConnection | None = None

    def get(self, query: str, accept: str) -> tuple[int, dict[str, str], bytes]:
        if self.conn is None:
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        target = f"{self.path}?query={quote(query, safe='')}"
        try:
            self.conn.request("GET", target, headers={"Accept": accept})
            response = self.conn.getresponse()
            body = response.read()
        except (OSError, http.client.HTTPException):
            self.close()
            raise
        if response.will_close:
            self.close()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, body

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def http_latency(
    url: str, queries: list[BenchQuery], *, runs: int, budget_s: float, timeout: float
) -> dict[str, dict[str, Any]]:
    client = Client(url, timeout)
    out: dict[str, dict[str, Any]] = {}
    for q in queries:
        times: list[float] = []
        size: int | None = None
        status: str = "ok"
        started = time.perf_counter()
        for i in range(runs):
            text = q.variants[i % len(q.variants)]
            t0 = time.perf_counter()
            try:
                code, headers, body = client.get(text, _accept(q.form))
            except TimeoutError:
                status = f"timeout > {timeout:g} s"
                break
            except (OSError, http.client.HTTPException) as exc:
                status = f"error {type(exc).__name__}"
                break
            elapsed = time.perf_counter() - t0
            if code != 200 or headers.get("x-sql-state"):
                status = f"HTTP {code} {headers.get('x-sql-state', '')}".strip()
                break
            times.append(elapsed)
            if i == 0:
                size = _answer_size(q.form, body)
            if time.perf_counter() - started > budget_s and len(times) >= 3:
                break
        out[q.name] = _stats(times, status) | {"first_answer_size": size}
    client.close()
    return out


def inprocess_latency(
    store: ox.Store, queries: list[BenchQuery], *, runs: int, budget_s: float
) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for q in queries:
        times: list[float] = []
        started = time.perf_counter()
        size = None
        for i in range(runs):
            text = q.variants[i % len(q.variants)]
            t0 = time.perf_counter()
            result = store.query(text, **union_options(store))
            if isinstance(result, ox.QueryBoolean):
                n = int(bool(result))
            else:
                n = sum(1 for _ in result)  # type: ignore[union-attr]
            times.append(time.perf_counter() - t0)
            size = n if size is None else size
            if time.perf_counter() - started > budget_s and len(times) >= 3:
                break
        out[q.name] = _stats(times, "ok") | {"first_answer_size": size}
    return out


def _stats(times: list[float], status: str) -> dict[str, Any]:
    if not times:
        return {"status": status, "runs": 0, "median_ms": None, "p95_ms": None}
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return {
        "status": status,
        "runs": len(times),
        "median_ms": round(statistics.median(ordered) * 1000, 3),
        "p95_ms": round(p95 * 1000, 3),
    }


WRK_LUA = """
local paths = {}
for line in io.lines(os.getenv("WRK_PATHS")) do paths[#paths + 1] = line end
local accept = os.getenv("WRK_ACCEPT")
local counter = 0
function setup(thread)
  thread:set("offset", counter * 7)
  counter = counter + 1
end
function init(args) i = offset or 0 end
function request()
  i = i % #paths + 1
  return wrk.format("GET", paths[i], {["Accept"] = accept})
end
"""


def wrk(
    url: str, variants: list[str], accept: str, *, connections: int, duration: int, work: Path
) -> dict[str, Any]:
    base = url.split("://", 1)[1]
    host, _, path = base.partition("/")
    path = "/" + path
    sep = "&" if "?" in path else "?"
    paths = work / "wrk-paths.txt"
    paths.write_text("".join(f"{path}{sep}query={quote(v, safe='')}\n" for v in variants))
    script = work / "wrk.lua"
    script.write_text(WRK_LUA)
    threads = min(connections, 2)
    cmd = [
        "wrk", "-t", str(threads), "-c", str(connections), "-d", f"{duration}s",
        "--timeout", "10s", "-s", str(script), f"http://{host}",
    ]  # fmt: skip
    env = {**os.environ, "WRK_PATHS": str(paths), "WRK_ACCEPT": accept}
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=duration + 60)
    text = out.stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", text)
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text
    )
    total = re.search(r"(\d+) requests in", text)
    return {
        "rps": float(rps.group(1)) if rps else None,
        "requests": int(total.group(1)) if total else None,
        "non_2xx": int(non2xx.group(1)) if non2xx else 0,
        "socket_errors": sum(int(x) for x in errors.groups()) if errors else 0,
    }


def interleaved(
    servers: dict[str, Server], rounds: int, run: Callable[[Server], dict[str, Any]]
) -> dict[str, dict[str, Any]]:
    """``run`` on every server, ``rounds`` times, the order reversed each round (drift in the
    machine's load then hits every target alike); per server the run with the median rate,
    with every round's rate in ``rps_rounds``."""
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in servers}
    for r in range(rounds):
        for name in list(servers) if r % 2 == 0 else list(reversed(servers)):
            runs[name].append(run(servers[name]))
    out = {}
    for name, found in runs.items():
        ordered = sorted(found, key=lambda x: x["rps"] or 0.0)
        out[name] = {**ordered[len(ordered) // 2], "rps_rounds": [x["rps"] for x in found]}
    return out


def loadavg() -> float:
    return float(Path("/proc/loadavg").read_text().split()[0])


# -- the run ------------------------------------------------------------------------------


def measure_latency(
    servers: dict[str, Server], store: ox.Store, queries: list[BenchQuery],
    args: argparse.Namespace, restart: dict[str, Callable[[], Server]],
) -> dict[str, dict[str, Any]]:  # fmt: skip
    """Latency per query, the targets interleaved query by query (drift hits all alike)."""
    out: dict[str, dict[str, Any]] = {name: {} for name in ["inprocess", *servers]}
    for q in queries:
        out["inprocess"] |= inprocess_latency(
            store, [q], runs=args.runs, budget_s=args.latency_budget
        )
        for name, server in list(servers.items()):
            lat = http_latency(
                server.url, [q], runs=args.runs, budget_s=args.latency_budget,
                timeout=args.query_timeout,
            )  # fmt: skip
            out[name] |= lat
            if lat[q.name]["status"].startswith("timeout") and name in restart:
                # No server-side time limit: the query still burns a core. Stop it.
                print(f"   restarting {name} after a runaway {q.name}", file=sys.stderr)
                server.stop()
                servers[name] = restart[name]()
        print(
            f"  {q.name}: " + ", ".join(f"{n} {out[n][q.name]['median_ms']}" for n in out),
            file=sys.stderr,
        )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="N-Quads file from generate.py")
    parser.add_argument("--label", required=True, help="name of this run (10k, 100k, 1M)")
    parser.add_argument("--targets", default=",".join(ALL_TARGETS))
    parser.add_argument("--duration", type=int, default=4, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=3,
                        help="wrk runs per target and measurement, interleaved; median kept")
    parser.add_argument("--runs", type=int, default=20, help="latency samples per query (max)")
    parser.add_argument("--latency-budget", type=float, default=3.0, help="seconds per query")
    parser.add_argument("--query-timeout", type=float, default=15.0)
    parser.add_argument("--skip-slow-ms", type=float, default=2000.0,
                        help="no throughput run for shapes slower than this")  # fmt: skip
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    parser.add_argument("--cq-dir", type=Path, default=ROOT / "queries")
    parser.add_argument("--oxigraph-mode", choices=("memory", "disk"), default="memory",
                        help="Oxigraph in memory (loaded from --data at start: the fast "
                        "configuration) or on disk (read-only RocksDB: instant start, small "
                        "RSS, several times slower joins) for inprocess, spacekg, minimal")
    parser.add_argument("--queries", default="", help="regex: run only the queries it matches")
    parser.add_argument("--repeated-only", action="store_true",
                        help="redo only the repeated-queries scenario of an earlier run "
                        "(same --label), keeping its other figures")  # fmt: skip
    parser.add_argument("--compare", action="append", default=[], metavar="NAME=EXE",
                        help="also measure the spacekg executable EXE of another checkout "
                        "(its own venv) as target spacekg-NAME, same settings as "
                        "spacekg-oxigraph: before/after a change in one interleaved run")
    parser.add_argument("--ready-timeout", type=float, default=900.0,
                        help="seconds a server may take to answer its first query")  # fmt: skip
    args = parser.parse_args(argv)
    targets = [t for t in args.targets.split(",") if t]
    targets += [f"spacekg-{item.split('=', 1)[0]}" for item in args.compare]
    if shutil.which("wrk") is None:
        subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=True)

    work = Path(tempfile.mkdtemp(prefix="spacekg-bench-"))
    results: dict[str, Any] = {
        "label": args.label,
        "data": str(args.data),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "pyoxigraph": ox.__version__,
        },  # fmt: skip
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "settings": json.loads(
            json.dumps(
                {k: v for k, v in vars(args).items() if k not in ("out", "data", "cq_dir")},
                default=str,
            )
        ),  # fmt: skip
        "loadavg": {"start": loadavg()},
        "targets": {t: {} for t in targets},
    }
    previous: dict[str, Any] | None = None
    if args.repeated_only:
        previous = json.loads((args.out / f"{args.label}.json").read_text())
        targets = [t for t, e in previous["targets"].items() if "error" not in e]
    oxigraph_dir = work / "oxigraph"
    t0 = time.perf_counter()
    loader = ox.Store(str(oxigraph_dir))
    loader.bulk_load(path=str(args.data), format=ox.RdfFormat.N_QUADS)
    results["quads"] = len(loader)
    # as ``spacekg build`` writes its store: the union, each triple once, in the default graph
    loader.update((ROOT / "server" / "spacekg" / "queries" / "union_into_default_graph.rq")
                  .read_text(encoding="utf-8"))
    loader.flush()
    del loader
    results["oxigraph_disk_fill_s"] = round(time.perf_counter() - t0, 3)
    if previous is not None:
        previous["repeated_rerun"] = {"started": results["started"], "loadavg": results["loadavg"]}
        results = previous
    results["oxigraph_mode"] = args.oxigraph_mode
    if args.oxigraph_mode == "memory":
        store = ox.Store()
        store.bulk_load(path=str(args.data), format=ox.RdfFormat.N_QUADS)
    else:
        store = ox.Store.read_only(str(oxigraph_dir))
    queries = load_queries(store, args.cq_dir)
    if args.queries:
        queries = [q for q in queries if re.search(args.queries, q.name)]
    results["queries"] = {q.name: {"kind": q.kind, "form": q.form, "variants": len(q.variants)}
                          for q in queries}  # fmt: skip
    probe = Template((QUERIES / "point-lookup.rq").read_text(encoding="utf-8")).substitute(
        agency=_pools(store)["agency"][0]
    )
    ctx = Context(args.data, work, oxigraph_dir, probe, args.query_timeout, args.ready_timeout,
                  args.oxigraph_mode)  # fmt: skip
    in_memory = args.oxigraph_mode == "memory"
    print(f"{results['quads']} quads, {len(queries)} queries, work dir {work}", file=sys.stderr)

    def save() -> None:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / f"{args.label}.json").write_text(json.dumps(results, indent=1) + "\n")

    starters: dict[str, Callable[[], Server]] = {
        "spacekg-oxigraph": lambda: start_spacekg(ctx, "oxigraph", cache=False, cold=in_memory),
        "minimal": lambda: start_minimal(ctx),
        "virtuoso": lambda: start_virtuoso(ctx),
        "spacekg-memory": lambda: start_spacekg(ctx, "memory", cache=False, cold=True),
        "rdflib-endpoint": lambda: start_rdflib_endpoint(ctx),
    }
    for name, exe in (item.split("=", 1) for item in args.compare):
        starters[f"spacekg-{name}"] = lambda exe=Path(exe), name=name: start_spacekg(
            ctx, "oxigraph", cache=False, cold=in_memory, exe=exe, name=f"spacekg-{name}")
    servers: dict[str, Server] = {}
    cached: Server | None = None
    try:
        # 1. Start every server (one at a time, so each start-up is timed alone).
        for target in targets:
            if target == "inprocess":
                continue
            print(f"== starting {target}", file=sys.stderr)
            entry = results["targets"][target]
            if previous is not None:
                servers[target] = starters[target]()
                continue
            try:
                if target == "spacekg-oxigraph":
                    # both start-ups timed alone; then the one the mode serves from
                    for kind in ("cold", "warm"):
                        first = start_spacekg(ctx, "oxigraph", cache=False, cold=kind == "cold")
                        entry[f"ready_{kind}_s"] = first.notes["ready_s"]
                        entry[f"memory_{kind}_ready"] = memory_mb(first.pid)
                        first.stop()
                server = starters[target]()
            except (RuntimeError, subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
                entry["error"] = str(exc)[-2000:]
                print(f"   {target} failed: {exc}", file=sys.stderr)
                continue
            servers[target] = server
            entry.update(server.notes)
            entry["memory_ready"] = memory_mb(server.pid)
            print(f"   ready: {server.notes}", file=sys.stderr)
        if "spacekg-oxigraph" in servers:
            cached = start_spacekg(ctx, "oxigraph", cache=True, cold=in_memory)
        save()

        # 2. Latency, interleaved query by query.
        if previous is None:
            restart = {n: starters[n] for n in ("rdflib-endpoint",) if n in servers}
            latency = measure_latency(servers, store, queries, args, restart)
            for name, lat in latency.items():
                results["targets"].setdefault(name, {})["latency"] = lat
            save()
        else:
            latency = {t: results["targets"][t]["latency"] for t in servers}

        # 3. Throughput per shape: the targets back to back, ``--rounds`` times in
        # alternating order; the run with the median rate is kept (all rates recorded).
        for q in queries if previous is None else ():
            if q.kind != "shape":
                continue
            eligible: dict[str, Server] = {}
            for name, server in servers.items():
                lat = latency[name][q.name]
                tput = results["targets"][name].setdefault("throughput", {})
                if lat["status"] != "ok" or (lat["median_ms"] or 0) > args.skip_slow_ms:
                    tput[q.name] = {"skipped": f"latency {lat['status']} {lat['median_ms']} ms"}
                else:
                    eligible[name] = server
            for c in (1, 8):
                measured = interleaved(eligible, args.rounds, lambda server, c=c, q=q: wrk(
                    server.url, q.variants, _accept(q.form), connections=c,
                    duration=args.duration, work=work))  # fmt: skip
                for name, run in measured.items():
                    results["targets"][name]["throughput"].setdefault(q.name, {})[f"c{c}"] = run
            print(f"  throughput {q.name}: " + ", ".join(
                f"{n} {results['targets'][n]['throughput'][q.name]}" for n in servers),
                file=sys.stderr)  # fmt: skip
        save()

        # 4. Repeated competency questions (SpaceKG: a second instance with its cache on).
        # The same questions for every target: leave out those some target cannot answer
        # (an engine error, or slower than wrk's 10 s timeout).
        def answered(name: str) -> bool:
            return all(
                latency[t][name]["status"] == "ok" and (latency[t][name]["median_ms"] or 0) < 10_000
                for t in servers
            )

        replay = [q for q in queries if q.kind == "cq" and q.form != "CONSTRUCT"]
        results["repeated_excluded"] = [q.name for q in replay if not answered(q.name)]
        cqs = [q.variants[0] for q in replay if answered(q.name)]
        repeat_targets = dict(servers)
        if cached is not None:
            repeat_targets["spacekg-oxigraph"] = cached
        repeat_targets.pop("spacekg-memory", None)  # not a target of the issue
        for name, server in repeat_targets.items() if cqs else ():
            # Steady state: one pass first, as a UI or crawler has made before (this fills
            # SpaceKG's cache, and whatever caches the peers keep).
            # Each gunicorn worker keeps its own cache and a connection lands on either, so
            # passes run on fresh connections until one costs a fifth of the first (max 8).
            passes: list[float] = []
            client = Client(server.url, args.query_timeout)
            while len(passes) < 8 and (len(passes) < 2 or passes[-1] > passes[0] / 5):
                t0 = time.perf_counter()
                for text in cqs:
                    client.get(text, SELECT_ACCEPT)
                    client.close()
                passes.append(round(time.perf_counter() - t0, 3))
            results["targets"][name]["repeated_warmup_s"] = passes
        for c in (1, 8) if cqs else ():
            measured = interleaved(repeat_targets, args.rounds, lambda server, c=c: wrk(
                server.url, cqs, SELECT_ACCEPT, connections=c, duration=args.duration,
                work=work))  # fmt: skip
            for name, run in measured.items():
                results["targets"][name].setdefault("repeated", {})[f"c{c}"] = run
        for name in repeat_targets if cqs else ():
            print(f"  repeated {name}: {results['targets'][name]['repeated']}", file=sys.stderr)
        if cached is not None:
            results["targets"]["spacekg-oxigraph"]["memory_cached"] = memory_mb(cached.pid)
        for name, server in servers.items() if previous is None else ():
            results["targets"][name]["memory_after"] = memory_mb(server.pid)
    finally:
        for server in [*servers.values(), *([cached] if cached else [])]:
            try:
                server.stop()
            except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as exc:
                print(f"   stopping {server.name}: {exc}", file=sys.stderr)
        results["loadavg"]["end"] = loadavg()
        results["finished"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        save()
        del store
        shutil.rmtree(work, ignore_errors=True)
    from report import write_markdown  # bench/report.py, beside this file

    write_markdown(results, args.out / f"{args.label}.md")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    raise SystemExit(main())
