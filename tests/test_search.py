"""Search over labels in both languages and acronyms: the index, the JSON API and the page."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from site_support import BASE, report_quads, report_store
from spacekg.publish.search import MAX_QUERY_LENGTH, SearchIndex, chinese_number, normalise


@pytest.fixture(scope="module")
def index() -> SearchIndex:
    return SearchIndex.build(report_store())


def test_normalise_folds_case_width_and_quotes() -> None:
    assert normalise("  CHANG’E ") == "chang'e"
    assert normalise("ＣＮＳＡ") == "cnsa"


def test_chinese_search_finds_the_change_missions(index: SearchIndex) -> None:
    iris = [h.iri for h in index.search("嫦娥", limit=20)]
    for n in (6, 7, 8):
        assert f"{BASE}id/mission/change-{n}" in iris


def test_english_search_ranks_prefix_matches(index: SearchIndex) -> None:
    hits = index.search("Artemis", limit=10)
    assert hits[0].iri == BASE + "id/programme/artemis"
    assert {BASE + f"id/mission/artemis-{n}" for n in (1, 2, 3, 4)} <= {h.iri for h in hits}


@pytest.mark.parametrize(("acronym", "iri"), [
    ("CNSA", "id/agency/cnsa"), ("esa", "id/agency/esa"), ("UNOOSA", "id/org/unoosa"),
    ("外空厅", "id/org/unoosa"), ("COPUOS", "id/org/copuos"),
])
def test_acronyms_and_short_forms_find_the_entity_first(index: SearchIndex, acronym: str,
                                                        iri: str) -> None:
    assert index.search(acronym)[0].iri == BASE + iri


def test_results_carry_labels_in_the_reader_language(index: SearchIndex) -> None:
    hit = index.search("CNSA", lang="zh")[0]
    assert hit.label == "中国国家航天局"
    assert hit.other_label == "China National Space Administration"
    zh_class = next(str(o) for s, p, o, _ in report_quads()
                    if str(s) == BASE + "ontology#SpaceAgency"
                    and str(p).endswith(("prefLabel", "#label")) and o.language == "zh")
    assert hit.classes == (zh_class,)


def test_empty_query_finds_nothing(index: SearchIndex) -> None:
    assert index.search("   ") == []


def test_search_api_returns_json(client: FlaskClient) -> None:
    data = client.get("/api/search", query_string={"q": "嫦娥七号", "limit": 3}).get_json()
    assert data["query"] == "嫦娥七号"
    assert len(data["results"]) <= 3
    first = data["results"][0]
    assert first["iri"] == BASE + "id/mission/change-7"
    assert first["url"] == "/id/mission/change-7"
    assert set(first) >= {"label", "other_label", "classes", "matched"}


@pytest.mark.parametrize("text", ['"} ?s ?p ?o {', "<script>", "' OR 1=1", "\\u0000"])
def test_search_text_is_data_not_query(client: FlaskClient, text: str) -> None:
    """Query syntax in the text does nothing: the answer is that of its words alone."""
    response = client.get("/api/search", query_string={"q": text})
    assert response.status_code == 200
    words_only = "".join(c if c.isalnum() else " " for c in text)
    plain = client.get("/api/search", query_string={"q": words_only}).get_json()
    assert response.get_json()["results"] == plain["results"]
    page = client.get("/search", query_string={"q": text})
    assert page.status_code == 200 and "<script>\"" not in page.get_data(as_text=True)


@pytest.mark.parametrize("limit", ["x", "1.5"])
def test_bad_limit_is_400(client: FlaskClient, limit: str) -> None:
    assert client.get("/api/search", query_string={"q": "a", "limit": limit}).status_code == 400


def test_search_page_lists_results(client: FlaskClient) -> None:
    page = client.get("/search", query_string={"q": "Artemis"}).get_data(as_text=True)
    assert 'href="/id/programme/artemis"' in page


# --- spellings people use (issue 13) --------------------------------------------------------

@pytest.mark.parametrize(("text", "iri"), [
    # Arabic and Chinese numerals, spacing, the counter 号
    ("嫦娥七号", "id/mission/change-7"),
    ("嫦娥7号", "id/mission/change-7"),
    ("嫦娥 七号", "id/mission/change-7"),
    ("嫦娥 7", "id/mission/change-7"),
    ("嫦娥六号", "id/mission/change-6"),
    # transliterations, apostrophes, hyphens, case
    ("Chang'e-7", "id/mission/change-7"),
    ("Chang'e 7", "id/mission/change-7"),
    ("Change 7", "id/mission/change-7"),
    ("Chang e-7", "id/mission/change-7"),
    ("change-7", "id/mission/change-7"),
    ("CHANGE7", "id/mission/change-7"),
    ("chang’e‑6", "id/mission/change-6"),
    # acronyms and short forms in both languages
    ("外空厅", "id/org/unoosa"),
    ("外空事务厅", "id/org/unoosa"),
    ("UNOOSA", "id/org/unoosa"),
    ("unoosa", "id/org/unoosa"),
    ("欧空局", "id/agency/esa"),
    ("ESA", "id/agency/esa"),
    ("esa", "id/agency/esa"),
    ("CNSA", "id/agency/cnsa"),
    ("中国航天局", "id/agency/cnsa"),
    # accents
    ("Ecole polytechnique federale de Lausanne", "id/org/epfl"),
    ("École polytechnique fédérale", "id/org/epfl"),
])
def test_spelling_variants_find_the_entity_first(index: SearchIndex, text: str,
                                                 iri: str) -> None:
    hits = index.search(text)
    assert hits, text
    assert hits[0].iri == BASE + iri, [h.iri for h in hits[:3]]


def test_entities_rank_before_the_claims_that_name_them(index: SearchIndex) -> None:
    hits = index.search("CNSA", limit=50)
    kinds = [h.iri[len(BASE + "id/"):].split("/")[0] for h in hits]
    first_fact = next((i for i, k in enumerate(kinds) if k in ("claim", "presentation")), None)
    assert first_fact is None or all(k not in ("claim", "presentation")
                                     for k in kinds[:first_fact])
    assert hits[0].iri == BASE + "id/agency/cnsa"


@pytest.mark.parametrize(("chinese", "arabic"), [
    ("七", "7"), ("十", "10"), ("十二", "12"), ("二十一", "21"), ("一百", "100"),
    ("二〇二二", "2022"), ("嫦娥", "嫦娥"),
])
def test_chinese_numerals_read_as_numbers(chinese: str, arabic: str) -> None:
    assert chinese_number(chinese) == arabic


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_long_query_gets_a_clear_400(client: FlaskClient, method: str) -> None:
    text = "嫦" * 1000
    if method == "get":
        response = client.get("/api/search", query_string={"q": text})
    else:
        response = client.post("/api/search", data={"q": text})
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert "1000 characters" in body and str(MAX_QUERY_LENGTH) in body
    page = client.post("/search", data={"q": text})
    assert page.status_code == 400 and "1000 characters" in page.get_data(as_text=True)


def test_the_search_boxes_limit_the_text(client: FlaskClient) -> None:
    page = client.get("/").get_data(as_text=True)
    assert page.count(f'maxlength="{MAX_QUERY_LENGTH}"') == 2


def test_a_query_at_the_limit_is_answered(client: FlaskClient) -> None:
    response = client.get("/api/search", query_string={"q": "a" * MAX_QUERY_LENGTH})
    assert response.status_code == 200
