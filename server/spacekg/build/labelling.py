"""Labels for the report's n-ary nodes (claims, presentations, paragraphs, clauses,
statistics, capacities…), made by rule from what the data states about them.

Named entities carry hand-written names; the nodes that stand for a statement of the report
had none, so SPARQL results, CSVs, GraphML and the explorer showed IRI tails. These rules
give each one a short ``skos:prefLabel`` in Chinese and English ("CNES: this decade marks a
turning point…", "¶19 — Session 1(a): …"). ``scripts/label-resources`` writes them into the
data files, where the shapes check them; nothing here changes a file. No Flask here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from rdflib import RDF, Dataset, Literal, URIRef
from rdflib.namespace import RDFS, SKOS

from spacekg.namespaces import SKG

_EN_LIMIT = 72
_ZH_LIMIT = 32


@dataclass(frozen=True)
class Label:
    """A resource's generated names, one per language."""

    zh: str
    en: str


def shorten(text: str, limit: int) -> str:
    """``text`` on one line, cut at a word (English) or character (Chinese) with an ellipsis."""
    text = " ".join(str(text).split()).rstrip("。；，;,. ")
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut and not re.search(r"[\u3400-\u9fff]", text):  # English: cut at a word
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip("，,;； ") + "…"


class _View:
    """Read access to the union of the data graphs, by language."""

    def __init__(self, ds: Dataset) -> None:
        self.ds = ds

    def objects(self, s: URIRef, p: URIRef) -> list:  # noqa: ANN401
        return sorted({o for _, _, o, _ in self.ds.quads((s, p, None, None))}, key=str)

    def one(self, s: URIRef, p: URIRef) -> object | None:
        found = self.objects(s, p)
        return found[0] if found else None

    def text(self, s: URIRef, p: URIRef, lang: str) -> str | None:
        """The shortest ``lang`` literal of ``s p``: with several (a presentation's
        summaries), the shortest is the plainest statement, and the choice is stable."""
        found = [o for o in self.objects(s, p)
                 if isinstance(o, Literal) and (o.language or "")[:2] == lang]
        return str(min(found, key=len)) if found else None

    def name(self, s: object, lang: str) -> str:
        """Short name of an entity: an acronym or the report's short form when there is one."""
        if not isinstance(s, URIRef):
            return str(s)
        pref = self.text(s, SKOS.prefLabel, lang) or self.text(s, RDFS.label, lang)
        alts = [str(o) for o in self.objects(s, SKOS.altLabel) if isinstance(o, Literal)]
        if lang == "en":
            short = [a for a in alts if a.isascii() and re.fullmatch(r"[A-Z][A-Za-z0-9-]{1,9}", a)]
        else:
            short = [a for a in alts if not a.isascii() and len(a) >= 2]
        if short:
            return min(short, key=len)
        if pref:
            return pref
        return str(s).rsplit("/", 1)[-1]

    def short(self, s: object, lang: str) -> str:
        """The shortest ``lang`` alternative label (Session 1(a)), else the name."""
        alts = [str(o) for o in self.objects(s, SKOS.altLabel)  # type: ignore[arg-type]
                if isinstance(o, Literal) and (o.language or "")[:2] == lang]
        return min(alts, key=len) if alts else self.name(s, lang)

    def types(self, s: URIRef) -> set[URIRef]:
        return {o for o in self.objects(s, RDF.type) if isinstance(o, URIRef)}


def _paragraph_number(iri: str) -> str:
    tail = iri.rstrip("/").split("/")
    if len(tail) >= 2 and tail[-2] in ("pp", "op"):
        return ("P" if tail[-2] == "pp" else "O") + tail[-1]
    return tail[-1]


def _strip_number(heading: str) -> str:
    """"B. Session 1(a): …" → "Session 1(a): …"; "四. 日程安排" → "日程安排"."""
    return re.sub(r"^\s*[A-Z0-9一二三四五六七八九十]+\.\s*", "", heading)


def _paragraph(v: _View, s: URIRef) -> Label:
    n = _paragraph_number(str(s))
    heading = {lang: v.text(s, SKG.subsection, lang) or v.text(s, SKG.section, lang)
               for lang in ("zh", "en")}
    en = f"¶{n}" + (f" — {shorten(_strip_number(heading['en']), _EN_LIMIT)}"
                    if heading["en"] else "")
    zh = f"第 {n} 段" + (f"——{shorten(_strip_number(heading['zh']), _ZH_LIMIT)}"
                        if heading["zh"] else "")
    return Label(zh, en)


def _clause(v: _View, s: URIRef) -> Label:
    n = _paragraph_number(str(s))
    text = {lang: v.text(s, RDF.value, lang) or "" for lang in ("zh", "en")}
    return Label(f"附件 {n}——{shorten(text['zh'], _ZH_LIMIT)}",
                 f"Annex {n} — {shorten(text['en'], _EN_LIMIT)}")


