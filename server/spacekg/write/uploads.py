"""What a curator's write may carry, checked while it is read, before the engine builds on it.

Run inside the update process (:mod:`spacekg.write.update_process`), so even a body these checks
miss costs that process, never the server worker. Each refusal names the limit:

* RDF/XML: the body is read by expat first; an entity declaration (``<!ENTITY``, the
  "billion laughs") or a body expat cannot read at all is refused. An unreadable body used
  to pass: ``<!-- a -- b -->`` before the DOCTYPE made expat stop before the declaration,
  and Oxigraph then expanded the entities (7 GB from 661 bytes).
* JSON-LD: nesting is counted on the text before Oxigraph sees it (its parser recurses and
  overflows its stack from about 5,000 levels).
* Every format: a literal over the length limit, or more triples than a write may change,
  stops the reading at that triple.
* Added quads holding an RDF 1.2 triple term are refused: the shapes cannot say what one
  means, so the gate cannot check it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator

import pyoxigraph as ox

from spacekg.errors import BadRequest, RequestTooLarge, UnprocessableWrite

#: Deepest ``[``/``{`` nesting a JSON-LD body may have (the report's need a handful).
MAX_JSON_DEPTH = 64

class QuietConversion(logging.Filter):
    """rdflib logs a traceback for each literal it cannot convert; SpaceKG asks on purpose
    (an ill-typed literal is refused with its own message)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("Failed to convert Literal lexical form")


logging.getLogger("rdflib.term").addFilter(QuietConversion())

_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)


def refuse_entities(body: bytes) -> None:
    """Refuse an XML body that declares entities, or that expat cannot read (then nothing
    after the error, a DOCTYPE included, has been looked at)."""
    import xml.parsers.expat

    def refuse(*_: object) -> None:
        raise BadRequest(
            "the RDF/XML body declares XML entities (<!ENTITY>); they are not accepted "
            "(entity expansion is limited to none), write the values out"
        )

    for encoding in ("utf-8", "utf-16-le", "utf-16-be"):
        if "<!ENTITY".encode(encoding) in body:  # found before any parser can stop early
            refuse()
    parser = xml.parsers.expat.ParserCreate()
    parser.EntityDeclHandler = refuse
    parser.UnparsedEntityDeclHandler = refuse
    parser.SetParamEntityParsing(xml.parsers.expat.XML_PARAM_ENTITY_PARSING_NEVER)
    try:
        parser.Parse(body, True)
    except xml.parsers.expat.ExpatError as exc:
        raise BadRequest(f"the RDF/XML body is not well-formed XML: {exc}") from None


def check_json_depth(body: bytes, limit: int = MAX_JSON_DEPTH) -> None:
    """Refuse a JSON body nesting arrays and objects deeper than ``limit``."""
    text = body.decode("utf-8", errors="replace")
    depth = 0
    for match in _JSON_TOKEN.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            if depth > limit:
                raise BadRequest(
                    f"the JSON-LD body nests objects and arrays deeper than the limit of "
                    f"{limit} levels; flatten it"
                )
        elif token in "]}":
            depth = max(0, depth - 1)


def read_triples(
    body: bytes, fmt: ox.RdfFormat, *, base_iri: str | None, media_type: str,
    max_literal_chars: int, max_triples: int,
) -> list[ox.Triple]:
    """The body's triples, read one by one under the limits (after the format's own
    checks above); raises BadRequest, RequestTooLarge or UnprocessableWrite."""
    if fmt == ox.RdfFormat.RDF_XML:
        refuse_entities(body)
    elif fmt == ox.RdfFormat.JSON_LD:
        check_json_depth(body)
    triples: list[ox.Triple] = []
    try:
        for quad in ox.parse(body, format=fmt, base_iri=base_iri or None):
            if len(triples) >= max_triples:
                raise RequestTooLarge(
                    f"the body holds more than {max_triples:,} triples, the most one write "
                    "may change"
                )
            triple = ox.Triple(quad.subject, quad.predicate, quad.object)
            check_terms([triple], max_literal_chars)
            triples.append(triple)
    except (SyntaxError, ValueError) as exc:
        raise BadRequest(f"the {media_type} body cannot be read: {exc}") from exc
    return triples


def check_terms(statements: Iterable[ox.Triple | ox.Quad], max_literal_chars: int) -> None:
    """Refuse a triple term, or a literal over ``max_literal_chars``, among ``statements``."""
    for statement in statements:
        if isinstance(statement.subject, ox.Triple) or isinstance(statement.object, ox.Triple):
            raise UnprocessableWrite(
                f"the write holds an RDF 1.2 triple term ({statement.predicate.value} "
                f"{_short(statement.object)}); triple terms are not accepted, since the "
                "shapes cannot check them"
            )
        value = statement.object
        if isinstance(value, ox.Literal) and len(value.value) > max_literal_chars:
            raise RequestTooLarge(
                f"a literal of {len(value.value):,} characters (object of "
                f"{statement.predicate.value}) is over the {max_literal_chars:,}-character "
                "limit"
            )


def _short(term: object) -> str:
    text = str(term)
    return text if len(text) <= 120 else text[:117] + "..."


def iter_quads(data: bytes) -> Iterator[ox.Quad]:
    """N-Quads bytes (the form changes travel in between the processes) as quads."""
    return ox.parse(data, format=ox.RdfFormat.N_QUADS) if data else iter(())
