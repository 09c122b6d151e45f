"""ORDER BY gives one total order (query/ordering.py), and too large a query is refused
before any engine sees it (sparql.MAX_TOKENS, MAX_VALUES_TERMS).

The remote engine's order is compared in test_backends_agree.py, where Virtuoso holds the
report already."""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal
from typing import Any

import pytest
from flask.testing import FlaskClient
from spacekg.errors import QueryTooComplex
from spacekg.query.ordering import total_order
from spacekg.sparql import MAX_TOKENS, MAX_VALUES_TERMS, analyse, inspect_query
from spacekg.stores import SolutionsResult, Store
from spacekg.stores.memory import MemoryStore
from spacekg.stores.oxigraph import OxigraphStore
from spacekg.stores.terms import term_parts

#: Integers and strings in the order that makes Oxigraph 0.5.13's sort abort
#: (docs/oxigraph-sort-panic.md): it compares numbers by value, a number and a string by
#: lexical form, which is no order (3 < 16, "16" < "250", "250" < "3").
PANIC_VALUES = [
    '"ARG"', "28", "28", '"144"', '"LK"', '"LKA"', "1", '"II"', '"c"', "41", "41", "82", "3",
    "3", "4", "1", '"O1"', "58", '"050"', '"BD"', '"BGD"', '"A/AC.105/1168"', '"818"', '"EG"',
    '"EGY"', '"d"', '"250"', '"FR"', '"PAK"', "68", "2", '"O2"', "59", "16", "16", "4", '"RUS"',
]
#: Every kind of term, and values that tie in one key but not the next.
MIXED = [
    "_:b1", "<http://example.org/b>", "<http://example.org/a>", "2", "10", "1.0", "1",
    '"1"^^<http://www.w3.org/2001/XMLSchema#decimal>', "1.5e0", '"b"', '"a"', '"B"',
    '"a"@en', '"a"@zh', '"中国"@zh', "true", "false",
    '"2022-11-21"^^<http://www.w3.org/2001/XMLSchema#date>',
    '"2021"^^<http://www.w3.org/2001/XMLSchema#gYear>', '"x"^^<http://example.org/type>',
]
ORDERED_OBJECTS = "SELECT ?o WHERE { ?s <http://example.org/p> ?o } ORDER BY DESC(?o)"


def _insert(values: list[str]) -> str:
    triples = " ".join(
        f"<http://example.org/s{i}> <http://example.org/p> {v} ." for i, v in enumerate(values)
    )
    # one subject without ?o: the OPTIONAL below leaves it unbound
    return f"INSERT DATA {{ {triples} <http://example.org/none> <http://example.org/q> 0 . }}"


_NUMBERS = {f"http://www.w3.org/2001/XMLSchema#{t}" for t in ("integer", "decimal", "double")}


def _cell(term: object) -> Any:
    """A term as engines agree on it: blank nodes alike, numbers by value (each engine
    writes its own canonical form: Oxigraph ``1``, rdflib ``1.0`` for ``1.0``)."""
    if term is None:
        return None
    kind, value, datatype, language = term_parts(term)
    if kind == "bnode":
        return ("bnode",)
    if datatype in _NUMBERS:
        return (kind, Decimal(value), datatype, language)
    return (kind, value, datatype, language)


def _keys(result: object) -> list[tuple[Any, ...]]:
    assert isinstance(result, SolutionsResult)
    return [tuple(_cell(term) for term in row) for row in result.rows]


def _stores(values: list[str]) -> dict[str, Store]:
    """The values as objects in one named graph of an Oxigraph and an rdflib store."""
    import pyoxigraph as ox

    turtle = _insert(values).removeprefix("INSERT DATA {").removesuffix("}")
    quads = [(t.subject, t.predicate, t.object, "http://example.org/g")
             for t in ox.parse(turtle.encode(), format=ox.RdfFormat.TURTLE)]
    stores: dict[str, Store] = {"oxigraph": OxigraphStore(), "memory": MemoryStore()}
    for store in stores.values():
        store.load(quads)
    return stores


