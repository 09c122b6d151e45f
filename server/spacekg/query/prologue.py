"""The prologue a query gets before an engine reads it: SpaceKG's own prefixes predeclared,
and errors about prefixes said in one line.

Why predeclare: every question about the report starts with the same four to six PREFIX
lines (``skg:``, ``skos:``, ``rdfs:``…); Wikidata's query service predeclares its own for
the same reason. Only the predeclared prefixes a query *uses and does not declare itself*
are added, so a query's own ``PREFIX skg: <…>`` always wins, and a query that needs none is
passed on unchanged (same text, same cache key, same engine fast path).

Where they go: on the query's first line, before its own text, so every line number the
engine reports is the user's; a column on line 1 is moved back by the length added
(:meth:`PreparedQuery.explain`). ``BASE`` does not matter: the added IRIs are absolute, and
the grammar allows ``PREFIX`` and ``BASE`` in any order.

Why explain prefixes ourselves: Oxigraph answers an undeclared prefix with "expected one of
Prefix not found" followed by a screenful of Unicode ranges, rdflib with "Unknown namespace
prefix". When an engine refuses a query, the query's text is scanned for a prefixed name
whose prefix nothing declared; if there is one, that is the message. A scan that runs only
after the engine refused can never refuse a valid query.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from spacekg.errors import QueryError, QuerySyntaxError
from spacekg.namespaces import PREFIXES
from spacekg.sparql import TOKEN


@dataclass(frozen=True)
class PrefixedName:
    """A prefixed name in a query's text: its prefix (without the colon) and where it is."""

    prefix: str
    line: int
    column: int


def scan(text: str) -> tuple[set[str], list[PrefixedName]]:
    """The prefixes ``text`` declares, and every prefixed name it uses, in order."""
    declared: set[str] = set()
    used: list[PrefixedName] = []
    expect_declaration = False
    previous = ""
    for match in TOKEN.finditer(text):
        kind, value = match.lastgroup, match.group()
        if kind in ("ws", "comment"):
            continue
        after_backslash, previous = previous == "\\", value
        if kind == "word" and value.upper() == "PREFIX":
            expect_declaration = True
            continue
        if kind != "pname" or after_backslash:
            # a name right after a backslash is the tail of a \uHHHH escape: what it spells
            # is the engine's to read, so it is neither a declaration nor a prefixed name
            expect_declaration = False
            continue
        prefix = value.partition(":")[0]
        if expect_declaration:
            declared.add(prefix)
            expect_declaration = False
            continue
        line, column = _position(text, match.start())
        used.append(PrefixedName(prefix, line, column))
    return declared, used


def undeclared(text: str, predeclared: dict[str, str] = PREFIXES) -> PrefixedName | None:
    """The first prefixed name whose prefix neither the text nor ``predeclared`` declares."""
    declared, used = scan(text)
    for name in used:
        if name.prefix not in declared and name.prefix not in predeclared:
            return name
    return None


def undefined_prefix(
    text: str, predeclared: dict[str, str] = PREFIXES
) -> QuerySyntaxError | None:
    """The one-line error for the first undeclared prefix in ``text``, if it has one."""
    name = undeclared(text, predeclared)
    if name is None:
        return None
    prefix = f"{name.prefix}:"
    return QuerySyntaxError(
        f'undefined prefix "{prefix}" at line {name.line}, column {name.column}; '
        f"declare it with PREFIX {prefix} <…>",
        line=name.line,
        column=name.column,
    )


@dataclass(frozen=True)
class PreparedQuery:
    """A query as given (``original``) and as the engine gets it (``text``): ``added``
    characters of PREFIX declarations put at the start of its first line."""

    original: str
    text: str
    added: int = 0

    def explain(self, error: QueryError) -> QueryError:
        """The error to show the user for ``error``, raised by an engine given ``text``: one
        line naming an undeclared prefix when the query has one; otherwise ``error`` with a
        position on line 1 moved back to the user's column."""
        if type(error) not in (QueryError, QuerySyntaxError):
            return error  # refused for what it does (SERVICE, nesting…), not how it is spelt
        named = undefined_prefix(self.original)
        if named is not None:
            return named
        if not self.added or not isinstance(error, QuerySyntaxError) or error.line != 1:
            return error
        column = max(1, (error.column or 1) - self.added)
        message = re.sub(r"\berror at 1:\d+", f"error at 1:{column}", str(error), count=1)
        return QuerySyntaxError(message, line=1, column=column)


def predeclare(text: str, predeclared: dict[str, str] = PREFIXES) -> PreparedQuery:
    """``text`` with a PREFIX declaration for each predeclared prefix it uses but does not
    declare, put before its first line's text (see the module docstring)."""
    declared, used = scan(text)
    needed = sorted({n.prefix for n in used if n.prefix in predeclared} - declared)
    if not needed:
        return PreparedQuery(text, text)
    head = "".join(f"PREFIX {p}: <{predeclared[p]}> " for p in needed)
    return PreparedQuery(text, head + text, len(head))


def _position(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, column


__all__ = ["PrefixedName", "PreparedQuery", "predeclare", "scan", "undeclared",
           "undefined_prefix"]
