"""Every IRI under the base dereferences: HTML for people, RDF by suffix, ``format`` or
Accept (q-values, wildcards, unknown types), 404 with help, and rdflib as a real client."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from rdflib import RDF, Dataset, Graph, Literal, URIRef
from rdflib.namespace import SKOS
from site_support import BASE, CNSA, PARA_19, make_app, report_quads, report_store, serve
from spacekg.errors import QueryError, UnknownResource
from spacekg.publish import linkeddata as ld
from spacekg.queryfiles import load

SKG = BASE + "ontology#"


# --------------------------------------------------------------------------- binding

def test_bind_replaces_the_values_row_with_validated_iris() -> None:
    text = ld.bind(load("ld-outgoing"), "this", [CNSA])
    assert f"VALUES ?this {{ <{CNSA}> }}" in text
    assert "agency/cnsa> }" in text and text.count("VALUES ?this") == 1


@pytest.mark.parametrize("bad", [
    "https://w3id.org/spacekg/id/x> } ?s ?p ?o {", "has space", 'quote"d:', "", "no-colon",
])
def test_bind_refuses_text_that_is_not_an_iri(bad: str) -> None:
    with pytest.raises(UnknownResource):
        ld.bind(load("ld-outgoing"), "this", [bad])


def test_bind_requires_the_values_block() -> None:
    with pytest.raises(QueryError):
        ld.bind("SELECT * WHERE { ?s ?p ?o }", "this", [CNSA])


# --------------------------------------------------------------------------- describe

def test_description_has_types_labels_and_both_directions() -> None:
    d = ld.describe(report_store(), CNSA)
    assert SKG + "SpaceAgency" in d.types
    assert d.label(CNSA, "en") == "China National Space Administration"
    assert d.label(CNSA, "zh") == "中国国家航天局"
    assert any(f.predicate == SKG + "country" for f in d.outgoing)
    assert any(f.predicate == SKG + "claimant" for f in d.incoming)
    # what it links to is named, not shown as an IRI
    assert d.label(BASE + "id/country/chn", "en") == "China"


def test_every_fact_from_a_paragraph_graph_quotes_that_paragraph() -> None:
    texts = {(str(s), o.language): str(o) for s, p, o, _ in report_quads() if p == RDF.value}
    d = ld.describe(report_store(), CNSA)
    quoted = [s for f in d.incoming + d.outgoing for s in f.paragraphs]
    assert quoted, "CNSA is named in paragraphs of the report"
    for source in quoted:
        assert source.graph.startswith(BASE + "graph/")
        assert source.text == texts[(source.paragraph, "zh")]  # the Chinese source
        assert source.text_en == texts[(source.paragraph, "en")]  # SpaceKG's rendering
        assert source.text_in("en") == source.text_en and source.text_in("zh") == source.text


def test_unknown_iri_raises_unknown_resource() -> None:
    with pytest.raises(UnknownResource):
        ld.describe(report_store(), BASE + "id/agency/no-such-agency")


def test_paragraph_graph_of_follows_the_naming_conventions() -> None:
    report = BASE + "id/document/a-ac-105-1294/"
    assert ld.paragraph_graph_of(report + "para/19") == BASE + "graph/para/19"
    assert ld.paragraph_graph_of(report + "annex/pp/3") == BASE + "graph/pp/3"
    assert ld.paragraph_graph_of(report + "annex/op/5") == BASE + "graph/op/5"
    assert ld.paragraph_graph_of(CNSA) is None


# --------------------------------------------------------------------------- formats

RDF_SUFFIXES = [
    (".ttl", "text/turtle", "turtle"),
    (".jsonld", "application/ld+json", "json-ld"),
    (".nt", "application/n-triples", "nt"),
    (".rdf", "application/rdf+xml", "xml"),
    (".trig", "application/trig", "trig"),
    (".nq", "application/n-quads", "nquads"),
]


def parse(body: bytes, fmt: str) -> Graph:
    if fmt in ("trig", "nquads"):
        ds = Dataset()
        ds.parse(data=body, format=fmt)
        union = Graph()
        for s, p, o, _ in ds.quads():
            union.add((s, p, o))
        return union
    return Graph().parse(data=body, format=fmt)


@pytest.mark.parametrize(("suffix", "media_type", "fmt"), RDF_SUFFIXES)
def test_suffix_selects_the_rdf_format(client: FlaskClient, suffix: str, media_type: str,
                                      fmt: str) -> None:
    response = client.get("/id/agency/cnsa" + suffix)
    assert response.status_code == 200
    assert response.mimetype == media_type
    graph = parse(response.data, fmt)
    cnsa = URIRef(CNSA)
    assert (cnsa, RDF.type, URIRef(SKG + "SpaceAgency")) in graph
    assert (cnsa, SKOS.prefLabel, Literal("中国国家航天局", lang="zh")) in graph
    # incoming links and the labels of linked resources come along
    assert any(graph.triples((None, URIRef(SKG + "claimant"), cnsa)))
    assert (URIRef(BASE + "id/country/chn"), None, Literal("China", lang="en")) in \
        {(s, None, o) for s, _, o in graph.triples((URIRef(BASE + "id/country/chn"), None, None))}


def test_quad_formats_keep_each_statement_in_its_graph(client: FlaskClient) -> None:
    ds = Dataset()
    ds.parse(data=client.get("/id/agency/cnsa.nq").data, format="nquads")
    graphs = {str(g) for _, _, _, g in ds.quads()}
    assert BASE + "graph/reference" in graphs
    assert any(g.startswith(BASE + "graph/para/") for g in graphs)


def test_html_suffix_gives_the_page(client: FlaskClient) -> None:
    response = client.get("/id/agency/cnsa.html", headers={"Accept": "text/turtle"})
    assert response.mimetype == "text/html"


ACCEPT_CASES = [
    (None, "text/html"),
    ("*/*", "text/html"),
    ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "text/html"),
    ("text/turtle", "text/turtle"),
    ("application/ld+json", "application/ld+json"),
    ("application/json", "application/ld+json"),
    ("application/n-triples", "application/n-triples"),
    ("application/rdf+xml", "application/rdf+xml"),
    ("application/trig", "application/trig"),
    ("application/n-quads", "application/n-quads"),
    ("application/ld+json;q=0.5, text/turtle;q=0.9", "text/turtle"),
    ("text/html;q=0.1, application/rdf+xml", "application/rdf+xml"),
    ("text/*", "text/html"),
    ("application/*", "application/ld+json"),
    ("*/*;q=0.1, text/turtle;q=0", "text/html"),
    ("application/x-unknown, */*;q=0.2", "text/html"),
]


@pytest.mark.parametrize(("accept", "expected"), ACCEPT_CASES)
def test_accept_header_negotiates(client: FlaskClient, accept: str | None, expected: str) -> None:
    headers = {"Accept": accept} if accept is not None else {}
    response = client.get("/id/agency/cnsa", headers=headers)
    assert response.status_code == 200
    assert response.mimetype == expected
    assert "Accept" in response.headers["Vary"]
    assert response.headers["Content-Location"].startswith("/id/agency/cnsa.")
    assert 'rel="alternate"' in response.headers["Link"]


@pytest.mark.parametrize("accept", ["application/x-unknown", "image/png", "text/turtle;q=0"])
def test_unacceptable_types_get_406(client: FlaskClient, accept: str) -> None:
    response = client.get("/id/agency/cnsa", headers={"Accept": accept})
    assert response.status_code == 406


@pytest.mark.parametrize(("param", "expected"), [
    ("turtle", "text/turtle"), ("ttl", "text/turtle"), ("jsonld", "application/ld+json"),
    ("rdfxml", "application/rdf+xml"), ("nt", "application/n-triples"), ("html", "text/html"),
])
def test_format_parameter_overrides_accept(client: FlaskClient, param: str,
                                           expected: str) -> None:
    response = client.get(f"/id/agency/cnsa?format={param}", headers={"Accept": "text/html"})
    assert response.mimetype == expected


def test_unknown_format_parameter_is_406(client: FlaskClient) -> None:
    assert client.get("/id/agency/cnsa?format=docx").status_code == 406


# --------------------------------------------------------------------------- 404

def test_unknown_iri_gives_a_helpful_html_404(client: FlaskClient) -> None:
    response = client.get("/id/agency/cnsaa", headers={"Accept": "text/html"})
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "https://w3id.org/spacekg/id/agency/cnsaa" in page
    assert "/search" in page


def test_unknown_iri_404_suggests_close_matches(client: FlaskClient) -> None:
    page = client.get("/id/mission/artemis", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert "/id/programme/artemis" in page or "/id/mission/artemis-1" in page


@pytest.mark.parametrize(("accept", "mimetype"), [
    ("text/turtle", "text/plain"), ("application/ld+json", "application/json"),
])
def test_unknown_iri_404_for_programs(client: FlaskClient, accept: str, mimetype: str) -> None:
    response = client.get("/id/agency/nope.ttl" if accept == "text/turtle" else "/id/agency/nope",
                          headers={"Accept": accept})
    assert response.status_code == 404
    assert response.mimetype == mimetype
    if mimetype == "application/json":
        assert json.loads(response.data)["error"]["status"] == 404


@pytest.mark.parametrize("path", ["/id/", "/id/%3Cscript%3E", "/graph/nope", "/id/a%20b"])
def test_malformed_or_empty_iris_are_404(client: FlaskClient, path: str) -> None:
    assert client.get(path).status_code == 404


# --------------------------------------------------------------------------- pages

def test_entity_page_quotes_the_source_paragraph_and_links_it(client: FlaskClient) -> None:
    page = client.get("/id/agency/cnsa", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "<h1 id=\"entity-title\">China National Space Administration</h1>" in page
    assert 'href="/id/document/a-ac-105-1294/para/11"' in page
    para_11 = next(str(o) for s, p, o, _ in report_quads()
                   if p == RDF.value and str(s).endswith("/para/11"))
    assert para_11[:40] in page
    assert ">China<" in page  # the country by name, not IRI


def test_accept_language_and_toggle_choose_the_label_language(client: FlaskClient) -> None:
    zh = client.get("/id/agency/cnsa", headers={"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"})
    assert '<h1 id="entity-title">中国国家航天局</h1>' in zh.get_data(as_text=True)
    en = client.get("/id/agency/cnsa?lang=en", headers={"Accept-Language": "zh-CN"})
    assert '<h1 id="entity-title">China National Space Administration</h1>' in \
        en.get_data(as_text=True)
    assert "lang=en" in en.headers["Set-Cookie"]
    again = client.get("/id/agency/cnsa", headers={"Accept-Language": "zh-CN"})
    assert '<h1 id="entity-title">China National Space Administration</h1>' in \
        again.get_data(as_text=True)


def test_paragraph_page_shows_text_and_its_facts(client: FlaskClient) -> None:
    page = client.get("/id/document/a-ac-105-1294/para/19").get_data(as_text=True)
    assert "一些国家空间机构介绍了空间探索战略" in page
    assert "/id/presentation/session-1a-cnes" in page
    assert "/id/agency/cnes" in page


def test_graph_iri_dereferences_to_its_statements(client: FlaskClient) -> None:
    html = client.get("/graph/para/19")
    assert html.status_code == 200 and html.mimetype == "text/html"
    ds = Dataset()
    ds.parse(data=client.get("/graph/para/19.trig").data, format="trig")
    expected = {(s, p, o) for s, p, o, g in report_quads() if str(g) == BASE + "graph/para/19"}
    got = {(s, p, o) for s, p, o, g in ds.quads() if str(g) == BASE + "graph/para/19"}
    assert got == expected
    assert (URIRef(PARA_19), RDF.type, URIRef(SKG + "Paragraph")) in got


# --------------------------------------------------------------------------- ontology, shapes

def test_ontology_html_documents_every_term(client: FlaskClient) -> None:
    page = client.get("/ontology", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert 'id="SpaceAgency"' in page and 'id="sourceParagraph"' in page
    assert "domain" in page and "range" in page


@pytest.mark.parametrize(("request_kwargs", "fmt"), [
    ({"path": "/ontology.ttl"}, "turtle"),
    ({"path": "/ontology.owl"}, "xml"),
    ({"path": "/ontology", "headers": {"Accept": "application/rdf+xml"}}, "xml"),
    ({"path": "/ontology", "headers": {"Accept": "application/ld+json"}}, "json-ld"),
    ({"path": "/ontology", "headers": {"Accept": "text/turtle"}}, "turtle"),
])
def test_ontology_rdf_by_negotiation(client: FlaskClient, request_kwargs: dict,
                                     fmt: str) -> None:
    response = client.get(request_kwargs["path"], headers=request_kwargs.get("headers", {}))
    assert response.status_code == 200
    graph = Graph().parse(data=response.data, format=fmt)
    ontology = URIRef(BASE + "ontology")
    assert (ontology, RDF.type, URIRef("http://www.w3.org/2002/07/owl#Ontology")) in graph
    assert (URIRef(SKG + "SpaceAgency"), None, None) in graph


def test_shapes_at_their_iri(client: FlaskClient) -> None:
    graph = Graph().parse(data=client.get("/shapes.ttl").data, format="turtle")
    assert any(graph.subjects(RDF.type, URIRef("http://www.w3.org/ns/shacl#NodeShape")))
    assert client.get("/shapes", headers={"Accept": "text/html"}).mimetype == "text/html"


TINY_ONTOLOGY = """@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix skg: <https://w3id.org/spacekg/ontology#> .
<https://w3id.org/spacekg/ontology> a owl:Ontology .
skg:SpaceAgency a owl:Class .
"""
TINY_SHAPES = """@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix skg: <https://w3id.org/spacekg/ontology#> .
<https://w3id.org/spacekg/shapes#AgencyShape> a sh:NodeShape ; sh:targetClass skg:SpaceAgency ;
  sh:property [ sh:path skos:prefLabel ; sh:minCount 1 ; sh:message "needs a label"@en ] .
