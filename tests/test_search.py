"""Search over labels in both languages and acronyms: the index, the JSON API and the page."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from pyoxigraph import Literal as OxLiteral
from pyoxigraph import NamedNode
from site_support import BASE, report_quads, report_store
from spacekg.app import create_app
from spacekg.build.searchindex import FACT_PATHS, index_folder
from spacekg.publish.search import (
    MAX_QUERY_LENGTH,
    IndexCache,
    SearchIndex,
    chinese_number,
    normalise,
)
from spacekg.stores.oxigraph import OxigraphStore


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


# --- words in any order, both languages, misspellings (issue 21) -----------------------------

SKOS_PREF = "http://www.w3.org/2004/02/skos/core#prefLabel"
MENTIONS = "https://w3id.org/spacekg/ontology#mentions"


def labelled(text: str, lang: str) -> str:
    """The one resource whose preferred label in ``lang`` is ``text``, as the data says."""
    found = {str(s) for s, p, o, _ in report_quads()
             if str(p) == SKOS_PREF and str(o) == text and o.language == lang}
    assert len(found) == 1, (text, found)
    return found.pop()


def english_names_with(*words: str) -> set[str]:
    """Entities (not fact nodes) whose English preferred label holds every word."""
    return {str(s) for s, p, o, _ in report_quads()
            if str(p) == SKOS_PREF and o.language == "en"
            and all(w.casefold() in str(o).casefold() for w in words)
            and not str(s).startswith(tuple(BASE + "id/" + f for f in FACT_PATHS))}


def mentions(iri: str) -> int:
    return len({str(s) for s, p, o, _ in report_quads() if str(p) == MENTIONS and str(o) == iri})


def test_lunar_station_finds_the_station_the_report_mentions_most(index: SearchIndex) -> None:
    candidates = english_names_with("lunar", "station")
    assert len(candidates) >= 2  # the words name more than one thing: ranking decides
    expected = max(candidates, key=mentions)
    assert index.search("lunar station")[0].iri == expected
    assert index.search("月球 科研站", lang="zh")[0].iri == expected


def test_pakistan_cubesat_finds_the_cubesat_first(index: SearchIndex) -> None:
    (expected,) = english_names_with("pakistan", "cubesat")
    assert index.search("pakistan cubesat")[0].iri == expected


def test_a_hyphen_or_a_space_gives_the_same_results(index: SearchIndex) -> None:
    spaced = [h.iri for h in index.search("Chang'e 7", limit=50)]
    assert spaced == [h.iri for h in index.search("Chang'e-7", limit=50)]
    assert spaced[0] == labelled("Chang'e-7", "en")


def test_a_name_in_either_language_finds_the_same_entity_and_neighbours(
        index: SearchIndex) -> None:
    country = labelled("Pakistan", "en")
    assert labelled("巴基斯坦", "zh") == country
    chinese, english = index.search("巴基斯坦", limit=5), index.search("Pakistan", limit=5)
    assert chinese[0].iri == english[0].iri == country
    assert {h.iri for h in chinese} == {h.iri for h in english}


@pytest.mark.parametrize(("text", "lang", "label"), [
    # English: words reordered, misspelt, left out, being typed, acronyms mistyped
    ("station research lunar international", "en", "International Lunar Research Station"),
    ("internatonal lunar reserch station", "en", "International Lunar Research Station"),
    ("space agency european", "en", "European Space Agency"),
    ("europen space agncy", "en", "European Space Agency"),
    ("administration space national china", "en", "China National Space Administration"),
    ("pakistan upper atmosphere commission", "en",
     "Pakistan Space and Upper Atmosphere Research Commission"),
    ("james web telescope", "en", "James Webb Space Telescope"),
    ("asteroid warning network international", "en", "International Asteroid Warning Network"),
    ("outer space peaceful uses committee", "en", "Committee on the Peaceful Uses of Outer Space"),
    ("Korea lunar pathfinder", "en", "Korea Pathfinder Lunar Orbiter"),
    ("melbourne medcal school", "en", "Melbourne Medical School"),
    ("Korea Pathf", "en", "Korea Pathfinder Lunar Orbiter"),
    ("Rosalind Fra", "en", "Rosalind Franklin rover"),
    ("roscosmso", "en", "State Space Corporation Roscosmos"),
    ("UNOSA", "en", "United Nations Office for Outer Space Affairs"),
    # a name with most of the words before a claim whose text has them all
    ("esa argonaut", "en", "Argonaut"),
    # Chinese: words cut by spaces, reordered, a character mistyped, short forms
    ("月球科研站 国际", "zh", "国际月球科研站"),
    ("国际月求科研站", "zh", "国际月球科研站"),
    ("航天局 中国 国家", "zh", "中国国家航天局"),
    ("空间局欧洲", "zh", "欧洲空间局"),
    ("探月工程 中国 四期", "zh", "中国探月工程四期"),
    ("巴基斯坦 空研委", "zh", "巴基斯坦空间和高层大气研究委员会"),
    ("外空 事务厅", "zh", "秘书处外层空间事务厅"),
    ("小行星 警报网", "zh", "国际小行星警报网"),
    ("韦伯 望远镜", "zh", "詹姆斯·韦伯太空望远镜"),
    # both languages in one query
    ("嫦娥7号 lander", "en", "Chang'e-7 lander"),
    ("Chang'e-7 着陆器", "zh", "嫦娥七号着陆器"),
])
def test_reordered_misspelt_and_partial_words_find_the_entity_first(
        index: SearchIndex, text: str, lang: str, label: str) -> None:
    hits = index.search(text, lang=lang)
    assert hits and hits[0].iri == labelled(label, lang), [h.iri for h in hits[:3]]


def test_every_name_finds_its_entity_first(index: SearchIndex) -> None:
    """Each preferred label that one entity alone carries, searched as it is written."""
    entities = [e for e in index.full_text.entities if not e.is_fact]
    seen: dict[str, int] = {}
    for entity in entities:
        for name in entity.names().values():
            seen[name.casefold()] = seen.get(name.casefold(), 0) + 1
    missed = [(name, entity.iri) for entity in entities
              for lang, name in entity.names().items()
              if seen[name.casefold()] == 1
              and index.search(name, lang=lang, limit=1)[0].iri != entity.iri]
    assert len(entities) > 100 and missed == []


def test_names_rank_above_text_that_mentions_the_words(index: SearchIndex) -> None:
    """SUPARCO's head is named "Head of … SUPARCO"; paragraph 19 only says the words."""
    hits = [h.iri for h in index.search("SUPARCO head", limit=10)]
    assert hits[0] == labelled("Head of the Pakistan Space and Upper Atmosphere Research "
                               "Commission", "en")
    paragraph = BASE + "id/document/a-ac-105-1294/para/19"
    assert paragraph in hits  # found through its text, after the named entity


