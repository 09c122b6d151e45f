"""What a query asks for, before any engine sees it: its form, a cache key, and safety.

A light lexer (comments, strings, IRIs, variables, prefixed names, keywords) is enough to
tell a query's form and build its cache key — in microseconds, where a full parse with rdflib
costs 15–25 ms (DESIGN.md §6). The engine parses the query anyway and reports syntax errors
with their position.

Refused, whatever the backend: SPARQL Update in a query request (the query endpoint is
read-only), and ``SERVICE`` and ``LOAD`` anywhere (they would make the server fetch URLs on a
client's behalf: SSRF). That refusal is decided on the *parsed* request, never on its
spelling (:func:`refuse_outbound`): a request whose text — after SPARQL's ``\\uHHHH`` escapes
are expanded, as every engine does before parsing — nowhere holds the letters of the keyword
cannot contain the operation, and needs no parse; any other is parsed with rdflib's SPARQL
grammar and its syntax tree searched for a ``SERVICE`` pattern or a ``LOAD`` operation. A
request that parser cannot read is refused too. The second wall, for a parser that disagrees
with the engine, is :mod:`spacekg.netguard`: the processes that evaluate client SPARQL cannot
open a network socket at all.

Very deep nesting (thousands of ``(``, ``{`` or ``[``) overflows the engine's stack
(Oxigraph's parser and evaluator recurse); :data:`MAX_NESTING` levels are answered 400 before
any parser sees the request.

``FROM``/``FROM NAMED`` are allowed: both backends resolve them against graphs already in the
dataset and never fetch (rdflib's fetching is switched off in :mod:`spacekg.stores.memory`).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from spacekg.errors import (
    BadRequest,
    QuerySyntaxError,
    QueryTooComplex,
    UnsafeQuery,
    UpdateRefused,
    WriteForbidden,
)

QUERY_FORMS = frozenset({"SELECT", "ASK", "CONSTRUCT", "DESCRIBE"})
UPDATE_KEYWORDS = frozenset(
    {"INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD", "WITH"}
)

#: The light SPARQL lexer (comments, strings, IRIs, variables, words) shared with prologue.
TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<comment>\#[^\n\r]*)
  | (?P<string>'''(?:[^'\\]|\\.|'(?!''))*'''|\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"
               |'(?:[^'\\\n\r]|\\.)*'|"(?:[^"\\\n\r]|\\.)*")
  | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
  | (?P<var>[?$][^\s(){}\[\],;.<>=!&|+*/^"'#]+)
  | (?P<word>[^\W\d][\w\-]*(?::[^\s(){}\[\],;<>"'#^]*)?|:[^\s(){}\[\],;<>"'#^]*)
  | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)


@dataclass(frozen=True)
class QueryInfo:
    """A query's form (SELECT, ASK, CONSTRUCT, DESCRIBE), its normalised text, and whether
    it names its own dataset with FROM / FROM NAMED."""

    form: str
    normalised: str
    has_dataset_clause: bool = False

    @property
    def returns_graph(self) -> bool:
        return self.form in {"CONSTRUCT", "DESCRIBE"}


@functools.lru_cache(maxsize=1024)
def inspect_query(text: str) -> QueryInfo:
    """Classify a query and refuse what the endpoint does not do.

    Raises :class:`UpdateRefused` for SPARQL Update, :class:`UnsafeQuery` for ``SERVICE``
    (:func:`refuse_outbound`), :class:`QueryTooComplex` past :data:`MAX_NESTING`,
    :class:`QuerySyntaxError` when no query form can be found at all. Memoised: UIs and
    crawlers repeat the same queries (errors are raised afresh each time, never cached).
    """
    check_nesting(text)
    form: str | None = None
    has_from = False
    parts: list[str] = []
    expect_prologue_arg = 0
    for match in TOKEN.finditer(text):
        kind = match.lastgroup
        value = match.group()
        if kind in ("ws", "comment"):
            continue
        parts.append(value)
        if kind != "word" or ":" in value:
            if expect_prologue_arg:
                expect_prologue_arg -= 1
            continue
        keyword = value.upper()
        if form is not None:
            has_from = has_from or keyword == "FROM"
            continue
        if expect_prologue_arg:
            expect_prologue_arg -= 1
            continue
        if keyword in ("BASE", "VERSION"):  # VERSION "1.2": SPARQL 1.2's version directive
            expect_prologue_arg = 1
        elif keyword == "PREFIX":
            expect_prologue_arg = 2
        elif keyword in QUERY_FORMS:
            form = keyword
        elif keyword in UPDATE_KEYWORDS:
            raise UpdateRefused(
                f"{keyword} is SPARQL Update: this endpoint is read-only and answers queries "
                "(SELECT, ASK, CONSTRUCT, DESCRIBE) only"
            )
        else:
            line, column = _position(text, match.start())
            raise QuerySyntaxError(
                f"error at {line}:{column}: expected SELECT, ASK, CONSTRUCT or DESCRIBE, "
                f"found {value!r}",
                line=line,
                column=column,
            )
    if form is None:
        raise QuerySyntaxError("empty query: expected SELECT, ASK, CONSTRUCT or DESCRIBE")
    refuse_outbound(text, update=False)
    return QueryInfo(form, " ".join(parts), has_from)


#: Deepest nesting of ``(``, ``{`` and ``[`` accepted. Real queries stay under 20 levels;
#: Oxigraph overflows its stack somewhere between 1,000 and 3,000 (SIGSEGV), rdflib's parser
#: raises RecursionError far sooner.
MAX_NESTING = 100

_OPEN = frozenset("({[")
_CLOSE = frozenset(")}]")


def check_nesting(text: str, limit: int = MAX_NESTING) -> None:
    """Raise :class:`QueryTooComplex` when brackets outside strings, IRIs and comments nest
    deeper than ``limit`` (after escape expansion, as the engine reads the text)."""
    depth = 0
    for match in TOKEN.finditer(expand_escapes(text)):
        if match.lastgroup != "other":
            continue
        char = match.group()
        if char in _OPEN:
            depth += 1
            if depth > limit:
                raise QueryTooComplex(
                    f"the request nests brackets more than {limit} levels deep; "
                    f"SpaceKG accepts at most {limit} (flatten the query)"
                )
        elif char in _CLOSE:
            depth -= 1


_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")


def expand_escapes(text: str) -> str:
    """The text as a SPARQL parser reads it: ``\\uHHHH`` and ``\\UHHHHHHHH`` replaced by the
    characters they stand for, everywhere (SPARQL 1.1 §19.2). An escape past U+10FFFF or
    a surrogate is kept as written (the engine refuses it)."""
    if "\\" not in text:
        return text

    def expand(match: re.Match[str]) -> str:
        code = int(match.group(1) or match.group(2), 16)
        if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            return match.group()
        return chr(code)

    return _ESCAPE.sub(expand, text)


#: Operations that fetch from elsewhere, by the keyword that must be spelt to use them and
#: the name of their node in rdflib's syntax tree.
_OUTBOUND = {"service": "ServiceGraphPattern", "load": "Load"}


@functools.lru_cache(maxsize=1024)
def refuse_outbound(text: str, *, update: bool) -> None:
    """Raise :class:`UnsafeQuery` when the query (or update) contains ``SERVICE`` (or
    ``LOAD``), decided on its parse; :class:`QueryError` when it cannot be parsed for that.

    Memoised: the answer for a text never changes (an exception is raised afresh).
    """
    keywords = ("service", "load") if update else ("service",)
    folded = expand_escapes(text).casefold()
    if not any(keyword in folded for keyword in keywords):
        return  # the keyword is nowhere in the text: the operation cannot be in the request
    from rdflib.plugins.sparql.parser import parseQuery, parseUpdate
    from rdflib.plugins.sparql.parserutils import CompValue

    try:
        tree: object = parseUpdate(text) if update else parseQuery(text)
    except RecursionError:
        raise QueryTooComplex(
            "the request is too deeply nested for SpaceKG's safety check; flatten it"
        ) from None
    except Exception as exc:  # pyparsing's ParseException, or rdflib's own errors
        raise QuerySyntaxError(
            f"the request mentions {' or '.join(k.upper() for k in keywords)} and SpaceKG's "
            f"safety check could not parse it, so it is refused: {exc}"
        ) from None
    found = _tree_names(tree, CompValue)
    for keyword in keywords:
        if _OUTBOUND[keyword] in found:
            raise UnsafeQuery(
                f"{keyword.upper()} is refused: this endpoint does not fetch other documents "
                "or query other endpoints on a client's behalf"
            )


def _tree_names(root: object, comp_value: type) -> set[str]:
    """The names of every node in rdflib's syntax tree (iteratively: no recursion limit)."""
    names: set[str] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, comp_value):
            names.add(node.name)  # type: ignore[attr-defined]
            stack.extend(node.values())  # type: ignore[attr-defined]
        elif isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, list | tuple) or type(node).__name__ == "ParseResults":
            stack.extend(node)  # type: ignore[attr-defined]
    return names


