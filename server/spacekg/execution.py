"""Run queries under a time limit, and stop the ones that overrun.

Neither pyoxigraph nor rdflib can cancel a query from Python (DESIGN.md §6). Two ways keep
the promise that a client hears of its timeout at the limit. When the HTTP layer can answer
from another thread (under gunicorn it writes to the client's socket), the query runs in the
request thread and one watchdog thread per process fires at the deadline (``Watchdog``):
no hand-off, which is a fifth of a point lookup's cost. Otherwise each query runs on a daemon
thread of a small per-process pool while the request thread waits for it with a deadline.
Either way, on timeout the client gets its answer at once and the query is asked to stop at
the next row (streaming SELECT/CONSTRUCT stop there). A query still running after a
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
from dataclasses import replace
from typing import Any, TypeVar

from spacekg import negotiate
from spacekg.errors import Overloaded, QueryTimeout
from spacekg.results import Rendered, Stopped, render
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


class ClientAnswered(Exception):
    """The watchdog has already answered this request's client (503) and closed its
    connection: there is nothing left to send."""


class _Watch(_Claimable):
    """A deadline being watched: whoever claims it first — the request finishing, or the
    watchdog firing — decides what the client gets."""

    __slots__ = ("deadline", "fire")
    open = "running"

    def __init__(self, deadline: float, fire: Callable[[], None]) -> None:
        super().__init__()
        self.deadline = deadline
        self.fire = fire


class Watchdog:
    """One thread per process that fires callbacks at deadlines.

    Registering and finishing cost a set insert and delete: nobody is woken. The
    thread looks at the watches in flight (a handful: one per busy request thread) at the
    nearest deadline, and at least every ``TICK`` seconds for watches registered since;
    a finished watch is simply gone. (A heap of every watch until its deadline, as before,
    held tens of thousands of entries at a few thousand queries a second.)
    """

    TICK = 0.25

    def __init__(self) -> None:
        self._active: set[_Watch] = set()
        self._wake = threading.Event()
        self._thread = threading.Thread(target=self._run, name="spacekg-watchdog", daemon=True)
        self._thread.start()

    def watch(self, seconds: float, fire: Callable[[], None]) -> _Watch:
        entry = _Watch(time.monotonic() + seconds, fire)
        self._active.add(entry)
        if seconds < self.TICK:
            self._wake.set()  # sooner than the thread would look
        return entry

    def finished(self, entry: _Watch) -> None:
        self._active.discard(entry)

    def _run(self) -> None:
        while True:
            now = time.monotonic()
            nearest = now + self.TICK
            for entry in list(self._active):
                if entry.deadline > now:
                    nearest = min(nearest, entry.deadline)
                    continue
                self._active.discard(entry)
                if entry.claim("fired"):
                    try:
                        entry.fire()
                    except Exception:  # a watchdog that dies would stop every later limit
                        log.exception("answering a timed-out request failed")
            self._wake.wait(max(0.0, nearest - time.monotonic()))
            self._wake.clear()


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
        self._watchdog: Watchdog | None = None

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
        answer_timeout: Callable[[QueryTimeout], None] | None = None,
    ) -> Rendered:
        """Evaluate ``sparql`` on ``store`` and serialise it as ``fmt``, within the limit.

        With ``answer_timeout`` (a way to answer the client from another thread: the HTTP
        layer writes to the connection) the query runs in the calling thread, saving the
        hand-off to the pool — a tenth of a millisecond and two thread switches, a fifth of
        a point lookup under load. At the limit the watchdog calls ``answer_timeout``, and
        the caller gets :class:`ClientAnswered` when (if) the engine returns. Without it, the
        pool runs the query while the caller waits with a deadline.
        """
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

        if answer_timeout is None:
            return self.submit(work, timeout=limit)
        return self._inline(work, limit, answer_timeout)

    def _inline(
        self,
        work: Callable[[Cancel], Rendered],
        limit: float,
        answer_timeout: Callable[[QueryTimeout], None],
    ) -> Rendered:
        cancel = Cancel()

        def fire() -> None:
            cancel.set()  # a streaming answer stops at its next row
            answer_timeout(_timeout(limit))
            self._after_grace(lambda: watch.state != "finished")

        if self._watchdog is None:
            self._watchdog = Watchdog()
        watch = self._watchdog.watch(limit, fire)
        try:
            rendered = work(cancel)
        except Stopped:
            rendered = None
        finally:
            self._watchdog.finished(watch)
        if not watch.claim("done"):
            watch.state = "finished"
            raise ClientAnswered()
        if rendered is None:  # stopped without the watchdog: cannot happen, but be plain
            raise _timeout(limit)
        return rendered


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
