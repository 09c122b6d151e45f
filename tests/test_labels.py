"""Labels: every named entity reads well in Chinese and English; so does every term."""

from __future__ import annotations

from collections import Counter

from rdflib import OWL, RDF, RDFS, SKOS, Dataset, Literal, URIRef
from spacekg.namespaces import ONTOLOGY_GRAPH, REFERENCE_GRAPH, SKG


def _entities(ds: Dataset) -> list[URIRef]:
    reference = ds.graph(REFERENCE_GRAPH)
    return sorted({s for s, o in reference.subject_objects(RDF.type)
                   if isinstance(s, URIRef) and str(o).startswith(str(SKG))})


def _langs(graph, subject: URIRef, predicate: URIRef) -> Counter[str]:  # noqa: ANN001
    return Counter(o.language or "" for o in graph.objects(subject, predicate)
                   if isinstance(o, Literal))


def test_registry_has_entities(asserted: Dataset) -> None:
    assert _entities(asserted)


def test_every_entity_has_one_zh_and_one_en_pref_label(asserted: Dataset) -> None:
    reference = asserted.graph(REFERENCE_GRAPH)
    bad = [f"{e}: {dict(c)}" for e in _entities(asserted)
           if (c := _langs(reference, e, SKOS.prefLabel))["zh"] != 1 or c["en"] != 1]
    assert not bad, "entities without exactly one @zh and one @en skos:prefLabel:\n" + \
        "\n".join(bad)


def test_rdfs_label_repeats_the_pref_labels(asserted: Dataset) -> None:
    reference = asserted.graph(REFERENCE_GRAPH)
    bad = [str(e) for e in _entities(asserted)
           if set(reference.objects(e, RDFS.label)) != set(reference.objects(e, SKOS.prefLabel))]
    assert not bad, "rdfs:label differs from skos:prefLabel:\n" + "\n".join(bad)


def test_every_ontology_term_is_labelled_in_en_and_zh(asserted: Dataset) -> None:
    ontology = asserted.graph(ONTOLOGY_GRAPH)
    kinds = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty)
    terms = sorted({s for k in kinds for s in ontology.subjects(RDF.type, k)
                    if isinstance(s, URIRef) and str(s).startswith(str(SKG))})
    assert terms
    bad = [str(t) for t in terms
           if not {"en", "zh"} <= set(_langs(ontology, t, RDFS.label))]
    assert not bad, "ontology terms without rdfs:label @en and @zh:\n" + "\n".join(bad)
