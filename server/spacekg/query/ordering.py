"""ORDER BY in one total order, the same on every backend.

SPARQL 1.1 §15.1 orders unbound < blank nodes < IRIs < literals and leaves the order between
literals that ``<`` cannot compare (a number and a string) to the engine. Oxigraph 0.5
compares such a pair by lexical form while it compares numbers by value, so its order is not
transitive (``3 < 16``, ``"16" < "250"``, ``"250" < "3"``) and Rust's sort aborts the process
on it ("user-provided comparison function does not correctly implement a total order";
``docs/oxigraph-sort-panic.md`` has the reproduction). rdflib and Virtuoso each pick another
order between datatypes, so the same query answered rows in three orders.

So each ORDER BY condition whose values may be of mixed kinds is rewritten, in the text the
engine gets, into keys that only ever compare like with like, and the engine still sorts
(its sort is fast, and bounded by the query process's limits like the rest of the query):

1. the kind: unbound or error 0, blank node 1, IRI 2, number or boolean 3, string 4,
   language-tagged string 5, any other literal 6 (dates, gYears…);
2. for numbers, the value (``2 < 10``, ``1 = 1.0``); false is 0 and true 1 (as Virtuoso
   sees them: it keeps xsd:boolean as 0 and 1 inside expressions);
3. one text: for numbers their datatype IRI; for the rest the datatype IRI of a typed
   literal (so datatypes follow each other in a fixed order), the lexical form's first 150
   characters (Virtuoso refuses sort keys over 1,900 bytes), the length of the lexical form
   and the language tag, separated by spaces.

Two terms tie only when they are the same term, texts of one length whose first 150
characters agree, numbers of equal value and datatype written differently (``1.0`` and
``1.00``: engines rewrite numbers in canonical forms of their own), or, on Virtuoso, a
boolean and the number of its value.

Every key is an integer or a simple literal, which all three engines compare the same way
(numbers by value, strings by code point). A condition whose values are all of one kind
(``STR(?x)``, ``COUNT(*)``, see :data:`spacekg.sparql.SAFE_ORDER_FUNCTIONS`) is left as it
is, and so is a variable the query computes itself (``(COUNT(?x) AS ?n)``: Virtuoso refuses
expressions over an aggregate's name in ORDER BY). Blank nodes tie with each other (their
labels mean nothing across engines).
"""

from __future__ import annotations

from spacekg.sparql import TOKEN, Analysis, OrderCondition, analyse

_XSD = "http://www.w3.org/2001/XMLSchema#"
#: a number, or a boolean (Virtuoso keeps xsd:boolean as 0 and 1 inside expressions:
#: DATATYPE(true) is xsd:integer there, so booleans sort among the numbers everywhere)
_NUMBER = f"(isLiteral({{e}})&&(isNumeric({{e}})||DATATYPE({{e}})=<{_XSD}boolean>))"

#: The keys of one condition; ``{e}`` is the expression in brackets. Three, because
#: Virtuoso sorts on at most 20 keys (a query ordered by six variables still fits).
_KEYS = tuple(key.replace("NUMBER", _NUMBER) for key in (
    "COALESCE(IF(isBlank({e}),1,IF(isIRI({e}),2,IF(NUMBER,3,IF(LANG({e})!=\"\",5,"
    f"IF(DATATYPE({{e}})=<{_XSD}string>,4,6))))),0)",
    "COALESCE(IF(NUMBER,IF(isNumeric({e}),IF({e}={e},{e},0),IF({e},1,0)),0),0)",
    "COALESCE(IF(NUMBER,STR(DATATYPE({e})),CONCAT(IF(isLiteral({e})&&LANG({e})=\"\","
    "STR(DATATYPE({e})),\"\"),\" \",SUBSTR(STR({e}),1,150),\" \",STR(STRLEN(STR({e}))),"
    "\" \",COALESCE(LANG({e}),\"\"))),\"\")",
))


def total_order(text: str, analysis: Analysis | None = None, *, wrap: bool = False) -> str:
    """``text`` with every ORDER BY condition of mixed kinds rewritten into the keys of the
    module docstring; the text itself when there is none. Nothing else changes, and no line
    is added for a one-line condition, so error positions before the ORDER BY stay the
    query's own.

    ``wrap`` (for a remote engine): the query's own ORDER BY sorts the rows of the query
    without it, as a subquery (``SELECT * { { SELECT … } } ORDER BY keys``), when its
    conditions use only projected variables; other ORDER BYs are left to the engine.
    Virtuoso plans the keys over a finished answer well, and the same keys inside a query
    with EXISTS or DISTINCT badly (a competency question went from 10 ms to over a minute).
    """
    analysis = analysis if analysis is not None else analyse(text)
    conditions = [c for c in analysis.order_by if not c.single_kind]
    if not conditions:
        return text
    if wrap:
        return _wrapped(text, analysis, conditions)
    out: list[str] = []
    last = 0
    for condition in conditions:
        out.append(text[last : condition.start])
        out.append(_keys(text, condition))
        last = condition.end
    out.append(text[last:])
    return "".join(out)


def _wrapped(text: str, analysis: Analysis, conditions: list[OrderCondition]) -> str:
    """The query without its own ORDER BY as a subquery, ordered outside by the keys."""
    at = analysis.order_at
    if analysis.form != "SELECT" or at is None:
        return text
    own = [c for c in analysis.order_by if c.start > at]
    if not any(c in conditions for c in own):
        return text
    visible = analysis.projection
    for condition in own:
        used = {m.group()[1:] for m in TOKEN.finditer(
            text, condition.expression_start, condition.expression_end
        ) if m.lastgroup == "var"}
        if visible is not None and not used <= set(visible):
            return text  # sorts on what the answer does not show: the engine's order
    keys = " ".join(_keys(text, c) if c in conditions else text[c.start : c.end] for c in own)
    head = text[: analysis.form_offset]
    body = text[analysis.form_offset : at]
    return f"{head}SELECT * WHERE {{ {{ {body} }} }} ORDER BY {keys}{text[own[-1].end :]}"


def _keys(text: str, condition: OrderCondition) -> str:
    expression = "(" + text[condition.expression_start : condition.expression_end] + ")"
    return " ".join(
        f"{condition.direction}({key.format(e=expression)})" for key in _KEYS
    )
