"""The site in a real browser: headless Chromium (Debian's, installed by scripts/chromium.sh
when missing) driven by Playwright against a loopback server, with every request that is not
to the loopback server blocked and recorded. Screenshots go to tests/artifacts/.

Outside CI the test is skipped when Chromium cannot be installed; with CI=true it fails.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from site_support import CHANGE_7, make_app, serve

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM = Path("/usr/bin/chromium")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"browser test cannot run in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def chromium() -> Path:
    if not CHROMIUM.exists():
        script = ROOT / "scripts" / "chromium.sh"
        result = subprocess.run(["sh", str(script)], capture_output=True, text=True,
                                timeout=900, check=False)
        if result.returncode != 0 or not CHROMIUM.exists():
            _unavailable(f"Chromium not installed ({result.stderr.strip()[-300:]})")
    return CHROMIUM


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    app = make_app(tmp_path_factory.mktemp("browser"))
    with serve(app) as url:
        yield url


@pytest.fixture(scope="module")
def browser_context(chromium: Path, base_url: str) -> Iterator[tuple[object, list[str]]]:
    """One browser for the module; every request to a host other than the test server is
    refused and recorded."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed (pip install playwright)")
    if ARTIFACTS.exists():
        for old in ARTIFACTS.glob("*.png"):
            old.unlink()
    ARTIFACTS.mkdir(exist_ok=True)
    blocked: list[str] = []
    loopback = urlsplit(base_url).netloc
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(chromium),
            args=["--no-sandbox", "--disable-background-networking", "--disable-component-update",
                  "--no-first-run", "--disable-sync",
                  # a second fence: no name resolves, so nothing can leave even if unrouted
                  "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"],
        )
        context = browser.new_context(viewport={"width": 1280, "height": 900},
                                      locale="en-GB")

        def route(route: object) -> None:
            url = route.request.url  # type: ignore[attr-defined]
            parts = urlsplit(url)
            if parts.scheme in ("data", "blob", "about") or parts.netloc == loopback:
                route.continue_()  # type: ignore[attr-defined]
            else:
                blocked.append(url)
                route.abort()  # type: ignore[attr-defined]

        context.route("**/*", route)
        yield context, blocked
        context.close()
        browser.close()


@pytest.fixture()
def browser_page(browser_context: tuple[object, list[str]]) -> Iterator[tuple[object, list[str]]]:
    """A fresh tab per test, so that one test's page cannot take the next test down with it;
    any JavaScript error on it, or anything the Content Security Policy blocked, fails the
    test."""
    context, blocked = browser_context
    page = context.new_page()  # type: ignore[attr-defined]
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    def console(message: object) -> None:
        text = message.text  # type: ignore[attr-defined]
        if "Content Security Policy" in text:
            errors.append(text)

    page.on("console", console)
    yield page, blocked
    page.close()
    assert not errors, f"JavaScript errors or CSP violations: {errors}"


#: Whether a drawn graph reads at first sight: the smallest label's size on screen (its font
#: size times the zoom), labels shown whole, and pairs of node boxes (labels included) that
#: overlap.
READABLE = """(cy) => {
  const boxes = cy.nodes(':visible').map(n => n.renderedBoundingBox(
    {includeLabels: true, includeOverlays: false}));
  let overlaps = 0;
  for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
    const a = boxes[i], b = boxes[j];
    if (a.x1 < b.x2 && b.x1 < a.x2 && a.y1 < b.y2 && b.y1 < a.y2) overlaps++;
  }
  const sizes = cy.nodes(':visible').map(n => parseFloat(n.style('font-size')));
  const px = Math.min(...sizes) * cy.zoom();
  const cut = cy.nodes(':visible').filter(n => n.style('label').endsWith('…')).length;
  return {px: px, overlaps: overlaps, cut: cut};
}"""


def readable(page: object, graph: str) -> dict[str, float]:
    return page.evaluate(f"() => ({READABLE})(window.{graph})")  # type: ignore[attr-defined, no-any-return]


def shot(page: object, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=False)  # type: ignore[attr-defined]


