"""Claims of the annex and of the conclusions (¶41–46) are typed by what their text does
(issue 20): none is a plain skg:Claim, and an annex clause's claim follows its opening verb."""

from __future__ import annotations

from rdflib import RDF, Dataset, Graph, URIRef
from spacekg.namespaces import SKG

#: An annex clause's opening verb (skg:clauseAction) → the kind of its claim.
KIND_OF_ACTION = {
    SKG.Convinced: SKG.Affirmation, SKG.Emphasizes: SKG.Affirmation,
    SKG.Reaffirms: SKG.Affirmation, SKG.Recognizes: SKG.Affirmation,
    SKG.Notes: SKG.Observation, SKG.NotesWithAppreciation: SKG.Observation,
    SKG.Appreciates: SKG.Observation, SKG.Recalls: SKG.Observation,
    SKG.Acknowledges: SKG.Observation, SKG.Confirms: SKG.Observation,
    SKG.Encourages: SKG.Recommendation, SKG.Advocates: SKG.Recommendation,
}
KINDS = {SKG.Affirmation, SKG.Observation, SKG.Recommendation, SKG.Conclusion}


def _union(ds: Dataset) -> Graph:
    graph = Graph()
    for s, p, o, _ in ds.quads():
        graph.add((s, p, o))
    return graph


def _claims_of(graph: Graph, part: URIRef) -> list[URIRef]:
    return [s for s in graph.subjects(SKG.sourceParagraph, part)
            if set(graph.objects(s, RDF.type)) & (KINDS | {SKG.Claim})]


def test_annex_and_conclusion_claims_are_typed_by_what_they_say(asserted: Dataset) -> None:
    graph = _union(asserted)
    parts = [p for p in graph.subjects(RDF.type, SKG.Paragraph)
             if graph.value(p, SKG.paragraphNumber).toPython() >= 41]
    clauses = [*graph.subjects(RDF.type, SKG.PreambularClause),
               *graph.subjects(RDF.type, SKG.OperativeClause)]
    assert len(parts) == 6 and len(clauses) == 18
    wrong = []
    for part in parts + clauses:
        claims = _claims_of(graph, part)
        assert claims, part
        action = graph.value(part, SKG.clauseAction)
        for claim in claims:
            types = set(graph.objects(claim, RDF.type)) & KINDS
            if len(types) != 1 or (action is not None and types != {KIND_OF_ACTION[action]}):
                wrong.append(f"{claim}: {sorted(types)} (clause action {action})")
    assert not wrong, "\n".join(wrong)
