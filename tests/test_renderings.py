"""English renderings (issue 13): every Chinese statement text has SpaceKG's English beside
it, and everything that describes the dataset says the English is SpaceKG's, not the UN's."""

from __future__ import annotations

import re
from collections import defaultdict

import pytest
from rdflib import RDF, RDFS, SKOS, Dataset, Literal, URIRef
from rdflib.namespace import DCTERMS
from spacekg.namespaces import ONTOLOGY_GRAPH, SKG
from spacekg.publish.language import split_languages
from spacekg.publish.licence import LICENSE, RENDERING_NOTE, un_document_url

#: Names, not statements: their languages are checked by test_labels and the shapes.
LABELS = {RDFS.label, SKOS.prefLabel, SKOS.altLabel, SKOS.hiddenLabel, SKOS.definition,
          SKOS.editorialNote, SKOS.scopeNote, RDFS.comment}


def _data_graphs(ds: Dataset) -> list:  # noqa: ANN401
    return [g for g in ds.graphs() if g.identifier != ONTOLOGY_GRAPH]


def _languages_by_statement(ds: Dataset) -> dict[tuple, set[str]]:
    found: dict[tuple, set[str]] = defaultdict(set)
    for graph in _data_graphs(ds):
        for s, p, o in graph:
            if isinstance(o, Literal) and o.language and p not in LABELS:
                found[(graph.identifier, s, p)].add(o.language[:2])
    return found


def test_every_chinese_statement_text_has_an_english_rendering(asserted: Dataset) -> None:
    found = _languages_by_statement(asserted)
    chinese = [k for k, langs in found.items() if "zh" in langs]
    assert len(chinese) > 400  # paragraph texts, claims, summaries, aims, clause texts…
    missing = sorted(f"{g} {s} {p}" for (g, s, p), langs in found.items()
                     if "zh" in langs and "en" not in langs)
    assert not missing, f"{len(missing)} Chinese statement texts without English:\n" + \
        "\n".join(missing[:40])


def test_each_chinese_literal_has_as_many_english_ones(asserted: Dataset) -> None:
    """Two Chinese summaries of one presentation get two English ones, not one."""
    counts: dict[tuple, dict[str, int]] = defaultdict(lambda: {"zh": 0, "en": 0})
    for graph in _data_graphs(asserted):
        for s, p, o in graph:
            if isinstance(o, Literal) and (o.language or "")[:2] in ("zh", "en") \
                    and p not in LABELS:
                counts[(graph.identifier, s, p)][o.language[:2]] += 1
    uneven = sorted(f"{k[1]} {k[2]}: {v}" for k, v in counts.items() if v["zh"] != v["en"])
    assert not uneven, "\n".join(uneven[:40])


def test_every_statement_text_property_says_its_english_is_spacekgs(asserted: Dataset) -> None:
    ontology = asserted.graph(ONTOLOGY_GRAPH)
    marked = {p for p, o in ontology.subject_objects(SKG.englishRenderedBySpaceKG)
              if o.toPython() is True}
    used = {p for (_, _, p), langs in _languages_by_statement(asserted).items()
            if "zh" in langs}
    assert {RDF.value, DCTERMS.title, DCTERMS.description} <= used
    assert not used - marked, sorted(str(p) for p in used - marked)


def test_the_ontology_header_states_licence_source_and_rendering(asserted: Dataset) -> None:
    ontology = asserted.graph(ONTOLOGY_GRAPH)
    header = URIRef("https://w3id.org/spacekg/ontology")
    assert (header, DCTERMS.license, LICENSE) in ontology
    assert (header, DCTERMS.source, URIRef(un_document_url())) in ontology
    notes = {str(n) for n in ontology.objects(header, SKOS.editorialNote)}
    assert any("SpaceKG's own English rendering" in n for n in notes)


@pytest.mark.parametrize(("lang", "shown", "aside"), [
    ("en", ["the text"], ["原文"]),
    ("zh", ["原文"], ["the text"]),
])
def test_the_other_language_is_set_aside_only_when_the_page_language_is_there(
        lang: str, shown: list[str], aside: list[str]) -> None:
    values = [Literal("原文", lang="zh"), Literal("the text", lang="en"), URIRef("urn:x")]
    got_shown, got_aside = split_languages(values, lang)
    assert [str(v) for v in got_aside] == aside
    assert [str(v) for v in got_shown if isinstance(v, Literal)] == shown
    assert URIRef("urn:x") in got_shown
    lone = [Literal("只有中文", lang="zh")]
    assert split_languages(lone, "en") == (lone, [])


def test_rendering_note_exists_in_both_languages() -> None:
    assert "SpaceKG" in RENDERING_NOTE["en"] and "Chinese edition" in RENDERING_NOTE["en"]
    assert "SpaceKG" in RENDERING_NOTE["zh"] and "中文本" in RENDERING_NOTE["zh"]


