"""Run queries under a time limit in this process, and stop the ones that overrun.

For stores whose queries run inside the server worker (rdflib's, an in-memory Oxigraph, a remote
engine); an on-disk Oxigraph runs client queries in query processes instead
(``query/processes.py``). Neither pyoxigraph nor rdflib can cancel a query from Python
(docs/architecture.md, "Stopping a query"): each query runs on a daemon thread of a small
per-process pool while the request thread waits for it with a deadline. On timeout the client
gets its answer at once and the query is asked to stop at the next row (streaming
SELECT/CONSTRUCT stop there). A query still running after a grace period is stuck inside the
engine (sorting, aggregating): ``on_runaway`` is called, and under ``spacekg serve`` it makes
this worker exit, so the process — the only thing that can stop such a query — is replaced by a
fresh one (``serve.py``). pyoxigraph releases the GIL while it evaluates, so the pool gives real
concurrency.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from typing import Any, TypeVar

from spacekg.errors import Overloaded, QueryTimeout
from spacekg.query import negotiate
from spacekg.query.results import Rendered, Stopped, render
from spacekg.stores import GraphResult, SolutionsResult, Store

log = logging.getLogger(__name__)
T = TypeVar("T")


class Cancel:
    """A flag that asks a running query to stop: set by one thread, read by another.

    ``threading.Event`` would do, but builds a condition variable per query (~9 µs) that
    nobody ever waits on."""

    __slots__ = ("_set",)

    def __init__(self) -> None:
        self._set = False

    def set(self) -> None:
        self._set = True

    def is_set(self) -> bool:
        return self._set


class _Claimable:
    """A state that two threads race to move on from ``open``: the first claim wins."""

    __slots__ = ("state", "_claim")
    open = "open"

    def __init__(self) -> None:
        self.state = self.open
        self._claim = threading.Lock()

    def claim(self, state: str) -> bool:
        """Move on to ``state``; False when another party got there first."""
        with self._claim:
            if self.state != self.open:
                return False
            self.state = state
            return True


class _Job(_Claimable):
    """One query handed to the pool: the work, its outcome, and two flags.

    A bare lock signals completion (a ``concurrent.futures.Future`` costs a condition
    variable and ~40 µs more per query, a tenth of a point lookup). ``state`` moves from
    ``waiting`` to ``running`` or ``dropped`` under ``_claim``, so a job is either started
    by a thread or given up by its client, never both.
    """

    __slots__ = ("work", "cancel", "done", "value", "error")
    open = "waiting"

    def __init__(self, work: Callable[[Cancel], Any]) -> None:
        super().__init__()
        self.work = work
        self.cancel = Cancel()
        self.done = threading.Lock()
        self.done.acquire()
        self.value: Any = None
        self.error: BaseException | None = None


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
            if job.cancel.is_set() or not job.claim("running"):
                continue
            try:
                job.value = job.work(job.cancel)
            except BaseException as exc:  # handed to the waiting request thread
                job.error = exc
            job.done.release()

    def submit(self, work: Callable[[Cancel], T], *, timeout: float | None = None) -> T:
        """Run ``work(cancel_event)`` on the pool; wait at most ``timeout`` seconds.

        Raises :class:`QueryTimeout` when the limit passes (and, if the query never started
        because every thread was busy, :class:`Overloaded`); re-raises what ``work`` raised.
        """
        limit = self.timeout if timeout is None else timeout
        job = _Job(work)
        self._jobs.put(job)
        if job.done.acquire(timeout=limit):
            if job.error is not None:
                raise job.error
            return job.value  # type: ignore[no-any-return]
        job.cancel.set()
        if job.claim("dropped"):
            raise Overloaded(
                f"the server is busy: the query waited {limit:g} s for a free query thread "
                "without starting; try again shortly"
            )
        self._after_grace(job.done.locked)
        raise _timeout(limit)

    def _after_grace(self, still_running: Callable[[], bool]) -> None:
        """After the client was told of its timeout: a query still inside the engine past
        the grace period is a runaway, and ``on_runaway`` recycles the process."""

        def check() -> None:
            if still_running():
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
        client: str = "",
    ) -> Rendered:
        """Evaluate ``sparql`` on ``store`` and serialise it as ``fmt``, within the limit:
        the pool runs the query while the caller waits with a deadline. ``client`` is
        accepted for the process runner's interface: threads cannot be preempted, so this
        runner keeps no shares (``query/processes.py`` does)."""
        limit = self.timeout if timeout is None else timeout

        def work(cancel: Cancel) -> Rendered:
            result = store.query(
                sparql,
                default_graph_uris=default_graph_uris,
                named_graph_uris=named_graph_uris,
                timeout=limit,
            )
            if isinstance(result, SolutionsResult):
                result = replace(result, rows=_stoppable(result.rows, cancel))
            elif isinstance(result, GraphResult):
                result = replace(result, triples=_stoppable(result.triples, cancel))
            return render(result, fmt, max_rows=max_rows, cancel=cancel)

        return self.submit(work, timeout=limit)


def _timeout(limit: float) -> QueryTimeout:
    return QueryTimeout(
        f"the query ran longer than the {limit:g} s limit and was stopped; "
        "narrow it, add LIMIT, or ask the operator for a longer timeout",
        limit=limit,
    )


def _stoppable(items: Iterator[T], cancel: Cancel) -> Iterator[T]:
    """Stop a lazy stream of rows as soon as the client has been told it timed out."""
    for count, item in enumerate(items):
        if count % 64 == 0 and cancel.is_set():
            raise Stopped()
        yield item
