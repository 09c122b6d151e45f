"""The full-text index that search reads: every resource under ``id/`` with its names, its
alternative names and the sentences that describe it, in both languages.

Built from a :class:`~spacekg.stores.Store` through three queries (``ld-label-index``,
``search-texts``, ``search-mentions``) and ``ld-types``, so it works the same over the
built Oxigraph store, an in-memory one and a remote endpoint.

**Engine: Tantivy** (the ``tantivy`` package, Quickwit's official Python bindings of the Rust
engine). Chosen over SQLite FTS5 because search must tolerate misspellings: Tantivy has fuzzy
term queries (Levenshtein automata over the term dictionary, with transpositions and a fuzzy
*prefix* for text still being typed), BM25 ranking and per-clause boosts, while FTS5 has
neither fuzzy terms nor a trigram tokenizer that matches the two-character words most
Chinese queries are made of (its trigrams need three). ``bench/search.py`` measured both on
the same terms and weights (bench/README.md, "Search"): on 1,000 queries drawn from the
data, Tantivy put the right resource first 994 times on the report and 998 on 1M triples,
FTS5 871 and 969 (it found 91 of 160 misspelt names, Tantivy 159); at 1M Tantivy answered
in 14 ms at the median and 60 ms at p99, FTS5 in 36 ms and 505 ms.

**Analysis** is done here, in Python, so documents and queries are cut the same way
(:func:`analyse`), and the index is told to split on spaces only:

* text is case-, width- and accent-folded; an apostrophe inside a word goes (Chang'e →
  change), so Chang'e-7, Chang'e 7, Change 7 and change-7 give the same words; letters and
  digits part (change7 → change 7);
* a plural ending goes (agencies → agency, heads → head: :func:`stem`);
* Chinese is cut into overlapping character pairs plus single characters, as Lucene's CJK
  analyser does: 国际月球科研站 → 国际 际月 月球 球科 科研 研站 and 国 际 …; the query
  月球 科研站 then finds it without a dictionary, and a mistyped character loses only the
  pairs it is in. (A word segmenter such as jieba cuts a query and a label differently as
  soon as either is short, 科研站 vs 科研 站, and ships a dictionary of its own);
* a Chinese numeral before 号 or after 第 is read as a number (嫦娥七号 → 嫦娥 7), so the
  report's way of writing a mission and a reader's Arabic digits meet.

Each resource also gets *keys*: every name in its compact form (no spaces or punctuation:
``change7``, ``嫦娥7``, ``cnsa``), which rank an exact name (and a name being typed) first.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import math
import os
import re
import shutil
import tempfile
import time
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tantivy

from spacekg import queryfiles
from spacekg.build.pipeline import locked
from spacekg.errors import QueryError
from spacekg.namespaces import BASE
from spacekg.stores import SolutionsResult, Store
from spacekg.stores.terms import term_parts

log = logging.getLogger(__name__)

ENTITY_PREFIX = BASE + "id/"

#: IRI paths of fact nodes (claims, presentations, paragraphs…): found by search, but after
#: the entities they are about.
FACT_PATHS = ("claim/", "presentation/", "statistic/", "document/a-ac-105-1294/", "objective/",
              "value/", "selection/", "capacity/", "quantity/", "citation/", "partnership/")

_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6,
           "七": 7, "八": 8, "九": 9}
_NUMERAL = "[零〇一二两三四五六七八九十百]+"
_COUNTED = re.compile(rf"({_NUMERAL})(?=号)|(?<=第)({_NUMERAL})")
_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TOKEN = re.compile(rf"[0-9]+|[a-z]+|[{_CJK}]+")
_APOSTROPHE = re.compile(r"(?<=[a-z])['’‘`´](?=[a-z])")
_NOT_WORD = re.compile(rf"[^0-9a-z{_CJK}]+")
_IS_CJK = re.compile(rf"[{_CJK}]")
_COMBINING = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")


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
            total += (current or 1) * (10 if c == "十" else 100)
            current = 0
    return str(total + current)


def normalise(text: str) -> str:
    """Case- and width-folded text with runs of spaces collapsed and typographic quotes and
    dashes made plain (Chang'e = chang’e = CHANG'E, ＣＮＳＡ = cnsa)."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = text.replace("’", "'").replace("‘", "'").replace("–", "-").replace("—", "-")
    return " ".join(text.split())


