"""The in-process query runner: the pool answers a timeout at the limit, and a stuck query
counts as a runaway."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from spacekg.errors import QueryTimeout
from spacekg.query import negotiate as n
from spacekg.query.threads import QueryRunner
from spacekg.stores import BooleanResult
from spacekg.stores.memory import MemoryStore


class _SlowStore(MemoryStore):
    """ASK that takes ``seconds`` inside the 'engine' (a sleep nothing can interrupt)."""

    def __init__(self, seconds: float) -> None:
        super().__init__()
        self.seconds = seconds

    def query(self, sparql: str, **kwargs: Any) -> BooleanResult:  # type: ignore[override]
        time.sleep(self.seconds)
        return BooleanResult(True)


def _runner(**kwargs: Any) -> QueryRunner:
    return QueryRunner(threads=2, grace=0.3, **kwargs)


def test_a_quick_query_is_answered() -> None:
    rendered = _runner(timeout=5).run_query(_SlowStore(0.0), "ASK {}", n.SPARQL_JSON)
    assert b'"boolean": true' in rendered.body or b'"boolean":true' in rendered.body


def test_an_overrunning_query_is_answered_at_the_limit_and_counted_as_a_runaway() -> None:
    runaways: list[str] = []
    runner = _runner(timeout=0.2, on_runaway=runaways.append)
    with pytest.raises(QueryTimeout) as caught:
        runner.run_query(_SlowStore(0.8), "ASK {}", n.SPARQL_JSON)
    assert caught.value.limit == 0.2
    time.sleep(0.5)
    assert runaways and runner.runaways == 1  # still inside after the 0.3 s grace


def test_a_query_that_ends_within_the_grace_is_no_runaway() -> None:
    runaways: list[str] = []
    runner = _runner(timeout=0.1, on_runaway=runaways.append)
    with pytest.raises(QueryTimeout):
        runner.run_query(_SlowStore(0.2), "ASK {}", n.SPARQL_JSON)
    time.sleep(0.4)
    assert runaways == [] and runner.runaways == 0


def test_on_the_pool_the_caller_gets_query_timeout_at_the_limit() -> None:
    runner = _runner(timeout=0.2)
    started = time.monotonic()
    with pytest.raises(QueryTimeout):
        runner.run_query(_SlowStore(0.6), "ASK {}", n.SPARQL_JSON)
    assert time.monotonic() - started < 0.5


def test_many_queries_at_once_each_get_their_own_answer() -> None:
    runner = _runner(timeout=0.3)
    outcomes: list[str] = []
    lock = threading.Lock()

    def one(seconds: float) -> None:
        try:
            runner.run_query(_SlowStore(seconds), "ASK {}", n.SPARQL_JSON)
            result = "answered"
        except QueryTimeout:
            result = "timed out"
        with lock:
            outcomes.append(f"{seconds}:{result}")

    threads = [threading.Thread(target=one, args=(s,)) for s in (0.0, 0.05, 0.6, 0.7)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == sorted(
        ["0.0:answered", "0.05:answered", "0.6:timed out", "0.7:timed out"]
    )
