"""Synthetic SpaceKG data at a chosen scale, in the project's own ontology.

Why synthetic: the report is ~20k triples; the endpoint must be measured at 100k and 1M. The
generator writes the report itself (ontology + data files, so the competency questions keep
their answers) and then synthetic workshops shaped like the report's: agencies and other
organisations with @zh/@en labels and acronyms, countries, sessions, presentations with
presenters and topics, paragraphs with Chinese text and ``skg:mentions``, participation
statistics, programmes and missions, a SKOS topic hierarchy. Every fact sits in the named
graph of its paragraph, identities in ``graph/reference``, as in the report's data files
(docs/architecture.md, "The build").

Deterministic: the same ``--seed``, size and repository files give byte-identical output.

    python bench/generate.py --triples 100000 --out bench/data/synthetic-100k.nq
"""

from __future__ import annotations

import argparse
import random
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyoxigraph as ox

BASE = "https://w3id.org/spacekg/"
SKG = BASE + "ontology#"
ID = BASE + "id/"
GRAPH = BASE + "graph/"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDF_VALUE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#value"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
SKOS = "http://www.w3.org/2004/02/skos/core#"
DCT = "http://purl.org/dc/terms/"
XSD = "http://www.w3.org/2001/XMLSchema#"

REFERENCE = GRAPH + "reference"
SYNTHETIC_REPORT = ID + "document/synthetic"

ORG_KINDS = (
    ("SpaceAgency", "agency", "航天局", "Space Agency"),
    ("ResearchInstitute", "institute", "研究所", "Research Institute"),
    ("AcademicInstitution", "university", "大学", "University"),
    ("Company", "company", "公司", "Company"),
    ("IntergovernmentalOrganisation", "igo", "组织", "Organisation"),
)
ZH_SYLLABLES = (
    "天 星 海 南 航 宇 月 火 云 光 空 地 华 中 国 际 合 作 探 测 科 学 技 术 发 展".split()
)
EN_WORDS = (
    "Lunar Orbital Deep Space Planetary Solar Stellar Polar Pacific Andean Alpine Nordic "
    "Coastal Desert Highland Equatorial Northern Southern Eastern Western Central"
).split()
TOPIC_WORDS = (
    "exploration sustainability law capacity-building debris defence protection resources "
    "navigation communication observation education youth gender health robotics"
).split()
SENTENCE_ZH = "{org}在第{n}届研讨会上介绍了{topic}方面的合作与进展，并欢迎各国参与{mission}任务。"


class Writer:
    """Collects quads as pyoxigraph terms and counts them."""

    def __init__(self) -> None:
        self.quads: list[ox.Quad] = []

    def add(self, s: str, p: str, o: ox.NamedNode | ox.Literal | str, g: str) -> None:
        obj = ox.NamedNode(o) if isinstance(o, str) else o
        self.quads.append(ox.Quad(ox.NamedNode(s), ox.NamedNode(p), obj, ox.NamedNode(g)))

    def __len__(self) -> int:
        return len(self.quads)


def lit(value: str | int | float, *, lang: str | None = None, dt: str | None = None) -> ox.Literal:
    if lang:
        return ox.Literal(str(value), language=lang)
    if dt:
        return ox.Literal(str(value), datatype=ox.NamedNode(XSD + dt))
    if isinstance(value, bool):
        return ox.Literal("true" if value else "false", datatype=ox.NamedNode(XSD + "boolean"))
    if isinstance(value, int):
        return ox.Literal(str(value), datatype=ox.NamedNode(XSD + "integer"))
    return ox.Literal(str(value))


def report_quads(root: Path) -> Iterator[ox.Quad]:
    """The report's own ontology and data files, each in its graphs.

    Blank nodes are renamed in order of appearance: parsers draw random labels, and the
    output must not change from run to run.
    """
    names: dict[str, ox.BlankNode] = {}

    def stable(term: Any) -> Any:
        if isinstance(term, ox.BlankNode):
            if term.value not in names:
                names[term.value] = ox.BlankNode(f"b{len(names)}")
            return names[term.value]
        return term

    ontology = ox.NamedNode(GRAPH + "ontology")
    for path in sorted((root / "ontology").glob("*.ttl")):
        for t in ox.parse(path=str(path), format=ox.RdfFormat.TURTLE):
            yield ox.Quad(stable(t.subject), t.predicate, stable(t.object), ontology)
    for path in sorted((root / "data").rglob("*.trig")):
        for q in ox.parse(path=str(path), format=ox.RdfFormat.TRIG):
            yield ox.Quad(stable(q.subject), q.predicate, stable(q.object), q.graph_name)


