"""English renderings (issue 13): every Chinese statement text has SpaceKG's English beside
it, and everything that describes the dataset says the English is SpaceKG's, not the UN's."""

from __future__ import annotations

from collections import defaultdict

import pytest
from rdflib import RDF, RDFS, SKOS, Dataset, Literal, URIRef
from rdflib.namespace import DCTERMS
from spacekg.licence import LICENSE, RENDERING_NOTE, un_document_url
from spacekg.namespaces import ONTOLOGY_GRAPH, SKG
from spacekg.pages import split_languages

#: Names, not statements: their languages are checked by test_labels and the shapes.
LABELS = {RDFS.label, SKOS.prefLabel, SKOS.altLabel, SKOS.hiddenLabel, SKOS.definition,
          SKOS.editorialNote, SKOS.scopeNote, RDFS.comment}


def _data_graphs(ds: Dataset) -> list:  # noqa: ANN401
    return [g for g in ds.graphs() if g.identifier != ONTOLOGY_GRAPH]


def _languages_by_statement(ds: Dataset) -> dict[tuple, set[str]]:
    found: dict[tuple, set[str]] = defaultdict(set)
    for graph in _data_graphs(ds):
        for s, p, o in graph:
            if isinstance(o, Literal) and o.language and p not in LABELS:
                found[(graph.identifier, s, p)].add(o.language[:2])
    return found


def test_every_chinese_statement_text_has_an_english_rendering(asserted: Dataset) -> None:
    found = _languages_by_statement(asserted)
    chinese = [k for k, langs in found.items() if "zh" in langs]
    assert len(chinese) > 400  # paragraph texts, claims, summaries, aims, clause texts…
    missing = sorted(f"{g} {s} {p}" for (g, s, p), langs in found.items()
                     if "zh" in langs and "en" not in langs)
    assert not missing, f"{len(missing)} Chinese statement texts without English:\n" + \
        "\n".join(missing[:40])


def test_each_chinese_literal_has_as_many_english_ones(asserted: Dataset) -> None:
    """Two Chinese summaries of one presentation get two English ones, not one."""
    counts: dict[tuple, dict[str, int]] = defaultdict(lambda: {"zh": 0, "en": 0})
    for graph in _data_graphs(asserted):
        for s, p, o in graph:
            if isinstance(o, Literal) and (o.language or "")[:2] in ("zh", "en") \
                    and p not in LABELS:
                counts[(graph.identifier, s, p)][o.language[:2]] += 1
    uneven = sorted(f"{k[1]} {k[2]}: {v}" for k, v in counts.items() if v["zh"] != v["en"])
    assert not uneven, "\n".join(uneven[:40])


def test_every_statement_text_property_says_its_english_is_spacekgs(asserted: Dataset) -> None:
    ontology = asserted.graph(ONTOLOGY_GRAPH)
    marked = {p for p, o in ontology.subject_objects(SKG.englishRenderedBySpaceKG)
              if o.toPython() is True}
    used = {p for (_, _, p), langs in _languages_by_statement(asserted).items()
            if "zh" in langs and str(p).startswith(str(SKG))}
    assert used and not used - marked, sorted(str(p) for p in used - marked)


def test_the_ontology_header_states_licence_source_and_rendering(asserted: Dataset) -> None:
    ontology = asserted.graph(ONTOLOGY_GRAPH)
    header = URIRef("https://w3id.org/spacekg/ontology")
    assert (header, DCTERMS.license, LICENSE) in ontology
    assert (header, DCTERMS.source, URIRef(un_document_url())) in ontology
    notes = {str(n) for n in ontology.objects(header, SKOS.editorialNote)}
    assert any("SpaceKG's own English rendering" in n for n in notes)


@pytest.mark.parametrize(("lang", "shown", "aside"), [
    ("en", ["the text"], ["原文"]),
    ("zh", ["原文"], ["the text"]),
])
def test_the_other_language_is_set_aside_only_when_the_page_language_is_there(
        lang: str, shown: list[str], aside: list[str]) -> None:
    values = [Literal("原文", lang="zh"), Literal("the text", lang="en"), URIRef("urn:x")]
    got_shown, got_aside = split_languages(values, lang)
    assert [str(v) for v in got_aside] == aside
    assert [str(v) for v in got_shown if isinstance(v, Literal)] == shown
    assert URIRef("urn:x") in got_shown
    lone = [Literal("只有中文", lang="zh")]
    assert split_languages(lone, "en") == (lone, [])


def test_rendering_note_exists_in_both_languages() -> None:
    assert "SpaceKG" in RENDERING_NOTE["en"] and "Chinese edition" in RENDERING_NOTE["en"]
    assert "SpaceKG" in RENDERING_NOTE["zh"] and "中文本" in RENDERING_NOTE["zh"]


def test_paragraph_types_are_all_rendered(asserted: Dataset) -> None:
    """The shapes require it too; this names the paragraphs plainly when it fails."""
    paragraphs = {s for g in _data_graphs(asserted)
                  for s in g.subjects(RDF.type, SKG.Paragraph)}
    assert len(paragraphs) == 46
    for para in paragraphs:
        langs = {o.language for g in _data_graphs(asserted) for o in g.objects(para, RDF.value)}
        assert langs == {"zh", "en"}, para
