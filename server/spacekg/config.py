"""The server's settings: their defaults, and the parsing of sizes and shares out of them.

``create_app`` (``app.py``) takes :data:`DEFAULTS`, then ``SPACEKG_*`` environment variables,
then its ``config`` argument. Nothing here imports the web framework: the query and update
processes read the same settings.
"""

from __future__ import annotations

from typing import Any

from spacekg.errors import ConfigError
from spacekg.namespaces import BASE

DEFAULTS: dict[str, Any] = {
    # relative IRIs in queries resolve against this (<id/agency/cnsa>)
    "BASE_IRI": BASE,
    # the address people use to reach this server: redirects, links, downloads and the
    # service description name it, never a client's Host header (http/edge.py);
    # ``spacekg serve`` sets it from --base-url, else from --host and --port
    "BASE_URL": "http://localhost/",
    # memory | oxigraph | oxigraph:DIR | http(s)://endpoint | a Store object
    "STORE": "oxigraph",
    # open an on-disk Oxigraph store read-only (every worker can then share it)
    "STORE_READ_ONLY": True,
    # dataset files (N-Quads, TriG) loaded with their own graphs, e.g. the build's dataset.nq
    "DATASET_FILES": [],
    # extra graphs: {"IRI": "FILE"}, [["IRI", "FILE"]] or "IRI=FILE;IRI=FILE"
    "GRAPHS": [],
    "EAGER_STORE": False,
    # seconds a query may run before its client gets 503 and the query is stopped
    "QUERY_TIMEOUT": 30.0,
    # rows (or triples) per answer; more are cut and the answer says so; 0 = no limit
    "MAX_ROWS": 100_000,
    # bytes of request body or URL query string; more gets 413
    "MAX_REQUEST_BYTES": 1_000_000,
    # threads per process evaluating queries (stores that run queries in the worker)
    "QUERY_THREADS": 8,
    # query processes per worker for an on-disk Oxigraph store (query/processes.py);
    # 0 = in the worker
    "QUERY_PROCESSES": 2,
    # long queries (past half a second) per worker, and per client within those; more get
    # 503 / 429 (query/processes.py)
    "LONG_QUERY_SLOTS": 4,
    "CLIENT_LONG_QUERIES": 2,
    # bytes the whole server may hold (master, workers, query processes): a query that
    # would pass it is stopped with 503
    "MEMORY_LIMIT": 2 * 1024**3,
    # worker processes sharing MEMORY_LIMIT (set by ``spacekg serve``)
    "SERVER_WORKERS": 1,
    # seconds a timed-out query may take to stop before it counts as a runaway
    "RUNAWAY_GRACE": 2.0,
    # result cache, and replay of repeated /sparql requests: entries and total bytes of each,
    # per process (0 entries = both off)
    "CACHE_ENTRIES": 2048,
    "CACHE_BYTES": 128 * 1024 * 1024,
    # one line per request on standard output (spacekg serve; http/accesslog.py); false = none
    "ACCESS_LOG": True,
    # Access-Control-Allow-Origin; "" switches CORS off
    "CORS_ORIGIN": "*",
    # curated writes (SPARQL Update, Graph Store Protocol) behind bearer tokens; off = read-only
    "WRITABLE": False,
    # tokens as name:token lines (SPACEKG_WRITE_TOKENS) and/or a file of such lines
    "WRITE_TOKENS": "",
    "WRITE_TOKENS_FILE": None,
    # JSON-lines audit of writes; default: audit.jsonl in an on-disk store's directory
    "WRITE_AUDIT_LOG": None,
    # protected graphs (ontology, shapes, inferred) a curator may change after all
    "WRITE_OPEN_GRAPHS": [],
    # accept CLEAR/DROP ALL and NAMED (they empty every graph)
    "WRITE_ALLOW_CLEAR_ALL": False,
    # longest literal a write may store, most quads one write may change
    "WRITE_MAX_LITERAL_CHARS": 100_000,
    "WRITE_MAX_QUADS": 200_000,
    # seconds an update (or an upload's parse) may run, and the bytes its process may hold
    # (0: a quarter of the worker's share of MEMORY_LIMIT); past either it is stopped
    "WRITE_TIMEOUT": 10.0,
    "WRITE_MEMORY": 0,
}


#: What the server master keeps for itself out of MEMORY_LIMIT.
MASTER_RESERVE = 64 << 20


def parse_size(value: object) -> int:
    """Bytes from ``2G``, ``1500M``, ``512k``, ``2GiB`` or a number; ConfigError otherwise."""
    if isinstance(value, int | float) and value > 0:
        return int(value)
    units = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    text = str(value).strip().upper().removesuffix("IB").removesuffix("B")
    unit = text[-1:] if text[-1:] in units else ""
    try:
        number = float(text[: len(text) - len(unit)] if unit else text)
    except ValueError:
        raise ConfigError(f"not a size: {value!r} (try 2G or 1500M)") from None
    if number <= 0:
        raise ConfigError(f"a size must be positive: {value!r}")
    return int(number * units[unit])


def worker_memory_limit(config: dict[str, Any]) -> int:
    """Each worker's share of the server's MEMORY_LIMIT, for itself and its query
    processes: the whole server (master, workers, query processes) stays under it."""
    total = parse_size(config["MEMORY_LIMIT"])
    workers = max(1, int(config.get("SERVER_WORKERS") or 1))
    return max(64 << 20, (total - MASTER_RESERVE) // workers)
