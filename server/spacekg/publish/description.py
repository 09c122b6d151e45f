"""The service description (SPARQL 1.1 Service Description) and the VoID description.

Built as RDF triples from what the store says about itself (graph names, sizes) and the
formats :mod:`spacekg.query.negotiate` offers, so the descriptions cannot drift from what the
endpoint does. No Flask here: the routes pass the URLs in.
"""

from __future__ import annotations

from rdflib import RDF, XSD, BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, VOID

from spacekg.namespaces import BASE, PREFIXES, REPORT, SKG
from spacekg.publish.licence import describe_dataset
from spacekg.query import negotiate
from spacekg.stores import Store

SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
SH = Namespace("http://www.w3.org/ns/shacl#")
FORMATS = Namespace("http://www.w3.org/ns/formats/")
ENTAILMENT = Namespace("http://www.w3.org/ns/entailment/")

#: W3C format IRIs (https://www.w3.org/ns/formats/) of the representations offered.
_FORMAT_IRIS = {
    negotiate.SPARQL_JSON.media_type: FORMATS.SPARQL_Results_JSON,
    negotiate.SPARQL_XML.media_type: FORMATS.SPARQL_Results_XML,
    negotiate.CSV.media_type: FORMATS.SPARQL_Results_CSV,
    negotiate.TSV.media_type: FORMATS.SPARQL_Results_TSV,
    negotiate.TURTLE.media_type: FORMATS.Turtle,
    negotiate.NTRIPLES.media_type: FORMATS["N-Triples"],
    negotiate.JSONLD.media_type: FORMATS["JSON-LD"],
    negotiate.RDFXML.media_type: FORMATS.RDF_XML,
    negotiate.NQUADS.media_type: FORMATS["N-Quads"],
    negotiate.TRIG.media_type: FORMATS.TriG,
}

#: The dataset SpaceKG publishes, as described by VoID.
DATASET = URIRef(BASE + "id/dataset/spacekg")


def service_description(
    endpoint: str, store: Store, *, void_url: str | None = None, writable: bool = False
) -> Graph:
    """sd:Service for ``endpoint``: languages, formats, features, the predeclared prefixes and
    the default dataset (default graph = union of the named graphs, each triple once; each
    named graph with its size). ``writable`` adds SPARQL 1.1 Update to the languages.

    The prefixes are SHACL prefix declarations (``sh:declare [ sh:prefix ; sh:namespace ]``):
    the Service Description vocabulary has no term for them, and SHACL's is the W3C one whose
    meaning is this very thing (SHACL-SPARQL prepends declared prefixes to its queries), so a
    client that reads SHACL can take them as they are."""
    g = Graph()
    g.bind("sd", SD)
    g.bind("void", VOID)
    g.bind("format", FORMATS)
    service = URIRef(endpoint + "#service")
    g.add((service, RDF.type, SD.Service))
    g.add((service, SD.endpoint, URIRef(endpoint)))
    g.add((service, SD.supportedLanguage, SD.SPARQL11Query))
    if writable:
        g.add((service, SD.supportedLanguage, SD.SPARQL11Update))
    g.add((service, SD.feature, SD.UnionDefaultGraph))
    g.add((service, SD.defaultEntailmentRegime, ENTAILMENT.Simple))
    g.bind("sh", SH)
    for prefix, namespace in PREFIXES.items():
        declaration = BNode()
        g.add((service, SH.declare, declaration))
        g.add((declaration, SH.prefix, Literal(prefix)))
        g.add((declaration, SH.namespace, Literal(namespace, datatype=XSD.anyURI)))
    offered = dict.fromkeys([*negotiate.SOLUTIONS, *negotiate.GRAPH])
    for fmt in offered:
        g.add((service, SD.resultFormat, _FORMAT_IRIS[fmt.media_type]))
    dataset = BNode()
    g.add((service, SD.defaultDataset, dataset))
    g.add((dataset, RDF.type, SD.Dataset))
    if void_url:
        g.add((dataset, DCTERMS.description, URIRef(void_url)))
    default_graph = BNode()
    g.add((dataset, SD.defaultGraph, default_graph))
    g.add((default_graph, RDF.type, SD.Graph))
    union = Literal("union of all named graphs, each triple once", lang="en")
    g.add((default_graph, DCTERMS.description, union))
    g.add((default_graph, VOID.triples, Literal(store.triple_count(), datatype=XSD.integer)))
    for name in store.graph_names():
        named = BNode()
        graph = BNode()
        g.add((dataset, SD.namedGraph, named))
        g.add((named, RDF.type, SD.NamedGraph))
        g.add((named, SD.name, URIRef(name)))
        g.add((named, SD.graph, graph))
        g.add((graph, RDF.type, SD.Graph))
        g.add((graph, VOID.triples, Literal(store.triple_count(name), datatype=XSD.integer)))
    return g


def void_description(endpoint: str, store: Store) -> Graph:
    """VoID for the dataset: size, SPARQL endpoint, URI space, vocabulary, licence and source
    (with the note that its English texts are SpaceKG's rendering), and one subset per named
    graph with its size."""
    g = Graph()
    g.bind("void", VOID)
    g.bind("dcterms", DCTERMS)
    g.bind("sd", SD)
    g.add((DATASET, RDF.type, VOID.Dataset))
    g.add((DATASET, DCTERMS.title, Literal("SpaceKG", lang="en")))
    g.add(
        (
            DATASET,
            DCTERMS.description,
            Literal(
                "Knowledge graph of UN report A/AC.105/1294: one named graph per paragraph, "
                "the ontology, the reference entities and the inferences.",
                lang="en",
            ),
        )
    )
    g.add((DATASET, DCTERMS.source, REPORT))
    describe_dataset(g, DATASET)
    g.add((DATASET, VOID.sparqlEndpoint, URIRef(endpoint)))
    g.add((DATASET, VOID.uriSpace, Literal(BASE + "id/")))
    g.add((DATASET, VOID.vocabulary, URIRef(str(SKG))))
    g.add((DATASET, VOID.triples, Literal(store.triple_count(), datatype=XSD.integer)))
    for fmt in negotiate.GRAPH:
        g.add((DATASET, VOID.feature, _FORMAT_IRIS[fmt.media_type]))
    for name in store.graph_names():
        subset = URIRef(name)
        g.add((DATASET, VOID.subset, subset))
        g.add((subset, RDF.type, VOID.Dataset))
        g.add((subset, SD.name, URIRef(name)))
        g.add((subset, VOID.triples, Literal(store.triple_count(name), datatype=XSD.integer)))
    return g
