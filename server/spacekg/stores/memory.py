"""rdflib in-memory backend: the reference engine the Oxigraph answers are checked against.

rdflib's SPARQL engine is pure Python and slow on joins (docs/architecture.md, "Stores"); it is
here to give a second, independent implementation, not to serve load. Two of its defaults fetch
URLs on a query's behalf (``FROM <iri>`` and ``SERVICE``): the first is switched off here,
process-wide, and :mod:`spacekg.sparql` refuses the second before any backend sees it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from types import SimpleNamespace

import rdflib.plugins.sparql
from pyparsing import ParseException
from rdflib import Dataset, Graph, URIRef
from rdflib.plugins.sparql.algebra import translateQuery
from rdflib.plugins.sparql.parser import parseQuery

from spacekg.errors import InputError, QueryError, QuerySyntaxError
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
from spacekg.stores.terms import to_rdflib

# Never dereference FROM/FROM NAMED IRIs: only graphs already in the dataset are used.
rdflib.plugins.sparql.SPARQL_LOAD_GRAPHS = False
rdflib.plugins.sparql.SPARQL_DEFAULT_GRAPH_UNION = True

_RDFLIB_FORMATS = {
    "text/turtle": "turtle",
    "application/n-triples": "nt",
    "application/n-quads": "nquads",
    "application/trig": "trig",
    "application/rdf+xml": "xml",
}


class MemoryStore(Store):
    """rdflib ``Dataset`` whose default graph is the union of its named graphs."""

    kind = "memory"

    def __init__(self) -> None:
        super().__init__()
        self._dataset = Dataset(default_union=True)

    @property
    def native(self) -> Dataset:
        return self._dataset

    def query(
        self,
        sparql: str,
        *,
        default_graph_uris: Sequence[str] = (),
        named_graph_uris: Sequence[str] = (),
        timeout: float | None = None,
    ) -> QueryResult:
        try:
            prepared = translateQuery(parseQuery(sparql), base=self.base_iri)
        except ParseException as exc:
            raise QuerySyntaxError(
                f"error at {exc.lineno}:{exc.col}: {exc.msg}", line=exc.lineno, column=exc.col
            ) from exc
        except Exception as exc:  # rdflib raises bare Exceptions for many semantic errors
            raise QueryError(f"query rejected: {exc}") from exc
        if default_graph_uris or named_graph_uris:
            # The protocol's dataset replaces any FROM/FROM NAMED in the query (SPARQL 1.1
            # Protocol §2.1.4); rdflib copies these graphs out of the dataset, never fetching.
            prepared.algebra["datasetClause"] = [
                SimpleNamespace(default=URIRef(u), named=None) for u in default_graph_uris
            ] + [SimpleNamespace(default=None, named=URIRef(u)) for u in named_graph_uris]
        try:
            result = self._dataset.query(prepared)
        except Exception as exc:
            raise evaluation_error(exc) from exc
        if result.type == "ASK":
            return BooleanResult(bool(result.askAnswer))
        if result.type == "SELECT":
            names = [str(v) for v in result.vars or []]
            return SolutionsResult(names, iter([tuple(row) for row in result]))  # type: ignore[arg-type]
        graph = result.graph
        assert graph is not None
        return GraphResult(iter(list(graph.triples((None, None, None)))))

    def load(self, source: str | Path | Iterable[Quad], graph: str | None = None) -> int:
        before = len(self._dataset)
        if isinstance(source, str | Path):
            self._load_file(Path(source), graph)
        else:
            for s, p, o, g in source:
                target = graph or g
                ctx = self._dataset.graph(URIRef(target)) if target else self._dataset.default_graph
                ctx.add((to_rdflib(s), to_rdflib(p), to_rdflib(o)))
        self._touch(source_token(source, graph))
        return len(self._dataset) - before

    def _load_file(self, path: Path, graph: str | None) -> None:
        media_type = guess_rdf_format(path)
        try:
            if media_type == "application/ld+json":
                # rdflib's JSON-LD parser would fetch remote @context documents: read the file
                # with Oxigraph, which does not.
                import pyoxigraph as ox

                with path.open("rb") as handle:
                    quads = ox.parse(handle, format=ox.RdfFormat.JSON_LD)
                    target = graph
                    self.load(
                        (
                            (q.subject, q.predicate, q.object, target or _graph_iri(q.graph_name))
                            for q in quads
                        ),
                        None,
                    )
                return
            fmt = _RDFLIB_FORMATS[media_type]
            if media_type in DATASET_FORMATS:
                if graph is None:
                    self._dataset.parse(path, format=fmt)
                else:
                    scratch = Dataset()
                    scratch.parse(path, format=fmt)
                    target = self._dataset.graph(URIRef(graph))
                    for s, p, o, _ in scratch.quads((None, None, None, None)):
                        target.add((s, p, o))
            else:
                target_graph: Graph = (
                    self._dataset.graph(URIRef(graph)) if graph else self._dataset.default_graph
                )
                target_graph.parse(path, format=fmt)
        except (OSError, SyntaxError, ValueError) as exc:
            raise InputError(f"cannot read {path}: {exc}") from exc
        except Exception as exc:  # rdflib parsers raise their own exception types
            raise InputError(f"cannot read {path}: {exc}") from exc

    def graph_names(self) -> list[str]:
        return sorted(
            str(g.identifier)
            for g in self._dataset.graphs()
            if isinstance(g.identifier, URIRef)
            and g.identifier != Dataset.__dict__.get("DATASET_DEFAULT_GRAPH_ID")
            and str(g.identifier) != "urn:x-rdflib:default"
            and len(g) > 0
        )

    def triple_count(self, graph: str | None = None) -> int:
        if graph is None:  # the default graph: the union, each triple once
            return len(set(self._dataset.triples((None, None, None))))
        return len(self._dataset.graph(URIRef(graph)))

    def clear(self) -> None:
        self._dataset = Dataset(default_union=True)
        self._touch()


def _graph_iri(graph_name: object) -> str | None:
    value = getattr(graph_name, "value", None)
    return value if isinstance(value, str) and value else None
