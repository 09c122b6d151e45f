"""The ontology's terms as its documentation page lists them, read from an rdflib graph.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rdflib import RDF, Literal, URIRef
from rdflib.namespace import RDFS, SKOS

from spacekg.publish.linkeddata import local_name


@dataclass
class Term:
    """One ontology term as the documentation shows it."""

    iri: str
    kind: str  # Class | ObjectProperty | DatatypeProperty | AnnotationProperty | Individual
    labels: dict[str, str]
    definitions: dict[str, str]
    parents: list[str] = field(default_factory=list)
    domain: list[str] = field(default_factory=list)
    range: list[str] = field(default_factory=list)
    inverse: list[str] = field(default_factory=list)
    types: list[str] = field(default_factory=list)

    @property
    def fragment(self) -> str:
        return local_name(self.iri)


def ontology_terms(graph: object, namespace: str) -> dict[str, list[Term]]:
    """Terms of ``namespace`` in an rdflib graph of the ontology, by kind, sorted by name."""
    from rdflib import OWL, Graph

    assert isinstance(graph, Graph)
    kinds = [(OWL.Class, "Class"), (OWL.ObjectProperty, "ObjectProperty"),
             (OWL.DatatypeProperty, "DatatypeProperty"),
             (OWL.AnnotationProperty, "AnnotationProperty"),
             (OWL.NamedIndividual, "Individual")]
    out: dict[str, list[Term]] = {name: [] for _, name in kinds}
    seen: set[str] = set()
    for cls, name in kinds:
        for subject in sorted(set(graph.subjects(RDF.type, cls)), key=str):
            iri = str(subject)
            if not iri.startswith(namespace) or iri in seen:
                continue
            seen.add(iri)
            labels: dict[str, str] = {}
            for p in (SKOS.prefLabel, RDFS.label):
                for lit in graph.objects(subject, p):
                    if isinstance(lit, Literal):
                        labels.setdefault((lit.language or "en")[:2], str(lit))
            definitions: dict[str, str] = {}
            for p in (SKOS.definition, RDFS.comment):
                for lit in graph.objects(subject, p):
                    if isinstance(lit, Literal):
                        definitions.setdefault((lit.language or "en")[:2], str(lit))

            def iris(p: URIRef, s: URIRef = subject) -> list[str]:  # type: ignore[assignment]
                return sorted(str(o) for o in graph.objects(s, p) if isinstance(o, URIRef))

            parents = iris(RDFS.subClassOf) + iris(RDFS.subPropertyOf)
            out[name].append(Term(
                iri, name, labels, definitions, parents, iris(RDFS.domain), iris(RDFS.range),
                iris(OWL.inverseOf),
                [t for t in iris(RDF.type) if t != str(OWL.NamedIndividual)],
            ))
    return out
