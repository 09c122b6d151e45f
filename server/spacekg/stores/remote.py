"""A SPARQL 1.1 engine reached over HTTP (Virtuoso, Fuseki, GraphDB, QLever, Neptune).

Why this backend exists: it is the path past one machine. The dataset is loaded with the
Graph Store Protocol (``POST ?graph=``) when a GSP endpoint is configured, otherwise with
SPARQL Update ``INSERT DATA``; queries go through the SPARQL 1.1 Protocol.

Union default graph, kept without rewriting queries: engines disagree on what the default
graph is (Virtuoso's is every graph it holds, its system graphs included), so unless the
request or the query names its own dataset, every query is sent with dataset clauses naming
the graphs of *this* dataset; nothing else in the query text changes. The default graph must
answer as a set, and engines merge several FROM graphs as a bag (Virtuoso returns a triple
once per graph holding it), so a store that loads the data also writes every triple to one
more graph of its own, ``urn:x-spacekg:union:…``, which the engine keeps as a set; queries
name that graph alone as their default graph. A store over graphs someone else loaded has
no such graph and sends the graph list (the engine's merge then decides).

Ownership: the store treats each graph it loads as its own; the first load into a graph in the
life of a store replaces what the engine held in that graph (so a restart reloads instead of
merging stale data), later loads add. ``clear`` drops only those graphs.

Blank nodes are scoped per request by every engine, so a graph that contains blank nodes is
sent in one request; blank nodes shared between graphs are not kept shared (N-Quads allows it,
the protocol cannot express it).

Virtuoso specifics, handled here: its ``timeout`` parameter and ``MaxQueryExecutionTime``
return *partial* results flagged only by ``X-SQL-State`` headers, which this store refuses;
its ``ResultSetMaxRows`` (10,000 by default) truncates silently and must be raised in
``virtuoso.ini`` (``scripts/virtuoso.sh`` does).
"""

from __future__ import annotations

import os
import re
import threading
import uuid
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pyoxigraph
import requests
from requests.auth import AuthBase, HTTPBasicAuth, HTTPDigestAuth

from spacekg.errors import (
    BuildError,
    ConfigError,
    InputError,
    QueryError,
    QueryTimeout,
    RemoteStoreError,
)
from spacekg.sparql import QUERY_FORMS, analyse
from spacekg.stores import (
    DATASET_FORMATS,
    BooleanResult,
    GraphResult,
    Quad,
    QueryResult,
    SolutionsResult,
    Store,
    guess_rdf_format,
)
from spacekg.stores.terms import to_oxigraph

#: Graph that holds triples loaded "into the default graph": the protocol has no portable
#: way to write the engine's own default graph without mixing in its system data.
DEFAULT_GRAPH_BUCKET = "urn:x-spacekg:default-graph"
#: Graph that is never written: names an empty default graph (or empty named-graph set).
EMPTY_GRAPH = "urn:x-spacekg:empty"
#: Start of the name of the graph holding a loading store's union, each triple once.
UNION_GRAPH_PREFIX = "urn:x-spacekg:union:"

#: Graphs Virtuoso creates for itself; excluded when the dataset's graphs are discovered.
_VIRTUOSO_SYSTEM_PREFIXES = (
    "http://www.openlinksw.com/",
    "http://www.w3.org/ns/ldp#",
    "http://localuriqaserver/",
    "http://www.w3.org/2002/07/owl#",
    "urn:x-spacekg:",
)

#: Graph where a store that publishes a build records it: its checksum and its graphs,
#: written last, so an interrupted load is never taken for a finished one.
BUILD_GRAPH = "urn:x-spacekg:build"
_BUILD = "urn:x-spacekg:build"
_CHECKSUM = "urn:x-spacekg:checksum"
_HAS_GRAPH = "urn:x-spacekg:graph"
_UNION = "urn:x-spacekg:union"

_SPARQL_JSON = "application/sparql-results+json"
_GRAPH_ACCEPT = "application/n-triples, text/turtle;q=0.9"

