"""IRIs of SpaceKG: one place that says what the base, the ontology and the graphs are."""

from __future__ import annotations

from rdflib import Namespace

BASE = "https://w3id.org/spacekg/"
SKG = Namespace(BASE + "ontology#")
ID = Namespace(BASE + "id/")
GRAPH = Namespace(BASE + "graph/")
REPORT = ID["document/a-ac-105-1294"]

ONTOLOGY_GRAPH = GRAPH["ontology"]
REFERENCE_GRAPH = GRAPH["reference"]
INFERRED_GRAPH = GRAPH["inferred"]
SHAPES_GRAPH = GRAPH["shapes"]

ORG = Namespace("http://www.w3.org/ns/org#")
SCHEMA = Namespace("https://schema.org/")
UNIT = Namespace("http://qudt.org/vocab/unit/")


#: The prefixes SpaceKG's own files use, predeclared for every query (as Wikidata's query
#: service predeclares its own): a query may use them without PREFIX lines, and a PREFIX of
#: its own for the same name wins. Listed in the service description and the README.
PREFIXES: dict[str, str] = {
    "dcterms": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "graph": str(GRAPH),
    "org": str(ORG),
    "nif": "http://persistence.uni-leipzig.org/nlp2rdf/ontologies/nif-core#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "prov": "http://www.w3.org/ns/prov#",
    "qudt": "http://qudt.org/schema/qudt/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "schema": str(SCHEMA),
    "sh": "http://www.w3.org/ns/shacl#",
    "skg": str(SKG),
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "unit": str(UNIT),
    "vann": "http://purl.org/vocab/vann/",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}