def test_oxigraph_alone_aborts_on_the_mixed_values() -> None:
    """The reproduction in docs/ still shows the engine's bug (when a fixed Oxigraph
    arrives, this fails, and the rewrite can go)."""
    program = (
        "import pyoxigraph as ox, sys\n"
        "s = ox.Store()\n"
        f"s.update({_insert(PANIC_VALUES)!r})\n"
        f"list(s.query({ORDERED_OBJECTS!r}))\n"
    )
    run = subprocess.run([sys.executable, "-c", program], capture_output=True, timeout=60)
    assert run.returncode != 0 and b"total order" in run.stderr


@pytest.mark.parametrize("values", [PANIC_VALUES, MIXED], ids=["panic-values", "every-kind"])
@pytest.mark.parametrize("direction", ["ASC", "DESC"])
def test_rewritten_order_by_is_one_order_on_oxigraph_and_rdflib(
    values: list[str], direction: str
) -> None:
    query = total_order(
        "SELECT ?s ?o WHERE { ?s ?any ?x OPTIONAL { ?s <http://example.org/p> ?o } } "
        f"ORDER BY {direction}(?o) ?s"
    )
    answers = {name: _keys(store.query(query)) for name, store in _stores(values).items()}
    assert answers["oxigraph"] == answers["memory"]
    assert len(answers["oxigraph"]) == len(values) + 1


def test_the_order_is_sparqls_between_kinds_and_fixed_between_datatypes() -> None:
    rows = _keys(_stores(MIXED)["oxigraph"].query(
        total_order("SELECT ?o WHERE { ?s ?any ?x OPTIONAL { ?s <http://example.org/p> ?o } } "
                    "ORDER BY ?o")
    ))
    kinds = [row[0] for row in rows]
    assert kinds[0] is None  # unbound first
    assert kinds[1] == ("bnode",)
    assert [k[1] for k in kinds[2:4]] == ["http://example.org/a", "http://example.org/b"]
    literals = [(k[1], k[2], k[3]) for k in kinds[4:]]
    xsd = "http://www.w3.org/2001/XMLSchema#"

    def number(value: Any, datatype: str) -> Decimal:
        return Decimal(value == "true") if datatype == xsd + "boolean" else Decimal(value)

    numbers = [number(value, datatype) for value, datatype, _ in literals[:8]]
    assert numbers == [0, 1, 1, 1, 1, Decimal("1.5"), 2, 10]  # by value; false 0, true 1
    ones = [datatype for _, datatype, _ in literals[1:5]]
    assert ones == [xsd + "boolean", xsd + "decimal", xsd + "decimal", xsd + "integer"]
    strings = [value for value, _, _ in literals[8:11]]
    assert strings == ["B", "a", "b"]  # code point order
    tagged = [(v, lang) for v, _, lang in literals[11:14]]
    assert tagged == [("a", "en"), ("a", "zh"), ("中国", "zh")]
    others = [datatype for _, datatype, _ in literals[14:]]
    assert len(others) == 3 and others == sorted(others)  # by datatype IRI


def test_single_kind_conditions_keep_the_engines_own_sort() -> None:
    query = "SELECT ?x { ?x ?p ?o } ORDER BY STR(?x) DESC(COUNT(?o)) LCASE(?o)"
    rewritten = total_order(query)
    assert rewritten.startswith("SELECT ?x { ?x ?p ?o } ORDER BY STR(?x) DESC(COUNT(?o)) ASC(")
    assert "(LCASE(?o))" in rewritten
    assert total_order("SELECT * { ?s ?p ?o }") == "SELECT * { ?s ?p ?o }"


def test_order_by_inside_a_subquery_is_rewritten_too() -> None:
    query = ("SELECT ?o WHERE { { SELECT ?o WHERE { ?s ?p ?o } ORDER BY DESC(?o) LIMIT 3 } } "
             "ORDER BY ?o")
    assert [c.direction for c in analyse(query).order_by] == ["DESC", "ASC"]
    rewritten = total_order(query)
    assert rewritten.count("COALESCE(IF(isBlank") == 2
    store = _stores(PANIC_VALUES)["oxigraph"]
    assert len(_keys(store.query(rewritten))) == 3


