"""HermiT through owlready2: what it is fed, what it catches, how it explains."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FIXTURES, TOY_ONTOLOGY, fixture_expectations
from rdflib import RDF, RDFS, XSD, Graph, Literal, URIRef
from spacekg.build.dataset import Sources, data_graph, load_dataset
from spacekg.build.reasoning import (
    check_consistency,
    close_store,
    ontology_graph,
    reasoner_input,
    store_of,
)
from spacekg.build.validate import short
from spacekg.errors import InconsistentOntology, ReasonerUnavailable
from spacekg.namespaces import ID, SKG

INCONSISTENT = sorted((FIXTURES / "inconsistent").glob("*.trig"))


def _toy_ontology() -> Graph:
    return Graph().parse(data=TOY_ONTOLOGY, format="turtle")


def _data(text: str) -> Graph:
    return Graph().parse(data="@base <https://w3id.org/spacekg/id/> .\n"
                         "@prefix skg: <https://w3id.org/spacekg/ontology#> .\n"
                         "@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n" + text,
                         format="turtle")


def test_literals_outside_the_owl2_datatype_map_are_kept_from_hermit() -> None:
    data = _data('<event/ws> skg:startDate "2022-11-22"^^xsd:date ; skg:editionNumber 2 . '
                 '<mission/change-7> skg:plannedLaunchYear "2026"^^xsd:gYear .')
    graph, dropped = reasoner_input(_toy_ontology(), data)
    assert dropped == 2
    assert (ID["event/ws"], SKG.editionNumber, Literal(2)) in graph
    assert not any(o.datatype in (XSD.date, XSD.gYear) for o in graph.objects()
                   if isinstance(o, Literal))
    assert (SKG.startDate, RDFS.range, RDFS.Literal) in graph  # widened, not dropped


def test_undeclared_vocabulary_is_declared_for_hermit() -> None:
    data = _data('<agency/cnsa> <http://www.w3.org/2004/02/skos/core#prefLabel> "CNSA"@en ; '
                 'a <http://xmlns.com/foaf/0.1/Agent> .')
    graph, _ = reasoner_input(_toy_ontology(), data)
    owl = "http://www.w3.org/2002/07/owl#"
    assert (URIRef("http://www.w3.org/2004/02/skos/core#prefLabel"), RDF.type,
            URIRef(owl + "AnnotationProperty")) in graph
    assert (URIRef("http://xmlns.com/foaf/0.1/Agent"), RDF.type, URIRef(owl + "Class")) in graph
    assert (URIRef("http://www.w3.org/ns/org#FormalOrganization"), RDF.type,
            URIRef(owl + "Class")) in graph


def test_hermit_accepts_dates_and_finds_types() -> None:
    data = _data('<event/ws> skg:startDate "2022-11-22"^^xsd:date ; '
                 'skg:organiser <agency/cnsa> .')
    result = check_consistency(_toy_ontology(), data)
    assert result.dropped_literals == 1
    assert (ID["event/ws"], SKG.Event) in result.inferred_types  # from the domain


def test_disjoint_types_are_inconsistent_and_named() -> None:
    data = _data("<agency/cnsa> a skg:SpaceAgency, skg:Person .")
    from rdflib import Dataset

    ds = Dataset()
    for t in _toy_ontology():
        ds.add((*t, URIRef("https://w3id.org/spacekg/graph/ontology")))
    for t in data:
        ds.add((*t, URIRef("https://w3id.org/spacekg/graph/para/3")))
    store = store_of(ds)
    close_store(store)
    with pytest.raises(InconsistentOntology) as info:
        check_consistency(_toy_ontology(), data, explain_with=store)
    assert info.value.individuals == (str(ID["agency/cnsa"]),)
    assert str(SKG.Person) in info.value.classes
    assert "graph:para/3" in str(info.value)


def test_unsatisfiable_class_is_reported() -> None:
    onto = _toy_ontology().parse(data="""
        @prefix skg: <https://w3id.org/spacekg/ontology#> .
        @prefix owl: <http://www.w3.org/2002/07/owl#> .
        @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
        skg:Cyborg a owl:Class ; rdfs:subClassOf skg:Person, skg:Organisation .""",
                                 format="turtle")
    with pytest.raises(InconsistentOntology, match="skg:Cyborg") as info:
        check_consistency(onto, Graph())
    assert info.value.classes == (str(SKG.Cyborg),)


def test_missing_java_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(ReasonerUnavailable, match="Java"):
        check_consistency(_toy_ontology(), Graph())


def test_there_is_an_inconsistent_fixture() -> None:
    assert INCONSISTENT, "tests/fixtures/inconsistent/*.trig: no fixture yet"


@pytest.mark.parametrize("fixture", INCONSISTENT, ids=[p.stem for p in INCONSISTENT])
def test_inconsistent_fixture_fails_hermit_with_a_readable_reason(
        fixture: Path, sources: Sources) -> None:
    expect = fixture_expectations(fixture)
    ds = load_dataset(ontology=sources.ontology, data=sources.data + (fixture,))
    store = store_of(ds)
    close_store(store)
    with pytest.raises(InconsistentOntology) as info:
        check_consistency(ontology_graph(ds), data_graph(ds), explain_with=store)
    text = str(info.value)
    for focus in expect["expect-focus"]:
        iri = focus.strip().strip("<>")
        assert iri in info.value.individuals or short(URIRef(iri)) in text or focus in text, \
            f"{fixture.name}: {focus} not named in: {text}"
    for message in expect["expect-message"]:
        words = [w for w in message.lower().replace(",", " ").split() if len(w) > 3]
        assert any(w in text.lower() for w in words), \
            f"{fixture.name}: reason {text!r} does not match {message!r}"
