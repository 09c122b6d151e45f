"""Search over labels in Chinese and English and the report's acronyms and short forms.

The index is built once per store generation from two queries (every label, every asserted
class) and searched in Python, so a user's search text never enters a SPARQL query. Ranking:
exact label, then label prefix, then word prefix, then substring; preferred labels before
alternative ones, shorter labels first; named entities before the fact nodes (claims,
presentations, paragraphs…) whose labels mention them.

Both sides are also compared in a *compact* form that forgets how people happen to write a
name: case, accents, width, spaces, punctuation and apostrophes, Chinese or Arabic numerals
and the counter 号 — so 嫦娥7号, 嫦娥 七号 and 嫦娥七号 meet, as do Chang'e 7, Change 7,
Chang e-7 and change-7.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from dataclasses import dataclass, field

from spacekg.errors import BadRequest
from spacekg.namespaces import BASE
from spacekg.publish.linkeddata import Labels, local_name, select
from spacekg.stores import Store


def normalise(text: str) -> str:
    """Case- and width-folded text with runs of spaces and dashes collapsed (嫦娥 = 嫦娥,
    Chang'e = chang’e = CHANG'E)."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = text.replace("’", "'").replace("‘", "'").replace("–", "-").replace("—", "-")
    return " ".join(text.split())


#: Longest search text answered; longer text gets a clear 400 (QueryTooLong), not a scan.
MAX_QUERY_LENGTH = 200

_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6,
           "七": 7, "八": 8, "九": 9}
_CHINESE_NUMBER = re.compile(r"[零〇一二两三四五六七八九十百]+")
_NOT_WORD = re.compile(r"[^0-9a-z\u3400-\u9fff]+")

#: IRI paths of fact nodes: found by search, but after the entities they are about.
_FACT_PATHS = ("claim/", "presentation/", "statistic/", "document/a-ac-105-1294/", "objective/",
               "value/", "selection/", "capacity/", "quantity/", "citation/", "partnership/")


def chinese_number(text: str) -> str:
    """The value of a Chinese numeral up to 999 as Arabic digits (七 → 7, 二十一 → 21);
    text that is not such a numeral comes back unchanged."""
    if not text or any(c not in _DIGITS and c not in "十百" for c in text):
        return text
    if all(c in _DIGITS for c in text):  # digit by digit: 二〇二二 → 2022
        return "".join(str(_DIGITS[c]) for c in text)
    total, current = 0, 0
    for c in text:
        if c in _DIGITS:
            current = _DIGITS[c]
        else:
            unit = 10 if c == "十" else 100
            total += (current or 1) * unit
            current = 0
    return str(total + current)


def compact(text: str) -> str:
    """The spelling-blind form of ``text``: normalised, accents dropped, Chinese numerals as
    digits, 号 after a number dropped, and nothing but letters, digits and CJK characters."""
    text = normalise(text)
    text = "".join(c for c in unicodedata.normalize("NFKD", text)
                   if not unicodedata.combining(c))
    text = _CHINESE_NUMBER.sub(lambda m: chinese_number(m.group(0)), text)
    text = re.sub(r"(?<=\d)\s*号", "", text)
    return _NOT_WORD.sub("", text)


class QueryTooLong(BadRequest):
    """Search text longer than MAX_QUERY_LENGTH characters."""


def check_length(text: str) -> None:
    """Raise QueryTooLong (a 400 with a message) for text longer than MAX_QUERY_LENGTH."""
    if len(text) > MAX_QUERY_LENGTH:
        raise QueryTooLong(
            f"search text is {len(text)} characters long; search takes at most "
            f"{MAX_QUERY_LENGTH} (a name, an acronym or a few words), or use /sparql")


@dataclass
class Entry:
    """One searchable resource."""

    iri: str
    labels: Labels
    classes: list[str] = field(default_factory=list)
    keys: list[tuple[str, bool]] = field(default_factory=list)  # (normalised label, preferred)
    compact_keys: list[str] = field(default_factory=list)  # compact() of each key, same order

    def __post_init__(self) -> None:
        self.compact_keys = [compact(k) for k, _ in self.keys]
        path = self.iri[len(BASE + "id/"):]
        self.is_fact = path.startswith(_FACT_PATHS)