def test_the_paragraph_text_is_searched_in_both_languages(index: SearchIndex) -> None:
    """Words only a paragraph's text holds (not any label) find that paragraph."""
    text = {str(o.language): str(o) for s, p, o, _ in report_quads()
            if str(s) == BASE + "id/document/a-ac-105-1294/para/19"
            and str(p).endswith("#value")}
    assert "Rosalind Franklin" in text["en"] and "阿根廷" in text["zh"]
    para = BASE + "id/document/a-ac-105-1294/para/19"
    for query in ("prerecorded videos heads", "预先录制的视频"):  # the paragraph or its sentence
        assert any(h.iri == para or h.iri.startswith(para + "/sentence/")
                   for h in index.search(query, limit=10)), query


def test_class_badges_are_in_the_reader_language_and_each_once(index: SearchIndex) -> None:
    """A post is both org:Post and skg:Post: one badge, SpaceKG's, in the reader's language."""
    head = index.search("SUPARCO head", lang="zh")[0]
    assert head.label == "巴基斯坦空间和高层大气研究委员会负责人"
    assert head.classes == ("职位",)
    assert index.search("SUPARCO head", lang="en")[0].classes == ("Post",)


def test_the_search_page_shows_the_reader_language_first(client: FlaskClient) -> None:
    page = client.get("/search", query_string={"q": "SUPARCO head", "lang": "zh"})
    html = page.get_data(as_text=True)
    first = html.index('id="search-results"')
    item = html[first:html.index("</li>", first)]
    assert "巴基斯坦空间和高层大气研究委员会负责人</a>" in item
    assert 'lang="en">Head of the Pakistan' in item
    assert item.count('class="type small"') == 1
    data = client.get("/api/search", query_string={"q": "SUPARCO head", "lang": "zh"}).json
    assert data["results"][0]["label_lang"] == "zh" and data["stale"] is False


