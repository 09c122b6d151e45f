"""The home page (figures, browse, search box, example questions), browse by class, the
reader's language, the SPARQL page for browsers, and the vendored assets (no CDN)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from site_support import BASE, report_quads, report_store
from spacekg.publish import examples as example_module
from spacekg.publish import figures as figure_module
from spacekg.publish import language, statements
from spacekg.publish.linkeddata import describe

PACKAGE = Path(__file__).resolve().parents[1] / "server" / "spacekg"


@pytest.mark.parametrize(("explicit", "cookie", "header", "expected"), [
    (None, None, None, "en"),
    (None, None, "zh-CN,zh;q=0.9,en;q=0.8", "zh"),
    (None, None, "en-GB,en;q=0.9,zh;q=0.8", "en"),
    (None, None, "fr, zh;q=0.5", "zh"),
    (None, None, "zh;q=0.2, en;q=0.7", "en"),
    (None, None, "zh-Hans", "zh"),
    (None, "zh", "en", "zh"),
    ("en", "zh", "zh", "en"),
    ("xx", None, "zh", "zh"),
])
def test_choose_language(explicit: str | None, cookie: str | None, header: str | None,
                         expected: str) -> None:
    assert language.choose_language(explicit, cookie, header) == expected


def test_home_page_shows_figures_classes_and_examples(client: FlaskClient) -> None:
    page = client.get("/").get_data(as_text=True)
    total = len(report_quads())
    assert f"{total:,}" in page
    assert "/browse?class=https%3A//w3id.org/spacekg/ontology%23SpaceAgency" in page
    assert 'id="home-search"' in page
    examples = example_module.competency_questions()
    assert len(examples) >= 30
    for ex in examples:
        assert f'href="/sparql#example={ex.slug}"' in page


def test_home_page_figures_count_the_graphs() -> None:
    figures = {f.name: f for f in figure_module.graph_figures(report_store())}
    para = figures["report paragraphs (graph/para/N)"]
    assert para.graphs == 46
    assert para.triples == sum(1 for *_, g in report_quads() if "/graph/para/" in str(g))


def test_class_figures_count_distinct_instances() -> None:
    counts = {f.iri: f.count for f in figure_module.class_figures(report_store(), "en")}
    agencies = {str(s) for s, p, o, g in report_quads()
                if str(p).endswith("#type") and str(o) == BASE + "ontology#SpaceAgency"}
    assert counts[BASE + "ontology#SpaceAgency"] == len(agencies)


def test_competency_questions_carry_both_languages() -> None:
    for ex in example_module.competency_questions():
        assert ex.query.lstrip().upper().startswith(("PREFIX", "BASE", "SELECT", "ASK"))
        assert ex.question_en and ex.question_zh, ex.slug


def test_home_page_in_chinese(client: FlaskClient) -> None:
    page = client.get("/", headers={"Accept-Language": "zh"}).get_data(as_text=True)
    assert "按类浏览" in page and 'lang="zh-Hans"' in page


def test_browse_lists_classes_and_instances(client: FlaskClient) -> None:
    assert "Space Agency" in client.get("/browse").get_data(as_text=True)
    page = client.get("/browse", query_string={"class": BASE + "ontology#SpaceAgency"})
    text = page.get_data(as_text=True)
    assert 'href="/id/agency/cnsa"' in text and "China National Space Administration" in text


def test_browse_rejects_text_that_is_no_iri(client: FlaskClient) -> None:
    assert client.get("/browse", query_string={"class": "x> } ?s"}).status_code == 404


def test_group_facts_uses_labels_not_iris() -> None:
    d = describe(report_store(), BASE + "id/mission/change-7")
    groups = statements.group_facts(d, d.outgoing, "en", skip=statements.HEADER_PROPERTIES)
    labels = [g.label for g in groups]
    assert labels == sorted(labels, key=str.casefold)
    assert not any(label.startswith("http") for label in labels)


def test_sparql_page_for_browsers_only(client: FlaskClient) -> None:
    html = client.get("/sparql", headers={"Accept": "text/html,*/*;q=0.8"})
    assert html.mimetype == "text/html"
    text = html.get_data(as_text=True)
    assert "vendor/yasgui/yasgui.min.js" in text and "examples-data" in text
    assert '"skg": "https://w3id.org/spacekg/ontology#"' in text
    # protocol clients still get the service description and answers
    assert client.get("/sparql", headers={"Accept": "text/turtle"}).mimetype == "text/turtle"
    assert client.get("/sparql", headers={"Accept": "*/*"}).mimetype != "text/html"
    answer = client.get("/sparql", query_string={"query": "ASK {}"},
                        headers={"Accept": "text/html,*/*;q=0.8"})
    assert answer.mimetype != "text/html"


def test_vendored_assets_are_served_and_documented(client: FlaskClient) -> None:
    vendor = PACKAGE / "static" / "vendor"
    notes = (vendor / "VENDOR.md").read_text(encoding="utf-8")
    for package, path in (("@zazuko/yasgui", "yasgui/yasgui.min.js"),
                          ("cytoscape", "cytoscape/cytoscape.min.js")):
        assert package in notes and "MIT" in notes
        with client.get("/static/vendor/" + path) as response:
            assert response.status_code == 200 and len(response.data) > 10_000


def test_no_page_loads_anything_from_elsewhere() -> None:
    remote = re.compile(r"""(src|href)=["'](https?:)?//""")
    for template in (PACKAGE / "templates").glob("*.html"):
        text = template.read_text(encoding="utf-8")
        for match in remote.finditer(text):
            line = text[: match.start()].count("\n") + 1
            pytest.fail(f"{template.name}:{line} loads a remote resource")
    for script in (PACKAGE / "static").glob("*.js"):
        assert "cdn" not in script.read_text(encoding="utf-8").lower()