def _said(v: _View, s: URIRef, who: URIRef, what: URIRef) -> Label | None:
    """"Agent: text"; None when ``what`` has several values, since nothing pairs a Chinese
    value with its English one and the two labels must say the same thing."""
    if any(len([o for o in v.objects(s, what) if isinstance(o, Literal)
                and (o.language or "")[:2] == lang]) > 1 for lang in ("zh", "en")):
        return None
    agents = v.objects(s, who)  # a joint claim names all its speakers
    out = {}
    for lang, limit, colon in (("zh", _ZH_LIMIT, "："), ("en", _EN_LIMIT, ": ")):
        text = v.text(s, what, lang) or ""
        names = [v.name(a, lang) for a in agents]
        head = "、".join(names) if lang == "zh" else " and ".join(
            [", ".join(names[:-1]), names[-1]] if len(names) > 2 else names)
        out[lang] = (f"{head}{colon}" if head else "") + shorten(text, limit)
    return Label(out["zh"], out["en"])


def _claim(v: _View, s: URIRef) -> Label:
    said = _said(v, s, SKG.claimant, SKG.claimText)
    if said is None:
        raise ValueError(f"{s}: a claim with several texts needs a hand-written label")
    return said


def _presentation(v: _View, s: URIRef) -> Label:
    """"CNES: presented its views…" from its one summary; with none or several, the
    session and the presenter ("Session 1(a): NASA")."""
    who = SKG.presenter if v.one(s, SKG.presenter) is not None else SKG.presenterPost
    said = _said(v, s, who, SKG.summary) if v.one(s, SKG.summary) is not None else None
    if said is not None:
        return said
    agents, session = v.objects(s, who), v.one(s, SKG.presentedIn)
    out = {}
    for lang in ("zh", "en"):
        where = v.short(session, lang) if session is not None else ""
        head = ("、" if lang == "zh" else " and ").join(v.name(a, lang) for a in agents)
        out[lang] = (f"{where}：{head}" if lang == "zh" else f"{where}: {head}").strip("：: ")
    return Label(out["zh"], out["en"])


def _statistic(v: _View, s: URIRef) -> Label:
    kind = v.one(s, SKG.statisticKind)
    count = v.one(s, SKG["count"])  # SKG.count is str.count
    percent = v.one(s, SKG.statedPercentage)
    lower = v.one(s, SKG.countQualifier) == SKG.LowerBound
    out = {}
    for lang in ("zh", "en"):
        what = v.name(kind, lang) if kind is not None else ""
        if lang == "en":
            what = what[:1].upper() + what[1:]
        figure = ("" if count is None else
                  (("超过 " if lang == "zh" else "more than ") if lower else "") + str(count))
        if percent is not None:
            figure += (" " if figure else "") + (f"({percent}%)" if figure else f"{percent}%")
        out[lang] = f"{what}{'：' if lang == 'zh' else ': '}{figure}".strip()
    return Label(out["zh"], out["en"])


def _stated_count(v: _View, s: URIRef) -> Label:
    """What is counted, of what, and the number: "外层空间活动长期可持续性准则——准则：21"."""
    of, count = v.one(s, SKG.countOf), v.one(s, SKG["count"])
    zh = f"{v.name(of, 'zh')}——{v.text(s, SKG.population, 'zh') or ''}：{count}"
    en = f"{v.name(of, 'en')} — {v.text(s, SKG.population, 'en') or ''}: {count}"
    return Label(zh, en)


def _objective(v: _View, s: URIRef) -> Label:
    letter = v.one(s, SKG.ordinal)
    mark = f" ({letter})" if letter else ""
    return Label(f"目标{mark}：{shorten(v.text(s, SKG.text, 'zh') or '', _ZH_LIMIT)}",
                 f"Objective{mark}: {shorten(v.text(s, SKG.text, 'en') or '', _EN_LIMIT)}")


def _core_value(v: _View, s: URIRef) -> Label:
    pos = v.one(s, SKG.position) or ""
    return Label(f"核心价值 {pos}：{v.text(s, SKG.text, 'zh') or ''}",
                 f"Core value {pos}: {v.text(s, SKG.text, 'en') or ''}")


def _selection(v: _View, s: URIRef) -> Label:
    mission, payload = v.one(s, SKG.forMission), v.one(s, SKG.selectedPayload)
    return Label(f"入选{v.name(mission, 'zh')}：{v.name(payload, 'zh')}",
                 f"Selected for {v.name(mission, 'en')}: {v.name(payload, 'en')}")


_UNITS = {"KiloGM": ("公斤", "kg"), "CentiM": ("厘米", "cm")}


