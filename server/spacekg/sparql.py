"""What a request asks for, read as the engines will read it: its form, its cache key, and
what it is refused for.

:func:`analyse` reads a text with :data:`TOKEN`, a lexer of SPARQL's terminals (a comment
runs to the next ``\\r`` or ``\\n``; strings, IRIs, prefixed names, variables, language tags
and numbers as the grammar writes them), and every decision is taken on its tokens, never on
the raw spelling. The two engines differ on codepoint escapes: Oxigraph reads ``\\uHHHH``
only inside strings and IRIs (as SPARQL 1.2 does), rdflib replaces every escape *anywhere*
before parsing (as SPARQL 1.1 §19.2 did). So a text with a backslash is read both ways and
a refusal holds if either reading calls for it:

* **SERVICE and LOAD** are refused (they would make the server fetch URLs on a client's
  behalf: SSRF). SPARQL has no bare identifiers: outside strings, IRIs, names and comments a
  word is a keyword, so the operation is in the request exactly when a ``SERVICE`` (or
  ``LOAD``) keyword token is. Where the lexer takes ``<a>`` for an IRI that an engine reads
  as "less than", no operation can hide inside: an IRI holds no space, ``<``, ``{`` or
  quote, and ``SERVICE``/``LOAD`` need one of them to name their target. The second wall,
  for anything the lexer and an engine still read differently, is :mod:`spacekg.query.netguard`:
  processes that evaluate client SPARQL cannot open a socket at all.
* **Nesting** past :data:`MAX_NESTING` levels of ``(``, ``{``, ``[`` or ``<<`` is answered
  400 before any parser sees it (Oxigraph's parser and evaluator recurse, and overflow their
  stack from a few thousand levels).
* **The cache key** is the token sequence with each run of whitespace or comments written as
  one space, and nothing added where the text had nothing: ``{56}`` and ``{5 6}``, ``0.5``
  and ``0 .5`` stay apart, while re-indented copies of a query share their answer. Only
  whitespace *between* tokens is folded, so two texts share a key only if the engine reads the
  same token sequence. A text with a quote that opens no string, a backslash outside strings
  and names, or any ``\\uHHHH`` escape (rdflib expands it, and the expansion may open a
  string where Oxigraph's reading has whitespace) is keyed as it is, unfolded.

A full parse with rdflib costs 15–25 ms; the lexer costs microseconds. Analyses of short
texts are memoised (UIs and crawlers repeat queries); long texts are not, so a flood of
distinct 1 MB queries cannot grow the memo.

``FROM``/``FROM NAMED`` are allowed: both backends resolve them against graphs already in the
dataset and never fetch (rdflib's fetching is switched off in :mod:`spacekg.stores.memory`).
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, replace

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
#: Functions whose value changes from one evaluation to the next: such answers are not kept.
VOLATILE_FUNCTIONS = frozenset({"NOW", "RAND", "UUID", "STRUUID", "BNODE"})

_HEX = "[0-9A-Fa-f]"
_ECHAR_OR_CHAR = r"\\."  # an escape (ECHAR, or UCHAR's head: the engine checks which)
_PN_CHARS = r"\w\-\u00B7\u0300-\u036F\u203F\u2040"
_PLX = rf"%{_HEX}{_HEX}|\\[_~.\-!$&'()*+,;=/?#@%]"
_LOCAL_FIRST = rf"(?:[\w:]|{_PLX})"
_LOCAL_MORE = rf"(?:[{_PN_CHARS}.:]|{_PLX})"
_LOCAL_LAST = rf"(?:[{_PN_CHARS}:]|{_PLX})"
_PN_LOCAL = rf"{_LOCAL_FIRST}(?:{_LOCAL_MORE}*{_LOCAL_LAST})?"
_PN_PREFIX = rf"[^\W\d_](?:[{_PN_CHARS}.]*[{_PN_CHARS}])?"

#: The SPARQL lexer (see the module docstring). Kinds: ws,
#: comment, string, iri, var, bnode, pname (prefixed name or bare ``prefix:``), word
#: (keyword, function name, ``a``, true/false), langtag, number, other (one character).
TOKEN = re.compile(
    rf"""
    (?P<ws>[\x20\t\r\n]+)
  | (?P<comment>\#[^\r\n]*)
  | (?P<string>'''(?:(?:''?)?(?:[^'\\]|{_ECHAR_OR_CHAR}))*'''
              |\"\"\"(?:(?:""?)?(?:[^"\\]|{_ECHAR_OR_CHAR}))*\"\"\"
              |'(?:[^'\\\n\r]|{_ECHAR_OR_CHAR})*'
              |"(?:[^"\\\n\r]|{_ECHAR_OR_CHAR})*")
  | (?P<iri><(?:[^<>"{{}}|^`\\\x00-\x20]|\\u{_HEX}{{4}}|\\U{_HEX}{{8}})*>)
  | (?P<var>[?$][{_PN_CHARS}]+)
  | (?P<bnode>_:[\w](?:[{_PN_CHARS}.]*[{_PN_CHARS}])?)
  | (?P<pname>(?:{_PN_PREFIX})?:(?:{_PN_LOCAL})?)
  | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<langtag>@[A-Za-z]+(?:-[A-Za-z0-9]+)*(?:--[A-Za-z]+)?)
  | (?P<number>[0-9]*\.[0-9]+(?:[eE][+-]?[0-9]+)?|[0-9]+\.?[0-9]*[eE][+-]?[0-9]+|[0-9]+)
  | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)

_ABSOLUTE = re.compile(r"<[A-Za-z][A-Za-z0-9+.\-]*:")

_ESCAPE = re.compile(rf"\\u({_HEX}{{4}})|\\U({_HEX}{{8}})")


def expand_escapes(text: str) -> str:
    """The text as rdflib's parser reads it: ``\\uHHHH`` and ``\\UHHHHHHHH`` replaced by the
    characters they stand for, everywhere (SPARQL 1.1 §19.2), in one pass.
    An escape past U+10FFFF or a surrogate is kept as written (the engine refuses it)."""
    if "\\" not in text:
        return text

    def expand(match: re.Match[str]) -> str:
        code = int(match.group(1) or match.group(2), 16)
        if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            return match.group()
        return chr(code)

    return _ESCAPE.sub(expand, text)


#: Deepest nesting of ``(``, ``{``, ``[`` and ``<<`` accepted. Real queries stay under 20
#: levels; Oxigraph overflows its stack somewhere between 1,000 and 3,000 (SIGSEGV).
MAX_NESTING = 100


@dataclass(frozen=True)
class Analysis:
    """What one reading of a request found (see the module docstring)."""

    #: the first keyword after the prologue (SELECT, ASK…, INSERT, LOAD…), or None
    form: str | None
    #: where that keyword (or the first unexpected token) starts, as (line, column)
    form_position: tuple[int, int]
    #: the unexpected token met where a form was expected, if any
    unexpected: str | None
    #: the cache key text (tokens, whitespace runs folded to one space)
    key: str
    #: keywords of operations that reach outside the dataset: {"SERVICE", "LOAD"} ∩ found
    outbound: frozenset[str]
    #: deepest bracket nesting
    depth: int
    #: FROM / FROM NAMED present
    has_dataset_clause: bool
    #: a relative IRI or an IRI()/URI() call: a base IRI matters
    needs_base: bool
    #: a function whose value changes per evaluation (NOW, RAND…)
    volatile: bool
    #: CLEAR/DROP of ALL or NAMED, as ("CLEAR", "ALL"), if present
    clears_all: tuple[str, str] | None


def _lex(text: str) -> tuple[Analysis, list[tuple[str, str]]]:
    """Read the expanded ``text`` once; the analysis and the (kind, value) tokens."""
    tokens: list[tuple[str, str]] = []
    key: list[str] = []
    spaced = False
    stray_quote = False
    depth = max_depth = 0
    previous_value = ""
    found_outbound: set[str] = set()
    has_from = needs_base = volatile = False
    clears: tuple[str, str] | None = None
    form: str | None = None
    unexpected: str | None = None
    form_offset = 0
    expect_prologue_arg = 0
    pending_clear: str | None = None
    for match in TOKEN.finditer(text):
        kind = match.lastgroup or "other"
        value = match.group()
        if kind in ("ws", "comment"):
            spaced = True
            continue
        if key and spaced:
            key.append(" ")
        key.append(value)
        spaced = False
        if kind == "other":
            if value in "({[" or (value == "<" and previous_value == "<"):
                depth += 1
                max_depth = max(max_depth, depth)
            elif value in ")}]" or (value == ">" and previous_value == ">"):
                depth -= 1
            elif value in "\"'\\":
                stray_quote = True  # the engine refuses it, or rdflib expands it
        elif kind == "iri" and not _ABSOLUTE.match(value):
            needs_base = True
        elif kind == "word":
            word = value.upper()
            if word in ("SERVICE", "LOAD"):
                found_outbound.add(word)
            elif word == "FROM":
                has_from = True
            elif word in ("IRI", "URI"):
                needs_base = True
            elif word in VOLATILE_FUNCTIONS:
                volatile = True
            if pending_clear is not None and word in ("ALL", "NAMED"):
                clears = clears or (pending_clear, word)
            pending_clear = word if word in ("CLEAR", "DROP") else (
                pending_clear if word == "SILENT" else None
            )
        else:
            pending_clear = None
        if form is None and unexpected is None:
            if expect_prologue_arg:
                expect_prologue_arg -= 1
            elif kind == "word" and value.upper() in ("BASE", "VERSION"):
                expect_prologue_arg = 1
            elif kind == "word" and value.upper() == "PREFIX":
                expect_prologue_arg = 2
            elif kind == "word":
                form = value.upper()
                form_offset = match.start()
            else:
                unexpected = value
                form_offset = match.start()
        tokens.append((kind, value))
        previous_value = value
    analysis = Analysis(
        form=form,
        form_position=_position(text, form_offset),
        unexpected=unexpected,
        key=text.strip() if stray_quote else "".join(key),
        outbound=frozenset(found_outbound),
        depth=max_depth,
        has_dataset_clause=has_from,
        needs_base=needs_base,
        volatile=volatile,
        clears_all=clears,
    )
    return analysis, tokens


def _read(text: str) -> Analysis:
    """Oxigraph's reading of ``text``, with what rdflib's reading (escapes expanded first)
    adds to the refusals."""
    analysis = _lex(text)[0]
    expanded = expand_escapes(text)
    if expanded == text:
        return analysis
    other = _lex(expanded)[0]
    return replace(
        analysis,
        key=text.strip(),  # an escape may open a string in rdflib's reading: fold nothing
        outbound=analysis.outbound | other.outbound,
        depth=max(analysis.depth, other.depth),
        clears_all=analysis.clears_all or other.clears_all,
    )


class _Memo:
    """Analyses of short texts, least recently used first out; bounded by entries, and by
    text length per entry (long texts are analysed afresh), so at most about
    ``entries × 2 × max_chars`` characters are held."""

    def __init__(self, entries: int = 1024, max_chars: int = 8192) -> None:
        self.entries = entries
        self.max_chars = max_chars
        self._items: OrderedDict[str, Analysis] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, text: str) -> Analysis:
        if len(text) > self.max_chars:
            return _read(text)
        with self._lock:
            found = self._items.get(text)
            if found is not None:
                self._items.move_to_end(text)
                return found
        found = _read(text)
        with self._lock:
            self._items[text] = found
            while len(self._items) > self.entries:
                self._items.popitem(last=False)
        return found