# IRIs this module writes into SPARQL text itself (graph names only): no characters that
# could end the IRI early. User queries are never edited.
_SAFE_IRI = re.compile(r"^[^\s<>\"{}|^`\\]+$")


__all__ = ["RemoteStore", "RemoteStoreError", "parse_results", "with_dataset"]


class RemoteStore(Store):
    """Dataset held by a SPARQL 1.1 engine behind the protocol.

    ``endpoint`` is the query URL; user:password in it is taken as credentials. Writes go to
    ``gsp_endpoint`` (Graph Store Protocol) if given, else to ``update_endpoint`` (default: the
    query URL) by SPARQL Update. ``auth`` is ``"digest"`` (Virtuoso's ``-auth`` endpoints) or
    ``"basic"``, or ``"auto"``: whichever the engine's 401 asks for. ``graphs`` declares the
    dataset's named graphs when the engine was loaded by someone else (or by
    :meth:`publish`); otherwise they are the graphs this store loaded, or, failing both, those
    the engine lists (minus Virtuoso's system graphs). ``union_graph`` names a graph that
    already holds the union of ``graphs``, each triple once (what :meth:`publish` writes and
    :meth:`published` reports). ``union="native"`` trusts the engine's
    own default graph to be the union (Fuseki ``unionDefaultGraph``) and sends no graph list.
    ``timeout`` bounds each request in seconds; ``batch_size`` is the triples per write.
    """

    kind = "remote"

    def __init__(
        self,
        endpoint: str,
        *,
        update_endpoint: str | None = None,
        gsp_endpoint: str | None = None,
        user: str | None = None,
        password: str | None = None,
        auth: str = "auto",
        graphs: Sequence[str] | None = None,
        union_graph: str | None = None,
        union: str = "explicit",
        timeout: float = 60.0,
        batch_size: int = 50_000,
        read_only: bool = False,
    ) -> None:
        super().__init__()
        self.endpoint, url_user, url_password = _split_credentials(endpoint)
        user = user if user is not None else url_user
        password = password if password is not None else url_password
        self.update_endpoint = update_endpoint or self.endpoint
        self.gsp_endpoint = gsp_endpoint
        if union not in ("explicit", "native"):
            raise ConfigError(f"union must be 'explicit' or 'native', not {union!r}")
        if auth not in ("auto", "digest", "basic"):
            raise ConfigError(f"auth must be 'auto', 'digest' or 'basic', not {auth!r}")
        self.union = union
        self.timeout = timeout
        self.batch_size = batch_size
        self.read_only = read_only
        self._auth: AuthBase | None = None
        if user is not None:
            cls = {"auto": _EitherAuth, "digest": HTTPDigestAuth, "basic": HTTPBasicAuth}[auth]
            self._auth = cls(user, password or "")
        self._graphs: set[str] = set()
        self._declared = graphs is not None
        for g in graphs or ():
            self._graphs.add(_checked_iri(g))
        self._owned: set[str] = set()
        #: this store's union graph, written beside every graph it loads
        self._union_graph = union_graph or UNION_GRAPH_PREFIX + uuid.uuid4().hex
        #: the union graph holds the union already (published, or loaded by this store)
        self._union_ready = union_graph is not None
        self._has_default = False
        self._discovered = False
        # Set by the first load: from then on the dataset is what this store loaded.
        self._managed = False
        self._local = threading.local()
        self._pid = os.getpid()
        self._lock = threading.Lock()

    # -- HTTP ---------------------------------------------------------------------------

    def _session(self) -> requests.Session:
        if self._pid != os.getpid():
            # A forked worker must not share its parent's sockets: start its own pool.
            self._local = threading.local()
            self._pid = os.getpid()
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            adapter = requests.adapters.HTTPAdapter(pool_connections=4, pool_maxsize=16)
            session.mount("http://", adapter)
            session.mount("https://", adapter)
            session.trust_env = False  # loopback engines: never route through a proxy
            self._local.session = session
        return session

    def _post(
        self,
        url: str,
        *,
        timeout: float | None,
        **kwargs: Any,
    ) -> requests.Response:
        limit = timeout if timeout is not None else self.timeout
        try:
            return self._session().post(
                url, timeout=(min(10.0, limit), limit), auth=self._auth, **kwargs
            )
        except requests.Timeout as exc:
            raise QueryTimeout(
                f"the remote SPARQL engine did not answer within {limit:g} s", limit=limit
            ) from exc
        except requests.RequestException as exc:
            raise RemoteStoreError(f"remote SPARQL engine at {url} unreachable: {exc}") from exc

    # -- dataset ------------------------------------------------------------------------

    def _dataset_graphs(self) -> list[str]:
        """Named graphs of the dataset, discovering them once if nobody declared or loaded any."""
        if not self._graphs and not self._declared and not self._managed and not self._discovered:
            with self._lock:
                if not self._discovered:
                    self._graphs.update(self._discover_graphs())
                    self._discovered = True
        return sorted(self._graphs)

    def _discover_graphs(self) -> list[str]:
        response = self._post(
            self.endpoint,
            timeout=None,
            data={"query": "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"},
            headers={"Accept": _SPARQL_JSON},
        )
        result = self._parse_response(response, "SELECT")
        assert isinstance(result, SolutionsResult)
        names = [row[0].value for row in result.rows if row[0] is not None]
        if DEFAULT_GRAPH_BUCKET in names:
            self._has_default = True
        return [g for g in names if not g.startswith(_VIRTUOSO_SYSTEM_PREFIXES)]

    def refresh(self) -> None:
        """Forget discovered graphs (the engine was loaded by someone else meanwhile)."""
        with self._lock:
            if not self._declared and not self._managed:
                self._graphs.clear()
                self._discovered = False
        self._touch()

    def graph_names(self) -> list[str]:
        return self._dataset_graphs()

    def _union_graphs(self) -> list[str]:
        graphs = self._dataset_graphs()
        return [*graphs, DEFAULT_GRAPH_BUCKET] if self._has_default else graphs

    def _default_graphs(self) -> list[str]:
        """What queries name as their default graph: this store's union graph when it
        loaded the data, else every graph of the dataset."""
        if self._union_ready or self._union_graph in self._owned:
            return [self._union_graph]
        return self._union_graphs() or [EMPTY_GRAPH]

    # -- queries ------------------------------------------------------------------------

    def query(
        self,
        sparql: str,
        *,
        default_graph_uris: Sequence[str] = (),
        named_graph_uris: Sequence[str] = (),
        timeout: float | None = None,
    ) -> QueryResult:
        if self.base_iri and not analyse(sparql).has_base:
            # What pyoxigraph's base_iri= does. Only without a BASE of the query's own:
            # Virtuoso refuses a second BASE, which the grammar allows.
            sparql = f"BASE <{_checked_iri(self.base_iri)}>\n{sparql}"
        analysis = analyse(sparql)
        form = analysis.form
        if form not in QUERY_FORMS:
            raise QueryError("not a SPARQL query: no SELECT, ASK, CONSTRUCT or DESCRIBE")
        data: list[tuple[str, str]] = [("query", sparql)]
        if default_graph_uris or named_graph_uris:
            # The request names its dataset: exactly those graphs, empty where unnamed.
            data += [("default-graph-uri", g) for g in default_graph_uris or (EMPTY_GRAPH,)]
            data += [("named-graph-uri", g) for g in named_graph_uris or (EMPTY_GRAPH,)]
        elif not analysis.has_dataset_clause and self.union == "explicit":
            union = self._default_graphs()
            # the named graphs only for a query that reads them (GRAPH): a dataset of
            # thousands of graphs would otherwise travel with every query
            named = (self._dataset_graphs() or [EMPTY_GRAPH]) if analysis.names_graphs else []
            data = [("query", with_dataset(sparql, union, named))]
        accept = _GRAPH_ACCEPT if form in ("CONSTRUCT", "DESCRIBE") else _SPARQL_JSON
        response = self._post(self.endpoint, timeout=timeout, data=data, headers={"Accept": accept})
        return self._parse_response(response, form, timeout=timeout)

    def _parse_response(
        self, response: requests.Response, form: str, *, timeout: float | None = None
    ) -> QueryResult:
        if response.status_code >= 400:
            message = _said(response, 2000)
            if response.status_code in (400, 406, 415) or "syntax" in message.lower():
                raise QueryError(f"remote SPARQL engine refused the query: {message}")
            raise RemoteStoreError(
                f"remote SPARQL engine failed ({response.status_code}): {message}"
            )
        state = response.headers.get("X-SQL-State")
        if state:
            # Virtuoso's "anytime" answer: partial results after its time limit. Never serve.
            limit = timeout if timeout is not None else self.timeout
            raise QueryTimeout(
                "the remote SPARQL engine stopped the query at its own time limit "
                f"({state}: {response.headers.get('X-SQL-Message', '')}); partial results refused",
                limit=limit,
            )
        ctype = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if form in ("CONSTRUCT", "DESCRIBE"):
            return _parse_graph(response.content, ctype)
        if ctype not in (_SPARQL_JSON, "application/json"):
            raise RemoteStoreError(f"remote SPARQL engine answered {ctype or 'no media type'}")
        return parse_results(response.content)

    def triple_count(self, graph: str | None = None) -> int:
        if graph is not None:
            named = [_checked_iri(graph)]
        elif self._union_ready or self._union_graph in self._owned:
            named = [self._union_graph]  # the default graph, each triple once
        else:
            named = self._union_graphs()
        if not named:
            return 0
        count = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
        data = [("query", with_dataset(count, [EMPTY_GRAPH], named))]
        response = self._post(
            self.endpoint, timeout=None, data=data, headers={"Accept": _SPARQL_JSON}
        )
        result = self._parse_response(response, "SELECT")
        assert isinstance(result, SolutionsResult)
        row = next(iter(result.rows))
        return int(row[0].value)

    # -- writes -------------------------------------------------------------------------

    def load(self, source: str | Path | Iterable[Quad], graph: str | None = None) -> int:
        """Send RDF to the engine; see the class docstring for ownership and batching.

        Triples go in requests of ``batch_size`` (Graph Store Protocol) or
        ``_UPDATE_BATCH`` (SPARQL Update, whose text Virtuoso compiles to SQL); triples
        joined by a blank node go in one request (the engine scopes blank nodes per request).
        Raises InputError if the file cannot be parsed, RemoteStoreError/BuildError if the
        engine refuses the data.
        """
        if self.read_only:
            raise ConfigError("this remote store was opened read-only")
        target = _checked_iri(graph) if graph is not None else None
        quads = _read_quads(source, target)
        buffers: dict[str, list[pyoxigraph.Triple]] = {}
        blank: dict[str, list[pyoxigraph.Triple]] = {}
        count = 0
        try:
            for s, p, o, g in quads:
                name = target or (g if g is not None else DEFAULT_GRAPH_BUCKET)
                triple = pyoxigraph.Triple(s, p, o)
                for into in (name, self._union_graph):
                    if _has_bnode(triple):
                        blank.setdefault(into, []).append(triple)
                        continue
                    buf = buffers.setdefault(into, [])
                    buf.append(triple)
                    if len(buf) >= (self.batch_size if self.gsp_endpoint else _UPDATE_BATCH):
                        self._write(into, buf)
                        buffers[into] = []
                count += 1
        except SyntaxError as exc:
            raise InputError(f"cannot parse {source}: {exc}") from exc
        limit = self.batch_size if self.gsp_endpoint else min(self.batch_size, _UPDATE_BATCH)
        for name in sorted(set(buffers) | set(blank)):
            rest = buffers.get(name, [])
            for batch in _blank_node_batches(blank.get(name, []), limit):
                if len(rest) + len(batch) > limit:
                    self._write(name, rest)
                    rest = []
                rest = rest + batch
            if rest or name not in self._owned:
                self._write(name, rest)
        self._union_ready = self._union_graph in self._owned
        self._touch()
        return count

    # -- a build published once ----------------------------------------------------------

    def is_graph_store(self, url: str) -> bool:
        """Whether ``url`` answers as a Graph Store Protocol endpoint: a GET of a graph that
        does not exist is 404 there (Virtuoso, Fuseki), and 400 or 405 at a SPARQL Update
        endpoint. Raises RemoteStoreError when the engine refuses the credentials."""
        probe = f"urn:x-spacekg:probe:{uuid.uuid4().hex}"
        try:
            response = self._session().get(
                url, params={"graph": probe}, auth=self._auth, timeout=(10.0, self.timeout),
                headers={"Accept": "application/n-triples"},
            )
        except requests.RequestException as exc:
            raise RemoteStoreError(f"remote SPARQL engine at {url} unreachable: {exc}") from exc
        if response.status_code in (401, 403):
            raise RemoteStoreError(
                f"the engine refused the credentials for {url} ({response.status_code}); set "
                "SPACEKG_STORE_USER and SPACEKG_STORE_PASSWORD"
            )
        return response.status_code == 404

    def published(self) -> tuple[str, list[str], str] | None:
        """What :meth:`publish` recorded in the engine: (checksum, graphs, union graph), or
        None when the engine holds no SpaceKG build."""
        query = (
            f"SELECT ?k ?v WHERE {{ GRAPH <{BUILD_GRAPH}> {{ <{_BUILD}> ?k ?v }} }}"
        )
        response = self._post(
            self.endpoint, timeout=None, data={"query": query},
            headers={"Accept": _SPARQL_JSON},
        )
        result = self._parse_response(response, "SELECT")
        assert isinstance(result, SolutionsResult)
        checksum, union, graphs = None, None, []
        for key, value in result.rows:
            name = getattr(key, "value", None)
            if name == _CHECKSUM:
                checksum = getattr(value, "value", None)
            elif name == _UNION:
                union = getattr(value, "value", None)
            elif name == _HAS_GRAPH:
                graphs.append(str(getattr(value, "value", "")))
        if checksum is None or union is None:
            return None
        return checksum, sorted(graphs), union

    def publish(self, source: str | Path, checksum: str) -> int:
        """Load the dataset file ``source`` as the engine's SpaceKG build ``checksum``,
        replacing the graphs of the build recorded before (if any), and record it last.
        Returns the statements read. Raises what :meth:`load` raises."""
        previous = self.published()
        if previous is not None:
            for old in [*previous[1], previous[2], BUILD_GRAPH]:
                self._drop(_checked_iri(old))
        self._union_graph = f"{UNION_GRAPH_PREFIX}{checksum[:32]}"
        self._owned.discard(self._union_graph)
        count = self.load(source)
        record = [
            pyoxigraph.Triple(pyoxigraph.NamedNode(_BUILD), pyoxigraph.NamedNode(key),
                              value)
            for key, value in [
                (_CHECKSUM, pyoxigraph.Literal(checksum)),
                (_UNION, pyoxigraph.NamedNode(self._union_graph)),
                *((_HAS_GRAPH, pyoxigraph.NamedNode(g)) for g in sorted(self._graphs)),
            ]
        ]
        self._write(BUILD_GRAPH, record)
        self._graphs.discard(BUILD_GRAPH)
        return count

    def _write(self, graph: str, triples: list[pyoxigraph.Triple]) -> None:
        self._managed = True
        if graph not in self._owned:
            self._drop(graph)
            self._owned.add(graph)
            if graph == DEFAULT_GRAPH_BUCKET:
                self._has_default = True
            elif graph not in (self._union_graph, BUILD_GRAPH):
                self._graphs.add(graph)
        if not triples:
            return
        body = pyoxigraph.serialize(triples, format=pyoxigraph.RdfFormat.N_TRIPLES)
        assert body is not None
        if self.gsp_endpoint:
            response = self._post(
                self.gsp_endpoint,
                timeout=None,
                params={"graph": graph},
                data=body,
                headers={"Content-Type": "application/n-triples; charset=utf-8"},
            )
        else:
            # Non-ASCII as \u escapes: Virtuoso reads update bodies as Latin-1 whatever the
            # charset says. Blank nodes: INSERT DATA may not hold them on Virtuoso, while an
            # INSERT template with one empty solution means the same everywhere.
            text = _ascii_escape(body.decode("utf-8"))
            graph_text = f"GRAPH <{_checked_iri(graph)}> {{\n{text}}}"
            if any(_has_bnode(t) for t in triples):
                update = f"INSERT {{ {graph_text} }} WHERE {{}}".encode("ascii")
            else:
                update = f"INSERT DATA {{ {graph_text} }}".encode("ascii")
            response = self._post(
                self.update_endpoint,
                timeout=None,
                data=update,
                headers={"Content-Type": "application/sparql-update; charset=utf-8"},
            )
        if response.status_code >= 400:
            raise BuildError(
                f"remote SPARQL engine refused data for <{graph}> "
                f"({response.status_code}): {_said(response)}"
            )

    def _drop(self, graph: str) -> None:
        if self.gsp_endpoint:
            response = self._delete_gsp(graph)
            ok = response.status_code < 400 or response.status_code == 404
        else:
            response = self._post(
                self.update_endpoint,
                timeout=None,
                data=f"DROP SILENT GRAPH <{_checked_iri(graph)}>".encode(),
                headers={"Content-Type": "application/sparql-update; charset=utf-8"},
            )
            ok = response.status_code < 400
        if not ok:
            raise BuildError(
                f"remote SPARQL engine refused to clear <{graph}> "
                f"({response.status_code}): {_said(response)}"
            )

    def _delete_gsp(self, graph: str) -> requests.Response:
        assert self.gsp_endpoint is not None
        try:
            return self._session().delete(
                self.gsp_endpoint,
                params={"graph": graph},
                auth=self._auth,
                timeout=(10.0, self.timeout),
            )
        except requests.RequestException as exc:
            raise RemoteStoreError(f"remote SPARQL engine unreachable: {exc}") from exc

    def clear(self) -> None:
        """Drop the graphs this store loaded (never the engine's other graphs)."""
        for graph in sorted(self._owned):
            self._drop(graph)
        self._owned.clear()
        if not self._declared:
            self._graphs.clear()
        self._has_default = False
        self._touch()

    def close(self) -> None:
        session = getattr(self._local, "session", None)
        if session is not None:
            session.close()
            self._local.session = None


