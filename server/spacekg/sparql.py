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

#: Most tokens a request may have outside the data of its VALUES blocks. Oxigraph 0.5's parser
#: and planner recurse once per triple pattern, UNION branch, OPTIONAL or operator, and
#: overflow a query process's 8 MiB stack (SIGSEGV) from a few thousand of them: measured
#: (``docs/oxigraph-limits.md``) at 5,000–7,000 ``+`` operands (10,000–14,000 tokens),
#: 6,000–7,000 UNION branches or OPTIONALs, 7,000–8,500 triple patterns. Real queries have a
#: few hundred tokens.
MAX_TOKENS = 8_000
#: Most terms in the data of a request's VALUES blocks (Oxigraph reads 100,000 in 2.4 s and
#: does not recurse on them; the request size limit, 1 MB, bounds them first).
MAX_VALUES_TERMS = 100_000

#: ORDER BY keys whose values are all of one kind (simple literals, numbers, booleans), so an
#: engine's sort cannot meet two values it cannot compare (``query/ordering.py``).
SAFE_ORDER_FUNCTIONS = frozenset({
    "STR", "LANG", "STRLEN", "ENCODE_FOR_URI", "COUNT", "SUM", "AVG", "YEAR", "MONTH",
    "DAY", "HOURS", "MINUTES", "SECONDS", "ABS", "ROUND", "CEIL", "FLOOR", "BOUND",
    "ISIRI", "ISURI", "ISBLANK", "ISLITERAL", "ISNUMERIC", "STRSTARTS", "STRENDS",
    "CONTAINS", "REGEX", "SAMETERM", "LANGMATCHES", "MD5", "SHA1", "SHA256", "SHA384",
    "SHA512", "TZ",
})


@dataclass(frozen=True)
class OrderCondition:
    """One ORDER BY condition: where it is in the text, its direction, and its expression."""

    #: offsets of the whole condition (``DESC(?o)``, ``?o``, ``(?a + ?b)``, ``STR(?x)``)
    start: int
    end: int
    #: "ASC" or "DESC"
    direction: str
    #: offsets of the expression sorted on (inside ``ASC(…)``/``DESC(…)``; else the whole)
    expression_start: int
    expression_end: int
    #: the expression's values are all of one kind (:data:`SAFE_ORDER_FUNCTIONS`), or it
    #: names a variable the SELECT clause computes, a subject, or one held to one language
    single_kind: bool


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
    #: tokens outside the data of VALUES blocks (:data:`MAX_TOKENS`)
    size: int = 0
    #: terms in the data of VALUES blocks (:data:`MAX_VALUES_TERMS`)
    values_terms: int = 0
    #: the prologue declares a BASE
    has_base: bool = False
    #: offset where dataset clauses (FROM, FROM NAMED) go: before the WHERE clause of the
    #: query (after a CONSTRUCT template); the end of the text for a DESCRIBE without one
    dataset_at: int | None = None
    #: every ORDER BY condition, subqueries' included, in text order
    order_by: tuple[OrderCondition, ...] = ()
    #: offset of the query form keyword (after the prologue)
    form_offset: int = 0
    #: offset of the ORDER keyword of the query's own (outermost) ORDER BY, if any
    order_at: int | None = None
    #: the variables a SELECT projects (names without "?"), None for ``SELECT *``
    projection: tuple[str, ...] | None = None
    #: a GRAPH keyword: the query reads named graphs
    names_graphs: bool = False


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
    structure = _Structure()
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
        structure.feed(kind, value, match.start(), match.end(), form)
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
        size=structure.size,
        values_terms=structure.values_terms,
        has_base=structure.has_base,
        dataset_at=structure.dataset_at(len(text)) if form in QUERY_FORMS else None,
        order_by=tuple(structure.order_by),
        form_offset=form_offset,
        order_at=structure.order_at,
        projection=None if structure.star else tuple(structure.projection),
        names_graphs=structure.names_graphs,
    )
    return analysis, tokens


_TERMS = frozenset({"var", "iri", "pname", "bnode", "string", "number", "word", "langtag"})


