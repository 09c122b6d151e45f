"""Oxigraph backend: the default store, in memory or on disk.

Oxigraph evaluates queries in Rust and releases the GIL, so threads of one worker overlap.
On disk, ``read_only=True`` lets every server process open the same directory without a lock
(the build writes it; the server only reads).

The default graph answers as a set. Oxigraph's ``use_default_graph_as_union`` yields a triple
once per named graph holding it (a fact stated in two paragraphs came back twice), so the
union is materialised instead: every load copies the named graphs' triples into the store's
real default graph, where Oxigraph keeps each triple once, and queries read that graph as it
is (its single-graph indexes, no per-graph merge). Writes keep it in step (``write/gate.py``).
A store written before this (named graphs, empty default graph) is still read as the union.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import IO

import pyoxigraph as ox

from spacekg import queryfiles
from spacekg.errors import InputError, QuerySyntaxError
from spacekg.sparql import declares_dataset, needs_base_iri
from spacekg.stores import (
    DATASET_FORMATS,
    BooleanResult,
    GraphResult,
    Quad,
    QueryResult,
    SolutionsResult,
    Store,
    evaluation_error,
    guess_rdf_format,
    source_token,
)


class OxigraphStore(Store):
    """pyoxigraph ``Store``; ``path=None`` keeps it in memory."""

    kind = "oxigraph"

    def __init__(self, path: str | Path | None = None, *, read_only: bool = False) -> None:
        super().__init__()
        self.path = Path(path) if path else None
        self.read_only = read_only
        try:
            if self.path is None:
                self._store = ox.Store()
            elif read_only:
                self._store = ox.Store.read_only(str(self.path))
            else:
                self._store = ox.Store(str(self.path))
        except OSError as exc:
            raise InputError(f"cannot open the Oxigraph store at {self.path}: {exc}") from exc
        self._sizes: dict[str, int] | None = None
        self._default_size: int | None = None
        #: False for a store whose union was never copied into its default graph (written
        #: by an older SpaceKG): queries then ask Oxigraph for the union, duplicates and all.
        self.union_materialised = True
        if self.path is not None:
            # RocksDB handles must not cross a fork; the token names the files opened.
            self.fork_safe = False
            if _union_missing(self._store):
                if read_only:
                    self.union_materialised = False
                else:
                    materialise_union(self._store)
            self._touch(_directory_token(self.path))

    @property
    def native(self) -> ox.Store:
        """The pyoxigraph store, for callers that need its own API (build, bench)."""
        return self._store

    def query(
        self,
        sparql: str,
        *,
        default_graph_uris: Sequence[str] = (),
        named_graph_uris: Sequence[str] = (),
        timeout: float | None = None,
    ) -> QueryResult:
        if default_graph_uris or named_graph_uris:
            options: dict[str, object] = {
                "default_graph": [ox.NamedNode(u) for u in default_graph_uris],
                "named_graphs": [ox.NamedNode(u) for u in named_graph_uris],
            }
        elif declares_dataset(sparql) or self._default_is_union():
            # FROM / FROM NAMED pick graphs of the store (never fetched); otherwise the
            # store's default graph is the union already (see the module docstring)
            options = {}
        else:
            options = {"use_default_graph_as_union": True}

        def evaluate() -> object:
            try:
                return self._store.query(
                    sparql,
                    base_iri=self.base_iri if needs_base_iri(sparql) else None,
                    **options,  # type: ignore[arg-type]
                )
            except SyntaxError as exc:
                raise _syntax_error(str(exc)) from exc
            except (ValueError, OSError) as exc:
                raise evaluation_error(exc) from exc

        result = evaluate()
        if isinstance(result, ox.QueryBoolean):
            return BooleanResult(bool(result))
        if isinstance(result, ox.QuerySolutions):
            return _solutions(result, evaluate)
        return _triples(result, evaluate)

    def _default_is_union(self) -> bool:
        """Whether the default graph holds the union. A read-only store was checked when it
        was opened; a writable one is checked each time (two index probes), in case a
        caller filled it through ``native`` rather than ``load``."""
        if self.read_only:
            return self.union_materialised
        return self.union_materialised and not _union_missing(self._store)

    def load(self, source: str | Path | Iterable[Quad], graph: str | None = None) -> int:
        if self.read_only:
            raise InputError("this Oxigraph store is open read-only")
        if isinstance(source, str | Path) and _native_load(Path(source), graph):
            count = self._load_file(Path(source), graph)
        else:
            if isinstance(source, str | Path):
                quads = list(_parse_file(Path(source), graph))
            else:
                quads = [_to_ox_quad(q) for q in source]
            self._store.extend(quads)
            count = len(quads)
        if self.union_materialised:
            materialise_union(self._store)
        self._touch(source_token(source, graph))
        self._sizes = None
        self._default_size = None
        return count

    def _load_file(self, path: Path, graph: str | None) -> int:
        """Parse and insert in Rust, in one transaction: a third faster than going through
        Python quads, which is most of a cold start at a million triples."""
        fmt = ox.RdfFormat.from_media_type(guess_rdf_format(path))
        before = len(self._store)
        try:
            self._store.load(
                path=str(path),
                format=fmt,
                base_iri=path.resolve().as_uri(),
                to_graph=ox.NamedNode(graph) if graph else None,
            )
        except (SyntaxError, ValueError, OSError) as exc:
            raise InputError(f"cannot read {path}: {exc}") from exc
        return len(self._store) - before

    def graph_names(self) -> list[str]:
        return sorted(g.value for g in self._store.named_graphs() if isinstance(g, ox.NamedNode))

    def triple_count(self, graph: str | None = None) -> int:
        if graph is None:
            if not self._default_is_union():
                return len(self._store)
            if self._default_size is None:
                size = self._store.query(queryfiles.load("default_graph_size"))
                assert isinstance(size, ox.QuerySolutions)
                self._default_size = int(next(iter(size))["n"].value)  # type: ignore[index]
            return self._default_size
        if self._sizes is None:
            sizes = self._store.query(queryfiles.load("graph_sizes"))
            assert isinstance(sizes, ox.QuerySolutions)
            self._sizes = {s["g"].value: int(s["n"].value) for s in sizes}  # type: ignore[union-attr]
        return self._sizes.get(graph, 0)

    def mark_changed(self) -> None:
        super().mark_changed()
        self._sizes = None
        self._default_size = None

    def clear(self) -> None:
        self._store.clear()
        self._touch()
        self._sizes = None
        self._default_size = None
        self.union_materialised = True

    def close(self) -> None:
        if not self.read_only and self.path is not None:
            self._store.flush()


def materialise_union(store: ox.Store) -> None:
    """Copy every named graph's triples into the default graph (a set: each once)."""
    store.update(queryfiles.load("union_into_default_graph"))