def test_paragraph_types_are_all_rendered(asserted: Dataset) -> None:
    """The shapes require it too; this names the paragraphs plainly when it fails."""
    paragraphs = {s for g in _data_graphs(asserted)
                  for s in g.subjects(RDF.type, SKG.Paragraph)}
    assert len(paragraphs) == 46
    for para in paragraphs:
        langs = {o.language for g in _data_graphs(asserted) for o in g.objects(para, RDF.value)}
        assert langs == {"zh", "en"}, para


# --- on the pages ---------------------------------------------------------------------------


from flask.testing import FlaskClient  # noqa: E402
from site_support import BASE  # noqa: E402

PARA_19 = "/id/document/a-ac-105-1294/para/19"


def _page(client: FlaskClient, path: str, lang: str) -> str:
    response = client.get(path, query_string={"lang": lang})
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


def test_english_paragraph_page_shows_the_rendering_and_keeps_the_chinese_a_click_away(
        client: FlaskClient) -> None:
    page = _page(client, PARA_19, "en")
    assert 'id="paragraph-text"' in page and "Several national space agencies" in page
    assert "English rendering by SpaceKG of the Chinese edition" in page
    other = page.split('id="paragraph-other"', 1)[1]
    assert "<summary>Chinese original</summary>" in other
    assert "一些国家空间机构介绍了空间探索战略" in other


def test_chinese_paragraph_page_shows_the_source_and_the_english_a_click_away(
        client: FlaskClient) -> None:
    page = _page(client, PARA_19, "zh")
    main = page.split('id="paragraph-text"', 1)[1].split("</blockquote>", 1)[0]
    assert "一些国家空间机构介绍了空间探索战略" in main and "Several" not in main
    other = page.split('id="paragraph-other"', 1)[1]
    assert "<summary>英文译文</summary>" in other and "Several national space agencies" in other


def test_entity_page_quotes_in_the_reader_language(client: FlaskClient) -> None:
    en = _page(client, "/id/agency/cnsa", "en")
    assert "CNSA presented the rules for the management" in en  # ¶36 in English
    assert "Chinese original" in en
    zh = _page(client, "/id/agency/cnsa", "zh")
    assert "中国航天局介绍了中国月球样品和科学数据方面国际合作的管理规则" in zh
    assert "英文译文" in zh


@pytest.mark.parametrize(("path", "prev", "next_"), [
    ("/id/document/a-ac-105-1294/para/1", None, "/id/document/a-ac-105-1294/para/2"),
    (PARA_19, "/id/document/a-ac-105-1294/para/18", "/id/document/a-ac-105-1294/para/20"),
    ("/id/document/a-ac-105-1294/para/46", "/id/document/a-ac-105-1294/para/45",
     "/id/document/a-ac-105-1294/annex/pp/1"),
    ("/id/document/a-ac-105-1294/annex/pp/11", "/id/document/a-ac-105-1294/annex/pp/10",
     "/id/document/a-ac-105-1294/annex/op/1"),
    ("/id/document/a-ac-105-1294/annex/op/7", "/id/document/a-ac-105-1294/annex/op/6", None),
])
def test_paragraphs_and_clauses_link_to_their_neighbours(client: FlaskClient, path: str,
                                                         prev: str | None,
                                                         next_: str | None) -> None:
    page = _page(client, path, "en")
    assert (f'rel="prev" id="prev-part" href="{prev}"' in page) == (prev is not None)
    assert (f'rel="next" id="next-part" href="{next_}"' in page) == (next_ is not None)
    if prev is None:
        assert 'rel="prev"' not in page
    if next_ is None:
        assert 'rel="next"' not in page


@pytest.mark.parametrize("path", ["/id/document/a-ac-105-1294", PARA_19,
                                  "/id/document/a-ac-105-1294/annex/op/3"])
def test_report_and_paragraph_pages_link_to_the_un_document(client: FlaskClient,
                                                            path: str) -> None:
    assert f'id="un-document-link" href="{un_document_url()}"' in _page(client, path, "en")
    assert f'id="un-document-link" href="{un_document_url("zh")}"' in _page(client, path, "zh")
    assert 'id="un-document-link"' not in _page(client, "/id/agency/cnsa", "en")


@pytest.mark.parametrize("path", ["/", "/id/agency/cnsa", PARA_19, "/download", "/browse",
                                  "/search", "/explore"])
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_page_footer_states_licence_source_and_rendering(client: FlaskClient, path: str,
                                                               lang: str) -> None:
    page = _page(client, path, lang)
    footer = page.split("<footer>", 1)[1]
    assert f'rel="license" href="{LICENSE}"' in footer
    assert f'href="{un_document_url(lang)}"' in footer
    assert ("English rendering by SpaceKG" if lang == "en" else "SpaceKG 根据中文本") in footer


def test_downloads_page_states_the_licence(client: FlaskClient) -> None:
    page = _page(client, "/download", "en")
    licence = page.split('id="downloads-licence"', 1)[1].split("</p>", 1)[0]
    assert str(LICENSE) in licence and "not the words of the United Nations" in licence