class _Structure:
    """What :func:`_lex` learns from the brackets around each token: sizes (outside and
    inside VALUES data), where dataset clauses go, and the ORDER BY conditions."""

    def __init__(self) -> None:
        self.stack: list[str] = []  # open brackets: "(", "{", "["
        self.size = 0
        self.values_terms = 0
        self.has_base = False
        self.order_by: list[OrderCondition] = []
        self._previous: tuple[str, str] = ("", "")
        self._values = "none"  # none | head (after VALUES) | data (inside its braces)
        self._values_depth = 0
        self._dataset_at: int | None = None
        self._template = "none"  # a CONSTRUCT template: none yet, open, done
        self._form_seen = False
        self._construct = False
        # ORDER BY: "none"; "by" after ORDER; "list" reading conditions at self._order_depth
        self._order = "none"
        self._order_depth = 0
        self._condition: _Open | None = None
        #: variables a SELECT clause computes, ``(… AS ?v)``
        self._computed: set[str] = set()
        self.order_at: int | None = None
        self.projection: list[str] = []
        self.star = False
        self._previous_start = 0
        self.names_graphs = False
        #: variables that stand first in a triple pattern (IRIs or blank nodes only), and
        #: variables a ``FILTER(LANG(?v) = "…")`` holds to one language
        self._subjects: set[str] = set()
        self._one_language: set[str] = set()
        self._bound_otherwise: set[str] = set()
        self._recent: list[str] = []

    def dataset_at(self, end: int) -> int:
        return self._dataset_at if self._dataset_at is not None else end

    def feed(self, kind: str, value: str, start: int, end: int, form: str | None) -> None:
        upper = value.upper() if kind == "word" else ""
        if self._values == "data":
            if kind in _TERMS:
                self.values_terms += 1
        else:
            self.size += 1
        if form is None and upper == "BASE":
            self.has_base = True
        if upper == "GRAPH":
            self.names_graphs = True
        if kind == "var" and "{" in self.stack:
            if self._previous[1] in ("{", ".", "}"):
                self._subjects.add(value[1:])
            elif self.stack[-1] != "(" or self._previous[1].upper() == "AS":
                self._bound_otherwise.add(value[1:])  # predicate, object, BIND, VALUES
        self._recent = [*self._recent[-4:], value]
        if (len(self._recent) == 5 and self._recent[0].upper() == "LANG"
                and self._recent[1] == "(" and self._recent[3] == ")"
                and self._recent[4] == "=" and self._recent[2][:1] in "?$"):
            self._one_language.add(self._recent[2][1:])
        if kind == "var" and self._previous[1].upper() == "AS" and "{" not in self.stack:
            self._computed.add(value[1:])
        if form is not None:
            if not self._form_seen:  # the first token after the form keyword
                self._form_seen = True
                self._construct = form == "CONSTRUCT"
            self._where(kind, value, upper, start)
        self._order_by(kind, value, upper, start, end)
        self._brackets(kind, value, upper)
        self._previous = (kind, value)
        self._previous_start = start

    def _brackets(self, kind: str, value: str, upper: str) -> None:
        if upper == "VALUES":
            self._values = "head"
        if kind != "other":
            return
        if value in "({[":
            self.stack.append(value)
            if value == "{" and self._values == "head":
                self._values = "data"
                self._values_depth = len(self.stack)
        elif value in ")}]" and self.stack:
            if value == "}" and self._values == "data" and len(self.stack) == self._values_depth:
                self._values = "none"
            self.stack.pop()

    def _where(self, kind: str, value: str, upper: str, start: int) -> None:
        """Find where the WHERE clause starts (at the first top-level ``{`` or WHERE), and
        what a SELECT projects before it."""
        if self._dataset_at is not None:
            return
        top = not self.stack
        if top and kind == "var":
            self.projection.append(value[1:])
        elif top and value == "*":
            self.star = True
        elif kind == "var" and self._previous[1].upper() == "AS" and len(self.stack) == 1:
            self.projection.append(value[1:])
        if kind == "other" and value == "{" and top:
            if self._template == "none" and self._construct:
                self._template = "open"
            else:
                self._dataset_at = start
        elif kind == "other" and value == "}" and self._template == "open" and len(self.stack) == 1:
            self._template = "done"
        elif upper == "WHERE" and top:
            self._dataset_at = start

    def _one_kind(self, name: str) -> bool:
        """Whether an ORDER BY on variable ``name`` compares values of one kind only: one the
        SELECT clause computes (an aggregate's, typically: Virtuoso refuses expressions over
        its name), one that only ever stands first in a triple pattern (IRIs and blank
        nodes, which every engine orders alike), or one held to one language by a FILTER
        before the ORDER BY."""
        subject = name in self._subjects and name not in self._bound_otherwise
        return name in self._computed or subject or name in self._one_language

    def _order_by(self, kind: str, value: str, upper: str, start: int, end: int) -> None:
        """Collect ORDER BY conditions: a variable, ``ASC(…)``/``DESC(…)``, ``(…)``, or a
        function call, one after another at the depth where ``ORDER BY`` stands."""
        depth = len(self.stack)
        if self._order == "none":
            previous_kind, previous_value = self._previous
            if upper == "BY" and previous_kind == "word" and previous_value.upper() == "ORDER":
                self._order, self._order_depth = "list", depth
                if depth == 0:
                    self.order_at = self._previous_start
            return
        condition = self._condition
        if condition is not None:
            if condition.expression_start < 0 and depth == self._order_depth + 1:
                condition.expression_start = start  # first token inside ASC( / DESC(
                condition.single_kind = (kind == "word" and upper in SAFE_ORDER_FUNCTIONS) or (
                    kind == "var" and self._one_kind(value[1:]))
            if kind == "other" and value == ")" and depth == self._order_depth + 1:
                inner = condition.direction_given
                self.order_by.append(OrderCondition(
                    condition.start, end, condition.direction, condition.expression_start,
                    start if inner else end, condition.single_kind,
                ))
                self._condition = None
            return
        if depth != self._order_depth:
            return
        if kind == "var":
            self.order_by.append(OrderCondition(
                start, end, "ASC", start, end, self._one_kind(value[1:])))
        elif upper in ("ASC", "DESC"):
            self._condition = _Open(start, upper, -1, False, True)
        elif kind == "other" and value == "(":
            self._condition = _Open(start, "ASC", start, False, False)
        elif kind in ("word", "iri", "pname") and upper not in ("LIMIT", "OFFSET", "VALUES"):
            # a function call: its "(" follows
            self._condition = _Open(start, "ASC", start, upper in SAFE_ORDER_FUNCTIONS, False)
        else:
            self._order = "none"


