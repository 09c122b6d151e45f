"""Search: a reader's words in either language, in any order, misspelt or not, answered by
the full-text index of :mod:`spacekg.build.searchindex` (Tantivy) and ranked here.

A query is folded and cut as the documents were (:func:`~spacekg.build.searchindex.analyse`).
Each word becomes a group of alternatives: the word itself in the names (boost 3), the
alternative names (2.5) and the describing text (1); for a word the index does not know, its
near spellings (edit distance 1, 2 for words of eight letters or more) at about half those
weights; for the last word, a name that begins with it (text being typed). A Chinese run is
a group of its character pairs. The whole query, compacted (``change7``, ``嫦娥7``), matched
against every resource's compact names ranks an exact name (boost 12) and a name being typed
(4) first.

Hits are ordered by Tantivy's BM25 score times a prior: fact nodes (claims, presentations,
paragraphs) count 0.4 of the entities they are about, what more paragraphs mention goes a
little before what fewer do, and a name made of exactly the query's words counts double. A
resource that matches only some of the words has its score scaled by the square of the share
of words its names hold. The user's text never enters a SPARQL query.

The index belongs to one store *generation* (:class:`IndexCache`). After a curated write the
generation moves on; the next search starts a fresh index in the background and waits for it
up to ``refresh_wait`` seconds, answering from the previous one, marked ``stale``, only if it
is not ready by then.
"""

from __future__ import annotations

import functools
import logging
import threading
from dataclasses import dataclass
from pathlib import Path

import tantivy

from spacekg.build.searchindex import (
    ALT,
    KEY,
    NAME,
    TEXT,
    Entity,
    FullTextIndex,
    analyse,
    chinese_number,
    compact,
    is_cjk,
    normalise,
    open_or_build,
    pairs,
    stem,
    words,
)
from spacekg.errors import BadRequest
from spacekg.namespaces import SKG
from spacekg.publish.linkeddata import local_name, readable_name
from spacekg.stores import Store

__all__ = ["MAX_QUERY_LENGTH", "Hit", "IndexCache", "QueryTooLong", "SearchIndex",
           "check_length", "chinese_number", "compact", "normalise"]

log = logging.getLogger(__name__)

#: Longest search text answered; longer text gets a clear 400 (QueryTooLong), not a scan.
MAX_QUERY_LENGTH = 200

#: English words that say nothing on their own: dropped from a query that has other words.
_STOPWORDS = frozenset("a an and at by for from in of on or the to with".split())


class QueryTooLong(BadRequest):
    """Search text longer than MAX_QUERY_LENGTH characters."""


def check_length(text: str) -> None:
    """Raise QueryTooLong (a 400 with a message) for text longer than MAX_QUERY_LENGTH."""
    if len(text) > MAX_QUERY_LENGTH:
        raise QueryTooLong(
            f"search text is {len(text)} characters long; search takes at most "
            f"{MAX_QUERY_LENGTH} (a name, an acronym or a few words), or use /sparql")


@dataclass(frozen=True)
class Hit:
    """One result: the label in the reader's language (``label_lang`` says which it is when
    the resource has none in that language) and the other language's beside it."""

    iri: str
    label: str
    other_label: str | None
    matched: str
    classes: tuple[str, ...]
    score: float
    label_lang: str = ""
    other_label_lang: str = ""


def best_language(names: dict[str, str], lang: str) -> str | None:
    """The language of the label to show: ``lang``, else English, else Chinese, else any."""
    for key in (lang, "en", "zh", ""):
        if key in names:
            return key
    return next(iter(names), None)


def best_label(names: dict[str, str], lang: str) -> str | None:
    """The label in ``lang``, else English, else Chinese, else any."""
    key = best_language(names, lang)
    return None if key is None else names[key]


@functools.lru_cache(maxsize=8192)
def _terms(name: str) -> frozenset[str]:
    return frozenset(analyse(name))


def _covered(entity: Entity, wanted: list[set[str]]) -> int:
    """How many of the query's words (each a set of terms) the entity's names hold."""
    held = frozenset().union(*(_terms(n) for n in [*entity.names().values(), *entity.alt]))
    return sum(1 for terms in wanted if terms & held)