@pytest.mark.parametrize("url", ["/.well-known/void", "/download?format=turtle"])
def test_void_and_dcat_state_licence_source_and_rendering(client: FlaskClient,
                                                          url: str) -> None:
    from rdflib import Graph
    response = client.get(url, headers={"Accept": "text/turtle"})
    assert response.status_code == 200
    g = Graph().parse(data=response.get_data(as_text=True), format="turtle")
    dataset = URIRef(BASE + "id/dataset/spacekg")
    assert (dataset, DCTERMS.license, LICENSE) in g
    assert (dataset, DCTERMS.source, URIRef(un_document_url("zh"))) in g
    notes = {(str(n), n.language) for n in g.objects(dataset, SKOS.editorialNote)}
    assert (RENDERING_NOTE["en"], "en") in notes and (RENDERING_NOTE["zh"], "zh") in notes


@pytest.mark.parametrize("text", ["report paragraphs", "inferred", "Para.", ">Search<",
                                  "Data licence", "Previous", "Next:"])
def test_chinese_pages_carry_no_english_interface_words(client: FlaskClient,
                                                        text: str) -> None:
    for path in ("/", PARA_19, "/id/agency/cnsa", "/download"):
        page = _page(client, path, "zh")
        body = page.split("<body", 1)[1]
        # what scripts carry (the catalogue's keys, the map's data) is not shown as such
        shown = re.sub(r"<script\b.*?</script>", "", body, flags=re.S)
        assert text not in shown, (path, text)


def test_home_page_in_chinese_names_graphs_and_sources_in_chinese(client: FlaskClient) -> None:
    page = _page(client, "/", "zh")
    assert "报告段落（graph/para/N）" in page and "report paragraphs" not in page
    assert "第 8 段" in page and "para 8" not in page


@pytest.mark.parametrize(("source", "zh"), [
    ("header, para 1, para 8", "报告标题页，第 1 段，第 8 段"),
    ("para 14, annex P2", "第 14 段，附件 P2"),
])
def test_competency_sources_read_in_chinese(source: str, zh: str) -> None:
    from spacekg.publish.language import localise_source
    assert localise_source(source, "zh") == zh
    assert localise_source(source, "en") == source


@pytest.mark.parametrize(("lang", "label", "shown", "aside", "summary"), [
    ("en", "claim text", "Artemis I is an uncrewed flight test", "阿尔忒弥斯一号是无人飞行试验",
     "Chinese original"),
    ("zh", "陈述原文", "阿尔忒弥斯一号是无人飞行试验", "Artemis I is an uncrewed flight test",
     "英文译文"),
])
def test_claim_page_shows_its_text_in_the_reader_language(client: FlaskClient, lang: str,
                                                           label: str, shown: str, aside: str,
                                                           summary: str) -> None:
    import re
    page = _page(client, "/id/claim/para-19-5", lang)
    evidence = page.split('id="evidence"', 1)[1]  # the claim's facts under their sentence
    assert re.search(re.escape(label) + r"</a>: <span class=\"literal\"[^>]*>" + re.escape(shown),
                     evidence), label
    before, details = evidence.split(f"<summary>{summary}</summary>", 1)
    assert shown in before and aside not in before
    assert aside in details


def test_paragraph_facts_table_sets_the_other_language_aside(client: FlaskClient) -> None:
    import re
    page = _page(client, PARA_19, "en")
    table = page.split('class="from-paragraph"', 1)[1]
    rows = re.findall(r"claim text</a></th><td>(.*?)</td></tr>", table, re.S)
    assert len(rows) == 10
    row = next(r for r in rows if "Artemis I is an uncrewed flight test" in r)
    shown, aside = row.split("<summary>Chinese original</summary>", 1)
    assert "阿尔忒弥斯一号是无人飞行试验" in aside and "阿尔忒弥斯" not in shown


@pytest.mark.parametrize(("title", "zh"), [
    ("All named graphs (N-Quads)", "全部命名图（N-Quads）"),
    ("Entity graph, 597 nodes, 2024 edges (GraphML)", "实体图，597 个节点，2024 条边（GraphML）"),
    ("Table: SpaceAgency (CSV)", "表格：SpaceAgency（CSV）"),
    ("Partnership network, 22 agents, 27 weighted edges (GraphML)",
     "伙伴关系网络，22 个伙伴，27 条加权边（GraphML）"),
    ("JSON-LD @context of the dumps", "数据转储的 JSON-LD @context"),
])
def test_download_titles_read_in_chinese(title: str, zh: str) -> None:
    from spacekg.publish.language import localise_download_title
    assert localise_download_title(title, "zh") == zh
    assert localise_download_title(title, "en") == title


def test_a_claim_text_is_quoted_from_the_sentence_that_states_it(client: FlaskClient) -> None:
    import re
    page = _page(client, "/id/claim/para-19-6", "zh")
    evidence = page.split('id="evidence"', 1)[1]
    quote = re.search(r'<span class="sentence-text">(.*?)</span>', evidence, re.S)
    assert quote and "阿尔忒弥斯二号将是自阿波罗计划以来首次载人月球飞行试验" in quote.group(1)
    assert 'href="/id/document/a-ac-105-1294/para/19/sentence/6"' in evidence
