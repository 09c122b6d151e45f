"""Coverage: every paragraph and annex clause of the report has statements."""

from __future__ import annotations

from spacekg.build.coverage import coverage, empty, expected_graphs
from spacekg.build.pipeline import BuildResult


def test_coverage_lists_every_paragraph_and_clause() -> None:
    labels = [label for label, _ in expected_graphs()]
    assert len(labels) == 46 + 11 + 7
    assert labels[0] == "[1]" and labels[45] == "[46]" and labels[46] == "P1"
    assert labels[-1] == "O7"


def test_empty_graph_is_reported() -> None:
    rows = coverage({"https://w3id.org/spacekg/graph/para/1": 5})
    assert [r.label for r in empty(rows)][:2] == ["[2]", "[3]"]
    assert rows[0].triples == 5


def test_no_paragraph_or_clause_is_empty(built: BuildResult) -> None:
    missing = [row.label for row in empty(coverage(built.counts))]
    assert not missing, f"paragraphs/clauses without triples: {', '.join(missing)}"
