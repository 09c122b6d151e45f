"""Sentences as resources (issue 20): the report's texts split into sentences by fixed rules,
each an exact NIF span of its paragraph, and every fact naming the sentence that states it."""

from __future__ import annotations

from collections import defaultdict

import pytest
from rdflib import RDF, Dataset, Graph, Literal, URIRef
from rdflib.namespace import Namespace
from spacekg.build.sentences import split_sentences
from spacekg.namespaces import SKG

NIF = Namespace("http://persistence.uni-leipzig.org/nlp2rdf/ontologies/nif-core#")
PROV = Namespace("http://www.w3.org/ns/prov#")


@pytest.fixture(scope="module")
def union(asserted: Dataset) -> Graph:
    """Every source file's triples in one graph (a fact and its sentences share a graph)."""
    graph = Graph()
    for s, p, o, _ in asserted.quads():
        graph.add((s, p, o))
    return graph


def _text(ds: Graph, node: URIRef, lang: str) -> str | None:
    for value in ds.objects(node, RDF.value):
        if isinstance(value, Literal) and value.language == lang:
            return str(value)
    return None


@pytest.fixture(scope="module")
def texts(union: Graph) -> dict[URIRef, str]:
    """The Chinese text of every paragraph and annex clause."""
    found = {}
    for kind in (SKG.Paragraph, SKG.PreambularClause, SKG.OperativeClause):
        for part in union.subjects(RDF.type, kind):
            found[part] = _text(union, part, "zh")
    return found


@pytest.fixture(scope="module")
def sentences(union: Graph) -> dict[URIRef, list[tuple[int, int, URIRef]]]:
    """Each paragraph's sentences as (begin, end, IRI), in order."""
    found: dict[URIRef, list[tuple[int, int, URIRef]]] = defaultdict(list)
    for sentence in set(union.subjects(RDF.type, NIF.Sentence)):
        paragraph = union.value(sentence, NIF.referenceContext)
        begin = union.value(sentence, NIF.beginIndex).toPython()
        end = union.value(sentence, NIF.endIndex).toPython()
        found[paragraph].append((begin, end, sentence))
    return {p: sorted(v) for p, v in found.items()}


def test_all_64_paragraphs_and_clauses_have_sentences(texts: dict, sentences: dict) -> None:
    assert len(texts) == 64
    assert set(sentences) == set(texts)


def test_sentences_are_exact_substrings_tiling_their_paragraph(
        union: Graph, texts: dict, sentences: dict) -> None:
    for paragraph, spans in sentences.items():
        text, at = texts[paragraph], 0
        for begin, end, sentence in spans:
            assert begin == at, f"{sentence}: gap or overlap at {at}"
            assert _text(union, sentence, "zh") == text[begin:end], sentence
            at = end
        assert at == len(text), f"{paragraph}: text after offset {at} in no sentence"


def test_data_sentences_are_what_the_splitter_makes(texts: dict, sentences: dict) -> None:
    for paragraph, text in texts.items():
        made = [(s.begin, s.end, f"{paragraph}/sentence/{s.number}")
                for s in split_sentences(text)]
        assert [(b, e, str(s)) for b, e, s in sentences[paragraph]] == made, paragraph


def test_every_sentence_has_spacekgs_english_rendering(union: Graph) -> None:
    missing = [s for s in set(union.subjects(RDF.type, NIF.Sentence))
               if not _text(union, s, "en")]
    assert not missing, missing[:10]


def test_every_fact_node_names_a_sentence_of_its_own_paragraph(union: Graph) -> None:
    facts = set(union.subjects(SKG.sourceParagraph, None))
    assert len(facts) > 200
    bad = []
    for fact in facts:
        paragraphs = set(union.objects(fact, SKG.sourceParagraph))
        cited = [s for s in union.objects(fact, PROV.wasDerivedFrom)
                 if (s, RDF.type, NIF.Sentence) in union]
        if not cited or any(union.value(s, NIF.referenceContext) not in paragraphs
                            for s in cited):
            bad.append(str(fact))
    assert not bad, sorted(bad)[:20]


@pytest.mark.parametrize(("text", "expected"), [
    ("甲说。乙说。", ["甲说。", "乙说。"]),
    ("见（A/AC.105/1208。）后。尾", ["见（A/AC.105/1208。）后。", "尾"]),
    ("“好！”他说。", ["“好！”他说。"]),
    ("目标如下：(a)甲；(b)乙。", ["目标如下：(a)甲；(b)乙。"]),
    ("确认研讨会提供了一个信息中心；", ["确认研讨会提供了一个信息中心；"]),
    ("问？答！", ["问？", "答！"]),
    ("", [""]),
])
def test_split_rules(text: str, expected: list[str]) -> None:
    assert [s.text for s in split_sentences(text)] == expected
