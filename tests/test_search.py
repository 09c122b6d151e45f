"""Search over labels in both languages and acronyms: the index, the JSON API and the page."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from site_support import BASE, make_app, report_quads, report_store
from spacekg.search import SearchIndex, normalise


@pytest.fixture(scope="module")
def index() -> SearchIndex:
    return SearchIndex.build(report_store())


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    yield make_app(tmp_path_factory.mktemp("search"))


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


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
    response = client.get("/api/search", query_string={"q": text})
    assert response.status_code == 200 and response.get_json()["results"] == []
    page = client.get("/search", query_string={"q": text})
    assert page.status_code == 200 and "<script>\"" not in page.get_data(as_text=True)


@pytest.mark.parametrize("limit", ["x", "1.5"])
def test_bad_limit_is_400(client: FlaskClient, limit: str) -> None:
    assert client.get("/api/search", query_string={"q": "a", "limit": limit}).status_code == 400


def test_search_page_lists_results(client: FlaskClient) -> None:
    page = client.get("/search", query_string={"q": "Artemis"}).get_data(as_text=True)
    assert 'href="/id/programme/artemis"' in page
