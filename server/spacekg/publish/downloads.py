"""Dumps of the served dataset, and the exports people open in their own tools.

Everything is written from the quads the store serves (``queries/ld-all-quads.rq``), so the
downloads always match the endpoint, whatever backend or extra graphs it runs with:

* RDF dumps: TriG and N-Quads (named graphs kept), Turtle (union of all graphs), JSON-LD
  (named graphs kept, with SpaceKG's ``@context`` embedded; the same context is published at
  ``/download/context.jsonld``);
* the *entity graph* (links between resources under ``id/`` stated in the report and the
  registry; no types, literals or inferred links) as GraphML and GEXF for Gephi/Cytoscape;
* the *partnership network* (agents joined by the partnerships they share, weighted) as
  GraphML and GEXF, and the partnerships as CSV (:mod:`spacekg.publish.network`);
* CSV tables of the main classes.

Each file is listed with its size and SHA-256, and described in VoID and DCAT
(:func:`catalogue`). Files go to a directory per store generation, written into a staging
directory and renamed into place, so concurrent workers never see half a file.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

import networkx as nx
import pyoxigraph as ox
from rdflib import RDF, XSD, BNode, Dataset, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, RDFS, SKOS, VOID

from spacekg.errors import BuildError
from spacekg.namespaces import BASE, GRAPH, SKG
from spacekg.publish import network
from spacekg.publish.language import natural_key
from spacekg.publish.licence import LICENSE, describe_dataset
from spacekg.publish.linkeddata import Labels, local_name, paragraph_number, select
from spacekg.stores import Store
from spacekg.stores.terms import to_oxigraph

SPDX = Namespace("http://spdx.org/rdf/terms#")
DATASET = URIRef(BASE + "id/dataset/spacekg")
ENTITY_PREFIX = BASE + "id/"
INFERRED = str(GRAPH["inferred"])
ONTOLOGY = str(GRAPH["ontology"])

#: The JSON-LD context of the dumps (prefixes only, so every quad round-trips unchanged).
CONTEXT: dict[str, str] = {
    "skg": BASE + "ontology#",
    "id": BASE + "id/",
    "graph": BASE + "graph/",
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "xsd": str(XSD),
    "owl": "http://www.w3.org/2002/07/owl#",
    "skos": str(SKOS),
    "dcterms": str(DCTERMS),
    "org": "http://www.w3.org/ns/org#",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "schema": "https://schema.org/",
    "prov": "http://www.w3.org/ns/prov#",
    "nif": "http://persistence.uni-leipzig.org/nlp2rdf/ontologies/nif-core#",
    "unit": "http://qudt.org/vocab/unit/",
}

#: Classes with a CSV table: file stem → class IRI (instances include inferred types).
CSV_CLASSES: dict[str, str] = {
    "organisations": str(SKG.Organisation),
    "space-agencies": str(SKG.SpaceAgency),
    "countries": str(SKG.Country),
    "people": str(SKG.Person),
    "events": str(SKG.Event),
    "presentations": str(SKG.Presentation),
    "programmes": str(SKG.Programme),
    "missions": str(SKG.Mission),
    "space-systems": str(SKG.SpaceSystem),
    "documents": str(SKG.Document),
    "paragraphs": str(SKG.Paragraph),
    "claims": str(SKG.Claim),
    "statistics": str(SKG.ParticipationStatistic),
    "topics": str(SKG.Topic),
}


@dataclass(frozen=True)
class DownloadFile:
    """One file on the download page."""

    name: str
    title: str
    media_type: str
    kind: str  # rdf | graph | table | context
    size: int
    sha256: str
    triples: int | None = None


# --------------------------------------------------------------------------- reading

Quad = tuple[object, object, object, object]


def served_quads(store: Store) -> list[Quad]:
    """Every quad the store serves, as rdflib terms, sorted for stable output."""
    quads = [(r["s"], r["p"], r["o"], URIRef(str(r["g"]))) for r in select(store, "ld-all-quads")]
    return sorted(set(quads), key=lambda q: tuple(str(x) for x in q))


EntityGraph = tuple[dict[str, dict[str, str]], list[tuple[str, str, str]]]


def entity_graph(quads: Iterable[Quad]) -> EntityGraph:
    """Nodes (IRI → attributes) and distinct edges (s, p, o) of the entity graph.

    An edge is a statement, in any graph but the ontology and the inferred one, linking two
    resources under ``id/`` (rdf:type excluded); its ends are the nodes, named by their labels.
    """
    edges: set[tuple[str, str, str]] = set()
    labels: dict[str, Labels] = {}
    classes: dict[str, set[str]] = {}
    for s, p, o, g in quads:
        if str(g) in (INFERRED, ONTOLOGY) or not isinstance(s, URIRef):
            continue
        if p in (SKOS.prefLabel, RDFS.label) and isinstance(o, Literal):
            labels.setdefault(str(s), Labels()).add(o, "pref" if p == SKOS.prefLabel else "label")
        elif p == RDF.type:
            classes.setdefault(str(s), set()).add(local_name(str(o)))
        elif isinstance(o, URIRef) and str(s).startswith(ENTITY_PREFIX) \
                and str(o).startswith(ENTITY_PREFIX):
            edges.add((str(s), str(p), str(o)))
    nodes: dict[str, dict[str, str]] = {}
    for iri in sorted({e[0] for e in edges} | {e[2] for e in edges}):
        lab = labels.get(iri)
        if lab:
            lab.finish()
        nodes[iri] = {
            "label": (lab.best("en") if lab else None) or local_name(iri),
            "label_zh": (lab.pref.get("zh") if lab else None) or "",
            "class": ";".join(sorted(classes.get(iri, ()))),
        }
    return nodes, sorted(edges)


# --------------------------------------------------------------------------- writers

def entity_nx(nodes: dict[str, dict[str, str]], edges: list[tuple[str, str, str]]
              ) -> nx.MultiDiGraph:
    """The entity graph for networkx's writers: nodes by IRI with their labels and classes,
    one directed edge per asserted link, named by its predicate (Gephi shows ``label``)."""
    graph = nx.MultiDiGraph()
    graph.add_nodes_from(nodes.items())
    for s, p, o in edges:
        graph.add_edge(s, o, predicate=p, label=local_name(p))
    return graph


class TableIndex:
    """What the CSV tables need, read from the quads in one pass."""

    def __init__(self, quads: list[Quad]) -> None:
        self.members: dict[str, set[str]] = {}
        self.labels: dict[str, Labels] = {}
        self.classes: dict[str, set[str]] = {}
        self.paragraphs: dict[str, set[str]] = {}
        for s, p, o, g in quads:
            if not isinstance(s, URIRef):
                continue
            graph = str(g)
            if p == RDF.type:
                self.members.setdefault(str(o), set()).add(str(s))
                if graph != INFERRED:
                    self.classes.setdefault(str(s), set()).add(local_name(str(o)))
            elif p in _LABEL_KINDS and isinstance(o, Literal):
                self.labels.setdefault(str(s), Labels()).add(o, _LABEL_KINDS[p])
            if _REPORT_GRAPH.search(graph):
                number = paragraph_number(graph.replace("/graph/", "/x/"))
                self.paragraphs.setdefault(str(s), set()).add(number)
                if isinstance(o, URIRef):
                    self.paragraphs.setdefault(str(o), set()).add(number)
        for lab in self.labels.values():
            lab.finish()

    def table(self, class_iri: str) -> str:
        """CSV of the instances of a class (inferred types count): IRI, labels in en and zh,
        alternative labels, asserted classes, and the report paragraphs whose graphs name it."""
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(["iri", "label_en", "label_zh", "alt_labels", "classes", "paragraphs"])
        for iri in sorted(self.members.get(class_iri, ()), key=natural_key):
            lab = self.labels.get(iri, Labels())
            writer.writerow([iri, lab.pref.get("en", ""), lab.pref.get("zh", ""),
                             " | ".join(lab.alt), " ".join(sorted(self.classes.get(iri, ()))),
                             " ".join(sorted(self.paragraphs.get(iri, ()), key=network.para_key))])
        return buffer.getvalue()


_LABEL_KINDS = {SKOS.prefLabel: "pref", RDFS.label: "label", SKOS.altLabel: "alt"}
_REPORT_GRAPH = re.compile(r"/graph/(para|pp|op)/\d+$")


def to_dataset(quads: Iterable[Quad]) -> Dataset:
    ds = Dataset()
    for s, p, o, g in quads:
        ds.add((s, p, o, g))  # type: ignore[arg-type]
    return ds


def write_all(quads: list[Quad], directory: Path) -> list[DownloadFile]:
    """Write every download into ``directory`` and return their listing."""
    files: list[tuple[str, str, str, str, int | None]] = []
    ox_quads = [ox.Quad(*(to_oxigraph(t) for t in q)) for q in quads]
    ox.serialize(ox_quads, str(directory / "spacekg.nq"), format=ox.RdfFormat.N_QUADS)
    files.append(("spacekg.nq", "All named graphs (N-Quads)", "application/n-quads", "rdf",
                  len(quads)))
    ox.serialize(ox_quads, str(directory / "spacekg.trig"), format=ox.RdfFormat.TRIG,
                 prefixes=CONTEXT)
    files.append(("spacekg.trig", "All named graphs (TriG)", "application/trig", "rdf",
                  len(quads)))
    triples = sorted({q.triple for q in ox_quads}, key=str)
    ox.serialize(triples, str(directory / "spacekg-union.ttl"), format=ox.RdfFormat.TURTLE,
                 prefixes=CONTEXT)
    files.append(("spacekg-union.ttl", "Union of all graphs (Turtle)", "text/turtle", "rdf",
                  len(triples)))
    ds = to_dataset(quads)
    jsonld = json.loads(ds.serialize(format="json-ld", context=CONTEXT, auto_compact=False))
    (directory / "spacekg.jsonld").write_text(
        json.dumps(jsonld, ensure_ascii=False, indent=1), encoding="utf-8")
    files.append(("spacekg.jsonld", "All named graphs (JSON-LD, SpaceKG @context)",
                  "application/ld+json", "rdf", len(quads)))
    (directory / "context.jsonld").write_text(
        json.dumps({"@context": CONTEXT}, indent=2), encoding="utf-8")
    files.append(("context.jsonld", "JSON-LD @context of the dumps", "application/ld+json",
                  "context", None))

    nodes, edges = entity_graph(quads)
    entities = entity_nx(nodes, edges)
    nx.write_graphml(entities, directory / "spacekg-entities.graphml")
    files.append(("spacekg-entities.graphml",
                  f"Entity graph, {len(nodes)} nodes, {len(edges)} edges (GraphML)",
                  "application/graphml+xml", "graph", None))
    nx.write_gexf(entities, directory / "spacekg-entities.gexf")
    files.append(("spacekg-entities.gexf",
                  f"Entity graph, {len(nodes)} nodes, {len(edges)} edges (GEXF, for Gephi)",
                  "application/gexf+xml", "graph", None))
    net = network.partnership_network(quads)
    n_nodes, n_edges = len(net.nodes()), len(net.edges())
    partners = network.as_nx(net)
    nx.write_graphml(partners, directory / "spacekg-partnerships.graphml")
    files.append(("spacekg-partnerships.graphml",
                  f"Partnership network, {n_nodes} agents, {n_edges} weighted edges (GraphML)",
                  "application/graphml+xml", "graph", None))
    nx.write_gexf(partners, directory / "spacekg-partnerships.gexf")
    files.append(("spacekg-partnerships.gexf",
                  f"Partnership network, {n_nodes} agents, {n_edges} weighted edges "
                  "(GEXF, for Gephi)", "application/gexf+xml", "graph", None))
    (directory / "spacekg-partnerships.csv").write_text(network.partnerships_csv(net),
                                                        encoding="utf-8")
    files.append(("spacekg-partnerships.csv",
                  f"Table: Partnership, {len(net.partnerships)} partnerships with partners, "
                  "roles, kind, status, subjects and paragraphs (CSV)", "text/csv", "table", None))
    tables = TableIndex(quads)
    for stem, class_iri in CSV_CLASSES.items():
        name = f"spacekg-{stem}.csv"
        (directory / name).write_text(tables.table(class_iri), encoding="utf-8")
        files.append((name, f"Table: {local_name(class_iri)} (CSV)", "text/csv", "table",
                      None))

    listing = []
    for name, title, media_type, kind, triples in files:
        path = directory / name
        listing.append(DownloadFile(name, title, media_type, kind, path.stat().st_size,
                                    _sha256(path), triples))
    (directory / "manifest.json").write_text(
        json.dumps([asdict(f) for f in listing], indent=2, ensure_ascii=False), encoding="utf-8")
    return listing


def _sha256(path: Path) -> str:
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


class Downloads:
    """The download directory of one store generation, written on first use."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._lock = threading.Lock()

    def directory(self, store: Store) -> Path:
        return self.root / store.generation[:20]

    def listing(self, store: Store) -> list[DownloadFile]:
        """The files for the store's current data (written now if not there yet).

        Raises BuildError when the directory cannot be written.
        """
        target = self.directory(store)
        with self._lock:
            manifest = target / "manifest.json"
            if not manifest.is_file():
                self._write(store, target)
            data = json.loads(manifest.read_text(encoding="utf-8"))
        return [DownloadFile(**item) for item in data]

    def _write(self, store: Store, target: Path) -> None:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=self.root))
            try:
                write_all(served_quads(store), staging)
                try:
                    os.rename(staging, target)
                except OSError:
                    if not (target / "manifest.json").is_file():  # not another worker's copy
                        raise
            finally:
                shutil.rmtree(staging, ignore_errors=True)
        except OSError as exc:
            raise BuildError(f"cannot write the downloads to {self.root}: {exc}") from exc


