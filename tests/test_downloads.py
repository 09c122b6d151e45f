"""Downloads: every dump parses back to the quads the store serves; sizes and SHA-256 are
true; VoID/DCAT describe them; GraphML and GEXF open in networkx with the node and edge
counts computed here from the data; the CSV tables list the instances of their class."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path

import networkx as nx
import pytest
from flask import Flask
from flask.testing import FlaskClient
from rdflib import RDF, XSD, BNode, Dataset, Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCAT, RDFS, VOID
from site_support import BASE, report_quads
from spacekg.publish.downloads import CONTEXT

SPDX = "http://spdx.org/rdf/terms#"
INFERRED = BASE + "graph/inferred"
ONTOLOGY = BASE + "graph/ontology"


@pytest.fixture(scope="module")
def listing(app: Flask) -> dict[str, dict]:
    with app.test_client() as client:
        data = client.get("/download", headers={"Accept": "text/html"})
        assert data.status_code == 200
    directory = Path(app.config["DOWNLOAD_DIR"])
    manifest = next(directory.glob("*/manifest.json"))
    return {item["name"]: item for item in json.loads(manifest.read_text(encoding="utf-8"))}


def fetch(client: FlaskClient, name: str) -> bytes:
    with client.get(f"/download/{name}") as response:
        assert response.status_code == 200, name
        return response.data


def graphs_of(quads: Iterator) -> dict[str, Graph]:
    out: dict[str, Graph] = {}
    for s, p, o, g in quads:
        out.setdefault(str(g.identifier if isinstance(g, Graph) else g), Graph()).add((s, p, o))
    return out


def same_graph(a: Graph, b: Graph) -> bool:
    """Equal triples; blank nodes (OWL lists in the ontology) compared up to renaming."""
    if not any(isinstance(t, BNode) for triple in b for t in triple):
        return set(a) == set(b)
    return isomorphic(a, b)


def expected_graphs() -> dict[str, Graph]:
    return graphs_of(iter(report_quads()))


def test_listing_names_every_download(listing: dict[str, dict]) -> None:
    names = set(listing)
    assert {"spacekg.trig", "spacekg.nq", "spacekg-union.ttl", "spacekg.jsonld",
            "spacekg-entities.graphml", "spacekg-entities.gexf", "context.jsonld",
            "spacekg-partnerships.graphml", "spacekg-partnerships.gexf",
            "spacekg-partnerships.csv"} <= names
    assert {"spacekg-space-agencies.csv", "spacekg-missions.csv", "spacekg-paragraphs.csv"} <= names


def test_sizes_and_sha256_are_those_of_the_served_bytes(client: FlaskClient,
                                                        listing: dict[str, dict]) -> None:
    for name, item in listing.items():
        body = fetch(client, name)
        assert len(body) == item["size"], name
        assert hashlib.sha256(body).hexdigest() == item["sha256"], name


@pytest.mark.parametrize(("name", "fmt"), [
    ("spacekg.trig", "trig"), ("spacekg.nq", "nquads"), ("spacekg.jsonld", "json-ld"),
])
def test_dataset_dumps_parse_back_to_the_same_quads(client: FlaskClient, name: str,
                                                    fmt: str) -> None:
    ds = Dataset()
    ds.parse(data=fetch(client, name), format=fmt)
    got = {g: graph for g, graph in graphs_of(ds.quads()).items() if len(graph)}
    expected = expected_graphs()
    assert set(got) == set(expected)
    for iri, graph in expected.items():
        assert len(got[iri]) == len(graph), iri
        assert same_graph(got[iri], graph), iri


def test_turtle_dump_is_the_union(client: FlaskClient) -> None:
    got = Graph().parse(data=fetch(client, "spacekg-union.ttl"), format="turtle")
    union = Graph()
    for s, p, o, _ in report_quads():
        union.add((s, p, o))
    assert len(got) == len(union)
    assert same_graph(got, union)


def test_jsonld_dump_uses_the_published_context(client: FlaskClient) -> None:
    dump = json.loads(fetch(client, "spacekg.jsonld"))
    published = json.loads(fetch(client, "context.jsonld"))
    assert dump["@context"] == published["@context"] == CONTEXT
    served = client.get("/download/context.jsonld")
    assert served.mimetype == "application/ld+json"


def entity_graph_from_data() -> tuple[set[str], set[tuple[str, str, str]]]:
    """The entity graph as documented: asserted links between resources under id/."""
    prefix = BASE + "id/"
    edges = {(str(s), str(p), str(o)) for s, p, o, g in report_quads()
             if str(g) not in (INFERRED, ONTOLOGY) and p != RDF.type
             and isinstance(o, URIRef) and str(s).startswith(prefix)
             and str(o).startswith(prefix)}
    nodes = {e[0] for e in edges} | {e[2] for e in edges}
    return nodes, edges


def test_graphml_opens_in_networkx_with_the_expected_counts(client: FlaskClient) -> None:
    nodes, edges = entity_graph_from_data()
    graph = nx.read_graphml(io.BytesIO(fetch(client, "spacekg-entities.graphml")))
    assert graph.number_of_nodes() == len(nodes)
    assert graph.number_of_edges() == len(edges)
    assert graph.is_directed()
    cnsa = graph.nodes[BASE + "id/agency/cnsa"]
    assert cnsa["label"] == "China National Space Administration"
    assert cnsa["label_zh"] == "中国国家航天局"
    predicates = {d["predicate"] for _, _, d in graph.edges(data=True)}
    assert str(RDF.type) not in predicates


def test_gexf_opens_in_networkx_with_the_expected_counts(client: FlaskClient) -> None:
    nodes, edges = entity_graph_from_data()
    graph = nx.read_gexf(io.BytesIO(fetch(client, "spacekg-entities.gexf")))
    assert graph.number_of_nodes() == len(nodes)
    assert graph.number_of_edges() == len(edges)


def partnerships_from_data() -> dict[str, dict[str, set[str]]]:
    """Partnership IRI → partners (skg:partner or any sub-property the ontology declares) and
    source paragraph IRIs, read straight from the data."""
    skg = BASE + "ontology#"
    partner_props = {skg + "partner"} | {
        str(s) for s, p, o, g in report_quads()
        if p == RDFS.subPropertyOf and str(o) == skg + "partner"}
    typed = {str(s) for s, p, o, _ in report_quads()
             if p == RDF.type and str(o) == skg + "Partnership"}
    out: dict[str, dict[str, set[str]]] = {iri: {"partners": set(), "paragraphs": set()}
                                           for iri in typed}
    for s, p, o, _ in report_quads():
        if str(s) in out and str(p) in partner_props:
            out[str(s)]["partners"].add(str(o))
        elif str(s) in out and str(p) == skg + "sourceParagraph":
            out[str(s)]["paragraphs"].add(str(o))
    return out


@pytest.mark.parametrize("name,read", [("spacekg-partnerships.graphml", nx.read_graphml),
                                       ("spacekg-partnerships.gexf", nx.read_gexf)])
def test_partnership_network_opens_in_networkx_weighted_by_shared_partnerships(
        client: FlaskClient, name: str, read) -> None:
    data = partnerships_from_data()
    assert len(data) >= 15
    pairs: dict[frozenset[str], set[str]] = {}
    for iri, item in data.items():
        partners = sorted(item["partners"])
        for i, a in enumerate(partners):
            for b in partners[i + 1:]:
                pairs.setdefault(frozenset((a, b)), set()).add(iri)
    graph = read(io.BytesIO(fetch(client, name)))
    assert not graph.is_directed()
    assert set(graph.nodes) == {a for item in data.values() for a in item["partners"]}
    assert {frozenset(e) for e in graph.edges} == set(pairs)
    for a, b, attrs in graph.edges(data=True):
        shared = pairs[frozenset((a, b))]
        assert float(attrs["weight"]) == len(shared)
        assert set(attrs["partnerships"].split()) == shared
        stated = {n.rsplit("/", 1)[-1] for iri in shared for n in data[iri]["paragraphs"]}
        assert {n.lstrip("PO") for n in attrs["paragraphs"].split()} == stated
        # each partnership by its stored name in both languages, not by an IRI tail
        for key, script in (("partnership_labels", "partnership"),
                            ("partnership_labels_zh", "伙伴关系")):
            names = attrs[key].split(" | ")
            assert len(names) == len(shared) and all(script in n for n in names), names
    cnsa = graph.nodes[BASE + "id/agency/cnsa"]
    assert cnsa["label"] == "China National Space Administration"
    assert cnsa["label_zh"] == "中国国家航天局"
    assert "SpaceAgency" in cnsa["class"].split(";")


def test_partnerships_csv_has_one_row_per_partnership(client: FlaskClient) -> None:
    data = partnerships_from_data()
    rows = list(csv.DictReader(io.StringIO(fetch(client, "spacekg-partnerships.csv")
                                           .decode("utf-8"))))
    assert {r["iri"] for r in rows} == set(data)
    for row in rows:
        assert set(row["partner_iris"].split()) == data[row["iri"]]["partners"]
        assert row["kind"], row["iri"]
        assert len(row["roles"].split()) == len(row["partner_iris"].split())
        assert "partnership" in row["label_en"] and "伙伴关系" in row["label_zh"], row["iri"]


def test_csv_table_lists_the_instances_of_its_class(client: FlaskClient) -> None:
    rows = list(csv.DictReader(io.StringIO(fetch(client, "spacekg-space-agencies.csv")
                                          .decode("utf-8"))))
    agencies = {str(s) for s, p, o, _ in report_quads()
                if p == RDF.type and str(o) == BASE + "ontology#SpaceAgency"}
    assert {r["iri"] for r in rows} == agencies
    cnsa = next(r for r in rows if r["iri"] == BASE + "id/agency/cnsa")
    assert cnsa["label_en"] == "China National Space Administration"
    assert cnsa["label_zh"] == "中国国家航天局"
    assert "CNSA" in cnsa["alt_labels"].split(" | ")
    assert "11" in cnsa["paragraphs"].split()


def test_void_and_dcat_describe_every_file(client: FlaskClient,
                                           listing: dict[str, dict]) -> None:
    response = client.get("/download", headers={"Accept": "text/turtle"})
    assert response.mimetype == "text/turtle"
    graph = Graph().parse(data=response.data, format="turtle")
    dataset = URIRef(BASE + "id/dataset/spacekg")
    assert (dataset, RDF.type, VOID.Dataset) in graph
    assert (dataset, RDF.type, DCAT.Dataset) in graph
    distributions = list(graph.objects(dataset, DCAT.distribution))
    assert len(distributions) == len(listing)
    for dist in distributions:
        url = str(graph.value(dist, DCAT.downloadURL))
        item = listing[url.rsplit("/", 1)[1]]
        assert graph.value(dist, DCAT.byteSize) == Literal(item["size"],
                                                           datatype=XSD.nonNegativeInteger)
        checksum = graph.value(dist, URIRef(SPDX + "checksum"))
        assert str(graph.value(checksum, URIRef(SPDX + "checksumValue"))) == item["sha256"]
    dumps = {str(u).rsplit("/", 1)[1] for u in graph.objects(dataset, VOID.dataDump)}
    assert dumps == {"spacekg.trig", "spacekg.nq", "spacekg-union.ttl", "spacekg.jsonld"}
    assert graph.value(dataset, VOID.sparqlEndpoint) is not None


def test_download_page_shows_sizes_and_hashes(client: FlaskClient,
                                              listing: dict[str, dict]) -> None:
    page = client.get("/download").get_data(as_text=True)
    for item in listing.values():
        assert item["sha256"] in page and f'/download/{item["name"]}' in page


def test_file_response_carries_its_digest(client: FlaskClient, listing: dict[str, dict]) -> None:
    with client.get("/download/spacekg.nq") as response:
        assert response.mimetype == "application/n-quads"
        assert response.headers["X-Content-SHA256"] == listing["spacekg.nq"]["sha256"]
        assert response.headers["Digest"].startswith("sha-256=")


@pytest.mark.parametrize("name", ["nope.ttl", "..%2Fmanifest.json", "manifest.json"])
def test_unknown_downloads_are_404(client: FlaskClient, name: str) -> None:
    assert client.get(f"/download/{name}").status_code == 404


def test_catalogue_unacceptable_type_is_406(client: FlaskClient) -> None:
    assert client.get("/download", headers={"Accept": "image/png"}).status_code == 406


def test_dataset_iri_leads_to_its_catalogue(client: FlaskClient) -> None:
    response = client.get("/id/dataset/spacekg.ttl")
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/download?format=turtle")
    assert client.get("/id/dataset/spacekg").headers["Location"].endswith("/download")


# --------------------------------------------------------------------------- issue 14

def test_downloads_are_attachments_with_gzip_variants_and_sums(client: FlaskClient) -> None:
    import gzip

    with client.get("/download/spacekg.nq") as response:
        assert response.headers["Content-Disposition"].startswith("attachment")
        plain = response.data
    with client.get("/download/spacekg.nq.gz") as response:
        assert response.status_code == 200
        assert response.headers["Content-Disposition"] == "attachment; filename=spacekg.nq.gz"
        packed = response.data
    assert gzip.decompress(packed) == plain
    sums = fetch(client, "SHA256SUMS").decode()
    table = {name: digest for digest, name in (line.split("  ", 1) for line in sums.splitlines())}
    assert table["spacekg.nq"] == hashlib.sha256(plain).hexdigest()
    assert table["spacekg.nq.gz"] == hashlib.sha256(packed).hexdigest()
    with client.get("/download/nothing.gz") as response:
        assert response.status_code == 404


def test_download_page_shows_human_sizes(client: FlaskClient) -> None:
    html = client.get("/download", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert " kB</span>" in html and "SHA256SUMS" in html and ".gz" in html


def test_csv_rows_in_natural_order(client: FlaskClient) -> None:
    rows = list(csv.reader(io.StringIO(
        fetch(client, "spacekg-paragraphs.csv").decode())))[1:]
    numbers = [int(r[0].rsplit("/", 1)[1]) for r in rows if "/para/" in r[0]]
    assert numbers == sorted(numbers) and len(numbers) == 46


def test_graph_files_declare_types_gephi_reads(client: FlaskClient) -> None:
    """Gephi sizes edges by a numeric ``weight`` and names nodes by the GEXF ``label``."""
    graphml = fetch(client, "spacekg-partnerships.graphml").decode("utf-8")
    assert re.search(r'<key [^>]*attr\.name="weight" attr\.type="double"', graphml)
    gexf = nx.read_gexf(io.BytesIO(fetch(client, "spacekg-entities.gexf")))
    assert gexf.nodes[BASE + "id/agency/cnsa"]["label"] == "China National Space Administration"
    assert {d["label"] for _, _, d in gexf.edges(data=True)} >= {"partnershipSubject"}
