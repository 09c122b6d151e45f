"""Run queries under a time limit, and stop the ones that overrun.

Neither pyoxigraph nor rdflib can cancel a query from Python (DESIGN.md §6), so each query
runs on a daemon thread of a small per-process pool while the request thread waits for it
with a deadline. On timeout the client gets its answer at once; the query thread is asked to
stop at the next row (streaming SELECT/CONSTRUCT stop there). A query still running after a
grace period is stuck inside the engine (sorting, aggregating): ``on_runaway`` is called, and
under gunicorn it makes this worker finish its other requests and exit, so the process — the
only thing that can stop such a query — is replaced by a fresh one (``serve.py``). Threads
cost nothing per query compared with sending queries to a separate process, and pyoxigraph
releases the GIL while it evaluates, so the pool gives real concurrency.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from typing import Any, TypeVar

from spacekg import negotiate
from spacekg.errors import Overloaded, QueryTimeout
from spacekg.results import Rendered, render
from spacekg.stores import GraphResult, SolutionsResult, Store

log = logging.getLogger(__name__)
T = TypeVar("T")


class _Stopped(Exception):
    """Raised inside a query thread whose client has stopped waiting."""


@dataclass
class _Job:
    work: Callable[[threading.Event], Any]
    future: Future[Any] = field(default_factory=Future)
    cancel: threading.Event = field(default_factory=threading.Event)
    started: float = 0.0


class QueryRunner:
    """A pool of ``threads`` daemon threads that evaluate and serialise queries.

    ``timeout`` is the per-query limit in seconds; ``grace`` how long a timed-out query may
    take to notice it should stop before it counts as a runaway.
    """

    def __init__(
        self,
        *,
        threads: int = 8,
        timeout: float = 30.0,
        grace: float = 2.0,
        on_runaway: Callable[[str], None] | None = None,
    ) -> None:
        self.timeout = timeout
        self.grace = grace
        self.on_runaway = on_runaway
        self._jobs: queue.SimpleQueue[_Job] = queue.SimpleQueue()
        self._threads = [
            threading.Thread(target=self._serve, name=f"spacekg-query-{i}", daemon=True)
            for i in range(max(1, threads))
        ]
        for thread in self._threads:
            thread.start()
        self.runaways = 0

    def _serve(self) -> None:
        while True:
            job = self._jobs.get()
            if job.cancel.is_set() or not job.future.set_running_or_notify_cancel():
                continue
            job.started = time.monotonic()
            try:
                job.future.set_result(job.work(job.cancel))
            except BaseException as exc:  # handed to the waiting request thread
                job.future.set_exception(exc)

    def submit(self, work: Callable[[threading.Event], T], *, timeout: float | None = None) -> T:
        """Run ``work(cancel_event)`` on the pool; wait at most ``timeout`` seconds.

        Raises :class:`QueryTimeout` when the limit passes (and, if the query never started
        because every thread was busy, :class:`Overloaded`); re-raises what ``work`` raised.
        """
        limit = self.timeout if timeout is None else timeout
        job = _Job(work)
        self._jobs.put(job)
        try:
            return job.future.result(timeout=limit)  # type: ignore[no-any-return]
        except FutureTimeout:
            job.cancel.set()
            if not job.started:
                job.future.cancel()
                raise Overloaded(
                    f"the server is busy: the query waited {limit:g} s for a free query thread "
                    "without starting; try again shortly"
                ) from None
            self._watch(job)
            raise QueryTimeout(
                f"the query ran longer than the {limit:g} s limit and was stopped; "
                "narrow it, add LIMIT, or ask the operator for a longer timeout",
                limit=limit,
            ) from None

    def _watch(self, job: _Job) -> None:
        def check() -> None:
            if not job.future.done():
                self.runaways += 1
                log.warning("a timed-out query is still running after %.1f s grace", self.grace)
                if self.on_runaway is not None:
                    self.on_runaway("timed-out query still running inside the engine")

        timer = threading.Timer(self.grace, check)
        timer.daemon = True
        timer.start()

    def run_query(
        self,
        store: Store,
        sparql: str,
        fmt: negotiate.Format,
        *,
        default_graph_uris: Sequence[str] = (),
        named_graph_uris: Sequence[str] = (),
        max_rows: int | None = None,
        timeout: float | None = None,
    ) -> Rendered:
        """Evaluate ``sparql`` on ``store`` and serialise it as ``fmt``, within the limit."""
        limit = self.timeout if timeout is None else timeout

        def work(cancel: threading.Event) -> Rendered:
            result = store.query(
                sparql,
                default_graph_uris=default_graph_uris,
                named_graph_uris=named_graph_uris,
                timeout=limit,
            )
            if isinstance(result, SolutionsResult):
                result = SolutionsResult(result.variables, _stoppable(result.rows, cancel))
            elif isinstance(result, GraphResult):
                result = GraphResult(_stoppable(result.triples, cancel), result.prefixes)
            return render(result, fmt, max_rows=max_rows)

        return self.submit(work, timeout=limit)


def _stoppable(items: Iterator[T], cancel: threading.Event) -> Iterator[T]:
    """Stop a lazy stream of rows as soon as the client has been told it timed out."""
    for count, item in enumerate(items):
        if count % 64 == 0 and cancel.is_set():
            raise _Stopped()
        yield item