@dataclass
class _Open:
    """An ORDER BY condition being read."""

    start: int
    direction: str
    expression_start: int  # -1 until the first token inside ASC( / DESC(
    single_kind: bool
    direction_given: bool



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

    Raises :class:`QueryTooComplex` past :data:`MAX_NESTING`, :data:`MAX_TOKENS` or
    :data:`MAX_VALUES_TERMS`, :class:`UnsafeQuery` for
    ``SERVICE``, :class:`UpdateRefused` for SPARQL Update, :class:`QuerySyntaxError` when no
    query form can be found at all.
    """
    analysis = analyse(text)
    _refuse_nesting(analysis)
    _refuse_size(analysis)
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


def _refuse_size(analysis: Analysis) -> None:
    if analysis.size > MAX_TOKENS:
        raise QueryTooComplex(
            f"the query is too large: {analysis.size:,} terms, keywords and operators outside "
            f"VALUES; SpaceKG accepts at most {MAX_TOKENS:,} (the engine's parser cannot take "
            "many thousands of triple patterns, UNION branches or operators safely); split "
            "it, or put lists of values in a VALUES block"
        )
    if analysis.values_terms > MAX_VALUES_TERMS:
        raise QueryTooComplex(
            f"the query's VALUES blocks hold {analysis.values_terms:,} terms; SpaceKG "
            f"accepts at most {MAX_VALUES_TERMS:,}; split the query"
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
