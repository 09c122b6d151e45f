"""How much of the report the data covers: triples in each paragraph's and clause's graph.

Every paragraph [1]–[46] and every annex clause P1–P11, O1–O7 states something, so each
graph must hold at least one triple; an empty one means a paragraph was skipped.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from spacekg.namespaces import GRAPH

PARAGRAPHS = 46
PREAMBULAR_CLAUSES = 11
OPERATIVE_CLAUSES = 7


@dataclass(frozen=True)
class CoverageRow:
    """One paragraph or clause of the report and the size of its graph."""

    label: str  # as the report numbers it: "[19]", "P3", "O5"
    graph: str  # graph IRI
    triples: int


def expected_graphs() -> list[tuple[str, str]]:
    """(label, graph IRI) of every paragraph and annex clause, in the report's order."""
    rows = [(f"[{n}]", f"{GRAPH}para/{n}") for n in range(1, PARAGRAPHS + 1)]
    rows += [(f"P{n}", f"{GRAPH}pp/{n}") for n in range(1, PREAMBULAR_CLAUSES + 1)]
    rows += [(f"O{n}", f"{GRAPH}op/{n}") for n in range(1, OPERATIVE_CLAUSES + 1)]
    return rows


def coverage(counts: Mapping[str, int]) -> list[CoverageRow]:
    """One row per paragraph and clause, from per-graph triple counts (a build's ``counts``)."""
    return [CoverageRow(label, graph, counts.get(graph, 0)) for label, graph in expected_graphs()]


def empty(rows: list[CoverageRow]) -> list[CoverageRow]:
    """The rows whose graph holds no triple."""
    return [row for row in rows if row.triples == 0]