"""
TINY_DATA = """@prefix skg: <https://w3id.org/spacekg/ontology#> .
GRAPH <https://w3id.org/spacekg/graph/reference> {
  <https://w3id.org/spacekg/id/agency/x> a skg:SpaceAgency .
}
"""


def test_latest_validation_report_is_a_resource(tmp_path: Path) -> None:
    from spacekg.build.dataset import Sources

    for name, text in (("o.ttl", TINY_ONTOLOGY), ("s.ttl", TINY_SHAPES), ("d.trig", TINY_DATA)):
        (tmp_path / name).write_text(text, encoding="utf-8")
    sources = Sources((tmp_path / "o.ttl",), (tmp_path / "s.ttl",), (tmp_path / "d.trig",))
    app = make_app(tmp_path, SHACL_SOURCES=sources)
    client = app.test_client()
    first = client.get("/validation/latest.ttl")  # computed now: the first request waits
    assert first.status_code == 200
    graph = Graph().parse(data=first.data, format="turtle")
    report = URIRef(BASE + "validation/latest")
    sh = "http://www.w3.org/ns/shacl#"
    assert (report, URIRef(sh + "conforms"), Literal(False)) in graph
    assert any(graph.objects(None, URIRef(sh + "focusNode")))
    page = client.get("/validation/latest", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert "needs a label" in page and "1 violation" in page


# --------------------------------------------------------------------------- live client

def test_rdflib_dereferences_the_live_server(app: Flask) -> None:
    with serve(app) as base:
        graph = Graph()
        graph.parse(base + "/id/agency/cnsa")
        cnsa = URIRef(CNSA)  # the host stands for the base: the IRIs are the dataset's
        assert (cnsa, RDF.type, URIRef(SKG + "SpaceAgency")) in graph
        assert (cnsa, SKOS.prefLabel, Literal("China National Space Administration", lang="en")) \
            in graph


@pytest.mark.parametrize(("short", "page"), [
    ("/para/36", "/id/document/a-ac-105-1294/para/36"),
    ("/p/7/", "/id/document/a-ac-105-1294/para/7"),
    ("/annex/op/2", "/id/document/a-ac-105-1294/annex/op/2"),
])
def test_a_short_address_of_a_report_part_leads_to_its_page(
        client: FlaskClient, short: str, page: str) -> None:
    response = client.get(short, headers={"Accept": "text/html"})
    assert response.status_code == 301 and response.headers["Location"].endswith(page)


def test_a_short_address_of_no_report_part_is_a_404_with_suggestions(
        client: FlaskClient) -> None:
    response = client.get("/para/99?lang=zh", headers={"Accept": "text/html"})
    assert response.status_code == 404
    assert "/para/99 处没有页面" in response.get_data(as_text=True)


def test_ontology_version_iri_leads_to_the_ontology(client: FlaskClient) -> None:
    version = next(str(o) for s, p, o, _ in report_quads()
                   if str(s) == BASE + "ontology" and str(p).endswith("#versionInfo"))
    response = client.get(f"/ontology/{version}.ttl")
    assert response.status_code == 303 and response.headers["Location"].endswith("/ontology.ttl")
    assert client.get("/ontology/9.9.9").status_code == 404


def test_graph_with_blank_nodes_has_a_page(client: FlaskClient) -> None:
    # the ontology graph holds OWL lists (blank nodes)
    response = client.get("/graph/ontology", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert "SpaceAgency" in response.get_data(as_text=True)


def test_entity_documents_have_etags_and_answer_304(client: FlaskClient) -> None:
    """Issue 14: an entity document carries an ETag; asking again with it gets 304."""
    for accept in ("text/turtle", "text/html"):
        first = client.get("/id/country/chn", headers={"Accept": accept})
        etag = first.headers["ETag"]
        again = client.get("/id/country/chn", headers={"Accept": accept, "If-None-Match": etag})
        assert again.status_code == 304 and again.data == b""