@functools.lru_cache(maxsize=1024)
def declares_dataset(text: str) -> bool:
    """True when the query has FROM or FROM NAMED (outside strings, IRIs and comments)."""
    for match in TOKEN.finditer(text):
        if match.lastgroup == "word" and match.group().upper() == "FROM":
            return True
    return False


_SCHEME = re.compile(r"<[A-Za-z][A-Za-z0-9+.\-]*:")


@functools.lru_cache(maxsize=1024)
def needs_base_iri(text: str) -> bool:
    """True when the query has something a base IRI resolves: a relative IRI (``<id/x>``,
    ``<>``) or an ``IRI()``/``URI()`` call. Oxigraph takes a tenth of a millisecond more per
    query when given a base, a third of a point lookup, so it is given one only when needed.
    """
    for match in TOKEN.finditer(text):
        kind = match.lastgroup
        if kind == "iri" and not _SCHEME.match(match.group()):
            return True
        if kind == "word" and match.group().upper() in ("IRI", "URI"):
            return True
    return False


def inspect_update(text: str) -> None:
    """An update request is always refused; raise the read-only answer."""
    raise UpdateRefused(
        "this endpoint is read-only: SPARQL Update is not accepted (no update operation exists)"
    )


def _position(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, column


def check_update(text: str, *, allow_clear_all: bool = False) -> None:
    """Refuse the parts of SPARQL Update that reach outside the dataset or wipe it.

    ``LOAD`` fetches a URL and ``SERVICE`` queries another endpoint, both on the client's
    behalf (SSRF): raise :class:`UnsafeQuery` for either, found on the parsed update
    (:func:`refuse_outbound`); :class:`QueryTooComplex` past :data:`MAX_NESTING`;
    :class:`WriteForbidden` for ``CLEAR``/``DROP`` of ``ALL`` or ``NAMED`` graphs unless
    ``allow_clear_all``.
    """
    check_nesting(text)
    refuse_outbound(text, update=True)
    if allow_clear_all:
        return
    folded = expand_escapes(text).casefold()
    if not (("clear" in folded or "drop" in folded) and ("all" in folded or "named" in folded)):
        return  # neither operation can be in the request
    from rdflib.plugins.sparql.parser import parseUpdate

    try:
        operations = parseUpdate(text).request
    except Exception as exc:  # pyparsing's ParseException, or rdflib's own errors
        raise QuerySyntaxError(
            f"the update mentions CLEAR or DROP and SpaceKG's safety check could not parse "
            f"it, so it is refused: {exc}"
        ) from None
    for operation in operations:
        target = operation.get("graphiri")
        if operation.name in ("Clear", "Drop") and target in ("ALL", "NAMED"):
            raise WriteForbidden(
                f"{operation.name.upper()} {target} would empty every graph, the report's "
                "included; it is refused (name the graphs to clear, or start the server with "
                "--allow-clear-all)"
            )


def add_using(
    text: str, using_graph_uris: Sequence[str], using_named_graph_uris: Sequence[str]
) -> str:
    """The update with the protocol's ``using-graph-uri`` / ``using-named-graph-uri`` written
    as ``USING`` / ``USING NAMED`` before the ``WHERE`` of each DELETE/INSERT operation.

    The IRIs are checked and written by Oxigraph (never spliced as given). Raises
    :class:`BadRequest` when the update has its own USING or WITH (SPARQL 1.1 Protocol §2.2.3).
    """
    if not using_graph_uris and not using_named_graph_uris:
        return text
    import pyoxigraph as ox

    try:
        clause = " ".join(
            [f"USING {ox.NamedNode(u)}" for u in using_graph_uris]
            + [f"USING NAMED {ox.NamedNode(u)}" for u in using_named_graph_uris]
        )
    except ValueError as exc:
        raise BadRequest(f"using-graph-uri / using-named-graph-uri: {exc}") from exc
    out: list[str] = []
    depth = 0
    previous = ""
    last = 0
    for match in TOKEN.finditer(text):
        kind, value = match.lastgroup, match.group()
        if kind in ("ws", "comment"):
            continue
        if kind == "other" and value == "{":
            depth += 1
        elif kind == "other" and value == "}":
            depth -= 1
        elif kind == "word" and depth == 0:
            keyword = value.upper()
            if keyword in ("USING", "WITH"):
                raise BadRequest(
                    f"the update has its own {keyword}: it cannot be combined with "
                    "using-graph-uri / using-named-graph-uri"
                )
            if keyword == "WHERE" and previous == "}":
                out.append(text[last : match.start()])
                out.append(clause + " ")
                last = match.start()
        previous = value
    out.append(text[last:])
    return "".join(out)