def test_browse_search_switch_language_query_and_explore(
        browser_page: tuple[object, list[str]], base_url: str) -> None:
    page, blocked = browser_page
    p = page  # type: ignore[assignment]

    # home page
    p.goto(base_url + "/")  # type: ignore[attr-defined]
    assert "SpaceKG" in p.title()  # type: ignore[attr-defined]
    # the map's atlas read to its end before the page is left: a download cut short leaves
    # the test server's file open (a ResourceWarning, an error under filterwarnings)
    p.wait_for_selector("figure.world-map.drawn", timeout=10_000)  # type: ignore[attr-defined]
    shot(p, "01-home")

    # typeahead search in Chinese and English
    box = p.locator("#home-search")  # type: ignore[attr-defined]
    box.fill("嫦娥")
    suggestions = p.locator("#home-suggestions li")  # type: ignore[attr-defined]
    suggestions.first.wait_for(timeout=10_000)
    texts = " ".join(suggestions.all_inner_texts())
    assert "Chang'e-7" in texts and "嫦娥七号" in texts
    shot(p, "02-search-change")
    box.fill("Artemis")
    p.wait_for_function(  # type: ignore[attr-defined]
        "() => document.querySelector('#home-suggestions li') &&"
        " document.querySelector('#home-suggestions').innerText.includes('Artemis')")
    shot(p, "03-search-artemis")

    # open an entity page from a suggestion
    p.locator("#home-suggestions li a").first.click()  # type: ignore[attr-defined]
    p.wait_for_url("**/id/programme/artemis")  # type: ignore[attr-defined]
    assert p.locator("#entity-title").inner_text() == "Artemis Program"  # type: ignore[attr-defined]
    assert p.locator("blockquote.quote").count() > 0  # type: ignore[attr-defined]
    shot(p, "04-entity-en")

    # switch the language
    p.locator("#lang-zh").click()  # type: ignore[attr-defined]
    p.wait_for_url("**lang=zh")  # type: ignore[attr-defined]
    title = p.locator("#entity-title").inner_text()  # type: ignore[attr-defined]
    assert title != "Artemis Program" and any("\u4e00" <= ch <= "\u9fff" for ch in title)
    shot(p, "05-entity-zh")
    p.goto(base_url + "/?lang=en")  # type: ignore[attr-defined]
    p.wait_for_selector("figure.world-map.drawn", timeout=10_000)  # type: ignore[attr-defined]

    # an example query in YASGUI, result rows in the table, then the graph view
    p.goto(base_url + "/sparql#example=04-represented-agencies")  # type: ignore[attr-defined]
    rows = p.locator(".yasr:visible table tbody tr")  # type: ignore[attr-defined]
    rows.first.wait_for(timeout=20_000)
    assert rows.count() >= 10
    assert "China National Space Administration" in p.locator(".yasr:visible").inner_text()  # type: ignore[attr-defined]
    shot(p, "06-yasgui-table")
    # the graph view draws links: ask for ?s ?p ?o around CNSA
    p.evaluate("""() => { const tab = window.spacekgYasgui.getTab();
        tab.setQuery('SELECT ?s ?p ?o WHERE { ?s ?p ?o . '
          + 'FILTER(?s = <https://w3id.org/spacekg/id/agency/cnsa> && isIRI(?o)) } LIMIT 40');
        tab.query(); }""")  # type: ignore[attr-defined]
    p.wait_for_function(  # type: ignore[attr-defined]
        "() => document.querySelector('.yasr') && [...document.querySelectorAll('.yasr')]"
        ".some(y => y.offsetParent && y.innerText.includes('skg:country'))")
    p.locator(".yasr:visible").get_by_text("Graph", exact=True).click()  # type: ignore[attr-defined]
    p.locator(".yasr-graph canvas").first.wait_for(timeout=10_000)  # type: ignore[attr-defined]
    shot(p, "07-yasgui-graph")

    # the explorer: start at Chang'e-7, expand a neighbour
    p.goto(base_url + "/explore?iri=" + CHANGE_7)  # type: ignore[attr-defined]
    p.wait_for_function("() => document.getElementById('cy').dataset.expanded === '1'")  # type: ignore[attr-defined]
    before = p.evaluate("() => window.spacekgExplorer.nodes().length")  # type: ignore[attr-defined]
    assert before > 3
    p.evaluate(  # type: ignore[attr-defined]
        "() => { window.spacekgExplorer.getElementById("
        "'https://w3id.org/spacekg/id/agency/cnsa').emit('tap'); }"
        if p.evaluate("() => window.spacekgExplorer.getElementById("  # type: ignore[attr-defined]
                      "'https://w3id.org/spacekg/id/agency/cnsa').length") else
        "() => { window.spacekgExplorer.nodes().filter(n => !n.hasClass('expanded'))[0]"
        ".emit('tap'); }")
    p.wait_for_function("() => document.getElementById('cy').dataset.expanded === '2'")  # type: ignore[attr-defined]
    after = p.evaluate("() => window.spacekgExplorer.nodes().length")  # type: ignore[attr-defined]
    assert after > before
    view = readable(p, "spacekgExplorer")
    assert view["px"] >= 11 and view["overlaps"] == 0 and view["cut"] == 0, view
    # the panel's status and buttons stay inside it
    inside = p.evaluate(  # type: ignore[attr-defined]
        "() => { const panel = document.querySelector('.explorer .panel').getBoundingClientRect();"
        " return ['status', 'relayout', 'reset'].every(id => {"
        " const r = document.getElementById(id).getBoundingClientRect();"
        " return r.bottom <= panel.bottom && r.right <= panel.right; }); }")
    assert inside
    assert p.locator("#selected-link").count() == 1  # type: ignore[attr-defined]
    shot(p, "08-explorer")

    assert blocked == [], f"pages tried to reach other hosts: {blocked}"
    assert len(list(ARTIFACTS.glob("*.png"))) == 8



