"""What the HTML pages show, computed without Flask: the reader's language, figures for the
home page, the competency questions as examples, and a description's facts grouped by
property in reading order.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import RDF, Literal, URIRef
from rdflib.namespace import RDFS, SKOS

from spacekg import resources
from spacekg.namespaces import BASE, GRAPH, REPORT
from spacekg.publish.linkeddata import Description, Fact, Labels, labels_of, local_name, select
from spacekg.stores import Store

LANGUAGES = ("en", "zh")

#: Properties shown in the page header rather than in the table of facts.
HEADER_PROPERTIES = {str(SKOS.prefLabel), str(RDFS.label), str(SKOS.altLabel), str(RDF.type)}


def choose_language(explicit: str | None, cookie: str | None, accept_language: str | None) -> str:
    """``en`` or ``zh``: an explicit choice (``?lang=``), else the cookie, else the best of
    Accept-Language (q-values honoured; ``zh-CN``, ``zh-Hans`` count as zh), else English."""
    for value in (explicit, cookie):
        if value and value.lower()[:2] in LANGUAGES:
            return value.lower()[:2]
    best, best_q = "en", 0.0
    for order, item in enumerate((accept_language or "").split(",")):
        tag, _, params = item.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        code = tag.strip().lower()[:2]
        if code in LANGUAGES and q - order * 1e-6 > best_q:
            best, best_q = code, q - order * 1e-6
    return best


def page_path(iri: str) -> str | None:
    """Path on this server where ``iri`` is shown (IRIs under the base), else None."""
    if iri.startswith(BASE + "ontology#"):
        return "/ontology#" + iri.split("#", 1)[1]
    if iri.startswith(BASE):
        return "/" + iri[len(BASE):]
    return None


#: Schemes an IRI may have to become a link on a page; ``javascript:``, ``data:`` and the
#: like are shown as text, never made clickable.
LINK_SCHEMES = ("http://", "https://", "mailto:")


def href_for(iri: str) -> str | None:
    """Where a link to ``iri`` points: its page here, the IRI itself when it is a web or
    mail address, else None (the IRI is shown as text)."""
    path = page_path(iri)
    if path is not None:
        return path
    return iri if iri.lower().startswith(LINK_SCHEMES) else None


# --------------------------------------------------------------------------- home page

@dataclass(frozen=True)
class GraphFigure:
    name: str
    iri: str
    triples: int
    graphs: int = 1


_GRAPH_GROUP_NAMES = {
    "en": {"para": "report paragraphs (graph/para/N)", "pp": "preambular clauses (graph/pp/N)",
           "op": "operative clauses (graph/op/N)"},
    "zh": {"para": "报告段落（graph/para/N）", "pp": "序言部分条款（graph/pp/N）",
           "op": "执行部分条款（graph/op/N）", "inferred": "推理得出（inferred）",
           "ontology": "本体（ontology）", "reference": "实体登记（reference）",
           "header": "报告标题页（header）"},
}


_DOWNLOAD_TITLES_ZH = [
    (r"^All named graphs \((.*)\)$", r"全部命名图（\1）"),
    (r"^Union of all graphs \((.*)\)$", r"所有图的并集（\1）"),
    (r"^Entity graph, (\d+) nodes, (\d+) edges \((GraphML)\)$",
     r"实体图，\1 个节点，\2 条边（\3）"),
    (r"^Entity graph, (\d+) nodes, (\d+) edges \(GEXF, for Gephi\)$",
     r"实体图，\1 个节点，\2 条边（GEXF，供 Gephi 使用）"),
    (r"^Table: (.*) \(CSV\)$", r"表格：\1（CSV）"),
    (r"^JSON-LD context$", "JSON-LD 上下文"),
]


def localise_download_title(title: str, lang: str) -> str:
    """A download's description in the reader's language (the listing stores English)."""
    if lang == "zh":
        for pattern, replacement in _DOWNLOAD_TITLES_ZH:
            if re.match(pattern, title):
                return re.sub(pattern, replacement, title)
    return title


def localise_source(text: str, lang: str) -> str:
    """A competency question's sources ("header, para 1, annex P2") in the reader's language."""
    if lang != "zh":
        return text
    text = re.sub(r"\bpara (\d+)", r"第 \1 段", text)
    text = re.sub(r"\bannex\b", "附件", text)
    return text.replace("header", "报告标题页").replace(", ", "，")


def graph_figures(store: Store, lang: str = "en") -> list[GraphFigure]:
    """Triples per graph, the report's paragraph graphs summed as one row each kind (named
    in ``lang``)."""
    groups: dict[str, list[tuple[str, int]]] = {}
    for iri in store.graph_names():
        tail = iri[len(str(GRAPH)):] if iri.startswith(str(GRAPH)) else iri
        kind = tail.split("/")[0] if "/" in tail else tail
        groups.setdefault(kind, []).append((iri, store.triple_count(iri)))
    names = _GRAPH_GROUP_NAMES["zh" if lang == "zh" else "en"]
    figures = []
    for kind, items in groups.items():
        if len(items) == 1 and kind not in ("para", "pp", "op"):
            figures.append(GraphFigure(names.get(kind, kind), items[0][0], items[0][1]))
        else:
            figures.append(GraphFigure(names.get(kind, kind), items[0][0],
                                       sum(n for _, n in items), len(items)))
    return sorted(figures, key=lambda f: -f.triples)


@dataclass(frozen=True)
class ClassFigure:
    iri: str
    label: str
    count: int


def class_figures(store: Store, lang: str) -> list[ClassFigure]:
    """Entities per asserted class, with the class labels in ``lang``."""
    rows = select(store, "ld-class-counts")
    labels = labels_of(store, [str(r["class"]) for r in rows])
    figures = []
    for row in rows:
        iri = str(row["class"])
        lab = labels.get(iri)
        figures.append(ClassFigure(iri, (lab.best(lang) if lab else None) or local_name(iri),
                                   int(row["n"])))
    return figures


@dataclass(frozen=True)
class Example:
    """A competency question: its number, title, question in both languages, the query."""

    slug: str
    title: str
    question_en: str
    question_zh: str
    source: str
    query: str


def competency_questions(paths: Iterable[Path] | None = None) -> list[Example]:
    """The competency questions shipped in ``queries/*.rq`` with their header comments."""
    examples = []
    for path in paths if paths is not None else resources.query_files():
        text = path.read_text(encoding="utf-8")
        header: dict[str, str] = {}
        for line in text.splitlines():
            m = re.match(r"#\s*([a-z-]+):\s*(.*)", line)
            if m and m.group(1) not in header:
                header[m.group(1)] = m.group(2).strip()
        body = "\n".join(line for line in text.splitlines() if not line.startswith("#")).strip()
        examples.append(Example(path.stem, header.get("title", path.stem),
                                header.get("question-en", ""), header.get("question-zh", ""),
                                header.get("source", ""), body))
    return examples


# --------------------------------------------------------------------------- entity page

@dataclass
class PropertyGroup:
    """The facts of one property, in display order."""

    predicate: str
    label: str
    facts: list[Fact] = field(default_factory=list)


_CJK_DIGITS = {c: i for i, c in enumerate("零一二三四五六七八九")}
#: A numeral with 十 (十, 十二, 二十三), or digits before 号/期/场 (七号, 四期, 二场).
_CJK_NUMERAL = re.compile(
    r"[零一二三四五六七八九]?十[一二三四五六七八九]?|[零一二三四五六七八九]+(?=[号期场])")


def _cjk_number(numeral: str) -> str:
    """一 → 1, 十二 → 12, 二十三 → 23: the mission and session numbers the report writes."""
    tens, _, units = numeral.rpartition("十")
    if "十" not in numeral:
        return "".join(str(_CJK_DIGITS[c]) for c in numeral)
    value = (_CJK_DIGITS.get(tens, 1) if tens else 1) * 10 + (_CJK_DIGITS.get(units, 0))
    return str(value)


def natural_key(text: str) -> str:
    """Sort key that orders numbers by value, Arabic or Chinese: Paragraph 7 before
    Paragraph 36, 阿尔忒弥斯二号 before 阿尔忒弥斯三号."""
    text = re.sub(_CJK_NUMERAL, lambda m: _cjk_number(m.group(0)), text.casefold())
    return re.sub(r"\d+", lambda m: m.group(0).zfill(8), text)


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


# --------------------------------------------------------------------------- ontology docs

@dataclass
class Term:
    """One ontology term as the documentation shows it."""

    iri: str
    kind: str  # Class | ObjectProperty | DatatypeProperty | AnnotationProperty | Individual
    labels: dict[str, str]
    definitions: dict[str, str]
    parents: list[str] = field(default_factory=list)
    domain: list[str] = field(default_factory=list)
    range: list[str] = field(default_factory=list)
    inverse: list[str] = field(default_factory=list)
    types: list[str] = field(default_factory=list)

    @property
    def fragment(self) -> str:
        return local_name(self.iri)


def ontology_terms(graph: object, namespace: str) -> dict[str, list[Term]]:
    """Terms of ``namespace`` in an rdflib graph of the ontology, by kind, sorted by name."""
    from rdflib import OWL, Graph

    assert isinstance(graph, Graph)
    kinds = [(OWL.Class, "Class"), (OWL.ObjectProperty, "ObjectProperty"),
             (OWL.DatatypeProperty, "DatatypeProperty"),
             (OWL.AnnotationProperty, "AnnotationProperty"),
             (OWL.NamedIndividual, "Individual")]
    out: dict[str, list[Term]] = {name: [] for _, name in kinds}
    seen: set[str] = set()
    for cls, name in kinds:
        for subject in sorted(set(graph.subjects(RDF.type, cls)), key=str):
            iri = str(subject)
            if not iri.startswith(namespace) or iri in seen:
                continue
            seen.add(iri)
            labels: dict[str, str] = {}
            for p in (SKOS.prefLabel, RDFS.label):
                for lit in graph.objects(subject, p):
                    if isinstance(lit, Literal):
                        labels.setdefault((lit.language or "en")[:2], str(lit))
            definitions: dict[str, str] = {}
            for p in (SKOS.definition, RDFS.comment):
                for lit in graph.objects(subject, p):
                    if isinstance(lit, Literal):
                        definitions.setdefault((lit.language or "en")[:2], str(lit))

            def iris(p: URIRef, s: URIRef = subject) -> list[str]:  # type: ignore[assignment]
                return sorted(str(o) for o in graph.objects(s, p) if isinstance(o, URIRef))

            parents = iris(RDFS.subClassOf) + iris(RDFS.subPropertyOf)
            out[name].append(Term(
                iri, name, labels, definitions, parents, iris(RDFS.domain), iris(RDFS.range),
                iris(OWL.inverseOf),
                [t for t in iris(RDF.type) if t != str(OWL.NamedIndividual)],
            ))
    return out


# --------------------------------------------------------------------------- reading order

#: The report's parts in reading order: paragraphs 1-46, then the annex's clauses P1-P11, O1-O7.
_REPORT_PARTS = ([f"para/{n}" for n in range(1, 47)] + [f"annex/pp/{n}" for n in range(1, 12)]
                 + [f"annex/op/{n}" for n in range(1, 8)])


def report_neighbours(iri: str) -> tuple[str | None, str | None]:
    """The paragraphs or clauses before and after ``iri`` in the report (None at either end,
    or for anything that is not a part of the report), so a reader can page through it."""
    prefix = str(REPORT) + "/"
    tail = iri[len(prefix):] if iri.startswith(prefix) else None
    if tail not in _REPORT_PARTS:
        return None, None
    i = _REPORT_PARTS.index(tail)
    before = prefix + _REPORT_PARTS[i - 1] if i > 0 else None
    after = prefix + _REPORT_PARTS[i + 1] if i + 1 < len(_REPORT_PARTS) else None
    return before, after


# --------------------------------------------------------------------------- languages

def split_languages(values: Iterable[object], lang: str) -> tuple[list[object], list[object]]:
    """Values to show in a ``lang`` page and those one click away: a literal in the other
    language moves aside when the same list has one in ``lang`` (its translation or original);
    IRIs, untagged literals and lone texts stay shown."""
    items = list(values)

    def tag(v: object) -> str:
        value = v if isinstance(v, Literal) else getattr(v, "value", v)
        return ((value.language or "")[:2] if isinstance(value, Literal) else "")

    if not any(tag(v) == lang for v in items):
        return items, []
    shown = [v for v in items if tag(v) in ("", lang)]
    aside = [v for v in items if tag(v) not in ("", lang)]
    return shown, aside


# --------------------------------------------------------------------------- quoting

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


# --------------------------------------------------------------------------- world map

#: The roles a country can have on the map, most specific first (its colour is the first).
#: A country is coloured by its first role here: the most specific thing the report says of it
#: (every payload provider and observation host is also a partner, so those come first).
MAP_ROLES = ("payload", "observation", "partner", "presenter", "represented")


@dataclass
class MapCountry:
    """A country drawn on the world map: where its page is, its M49 code, its roles."""

    iri: str
    path: str
    m49: str
    label: str
    roles: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, object]:
        return {"iri": self.iri, "path": self.path, "m49": self.m49, "label": self.label,
                "roles": self.roles}


@dataclass
class WorldMap:
    """What the map template needs: the countries as JSON for map.js, countries per role."""

    countries: list[MapCountry]

    @property
    def data(self) -> list[dict[str, object]]:
        return [c.as_json() for c in self.countries]

    @property
    def counts(self) -> dict[str, int]:
        return {role: sum(role in c.roles for c in self.countries) for role in MAP_ROLES}


def world_map(store: Store, lang: str) -> WorldMap:
    """The world map's countries in ``lang``."""
    return WorldMap(map_countries(store, lang))


def map_countries(store: Store, lang: str) -> list[MapCountry]:
    """Countries with their stated roles (``map-countries.rq``), labels in ``lang``."""
    found: dict[str, MapCountry] = {}
    for row in select(store, "map-countries"):
        iri = str(row["country"])
        country = found.get(iri)
        if country is None:
            country = found[iri] = MapCountry(iri, page_path(iri) or iri, str(row["m49"]), "")
        if str(row["role"]) not in country.roles:
            country.roles.append(str(row["role"]))
    labels = labels_of(store, list(found))
    for iri, country in found.items():
        lab = labels.get(iri)
        country.label = (lab.best(lang) if lab else None) or local_name(iri)
        country.roles.sort(key=MAP_ROLES.index)
    return sorted(found.values(), key=lambda c: natural_key(c.label))


# --------------------------------------------------------------------------- participation charts

#: Statistic kinds that count people (one chart); the others count countries or agencies.
PEOPLE_KINDS = {"RegisteredParticipants", "WomenParticipants", "OnlineParticipants",
                "OnsiteParticipants", "Speakers", "WomenSpeakers"}


@dataclass
class Figure:
    """One participation figure as the report states it: a count (maybe a lower bound) and/or
    a percentage, the paragraph that states it. ``width`` is only the bar's drawn length."""

    stat: str
    kind: str
    population: str
    paragraph: str
    number: int
    count: int | None = None
    lower_bound: bool = False
    percent: int | None = None
    width: float = 0.0


def participation_figures(store: Store, event: str, lang: str) -> dict[str, list[Figure]]:
    """The event's figures in two charts, ``people`` and ``other``, in paragraph order; bars
    are scaled to the largest count of their chart (a percentage-only figure to 100)."""
    found: dict[str, Figure] = {}
    populations: dict[str, dict[str, str]] = {}
    for row in select(store, "participation-figures", event=[event]):
        stat = str(row["stat"])
        pop = row["population"]
        populations.setdefault(stat, {})[getattr(pop, "language", None) or ""] = str(pop)
        if stat in found:
            continue
        qualifier = str(row.get("qualifier", ""))
        found[stat] = Figure(
            stat, local_name(str(row["kind"])), "", page_path(str(row["paragraph"])) or "",
            int(row["number"]),
            int(row["count"]) if "count" in row else None,
            qualifier.endswith("LowerBound"),
            int(row["percent"]) if "percent" in row else None)
    charts: dict[str, list[Figure]] = {"people": [], "other": []}
    for stat, figure in found.items():
        texts = populations[stat]
        figure.population = texts.get(lang) or texts.get("en") or next(iter(texts.values()))
        charts["people" if figure.kind in PEOPLE_KINDS else "other"].append(figure)
    for figures in charts.values():
        top = max((f.count for f in figures if f.count is not None), default=0)
        for f in figures:
            if f.count is not None and top:
                f.width = 100.0 * f.count / top
            elif f.percent is not None:
                f.width = float(f.percent)
    return charts


# --------------------------------------------------------------------------- programme

@dataclass
class Presentation:
    """A presentation: what the report summarises, who gave it, from where, which paragraph."""

    iri: str
    number: int
    presenters: list[str] = field(default_factory=list)
    countries: list[str] = field(default_factory=list)


@dataclass
class Session:
    """A session in the report's order, its parts and its presentations."""

    iri: str
    first: int
    parent: str | None = None
    presentations: list[Presentation] = field(default_factory=list)
    parts: list[Session] = field(default_factory=list)


def programme(store: Store) -> tuple[list[Session], dict[str, Labels]]:
    """The sessions (parts nested under their session) and the labels of everything named."""
    sessions: dict[str, Session] = {}
    talks: dict[tuple[str, str], Presentation] = {}
    for row in select(store, "programme"):
        iri = str(row["session"])
        session = sessions.get(iri)
        if session is None:
            session = sessions[iri] = Session(iri, int(row["first"]),
                                              str(row["parent"]) if "parent" in row else None)
        if "presentation" not in row:
            continue
        key = (iri, str(row["presentation"]))
        talk = talks.get(key)
        if talk is None:
            talk = talks[key] = Presentation(key[1], int(row["number"]))
            session.presentations.append(talk)
        for attr, var in (("presenters", "presenter"), ("countries", "country")):
            value = str(row[var]) if var in row else None
            if value and value not in getattr(talk, attr):
                getattr(talk, attr).append(value)
    top = []
    for session in sessions.values():
        parent = sessions.get(session.parent) if session.parent else None
        (parent.parts if parent else top).append(session)
    named = set(sessions) | {t.iri for t in talks.values()}
    for t in talks.values():
        named.update(t.presenters, t.countries)
    return top, labels_of(store, named)
