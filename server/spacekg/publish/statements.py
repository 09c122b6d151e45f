"""A resource's facts as an entity or paragraph page shows them: grouped by property in
reading order, with the sentence of the source paragraph each one rests on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rdflib import RDF, Literal, URIRef
from rdflib.namespace import RDFS, SKOS

from spacekg.publish.language import natural_key, split_languages
from spacekg.publish.linkeddata import Description, Fact, Labels, local_name

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


_SENTENCE_END = re.compile(r"(?<=[。；！？])")
_SENTENCE_END_EN = re.compile(r"(?<=[.;!?])\s+(?=[A-Z(])")


def sentences(text: str, lang: str = "zh") -> list[str]:
    """The sentences of a paragraph: Chinese split after 。；！？, English after . ; ! ? and
    before a capital."""
    pattern = _SENTENCE_END_EN if lang == "en" else _SENTENCE_END
    return [s.strip() for s in pattern.split(text) if s.strip()]


def quote_for(description: Description, fact: Fact, text: str | None, lang: str = "zh") -> str:
    """The sentence of ``text`` (in ``lang``) that names the fact's value (or else the
    described resource), so the page quotes the words the fact rests on rather than the
    paragraph's opening."""
    if not text:
        return ""
    parts = sentences(text, lang)

    def names(iri: str) -> list[str]:
        found = description.labels.get(iri)
        if not found:
            return []
        return sorted({*found.pref.values(), *found.alt}, key=len, reverse=True)

    own = [str(fact.value)] if isinstance(fact.value, Literal) else []  # a claim's own text
    for needles in (own, names(str(fact.value)), names(description.iri)):
        needles = [n for n in needles if len(n) >= 2]
        for sentence in parts:
            if any(n in sentence for n in needles):
                return sentence
    return parts[0] if parts else text