def test_world_map_marks_and_links_in_both_languages(
        browser_page: tuple[object, list[str]], base_url: str) -> None:
    """The home page's map draws one linked shape per country the report names (the 82 of
    paragraph 6 among them), in both languages; the country page highlights its country and a
    click on a shape opens that country's page."""
    page, blocked = browser_page
    p = page  # type: ignore[assignment]
    for lang in ("en", "zh"):
        p.goto(base_url + f"/?lang={lang}")  # type: ignore[attr-defined]
        p.wait_for_selector("figure.world-map.drawn", timeout=10_000)  # type: ignore[attr-defined]
        data = p.evaluate(  # type: ignore[attr-defined]
            "() => JSON.parse(document.querySelector("
            "'figure.world-map script.map-data').textContent)")
        represented = [c for c in data if "represented" in c["roles"]]
        assert len(represented) == 82
        roles = {r for c in data for r in c["roles"]}
        assert {"observation", "payload", "partner"} <= roles
        drawn = p.evaluate(  # type: ignore[attr-defined]
            "() => new Set([...document.querySelectorAll('figure.world-map a.country')]"
            ".map(a => a.dataset.m49)).size")  # a country may have several shapes
        missing = p.locator("figure.world-map .map-missing a")  # type: ignore[attr-defined]
        assert drawn + missing.count() == len(data)
        p.locator("figure.world-map").screenshot(  # type: ignore[attr-defined]
            path=str(ARTIFACTS / f"map-home-{lang}.png"))
    title = p.locator("figure.world-map a.country[href='/id/country/chn'] title")  # type: ignore[attr-defined]
    assert "中国" in title.text_content()
    p.goto(base_url + "/id/country/per?lang=en")  # type: ignore[attr-defined]
    p.wait_for_selector("figure.world-map.drawn", timeout=10_000)  # type: ignore[attr-defined]
    assert p.locator("a.country[href='/id/country/per'] path.highlight").count() == 1  # type: ignore[attr-defined]
    p.locator("figure.world-map").screenshot(  # type: ignore[attr-defined]
        path=str(ARTIFACTS / "map-country-per-en.png"))
    p.evaluate("() => document.querySelector(\"a.country[href='/id/country/chn']\")"  # type: ignore[attr-defined]
               ".dispatchEvent(new MouseEvent('click', {bubbles: true, cancelable: true}))")
    p.wait_for_url("**/id/country/chn")  # type: ignore[attr-defined]
    assert blocked == [], f"pages tried to reach other hosts: {blocked}"


