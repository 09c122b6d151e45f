"""Load SpaceKG's source files into one rdflib Dataset, each triple in its named graph.

The files are the source of truth; this module decides which graph each file's triples go
to, once, so the build, the validator and the tests agree:

* ontology files go to ``graph/ontology``;
* a Turtle data file (no GRAPH blocks possible) goes to ``graph/reference``;
* a TriG data file keeps the graphs it names; triples outside any GRAPH block are only
  accepted in files under a ``reference`` directory (they go to ``graph/reference``),
  elsewhere they are an error, because a report statement must sit in its paragraph's graph.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from rdflib import BNode, Dataset, Graph, URIRef
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID
from rdflib.term import Node

from spacekg import resources
from spacekg.errors import InputError
from spacekg.namespaces import INFERRED_GRAPH, ONTOLOGY_GRAPH, REFERENCE_GRAPH

Quad = tuple[Node, Node, Node, URIRef]

_FORMATS = {".ttl": "turtle", ".trig": "trig", ".nt": "nt", ".nq": "nquads", ".owl": "xml",
            ".rdf": "xml", ".jsonld": "json-ld"}


@dataclass(frozen=True)
class Sources:
    """The input files of one build: ontology, shapes and data."""

    ontology: tuple[Path, ...]
    shapes: tuple[Path, ...]
    data: tuple[Path, ...]

    @classmethod
    def packaged(cls) -> Sources:
        """The files shipped with the package (or found in the source checkout)."""
        return cls(
            ontology=tuple(resources.ontology_files()),
            shapes=tuple(resources.shapes_files()),
            data=tuple(resources.data_files()),
        )

    def all_files(self) -> tuple[Path, ...]:
        return self.ontology + self.shapes + self.data


def rdf_format(path: Path) -> str:
    """rdflib parser name for a file, from its suffix.

    Raises InputError for a suffix SpaceKG does not read.
    """
    try:
        return _FORMATS[path.suffix.lower()]
    except KeyError:
        raise InputError(f"{path}: unknown RDF file type {path.suffix!r}") from None


def parse_file(path: Path) -> Dataset:
    """Parse one file into its own Dataset (keeps its blank nodes apart from other files').

    Raises InputError when the file is missing or not well-formed.
    """
    fmt = rdf_format(path)
    ds = Dataset()
    try:
        ds.parse(path, format=fmt)
    except FileNotFoundError:
        raise InputError(f"{path}: file not found") from None
    except Exception as exc:  # rdflib raises many unrelated types for syntax errors
        raise InputError(f"{path}: cannot parse as {fmt}: {exc}") from exc
    return ds


def _quads_of(ds: Dataset) -> Iterator[Quad]:
    yield from ds.quads((None, None, None, None))  # type: ignore[misc]


def file_quads(path: Path, *, default_graph: URIRef | None) -> Iterator[Quad]:
    """Quads of one file; triples outside GRAPH blocks go to ``default_graph``.

    ``default_graph=None`` makes such triples an error (InputError).
    """
    for s, p, o, g in _quads_of(parse_file(path)):
        if g == DATASET_DEFAULT_GRAPH_ID:
            if default_graph is None:
                raise InputError(
                    f"{path}: triple outside any GRAPH block ({s.n3()} {p.n3()} {o.n3()}); "
                    "put it in the graph of the paragraph that states it"
                )
            g = default_graph
        yield s, p, o, g


def data_default_graph(path: Path) -> URIRef | None:
    """Graph for the un-graphed triples of a data file (see the module docstring)."""
    if path.suffix.lower() != ".trig" or "reference" in path.parts:
        return REFERENCE_GRAPH
    return None


def load_dataset(
    *, ontology: Iterable[Path] = (), data: Iterable[Path] = (), into: Dataset | None = None
) -> Dataset:
    """Ontology and data files in one Dataset, each triple in its named graph.

    Raises InputError for an unreadable file or a data triple with no graph.
    """
    ds = into if into is not None else Dataset()
    for path in ontology:
        for s, p, o, _ in file_quads(path, default_graph=ONTOLOGY_GRAPH):
            ds.add((s, p, o, ONTOLOGY_GRAPH))
    for path in data:
        default = data_default_graph(path)
        for s, p, o, g in file_quads(path, default_graph=default):
            ds.add((s, p, o, g))
    return ds


def load_sources(sources: Sources) -> Dataset:
    """Ontology and data of ``sources`` (not the shapes) in one Dataset."""
    return load_dataset(ontology=sources.ontology, data=sources.data)


def with_stable_blank_nodes(ds: Dataset) -> Dataset:
    """A copy of ``ds`` whose blank nodes are named from their graph's structure.

    rdflib names blank nodes at random on every parse, which would make two builds of the same
    files differ (the ontology's restrictions and lists are blank nodes). Canonical labels
    (rdflib.compare), prefixed per graph so graphs never share a blank node, keep the output
    byte-stable.
    """
    from rdflib.compare import to_canonical_graph

    out = Dataset()
    for ctx in ds.graphs():
        if not len(ctx):
            continue
        gid = ctx.identifier
        if not any(isinstance(t, BNode) for triple in ctx for t in triple):
            for s, p, o in ctx:
                out.add((s, p, o, gid))
            continue
        tag = hashlib.sha256(str(gid).encode("utf-8")).hexdigest()[:8]
        plain = Graph()
        for triple in ctx:
            plain.add(triple)

        def rename(term: Node, tag: str = tag) -> Node:
            return BNode(f"g{tag}{term}") if isinstance(term, BNode) else term

        for s, p, o in to_canonical_graph(plain):
            out.add((rename(s), p, rename(o), gid))
    return out


def load_graph(paths: Iterable[Path]) -> Graph:
    """All triples of the files merged in one Graph, ignoring their graph names (for shapes)."""
    graph = Graph()
    for path in paths:
        for s, p, o, _ in file_quads(path, default_graph=DATASET_DEFAULT_GRAPH_ID):
            graph.add((s, p, o))
    return graph


def union_graph(ds: Dataset, *, exclude: Iterable[URIRef] = ()) -> Graph:
    """One Graph with the triples of every named graph of ``ds`` except ``exclude``."""
    skip = set(exclude)
    graph = Graph()
    for ctx in ds.graphs():
        if ctx.identifier in skip:
            continue
        for triple in ctx:
            graph.add(triple)
    return graph


def data_graph(ds: Dataset) -> Graph:
    """The asserted instance data: every graph except the ontology and the inferred graph."""
    return union_graph(ds, exclude=(ONTOLOGY_GRAPH, INFERRED_GRAPH, DATASET_DEFAULT_GRAPH_ID))