# --------------------------------------------------------------------------- VoID / DCAT

def catalogue(listing: list[DownloadFile], *, base_url: str, endpoint: str,
              triples: int) -> Graph:
    """VoID + DCAT description of the dataset and every download (size, SHA-256)."""
    g = Graph()
    for prefix, ns in (("void", VOID), ("dcat", DCAT), ("dcterms", DCTERMS), ("spdx", SPDX)):
        g.bind(prefix, ns)
    g.add((DATASET, RDF.type, VOID.Dataset))
    g.add((DATASET, RDF.type, DCAT.Dataset))
    g.add((DATASET, DCTERMS.title, Literal("SpaceKG", lang="en")))
    g.add((DATASET, DCTERMS.description, Literal(
        "Knowledge graph of UN report A/AC.105/1294 (United Nations/China Workshop on Global "
        "Partnership in Space Exploration and Innovation, Haikou, 2022)", lang="en")))
    g.add((DATASET, DCTERMS.source, URIRef(BASE + "id/document/a-ac-105-1294")))
    describe_dataset(g, DATASET)
    g.add((DATASET, VOID.sparqlEndpoint, URIRef(endpoint)))
    g.add((DATASET, VOID.uriSpace, Literal(ENTITY_PREFIX)))
    g.add((DATASET, VOID.triples, Literal(triples, datatype=XSD.integer)))
    for item in listing:
        url = URIRef(f"{base_url}/{item.name}")
        dist = URIRef(f"{base_url}/{item.name}#distribution")
        g.add((DATASET, DCAT.distribution, dist))
        g.add((dist, RDF.type, DCAT.Distribution))
        g.add((dist, DCTERMS.title, Literal(item.title, lang="en")))
        g.add((dist, DCAT.downloadURL, url))
        g.add((dist, DCAT.mediaType,
               URIRef("https://www.iana.org/assignments/media-types/" + item.media_type)))
        g.add((dist, DCAT.byteSize, Literal(item.size, datatype=XSD.nonNegativeInteger)))
        g.add((dist, DCTERMS.license, LICENSE))
        checksum = BNode()
        g.add((dist, SPDX.checksum, checksum))
        g.add((checksum, RDF.type, SPDX.Checksum))
        g.add((checksum, SPDX.algorithm, SPDX.checksumAlgorithm_sha256))
        g.add((checksum, SPDX.checksumValue, Literal(item.sha256, datatype=XSD.hexBinary)))
        if item.kind == "rdf":
            g.add((DATASET, VOID.dataDump, url))
    return g
