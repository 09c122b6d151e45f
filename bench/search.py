"""Search: how long the full-text index takes to build and open, how fast and how well it
answers — at the report's size and on generate.py's synthetic data (1M triples).

Not a test: a measurement run by hand. Queries are drawn from the data (deterministic for a
``--seed``): each takes a resource's own label and makes of it what readers type — the label
as it is, lower-cased, its words in another order, one word misspelt (a letter dropped,
doubled, swapped or changed), the Chinese label cut by a space or with a Chinese character
changed — plus the acceptance queries of issue 21. Each query's *expected* resource is the one whose
label it came from; labels that several resources share are not used. Latency is the time
of ``SearchIndex.search`` (limit 20) in this process, ranking and hits included.

``--compare-fts5`` measures the same index in SQLite FTS5 (the standard library's sqlite3,
the same analysed terms, bm25 with the same field weights, no fuzzy matching, since FTS5 has
none): the figures behind the choice of Tantivy in ``build/searchindex.py``.

    python bench/search.py --data ~/.cache/spacekg/build/dataset.nq --compare-fts5
    python bench/search.py --data bench/data/synthetic-1m.nq --compare-fts5 \
        --out bench/results/search-1m.json
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from spacekg.build.dataset import Sources, load_sources
from spacekg.build.searchindex import (
    ALT,
    NAME,
    TEXT,
    Entity,
    FullTextIndex,
    analyse,
    collect,
    fold,
    is_cjk,
    pairs,
    words,
)
from spacekg.publish.search import SearchIndex
from spacekg.stores.oxigraph import OxigraphStore

#: Issue 21's acceptance queries, with what the expected resource's English label holds.
ACCEPTANCE = [("lunar station", "International Lunar Research Station"),
              ("pakistan cubesat", "CubeSat from Pakistan"),
              ("Chang'e 7", "Chang'e-7"), ("Chang'e-7", "Chang'e-7"),
              ("月球 科研站", "International Lunar Research Station"),
              ("巴基斯坦", "Pakistan"), ("Pakistan", "Pakistan")]

KINDS = ("exact", "lower", "reordered", "misspelt", "zh-spaced", "zh-misspelt")


def misspell(word: str, rng: random.Random) -> str:
    i = rng.randrange(1, len(word) - 1)
    how = rng.choice(("drop", "double", "swap", "change"))
    if how == "drop":
        return word[:i] + word[i + 1:]
    if how == "double":
        return word[:i] + word[i] + word[i:]
    if how == "swap":
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    return word[:i] + rng.choice("aeioustnr") + word[i + 1:]


def variant(label: str, lang: str, kind: str, rng: random.Random) -> str | None:
    """What a reader might type for ``label`` (None when ``kind`` does not apply)."""
    if kind == "exact":
        return label
    if lang == "zh":
        if kind == "zh-spaced" and len(label) >= 4:
            i = rng.randrange(2, len(label) - 1)
            return label[:i] + " " + label[i:]
        inner = [i for i in range(1, len(label) - 1) if is_cjk(label[i])]
        if kind == "zh-misspelt" and len(label) >= 5 and inner:
            i = rng.choice(inner)  # a character, not a digit of a number (an identity)
            return label[:i] + "的" + label[i + 1:]
        return None
    parts = label.split()
    if kind == "lower":
        return label.lower()
    if kind == "reordered" and len(parts) >= 2:
        shuffled = parts[:]
        while shuffled == parts:
            rng.shuffle(shuffled)
        return " ".join(shuffled)
    if kind == "misspelt":
        long = [i for i, p in enumerate(parts) if p.isalpha() and len(p) >= 5]
        if not long:
            return None
        i = rng.choice(long)
        return " ".join(misspell(p, rng) if j == i else p for j, p in enumerate(parts))
    return None


def draw_queries(entities: list[Entity], count: int, seed: int) -> list[tuple[str, str, str]]:
    """(kind, query, expected IRI) × count, from labels no two resources share."""
    rng = random.Random(seed)
    shared = Counter(fold(n) for e in entities for n in e.names().values())
    labelled = [(e, lang, name) for e in entities if not e.is_fact
                for lang, name in sorted(e.names().items())
                if shared[fold(name)] == 1 and 2 <= len(name) <= 80]
    out: list[tuple[str, str, str]] = []
    by_label = {e.names().get("en"): e.iri for e in entities if not e.is_fact}
    for query, label in ACCEPTANCE:
        iri = next((i for lab, i in by_label.items() if lab and lab.endswith(label)), "")
        out.append(("acceptance", query, iri))
    while len(out) < count:
        entity, lang, name = rng.choice(labelled)
        kind = rng.choice(KINDS)
        text = variant(name, lang, kind, rng)
        if text is not None:
            out.append((kind, text, entity.iri))
    return out[:count]


def percentiles(times: list[float]) -> dict[str, float]:
    ordered = sorted(times)

    def at(p: float) -> float:
        return ordered[min(len(ordered) - 1, int(round(p * (len(ordered) - 1))))]

    return {"p50_ms": round(at(0.50) * 1000, 2), "p99_ms": round(at(0.99) * 1000, 2),
            "mean_ms": round(statistics.fmean(ordered) * 1000, 2),
            "max_ms": round(ordered[-1] * 1000, 2)}


def run_queries(search: Callable[[str], list[str]],
                queries: list[tuple[str, str, str]]) -> dict[str, Any]:
    times: list[float] = []
    quality: dict[str, Counter[str]] = {}
    for kind, text, iri in queries:
        started = time.perf_counter()
        found = search(text)
        times.append(time.perf_counter() - started)
        q = quality.setdefault(kind, Counter())
        q["queries"] += 1
        q["first"] += bool(found) and found[0] == iri
        q["top5"] += iri in found[:5]
    return {"latency": percentiles(times),
            "quality": {k: {**v, "first_rate": round(v["first"] / v["queries"], 3),
                            "top5_rate": round(v["top5"] / v["queries"], 3)}
                        for k, v in sorted(quality.items())}}


# --------------------------------------------------------------------------- FTS5

def fts5(store: OxigraphStore) -> tuple[float, Callable[[str], list[str]]]:
    """The same terms in SQLite FTS5; returns the build time and a search function."""
    started = time.perf_counter()
    collected = collect(store)
    db = sqlite3.connect(":memory:", check_same_thread=False)
    db.execute(f"CREATE VIRTUAL TABLE doc USING fts5(iri UNINDEXED, {NAME}, {ALT}, {TEXT}, "
               "tokenize = 'unicode61 remove_diacritics 0')")
    db.executemany("INSERT INTO doc VALUES (?, ?, ?, ?)", [
        (e.iri, " ".join(t for n in e.names().values() for t in analyse(n)),
         " ".join(t for n in e.alt for t in analyse(n)),
         " ".join(t for x in collected.texts.get(e.iri, ()) for t in analyse(x)))
        for e in collected.entities.values()])
    db.commit()
    built = time.perf_counter() - started
    facts = {e.iri for e in collected.entities.values() if e.is_fact}

    def search(text: str) -> list[str]:
        terms: list[str] = []
        for word in words(text):
            terms += pairs(word) if is_cjk(word) else [word]
        if not terms:
            return []
        match = " OR ".join('"' + t.replace('"', "") + '"' for t in terms)
        rows = db.execute("SELECT iri, bm25(doc, 0, 3.0, 2.5, 1.0) FROM doc "
                          "WHERE doc MATCH ? ORDER BY 2 LIMIT 50", (match,)).fetchall()
        ranked = sorted(rows, key=lambda r: r[1] * (0.4 if r[0] in facts else 1.0))
        return [r[0] for r in ranked[:20]]

    return built, search


# --------------------------------------------------------------------------- main

def open_store(data: Path | None) -> OxigraphStore:
    store = OxigraphStore()
    if data is None:
        store.load((s, p, o, str(g)) for s, p, o, g in load_sources(Sources.packaged()).quads())
    else:
        store.load(data)
    return store


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, help="N-Quads: a build's dataset.nq or "
                        "generate.py's output (default: the report's sources, not reasoned)")
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1294)
    parser.add_argument("--compare-fts5", action="store_true")
    parser.add_argument("--out", type=Path, help="write the figures here as JSON")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    store = open_store(args.data)
    result: dict[str, Any] = {"data": str(args.data or "report"),
                              "triples": store.triple_count(),
                              "store_load_s": round(time.perf_counter() - started, 2)}
    started = time.perf_counter()
    collected = collect(store)
    result["collect_s"] = round(time.perf_counter() - started, 2)
    result["resources"] = len(collected.entities)
    started = time.perf_counter()
    index = SearchIndex.build(store)
    result["build_in_memory_s"] = round(time.perf_counter() - started, 2)
    folder = Path(tempfile.mkdtemp(prefix="spacekg-search-bench-"))
    try:
        started = time.perf_counter()
        FullTextIndex.build(store, folder / "index")
        result["build_on_disk_s"] = round(time.perf_counter() - started, 2)
        result["on_disk_mb"] = round(sum(f.stat().st_size for f in (folder / "index").rglob(
            "*") if f.is_file()) / 1e6, 1)
        started = time.perf_counter()
        FullTextIndex.open(folder / "index")
        result["open_from_disk_s"] = round(time.perf_counter() - started, 2)
    finally:
        shutil.rmtree(folder, ignore_errors=True)

    queries = draw_queries(index.full_text.entities, args.queries, args.seed)
    index.search("warm up")
    result["tantivy"] = run_queries(
        lambda q: [h.iri for h in index.search(q, limit=20)], queries)
    if args.compare_fts5:
        built, search = fts5(store)
        result["fts5"] = {"build_s": round(built, 2), **run_queries(search, queries)}
    text = json.dumps(result, indent=2, ensure_ascii=False)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