class SearchIndex:
    """A store's resources, ready to search (one store generation)."""

    def __init__(self, full_text: FullTextIndex, generation: str = "") -> None:
        self.full_text = full_text
        self.generation = generation
        self._schema = full_text.schema

    @classmethod
    def build(cls, store: Store) -> SearchIndex:
        """Index ``store`` in memory (for tests and small stores; serving uses IndexCache)."""
        return cls(FullTextIndex.build(store), store.generation)

    def __len__(self) -> int:
        return len(self.full_text)

    def class_label(self, iri: str, lang: str) -> str:
        names = self.full_text.class_labels.get(iri)
        return (best_label(names, lang) if names else None) or local_name(iri)

    def class_badges(self, entity: Entity, lang: str) -> tuple[str, ...]:
        """Names of the resource's classes in ``lang``: SpaceKG's own when it has any (not
        also org:Post beside skg:Post), each name once."""
        own = [c for c in entity.classes if c.startswith(str(SKG))] or entity.classes
        return tuple(sorted({self.class_label(c, lang) for c in own}))

    # ----------------------------------------------------------------------- queries

    def _term(self, field: str, term: str, boost: float) -> tantivy.Query:
        return tantivy.Query.boost_query(
            tantivy.Query.term_query(self._schema, field, term), boost)

    def _fuzzy(self, field: str, term: str, boost: float, *, distance: int,
               prefix: bool = False) -> tantivy.Query:
        return tantivy.Query.boost_query(tantivy.Query.fuzzy_term_query(
            self._schema, field, term, distance=distance, transposition_cost_one=True,
            prefix=prefix), boost)

    def _known(self, term: str, fields: tuple[str, ...] = (NAME, ALT, TEXT)) -> bool:
        """Whether the index holds ``term``: a word it knows is taken as written, and only
        an unknown one is looked for among its misspellings (which costs an automaton per
        field)."""
        searcher = self.full_text.searcher
        return any(searcher.doc_freq(f, term) > 0 for f in fields)

    def _group(self, word: str, *, last: bool) -> tantivy.Query:
        """Every way one word of the query may match a resource."""
        clauses: list[tantivy.Query] = []
        if is_cjk(word):
            for pair in pairs(word):
                clauses += [self._term(NAME, pair, 3.0), self._term(ALT, pair, 2.5),
                            self._term(TEXT, pair, 1.0)]
        else:
            clauses += [self._term(NAME, word, 3.0), self._term(ALT, word, 2.5),
                        self._term(TEXT, word, 1.0)]
            if 4 <= len(word) <= 30 and not word.isdigit() and not self._known(word):
                distance = 1 if len(word) < 8 else 2
                clauses += [self._fuzzy(NAME, word, 1.5, distance=distance),
                            self._fuzzy(ALT, word, 1.2, distance=distance),
                            self._fuzzy(TEXT, word, 0.4, distance=1)]
            if last and len(word) >= 2 and not word.isdigit():
                clauses += [self._fuzzy(NAME, word, 1.5, distance=0, prefix=True),
                            self._fuzzy(ALT, word, 1.2, distance=0, prefix=True)]
        return tantivy.Query.boolean_query([(tantivy.Occur.Should, q) for q in clauses])

    def _name_query(self, key: str) -> tantivy.Query | None:
        """The whole query as one compact name: exact, being typed, or misspelt."""
        if not key:
            return None
        clauses = [self._term(KEY, key, 12.0)]
        if len(key) >= 2:
            clauses.append(self._fuzzy(KEY, key, 4.0, distance=0, prefix=True))
        if 4 <= len(key) <= 30 and not is_cjk(key) and not self._known(key, (KEY,)):
            clauses.append(self._fuzzy(KEY, key, 4.0, distance=1 if len(key) < 9 else 2))
        return tantivy.Query.boolean_query([(tantivy.Occur.Should, q) for q in clauses])

    def _ranked(self, query: tantivy.Query, fetch: int,
                terms: frozenset[str]) -> list[tuple[float, Entity]]:
        """Hits of ``query`` by score times prior; a name made of exactly the query's words,
        in any order, counts double (space exploration → "Space exploration")."""
        found = self.full_text.searcher.search(query, fetch)
        ranked = []
        for score, address in found.hits:
            number = self.full_text.searcher.doc(address)["doc"][0]
            entity = self.full_text.entities[number]
            exact = any(_terms(n) == terms for n in [*entity.names().values(), *entity.alt])
            ranked.append((score * entity.prior() * (2.0 if exact else 1.0), entity))
        ranked.sort(key=lambda pair: (-round(pair[0], 6), len(pair[1].names().get("en", ""))))
        return ranked

    def search(self, text: str, *, lang: str = "en", limit: int = 20) -> list[Hit]:
        """Best matches for ``text`` (empty text: no hits); raises QueryTooLong for text
        longer than MAX_QUERY_LENGTH."""
        check_length(text)
        found = words(text)
        if not found:
            return []
        kept = [stem(w) for w in found if w not in _STOPWORDS] or [stem(w) for w in found]
        typing = text[-1:].isalnum()  # the last word may be unfinished
        # a single Latin letter (Artemis I, 6U, Session 1(a), what is left of "'s") counts
        # where it is found but is not required
        optional = [not is_cjk(w) and not w.isdigit() and len(w) == 1 for w in kept]
        if all(optional):
            optional = [False] * len(kept)
        groups = [self._group(w, last=typing and i == len(kept) - 1)
                  for i, w in enumerate(kept)]
        name = self._name_query(compact(text))
        fetch = limit * 2 + 30
        every = tantivy.Query.boolean_query([
            (tantivy.Occur.Should if optional[i] else tantivy.Occur.Must, g)
            for i, g in enumerate(groups)])
        first = [(tantivy.Occur.Should, every)]
        if name is not None:
            first.append((tantivy.Occur.Should, name))
        query_terms = frozenset(analyse(text))
        ranked = self._ranked(tantivy.Query.boolean_query(first), fetch, query_terms)
        required = sum(1 for o in optional if not o)
        if required > 1:
            # Resources that hold only some of the words join, their score scaled by the
            # square of the share of words their names hold: a name with most of the words
            # (Argonaut for "esa argonaut") can pass a claim whose text holds them all.
            seen = {e.iri for _, e in ranked}
            some = self._ranked(tantivy.Query.boolean_query(
                [(tantivy.Occur.Should, q) for q in [*groups, *([name] if name else [])]]),
                fetch, query_terms)
            wanted = [set(pairs(w)) if is_cjk(w) else {w}
                      for w, o in zip(kept, optional, strict=True) if not o]
            ranked += [(s * (max(_covered(e, wanted), 1) / required) ** 2, e)
                       for s, e in some if e.iri not in seen]
            ranked.sort(key=lambda pair: -pair[0])
        return [self._hit(entity, score, query_terms, lang) for score, entity in ranked[:limit]]

    def _hit(self, entity: Entity, score: float, query_terms: frozenset[str],
             lang: str) -> Hit:
        names = entity.names()
        label_lang = best_language(names, lang)
        label = names[label_lang] if label_lang is not None else readable_name(entity.iri)
        other_lang = best_language(names, "zh" if lang == "en" else "en")
        other = names[other_lang] if other_lang is not None else None
        candidates = list(names.values()) + entity.alt
        matched = max(candidates, default=label,
                      key=lambda n: (len(query_terms & _terms(n)), -len(n)))
        return Hit(iri=entity.iri, label=label,
                   other_label=other if other and other != label else None,
                   matched=normalise(matched), classes=self.class_badges(entity, lang),
                   score=round(score, 4), label_lang=label_lang or "",
                   other_label_lang=other_lang or "")