# -- helpers ------------------------------------------------------------------------------


def _split_credentials(url: str) -> tuple[str, str | None, str | None]:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"not an http(s) SPARQL endpoint URL: {url!r}")
    if parts.username is None:
        return url, None, None
    netloc = parts.hostname if parts.port is None else f"{parts.hostname}:{parts.port}"
    if ":" in (parts.hostname or ""):
        netloc = f"[{parts.hostname}]" + (f":{parts.port}" if parts.port else "")
    from urllib.parse import unquote

    clean = urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    password = unquote(parts.password) if parts.password is not None else None
    return clean, unquote(parts.username), password


def _said(response: requests.Response, limit: int = 300) -> str:
    """What the engine answered, on one line (it becomes the one line ``spacekg`` prints)."""
    text = " ".join(response.text.split()) or response.reason or ""
    return text if len(text) <= limit else text[:limit] + "…"


def _checked_iri(iri: str) -> str:
    if not _SAFE_IRI.match(iri):
        raise ConfigError(f"not a usable graph IRI: {iri!r}")
    return iri


#: Triples per SPARQL Update request: Virtuoso compiles an update to SQL and refuses past
#: 10,000 lines of it (a few thousand triples of an INSERT template).
_UPDATE_BATCH = 1_000


def _blank_node_batches(
    triples: list[pyoxigraph.Triple], limit: int
) -> Iterator[list[pyoxigraph.Triple]]:
    """The triples in batches of about ``limit`` that never split the triples sharing a blank
    node (an OWL restriction, an RDF list): each connected set goes whole into one batch."""
    parent: dict[str, str] = {}

    def root(label: str) -> str:
        while parent.setdefault(label, label) != label:
            parent[label] = parent[parent[label]]
            label = parent[label]
        return label

    for t in triples:
        labels = [x.value for x in (t.subject, t.object) if isinstance(x, pyoxigraph.BlankNode)]
        if len(labels) == 2:
            parent[root(labels[0])] = root(labels[1])
    groups: dict[str, list[pyoxigraph.Triple]] = {}
    for t in triples:
        node = t.subject if isinstance(t.subject, pyoxigraph.BlankNode) else t.object
        groups.setdefault(root(node.value), []).append(t)
    batch: list[pyoxigraph.Triple] = []
    for group in groups.values():
        if batch and len(batch) + len(group) > limit:
            yield batch
            batch = []
        batch.extend(group)
    if batch:
        yield batch


