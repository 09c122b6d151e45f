"""Competency questions: each queries/*.rq answers, on the built dataset, what its
``# expect:`` rows (worked by hand from the report) say."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pyoxigraph as ox
import pytest
from spacekg import resources
from spacekg.build.pipeline import BuildResult

QUERIES = resources.query_files()
REQUIRED_HEADERS = ("title", "question-en", "question-zh", "source")
_HEADER = re.compile(r"^#\s*([a-z-]+):\s?(.*)$")


def header(path: Path) -> dict[str, list[str]]:
    """The ``# key: value`` comments of a competency question, values per key in order."""
    found: dict[str, list[str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        match = _HEADER.match(line.strip())
        if match:
            found.setdefault(match.group(1), []).append(match.group(2).strip())
    return found


def expected_rows(path: Path) -> list[list[str]]:
    return [[cell.strip() for cell in row.split("|")] for row in header(path).get("expect", [])]


def _without_comments(query: str) -> str:
    return "\n".join(line for line in query.splitlines() if not line.lstrip().startswith("#"))


def _cell(term: object) -> str:
    return "" if term is None else str(getattr(term, "value", term))


def _same(actual: str, expected: str) -> bool:
    if actual == expected:
        return True
    try:
        return Decimal(actual) == Decimal(expected)
    except InvalidOperation:
        return False


def _rows_equal(actual: list[list[str]], expected: list[list[str]]) -> bool:
    return len(actual) == len(expected) and all(
        len(a) == len(e) and all(_same(x, y) for x, y in zip(a, e, strict=True))
        for a, e in zip(actual, expected, strict=True))


def _canonical(rows: list[list[str]]) -> list[list[str]]:
    def norm(cell: str) -> str:
        try:
            return str(Decimal(cell).normalize())
        except InvalidOperation:
            return cell
    return sorted([norm(c) for c in row] for row in rows)


@pytest.fixture(scope="module")
def store(built: BuildResult) -> ox.Store:
    return ox.Store.read_only(str(built.oxigraph_path))


def test_there_are_at_least_30_competency_questions() -> None:
    assert len(QUERIES) >= 30, f"only {len(QUERIES)} competency questions"


@pytest.mark.parametrize("path", QUERIES, ids=[p.stem for p in QUERIES])
def test_question_has_its_header(path: Path) -> None:
    found = header(path)
    missing = [key for key in REQUIRED_HEADERS if not found.get(key)]
    assert not missing, f"{path.name}: missing header {missing}"
    assert expected_rows(path), f"{path.name}: no # expect: rows"


@pytest.mark.parametrize("path", QUERIES, ids=[p.stem for p in QUERIES])
def test_question_answers_as_the_report_says(path: Path, store: ox.Store) -> None:
    query = path.read_text(encoding="utf-8")
    expected = expected_rows(path)
    answer = store.query(query)  # the build put the union, each triple once, in the default graph
    if isinstance(answer, ox.QueryBoolean):
        actual = [["true" if bool(answer) else "false"]]
    else:
        assert isinstance(answer, ox.QuerySolutions), f"{path.name}: not a SELECT or ASK query"
        names = [v.value for v in answer.variables]
        actual = [[_cell(solution[name]) for name in names] for solution in answer]
    ordered = re.search(r"\bORDER\s+BY\b", _without_comments(query), re.IGNORECASE)
    if ordered:
        ok = _rows_equal(actual, expected)
    else:
        ok = _canonical(actual) == _canonical(expected)
    assert ok, (f"{path.name}: expected rows\n  "
                + "\n  ".join(" | ".join(r) for r in expected)
                + "\ngot\n  " + "\n  ".join(" | ".join(r) for r in actual))


def test_in_chinese_each_question_names_things_in_chinese_with_the_same_rows(
        store: ox.Store) -> None:
    """The SPARQL page's examples for a Chinese reader pick Chinese names: the same rows, no
    English label left (every labelled entity is named in both languages)."""
    from spacekg.publish.examples import competency_questions

    changed = 0
    for example in competency_questions():
        chinese = example.in_language("zh")
        assert not re.search(r'lang\(\s*\?\w+\s*\)\s*=\s*"en"', chinese.query), example.slug
        if chinese.query != example.query:
            changed += 1
            rows = [list(store.query(q)) for q in (example.query, chinese.query)]
            assert len(rows[0]) == len(rows[1]), example.slug
        assert example.in_language("en") == example
    assert changed >= 10
