"""Write query answers in the formats the protocol offers, cutting them at ``max_rows``.

SELECT/ASK: SPARQL 1.1 Query Results JSON, XML, CSV and TSV (W3C notes), written here so a
row limit can be applied while streaming. Graphs: pyoxigraph's serialisers (Turtle,
N-Triples, JSON-LD, RDF/XML, N-Quads, TriG). Works on rdflib and pyoxigraph terms alike.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import islice
from typing import IO, Protocol
from xml.sax.saxutils import escape, quoteattr

import pyoxigraph as ox

from spacekg.namespaces import PREFIXES as NAMESPACE_PREFIXES
from spacekg.query import negotiate as n
from spacekg.stores import BooleanResult, GraphResult, QueryResult, SolutionsResult
from spacekg.stores.terms import term_parts, to_oxigraph


class StopFlag(Protocol):
    """Set when the client has been told its query timed out (``execution.Cancel``)."""

    def is_set(self) -> bool: ...


#: Prefixes written at the top of Turtle and TriG answers (those the answer uses): a selection
#: of SpaceKG's prefixes, in this order.
PREFIXES = {
    name: NAMESPACE_PREFIXES[name]
    for name in ("skg", "rdf", "rdfs", "owl", "xsd", "skos", "dcterms", "prov")
}

_RDF_FORMATS = {
    n.TURTLE.media_type: ox.RdfFormat.TURTLE,
    n.NTRIPLES.media_type: ox.RdfFormat.N_TRIPLES,
    n.JSONLD.media_type: ox.RdfFormat.JSON_LD,
    n.RDFXML.media_type: ox.RdfFormat.RDF_XML,
    n.NQUADS.media_type: ox.RdfFormat.N_QUADS,
    n.TRIG.media_type: ox.RdfFormat.TRIG,
}


@dataclass(frozen=True)
class Rendered:
    """A serialised answer; ``truncated`` says rows beyond the limit were dropped."""

    body: bytes
    format: n.Format
    truncated: bool = False
    max_rows: int | None = None


class Stopped(Exception):
    """Raised while writing an answer whose client has been told it timed out."""


def render(
    result: QueryResult,
    fmt: n.Format,
    *,
    max_rows: int | None = None,
    cancel: StopFlag | None = None,
) -> Rendered:
    """Serialise ``result`` as ``fmt``; at most ``max_rows`` rows or triples are written.

    ``cancel``, once set, stops a native answer at its next write (rows are checked by the
    caller's iterator).
    """
    if isinstance(result, BooleanResult):
        return Rendered(_boolean(result.value, fmt), fmt)
    if isinstance(result, SolutionsResult):
        if result.write_native is not None and fmt.media_type in _NATIVE_NAMES:
            name, row_bytes = _NATIVE_NAMES[fmt.media_type]
            body = _native(result.write_native, name, row_bytes, max_rows, cancel)
            if body is not None:
                return Rendered(body, fmt, False, max_rows)
        rows, truncated = _cut(result.rows, max_rows)
        body = _SOLUTION_WRITERS[fmt.media_type](result.variables, rows, truncated, max_rows)
        return Rendered(body, fmt, truncated, max_rows)
    assert isinstance(result, GraphResult)
    if result.write_native is not None and fmt.media_type in _RDF_FORMATS:
        body = _native(result.write_native, fmt.media_type, _GRAPH_ROW_BYTES, max_rows, cancel)
        if body is not None:
            return Rendered(body, fmt, False, max_rows)
    triples, truncated = _cut(result.triples, max_rows)
    return Rendered(render_graph(triples, fmt), fmt, truncated, max_rows)


# The fewest bytes one solution takes in each format (JSON ``{},``, XML ``<result/>``, a CSV
# or TSV line), so a native answer shorter than ``max_rows`` times this cannot hold more
# than ``max_rows`` rows and needs no cutting.
_NATIVE_NAMES = {
    n.SPARQL_JSON.media_type: ("json", 3),
    n.SPARQL_XML.media_type: ("xml", 9),
    n.CSV.media_type: ("csv", 1),
    n.TSV.media_type: ("tsv", 1),
}


# The fewest bytes a triple takes in a graph answer: Turtle's object lists write one in
# three (``, 1``); every other format needs more.
_GRAPH_ROW_BYTES = 3


class _TooBig(Exception):
    """The native answer may hold more rows than the limit: write the rows from Python."""


class _Collector:
    """A binary output for the engine's serialiser that enforces a size bound and ``cancel``."""

    def __init__(self, limit: int | None, cancel: StopFlag | None) -> None:
        self.limit = limit
        self.cancel = cancel
        self.parts: list[bytes] = []
        self.size = 0

    def write(self, data: bytes) -> int:
        if self.cancel is not None and self.cancel.is_set():
            raise Stopped()
        self.size += len(data)
        if self.limit is not None and self.size > self.limit:
            raise _TooBig()
        self.parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        """The engine flushes its buffer; nothing is held here beyond the parts."""


def _native(
    write_native: Callable[[IO[bytes], str], None],
    format_name: str,
    row_bytes: int,
    max_rows: int | None,
    cancel: StopFlag | None,
) -> bytes | None:
    """The engine's own serialisation, or None when it could exceed ``max_rows`` rows."""
    output = _Collector(None if max_rows is None else row_bytes * max_rows, cancel)
    try:
        write_native(output, format_name)  # type: ignore[arg-type]
    except _TooBig:
        return None
    return b"".join(output.parts)


def render_graph(triples: list | Iterator, fmt: n.Format) -> bytes:  # type: ignore[type-arg]
    """Serialise triples (rdflib or pyoxigraph terms) with pyoxigraph."""
    rdf_format = _RDF_FORMATS[fmt.media_type]
    items: list[ox.Triple] | list[ox.Quad]
    if rdf_format.supports_datasets:
        graph = ox.DefaultGraph()
        items = [
            ox.Quad(to_oxigraph(s), to_oxigraph(p), to_oxigraph(o), graph) for s, p, o in triples
        ]
    else:
        items = [
            t if isinstance(t, ox.Triple) else ox.Triple(to_oxigraph(t[0]), to_oxigraph(t[1]),
                                                           to_oxigraph(t[2]))
            for t in triples
        ]
    body = ox.serialize(items, format=rdf_format)
    assert body is not None
    if rdf_format in (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG):
        # Declare the prefixes the answer uses, so small answers stay small: which those are
        # is read off the plain serialisation (a byte search per namespace, in C), then the
        # answer is written again with them — cheaper than looking at every IRI in Python.
        used = {name: ns for name, ns in PREFIXES.items() if f"<{ns}".encode() in body}
        if used:
            body = ox.serialize(items, format=rdf_format, prefixes=used)
            assert body is not None
    return body


def _cut(items: Iterator, max_rows: int | None) -> tuple[list, bool]:  # type: ignore[type-arg]
    if max_rows is None:
        return list(items), False
    taken = list(islice(items, max_rows + 1))
    if len(taken) > max_rows:
        return taken[:max_rows], True
    return taken, False


def _boolean(value: bool, fmt: n.Format) -> bytes:
    if fmt is n.SPARQL_XML:
        return (
            '<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">'
            f"<head/><boolean>{'true' if value else 'false'}</boolean></sparql>\n"
        ).encode()
    return json.dumps({"head": {}, "boolean": value}).encode()


def _truncation_note(max_rows: int | None) -> str:
    return (
        f"Result truncated to the server's limit of {max_rows} rows; "
        "narrow the query or use LIMIT/OFFSET to page through it."
    )


def _json_term(term: object) -> dict[str, str]:
    kind, value, datatype, language = term_parts(term)
    out = {"type": kind, "value": value}
    if language:
        out["xml:lang"] = language
    elif datatype:
        out["datatype"] = datatype
    return out


def _json(names: list[str], rows: list, truncated: bool, max_rows: int | None) -> bytes:  # type: ignore[type-arg]
    bindings = [
        {name: _json_term(t) for name, t in zip(names, row, strict=True) if t is not None}
        for row in rows
    ]
    doc: dict[str, object] = {"head": {"vars": names}, "results": {"bindings": bindings}}
    if truncated:
        doc["truncated"] = True
        doc["note"] = _truncation_note(max_rows)
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode()


def _xml(names: list[str], rows: list, truncated: bool, max_rows: int | None) -> bytes:  # type: ignore[type-arg]
    out = ['<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">']
    if truncated:
        out.append(f"<!-- {_truncation_note(max_rows)} -->")
    out.append("<head>" + "".join(f"<variable name={quoteattr(v)}/>" for v in names) + "</head>")
    out.append("<results>")
    for row in rows:
        out.append("<result>")
        for name, term in zip(names, row, strict=True):
            if term is None:
                continue
            kind, value, datatype, language = term_parts(term)
            if kind == "literal":
                attrs = ""
                if language:
                    attrs = f" xml:lang={quoteattr(language)}"
                elif datatype:
                    attrs = f" datatype={quoteattr(datatype)}"
                cell = f"<literal{attrs}>{escape(value)}</literal>"
            elif kind == "uri":
                cell = f"<uri>{escape(value)}</uri>"
            else:
                cell = f"<bnode>{escape(value)}</bnode>"
            out.append(f"<binding name={quoteattr(name)}>{cell}</binding>")
        out.append("</result>")
    out.append("</results></sparql>\n")
    return "".join(out).encode()


def _csv(names: list[str], rows: list, truncated: bool, max_rows: int | None) -> bytes:  # type: ignore[type-arg]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(names)
    for row in rows:
        writer.writerow(["" if t is None else _csv_value(t) for t in row])
    return buffer.getvalue().encode()


def _csv_value(term: object) -> str:
    kind, value, _, _ = term_parts(term)
    return f"_:{value}" if kind == "bnode" else value


# Literals TSV may write bare, as Turtle does (and as Oxigraph's own writer does).
_XSD = "http://www.w3.org/2001/XMLSchema#"
_BARE = {
    _XSD + "integer": re.compile(r"[+-]?\d+"),
    _XSD + "decimal": re.compile(r"[+-]?\d*\.\d+"),
    _XSD + "double": re.compile(r"[+-]?(?:\d+\.\d*|\.\d+|\d+)[eE][+-]?\d+"),
    _XSD + "boolean": re.compile(r"true|false"),
}


def _tsv_value(term: object) -> str:
    kind, value, datatype, language = term_parts(term)
    bare = _BARE.get(datatype or "")
    if bare is not None and bare.fullmatch(value):
        return value
    if kind == "uri":
        return f"<{value}>"
    if kind == "bnode":
        return f"_:{value}"
    text = (
        value.replace("\\", "\\\\")
        .replace('"', '\\"')
        .replace("\n", "\\n")
        .replace("\r", "\\r")
        .replace("\t", "\\t")
    )
    if language:
        return f'"{text}"@{language}'
    if datatype:
        return f'"{text}"^^<{datatype}>'
    return f'"{text}"'


def _tsv(names: list[str], rows: list, truncated: bool, max_rows: int | None) -> bytes:  # type: ignore[type-arg]
    lines = ["\t".join(f"?{v}" for v in names)]
    for row in rows:
        lines.append("\t".join("" if t is None else _tsv_value(t) for t in row))
    return ("\n".join(lines) + "\n").encode()


_SOLUTION_WRITERS = {
    n.SPARQL_JSON.media_type: _json,
    n.SPARQL_XML.media_type: _xml,
    n.CSV.media_type: _csv,
    n.TSV.media_type: _tsv,
}