def _has_bnode(triple: pyoxigraph.Triple) -> bool:
    return isinstance(triple.subject, pyoxigraph.BlankNode) or isinstance(
        triple.object, pyoxigraph.BlankNode
    )


def _ascii_escape(text: str) -> str:
    """Escape every non-ASCII character as SPARQL/N-Triples \\u or \\U escapes."""
    return "".join(
        ch if ord(ch) < 128 else (f"\\u{ord(ch):04X}" if ord(ch) <= 0xFFFF else f"\\U{ord(ch):08X}")
        for ch in text
    )


def _read_quads(
    source: str | Path | Iterable[Quad], target: str | None
) -> Iterator[tuple[Any, Any, Any, str | None]]:
    if isinstance(source, str | Path):
        path = Path(source)
        if not path.is_file():
            raise InputError(f"no such RDF file: {path}")
        media_type = guess_rdf_format(path)
        fmt = pyoxigraph.RdfFormat.from_media_type(media_type)
        if fmt is None:
            raise InputError(f"cannot read {media_type} files: {path}")
        try:
            parsed = pyoxigraph.parse(path=str(path), format=fmt, base_iri=path.resolve().as_uri())
        except (SyntaxError, OSError, ValueError) as exc:
            raise InputError(f"cannot parse {path}: {exc}") from exc

        def from_file() -> Iterator[tuple[Any, Any, Any, str | None]]:
            for q in parsed:
                g = q.graph_name
                name = g.value if isinstance(g, pyoxigraph.NamedNode) else None
                if media_type not in DATASET_FORMATS:
                    name = None
                yield q.subject, q.predicate, q.object, name

        return from_file()

    def from_iterable() -> Iterator[tuple[Any, Any, Any, str | None]]:
        for s, p, o, g in source:  # type: ignore[union-attr]
            graph = str(g) if g is not None else None
            yield to_oxigraph(s), to_oxigraph(p), to_oxigraph(o), graph

    return from_iterable()