def fold(text: str) -> str:
    """Normalised text without accents or apostrophes inside words, Chinese numerals before
    号 or after 第 as digits, and 号 after a number dropped (嫦娥七号 → 嫦娥7)."""
    text = normalise(text)
    if not text.isascii():
        text = _COMBINING.sub("", unicodedata.normalize("NFKD", text))
    text = _APOSTROPHE.sub("", text)
    text = _COUNTED.sub(lambda m: chinese_number(m.group(0)), text)
    return re.sub(r"(?<=\d)\s*号", " ", text)


def compact(text: str) -> str:
    """The spelling-blind form of a whole name: folded, nothing but letters, digits and CJK
    characters (Chang'e-7 → change7, 嫦娥 七号 → 嫦娥7)."""
    return _NOT_WORD.sub("", fold(text))


def words(text: str) -> list[str]:
    """The folded words of ``text``: runs of letters, of digits, of CJK characters."""
    return _TOKEN.findall(fold(text))


def is_cjk(word: str) -> bool:
    return bool(_IS_CJK.match(word))


def pairs(word: str) -> list[str]:
    """A CJK run as overlapping character pairs (a single character stays as it is)."""
    return [word] if len(word) < 2 else [word[i:i + 2] for i in range(len(word) - 1)]


def stem(word: str) -> str:
    """A Latin word without its plural ending (Harman's "S" stemmer: agencies → agency,
    heads → head, States → state; us, ss and short words kept), so one form finds the
    other; digits and CJK come back as they are."""
    if len(word) <= 3 or not word.isalpha() or not word.isascii():
        return word
    if word.endswith("ies") and not word.endswith(("eies", "aies")):
        return word[:-3] + "y"
    if word.endswith("es") and not word.endswith(("aes", "ees", "oes")):
        return word[:-1]
    if word.endswith("s") and not word.endswith(("us", "ss")):
        return word[:-1]
    return word


def analyse(text: str, *, folded: bool = False) -> list[str]:
    """The index terms of ``text`` (already :func:`fold`-ed if ``folded``): Latin words
    (:func:`stem`-med) and digits, and for CJK runs their character pairs and single
    characters."""
    terms: list[str] = []
    for word in _TOKEN.findall(text if folded else fold(text)):
        if is_cjk(word):
            terms.extend(pairs(word) if len(word) > 1 else [])
            terms.extend(word)
        else:
            terms.append(stem(word))
    return terms


# --------------------------------------------------------------------------- documents

#: Fields of the index: compact names, names, alternative names, describing text.
KEY, NAME, ALT, TEXT = "key", "name", "alt", "text"


def schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_unsigned_field("doc", stored=True, indexed=False)
    for name in (KEY, NAME, ALT, TEXT):
        builder.add_text_field(name, tokenizer_name="whitespace", index_option="freq")
    return builder.build()


@dataclass
class Entity:
    """What a search hit shows of one resource (kept beside the index, not in it)."""

    iri: str
    pref: dict[str, str] = field(default_factory=dict)  # language → preferred label
    plain: dict[str, str] = field(default_factory=dict)  # language → rdfs:label
    alt: list[str] = field(default_factory=list)
    classes: list[str] = field(default_factory=list)
    mentions: int = 0

    @property
    def is_fact(self) -> bool:
        return self.iri[len(ENTITY_PREFIX):].startswith(FACT_PATHS)

    def names(self) -> dict[str, str]:
        """Preferred label per language, rdfs:label where there is none."""
        return {**self.plain, **self.pref}

    def prior(self) -> float:
        """How much to trust this resource among equal matches: entities before fact nodes,
        and what more paragraphs mention a little before what fewer do."""
        return (0.4 if self.is_fact else 1.0) * (1.0 + 0.1 * math.log1p(self.mentions))


def _rows(store: Store, name: str) -> Iterator[dict[str, tuple[str, str, str | None,
                                                               str | None]]]:
    result = store.query(queryfiles.load(name))
    if not isinstance(result, SolutionsResult):
        raise QueryError(f"{name}.rq is not a SELECT query")
    for row in result.rows:
        yield {v: term_parts(t) for v, t in zip(result.variables, row, strict=True)
               if t is not None}


