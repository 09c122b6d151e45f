"""Write a store's graphs back as SpaceKG's hand-edited source files (``spacekg export``).

Curators change the data through the server (issue 6); the files under ``data/`` and
``ontology/`` stay the source of truth in version control. This module closes the loop:

* Which graph goes to which file is read from the project's own files (the same rules as
  :mod:`spacekg.build.dataset`): ``data/report/para-05.trig`` holds ``graph/para/5``, the five
  ``data/reference/*.trig`` files share ``graph/reference`` (a triple stays in the file that
  had it; a new one goes to the file that already describes its subject), ``ontology/*.ttl``
  holds ``graph/ontology``. A graph no file holds goes to ``data/curated/<name>.trig`` (the
  build reads every file under ``data/``). Generated graphs (``graph/inferred``) are never
  written: the build makes them again.
* Files are written sorted and readable, like the hand-written ones: the project's prefixes,
  ``@base`` for the individuals, subjects and predicates sorted (``a`` first), Chinese as
  UTF-8, blank nodes inline (``[ … ]``, ``( … )``) with canonical labels only where they must
  be shared. The same store gives the same bytes.
* In place, a file is rewritten only when its graph content differs (compared as graphs,
  isomorphic with blank nodes): untouched files keep every comment. A rewritten file keeps
  its opening comment block and loses the comments inside. Files whose graphs are gone from
  the store are reported, and deleted only when asked (``prune``).
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import BNode, Graph, URIRef
from rdflib.compare import isomorphic
from rdflib.term import Node

from spacekg.build.dataset import data_default_graph, file_quads
from spacekg.build.turtle import has_blank, render, triple_key
from spacekg.errors import SpaceKGError
from spacekg.namespaces import GRAPH, INFERRED_GRAPH, ONTOLOGY_GRAPH

#: Graphs the build makes: never exported.
GENERATED_GRAPHS = frozenset({str(INFERRED_GRAPH)})

#: Where graphs that no source file holds are written, relative to the project.
CURATED_DIR = Path("data") / "curated"



class ExportError(SpaceKGError):
    """The export cannot read its store or project, or cannot write its output."""


# --- reading ----------------------------------------------------------------------------


def open_store(directory: Path) -> object:
    """An on-disk Oxigraph store, opened read-only (works while a server writes to it).

    Raises ExportError when ``directory`` is not an Oxigraph store.
    """
    import pyoxigraph as ox

    if not directory.is_dir():
        raise ExportError(f"no store directory {directory}")
    if not (directory / "CURRENT").is_file():
        raise ExportError(f"{directory} is not an Oxigraph store (no CURRENT file)")
    try:
        return ox.Store.read_only(str(directory))
    except (OSError, RuntimeError) as exc:
        raise ExportError(f"cannot open the Oxigraph store at {directory}: {exc}") from exc


def read_store_dir(directory: Path, *, attempts: int = 10) -> StoreContent:
    """The exportable content of an on-disk store a server may be writing to meanwhile.

    A read-only open races the writer's background compaction (a table file listed in the
    manifest may be gone a moment later); such a read is simply tried again.
    Raises ExportError when the store cannot be read.
    """
    for attempt in range(attempts):
        try:
            return read_store(open_store(directory))
        except (ExportError, OSError, RuntimeError) as exc:
            transient = "No such file" in str(exc) and (directory / "CURRENT").is_file()
            if not transient or attempt == attempts - 1:
                if isinstance(exc, ExportError):
                    raise
                raise ExportError(f"cannot read the Oxigraph store at {directory}: {exc}") \
                    from exc
            time.sleep(0.1 * (attempt + 1))
    raise AssertionError("unreachable")


@dataclass(frozen=True)
class StoreContent:
    """The exportable named graphs of a store, and what was left out."""

    graphs: dict[URIRef, Graph]
    default_graph_triples: int = 0
    empty_graphs: tuple[str, ...] = ()


def read_store(store: object) -> StoreContent:
    """Named graphs of a pyoxigraph store as rdflib graphs, without the generated ones."""
    import pyoxigraph as ox

    assert isinstance(store, ox.Store)
    graphs: dict[URIRef, Graph] = {}
    empty: list[str] = []
    for name in sorted(store.named_graphs(), key=str):
        if not isinstance(name, ox.NamedNode) or name.value in GENERATED_GRAPHS:
            continue
        triples = [
            ox.Triple(q.subject, q.predicate, q.object)
            for q in store.quads_for_pattern(None, None, None, name)
        ]
        if not triples:
            empty.append(name.value)
            continue
        graph = Graph()
        graph.parse(data=ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES), format="nt")
        graphs[URIRef(name.value)] = graph
    # the default graph holds the union of the named graphs (stores/oxigraph.py): only its
    # own triples, which no named graph holds, are left out of the files
    default = sum(
        1 for q in store.quads_for_pattern(None, None, None, ox.DefaultGraph())
        if not any(not isinstance(h.graph_name, ox.DefaultGraph)
                   for h in store.quads_for_pattern(q.subject, q.predicate, q.object, None))
    )
    return StoreContent(graphs, default, tuple(empty))


@dataclass
class Layout:
    """The project's source files and the graphs each one holds (paths relative to root)."""

    root: Path
    files: dict[Path, dict[URIRef, Graph]]

    def files_of(self, graph: URIRef) -> list[Path]:
        return sorted(p for p, graphs in self.files.items() if graph in graphs)