#: Virtuoso labels blank nodes ``nodeID://b10007``, which is no blank node label: the
#: prefix is dropped (only where a binding's type is ``bnode``).
_VIRTUOSO_BNODE = re.compile(rb'("type"\s*:\s*"bnode"\s*,\s*"value"\s*:\s*")nodeID://')


def parse_results(body: bytes) -> BooleanResult | SolutionsResult:
    """SPARQL 1.1 Query Results JSON (Virtuoso's ``typed-literal`` and blank node labels
    too), read by Oxigraph.

    Raises RemoteStoreError for a document that is not such results."""
    body = _VIRTUOSO_BNODE.sub(rb"\1", body)
    try:
        parsed = pyoxigraph.parse_query_results(body, format=pyoxigraph.QueryResultsFormat.JSON)
    except (SyntaxError, ValueError) as exc:
        raise RemoteStoreError(f"remote SPARQL engine sent unreadable results: {exc}") from exc
    if isinstance(parsed, pyoxigraph.QueryBoolean):
        return BooleanResult(bool(parsed))
    names = [v.value for v in parsed.variables]
    width = len(names)
    try:
        rows = [tuple(solution[i] for i in range(width)) for solution in parsed]
    except (SyntaxError, ValueError) as exc:
        raise RemoteStoreError(f"remote SPARQL engine sent unreadable results: {exc}") from exc
    return SolutionsResult(names, iter(rows))