def _language(tag: str | None) -> str:
    return (tag or "").lower().split("-")[0]


@dataclass
class Collected:
    """Everything the index is made of, read from a store."""

    entities: dict[str, Entity]
    texts: dict[str, list[str]]
    class_labels: dict[str, dict[str, str]]  # class IRI → language → label


def collect(store: Store) -> Collected:
    """Read names, classes, texts and mention counts of every resource from ``store``."""
    entities: dict[str, Entity] = {}
    class_labels: dict[str, dict[str, str]] = {}
    class_plain: dict[str, dict[str, str]] = {}
    for row in _rows(store, "ld-label-index"):
        iri, (_, label, _, tag), kind = row["x"][1], row["label"], row["kind"][1]
        lang = _language(tag)
        if not iri.startswith(ENTITY_PREFIX):
            target = class_labels if kind == "pref" else class_plain
            if kind != "alt":
                target.setdefault(iri, {})[lang] = label
            continue
        entity = entities.setdefault(iri, Entity(iri))
        if kind == "alt":
            if label not in entity.alt:
                entity.alt.append(label)
        elif kind == "pref":
            entity.pref[lang] = label
        else:
            entity.plain.setdefault(lang, label)
    for iri, plain in class_plain.items():
        class_labels[iri] = {**plain, **class_labels.get(iri, {})}
    texts: dict[str, list[str]] = {}
    for row in _rows(store, "search-texts"):
        iri = row["x"][1]
        if iri.startswith(ENTITY_PREFIX):
            texts.setdefault(iri, []).append(row["text"][1])
            entities.setdefault(iri, Entity(iri))
    for row in _rows(store, "ld-types"):
        entity = entities.get(row["x"][1])
        if entity is not None and row["class"][1] not in entity.classes:
            entity.classes.append(row["class"][1])
    for row in _rows(store, "search-mentions"):
        entity = entities.get(row["x"][1])
        if entity is not None:
            entity.mentions = int(row["mentions"][1])
    return Collected(entities, texts, class_labels)


# --------------------------------------------------------------------------- the index

class FullTextIndex:
    """A Tantivy index of a store's resources and what a hit shows of each."""

    def __init__(self, index: tantivy.Index, entities: list[Entity],
                 class_labels: dict[str, dict[str, str]], *, seconds: float = 0.0) -> None:
        self.index = index
        self.schema = index.schema
        self.entities = entities  # by the ``doc`` number stored in the index
        self.class_labels = class_labels
        self.seconds = seconds
        self.searcher = index.searcher()

    def __len__(self) -> int:
        return len(self.entities)

    @classmethod
    def build(cls, store: Store, directory: Path | None = None) -> FullTextIndex:
        """Index ``store`` in memory, or in ``directory`` (which must be empty or absent)
        with the entities beside it, so :meth:`open` can read it again."""
        started = time.monotonic()
        collected = collect(store)
        if directory is not None:
            directory.mkdir(parents=True, exist_ok=True)
        index = tantivy.Index(schema(), path=str(directory) if directory else None)
        writer = index.writer(heap_size=100_000_000)
        entities = sorted(collected.entities.values(), key=lambda e: e.iri)
        for number, entity in enumerate(entities):
            names = [fold(n) for n in entity.names().values()]
            alt = [fold(n) for n in entity.alt]
            document = tantivy.Document()
            document.add_unsigned("doc", number)
            document.add_text(KEY, " ".join({_NOT_WORD.sub("", n) for n in names + alt} - {""}))
            document.add_text(NAME, " ".join(t for n in names for t in analyse(n, folded=True)))
            document.add_text(ALT, " ".join(t for n in alt for t in analyse(n, folded=True)))
            document.add_text(TEXT, " ".join(
                term for t in collected.texts.get(entity.iri, ()) for term in analyse(t)))
            writer.add_document(document)
        writer.commit()
        writer.wait_merging_threads()
        index.reload()
        built = cls(index, entities, collected.class_labels,
                    seconds=time.monotonic() - started)
        if directory is not None:
            (directory / ENTITIES_FILE).write_text(json.dumps(
                {"entities": [_entity_json(e) for e in entities],
                 "class_labels": collected.class_labels}, ensure_ascii=False),
                encoding="utf-8")
        return built

    @classmethod
    def open(cls, directory: Path) -> FullTextIndex:
        """An index that :meth:`build` wrote to ``directory``; raises OSError or ValueError
        when it is not there or not whole."""
        started = time.monotonic()
        data = json.loads((directory / ENTITIES_FILE).read_text(encoding="utf-8"))
        entities = [Entity(**e) for e in data["entities"]]
        index = tantivy.Index.open(str(directory))
        return cls(index, entities, data["class_labels"], seconds=time.monotonic() - started)