def source_files(root: Path) -> tuple[list[Path], list[Path]]:
    """(ontology files, data files) of a project, as :mod:`spacekg.resources` finds them."""
    ontology = sorted((root / "ontology").glob("*.ttl"))
    data = sorted(p for p in (root / "data").rglob("*") if p.suffix in {".ttl", ".trig"})
    return ontology, data


def read_layout(root: Path) -> Layout:
    """Parse the project's ontology and data files; raises ExportError without ontology/."""
    if not (root / "ontology").is_dir() or not (root / "data").is_dir():
        raise ExportError(f"{root} is not a SpaceKG project (no ontology/ and data/)")
    ontology, data = source_files(root)
    files: dict[Path, dict[URIRef, Graph]] = {}
    for path, default in [(p, ONTOLOGY_GRAPH) for p in ontology] + [
        (p, data_default_graph(p)) for p in data
    ]:
        graphs: dict[URIRef, Graph] = {}
        for s, p, o, g in file_quads(path, default_graph=default):
            graphs.setdefault(URIRef(g), Graph()).add((s, p, o))
        files[path.relative_to(root)] = graphs
    return Layout(root, files)


# --- deciding which triples go to which file -------------------------------------------


def curated_path(graph: URIRef, taken: Iterable[Path] = ()) -> Path:
    """``data/curated/<safe name>.trig`` for a graph no file holds, never one in ``taken``."""
    iri = str(graph)
    rest = iri[len(str(GRAPH)):] if iri.startswith(str(GRAPH)) else re.sub(
        r"^[a-z][a-z0-9+.-]*://", "", iri
    )
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", rest).strip("-.")[:80] or "graph"
    path = CURATED_DIR / f"{name}.trig"
    if path in set(taken):
        digest = hashlib.sha256(iri.encode("utf-8")).hexdigest()[:8]
        path = CURATED_DIR / f"{name}-{digest}.trig"
    return path


def _split(graph: Graph, gid: URIRef, homes: list[Path], layout: Layout,
           overflow: Path) -> dict[Path, Graph]:
    """Share a graph several files hold between them (see the module docstring)."""
    out: dict[Path, Graph] = {path: Graph() for path in homes}
    subject_homes: dict[Node, Counter[Path]] = defaultdict(Counter)
    for path in homes:
        for s, _, _ in layout.files[path][gid]:
            subject_homes[s][path] += 1
    pending_blank: list[tuple[Node, Node, Node]] = []
    owner: dict[Node, Path] = {}
    for triple in sorted(graph, key=triple_key):
        if isinstance(triple[0], BNode):
            pending_blank.append(triple)
            continue
        places = [p for p in homes if triple in layout.files[p][gid]]
        if not places:
            counts = subject_homes.get(triple[0])
            places = [min(counts, key=lambda p: (-counts[p], str(p)))] if counts else [overflow]
        for place in places:
            out.setdefault(place, Graph()).add(triple)
        if isinstance(triple[2], BNode):
            owner.setdefault(triple[2], places[0])
    while pending_blank:  # blank-node descriptions follow the triple that points at them
        left = []
        for triple in pending_blank:
            if triple[0] in owner:
                out.setdefault(owner[triple[0]], Graph()).add(triple)
                if isinstance(triple[2], BNode):
                    owner.setdefault(triple[2], owner[triple[0]])
            else:
                left.append(triple)
        if len(left) == len(pending_blank):
            for triple in left:  # unreferenced blank nodes: with the first file
                out[homes[0]].add(triple)
            break
        pending_blank = left
    return out