class _EitherAuth(HTTPDigestAuth):
    """Digest when the engine's 401 asks for it (Virtuoso's ``-auth`` endpoints), Basic when
    it asks for that (Fuseki, GraphDB behind a proxy): the operator gives a user and a
    password, not a scheme."""

    def __init__(self, username: str, password: str) -> None:
        super().__init__(username, password)
        self._basic = False

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        if self._basic:
            return HTTPBasicAuth(self.username, self.password)(request)
        return super().__call__(request)  # type: ignore[no-any-return]

    def handle_401(self, response: requests.Response, **kwargs: Any) -> requests.Response:
        challenge = response.headers.get("www-authenticate", "").lower()
        if "digest" in challenge or "basic" not in challenge or self._basic:
            return super().handle_401(response, **kwargs)  # type: ignore[no-any-return]
        self._basic = True
        response.content  # noqa: B018 (read, so the connection can be reused)
        response.close()
        retry = response.request.copy()
        HTTPBasicAuth(self.username, self.password)(retry)
        again = response.connection.send(retry, **kwargs)  # type: ignore[attr-defined]
        again.history.append(response)
        again.request = retry
        return again  # type: ignore[no-any-return]


def _parse_graph(body: bytes, ctype: str) -> GraphResult:
    fmt = pyoxigraph.RdfFormat.from_media_type(ctype or "application/n-triples")
    if ctype == "text/plain":  # Virtuoso's name for N-Triples
        fmt = pyoxigraph.RdfFormat.N_TRIPLES
    if fmt is None:
        raise RemoteStoreError(f"remote SPARQL engine answered {ctype!r} to a graph query")
    try:
        triples = [(t.subject, t.predicate, t.object) for t in pyoxigraph.parse(body, format=fmt)]
    except SyntaxError as exc:
        raise RemoteStoreError(f"remote SPARQL engine sent unparsable RDF: {exc}") from exc
    return GraphResult(iter(triples))


# -- where dataset clauses go ------------------------------------------------------------


def with_dataset(sparql: str, default: Sequence[str], named: Sequence[str]) -> str:
    """The query with FROM / FROM NAMED clauses for these graphs, where the grammar puts them.

    Used instead of the protocol's graph parameters because Virtuoso echoes each of those as
    a response header, and past 100 headers HTTP clients refuse the answer. The clauses go
    just before the WHERE clause (after the projection or the CONSTRUCT template), as
    :func:`spacekg.sparql.analyse` finds it; nothing else in the text changes. Raises
    QueryError if no query form is found.
    """
    at = analyse(sparql).dataset_at
    if at is None:
        raise QueryError("not a SPARQL query: no SELECT, ASK, CONSTRUCT or DESCRIBE")
    clauses = "".join(f"FROM <{_checked_iri(g)}>\n" for g in default)
    clauses += "".join(f"FROM NAMED <{_checked_iri(g)}>\n" for g in named)
    return f"{sparql[:at]}\n{clauses}{sparql[at:]}"
