"""The ontology and the shapes as published artefacts: complete, self-describing, valid SHACL."""

from __future__ import annotations

import pyshacl
from rdflib import OWL, RDF, RDFS, SKOS, Dataset, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS
from spacekg.build.dataset import Sources
from spacekg.namespaces import ONTOLOGY_GRAPH, SKG

ONTOLOGY_IRI = URIRef("https://w3id.org/spacekg/ontology")
VANN = "http://purl.org/vocab/vann/"


def _skg_terms(graph: Graph) -> set[URIRef]:
    """Every skg: IRI a graph uses as predicate, class or value."""
    used: set[URIRef] = set()
    for _, p, o in graph:
        for term in (p, o):
            if isinstance(term, URIRef) and str(term).startswith(str(SKG)):
                used.add(term)
    return used


def test_every_term_the_data_uses_is_declared_in_the_ontology(asserted: Dataset) -> None:
    ontology = asserted.graph(ONTOLOGY_GRAPH)
    declared = {s for s in ontology.subjects(RDF.type, None) if isinstance(s, URIRef)}
    data = Graph()
    for s, p, o, g in asserted.quads():
        if g != ONTOLOGY_GRAPH:
            data.add((s, p, o))
    missing = sorted(str(t) for t in _skg_terms(data) - declared)
    assert not missing, "terms used in data/ but not declared in the ontology:\n" + \
        "\n".join(missing)


def test_every_term_the_shapes_use_is_declared_in_the_ontology(
    asserted: Dataset, sources: Sources
) -> None:
    ontology = asserted.graph(ONTOLOGY_GRAPH)
    declared = {s for s in ontology.subjects(RDF.type, None) if isinstance(s, URIRef)}
    shapes = Graph()
    for path in sources.shapes:
        shapes.parse(path)
    missing = sorted(str(t) for t in _skg_terms(shapes) - declared)
    assert not missing, "terms used in shapes/ but not declared:\n" + "\n".join(missing)


def test_every_ontology_term_has_a_definition_in_en_and_zh(asserted: Dataset) -> None:
    ontology = asserted.graph(ONTOLOGY_GRAPH)
    kinds = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty)
    terms = sorted({s for k in kinds for s in ontology.subjects(RDF.type, k)
                    if isinstance(s, URIRef) and str(s).startswith(str(SKG))})
    bad = [str(t) for t in terms
           if not {"en", "zh"} <= {o.language for o in ontology.objects(t, SKOS.definition)
                                   if isinstance(o, Literal)}]
    assert not bad, "terms without skos:definition @en and @zh:\n" + "\n".join(bad)


def test_every_property_has_domain_and_range_or_says_why_not(asserted: Dataset) -> None:
    """A SpaceKG property without rdfs:domain or rdfs:range carries an rdfs:comment (en and zh)
    saying why (e.g. topics apply to many kinds of resource); deprecated ones are exempt."""
    ontology = asserted.graph(ONTOLOGY_GRAPH)
    missing = []
    for kind in (OWL.ObjectProperty, OWL.DatatypeProperty):
        for prop in ontology.subjects(RDF.type, kind):
            if not str(prop).startswith(str(SKG)) or (prop, OWL.deprecated, None) in ontology:
                continue
            comments = {c.language for c in ontology.objects(prop, RDFS.comment)
                        if isinstance(c, Literal)}
            for axis in (RDFS.domain, RDFS.range):
                if ontology.value(prop, axis) is None and not {"en", "zh"} <= comments:
                    missing.append(f"{prop} {axis}")
    assert not missing, "properties without domain/range or a comment saying why:\n" + \
        "\n".join(sorted(missing))


def test_ontology_header_names_version_licence_and_prefix(asserted: Dataset) -> None:
    ontology = asserted.graph(ONTOLOGY_GRAPH)
    assert (ONTOLOGY_IRI, RDF.type, OWL.Ontology) in ontology
    assert ontology.value(ONTOLOGY_IRI, OWL.versionIRI) is not None
    assert ontology.value(ONTOLOGY_IRI, DCTERMS.license) is not None
    prefix = ontology.value(ONTOLOGY_IRI, URIRef(VANN + "preferredNamespacePrefix"))
    assert str(prefix) == "skg"


def test_ontology_does_not_import_external_vocabularies(asserted: Dataset) -> None:
    # DESIGN §4: alignment by subclassing keeps HermiT fast and the ontology in OWL 2 DL.
    assert list(asserted.graph(ONTOLOGY_GRAPH).objects(ONTOLOGY_IRI, OWL.imports)) == []


def test_shapes_pass_shacl_for_shacl(sources: Sources) -> None:
    shapes = Graph()
    for path in sources.shapes:
        shapes.parse(path)
    conforms, _, text = pyshacl.validate(shapes, shacl_graph=shapes, meta_shacl=True)
    assert conforms, text
