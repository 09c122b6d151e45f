"""SpaceKG's prefixes predeclared for queries, and an undeclared prefix named in one line
(``prologue.py``): what counts as a prefixed name, and where the added text goes."""

from __future__ import annotations

import pytest
from spacekg.errors import QueryError, QuerySyntaxError, UnsafeQuery
from spacekg.namespaces import PREFIXES
from spacekg.query.prologue import predeclare, scan, undeclared, undefined_prefix


def used(text: str) -> list[str]:
    return [name.prefix for name in scan(text)[1]]


@pytest.mark.parametrize(
    ("query", "prefixes"),
    [
        ("SELECT * { ?s skg:organiser/skos:prefLabel ?o }", ["skg", "skos"]),
        ('SELECT * { ?s ?p "skg:not-a-name" }', []),
        ("SELECT * { ?s ?p <http://example.org/a:b> }", []),
        ("SELECT * { _:b ?p ?o }", []),
        ("SELECT * { ?s ?p ?o } # rdfs:comment in a comment", []),
        ('SELECT * { ?s ?p "1"^^xsd:integer }', ["xsd"]),
        ("SELECT * { ?s :p ex:a:b }", ["", "ex"]),
    ],
)
def test_prefixed_names_are_found_outside_strings_iris_and_comments(
    query: str, prefixes: list[str]
) -> None:
    assert used(query) == prefixes


def test_only_the_predeclared_prefixes_a_query_uses_are_added() -> None:
    prepared = predeclare("SELECT * { ?s skos:prefLabel ?o }")
    assert prepared.text == f"PREFIX skos: <{PREFIXES['skos']}> SELECT * {{ ?s skos:prefLabel ?o }}"
    assert prepared.added == len(prepared.text) - len(prepared.original)


def test_a_query_that_needs_no_predeclared_prefix_is_passed_on_unchanged() -> None:
    query = "BASE <https://w3id.org/spacekg/id/>\nSELECT * { <agency/cnsa> ?p ?o }"
    assert predeclare(query).text == query


def test_own_prefix_declaration_overrides_predeclared() -> None:
    query = "PREFIX skg: <http://example.org/>\nSELECT * { ?s skg:p ?o }"
    assert predeclare(query).text == query


def test_added_prefixes_keep_every_line_number_the_users() -> None:
    query = "SELECT * {\n  ?s rdfs:label ?o }"
    prepared = predeclare(query)
    assert prepared.text.count("\n") == query.count("\n")
    assert prepared.text.endswith(query)


def test_undefined_prefix_is_named_in_one_line() -> None:
    prepared = predeclare("SELECT * {\n  ?s rdfs:label ?o ;\n     foo:bar ?x }")
    error = prepared.explain(QuerySyntaxError("error at 3:12: expected one of …", line=3,
                                              column=12))
    assert str(error) == (
        'undefined prefix "foo:" at line 3, column 6; declare it with PREFIX foo: <…>')
    assert isinstance(error, QuerySyntaxError) and (error.line, error.column) == (3, 6)


def test_a_column_on_the_first_line_is_moved_back_to_the_users_text() -> None:
    prepared = predeclare("SELECT * { ?s rdfs:label ?o . FILTER( }")
    engine = QuerySyntaxError(f"error at 1:{prepared.added + 38}: expected …", line=1,
                              column=prepared.added + 38)
    error = prepared.explain(engine)
    assert isinstance(error, QuerySyntaxError)
    assert (error.line, error.column) == (1, 38)
    assert str(error) == "error at 1:38: expected …"


def test_refusals_for_what_a_query_does_are_kept() -> None:
    prepared = predeclare("SELECT * { SERVICE <http://x/> { ?s foo:p ?o } }")
    refusal = UnsafeQuery("SERVICE is refused")
    assert prepared.explain(refusal) is refusal


def test_an_error_without_an_undeclared_prefix_is_kept() -> None:
    prepared = predeclare("SELECT * { ?s ?p ?o } LIMIT x")
    error = QueryError("query rejected: something else")
    assert prepared.explain(error) is error


def test_updates_get_no_predeclared_prefixes_when_undeclared_is_asked_without_them() -> None:
    update = "INSERT DATA { <http://x/s> skos:prefLabel 'x' }"
    assert undeclared(update) is None
    found = undeclared(update, predeclared={})
    assert found is not None and found.prefix == "skos"


def test_an_escaped_name_is_not_named_as_an_undefined_prefix() -> None:
    """``\\u0073kg:`` spells ``skg:`` only for a parser that expands escapes first: the
    message must not claim a prefix ``u0073kg:`` the user never wrote."""
    text = r"SELECT (COUNT(*) AS ?n) { ?s a \u0073kg:SpaceAgency }"
    assert undefined_prefix(text) is None
    assert undefined_prefix(text.replace(r"\u0073kg", "foo")) is not None