def _union_missing(store: ox.Store) -> bool:
    """Whether ``store`` has named-graph triples but an empty default graph: written before
    the union was materialised."""
    if next(iter(store.quads_for_pattern(None, None, None, ox.DefaultGraph())), None) is not None:
        return False
    return next(iter(store.quads_for_pattern(None, None, None, None)), None) is not None


def _directory_token(path: Path) -> str:
    """Names, sizes and mtimes of the store's files: equal for every process reading them."""
    try:
        entries = sorted(
            f"{p.name}:{p.stat().st_size}:{p.stat().st_mtime_ns}" for p in path.iterdir()
        )
    except OSError:
        return str(path)
    return f"{path.resolve()}|" + ",".join(entries)


_RESULTS_FORMATS = {
    "json": ox.QueryResultsFormat.JSON,
    "xml": ox.QueryResultsFormat.XML,
    "csv": ox.QueryResultsFormat.CSV,
    "tsv": ox.QueryResultsFormat.TSV,
}


class _Answer:
    """One evaluation of a SELECT, CONSTRUCT or DESCRIBE, consumed either natively or as
    Python rows (then evaluated again).

    Answers are one-pass streams. A caller may start writing one with Oxigraph's own
    serialiser and give up (the answer outgrew the row limit); the rows it then asks for come
    from a fresh evaluation of the same query on the same read-only data.
    """

    def __init__(self, first: object, evaluate: Callable[[], object]) -> None:
        self._first: object | None = first
        self._evaluate = evaluate

    def _take(self) -> object:
        first, self._first = self._first, None
        return first if first is not None else self._evaluate()

    def write_native(self, output: IO[bytes], format_name: str) -> None:
        answer = self._take()
        fmt = (
            _RESULTS_FORMATS[format_name]
            if isinstance(answer, ox.QuerySolutions)
            else ox.RdfFormat.from_media_type(format_name)
        )
        try:
            answer.serialize(output, format=fmt)  # type: ignore[attr-defined]
        except (ValueError, SyntaxError, OSError) as exc:
            raise evaluation_error(exc) from exc

    def rows(self, width: int) -> Iterator[tuple]:  # type: ignore[type-arg]
        solutions = self._take()
        yield from _guarded(tuple(sol[i] for i in range(width)) for sol in solutions)  # type: ignore[attr-defined]

    def triples(self) -> Iterator[ox.Triple]:
        yield from _guarded(iter(self._take()))  # type: ignore[call-overload]


