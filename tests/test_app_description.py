"""The service description at /sparql and the VoID description at /.well-known/void are
RDF that clients can read, in every graph format, and say what the endpoint really does."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from live_server import AGENCIES_GRAPH, FIXTURES, MISSIONS_GRAPH
from rdflib import RDF, Dataset, Graph, Literal, Namespace, URIRef
from rdflib.namespace import VOID
from spacekg.app import create_app
from spacekg.publish.description import DATASET

SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
FORMATS = Namespace("http://www.w3.org/ns/formats/")
PARSERS = {
    "text/turtle": "turtle",
    "application/n-triples": "nt",
    "application/ld+json": "json-ld",
    "application/rdf+xml": "xml",
    "application/n-quads": "nquads",
    "application/trig": "trig",
}


@pytest.fixture
def app() -> Flask:
    return create_app(
        {
            "TESTING": True,
            "GRAPHS": {
                AGENCIES_GRAPH: str(FIXTURES / "agencies.ttl"),
                MISSIONS_GRAPH: str(FIXTURES / "missions.nt"),
            },
        }
    )


def parse(data: bytes, media_type: str) -> Graph:
    parser = PARSERS[media_type]
    if parser in ("nquads", "trig"):
        ds = Dataset()
        ds.parse(data=data, format=parser)
        graph = Graph()
        for s, p, o, _ in ds.quads((None, None, None, None)):
            graph.add((s, p, o))
        return graph
    return Graph().parse(data=data, format=parser)


@pytest.mark.parametrize("media_type", list(PARSERS))
def test_service_description_is_negotiated_and_parses(client: FlaskClient, media_type: str) -> None:
    response = client.get("/sparql", headers={"Accept": media_type})
    assert response.status_code == 200
    assert response.mimetype == media_type
    graph = parse(response.data, media_type)
    service = graph.value(predicate=RDF.type, object=SD.Service)
    assert service is not None
    assert graph.value(service, SD.endpoint) == URIRef("http://localhost/sparql")


def test_service_description_declares_union_default_graph_and_formats(
    client: FlaskClient,
) -> None:
    graph = Graph().parse(data=client.get("/sparql").data, format="turtle")
    service = graph.value(predicate=RDF.type, object=SD.Service)
    assert (service, SD.supportedLanguage, SD.SPARQL11Query) in graph
    assert (service, SD.feature, SD.UnionDefaultGraph) in graph
    assert set(graph.objects(service, SD.resultFormat)) >= {
        FORMATS.SPARQL_Results_JSON,
        FORMATS.SPARQL_Results_XML,
        FORMATS.SPARQL_Results_CSV,
        FORMATS.SPARQL_Results_TSV,
        FORMATS.Turtle,
        FORMATS["JSON-LD"],
    }
    dataset = graph.value(service, SD.defaultDataset)
    default_graph = graph.value(dataset, SD.defaultGraph)
    sizes = {
        graph.value(named, SD.name): graph.value(graph.value(named, SD.graph), VOID.triples)
        for named in graph.objects(dataset, SD.namedGraph)
    }
    assert {str(k): v.toPython() for k, v in sizes.items()} == {  # type: ignore[union-attr]
        AGENCIES_GRAPH: 12,
        MISSIONS_GRAPH: 6,
    }
    assert graph.value(default_graph, VOID.triples) == Literal(18)


def test_service_description_names_no_update_language(client: FlaskClient) -> None:
    graph = Graph().parse(data=client.get("/sparql").data, format="turtle")
    assert (None, SD.supportedLanguage, SD.SPARQL11Update) not in graph


def test_service_description_by_format_parameter(client: FlaskClient) -> None:
    response = client.get("/sparql", query_string={"format": "jsonld"})
    assert response.mimetype == "application/ld+json"
    assert 'rel="alternate"' in response.headers["Link"]


@pytest.mark.parametrize("media_type", list(PARSERS))
def test_void_describes_the_dataset(client: FlaskClient, media_type: str) -> None:
    response = client.get("/.well-known/void", headers={"Accept": media_type})
    assert response.status_code == 200
    graph = parse(response.data, media_type)
    assert (DATASET, RDF.type, VOID.Dataset) in graph
    assert graph.value(DATASET, VOID.sparqlEndpoint) == URIRef("http://localhost/sparql")
    assert graph.value(DATASET, VOID.triples).toPython() == 18  # type: ignore[union-attr]
    subsets = {
        str(s): graph.value(s, VOID.triples).toPython() for s in graph.objects(DATASET, VOID.subset)
    }  # type: ignore[union-attr]
    assert subsets == {AGENCIES_GRAPH: 12, MISSIONS_GRAPH: 6}


def test_void_with_unacceptable_type_is_406(client: FlaskClient) -> None:
    assert client.get("/.well-known/void", headers={"Accept": "image/png"}).status_code == 406


def test_service_description_lists_the_predeclared_prefixes(client: FlaskClient) -> None:
    graph = Graph().parse(data=client.get("/sparql").data, format="turtle")
    service = graph.value(predicate=RDF.type, object=SD.Service)
    sh = "http://www.w3.org/ns/shacl#"
    declared = {
        str(graph.value(d, URIRef(sh + "prefix"))): str(graph.value(d, URIRef(sh + "namespace")))
        for d in graph.objects(service, URIRef(sh + "declare"))
    }
    assert declared["skg"] == "https://w3id.org/spacekg/ontology#"
    assert declared["skos"] == "http://www.w3.org/2004/02/skos/core#"
    assert {"rdfs", "owl", "xsd", "dcterms", "foaf", "org", "prov", "schema"} <= set(declared)
