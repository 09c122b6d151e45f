"""A resource's facts as an entity or paragraph page shows them: grouped by the paragraph
and the sentence that state them (as the data says), the rest by property in reading order.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rdflib import RDF, Literal, URIRef
from rdflib.namespace import RDFS, SKOS

from spacekg.publish.language import natural_key, split_languages
from spacekg.publish.linkeddata import (
    Description,
    Fact,
    Labels,
    Source,
    StatedSentence,
    local_name,
    source_order,
)

#: Properties shown in the page header rather than in the table of facts.
HEADER_PROPERTIES = {str(SKOS.prefLabel), str(RDFS.label), str(SKOS.altLabel), str(RDF.type)}

@dataclass
class PropertyGroup:
    """The facts of one property, in display order."""

    predicate: str
    label: str
    facts: list[Fact] = field(default_factory=list)


def _value_key(fact: Fact, description: Description, lang: str) -> tuple[int, str]:
    value = fact.value
    if isinstance(value, Literal):
        own = 0 if (value.language or "")[:2] == lang else 1
        return (own, natural_key(str(value)))
    return (0, natural_key(description.label(str(value), lang)))


def group_facts(description: Description, facts: list[Fact], lang: str,
                *, skip: set[str] | None = None,
                inferred: bool | None = None) -> list[PropertyGroup]:
    """Facts grouped by property (readable labels), properties in label order.

    ``inferred``: True keeps only facts the build inferred, False only stated ones, None all.
    """
    groups: dict[str, PropertyGroup] = {}
    for fact in facts:
        if skip and fact.predicate in skip:
            continue
        if inferred is not None and fact.inferred_only != inferred:
            continue
        group = groups.setdefault(fact.predicate, PropertyGroup(
            fact.predicate, description.label(fact.predicate, lang)))
        group.facts.append(fact)
    for group in groups.values():
        group.facts.sort(key=lambda f: _value_key(f, description, lang))
    return sorted(groups.values(), key=lambda g: g.label.casefold())


@dataclass
class Statement:
    subject: str
    predicate: str
    value: object


def statements_by_subject(triples: list[tuple[object, object, object]], labels: dict[str, Labels],
                          lang: str) -> list[tuple[str, list[Statement]]]:
    """Triples of a paragraph graph grouped by subject (for the paragraph page)."""
    grouped: dict[str, list[Statement]] = {}
    for s, p, o in triples:
        grouped.setdefault(str(s), []).append(Statement(str(s), str(p), o))

    def name(iri: str) -> str:
        lab = labels.get(iri)
        return ((lab.best(lang) if lab else None) or local_name(iri)).casefold()

    for items in grouped.values():
        items.sort(key=lambda st: (st.predicate != str(RDF.type), name(st.predicate),
                                   str(st.value)))
    return sorted(grouped.items(), key=lambda kv: name(kv[0]))


def statement_rows(items: list[Statement], lang: str
                   ) -> list[tuple[str, list[object], list[object]]]:
    """A subject's statements as rows of (predicate, values shown, values one click away):
    one row per property, a literal in the other language set aside when ``lang`` has one."""
    by_predicate: dict[str, list[object]] = {}
    for st in items:
        by_predicate.setdefault(st.predicate, []).append(st.value)
    return [(p, *split_languages(values, lang)) for p, values in by_predicate.items()]


def linked_iris(triples: list[tuple[object, object, object]]) -> set[str]:
    out: set[str] = set()
    for s, p, o in triples:
        if isinstance(s, URIRef):
            out.add(str(s))
        out.add(str(p))
        if isinstance(o, URIRef):
            out.add(str(o))
    return out


@dataclass
class Backed:
    """Statements of a page that the same sentence(s) state, shown under them once."""

    sentences: list[StatedSentence]  # one; empty: the paragraph states them, names no sentence
    outgoing: list[Fact] = field(default_factory=list)
    incoming: list[Fact] = field(default_factory=list)


@dataclass
class ParagraphEvidence:
    """One paragraph or clause of the report and the statements of a page it holds."""

    source: Source
    groups: list[Backed] = field(default_factory=list)


def evidence_by_paragraph(description: Description, lang: str
                          ) -> tuple[list[ParagraphEvidence], list[Fact], list[Fact]]:
    """The page's stated facts grouped by the paragraph that states them and, within it, by
    the sentence(s) the data names for them (``prov:wasDerivedFrom``), so each sentence is
    shown once with every statement it backs. Returns the groups and the outgoing and
    incoming facts no paragraph states (registry, ontology), for the property lists."""
    paragraphs: dict[str, ParagraphEvidence] = {}
    groups: dict[tuple[str, tuple[str, ...]], Backed] = {}
    rest: dict[str, list[Fact]] = {"out": [], "in": []}
    for direction, facts in (("out", description.outgoing), ("in", description.incoming)):
        for fact in facts:
            if fact.inferred_only or (direction == "out" and fact.predicate in
                                      HEADER_PROPERTIES | {str(RDF.value)}):
                continue
            sources = [s for s in fact.paragraphs if s.paragraph != description.iri]
            if not sources:
                rest[direction].append(fact)
                continue
            node = description.iri if direction == "out" else str(fact.value)
            for source in sources:
                para = str(source.paragraph)
                if node == para:  # the paragraph mentions the resource: its heading says so
                    paragraphs.setdefault(para, ParagraphEvidence(source))
                    continue
                paragraphs.setdefault(para, ParagraphEvidence(source))
                # one group per sentence: a fact stated by two sentences stands under each
                for sentence in description.stating(node, para) or [None]:
                    key = (para, sentence.iri if sentence else "")
                    group = groups.get(key)
                    if group is None:
                        group = groups[key] = Backed([sentence] if sentence else [])
                        paragraphs[para].groups.append(group)
                    (group.outgoing if direction == "out" else group.incoming).append(fact)
    for evidence in paragraphs.values():
        evidence.groups.sort(key=lambda g: (not g.sentences,
                                            [s.begin for s in g.sentences]))
        for group in evidence.groups:
            for facts in (group.outgoing, group.incoming):
                facts.sort(key=lambda f: (description.label(f.predicate, lang).casefold(),
                                          _value_key(f, description, lang)))
    ordered = sorted(paragraphs.values(), key=lambda e: source_order(e.source))
    return ordered, rest["out"], rest["in"]
