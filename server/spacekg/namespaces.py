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


def paragraph_graph(n: int) -> str:
    return f"{GRAPH}para/{n}"