def test_participation_charts_link_each_figure_to_its_paragraph(
        browser_page: tuple[object, list[str]], base_url: str) -> None:
    """The home page charts the workshop's nine stated figures; on site is a lower bound
    (≥ 200), women speakers a share with no count; each figure's ¶ opens its paragraph."""
    page, blocked = browser_page
    p = page  # type: ignore[assignment]
    for lang in ("en", "zh"):
        p.goto(base_url + f"/?lang={lang}")  # type: ignore[attr-defined]
        p.wait_for_selector("figure.world-map.drawn", timeout=10_000)  # type: ignore[attr-defined]
        rows = p.locator("section.participation .bar-row")  # type: ignore[attr-defined]
        assert rows.count() == 9
        onsite = p.locator(".bar-row[data-kind='OnsiteParticipants'] .bar-value")  # type: ignore[attr-defined]
        assert onsite.inner_text().strip() == "≥ 200"
        share = p.locator(".bar-row[data-kind='WomenSpeakers'] .bar-value")  # type: ignore[attr-defined]
        assert share.inner_text().strip() == "33 %"
        p.locator("section.participation").screenshot(  # type: ignore[attr-defined]
            path=str(ARTIFACTS / f"charts-home-{lang}.png"))
    paragraphs = p.evaluate(  # type: ignore[attr-defined]
        "() => [...document.querySelectorAll('section.participation .bar-row a.para')]"
        ".map(a => a.getAttribute('href'))")
    assert sorted(set(paragraphs)) == [f"/id/document/a-ac-105-1294/para/{n}" for n in (6, 7, 8)]
    p.locator(".bar-row[data-kind='OnsiteParticipants'] a.para").click()  # type: ignore[attr-defined]
    p.wait_for_url("**/para/8")  # type: ignore[attr-defined]
    assert "200" in p.locator("#paragraph-text").inner_text()  # type: ignore[attr-defined]
    assert blocked == [], f"pages tried to reach other hosts: {blocked}"


def test_programme_lists_sessions_in_order_with_presentations(
        browser_page: tuple[object, list[str]], base_url: str) -> None:
    """The programme shows the sessions in the report's order (the opening first, the
    closing last), session 3's two parts inside it and all 55 presentations, in both
    languages; a presenter's link opens its page."""
    page, blocked = browser_page
    p = page  # type: ignore[assignment]
    for lang in ("en", "zh"):
        p.goto(base_url + f"/programme?lang={lang}")  # type: ignore[attr-defined]
        top = p.evaluate(  # type: ignore[attr-defined]
            "() => [...document.querySelectorAll('section.session')]"
            ".filter(s => !s.parentElement.closest('section.session')).map(s => s.id)")
        assert top[0] == "opening" and top[-1] == "closing" and len(top) == 12
        parts = p.locator("section.session[id='3'] > section.session")  # type: ignore[attr-defined]
        assert parts.count() == 2
        assert p.locator("li.presentation").count() == 55  # type: ignore[attr-defined]
        p.screenshot(path=str(ARTIFACTS / f"programme-{lang}.png"))  # type: ignore[attr-defined]
    p.locator("section.session[id='1a'] li.presentation .who a").first.click()  # type: ignore[attr-defined]
    p.wait_for_url("**/id/agency/cnsa")  # type: ignore[attr-defined]
    assert blocked == [], f"pages tried to reach other hosts: {blocked}"