def _quantity_text(v: _View, q: object) -> tuple[str, str]:
    if not isinstance(q, URIRef):
        return "", ""
    value = v.one(q, SKG.numericValue)
    unit = v.one(q, SKG.unit)
    zh_unit, en_unit = _UNITS.get(str(unit).rsplit("/", 1)[-1], ("", str(unit).rsplit("/")[-1]))
    return f"{value} {zh_unit}".strip(), f"{value} {en_unit}".strip()


def _quantity(v: _View, s: URIRef) -> Label:
    zh, en = _quantity_text(v, s)
    return Label(zh, en)


def _capacity(v: _View, s: URIRef) -> Label:
    system = v.one(s, SKG.onSystem)
    of = system if system is not None else v.one(s, SKG.forMission)
    zh, en = _quantity_text(v, v.one(s, SKG.mass))
    article = "the " if system is not None else ""  # the Chang'e-7 orbiter; Chang'e-7
    return Label(f"{v.name(of, 'zh')}的有效载荷能力" + (f"：{zh}" if zh else ""),
                 f"Payload capacity of {article}{v.name(of, 'en')}" + (f": {en}" if en else ""))


def _citation(v: _View, s: URIRef) -> Label:
    citing = v.one(s, SKG.citingParagraph) or v.one(s, SKG.sourceParagraph)
    doc = v.one(s, SKG.citedDocument)
    symbol = (v.one(doc, SKG.documentSymbol) if isinstance(doc, URIRef) else None)
    para = v.one(s, SKG.citedParagraphNumber)
    n = _paragraph_number(str(citing)) if citing is not None else "?"
    zh_doc = str(symbol) if symbol else v.name(doc, "zh")
    en_doc = str(symbol) if symbol else v.name(doc, "en")
    return Label(f"第 {n} 段引用 {zh_doc}" + (f"，第 {para} 段" if para else ""),
                 f"¶{n} cites {en_doc}" + (f", para. {para}" if para else ""))


def _partnership(v: _View, s: URIRef) -> Label:
    """Partners in the order coordinator, contributors, joint partners, hosts, regions; the most
    specific subject (a payload rather than the mission carrying it; the topic when the subject
    is a partner itself) after the colon."""
    roles = (SKG.coordinatingPartner, SKG.contributingPartner, SKG.jointPartner, SKG.partner,
             SKG.hostPartner, SKG.partnerRegion)
    partners = list(dict.fromkeys(p for role in roles for p in v.objects(s, role)))
    subjects = [o for o in v.objects(s, SKG.partnershipSubject) if o not in partners]
    subjects = subjects or v.objects(s, SKG.topic) or v.objects(s, SKG.partnershipSubject)
    subject = max(subjects, key=lambda o: len(v.name(o, "en"))) if subjects else None
    zh = "、".join(v.name(p, "zh") for p in partners) + "伙伴关系"
    en = " – ".join(v.name(p, "en") for p in partners) + " partnership"
    if subject is not None:
        zh += f"：{v.name(subject, 'zh')}"
        en += f": {v.name(subject, 'en')}"
    return Label(zh, en)


#: Most specific classes first: a Recommendation is a Claim, a KeynoteSpeech a Presentation.
RULES: list[tuple[URIRef, Callable[[_View, URIRef], Label]]] = [
    (SKG.Paragraph, _paragraph),
    (SKG.PreambularClause, _clause),
    (SKG.OperativeClause, _clause),
    (SKG.Recommendation, _claim),
    (SKG.Conclusion, _claim),
    (SKG.Observation, _claim),
    (SKG.Affirmation, _claim),
    (SKG.ComparativeClaim, _claim),
    (SKG.Claim, _claim),
    (SKG.KeynoteSpeech, _presentation),
    (SKG.Presentation, _presentation),
    (SKG.ParticipationStatistic, _statistic),
    (SKG.StatedCount, _stated_count),
    (SKG.Objective, _objective),
    (SKG.CoreValue, _core_value),
    (SKG.PayloadSelection, _selection),
    (SKG.PayloadCapacity, _capacity),
    (SKG.Quantity, _quantity),
    (SKG.Citation, _citation),
    (SKG.Partnership, _partnership),
]


def unlabelled(ds: Dataset) -> list[URIRef]:
    """Resources typed with a SpaceKG class that have no skos:prefLabel or rdfs:label."""
    typed = {s for s, _, o, _ in ds.quads((None, RDF.type, None, None))
             if isinstance(s, URIRef) and str(o).startswith(str(SKG))}
    named = {s for p in (SKOS.prefLabel, RDFS.label)
             for s, _, _, _ in ds.quads((None, p, None, None))}
    return sorted(typed - named, key=str)


def labels_for(ds: Dataset, resources: Iterable[URIRef]) -> dict[URIRef, Label]:
    """The rule-made label of each resource a rule covers (others are left out)."""
    view = _View(ds)
    out: dict[URIRef, Label] = {}
    for s in resources:
        types = view.types(s)
        for cls, rule in RULES:
            if cls in types:
                out[s] = rule(view, s)
                break
    return out
