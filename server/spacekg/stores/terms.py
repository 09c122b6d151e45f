"""Convert RDF terms between rdflib and pyoxigraph, and read either kind the same way.

Backends hand over the terms they have; serialisers call :func:`term_parts` so they need not
know which library made a term.
"""

from __future__ import annotations

from typing import Any

import pyoxigraph as ox
from rdflib.term import BNode, Literal, URIRef

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RDF_LANGSTRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"


def term_parts(term: Any) -> tuple[str, str, str | None, str | None]:
    """(kind, value, datatype, language) with kind in uri|bnode|literal|triple.

    The datatype is None for plain and language-tagged strings, as SPARQL JSON writes them.
    """
    if isinstance(term, ox.NamedNode):
        return "uri", term.value, None, None
    if isinstance(term, ox.BlankNode):
        return "bnode", term.value, None, None
    if isinstance(term, ox.Literal):
        dt = term.datatype.value
        lang = term.language
        return "literal", term.value, (None if dt in (XSD_STRING, RDF_LANGSTRING) else dt), lang
    if isinstance(term, URIRef):
        return "uri", str(term), None, None
    if isinstance(term, BNode):
        return "bnode", str(term), None, None
    if isinstance(term, Literal):
        dt = str(term.datatype) if term.datatype else None
        if dt in (XSD_STRING, RDF_LANGSTRING):
            dt = None
        return "literal", str(term), dt, term.language
    return "triple", str(term), None, None


def to_oxigraph(term: Any) -> Any:
    """pyoxigraph term for an rdflib or pyoxigraph term."""
    if isinstance(term, ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple):
        return term
    kind, value, datatype, language = term_parts(term)
    if kind == "uri":
        return ox.NamedNode(value)
    if kind == "bnode":
        return ox.BlankNode(value)
    if language:
        return ox.Literal(value, language=language)
    return ox.Literal(value, datatype=ox.NamedNode(datatype) if datatype else None)


def to_rdflib(term: Any) -> Any:
    """rdflib term for a pyoxigraph or rdflib term."""
    if isinstance(term, URIRef | BNode | Literal):
        return term
    kind, value, datatype, language = term_parts(term)
    if kind == "uri":
        return URIRef(value)
    if kind == "bnode":
        return BNode(value)
    return Literal(value, lang=language, datatype=URIRef(datatype) if datatype else None)