def test_partnership_network_view(
        browser_page: tuple[object, list[str]], base_url: str) -> None:
    """The explorer's partnership view draws one node per partner and one line per pair of
    partners; clicking a line lists its partnerships with their paragraphs."""
    page, blocked = browser_page
    p = page  # type: ignore[assignment]
    for lang in ("en", "zh"):
        p.goto(base_url + f"/partnerships?lang={lang}")  # type: ignore[attr-defined]
        p.wait_for_selector("#net[data-ready='1']", timeout=10_000)  # type: ignore[attr-defined]
        data = p.evaluate(  # type: ignore[attr-defined]
            "() => JSON.parse(document.getElementById('network-data').textContent)")
        assert data["partnerships"] >= 3
        drawn = p.evaluate(  # type: ignore[attr-defined]
            "() => [window.spacekgPartnerships.nodes().length,"
            " window.spacekgPartnerships.edges().length]")
        assert drawn == [len(data["nodes"]), len(data["edges"])]
        assert len(data["edges"]) >= 3
        # every partner's whole name, at 11 px or more on screen, none over another
        view = readable(p, "spacekgPartnerships")
        assert view["px"] >= 11 and view["overlaps"] == 0 and view["cut"] == 0, view
        # click the middle of a line as a person would (evaluating an expression that returns
        # a Cytoscape collection would make Playwright serialise the whole graph)
        x, y = p.evaluate(  # type: ignore[attr-defined]
            "() => { const cy = window.spacekgPartnerships;"
            " const m = cy.edges()[0].renderedMidpoint();"
            " const r = cy.container().getBoundingClientRect();"
            " return [r.left + m.x, r.top + m.y]; }")
        p.mouse.click(x, y)  # type: ignore[attr-defined]
        assert p.locator("#edge-detail h2").inner_text().count("—") == 1  # type: ignore[attr-defined]
        links = p.locator("#edge-detail .partnerships a.para")  # type: ignore[attr-defined]
        assert links.count() >= 1
        p.screenshot(path=str(ARTIFACTS / f"partnerships-{lang}.png"))  # type: ignore[attr-defined]
    links.first.click()
    p.wait_for_url("**/para/*")  # type: ignore[attr-defined]
    assert blocked == [], f"pages tried to reach other hosts: {blocked}"


def test_yasgui_shows_sparql_errors_readably(
        browser_page: tuple[object, list[str]], base_url: str) -> None:
    """A syntax error shows the message, the line and column, and the line with a caret —
    not the endpoint's raw JSON."""
    page, blocked = browser_page
    p = page  # type: ignore[assignment]
    p.goto(base_url + "/sparql?lang=en", wait_until="load")  # type: ignore[attr-defined]
    p.wait_for_function("() => window.spacekgYasgui && window.spacekgYasgui.getTab()")  # type: ignore[attr-defined]
    p.evaluate("() => { const t = window.spacekgYasgui.getTab();"  # type: ignore[attr-defined]
               " t.setQuery('SELECT * WHERE { ?s ?p }'); t.query().catch(() => {}); }")
    box = p.locator(".spacekg-error")  # type: ignore[attr-defined]
    box.wait_for(timeout=10_000)
    text = box.inner_text()
    assert "line 1, column 25" in text and "^" in text
    assert '{"error"' not in text
    box.screenshot(path=str(ARTIFACTS / "sparql-error.png"))
    assert blocked == [], f"pages tried to reach other hosts: {blocked}"


