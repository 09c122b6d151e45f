"""Content negotiation: one row per case, for results, graphs and the format parameter."""

from __future__ import annotations

import pytest
from spacekg.errors import NotAcceptable
from spacekg.query import negotiate as n


@pytest.mark.parametrize(
    ("offers", "accept", "expected"),
    [
        # no preference: our first offer
        (n.SOLUTIONS, None, n.SPARQL_JSON),
        (n.SOLUTIONS, "", n.SPARQL_JSON),
        (n.SOLUTIONS, "*/*", n.SPARQL_JSON),
        (n.GRAPH, "*/*", n.TURTLE),
        # exact types
        (n.SOLUTIONS, "application/sparql-results+xml", n.SPARQL_XML),
        (n.SOLUTIONS, "text/csv", n.CSV),
        (n.SOLUTIONS, "text/tab-separated-values", n.TSV),
        (n.GRAPH, "application/n-triples", n.NTRIPLES),
        (n.GRAPH, "application/ld+json", n.JSONLD),
        (n.GRAPH, "application/rdf+xml", n.RDFXML),
        (n.GRAPH, "application/n-quads", n.NQUADS),
        (n.GRAPH, "application/trig", n.TRIG),
        # q-values decide
        (n.SOLUTIONS, "text/csv;q=0.5, application/sparql-results+xml;q=0.9", n.SPARQL_XML),
        (n.SOLUTIONS, "application/sparql-results+json;q=0.1, text/tab-separated-values", n.TSV),
        (n.GRAPH, "application/rdf+xml;q=0.3, text/turtle;q=0.8", n.TURTLE),
        # a specific q=0 excludes what a wildcard would allow
        (n.BOOLEAN, "*/*, application/sparql-results+json;q=0", n.SPARQL_XML),
        (n.SOLUTIONS, "text/*;q=0.5, text/csv;q=0", n.TSV),
        # type wildcards
        (n.SOLUTIONS, "text/*", n.CSV),
        (n.GRAPH, "application/*", n.NTRIPLES),
        # equal q: the client's order, then ours
        (n.SOLUTIONS, "text/csv, application/sparql-results+xml", n.CSV),
        # browsers: HTML not offered, the wildcard picks our default
        (n.GRAPH, "text/html,application/xhtml+xml,*/*;q=0.8", n.TURTLE),
        # common aliases
        (n.SOLUTIONS, "application/json", n.SPARQL_JSON),
        (n.SOLUTIONS, "application/xml", n.SPARQL_XML),
        (n.GRAPH, "application/json", n.JSONLD),
        (n.GRAPH, "text/plain", n.NTRIPLES),
        # parameters and case are ignored
        (n.GRAPH, "Text/Turtle; charset=utf-8", n.TURTLE),
    ],
)
def test_accept_header_selects_the_representation(
    offers: tuple[n.Format, ...], accept: str | None, expected: n.Format
) -> None:
    assert n.choose(offers, accept) is expected


@pytest.mark.parametrize(
    ("offers", "accept"),
    [
        (n.SOLUTIONS, "image/png"),
        (n.SOLUTIONS, "text/turtle"),
        (n.BOOLEAN, "text/csv"),
        (n.GRAPH, "application/sparql-results+json"),
        (n.SOLUTIONS, "*/*;q=0"),
    ],
)
def test_nothing_acceptable_raises_not_acceptable(
    offers: tuple[n.Format, ...], accept: str
) -> None:
    with pytest.raises(NotAcceptable) as info:
        n.choose(offers, accept)
    assert info.value.available == tuple(f.media_type for f in offers)


@pytest.mark.parametrize(
    ("offers", "param", "expected"),
    [
        (n.SOLUTIONS, "json", n.SPARQL_JSON),
        (n.SOLUTIONS, "xml", n.SPARQL_XML),
        (n.SOLUTIONS, "csv", n.CSV),
        (n.SOLUTIONS, "TSV", n.TSV),
        (n.SOLUTIONS, "application/sparql-results+xml", n.SPARQL_XML),
        (n.GRAPH, "turtle", n.TURTLE),
        (n.GRAPH, "ttl", n.TURTLE),
        (n.GRAPH, "nt", n.NTRIPLES),
        (n.GRAPH, "jsonld", n.JSONLD),
        (n.GRAPH, "json", n.JSONLD),
        (n.GRAPH, "xml", n.RDFXML),
        (n.GRAPH, "trig", n.TRIG),
        (n.GRAPH, "nquads", n.NQUADS),
    ],
)
def test_format_parameter_overrides_accept(
    offers: tuple[n.Format, ...], param: str, expected: n.Format
) -> None:
    assert n.choose(offers, "image/png", param) is expected


def test_unknown_format_parameter_is_not_acceptable() -> None:
    with pytest.raises(NotAcceptable, match="not available"):
        n.choose(n.SOLUTIONS, None, "pdf")


@pytest.mark.parametrize(
    ("form", "offers"),
    [("SELECT", n.SOLUTIONS), ("ASK", n.BOOLEAN), ("CONSTRUCT", n.GRAPH), ("DESCRIBE", n.GRAPH)],
)
def test_each_query_form_has_its_offers(form: str, offers: tuple[n.Format, ...]) -> None:
    assert n.offers_for(form) == offers


def test_malformed_accept_entries_are_skipped() -> None:
    assert [r.type for r in n.parse_accept("garbage, text/csv;q=abc, text/tsv")] == ["text", "text"]
    assert n.choose(n.SOLUTIONS, "garbage, text/csv") is n.CSV