def test_a_fact_is_shown_under_the_sentence_the_data_names_for_it() -> None:
    """The Chang'e-6 payload partnership: its statements sit under ¶36 sentence 3 (the
    selection), not under the paragraph's opening sentence."""
    d = describe(report_store(), BASE + "id/partnership/change-6-pakistan-cubesat")
    evidence, _, _ = statements.evidence_by_paragraph(d, "zh")
    [para_36] = [e for e in evidence if e.source.number == "36"]
    cited = {s.iri for g in para_36.groups for s in g.sentences}
    assert cited == {BASE + "id/document/a-ac-105-1294/para/36/sentence/3"}
    status = [g for g in para_36.groups for f in g.outgoing
              if f.predicate.endswith("#partnershipStatus")]
    assert status and "已入选" not in status[0].sentences[0].zh  # the word is a status label
    assert "有四个项目入选" in status[0].sentences[0].zh


def test_each_sentence_is_shown_once_on_an_entity_page() -> None:
    d = describe(report_store(), BASE + "id/agency/cnsa")
    evidence, _, _ = statements.evidence_by_paragraph(d, "en")
    shown = [s.iri for e in evidence for g in e.groups for s in g.sentences]
    assert shown and len(shown) == len(set(shown))


def test_inferred_facts_are_kept_apart_from_stated_ones() -> None:
    from rdflib import Literal, URIRef
    from spacekg.stores.oxigraph import OxigraphStore

    store = OxigraphStore()
    x, y = URIRef(BASE + "id/agency/x"), URIRef(BASE + "id/mission/y")
    para = URIRef(BASE + "id/document/a-ac-105-1294/para/1")
    rdf_type = URIRef("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
    store.load([
        (y, URIRef(BASE + "ontology#operatedBy"), x, BASE + "graph/para/1"),
        (para, rdf_type, URIRef(BASE + "ontology#Paragraph"), BASE + "graph/para/1"),
        (para, URIRef("http://www.w3.org/1999/02/22-rdf-syntax-ns#value"),
         Literal("甲运营乙。", lang="zh"), BASE + "graph/para/1"),
        (x, URIRef(BASE + "ontology#operates"), y, BASE + "graph/inferred"),
    ])
    d = describe(store, str(x))
    stated = statements.group_facts(d, d.incoming, "en", inferred=False)
    inferred = statements.group_facts(d, d.outgoing, "en", inferred=True)
    assert [g.predicate for g in stated] == [BASE + "ontology#operatedBy"]
    assert stated[0].facts[0].paragraphs[0].text == "甲运营乙。"
    assert [g.predicate for g in inferred] == [BASE + "ontology#operates"]
    assert statements.group_facts(d, d.outgoing, "en", inferred=False) == []


def test_natural_order_of_paragraphs() -> None:
    names = ["Paragraph 36", "Paragraph 7", "Paragraph 17"]
    assert sorted(names, key=language.natural_key) == [
        "Paragraph 7", "Paragraph 17", "Paragraph 36"]


def test_chinese_numerals_order_by_value() -> None:
    """Artemis I–IV in Chinese sort 一, 二, 三, 四 (not by code point: 一, 三, 二, 四)."""
    names = ["阿尔忒弥斯四号", "阿尔忒弥斯三号", "阿尔忒弥斯一号", "阿尔忒弥斯二号",
             "嫦娥十号", "嫦娥八号"]
    assert sorted(names, key=language.natural_key) == [
        "嫦娥八号", "嫦娥十号",
        "阿尔忒弥斯一号", "阿尔忒弥斯二号", "阿尔忒弥斯三号", "阿尔忒弥斯四号"]
    sessions = ["第十二场", "第二场", "第十场"]
    assert sorted(sessions, key=language.natural_key) == ["第二场", "第十场", "第十二场"]


def test_browse_by_class_names_each_class_once() -> None:
    figures = figure_module.class_figures(report_store(), "en")
    names = [f.label for f in figures]
    assert len(names) == len(set(names)), sorted(n for n in names if names.count(n) > 1)
    assert all(f.iri.startswith(BASE + "ontology#") for f in figures)


# --------------------------------------------------------------------------- issue 14

HTML_ACCEPT = {"Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8"}


def test_any_unknown_path_gets_the_styled_404_in_a_browser(client: FlaskClient) -> None:
    page = client.get("/foo/bar", headers=HTML_ACCEPT)
    assert page.status_code == 404
    assert page.content_type.startswith("text/html")
    assert 'class="brand"' in page.get_data(as_text=True)  # the site's layout, not Werkzeug's
    program = client.get("/foo/bar", headers={"Accept": "application/json"})
    assert program.status_code == 404 and program.is_json


@pytest.mark.parametrize("path", ["/id/country/chn/", "/id/Country/CHN", "/id/COUNTRY/chn/"])
def test_trailing_slash_or_capitals_on_an_entity_redirect(client: FlaskClient, path: str) -> None:
    response = client.get(path + "?lang=zh", headers=HTML_ACCEPT)
    assert response.status_code == 301
    assert response.headers["Location"].endswith("/id/country/chn?lang=zh")


def test_an_unknown_entity_with_a_slash_still_explains(client: FlaskClient) -> None:
    response = client.get("/id/country/atlantis/", headers=HTML_ACCEPT)
    assert response.status_code == 404
    assert "atlantis" in response.get_data(as_text=True)


def test_home_page_has_map_data_and_participation_figures(client: FlaskClient) -> None:
    html = client.get("/?lang=en").get_data(as_text=True)
    data = re.search(r'<script type="application/json" class="map-data">(.*?)</script>', html)
    assert data is not None
    assert data.group(1).count('"represented"') == 82
    assert html.count('class="bar-row') == 9
    assert "≥ 200" in html
    assert "/id/document/a-ac-105-1294/para/8" in html


def test_map_roles_count_partners_by_any_role(client: FlaskClient) -> None:
    """France provides a Chang'e-6 payload as a contributing partner: both roles are on the
    map, the payload first (it colours the country); Peru hosts an APOSOS telescope."""
    html = client.get("/?lang=en").get_data(as_text=True)
    found = re.search(r'<script type="application/json" class="map-data">(.*?)</script>', html)
    assert found is not None
    roles = {c["m49"]: c["roles"] for c in json.loads(found.group(1))}
    assert roles["250"][:2] == ["payload", "partner"]  # France
    assert roles["604"][:2] == ["observation", "partner"]  # Peru
    assert roles["156"][0] != "represented" and "partner" in roles["156"]  # China


def test_programme_page_lists_every_presentation(client: FlaskClient) -> None:
    html = client.get("/programme?lang=zh").get_data(as_text=True)
    assert html.count('class="presentation"') == 55
    assert html.index('id="opening"') < html.index('id="1a"') < html.index('id="closing"')


def test_class_counts_agree_with_the_browse_pages(client: FlaskClient) -> None:
    """The number next to each class on the home page is the number its browse page lists."""
    html = client.get("/?lang=en").get_data(as_text=True)
    found = re.findall(
        r'<a href="/browse\?class=([^"]+)">[^<]*</a> <span class="count">(\d+)</span>', html)
    assert len(found) >= 10
    for quoted, count in found[:12]:
        page = client.get(f"/browse?class={quoted}&lang=en").get_data(as_text=True)
        listed = len(re.findall(r'<li class="browse-item', page))
        assert listed == int(count), quoted