def test_yasgui_map_view_for_results_with_countries(
        browser_page: tuple[object, list[str]], base_url: str) -> None:
    """A result naming countries can be shown on the world map: one linked shape per country
    in the result."""
    page, blocked = browser_page
    p = page  # type: ignore[assignment]
    p.goto(base_url + "/sparql?lang=en", wait_until="load")  # type: ignore[attr-defined]
    p.wait_for_function("() => window.spacekgYasgui && window.spacekgYasgui.getTab()")  # type: ignore[attr-defined]
    query = ("PREFIX skg: <https://w3id.org/spacekg/ontology#> SELECT DISTINCT ?c WHERE { "
             "?x skg:providedBy ?c . ?c a skg:Country }")
    p.evaluate("(q) => { const t = window.spacekgYasgui.getTab();"  # type: ignore[attr-defined]
               " t.setQuery(q); t.query().catch(() => {}); }", query)
    p.wait_for_function(  # type: ignore[attr-defined]
        "() => window.spacekgYasgui.getTab().getYasr().results"
        " && window.spacekgYasgui.getTab().getYasr().results.getBindings().length > 0")
    rows = p.evaluate(  # type: ignore[attr-defined]
        "() => window.spacekgYasgui.getTab().getYasr().results.getBindings().length")
    p.evaluate("() => { window.spacekgYasgui.getTab().getYasr().selectPlugin('map'); }")  # type: ignore[attr-defined]
    p.wait_for_selector(".yasr-map.drawn", timeout=10_000)  # type: ignore[attr-defined]
    drawn = p.evaluate(  # type: ignore[attr-defined]
        "() => new Set([...document.querySelectorAll('.yasr-map a.country')]"
        ".map(a => a.dataset.m49)).size")
    assert drawn == rows == 4
    p.locator(".yasr-map").screenshot(path=str(ARTIFACTS / "sparql-map.png"))  # type: ignore[attr-defined]
    assert blocked == [], f"pages tried to reach other hosts: {blocked}"


def test_explorer_search_notes_off_and_why(
        browser_page: tuple[object, list[str]], base_url: str) -> None:
    """The explorer says why it opens where it does, hides claims and paragraphs until asked,
    and its own search box starts it again elsewhere."""
    page, blocked = browser_page
    p = page  # type: ignore[assignment]
    p.goto(base_url + "/explore?lang=en")  # type: ignore[attr-defined]
    assert "Chang'e-7" in p.locator("#why").inner_text()  # type: ignore[attr-defined]
    p.wait_for_function("() => document.getElementById('cy').dataset.expanded === '1'")  # type: ignore[attr-defined]
    notes = ("() => window.spacekgExplorer.nodes().filter(n => /\\/id\\/(claim\\/|document\\/"
             "[^/]+\\/para\\/)/.test(n.id()) && n.visible()).length")
    assert p.evaluate(notes) == 0  # type: ignore[attr-defined]
    p.locator("#show-notes").check()  # type: ignore[attr-defined]
    p.wait_for_function(f"() => ({notes})() > 0", timeout=5_000)  # type: ignore[attr-defined]
    p.locator("#explore-search").fill("CNSA")  # type: ignore[attr-defined]
    p.locator("#explore-hits a").first.wait_for(timeout=10_000)  # type: ignore[attr-defined]
    p.locator("#explore-hits a").first.click()  # type: ignore[attr-defined]
    p.wait_for_url("**/explore?iri=*cnsa*")  # type: ignore[attr-defined]
    assert "came from" in p.locator("#why").inner_text()  # type: ignore[attr-defined]
    p.screenshot(path=str(ARTIFACTS / "explorer-cnsa-en.png"))  # type: ignore[attr-defined]
    assert blocked == [], f"pages tried to reach other hosts: {blocked}"


#: Names that have no Chinese form and stay as they are on a Chinese page.
TECHNICAL_NAMES = ("SpaceKG SPARQL VoID DCAT Turtle JSON JSON-LD CSV GraphML GEXF Gephi Cytoscape "
                   "SHACL OWL RDF SHA-256 SHA256SUMS gzip EN IRI URI cURL CC BY kB MB GB GET POST "
                   "ttl jsonld nt rdf trig nq owl xml html json csv N-Quads TriG YASGUI").split()
ENGLISH_WORDS = (Path(__file__).resolve().parent / "english_words.js").read_text(encoding="utf-8")

