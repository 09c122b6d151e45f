"""Describe one resource of SpaceKG: its outgoing and incoming statements, the graph each
is stated in, the report paragraph that graph belongs to, and the labels of what it links to.

No Flask here: pages, RDF documents, the explorer and the downloads all read a
:class:`Description`. IRIs reach the SPARQL (``queries/ld-*.rq``) only as validated IRI
terms in a ``VALUES`` row, so text from a URL is never spliced into a query.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from rdflib import RDF, RDFS, Dataset, Graph, Literal, URIRef
from rdflib.namespace import SKOS

from spacekg import queryfiles
from spacekg.errors import QueryError, UnknownResource
from spacekg.namespaces import BASE, GRAPH, PREFIXES
from spacekg.publish.language import LANGUAGES, messages
from spacekg.stores import SolutionsResult, Store
from spacekg.stores.terms import to_rdflib

#: Characters an IRIREF may not contain (SPARQL 1.1 grammar, production 139).
_FORBIDDEN = re.compile(r'[\x00-\x20<>"{}|^`\\]')
_VALUES = r"VALUES\s+\?{var}\s*\{{[^}}]*\}}"

INFERRED_GRAPH = str(GRAPH["inferred"])
REFERENCE_GRAPH = str(GRAPH["reference"])
ONTOLOGY_GRAPH = str(GRAPH["ontology"])
REPORT_PREFIX = BASE + "id/document/a-ac-105-1294/"


def iri_term(iri: str) -> str:
    """``<iri>`` for a SPARQL query; raises UnknownResource when ``iri`` cannot be an IRI."""
    if not iri or _FORBIDDEN.search(iri) or ":" not in iri:
        raise UnknownResource(f"{iri!r} is not an IRI SpaceKG can look up", iri=iri)
    return f"<{iri}>"


def bind(query: str, var: str, iris: Sequence[str]) -> str:
    """``query`` with its ``VALUES ?var { … }`` row replaced by ``iris`` (validated terms).

    Raises QueryError if the query has no such VALUES block (a bug in a .rq file).
    """
    pattern = re.compile(_VALUES.format(var=re.escape(var)))
    terms = " ".join(iri_term(i) for i in iris) or "UNDEF"
    bound, count = pattern.subn(lambda _m: f"VALUES ?{var} {{ {terms} }}", query, count=1)
    if count != 1:
        raise QueryError(f"query has no VALUES ?{var} block to bind")
    return bound


def select(store: Store, name: str, **bindings: Sequence[str]) -> list[dict[str, Any]]:
    """Rows (dicts of rdflib terms, unbound variables absent) of ``queries/{name}.rq``."""
    text = queryfiles.load(name)
    for var, iris in bindings.items():
        text = bind(text, var, iris)
    result = store.query(text)
    if not isinstance(result, SolutionsResult):
        raise QueryError(f"{name}.rq is not a SELECT query")
    rows = []
    for row in result.rows:
        rows.append({v: to_rdflib(t) for v, t in zip(result.variables, row, strict=True)
                     if t is not None})
    return rows


# --------------------------------------------------------------------------- labels

@dataclass
class Labels:
    """The names of one resource: preferred label per language, and alternative labels."""

    pref: dict[str, str] = field(default_factory=dict)
    alt: list[str] = field(default_factory=list)

    def add(self, label: Literal, kind: str) -> None:
        lang = (label.language or "").lower().split("-")[0]
        if kind == "alt":
            if str(label) not in self.alt:
                self.alt.append(str(label))
        elif kind == "pref":
            self.pref[lang] = str(label)
        elif kind == "text":  # a describing sentence, for nodes without a label
            self._text.setdefault(lang, _shorten(str(label)))
        else:  # rdfs:label counts only where no skos:prefLabel is given
            self._plain.setdefault(lang, str(label))

    def __post_init__(self) -> None:
        self._plain: dict[str, str] = {}
        self._text: dict[str, str] = {}

    def finish(self) -> Labels:
        """Fill languages without a preferred label from rdfs:label."""
        for lang, text in self._plain.items():
            self.pref.setdefault(lang, text)
        if not self.pref:
            self.pref.update(self._text)
        return self

    def best(self, lang: str) -> str | None:
        """Label in ``lang``, else English, else Chinese, else any."""
        for key in (lang, "en", "zh", ""):
            if key in self.pref:
                return self.pref[key]
        return next(iter(self.pref.values()), None)


def _shorten(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def paragraph_labels(iri: str) -> Labels | None:
    """Names of a paragraph or annex clause of the report (they carry no labels)."""
    tail = iri[len(REPORT_PREFIX):] if iri.startswith(REPORT_PREFIX) else None
    m = re.fullmatch(r"para/(\d+)|annex/(pp|op)/(\d+)", tail or "")
    if not m:
        return None
    if m.group(1):
        return Labels(pref={"en": f"Paragraph {m.group(1)}", "zh": f"第 {m.group(1)} 段"})
    label = ("P" if m.group(2) == "pp" else "O") + m.group(3)
    kind_en = "preambular" if m.group(2) == "pp" else "operative"
    kind_zh = "序言部分" if m.group(2) == "pp" else "执行部分"
    return Labels(pref={"en": f"Annex, {kind_en} clause {label}",
                        "zh": f"附件{kind_zh}第 {m.group(3)} 段（{label}）"})


def readable_name(iri: str) -> str:
    """A name for an unlabelled IRI: vocabulary terms spelled out (``isPartOf`` → "is part
    of"), SpaceKG individuals by their path (``claim/para-11-1``)."""
    if iri.startswith(BASE + "id/"):
        return local_name(iri)[len("id/"):]
    tail = local_name(iri)
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", tail).lower() if tail.isalnum() else tail


def local_name(iri: str) -> str:
    """Readable tail of an IRI: after '#', else the path under the base, else the last segment."""
    if "#" in iri:
        return iri.rsplit("#", 1)[1]
    if iri.startswith(BASE):
        return iri[len(BASE):]
    return iri.rstrip("/").rsplit("/", 1)[-1] or iri


def labels_of(store: Store, iris: Iterable[str]) -> dict[str, Labels]:
    """Labels of each IRI (those without labels are absent), fetched in chunks."""
    wanted = sorted({str(i) for i in iris if ":" in i and not _FORBIDDEN.search(i)})
    found: dict[str, Labels] = {}
    for start in range(0, len(wanted), 400):
        chunk = wanted[start:start + 400]
        for row in select(store, "ld-labels", x=chunk):
            if isinstance(row.get("label"), Literal):
                found.setdefault(str(row["x"]), Labels()).add(row["label"], str(row["kind"]))
    out = {iri: labels.finish() for iri, labels in found.items()}
    vocabulary = vocabulary_labels()
    for iri in wanted:
        if iri not in out or not out[iri].pref:
            para = paragraph_labels(iri)
            if para is not None:
                out[iri] = para
        # other vocabularies' terms, RDF's own among them (no ontology can label rdf:type in
        # OWL 2 DL), named in both languages
        if iri in vocabulary:
            names = out.setdefault(iri, Labels())
            for lang, text in vocabulary[iri].items():
                names.pref.setdefault(lang, text)
    return out


@cache
def vocabulary_labels() -> dict[str, dict[str, str]]:
    """Names of the other vocabularies' terms the data uses (``foaf:Person``, ``rdf:type``…),
    from the message catalogues' ``term:`` entries: those vocabularies label them in English
    at best."""
    out: dict[str, dict[str, str]] = {}
    for lang in LANGUAGES:
        for key, text in messages(lang).items():
            prefix, _, name = key.removeprefix("term:").partition(":")
            if key.startswith("term:") and prefix in PREFIXES:
                out.setdefault(PREFIXES[prefix] + name, {})[lang] = text
    return out


# --------------------------------------------------------------------------- provenance

@dataclass(frozen=True)
class Source:
    """Where a statement comes from: its named graph and, for report graphs, the paragraph."""

    graph: str
    paragraph: str | None = None
    text: str | None = None
    #: SpaceKG's English rendering of the paragraph (``text`` is the report's Chinese).
    text_en: str | None = None

    def text_in(self, lang: str) -> str | None:
        """The paragraph in ``lang``: the English rendering for ``en`` (when there is one),
        else the Chinese source."""
        return (self.text_en or self.text) if lang == "en" else self.text

    @property
    def kind(self) -> str:
        """paragraph | registry | inferred | ontology | other"""
        if self.paragraph:
            return "paragraph"
        return {REFERENCE_GRAPH: "registry", INFERRED_GRAPH: "inferred",
                ONTOLOGY_GRAPH: "ontology"}.get(self.graph, "other")

    @property
    def number(self) -> str:
        """The paragraph's number as the report prints it: 19, P3 (preambular), O5 (operative)."""
        return paragraph_number(self.paragraph or self.graph)


def paragraph_number(iri: str) -> str:
    parts = iri.rstrip("/").split("/")
    if len(parts) >= 2 and parts[-2] in ("pp", "op"):
        return ("P" if parts[-2] == "pp" else "O") + parts[-1]
    return parts[-1]


@dataclass
class Fact:
    """One statement about the described resource, with every graph that states it."""

    predicate: str
    value: Any  # rdflib term: the object (outgoing) or the subject (incoming)
    sources: list[Source] = field(default_factory=list)

    @property
    def paragraphs(self) -> list[Source]:
        return sorted((s for s in self.sources if s.paragraph), key=source_order)

    @property
    def inferred_only(self) -> bool:
        return all(s.kind == "inferred" for s in self.sources)


def source_order(source: Source) -> tuple[int, str]:
    number = source.number
    digits = re.sub(r"\D", "", number)
    prefix = {"P": 1000, "O": 2000}.get(number[:1], 0)
    return (prefix + int(digits) if digits else 9999, number)


@dataclass(frozen=True)
class StatedSentence:
    """A sentence of the report that states a fact: its IRI, paragraph, NIF offsets into the
    paragraph's Chinese text, the Chinese words and SpaceKG's English rendering."""

    iri: str
    paragraph: str
    begin: int
    end: int
    zh: str
    en: str | None = None

    @property
    def number(self) -> str:
        """Its number in the paragraph (the last segment of ``…/sentence/K``)."""
        return self.iri.rsplit("/", 1)[-1]

    def text_in(self, lang: str) -> str:
        """The sentence in ``lang`` (``en``: SpaceKG's rendering when there is one)."""
        return (self.en or self.zh) if lang == "en" else self.zh

    def in_paragraph(self, zh: str | None, en: str | None, lang: str) -> tuple[str, str, str]:
        """(before, the sentence, after) in the paragraph text of ``lang``, to highlight it:
        the Chinese by its offsets, the English rendering by where its aligned text sits."""
        if lang == "en" and en and self.en and self.en in en:
            at = en.index(self.en)
            return en[:at], self.en, en[at + len(self.en):]
        text = zh or ""
        return text[:self.begin], text[self.begin:self.end], text[self.end:]


@dataclass
class Description:
    """Everything SpaceKG states about one resource, ready for a page or an RDF document."""

    iri: str
    outgoing: list[Fact]
    incoming: list[Fact]
    labels: dict[str, Labels]
    #: fact node → the sentences that state it (``prov:wasDerivedFrom``), in reading order
    sentences: dict[str, list[StatedSentence]] = field(default_factory=dict)

    def stating(self, node: str, paragraph: str) -> list[StatedSentence]:
        """The sentences of ``paragraph`` that state the fact node ``node`` (none for a
        resource that is not a fact node, such as a paragraph mentioning an entity)."""
        return [s for s in self.sentences.get(str.__str__(node), []) if s.paragraph == paragraph]

    @property
    def types(self) -> list[str]:
        """Classes stated in the data (not only inferred)."""
        return sorted({str(f.value) for f in self.outgoing
                       if f.predicate == str(RDF.type) and not f.inferred_only})

    @property
    def inferred_types(self) -> list[str]:
        """Classes only the build's inferences give (superclasses…)."""
        return sorted({str(f.value) for f in self.outgoing
                       if f.predicate == str(RDF.type) and f.inferred_only})

    def label(self, iri: str, lang: str = "en") -> str:
        iri = str.__str__(iri)  # URIRef("x") != "x" as a dict key
        found = self.labels.get(iri)
        return (found.best(lang) if found else None) or readable_name(iri)

    @property
    def text(self) -> str | None:
        """The paragraph's Chinese text (the source) when the resource is a paragraph."""
        return self.text_in("zh")

    def text_in(self, lang: str) -> str | None:
        """The paragraph text in ``lang`` (``en``: SpaceKG's rendering), else None."""
        for fact in self.outgoing:
            value = fact.value
            if (fact.predicate == str(RDF.value) and isinstance(value, Literal)
                    and (value.language or "zh")[:2] == lang):
                return str(value)
        return None

    def to_dataset(self) -> Dataset:
        """The description as quads: each statement in the graph(s) that hold it, plus the
        labels of every linked resource (in the reference graph, where the registry keeps them).
        """
        ds = Dataset()
        subject = URIRef(self.iri)
        for fact in self.outgoing:
            for src in fact.sources:
                ds.graph(URIRef(src.graph)).add((subject, URIRef(fact.predicate), fact.value))
        for fact in self.incoming:
            for src in fact.sources:
                ds.graph(URIRef(src.graph)).add((fact.value, URIRef(fact.predicate), subject))
        ref = ds.graph(URIRef(REFERENCE_GRAPH))
        for iri, labels in self.labels.items():
            if iri == self.iri:
                continue
            for lang, text in labels.pref.items():
                ref.add((URIRef(iri), RDFS.label, Literal(text, lang=lang or None)))
        return ds

def _bind_prefixes(g: Graph) -> None:
    g.bind("skg", BASE + "ontology#")
    g.bind("id", BASE + "id/")
    g.bind("skos", SKOS)
    g.bind("schema", "https://schema.org/")
    g.bind("dcterms", "http://purl.org/dc/terms/")
    g.bind("org", "http://www.w3.org/ns/org#")


def _facts(rows: list[dict[str, Any]], value_var: str) -> list[Fact]:
    by_key: dict[tuple[str, Any], Fact] = {}
    for row in rows:
        key = (str(row["p"]), row[value_var])
        fact = by_key.setdefault(key, Fact(key[0], key[1]))
        para = row.get("para")
        source = Source(str(row["g"]), str(para) if para is not None else None,
                        str(row["text"]) if "text" in row else None,
                        str(row["textEn"]) if "textEn" in row else None)
        if source not in fact.sources:
            fact.sources.append(source)
    return list(by_key.values())


def describe(store: Store, iri: str) -> Description:
    """Describe ``iri``; raises UnknownResource when the dataset says nothing about it."""
    outgoing = _facts(select(store, "ld-outgoing", this=[iri]), "o")
    incoming = _facts(select(store, "ld-incoming", this=[iri]), "s")
    if not outgoing and not incoming:
        raise UnknownResource(f"SpaceKG has no statement about <{iri}>", iri=iri)
    linked = {iri}
    for fact in outgoing + incoming:
        linked.add(fact.predicate)
        if isinstance(fact.value, URIRef):
            linked.add(str(fact.value))
        for src in fact.sources:
            if src.paragraph:
                linked.add(src.paragraph)
    nodes = [iri] + [str(f.value) for f in incoming if isinstance(f.value, URIRef)]
    return Description(iri, outgoing, incoming, labels_of(store, linked),
                       stating_sentences(store, nodes))


def stating_sentences(store: Store, nodes: Iterable[str]) -> dict[str, list[StatedSentence]]:
    """The sentences that state each of ``nodes`` (``queries/ld-sentences.rq``), in order."""
    found: dict[str, list[StatedSentence]] = {}
    wanted = sorted(set(nodes))
    for start in range(0, len(wanted), 400):
        for row in select(store, "ld-sentences", node=wanted[start:start + 400]):
            sentence = StatedSentence(
                str(row["sentence"]), str(row["para"]), int(row["begin"].toPython()),
                int(row["end"].toPython()), str(row["zh"]),
                str(row["en"]) if "en" in row else None)
            found.setdefault(str(row["node"]), []).append(sentence)
    for sentences in found.values():
        sentences.sort(key=lambda s: (s.paragraph, s.begin))
    return found


def graph_statements(store: Store, graph: str) -> list[tuple[Any, Any, Any]]:
    """Every triple of one named graph (for paragraph pages and graph IRIs)."""
    return [(r["s"], r["p"], r["o"]) for r in select(store, "ld-graph", g=[graph])]


def paragraph_graph_of(paragraph_iri: str) -> str | None:
    """The named graph of a paragraph or annex clause IRI, else None: the report's IRIs
    ``…/para/5`` and ``…/annex/pp/3`` name the graphs ``graph/para/5`` and ``graph/pp/3``."""
    report = BASE + "id/document/a-ac-105-1294/"
    if not paragraph_iri.startswith(report):
        return None
    tail = paragraph_iri[len(report):]
    m = re.fullmatch(r"para/(\d+)|annex/(pp|op)/(\d+)", tail)
    if not m:
        return None
    if m.group(1):
        return f"{GRAPH}para/{m.group(1)}"
    return f"{GRAPH}{m.group(2)}/{m.group(3)}"