_MEMO = _Memo()


def analyse(text: str) -> Analysis:
    """The one reading of ``text`` (memoised for short texts)."""
    return _MEMO.get(text)


@dataclass(frozen=True)
class QueryInfo:
    """A query's form (SELECT, ASK, CONSTRUCT, DESCRIBE) and what the rest needs of it."""

    form: str
    normalised: str
    volatile: bool = False


def inspect_query(text: str) -> QueryInfo:
    """Classify a query and refuse what the endpoint does not do.

    Raises :class:`QueryTooComplex` past :data:`MAX_NESTING`, :class:`UnsafeQuery` for
    ``SERVICE``, :class:`UpdateRefused` for SPARQL Update, :class:`QuerySyntaxError` when no
    query form can be found at all.
    """
    analysis = analyse(text)
    _refuse_nesting(analysis)
    _refuse_outbound(analysis, ("SERVICE",))  # LOAD is an update: refused as one below
    form = analysis.form
    if form in QUERY_FORMS:
        return QueryInfo(form, analysis.key, analysis.volatile)
    if form in UPDATE_KEYWORDS:
        raise UpdateRefused(
            f"{form} is SPARQL Update: this endpoint is read-only and answers queries "
            "(SELECT, ASK, CONSTRUCT, DESCRIBE) only"
        )
    if form is None and analysis.unexpected is None:
        raise QuerySyntaxError("empty query: expected SELECT, ASK, CONSTRUCT or DESCRIBE")
    line, column = analysis.form_position
    found = analysis.unexpected if form is None else form
    raise QuerySyntaxError(
        f"error at {line}:{column}: expected SELECT, ASK, CONSTRUCT or DESCRIBE, "
        f"found {found!r}",
        line=line,
        column=column,
    )