#: Every kind of page of the site, each waited for until its scripts have drawn it.
CHINESE_PAGES = [
    ("/", "figure.world-map.drawn"),
    ("/browse", None),
    ("/browse?class=https%3A%2F%2Fw3id.org%2Fspacekg%2Fontology%23SpaceAgency", None),
    ("/programme", None),
    ("/explore", "#cy[data-expanded='1']"),
    ("/partnerships", "#net[data-ready='1']"),
    ("/download", None),
    ("/ontology", None),
    ("/shapes", None),
    ("/validation/latest", None),
    ("/search?q=%E5%AB%A6%E5%A8%A5", None),
    ("/no/such/page", None),
    ("/id/agency/cnsa", None),
    ("/id/mission/change-7", None),
    ("/para/36", "#paragraph-text"),  # the short address leads to the paragraph
    ("/id/country/chn", "figure.world-map.drawn"),
    ("/id/event/haikou-workshop-2022", None),
    ("/graph/para/36", None),
    ("/sparql", ".yasr"),
]


def test_every_page_speaks_chinese(
        browser_page: tuple[object, list[str]], base_url: str) -> None:
    """In Chinese, with their scripts run, no page shows an English interface word: every
    text outside the data's own English (marked lang="en"), code and technical names is
    Chinese — including YASGUI's controls, a query's results, its map and graph views and a
    syntax error, the explorer's status and legend, and the 404 page."""
    page, blocked = browser_page
    p = page  # type: ignore[assignment]

    def english() -> list[str]:
        return p.evaluate(ENGLISH_WORDS, TECHNICAL_NAMES)  # type: ignore[attr-defined, no-any-return]

    found: dict[str, list[str]] = {}
    for path, ready in CHINESE_PAGES:
        # the SHACL report is computed on its first request: the page waits for it
        p.goto(base_url + path + ("&" if "?" in path else "?") + "lang=zh",  # type: ignore[attr-defined]
               timeout=300_000)
        if ready:
            p.wait_for_selector(ready, timeout=20_000)  # type: ignore[attr-defined]
        if path == "/para/36":
            assert "/id/document/a-ac-105-1294/para/36" in p.url  # type: ignore[attr-defined]
        if english():
            found[path] = english()

    # the SPARQL page at work: a query's table (labels, counts), its map, its graph, an error
    p.evaluate("""() => { const tab = window.spacekgYasgui.getTab();
        tab.setQuery('SELECT ?c (COUNT(?partnership) AS ?n) WHERE { ?partnership '
          + 'skg:hostPartner|skg:coordinatingPartner|skg:contributingPartner|skg:jointPartner ?c . '
          + '?c a skg:Country } GROUP BY ?c'); tab.query(); }""")  # type: ignore[attr-defined]
    p.wait_for_selector(".yasr tbody tr", timeout=20_000)  # type: ignore[attr-defined]
    p.wait_for_function(  # type: ignore[attr-defined]
        "() => [...document.querySelectorAll('.yasr tbody a.iri')].some(a => /[\\u4e00-\\u9fff]/"
        ".test(a.textContent))", timeout=10_000)
    # labels for IRIs (predeclared prefixes, no PREFIX line), plain values: no "4"^^xsd:integer
    cells = p.locator(".yasr tbody").inner_text()  # type: ignore[attr-defined]
    assert "^^" not in cells and '"' not in cells and "<http" not in cells
    shot(p, "sparql-query-zh")
    for view, ready in (("map", ".yasr-map.drawn"), ("graph", ".yasr-graph canvas"),
                        ("table", ".yasr tbody tr")):
        p.evaluate(f"() => window.spacekgYasgui.getTab().getYasr().selectPlugin('{view}')")  # type: ignore[attr-defined]
        p.wait_for_selector(ready, timeout=10_000)  # type: ignore[attr-defined]
        if english():
            found[f"/sparql ({view})"] = english()
    p.evaluate("() => { const t = window.spacekgYasgui.getTab();"  # type: ignore[attr-defined]
               " t.setQuery('SELECT * WHERE { ?s ?p }'); t.query().catch(() => {}); }")
    p.wait_for_selector(".spacekg-error", timeout=10_000)  # type: ignore[attr-defined]
    shot(p, "sparql-error-zh")
    if english():
        found["/sparql (error)"] = english()
    p.context.clear_cookies()  # type: ignore[attr-defined]  # the next tests choose English
    assert not found, f"English interface words on Chinese pages: {found}"
    assert blocked == [], f"pages tried to reach other hosts: {blocked}"
