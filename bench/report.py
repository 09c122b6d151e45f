"""Markdown tables (and the acceptance ratios) from a bench/run.py results file.

python bench/report.py bench/results/100k.json > bench/results/100k.md
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

HTTP_TARGETS = ("spacekg-oxigraph", "minimal", "virtuoso", "spacekg-memory", "rdflib-endpoint")
ALL = ("inprocess", *HTTP_TARGETS)
SK = "spacekg-oxigraph"


def _fmt(x: float | None, digits: int = 1) -> str:
    if x is None:
        return "–"
    if digits == 0 and 0 < abs(x) < 10:
        digits = 1  # 0.4 req/s is not 0
    return f"{x:,.{digits}f}"


def _rps(entry: dict[str, Any], shape: str, c: str) -> float | None:
    t = entry.get("throughput", {}).get(shape, {})
    run = t.get(c)
    if not run or run.get("rps") is None:
        return None
    if run.get("non_2xx") or run.get("socket_errors"):
        # errors answered fast are not throughput
        ok = (run["requests"] or 0) - run["non_2xx"]
        return run["rps"] * ok / run["requests"] if run.get("requests") else None
    return float(run["rps"])


def _ratio(a: float | None, b: float | None) -> str:
    if a is None or b is None or b == 0:
        return "–"
    return f"{a / b:.2f}×"


def markdown(results: dict[str, Any]) -> str:
    targets = results["targets"]
    present = [t for t in ALL if t in targets and "error" not in targets[t]]
    queries = results["queries"]
    lines = [f"### {results['label']}: {results['quads']:,} quads", ""]
    lines.append(
        f"Run {results['started']} → {results.get('finished', '?')}; "
        f"{results['machine']['cpus']} cores; pyoxigraph {results['machine']['pyoxigraph']}; "
        f"wrk {results['settings']['duration']} s per run; on-disk Oxigraph fill "
        f"{results['oxigraph_disk_fill_s']:.1f} s. Oxigraph-based targets (inprocess, "
        f"spacekg-oxigraph, minimal) query the data "
        + ("in memory, loaded at start (warm start: the on-disk store, timed separately)."
           if results.get("oxigraph_mode", "disk") == "memory"
           else "from the on-disk store (read-only RocksDB).")
    )
    for t, entry in targets.items():
        if "error" in entry:
            lines.append(f"\n**{t} failed:** `{entry['error'][-300:]}`")
    lines += ["", "**Serve-ready and memory**", ""]
    lines.append(
        "| target | ready cold (s) | ready warm (s) | RSS ready (MB) | RSS after (MB) "
        "| PSS after (MB) |"
    )
    lines.append("|---|---:|---:|---:|---:|---:|")
    for t in HTTP_TARGETS:
        e = targets.get(t)
        if not e or "error" in e:
            continue
        cold = e.get(
            "ready_cold_s", e.get("ready_s") if t in ("spacekg-memory", "rdflib-endpoint") else None
        )
        warm = e.get("ready_warm_s", e.get("ready_s")) if t in (
            "spacekg-oxigraph", "virtuoso", "minimal") else None
        lines.append(
            f"| {t} | {_fmt(cold, 2)} | {_fmt(warm, 2)} | {_fmt(e['memory_ready']['rss_mb'], 0)} "
            f"| {_fmt(e['memory_after']['rss_mb'], 0)} | {_fmt(e['memory_after']['pss_mb'], 0)} |"
        )
    lines += [
        "",
        "**Latency over HTTP, median / p95 (ms)** (inprocess: evaluation + iterating the rows)",
        "",
    ]
    lines.append("| query | rows | " + " | ".join(present) + " |")
    lines.append("|---|---:|" + "---:|" * len(present))
    for name in queries:
        cells = []
        size = None
        for t in present:
            lat = targets[t]["latency"].get(name, {})
            if size is None and t == "inprocess":
                size = lat.get("first_answer_size")
            if lat.get("median_ms") is None:
                cells.append(lat.get("status", "–"))
            else:
                cells.append(f"{_fmt(lat['median_ms'], 1)} / {_fmt(lat['p95_ms'], 1)}")
        lines.append(
            f"| {name} | {f'{size:,}' if size is not None else '–'} | " + " | ".join(cells) + " |"
        )
    shapes = [q for q, v in queries.items() if v["kind"] == "shape"]
    http_present = [t for t in HTTP_TARGETS if t in present]
    lines += [
        "",
        "**Throughput (requests/s) at concurrency 1 / 8, parameters varied, SpaceKG cache off**",
        "",
    ]
    lines.append("| shape | " + " | ".join(http_present) + " |")
    lines.append("|---|" + "---:|" * len(http_present))
    for s in shapes:
        cells = []
        for t in http_present:
            skipped = targets[t].get("throughput", {}).get(s, {}).get("skipped")
            if skipped:
                cells.append("skipped (slow)")
            else:
                cells.append(
                    f"{_fmt(_rps(targets[t], s, 'c1'), 0)} / {_fmt(_rps(targets[t], s, 'c8'), 0)}"
                )
        lines.append(f"| {s} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "**Repeated queries: the competency questions replayed (requests/s, c1 / c8); "
        "SpaceKG with its result cache**",
        "",
    ]
    lines.append("| " + " | ".join(http_present) + " |")
    lines.append("|" + "---:|" * len(http_present))
    cells = []
    for t in http_present:
        rep = targets[t].get("repeated", {})
        cells.append(
            f"{_fmt((rep.get('c1') or {}).get('rps'), 0)} / "
            f"{_fmt((rep.get('c8') or {}).get('rps'), 0)}"
        )
    lines.append("| " + " | ".join(cells) + " |")
    lines += ["", *acceptance(results)]
    return "\n".join(lines) + "\n"


def acceptance(results: dict[str, Any]) -> list[str]:
    """The issue's targets for `spacekg serve` on Oxigraph, as measured in this run."""
    t = results["targets"]
    sk = t.get(SK, {})
    if not sk or "error" in sk:
        return ["(spacekg-oxigraph not measured)"]
    out = ["**Acceptance ratios (spacekg-oxigraph)**", ""]
    ip = t.get("inprocess", {}).get("latency", {})
    worst = []
    for name, lat in sk["latency"].items():
        floor = ip.get(name, {}).get("median_ms")
        if lat.get("median_ms") is None or floor is None:
            continue
        bound = 1.5 * floor + 5
        worst.append((lat["median_ms"] / bound, name, lat["median_ms"], floor))
    worst.sort(reverse=True)
    failing = [w for w in worst if w[0] > 1]
    out.append(
        f"- latency ≤ 1.5× in-process + 5 ms: {len(worst) - len(failing)}/{len(worst)} "
        "queries within; "
        + (
            "over: " + ", ".join(f"{n} ({m:.1f} ms vs floor {f:.1f} ms)" for _, n, m, f in failing)
            if failing
            else f"closest: {worst[0][1]} at {worst[0][0]:.2f} of the bound"
            if worst
            else ""
        )
    )
    shapes = [q for q, v in results["queries"].items() if v["kind"] == "shape"]
    for peer, need, only in (
        ("minimal", 0.8, None),
        ("virtuoso", 1.0, ("point-lookup", "join-3", "label-search")),
        ("rdflib-endpoint", 4.0, ("point-lookup",)),
    ):
        p = t.get(peer)
        if not p or "error" in p:
            out.append(f"- vs {peer}: not measured")
            continue
        parts = []
        for s in only or shapes:
            a, b = _rps(sk, s, "c8"), _rps(p, s, "c8")
            ok = a is not None and b is not None and a >= need * b
            parts.append(f"{s} {_ratio(a, b)}{'' if ok else ' ✗'}")
        out.append(f"- c8 throughput vs {peer} (need ≥ {need}×): " + ", ".join(parts))
    v = t.get("virtuoso", {})
    if v and "error" not in v:
        a = (sk.get("repeated", {}).get("c8") or {}).get("rps")
        b = (v.get("repeated", {}).get("c8") or {}).get("rps")
        out.append(f"- repeated CQs c8 vs virtuoso (need ≥ 5×): {_ratio(a, b)}")
    m = t.get("minimal", {})
    if m and "error" not in m:
        a = (sk.get("repeated", {}).get("c8") or {}).get("rps")
        b = (m.get("repeated", {}).get("c8") or {}).get("rps")
        out.append(f"- repeated CQs c8 vs minimal (no cache): {_ratio(a, b)}")
    out.append(
        f"- serve-ready cold {_fmt(sk.get('ready_cold_s'), 2)} s (need ≤ 10), warm "
        f"{_fmt(sk.get('ready_warm_s', sk.get('ready_s')), 2)} s (need ≤ 2); "
        f"RSS {_fmt(sk['memory_after']['rss_mb'], 0)} MB "
        f"(PSS {_fmt(sk['memory_after']['pss_mb'], 0)} MB; cache on "
        f"{_fmt(sk.get('memory_cached', {}).get('rss_mb'), 0)} MB; need ≤ 1024)"
    )
    return out


def write_markdown(results: dict[str, Any], path: Path) -> None:
    path.write_text(markdown(results), encoding="utf-8")


START, END = "<!-- results:start -->", "<!-- results:end -->"


def update_readme(readme: Path, result_files: list[Path]) -> None:
    """Put the tables of these runs between the results markers of the README."""
    text = readme.read_text(encoding="utf-8")
    head, _, rest = text.partition(START)
    _, _, tail = rest.partition(END)
    tables = "\n".join(markdown(json.loads(f.read_text())) for f in result_files)
    readme.write_text(f"{head}{START}\n{tables}{END}{tail}", encoding="utf-8")


if __name__ == "__main__":
    if sys.argv[1] == "--readme":
        update_readme(Path(sys.argv[2]), [Path(a) for a in sys.argv[3:]])
    else:
        print(markdown(json.loads(Path(sys.argv[1]).read_text())), end="")