def _refuse_nesting(analysis: Analysis) -> None:
    if analysis.depth > MAX_NESTING:
        raise QueryTooComplex(
            f"the request nests brackets more than {MAX_NESTING} levels deep; "
            f"SpaceKG accepts at most {MAX_NESTING} (flatten the query)"
        )


def _refuse_outbound(analysis: Analysis, keywords: Sequence[str]) -> None:
    for keyword in keywords:
        if keyword in analysis.outbound:
            raise UnsafeQuery(
                f"{keyword} is not allowed: this endpoint does not fetch other documents "
                "or query other endpoints on a client's behalf"
            )


def declares_dataset(text: str) -> bool:
    """True when the query has FROM or FROM NAMED (outside strings, IRIs and comments)."""
    return analyse(text).has_dataset_clause


def needs_base_iri(text: str) -> bool:
    """True when the query has something a base IRI resolves: a relative IRI (``<id/x>``,
    ``<>``) or an ``IRI()``/``URI()`` call. Oxigraph takes a tenth of a millisecond more per
    query when given a base, a third of a point lookup, so it is given one only when needed.
    """
    return analyse(text).needs_base


def _position(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, column


def check_update(text: str, *, allow_clear_all: bool = False) -> None:
    """Refuse the parts of SPARQL Update that reach outside the dataset or wipe it.

    ``LOAD`` fetches a URL and ``SERVICE`` queries another endpoint, both on the client's
    behalf (SSRF): raise :class:`UnsafeQuery` for either; :class:`QueryTooComplex` past
    :data:`MAX_NESTING`; :class:`WriteForbidden` for ``CLEAR``/``DROP`` of ``ALL`` or
    ``NAMED`` graphs unless ``allow_clear_all``.
    """
    analysis = analyse(text)
    _refuse_nesting(analysis)
    _refuse_outbound(analysis, ("SERVICE", "LOAD"))
    if analysis.clears_all is not None and not allow_clear_all:
        operation, target = analysis.clears_all
        raise WriteForbidden(
            f"{operation} {target} would empty every graph, the report's "
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
