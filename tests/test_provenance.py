"""Provenance: every statement sits in the graph of the paragraph that states it."""

from __future__ import annotations

import re

import pytest
from rdflib import RDF, RDFS, BNode, Dataset, URIRef
from spacekg.namespaces import GRAPH, ID, INFERRED_GRAPH, ONTOLOGY_GRAPH, REFERENCE_GRAPH, SKG

HEADER_GRAPH = GRAPH["header"]
_PARAGRAPH_GRAPH = re.compile(rf"^{re.escape(str(GRAPH))}(para|pp|op)/([1-9][0-9]*)$")
_LIMITS = {"para": 46, "pp": 11, "op": 7}
REPORT = str(ID["document/a-ac-105-1294"])

#: Classes of n-ary fact nodes, which must point to the paragraph stating them.
N_ARY = ("Citation", "PayloadSelection", "PayloadCapacity", "ParticipationStatistic",
         "Partnership", "Claim")


def paragraph_of(graph: URIRef) -> URIRef | None:
    """The paragraph or clause resource a paragraph graph belongs to."""
    match = _PARAGRAPH_GRAPH.match(str(graph))
    if not match:
        return None
    kind, n = match.groups()
    return URIRef(f"{REPORT}/para/{n}" if kind == "para" else f"{REPORT}/annex/{kind}/{n}")


def _paragraph_graphs(ds: Dataset) -> list[URIRef]:
    return sorted(g.identifier for g in ds.graphs()
                  if len(g) and paragraph_of(g.identifier) is not None)


def _subclasses(ds: Dataset, names: tuple[str, ...]) -> set[URIRef]:
    ontology = ds.graph(ONTOLOGY_GRAPH)
    found = {SKG[n] for n in names}
    for cls in list(found):
        found |= {c for c in ontology.transitive_subjects(RDFS.subClassOf, cls)
                  if isinstance(c, URIRef)}
    return found


def test_every_statement_is_in_a_known_graph(asserted: Dataset) -> None:
    allowed = {ONTOLOGY_GRAPH, REFERENCE_GRAPH, HEADER_GRAPH, INFERRED_GRAPH}
    stray = []
    for ctx in asserted.graphs():
        if not len(ctx) or ctx.identifier in allowed:
            continue
        match = _PARAGRAPH_GRAPH.match(str(ctx.identifier))
        if not match or int(match.group(2)) > _LIMITS[match.group(1)]:
            stray.append(f"{ctx.identifier} ({len(ctx)} triples)")
    assert not stray, "triples outside ontology/reference/header/paragraph graphs:\n" + \
        "\n".join(stray)


def test_source_paragraph_points_to_the_paragraph_of_its_graph(asserted: Dataset) -> None:
    wrong = []
    for graph in _paragraph_graphs(asserted):
        expected = paragraph_of(graph)
        for node, source in asserted.graph(graph).subject_objects(SKG.sourceParagraph):
            if source != expected:
                wrong.append(f"{node} in {graph} cites {source}, expected {expected}")
    assert not wrong, "\n".join(wrong)


def test_n_ary_nodes_name_their_source_paragraph(asserted: Dataset) -> None:
    classes = _subclasses(asserted, N_ARY)
    missing = []
    for graph in _paragraph_graphs(asserted):
        g = asserted.graph(graph)
        for cls in classes:
            for node in g.subjects(RDF.type, cls):
                if (node, SKG.sourceParagraph, paragraph_of(graph)) not in g:
                    missing.append(f"{node} ({cls}) in {graph}")
    assert not missing, "n-ary nodes without skg:sourceParagraph to their paragraph:\n" + \
        "\n".join(sorted(missing))


def test_source_paragraph_statements_are_only_in_paragraph_graphs(asserted: Dataset) -> None:
    elsewhere = [str(ctx.identifier) for ctx in asserted.graphs()
                 if paragraph_of(ctx.identifier) is None
                 and any(True for _ in ctx.triples((None, SKG.sourceParagraph, None)))]
    assert not elsewhere


def test_each_paragraph_graph_describes_its_paragraph(asserted: Dataset) -> None:
    graphs = _paragraph_graphs(asserted)
    if not graphs:
        pytest.fail("no paragraph graphs yet")
    undescribed = [str(g) for g in graphs
                   if not any(True for _ in asserted.graph(g).triples(
                       (paragraph_of(g), RDF.value, None)))]
    assert not undescribed, "paragraph graphs without the paragraph's rdf:value text:\n" + \
        "\n".join(undescribed)


def test_facts_use_iris_not_blank_nodes(asserted: Dataset) -> None:
    blank = sorted({str(ctx.identifier) for ctx in asserted.graphs()
                    if ctx.identifier != ONTOLOGY_GRAPH
                    for s in ctx.subjects() if isinstance(s, BNode)})
    assert not blank, f"graphs with blank-node subjects: {blank}"