ENTITIES_FILE = "entities.json"


def _entity_json(entity: Entity) -> dict[str, Any]:
    return {"iri": entity.iri, "pref": entity.pref, "plain": entity.plain, "alt": entity.alt,
            "classes": entity.classes, "mentions": entity.mentions}


# --------------------------------------------------------------------------- kept on disk

def index_folder(directory: Path, store: Store) -> Path | None:
    """Where ``store``'s index is kept under ``directory``: only a read-only on-disk store's
    generation names the same data in every process and after a restart (a writable or an
    in-memory store gets an index in memory)."""
    if not getattr(store, "read_only", False) or getattr(store, "path", None) is None:
        return None
    key = f"{_analysis_version()}|{store.generation}"
    return directory / hashlib.sha1(key.encode()).hexdigest()[:20]


@functools.cache
def _analysis_version() -> str:
    """This module's own hash: an index kept on disk by other code, which may cut words
    differently, is never taken for this code's."""
    return hashlib.sha1(Path(__file__).read_bytes()).hexdigest()


def open_or_build(store: Store, directory: Path | None = None) -> FullTextIndex:
    """The index of ``store``: opened from ``directory`` when an earlier process (or the
    build) left it there, else built (there, under a lock, so that the workers of one server
    build it once; or in memory)."""
    folder = index_folder(directory, store) if directory is not None else None
    if folder is None:
        return FullTextIndex.build(store)
    if (folder / ENTITIES_FILE).is_file():
        try:
            return FullTextIndex.open(folder)
        except (OSError, ValueError):
            log.warning("search index in %s unreadable: building it again", folder)
    try:
        return _build_kept(store, folder)
    except OSError as exc:  # a directory this process may not write: index in memory
        log.warning("search index cannot be kept in %s (%s): built in memory", folder, exc)
        return FullTextIndex.build(store)


def _build_kept(store: Store, folder: Path) -> FullTextIndex:
    folder.parent.mkdir(parents=True, exist_ok=True)
    with locked(folder.parent):  # the other workers wait, then open it
        if not (folder / ENTITIES_FILE).is_file():
            staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=folder.parent))
            staging.chmod(0o755)  # readable as the build directory is
            try:
                FullTextIndex.build(store, staging)
                (staging / SOURCE_FILE).write_text(str(getattr(store, "path", "")),
                                                   encoding="utf-8")
                shutil.rmtree(folder, ignore_errors=True)  # an unreadable one
                os.replace(staging, folder)
            finally:
                shutil.rmtree(staging, ignore_errors=True)
            _prune(folder)
    return FullTextIndex.open(folder)


#: Beside an index kept on disk: the store it was made from (to prune older generations).
SOURCE_FILE = "store.txt"


def _prune(kept: Path) -> None:
    """Remove the indexes of earlier generations of the same store."""
    source = (kept / SOURCE_FILE).read_text(encoding="utf-8")
    for other in kept.parent.iterdir():
        if other == kept or not other.is_dir() or other.name.startswith("."):
            continue
        try:
            same = (other / SOURCE_FILE).read_text(encoding="utf-8") == source
        except OSError:
            continue
        if same:
            shutil.rmtree(other, ignore_errors=True)


def prebuild(store_dir: str, index_dir: str) -> None:
    """Build the index of the on-disk store ``store_dir`` into ``index_dir`` as a server
    that opens it read-only will look for it (the build calls this in a child process: the
    building process never opens RocksDB, see ``pipeline._load_on_disk``)."""
    from spacekg.stores.oxigraph import OxigraphStore

    store = OxigraphStore(store_dir, read_only=True)
    try:
        open_or_build(store, Path(index_dir))
    finally:
        store.close()
