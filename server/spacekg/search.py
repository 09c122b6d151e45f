"""Search over labels in Chinese and English and the report's acronyms and short forms.

The index is built once per store generation from two queries (every label, every asserted
class) and searched in Python, so a user's search text never enters a SPARQL query. Ranking:
exact label, then label prefix, then word prefix, then substring; preferred labels before
alternative ones, shorter labels first.
"""

from __future__ import annotations

import threading
import unicodedata
from dataclasses import dataclass, field

from spacekg.linkeddata import Labels, local_name, select
from spacekg.namespaces import BASE
from spacekg.stores import Store


def normalise(text: str) -> str:
    """Case- and width-folded text with runs of spaces and dashes collapsed (嫦娥 = 嫦娥,
    Chang'e = chang’e = CHANG'E)."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = text.replace("’", "'").replace("‘", "'").replace("–", "-").replace("—", "-")
    return " ".join(text.split())


@dataclass
class Entry:
    """One searchable resource."""

    iri: str
    labels: Labels
    classes: list[str] = field(default_factory=list)
    keys: list[tuple[str, bool]] = field(default_factory=list)  # (normalised label, preferred)


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
        """Best matches for ``text`` (empty text: no hits)."""
        query = normalise(text)
        if not query:
            return []
        hits: list[Hit] = []
        for entry in self.entries.values():
            best: tuple[float, str] | None = None
            for key, preferred in entry.keys:
                score = _score(query, key)
                if score <= 0:
                    continue
                score += 0.5 if preferred else 0.0
                score -= min(len(key), 200) / 1000
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


def _score(query: str, key: str) -> float:
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
