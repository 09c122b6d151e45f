"""Content negotiation: which representation a request gets, from explicit tables.

Pure functions over strings (no Flask), so the tables can be tested row by row. A ``format``
parameter (short name or media type) overrides ``Accept``; ``Accept`` is read with its
q-values, ``*/*`` and ``type/*`` ranges and ``q=0`` exclusions (RFC 9110 §12.5.1). When
nothing offered is acceptable, :class:`spacekg.errors.NotAcceptable` is raised (HTTP 406).

Why not Werkzeug's ``MIMEAccept``: this module is loaded by the query processes (through
``query/results.py``), which start on demand in about 0.19 s and import no web framework;
``werkzeug.http`` alone takes about 0.14 s to import. ``MIMEAccept.best_match`` also breaks
ties by its own order, where SPARQL clients expect the client's order and then ours.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

from spacekg.errors import NotAcceptable


@dataclass(frozen=True)
class Format:
    """One representation: media type served, short name for ``format=``, file extension."""

    media_type: str
    name: str
    extension: str
    aliases: tuple[str, ...] = ()

    @property
    def accept_types(self) -> tuple[str, ...]:
        """Media types under which Accept may ask for this format (served as media_type)."""
        return (self.media_type, *(a for a in self.aliases if "/" in a))

    @property
    def content_type(self) -> str:
        """Content-Type header value; text formats say they are UTF-8."""
        if self.media_type.startswith("text/") or self.media_type.endswith(("+xml", "+json")):
            return f"{self.media_type}; charset=utf-8"
        if self.media_type in ("application/n-triples", "application/n-quads", "application/trig"):
            return f"{self.media_type}; charset=utf-8"
        return self.media_type


SPARQL_JSON = Format(
    "application/sparql-results+json", "json", "srj", ("srj", "application/json", "text/json")
)
SPARQL_XML = Format(
    "application/sparql-results+xml", "xml", "srx", ("srx", "application/xml", "text/xml")
)
CSV = Format("text/csv", "csv", "csv")
TSV = Format("text/tab-separated-values", "tsv", "tsv")
TURTLE = Format("text/turtle", "turtle", "ttl", ("ttl", "n3", "application/x-turtle"))
NTRIPLES = Format("application/n-triples", "ntriples", "nt", ("nt", "n-triples", "text/plain"))
JSONLD = Format("application/ld+json", "jsonld", "jsonld", ("json-ld", "json", "application/json"))
RDFXML = Format(
    "application/rdf+xml", "rdfxml", "rdf", ("rdf", "xml", "rdf+xml", "application/xml")
)
NQUADS = Format("application/n-quads", "nquads", "nq", ("nq", "n-quads"))
TRIG = Format("application/trig", "trig", "trig")
HTML = Format("text/html", "html", "html")

#: Answers to SELECT: the first entry is the default for ``*/*``.
SOLUTIONS = (SPARQL_JSON, SPARQL_XML, CSV, TSV)
#: Answers to ASK (CSV/TSV have no boolean form in the W3C note).
BOOLEAN = (SPARQL_JSON, SPARQL_XML)
#: Answers to CONSTRUCT/DESCRIBE, and RDF documents such as the service description.
GRAPH = (TURTLE, NTRIPLES, JSONLD, RDFXML, NQUADS, TRIG)


@dataclass(frozen=True)
class MediaRange:
    type: str
    subtype: str
    q: float
    order: int

    @property
    def specificity(self) -> int:
        return (self.type != "*") + (self.subtype != "*")

    def matches(self, media_type: str) -> bool:
        kind, _, sub = media_type.partition("/")
        return self.type in ("*", kind) and self.subtype in ("*", sub)


def parse_accept(header: str | None) -> list[MediaRange]:
    """Media ranges of an Accept header in the order given (malformed entries skipped)."""
    ranges: list[MediaRange] = []
    if not header:
        return ranges
    for order, item in enumerate(header.split(",")):
        fields = [f.strip() for f in item.split(";")]
        kind, slash, sub = fields[0].lower().partition("/")
        if not slash or not kind or not sub:
            continue
        q = 1.0
        for param in fields[1:]:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = min(max(float(value.strip()), 0.0), 1.0)
                except ValueError:
                    q = 0.0
        ranges.append(MediaRange(kind.strip(), sub.strip(), q, order))
    return ranges


def quality(ranges: Sequence[MediaRange], media_type: str) -> float:
    """q of the most specific range matching ``media_type`` (0 if none)."""
    best: MediaRange | None = None
    for r in ranges:
        if r.matches(media_type) and (best is None or r.specificity > best.specificity):
            best = r
    return best.q if best else 0.0


def choose(
    offers: Sequence[Format],
    accept: str | None,
    format_param: str | Sequence[str] | None = None,
) -> Format:
    """The representation to send.

    ``format_param`` wins when given: one value or several (clients such as SPARQLWrapper
    send ``format=tsv&format=text/tab-separated-values``), each a short name, alias,
    extension or media type, or a comma-separated list of them; the first that names one of
    ``offers`` is used. Otherwise the highest-q offer under ``accept``; ties go to the more
    specific range, then the client's order, then ours. No Accept (or an empty one) means
    ``*/*``. Raises NotAcceptable listing what is available.
    """
    if format_param is not None and not isinstance(format_param, str):
        format_param = tuple(format_param)
    return _choose(tuple(offers), accept, format_param)


@functools.lru_cache(maxsize=512)
def _choose(
    offers: tuple[Format, ...],
    accept: str | None,
    format_param: str | tuple[str, ...] | None,
) -> Format:
    # Memoised: clients send the same few Accept headers over and over, and parsing and
    # scoring them is a tenth of a point lookup's cost.
    available = tuple(f.media_type for f in offers)
    if format_param:
        values = [format_param] if isinstance(format_param, str) else list(format_param)
        for value in values:
            for wanted in (v.strip().lower() for v in value.split(",")):
                for f in offers:
                    if wanted in (f.name, f.media_type, f.extension, *f.aliases):
                        return f
        raise NotAcceptable(
            f"format {', '.join(values)!r} is not available here; use one of: "
            + ", ".join(f.name for f in offers),
            available=available,
        )
    ranges = parse_accept(accept)
    if not ranges:
        return offers[0]
    scored: list[tuple[float, int, int, int, Format]] = []
    for rank, f in enumerate(offers):
        for alias_rank, media_type in enumerate(f.accept_types):
            # Wildcards reach a format through its own media type only, so that
            # "*/*, application/sparql-results+json;q=0" really excludes SPARQL JSON.
            usable = ranges if alias_rank == 0 else [r for r in ranges if r.specificity == 2]
            q = quality(usable, media_type)
            if q <= 0:
                continue
            match = max(
                (r for r in usable if r.matches(media_type)),
                key=lambda r: (r.specificity, r.q),
            )
            scored.append((q, match.specificity, -match.order, -rank * 10 - alias_rank, f))
    if not scored:
        raise NotAcceptable(
            f"none of the requested media types ({accept}) can be served here; available: "
            + ", ".join(available),
            available=available,
        )
    scored.sort(key=lambda item: item[:4], reverse=True)
    return scored[0][4]


def offers_for(form: str) -> tuple[Format, ...]:
    """What a query of the given form (SELECT, ASK, CONSTRUCT, DESCRIBE) can be sent as."""
    if form == "ASK":
        return BOOLEAN
    if form == "SELECT":
        return SOLUTIONS
    return GRAPH
