"""One small interface in front of every SPARQL backend.

Routes and the query pool speak only to :class:`Store`; a class per backend implements it
(``oxigraph.py`` the default, ``memory.py`` rdflib's reference engine, ``remote.py`` a SPARQL
1.1 engine reached over HTTP). Tests can swap in a tiny one.

The data is read-only while serving: ``load`` runs at start-up (and in tests). Every call to
``load``/``clear`` changes ``generation``, which the web layer uses as the ETag seed and to
empty its result cache.

Result objects carry RDF terms that are either rdflib terms (``URIRef``, ``BNode``,
``Literal``) or pyoxigraph terms (``NamedNode``, ``BlankNode``, ``Literal``); the serialisers
in :mod:`spacekg.query.results` accept both, so a backend hands over what it has without
converting. ``None`` in a row is an unbound variable.
"""

from __future__ import annotations

import hashlib
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from spacekg.errors import QueryError

#: What a client is told when an engine failed to reach a file or the network (the sandbox
#: refuses both); the system's own message would describe the sandbox, not the query.
OUTSIDE_REFUSED = (
    "the query could not be evaluated: it asked the engine to reach something outside the "
    "dataset (a file or another server), which this endpoint does not do"
)


def evaluation_error(exc: Exception) -> QueryError:
    """The client's error for an engine's failure while evaluating: an ``OSError`` (a refused
    connection or file) says so in plain words, anything else passes the engine's message."""
    if isinstance(exc, OSError):
        return QueryError(OUTSIDE_REFUSED)
    return QueryError(f"query evaluation failed: {exc}")


# An RDF term from rdflib or pyoxigraph (see the module docstring).
Term = Any
Triple = tuple[Term, Term, Term]
# A quad's fourth element is the graph IRI as a string, or None for the default graph.
Quad = tuple[Term, Term, Term, str | None]


@dataclass
class SolutionsResult:
    """Answer to SELECT: variable names (without '?') and rows aligned with them."""

    variables: list[str]
    rows: Iterator[Sequence[Term | None]]
    #: The engine's own serialiser, when it has one (Oxigraph's, in Rust, is several times
    #: faster than writing rows from Python): ``write_native(output, format)`` writes the
    #: answer to ``output`` in ``format`` (``json``, ``xml``, ``csv``, ``tsv``). ``rows``
    #: stays usable afterwards (the store evaluates the query again if it must), so a caller
    #: can abandon a native answer that grows too big and cut the rows itself.
    write_native: Callable[[IO[bytes], str], None] | None = None


@dataclass
class BooleanResult:
    """Answer to ASK."""

    value: bool


@dataclass
class GraphResult:
    """Answer to CONSTRUCT and DESCRIBE: a lazy stream of triples."""

    triples: Iterator[Triple]
    prefixes: dict[str, str] = field(default_factory=dict)
    #: The engine's own serialiser, as for SELECT: ``write_native(output, media_type)``.
    write_native: Callable[[IO[bytes], str], None] | None = None


QueryResult = SolutionsResult | BooleanResult | GraphResult


