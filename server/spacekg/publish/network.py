"""The partnership network: who cooperates with whom, according to the report.

Read from the served quads (as every download is), so it matches the endpoint. Each
``skg:Partnership`` contributes its partners (``skg:partner`` and its role sub-properties, so
the network is right with or without the build's inferred graph), its kind, status,
subjects and source paragraphs. The agent–agent network joins every two partners of a
partnership by an undirected edge; an edge's weight is the number of partnerships the two
share, and it lists them and the paragraphs stating them, so a user can go from a line in
Gephi or Cytoscape back to the report's sentence.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import combinations

import networkx as nx
from rdflib import RDF, Literal, URIRef
from rdflib.namespace import RDFS, SKOS

from spacekg.namespaces import GRAPH, SKG
from spacekg.publish.linkeddata import Labels, local_name, paragraph_number

#: Partner properties and the role each names ("" for a partner the report gives no role).
ROLES: dict[URIRef, str] = {
    SKG.partner: "",
    SKG.hostPartner: "host",
    SKG.coordinatingPartner: "coordinating",
    SKG.contributingPartner: "contributing",
    SKG.jointPartner: "joint",
}
_ONTOLOGY = str(GRAPH["ontology"])
_INFERRED = str(GRAPH["inferred"])

Quad = tuple[object, object, object, object]


@dataclass
class Partnership:
    """One partnership as the network and the CSV need it."""

    iri: str
    kind: str = ""
    status: str = ""
    partners: dict[str, str] = field(default_factory=dict)  # agent IRI → role ("" if none)
    regions: set[str] = field(default_factory=set)
    subjects: set[str] = field(default_factory=set)
    paragraphs: set[str] = field(default_factory=set)


@dataclass
class Network:
    """Partnerships, the labels and classes of what they name, and the agent–agent edges."""

    partnerships: dict[str, Partnership]
    labels: dict[str, Labels]
    classes: dict[str, set[str]]

    def label(self, iri: str, lang: str) -> str:
        lab = self.labels.get(iri)
        return (lab.pref.get(lang) if lab else None) or (local_name(iri) if lang == "en" else "")

    def nodes(self) -> dict[str, dict[str, str]]:
        """Every agent that is a partner, with its labels and asserted classes."""
        agents = sorted({a for p in self.partnerships.values() for a in p.partners})
        return {a: {"label": self.label(a, "en"), "label_zh": self.label(a, "zh"),
                    "class": ";".join(sorted(self.classes.get(a, ())))} for a in agents}

    def edges(self) -> list[tuple[str, str, list[Partnership]]]:
        """Undirected agent pairs (sorted) with the partnerships they share."""
        pairs: dict[tuple[str, str], list[Partnership]] = {}
        for p in sorted(self.partnerships.values(), key=lambda p: p.iri):
            for a, b in combinations(sorted(p.partners), 2):
                pairs.setdefault((a, b), []).append(p)
        return [(a, b, ps) for (a, b), ps in sorted(pairs.items())]


def partnership_network(quads: Iterable[Quad]) -> Network:
    """Collect the partnerships from the quads (ontology graph ignored)."""
    partnerships: dict[str, Partnership] = {}
    labels: dict[str, Labels] = {}
    classes: dict[str, set[str]] = {}

    def get(s: object) -> Partnership:
        return partnerships.setdefault(str(s), Partnership(str(s)))

    facts: list[tuple[str, URIRef, object]] = []
    for s, p, o, g in quads:
        if str(g) == _ONTOLOGY or not isinstance(s, URIRef):
            continue
        if p in (SKOS.prefLabel, RDFS.label) and isinstance(o, Literal):
            labels.setdefault(str(s), Labels()).add(o, "pref" if p == SKOS.prefLabel else "label")
        elif p == RDF.type:
            if o == SKG.Partnership:
                get(s)
            if str(g) != _INFERRED:
                classes.setdefault(str(s), set()).add(local_name(str(o)))
        elif isinstance(p, URIRef) and str(p).startswith(str(SKG)):
            facts.append((str(s), p, o))
    for s, p, o in facts:
        if s not in partnerships:
            continue
        item, value = partnerships[s], str(o)
        if p in ROLES:
            if ROLES[p] or value not in item.partners:
                item.partners[value] = ROLES[p] or item.partners.get(value, "")
        elif p == SKG.partnerRegion:
            item.regions.add(value)
        elif p == SKG.partnershipKind:
            item.kind = local_name(value)
        elif p == SKG.partnershipStatus:
            item.status = local_name(value)
        elif p == SKG.partnershipSubject:
            item.subjects.add(value)
        elif p == SKG.sourceParagraph:
            item.paragraphs.add(paragraph_number(value))
    for lab in labels.values():
        lab.finish()
    return Network(partnerships, labels, classes)


def _paragraphs(partnerships: Iterable[Partnership]) -> str:
    numbers = {n for p in partnerships for n in p.paragraphs}
    return " ".join(sorted(numbers, key=para_key))


def _labels(network: Network, partnerships: Iterable[Partnership], lang: str) -> str:
    """The partnerships' stored labels, " | " between them (a label may hold commas)."""
    return " | ".join(network.label(p.iri, lang) for p in partnerships)


def para_key(number: str) -> tuple[int, int]:
    """Sort key for paragraph numbers: 1..46, then P1..P11, then O1..O7."""
    digits = int("".join(c for c in number if c.isdigit()) or 0)
    return ({"P": 1, "O": 2}.get(number[:1], 0), digits)


# --------------------------------------------------------------------------- writers

def as_nx(network: Network) -> nx.Graph:
    """The agent network for networkx's GraphML and GEXF writers (Gephi, Cytoscape):
    undirected, ``weight`` the number of shared partnerships (a double), each edge listing
    those partnerships, their labels in both languages, kinds and paragraphs as strings."""
    graph = nx.Graph()
    graph.add_nodes_from(network.nodes().items())
    for a, b, shared in network.edges():
        graph.add_edge(
            a, b, weight=float(len(shared)),
            partnerships=" ".join(p.iri for p in shared),
            partnership_labels=_labels(network, shared, "en"),
            partnership_labels_zh=_labels(network, shared, "zh"),
            kinds=" ".join(sorted({p.kind for p in shared if p.kind})),
            paragraphs=_paragraphs(shared),
        )
    return graph


def partnerships_csv(network: Network) -> str:
    """One row per partnership: kind, status, partners with roles, subjects, paragraphs."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["iri", "label_en", "label_zh", "kind", "status", "partners_en",
                     "partners_zh", "partner_iris", "roles", "regions_en", "subjects_en",
                     "subject_iris", "paragraphs"])
    for iri, p in sorted(network.partnerships.items()):
        agents = sorted(p.partners)
        writer.writerow([
            iri, network.label(iri, "en"), network.label(iri, "zh"), p.kind, p.status,
            " | ".join(network.label(a, "en") for a in agents),
            " | ".join(network.label(a, "zh") for a in agents),
            " ".join(agents),
            " ".join(p.partners[a] or "-" for a in agents),
            " | ".join(network.label(r, "en") for r in sorted(p.regions)),
            " | ".join(network.label(s, "en") for s in sorted(p.subjects)),
            " ".join(sorted(p.subjects)),
            _paragraphs([p]),
        ])
    return buffer.getvalue()