def test_order_by_desc_over_the_report_answers_with_every_object(client: FlaskClient) -> None:
    response = client.get(
        "/sparql", query_string={"query": "SELECT ?o { ?s ?p ?o } ORDER BY DESC(?o)"},
        headers={"Accept": "application/sparql-results+json"},
    )
    assert response.status_code == 200
    bindings = response.get_json()["results"]["bindings"]
    count = client.get(
        "/sparql", query_string={"query": "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }"},
        headers={"Accept": "application/sparql-results+json"},
    ).get_json()["results"]["bindings"][0]["n"]["value"]
    assert len(bindings) == int(count)
    assert bindings[-1]["o"]["type"] == "bnode" and bindings[0]["o"]["type"] == "literal"


# -- too large -------------------------------------------------------------------------------


def _patterns(n: int) -> str:
    return "SELECT * WHERE { " + " ".join(f"?s <http://x/p{i}> ?o{i} ." for i in range(n)) + " }"


@pytest.mark.parametrize(
    "query",
    [
        _patterns(20_000),
        "SELECT * WHERE { " + " UNION ".join(f"{{ ?s <http://x/p{i}> ?o }}" for i in range(3000))
        + " }",
        "SELECT * WHERE { BIND(" + " + ".join("1" for _ in range(6000)) + " AS ?x) }",
    ],
    ids=["20000-patterns", "3000-unions", "6000-operands"],
)
def test_too_large_a_query_is_refused_naming_the_limit(query: str) -> None:
    with pytest.raises(QueryTooComplex, match=f"at most {MAX_TOKENS:,}"):
        inspect_query(query)


def test_large_values_blocks_are_not_counted_as_query_size() -> None:
    values = " ".join(f"<http://x/v{i}>" for i in range(20_000))
    inspect_query(f"SELECT * WHERE {{ VALUES ?v {{ {values} }} ?v ?p ?o }}")
    huge = " ".join("1" for _ in range(MAX_VALUES_TERMS + 1))
    with pytest.raises(QueryTooComplex, match=f"at most {MAX_VALUES_TERMS:,}"):
        inspect_query(f"SELECT * WHERE {{ VALUES ?v {{ {huge} }} }}")


def test_a_20000_pattern_query_is_a_400(client: FlaskClient) -> None:
    response = client.post(
        "/sparql", data={"query": _patterns(20_000)},
        headers={"Accept": "application/sparql-results+json"},
    )
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["type"] == "QueryTooComplex" and f"{MAX_TOKENS:,}" in error["message"]


@pytest.mark.parametrize(
    ("query", "kept"),
    [
        ("SELECT ?s ?o { ?s ?p ?o } ORDER BY ?s", True),  # a subject: IRIs or blank nodes
        ('SELECT ?l { ?s ?p ?l FILTER(lang(?l) = "en") } ORDER BY ?l', True),  # one language
        ("SELECT ?a (COUNT(?b) AS ?n) { ?a ?p ?b } GROUP BY ?a ORDER BY DESC(?n)", True),
        ("SELECT ?o { ?s ?p ?o } ORDER BY ?o", False),
        ("SELECT ?o { ?s ?p ?o BIND(?o AS ?x) } ORDER BY ?x", False),
        # a subject in the OPTIONAL only: the outer pattern binds ?c to literals (found by
        # the differential test)
        ("SELECT ?c { ?b ?p ?c OPTIONAL { ?c ?q ?d } } ORDER BY ?c", False),
        ("SELECT ?s { ?s ?p ?o VALUES ?s { 1 } } ORDER BY ?s", False),
    ],
)
def test_conditions_known_to_hold_one_kind_keep_the_engines_sort(query: str, kept: bool) -> None:
    assert (total_order(query) == query) is kept