class IndexCache:
    """The search index of the store's current generation, one per process.

    The first call builds it (``spacekg serve`` calls :meth:`warm` before a worker takes
    requests). When the generation changes (a curated write), a fresh index is built on a
    thread while the previous one keeps answering; a search waits for it up to
    ``refresh_wait`` seconds. With ``directory``, a read-only on-disk store's index is kept
    there, one folder per generation, so the workers of a server build it once and a
    restart opens it in milliseconds.
    """

    def __init__(self, directory: Path | None = None, *, refresh_wait: float = 5.0) -> None:
        self.directory = directory
        self.refresh_wait = refresh_wait
        self._lock = threading.Lock()
        self._index: SearchIndex | None = None
        self._refreshing: tuple[str, threading.Thread] | None = None

    def warm(self, store: Store) -> SearchIndex:
        """Build (or open) the index now, and search it once for words it cannot know (so
        that Tantivy makes its misspelling automata, ~0.1 s), so that no request waits."""
        index = self.get(store)
        index.search("zzqxjwvkq zzqxj")  # a long and a short unknown word, still being typed
        return index

    def get(self, store: Store) -> SearchIndex:
        generation = store.generation
        with self._lock:
            index = self._index
            if index is not None and index.generation == generation:
                return index
            if index is None:
                self._index = self._load(store, generation)
                return self._index
            if self._refreshing is None or self._refreshing[0] != generation:
                thread = threading.Thread(target=self._refresh, args=(store, generation),
                                          name="spacekg-search-index", daemon=True)
                self._refreshing = (generation, thread)
                thread.start()
            thread = self._refreshing[1]
        thread.join(self.refresh_wait)
        with self._lock:
            assert self._index is not None
            return self._index

    def _refresh(self, store: Store, generation: str) -> None:
        try:
            fresh = self._load(store, generation)
        except Exception:  # noqa: BLE001 - the previous index keeps answering, marked stale
            log.exception("the search index could not be rebuilt; searching the previous one")
            return
        with self._lock:
            self._index = fresh

    def _load(self, store: Store, generation: str) -> SearchIndex:
        return SearchIndex(open_or_build(store, self.directory), generation)