class Store(ABC):
    """A read-mostly RDF dataset that answers SPARQL 1.1 queries.

    The default graph seen by queries is the union of all named graphs, as a set: a triple
    that several graphs hold is seen once (unless the request names its own dataset with
    ``default_graph_uris``, FROM or FROM NAMED).
    """

    #: Short name shown in the service description and logs ("oxigraph", "memory", "remote").
    kind: str = "abstract"
    #: False when a forked child must reopen the store rather than inherit it (RocksDB files,
    #: HTTP connection pools); the web layer reopens such stores once per process.
    fork_safe: bool = True
    #: IRI against which relative IRIs in queries are resolved (``<id/agency/cnsa>``);
    #: the web layer sets the dataset's base. Backends that cannot honour it ignore it.
    base_iri: str | None = None

    def __init__(self) -> None:
        self._generation = hashlib.sha1(self.kind.encode()).hexdigest()

    @property
    def generation(self) -> str:
        """Opaque token that changes whenever the data changes (ETag seed, cache key).

        Deterministic where it can be: processes that load the same files in the same order
        get the same token, so ETags agree across server workers.
        """
        return self._generation

    def _touch(self, token: str | None = None) -> None:
        """Backends call this after any change of data, with a token describing the change
        (e.g. file path, size and mtime) when there is one, else a random one is used."""
        token = token if token is not None else uuid.uuid4().hex
        self._generation = hashlib.sha1(f"{self._generation}|{token}".encode()).hexdigest()

    def mark_changed(self) -> None:
        """Record that the data changed through the store's own API (a curated write):
        the generation moves on, so ETags change and the result cache empties."""
        self._touch()

    @abstractmethod
    def query(
        self,
        sparql: str,
        *,
        default_graph_uris: Sequence[str] = (),
        named_graph_uris: Sequence[str] = (),
        timeout: float | None = None,
    ) -> QueryResult:
        """Evaluate a read-only SPARQL query.

        ``default_graph_uris``/``named_graph_uris`` are the protocol's ``default-graph-uri``
        and ``named-graph-uri``: when either is given, the query's dataset is exactly the
        graphs named (an empty default graph if only named graphs are given). When neither is
        given the default graph is the union of all named graphs, each triple once, and every
        named graph is available to ``GRAPH``. ``timeout`` (seconds) is a hint a backend may
        enforce itself (a remote engine); the caller stops runaway queries regardless.

        Raises :class:`spacekg.errors.QueryError` for a malformed query or one the backend
        cannot evaluate. Callers check safety (no SERVICE, LOAD, updates) before calling.
        """

    @abstractmethod
    def load(self, source: str | Path | Iterable[Quad], graph: str | None = None) -> int:
        """Add RDF to the dataset; return the number of statements read.

        ``source`` is a file path (format from its extension: .ttl .nt .nq .trig .rdf/.owl
        .jsonld) or an iterable of quads. ``graph`` (an IRI) puts triples — and the quads of a
        dataset file — in that named graph; ``None`` keeps a dataset file's own graphs and puts
        the triples of a graph file in the default graph. Raises
        :class:`spacekg.errors.InputError` if the file cannot be read.
        """

    @abstractmethod
    def graph_names(self) -> list[str]:
        """IRIs of the named graphs, sorted."""

    @abstractmethod
    def triple_count(self, graph: str | None = None) -> int:
        """Triples in one named graph, or in the default graph when None: the union of the
        named graphs with each triple once, what ``SELECT (COUNT(*) AS ?n) { ?s ?p ?o }``
        counts."""

    @abstractmethod
    def clear(self) -> None:
        """Remove all data (tests and reloads)."""

    def close(self) -> None:
        """Release files, connections and processes held by the store."""
        return None


def guess_rdf_format(path: str | Path) -> str:
    """Media type of an RDF file from its extension; raises InputError if unknown."""
    from spacekg.errors import InputError

    suffix = Path(path).suffix.lower()
    try:
        return _EXTENSIONS[suffix]
    except KeyError:
        raise InputError(f"unknown RDF file extension {suffix!r} for {path}") from None


_EXTENSIONS = {
    ".ttl": "text/turtle",
    ".turtle": "text/turtle",
    ".nt": "application/n-triples",
    ".nq": "application/n-quads",
    ".trig": "application/trig",
    ".rdf": "application/rdf+xml",
    ".owl": "application/rdf+xml",
    ".xml": "application/rdf+xml",
    ".jsonld": "application/ld+json",
}


def source_token(source: object, graph: str | None) -> str | None:
    """A token for ``_touch`` describing a file load (None for other sources)."""
    if isinstance(source, str | Path):
        path = Path(source)
        try:
            stat = path.stat()
        except OSError:
            return None
        return f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}|{graph}"
    return None


DATASET_FORMATS = frozenset({"application/n-quads", "application/trig"})


def open_store(spec: str, **options: Any) -> Store:
    """Open a backend from the CLI's ``--store`` value.

    ``memory`` → rdflib Dataset; ``oxigraph`` → in-memory Oxigraph; ``oxigraph:DIR`` → on-disk
    Oxigraph at DIR (``read_only=True`` opens it read-only so several processes share it);
    ``http(s)://…`` → a remote SPARQL 1.1 engine.
    """
    if spec == "memory":
        from spacekg.stores.memory import MemoryStore

        return MemoryStore()
    if spec == "oxigraph" or spec.startswith("oxigraph:"):
        from spacekg.stores.oxigraph import OxigraphStore

        path = spec.partition(":")[2] or None
        return OxigraphStore(path, read_only=bool(options.get("read_only", False)))
    if spec.startswith(("http://", "https://")):
        from spacekg.stores.remote import RemoteStore  # type: ignore[import-not-found]

        return RemoteStore(spec, **options)  # type: ignore[no-any-return]
    from spacekg.errors import ConfigError

    raise ConfigError(f"unknown store {spec!r}: use memory, oxigraph[:DIR] or an http(s) URL")