def _solutions(first: ox.QuerySolutions, evaluate: Callable[[], object]) -> SolutionsResult:
    answer = _Answer(first, evaluate)
    names = [v.value for v in first.variables]
    return SolutionsResult(names, answer.rows(len(names)), write_native=answer.write_native)


def _triples(first: object, evaluate: Callable[[], object]) -> GraphResult:
    answer = _Answer(first, evaluate)
    # ox.Triple unpacks as (s, p, o)
    return GraphResult(answer.triples(), write_native=answer.write_native)


def _guarded(items: Iterator[tuple]) -> Iterator[tuple]:  # type: ignore[type-arg]
    """Turn evaluation errors raised while iterating into QueryError."""
    try:
        yield from items
    except (ValueError, OSError, SyntaxError) as exc:
        raise evaluation_error(exc) from exc


def _native_load(path: Path, graph: str | None) -> bool:
    """Whether Oxigraph's own loader does what ``load`` promises for this file: keep a
    dataset's graphs, or put a graph file's triples in ``graph`` (a dataset file loaded
    into one graph goes through Python, which moves every quad)."""
    media_type = guess_rdf_format(path)
    fmt = ox.RdfFormat.from_media_type(media_type)
    if fmt is None:
        return False
    return graph is None or media_type not in DATASET_FORMATS


def _parse_file(path: Path, graph: str | None) -> Iterator[ox.Quad]:
    media_type = guess_rdf_format(path)
    fmt = ox.RdfFormat.from_media_type(media_type)
    if fmt is None:
        raise InputError(f"unsupported RDF format {media_type} for {path}")
    target = ox.NamedNode(graph) if graph else ox.DefaultGraph()
    keep_graphs = media_type in DATASET_FORMATS and graph is None
    try:
        with path.open("rb") as handle:
            for q in ox.parse(handle, format=fmt, base_iri=path.resolve().as_uri()):
                yield q if keep_graphs else ox.Quad(q.subject, q.predicate, q.object, target)
    except (SyntaxError, ValueError, OSError) as exc:
        raise InputError(f"cannot read {path}: {exc}") from exc


def _to_ox_quad(quad: Quad) -> ox.Quad:
    from spacekg.stores.terms import to_oxigraph

    s, p, o, g = quad
    return ox.Quad(
        to_oxigraph(s), to_oxigraph(p), to_oxigraph(o), ox.NamedNode(g) if g else ox.DefaultGraph()
    )


_POSITION = re.compile(r"error at (\d+):(\d+)")


def _syntax_error(message: str) -> QuerySyntaxError:
    """Keep Oxigraph's message and lift its 'error at LINE:COLUMN' into fields."""
    found = _POSITION.search(message)
    if found is None:
        return QuerySyntaxError(message)
    return QuerySyntaxError(message, line=int(found[1]), column=int(found[2]))
