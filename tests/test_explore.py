"""The graph explorer: neighbours as nodes and edges (entities only, labelled, classed),
the JSON API's errors, and the page wiring cytoscape.js."""

from __future__ import annotations

from flask.testing import FlaskClient
from site_support import BASE, CHANGE_7, report_quads, report_store
from spacekg.publish.explore import MAX_NEIGHBOURS, neighbours


def test_neighbours_are_the_linked_entities() -> None:
    data = neighbours(report_store(), CHANGE_7)
    ids = {n["id"] for n in data["nodes"]}
    assert CHANGE_7 in ids
    expected = set()
    for s, p, o, g in report_quads():
        if str(p).endswith("#type") or str(g).endswith("/inferred"):
            continue
        if str(s) == CHANGE_7 and str(o).startswith(BASE + "id/"):
            expected.add(str(o))
        if str(o) == CHANGE_7 and str(s).startswith(BASE + "id/"):
            expected.add(str(s))
    assert ids - {CHANGE_7} == expected  # fewer than MAX_NEIGHBOURS: all of them
    for edge in data["edges"]:
        assert CHANGE_7 in (edge["source"], edge["target"])
        assert not edge["predicate"].endswith("#type")
        assert edge["label"] and not edge["label"].startswith("http")
    node = next(n for n in data["nodes"] if n["id"] == CHANGE_7)
    assert node["label"] == "Chang'e-7" and node["zh"] == "嫦娥七号"
    assert node["url"] == "/id/mission/change-7"
    assert BASE + "ontology#Mission" in node["classes"]


def test_hubs_are_cut_to_the_most_useful_neighbours() -> None:
    data = neighbours(report_store(), BASE + "id/event/haikou-workshop-2022")
    assert data["truncated"] is True
    assert len(data["edges"]) == MAX_NEIGHBOURS
    # named entities come before paragraphs of the report
    assert not any("/a-ac-105-1294/para/" in n["id"] for n in data["nodes"])


def test_api_needs_an_iri(client: FlaskClient) -> None:
    assert client.get("/api/neighbours").status_code == 400
    assert client.get("/api/neighbours", query_string={"iri": BASE + "id/x/none"}).status_code \
        == 404


def test_api_answers_json(client: FlaskClient) -> None:
    data = client.get("/api/neighbours", query_string={"iri": CHANGE_7}).get_json()
    assert data["center"] == CHANGE_7 and data["nodes"]


def test_explore_page_uses_the_vendored_cytoscape(client: FlaskClient) -> None:
    page = client.get("/explore", query_string={"iri": CHANGE_7}).get_data(as_text=True)
    assert "/static/vendor/cytoscape/cytoscape.min.js" in page
    assert f'data-start="{CHANGE_7}"' in page


def test_partnership_view_draws_every_partnership_with_every_role() -> None:
    """Each skg:Partnership of the data is in the view, and each of its partners — by any
    role, or a region — is linked to the others; only a partner whose partnerships name no
    other party (skg:partnersNotNamed) may stand alone."""
    from spacekg.publish.explore import partnership_network
    from spacekg.publish.network import partnership_network as network_of

    expected = network_of(report_quads())
    data = partnership_network(report_store(), "en")
    assert data["partnerships"] == len(expected.partnerships) >= 15
    linked = {x for e in data["edges"] for x in (e["source"], e["target"])}
    members = {m for p in expected.partnerships.values() for m in (*p.partners, *p.regions)}
    joined = {m for p in expected.partnerships.values() if len(p.partners) + len(p.regions) > 1
              for m in (*p.partners, *p.regions)}
    assert {n["id"] for n in data["nodes"]} == members and linked == joined
    assert members - joined  # the lone partners of invitations and unnamed cooperations
    kinds = {n["id"].rsplit("/", 2)[-2]: n["kind"] for n in data["nodes"]}
    assert kinds["country"] == "country" and kinds["place"] == "region"
    assert kinds["agency"] == "agent"