def labels(w: Writer, iri: str, zh: str, en: str, alt: str | None = None) -> None:
    for p in (SKOS + "prefLabel", RDFS_LABEL):
        w.add(iri, p, lit(zh, lang="zh"), REFERENCE)
        w.add(iri, p, lit(en, lang="en"), REFERENCE)
    if alt:
        w.add(iri, SKOS + "altLabel", lit(alt, lang="en"), REFERENCE)


def generate(target: int, seed: int, *, root: Path | None) -> list[ox.Quad]:
    """About ``target`` quads: the report (if ``root``) plus synthetic workshops."""
    rng = random.Random(seed)
    w = Writer()
    base: list[ox.Quad] = list(report_quads(root)) if root else []
    budget = max(target - len(base), 0)

    # Fixed-size vocabulary: countries and a topic hierarchy (3 levels).
    countries = []
    for i in range(200):
        code = f"X{i // 26 % 26 + 65:c}{i % 26 + 65:c}"
        iri = f"{ID}country/syn-{code.lower()}"
        countries.append(iri)
        w.add(iri, RDF_TYPE, SKG + "Country", REFERENCE)
        labels(w, iri, f"合成国{i}", f"Synthetic Country {i}")
        w.add(iri, SKG + "iso3166Alpha3", lit(code), REFERENCE)
        w.add(iri, SKG + "unM49", lit(f"{900 + i % 100:03d}"), REFERENCE)
    topics = []
    scheme = ID + "topic/scheme"
    for i in range(120):
        iri = f"{ID}topic/syn-{i}"
        topics.append(iri)
        w.add(iri, RDF_TYPE, SKG + "Topic", REFERENCE)
        w.add(iri, SKOS + "inScheme", scheme, REFERENCE)
        word = TOPIC_WORDS[i % len(TOPIC_WORDS)]
        labels(w, iri, f"主题{i}", f"{word} {i}")
        if i >= 8:  # 8 roots, then a tree: each topic under one of the earlier ones
            w.add(iri, SKOS + "broader", topics[(i - 8) // 4], REFERENCE)

    # Organisations: about 1 per 60 quads of budget.
    n_orgs = max(20, budget // 60)
    orgs = []
    for i in range(n_orgs):
        cls, kind, zh_kind, en_kind = ORG_KINDS[i % len(ORG_KINDS)]
        iri = f"{ID}{kind}/syn-{i}"
        orgs.append(iri)
        w.add(iri, RDF_TYPE, SKG + cls, REFERENCE)
        name_en = f"{rng.choice(EN_WORDS)} {rng.choice(EN_WORDS)} {en_kind} {i}"
        name_zh = "".join(rng.choice(ZH_SYLLABLES) for _ in range(3)) + zh_kind + str(i)
        acronym = "".join(word[0] for word in name_en.split()[:3]) + str(i)
        labels(w, iri, name_zh, name_en, acronym)
        w.add(iri, SKG + "country", rng.choice(countries), REFERENCE)

    # Programmes and missions.
    bodies = [ID + "celestial-body/moon", ID + "celestial-body/mars"]
    for b, (zh, en) in zip(bodies, (("月球", "Moon"), ("火星", "Mars")), strict=True):
        w.add(b, RDF_TYPE, SKG + "CelestialBody", REFERENCE)
        labels(w, b, zh, en)
    missions = []
    for i in range(max(5, n_orgs // 10)):
        prog = f"{ID}programme/syn-{i}"
        w.add(prog, RDF_TYPE, SKG + "Programme", REFERENCE)
        labels(w, prog, f"合成计划{i}", f"Synthetic Programme {i}")
        for k in range(3):
            mission = f"{ID}mission/syn-{i}-{k}"
            missions.append(mission)
            w.add(mission, RDF_TYPE, SKG + "Mission", REFERENCE)
            labels(w, mission, f"合成任务{i}-{k}", f"Synthetic Mission {i}-{k}")
            w.add(prog, SKG + "hasMission", mission, REFERENCE)
            w.add(mission, SKG + "target", rng.choice(bodies), REFERENCE)
            w.add(mission, SKG + "operatedBy", rng.choice(orgs), REFERENCE)
            w.add(
                mission, SKG + "plannedLaunchYear", lit(2025 + (i + k) % 12, dt="gYear"), REFERENCE
            )

    # Workshops until the budget is spent: sessions, presentations, paragraphs, statistics.
    workshop_no = 0
    para_no = 0
    while len(w) < budget:
        workshop_no += 1
        ws = f"{ID}event/syn-workshop-{workshop_no}"
        para_no += 1
        para = f"{SYNTHETIC_REPORT}-{workshop_no}/para/{para_no}"
        graph = f"{GRAPH}syn/{workshop_no}/para/{para_no}"
        w.add(ws, RDF_TYPE, SKG + "Workshop", REFERENCE)
        labels(w, ws, f"第{workshop_no}届合成研讨会", f"Synthetic Workshop {workshop_no}")
        year = 2000 + workshop_no % 25
        w.add(ws, SKG + "startDate", lit(f"{year}-11-{1 + workshop_no % 20:02d}", dt="date"), graph)
        w.add(ws, SKG + "endDate", lit(f"{year}-11-{4 + workshop_no % 20:02d}", dt="date"), graph)
        w.add(ws, SKG + "organiser", rng.choice(orgs), graph)
        w.add(ws, SKG + "editionNumber", lit(workshop_no), graph)
        stat = f"{ID}statistic/syn-{workshop_no}"
        w.add(stat, RDF_TYPE, SKG + "ParticipationStatistic", graph)
        w.add(stat, SKG + "ofEvent", ws, graph)
        w.add(stat, SKG + "population", lit("registered participants", lang="en"), graph)
        w.add(stat, SKG + "count", lit(rng.randint(50, 900)), graph)
        w.add(
            stat,
            SKG + "countQualifier",
            SKG + ("LowerBound" if workshop_no % 3 else "Exact"),
            graph,
        )
        w.add(stat, SKG + "statedPercentage", lit(f"{rng.randint(10, 90)}", dt="decimal"), graph)
        w.add(stat, SKG + "sourceParagraph", para, graph)
        paragraph(w, para, graph, workshop_no, para_no, [ws], rng)
        for s in range(1, 6):
            session = f"{ID}event/syn-workshop-{workshop_no}/session-{s}"
            para_no += 1
            para = f"{SYNTHETIC_REPORT}-{workshop_no}/para/{para_no}"
            graph = f"{GRAPH}syn/{workshop_no}/para/{para_no}"
            w.add(session, RDF_TYPE, SKG + "Session", REFERENCE)
            labels(w, session, f"第{s}场会议", f"Session {s} of workshop {workshop_no}")
            w.add(ws, SKG + "hasSession", session, graph)
            w.add(session, SKG + "sessionOf", ws, graph)
            mentioned = [session]
            for k in range(rng.randint(4, 9)):
                pres = f"{session}/presentation-{k}"
                org = rng.choice(orgs)
                topic = rng.choice(topics)
                mentioned.append(org)
                w.add(pres, RDF_TYPE, SKG + "Presentation", graph)
                w.add(pres, RDFS_LABEL, lit(f"Presentation {k} in session {s}", lang="en"), graph)
                w.add(session, SKG + "hasPresentation", pres, graph)
                w.add(pres, SKG + "presentedIn", session, graph)
                w.add(pres, SKG + "presenter", org, graph)
                w.add(pres, SKG + "topic", topic, graph)
                if k % 3 == 0:
                    w.add(pres, SKG + "presentationSubject", rng.choice(missions), graph)
                w.add(pres, SKG + "sourceParagraph", para, graph)
            paragraph(w, para, graph, workshop_no, para_no, mentioned, rng)
    return base + w.quads


def paragraph(
    w: Writer, para: str, graph: str, workshop: int, n: int, mentions: list[str], rng: random.Random
) -> None:
    w.add(para, RDF_TYPE, SKG + "Paragraph", graph)
    w.add(para, SKG + "paragraphNumber", lit(n), graph)
    w.add(para, SKG + "position", lit(n), graph)
    w.add(para, DCT + "isPartOf", f"{SYNTHETIC_REPORT}-{workshop}", graph)
    text = SENTENCE_ZH.format(
        org="".join(rng.choice(ZH_SYLLABLES) for _ in range(4)),
        n=workshop,
        topic=rng.choice(TOPIC_WORDS),
        mission=f"合成任务{rng.randint(0, 20)}",
    )
    w.add(para, RDF_VALUE, lit(text, lang="zh"), graph)
    for m in mentions:
        w.add(para, SKG + "mentions", m, graph)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--triples", type=int, required=True, help="about this many quads")
    parser.add_argument("--seed", type=int, default=1294)
    parser.add_argument("--out", type=Path, required=True, help="N-Quads file to write")
    parser.add_argument("--no-report", action="store_true", help="synthetic data only")
    args = parser.parse_args(argv)
    root = None if args.no_report else Path(__file__).resolve().parents[1]
    quads = generate(args.triples, args.seed, root=root)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    ox.serialize(quads, output=str(args.out), format=ox.RdfFormat.N_QUADS)
    print(f"{len(quads)} quads -> {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