# --- the index's life: per store generation, kept on disk, after a write -------------------

def small_store(*labels: tuple[str, str]) -> OxigraphStore:
    store = OxigraphStore()
    store.load([(NamedNode(BASE + "id/test/" + slug), NamedNode(SKOS_PREF),
                 OxLiteral(label, language="en"), BASE + "graph/reference")
                for slug, label in labels])
    return store


def test_a_change_of_data_is_searched_after_the_index_catches_up() -> None:
    store = small_store(("zanzibar", "Zanzibar Quasar"))
    cache = IndexCache(refresh_wait=30)
    assert [h.label for h in cache.get(store).search("quasar")] == ["Zanzibar Quasar"]
    store.load([(NamedNode(BASE + "id/test/mombasa"), NamedNode(SKOS_PREF),
                 OxLiteral("Mombasa Quasar", language="en"), BASE + "graph/reference")])
    index = cache.get(store)
    assert index.generation == store.generation
    assert {h.label for h in index.search("quasar")} == {"Zanzibar Quasar", "Mombasa Quasar"}


def test_while_the_new_index_is_built_the_old_one_answers_marked_stale() -> None:
    store = small_store(("zanzibar", "Zanzibar Quasar"))
    cache = IndexCache(refresh_wait=0)
    first = cache.get(store)
    store.load([(NamedNode(BASE + "id/test/mombasa"), NamedNode(SKOS_PREF),
                 OxLiteral("Mombasa Quasar", language="en"), BASE + "graph/reference")])
    answered = cache.get(store)  # does not wait: the previous index, or the new if done
    assert answered is first or answered.generation == store.generation
    if answered is first:
        assert answered.generation != store.generation  # what the API reports as stale
    for _ in range(200):
        if cache.get(store).generation == store.generation:
            break
        threading.Event().wait(0.05)
    assert len(cache.get(store).search("mombasa")) == 1


def test_an_on_disk_store_index_is_kept_and_opened_again(tmp_path: Path) -> None:
    directory = tmp_path / "store"
    writer = OxigraphStore(directory)
    writer.load((s, p, o, str(g)) for s, p, o, g in report_quads())
    writer.close()
    del writer
    store = OxigraphStore(directory, read_only=True)
    built = IndexCache(tmp_path / "search").get(store)
    (folder,) = [p for p in (tmp_path / "search").iterdir() if p.is_dir()]
    assert folder == index_folder(tmp_path / "search", store)
    again = IndexCache(tmp_path / "search").get(store)  # another worker, or a restart
    assert len(again) == len(built) and again.search("CNSA")[0].iri == built.search(
        "CNSA")[0].iri


def test_a_curated_write_is_found_by_the_next_search(tmp_path: Path) -> None:
    """The write gate applies a write to the store and calls ``mark_changed`` (as here): the
    next search, through the app, answers from the new data."""
    store = small_store(("zanzibar", "Zanzibar Quasar"))
    app = create_app({"TESTING": True, "STORE": store, "SEARCH_REFRESH_WAIT": 30,
                      "DOWNLOAD_DIR": str(tmp_path / "downloads"),
                      "SHACL_REPORT_DIR": str(tmp_path / "shacl")})
    client = app.test_client()
    assert client.get("/api/search", query_string={"q": "mombasa"}).json["results"] == []
    triple = f'<{BASE}id/test/mombasa> <{SKOS_PREF}> "Mombasa Quasar"@en'
    # into its graph and the default graph (the union, which the gate keeps in step)
    store.native.update(f"INSERT DATA {{ GRAPH <{BASE}graph/reference> {{ {triple} }} "
                        f"{triple} }}")
    store.mark_changed()
    data = client.get("/api/search", query_string={"q": "mombasa"}).json
    assert [r["iri"] for r in data["results"]] == [BASE + "id/test/mombasa"]
    assert data["stale"] is False