@dataclass(frozen=True)
class Hit:
    iri: str
    label: str
    other_label: str | None
    matched: str
    classes: tuple[str, ...]
    score: float


class SearchIndex:
    """Labels of every resource under the base, ready to search."""

    def __init__(self, entries: dict[str, Entry], class_labels: dict[str, Labels]) -> None:
        self.entries = entries
        self.class_labels = class_labels

    @classmethod
    def build(cls, store: Store) -> SearchIndex:
        labels: dict[str, Labels] = {}
        for row in select(store, "ld-label-index"):
            labels.setdefault(str(row["x"]), Labels()).add(row["label"], str(row["kind"]))
        for value in labels.values():
            value.finish()
        entries: dict[str, Entry] = {}
        for iri, lab in labels.items():
            if not iri.startswith(BASE + "id/"):
                continue
            keys = [(normalise(t), True) for t in lab.pref.values()]
            keys += [(normalise(t), False) for t in lab.alt]
            entries[iri] = Entry(iri, lab, keys=keys)
        for row in select(store, "ld-types"):
            entry = entries.get(str(row["x"]))
            if entry is not None and str(row["class"]) not in entry.classes:
                entry.classes.append(str(row["class"]))
        class_labels = {iri: lab for iri, lab in labels.items() if not iri.startswith(BASE + "id/")}
        return cls(entries, class_labels)

    def class_label(self, iri: str, lang: str) -> str:
        lab = self.class_labels.get(iri)
        return (lab.best(lang) if lab else None) or local_name(iri)

    def search(self, text: str, *, lang: str = "en", limit: int = 20) -> list[Hit]:
        """Best matches for ``text`` (empty text: no hits); raises QueryTooLong for text
        longer than MAX_QUERY_LENGTH."""
        check_length(text)
        query = normalise(text)
        if not query:
            return []
        query_compact = compact(text)
        hits: list[Hit] = []
        for entry in self.entries.values():
            best: tuple[float, str] | None = None
            for (key, preferred), key_compact in zip(entry.keys, entry.compact_keys,
                                                     strict=True):
                score = max(_score(query, key), _compact_score(query_compact, key_compact))
                if score <= 0:
                    continue
                score += 0.5 if preferred else 0.0
                score -= min(len(key), 200) / 1000
                score -= 1.5 if entry.is_fact else 0.0
                if best is None or score > best[0]:
                    best = (score, key)
            if best is None:
                continue
            label = entry.labels.best(lang) or local_name(entry.iri)
            other = entry.labels.best("zh" if lang == "en" else "en")
            hits.append(Hit(
                iri=entry.iri,
                label=label,
                other_label=other if other != label else None,
                matched=best[1],
                classes=tuple(sorted(self.class_label(c, lang) for c in entry.classes)),
                score=round(best[0], 4),
            ))
        hits.sort(key=lambda h: (-h.score, h.label))
        return hits[:limit]


def _compact_score(query: str, key: str) -> float:
    """Whole-name or prefix matches only: inside a compact key, a few letters would match
    across word boundaries (" ?s ?p ?o" → "spo" in "transportation")."""
    if len(query) < 2:
        return 0.0
    if key == query:
        return 3.9
    if key.startswith(query):
        return 2.9
    return 0.0


def _score(query: str, key: str) -> float:
    if not query or not key:
        return 0.0
    if key == query:
        return 4.0
    if key.startswith(query):
        return 3.0
    if any(word.startswith(query) for word in key.replace("-", " ").split()):
        return 2.0
    if query in key:
        return 1.0
    return 0.0


class IndexCache:
    """One index per store generation (rebuilt when the data changes)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._generation: str | None = None
        self._index: SearchIndex | None = None

    def get(self, store: Store) -> SearchIndex:
        with self._lock:
            if self._index is None or self._generation != store.generation:
                self._index = SearchIndex.build(store)
                self._generation = store.generation
            return self._index