@dataclass(frozen=True)
class Plan:
    """Every file to write with the graphs it gets; files whose graphs are gone."""

    files: dict[Path, dict[URIRef, Graph]]
    new: tuple[Path, ...]
    removed: tuple[Path, ...]


def plan(content: StoreContent, layout: Layout) -> Plan:
    """Which triples of the store go to which file of the project."""
    files: dict[Path, dict[URIRef, Graph]] = defaultdict(dict)
    new: list[Path] = []
    taken = set(layout.files)
    for gid, graph in content.graphs.items():
        homes = layout.files_of(gid)
        if len(homes) == 1:
            files[homes[0]][gid] = graph
            continue
        overflow = curated_path(gid, taken)
        if not homes:
            files[overflow][gid] = graph
            taken.add(overflow)
            new.append(overflow)
            continue
        for path, part in _split(graph, gid, homes, layout, overflow).items():
            if len(part):
                files[path][gid] = part
                if path == overflow and path not in taken:
                    taken.add(path)
                    new.append(path)
    removed = tuple(sorted(p for p in layout.files if p not in files))
    return Plan(dict(files), tuple(sorted(new)), removed)


# --- writing ------------------------------------------------------------------------------


@dataclass
class ExportResult:
    """What an export wrote, left alone, created and found removed (paths relative)."""

    root: Path
    written: list[Path] = field(default_factory=list)
    unchanged: list[Path] = field(default_factory=list)
    new: list[Path] = field(default_factory=list)
    removed: list[Path] = field(default_factory=list)
    pruned: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def export(
    store: object,
    *,
    project: Path,
    out: Path | None = None,
    in_place: bool = False,
    prune: bool = False,
) -> ExportResult:
    """Write the store's graphs (a pyoxigraph store, or what :func:`read_store_dir` read) as
    the project's files, into ``out`` or (``in_place``) the project itself, rewriting there
    only files whose graphs changed.

    Raises ExportError when the project cannot be read or a file cannot be written.
    """
    if in_place == (out is not None):
        raise ExportError("give exactly one of an output directory or in-place")
    target = project if in_place else out
    assert target is not None
    layout = read_layout(project)
    content = store if isinstance(store, StoreContent) else read_store(store)
    decided = plan(content, layout)
    result = ExportResult(target, new=list(decided.new), removed=list(decided.removed))
    if content.default_graph_triples:
        result.notes.append(
            f"{content.default_graph_triples} triple(s) in the default graph not exported: "
            "every source file holds named graphs"
        )
    for name in content.empty_graphs:
        result.notes.append(f"graph {name} is empty: no file written")
    try:
        target.mkdir(parents=True, exist_ok=True)
        for rel, graphs in sorted(decided.files.items()):
            if in_place and rel in layout.files and _same(layout.files[rel], graphs):
                result.unchanged.append(rel)
                continue
            header = _header_of(project / rel) if rel in layout.files else None
            _write_atomic(target / rel, render(rel, graphs, header=header))
            result.written.append(rel)
        if prune and in_place:
            for rel in decided.removed:
                (target / rel).unlink(missing_ok=True)
                result.pruned.append(rel)
    except OSError as exc:
        raise ExportError(f"cannot write into {target}: {exc.strerror or exc}") from exc
    return result


def _same(old: dict[URIRef, Graph], new: dict[URIRef, Graph]) -> bool:
    if set(old) != set(new):
        return False
    for gid, graph in new.items():
        before = old[gid]
        if len(before) != len(graph):
            return False
        if not any(has_blank(t) for t in graph) and not any(has_blank(t) for t in before):
            if set(before) != set(graph):
                return False
        elif not isomorphic(before, graph):
            return False
    return True


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _header_of(path: Path) -> list[str] | None:
    """The opening comment block of a hand-written file (kept when it is rewritten)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return None
    header: list[str] = []
    for line in lines:
        if line.startswith("#"):
            header.append(line.rstrip())
        elif line.strip():
            break
        elif header:
            break
    return header or None


__all__ = [
    "CURATED_DIR",
    "GENERATED_GRAPHS",
    "ExportError",
    "ExportResult",
    "Layout",
    "Plan",
    "StoreContent",
    "curated_path",
    "export",
    "open_store",
    "plan",
    "read_layout",
    "read_store_dir",
    "read_store",
    "render",
]
