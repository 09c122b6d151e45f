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
import json
import os
import re
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import RDF, XSD, BNode, Graph, Literal, URIRef
from rdflib.compare import isomorphic, to_canonical_graph
from rdflib.term import Node

from spacekg.build.dataset import data_default_graph, file_quads
from spacekg.errors import SpaceKGError
from spacekg.namespaces import GRAPH, ID, INFERRED_GRAPH, ONTOLOGY_GRAPH
from spacekg.namespaces import PREFIXES as NAMESPACE_PREFIXES

#: Graphs the build makes: never exported.
GENERATED_GRAPHS = frozenset({str(INFERRED_GRAPH)})

#: Where graphs that no source file holds are written, relative to the project.
CURATED_DIR = Path("data") / "curated"

#: Prefixes written files may use (only those a file needs are declared): the project's own.
PREFIXES: dict[str, str] = dict(NAMESPACE_PREFIXES)

#: Individuals are written relative to this base, as the hand-written files do.
ID_BASE = str(ID)

_WIDTH = 100
_INDENT = "    "


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


def _has_blank(triple: tuple[Node, Node, Node]) -> bool:
    return isinstance(triple[0], BNode) or isinstance(triple[2], BNode)


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
    for triple in sorted(graph, key=_triple_key):
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
        if not any(_has_blank(t) for t in graph) and not any(_has_blank(t) for t in before):
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


# --- change history -----------------------------------------------------------------------

#: The audit log a writable on-disk store keeps beside its files (see spacekg.write.gate).
AUDIT_LOG = "audit.jsonl"
_CHANGESET_ID = re.compile(r"\d{8}T\d{12}Z-[0-9a-f]{8}")


def list_changesets(audit_log: Path) -> list[dict[str, object]]:
    """Accepted writes that changed something, oldest first, as their audit records.

    Reads the audit log directly, so it works while a server holds the store. A missing log
    means no write yet; raises ExportError when the log cannot be read.
    """
    if not audit_log.is_file():
        return []
    try:
        text = audit_log.read_text(encoding="utf-8")
    except OSError as exc:
        raise ExportError(f"cannot read the audit log {audit_log}: {exc}") from exc
    records = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ExportError(f"{audit_log}, line {number}: not JSON ({exc})") from exc
        if record.get("outcome") == "accepted" and record.get("changeset"):
            records.append(record)
    return records


def read_changeset(changes_dir: Path, name: str, kind: str) -> bytes:
    """The N-Quads of one changeset half (``added``/``removed``) kept under ``changes_dir``."""
    if not _CHANGESET_ID.fullmatch(name) or kind not in ("added", "removed"):
        raise ExportError(f"no changeset {name} {kind}")
    path = changes_dir / f"{name}.{kind}.nq"
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ExportError(f"cannot read changeset {name} {kind}: {exc.strerror or exc}") from exc


def changeset_lines(
    records: Iterable[dict[str, object]], quads: Callable[[str, str], bytes]
) -> Iterator[str]:
    """Every changeset in order as one JSON line: its audit record with its added and removed
    quads (N-Quads text in ``added_nquads`` / ``removed_nquads``): enough to replay them."""
    for record in records:
        name = str(record["changeset"])
        line = {
            **record,
            "added_nquads": quads(name, "added").decode("utf-8"),
            "removed_nquads": quads(name, "removed").decode("utf-8"),
        }
        yield json.dumps(line, ensure_ascii=False, sort_keys=True) + "\n"


def changeset_table(records: Iterable[dict[str, object]]) -> str:
    """One line per changeset: time, id, token name, +added -removed, graphs."""
    lines = []
    for r in records:
        graphs = ", ".join(str(g) for g in r.get("graphs", []))  # type: ignore[attr-defined]
        lines.append(f"{r.get('time', '')}  {r.get('changeset', '')}  {r.get('token_name', '')}"
                     f"  +{r.get('added', 0)} -{r.get('removed', 0)}  {graphs}\n")
    return "".join(lines)


# --- the serialiser -----------------------------------------------------------------------

_PN_LOCAL = re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_-])?")
_RELATIVE = re.compile(r"[A-Za-z0-9_~-][A-Za-z0-9._~/-]*")
_INTEGER = re.compile(r"[+-]?[0-9]+")
_DECIMAL = re.compile(r"[+-]?[0-9]*\.[0-9]+")
_DOUBLE = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)[eE][+-]?[0-9]+")
_SHORT = {str(XSD.integer): _INTEGER, str(XSD.decimal): _DECIMAL, str(XSD.double): _DOUBLE}
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b",
            "\f": "\\f"}


def render(rel: Path, graphs: dict[URIRef, Graph], *, header: list[str] | None = None) -> bytes:
    """One file's text: Turtle for ``.ttl`` (its one graph), TriG with GRAPH blocks else."""
    turtle = rel.suffix == ".ttl"
    if turtle and len(graphs) != 1:
        raise ExportError(f"{rel}: a Turtle file holds one graph, not {len(graphs)}")
    terms = _Terms()
    blocks = []
    for gid in sorted(graphs, key=str):
        body = _Writer(graphs[gid], terms).statements()
        if turtle:
            blocks.append("\n\n".join(body) + "\n")
        else:
            inner = "\n\n".join(_indent(stmt, _INDENT) for stmt in body)
            blocks.append(f"GRAPH {terms.iri(gid)} {{\n\n{inner}\n\n}}\n")
    if header is None:
        names = ", ".join(f"<{g}>" for g in sorted(graphs, key=str))
        header = [f"# {names}: written by `spacekg export` from a SpaceKG store."]
    directives = [f"@base <{ID_BASE}> ."] if terms.uses_base else []
    directives += [f"@prefix {p}: <{PREFIXES[p]}> ." for p in sorted(terms.prefixes)]
    parts = ["\n".join(header) + "\n"]
    if directives:
        parts.append("\n".join(directives) + "\n")
    parts.append("\n".join(blocks))
    return "\n".join(parts).encode("utf-8")


def _indent(text: str, pad: str) -> str:
    return "\n".join(pad + line if line else line for line in text.split("\n"))


class _Terms:
    """Renders terms, remembering the prefixes and base a file must declare."""

    def __init__(self) -> None:
        self.prefixes: set[str] = set()
        self.uses_base = False
        self._by_length = sorted(PREFIXES.items(), key=lambda kv: -len(kv[1]))

    def iri(self, iri: URIRef) -> str:
        text = str(iri)
        for prefix, namespace in self._by_length:
            if text.startswith(namespace) and _PN_LOCAL.fullmatch(text[len(namespace):]):
                self.prefixes.add(prefix)
                return f"{prefix}:{text[len(namespace):]}"
        if text.startswith(ID_BASE):
            rest = text[len(ID_BASE):]
            segments = rest.split("/")
            if _RELATIVE.fullmatch(rest) and not any(s in ("", ".", "..") for s in segments) \
                    and ":" not in segments[0]:
                self.uses_base = True
                return f"<{rest}>"
        return "<" + _escape_iri(text) + ">"

    def literal(self, lit: Literal) -> str:
        lexical = str(lit)
        quoted = '"' + "".join(_ESCAPES.get(c, _control(c)) for c in lexical) + '"'
        if lit.language:
            return f"{quoted}@{lit.language}"
        datatype = lit.datatype
        if datatype is None or str(datatype) == str(XSD.string):
            return quoted
        pattern = _SHORT.get(str(datatype))
        if pattern is not None and pattern.fullmatch(lexical):
            return lexical
        if str(datatype) == str(XSD.boolean) and lexical in ("true", "false"):
            return lexical
        return f"{quoted}^^{self.iri(URIRef(datatype))}"


def _control(char: str) -> str:
    return f"\\u{ord(char):04X}" if ord(char) < 0x20 or ord(char) == 0x7F else char


def _escape_iri(text: str) -> str:
    return "".join(
        f"\\u{ord(c):04X}" if c in '<>"{}|^`\\' or ord(c) <= 0x20 else c for c in text
    )


def _triple_key(triple: tuple[Node, Node, Node]) -> tuple[str, str, str]:
    return (str(triple[0]), str(triple[1]), triple[2].n3())


class _Writer:
    """Turtle statements of one graph: sorted subjects, ``a`` first, blank nodes inline."""

    def __init__(self, graph: Graph, terms: _Terms) -> None:
        if any(_has_blank(t) for t in graph):
            graph = to_canonical_graph(graph)  # labels from the structure: stable output
        self.graph = graph
        self.terms = terms
        self.refs: dict[BNode, int] = defaultdict(int)
        for _, _, o in graph:
            if isinstance(o, BNode):
                self.refs[o] += 1
        self.lists: dict[BNode, list[Node]] = self._find_lists()
        self.inline: set[BNode] = self._find_inline()
        self._labels: dict[BNode, str] = {}

    # which blank nodes can be written without a label -------------------------------

    def _find_lists(self) -> dict[BNode, list[Node]]:
        heads: dict[BNode, list[Node]] = {}
        for node in {s for s in self.graph.subjects() if isinstance(s, BNode)}:
            if self.graph.value(None, RDF.rest, node) is not None:
                continue  # not the head
            items = self._list_items(node)
            if items is not None:
                heads[node] = items
        return heads

    def _list_items(self, head: BNode) -> list[Node] | None:
        items: list[Node] = []
        node: Node = head
        seen: set[Node] = set()
        while node != RDF.nil:
            if not isinstance(node, BNode) or node in seen or self.refs[node] != 1:
                return None
            seen.add(node)
            pairs = list(self.graph.predicate_objects(node))
            if sorted(str(p) for p, _ in pairs) != [str(RDF.first), str(RDF.rest)]:
                return None
            items.append(self.graph.value(node, RDF.first))
            node = self.graph.value(node, RDF.rest)
        return items

    def _find_inline(self) -> set[BNode]:
        in_lists = {n for head in self.lists for n in self._list_nodes(head)}
        candidates = {b for b, n in self.refs.items() if n == 1 and b not in in_lists}
        inline: set[BNode] = set()
        for node in sorted(candidates, key=str):
            # inline unless a chain of singly-referenced blank nodes loops back on itself
            path, current = {node}, node
            while True:
                parent = next(iter(self.graph.subjects(None, current)), None)
                if parent is None or not isinstance(parent, BNode) or self.refs[parent] != 1:
                    inline.add(node)
                    break
                if parent in path:
                    break
                path.add(parent)
                current = parent
        return inline

    def _list_nodes(self, head: BNode) -> Iterator[Node]:
        node: Node = head
        while node != RDF.nil:
            yield node
            node = self.graph.value(node, RDF.rest)

    # rendering ----------------------------------------------------------------------

    def statements(self) -> list[str]:
        named = sorted({s for s in self.graph.subjects() if not isinstance(s, BNode)}, key=str)
        written_inline = set(self.inline) | {
            n for head in self.lists for n in self._list_nodes(head)
        }
        roots = [
            s for s in {s for s in self.graph.subjects() if isinstance(s, BNode)}
            if s not in written_inline
        ]
        out = [self._statement(self.terms.iri(s) if isinstance(s, URIRef) else self._label(s), s)
               for s in named]
        blank = []
        for node in roots:
            head = "[]" if self.refs.get(node, 0) == 0 else self._label(node)
            blank.append(self._statement(head, node))
        return out + sorted(blank)

    def _label(self, node: BNode) -> str:
        if node not in self._labels:
            self._labels[node] = f"_:b{hashlib.sha256(str(node).encode()).hexdigest()[:12]}"
        return self._labels[node]

    def _statement(self, head: str, subject: Node) -> str:
        pairs = self._pairs(subject, _INDENT)
        if head == "[]":
            return head + " " + (" ;\n" + _INDENT).join(pairs).lstrip() + " ."
        return head + "\n" + _INDENT + (" ;\n" + _INDENT).join(pairs) + " ."

    def _pairs(self, subject: Node, pad: str) -> list[str]:
        by_predicate: dict[Node, list[Node]] = defaultdict(list)
        for p, o in self.graph.predicate_objects(subject):
            by_predicate[p].append(o)
        rendered = []
        for p, objects in by_predicate.items():
            name = "a" if p == RDF.type else self.terms.iri(URIRef(p))
            values = sorted(self._object(o, pad) for o in objects)
            rendered.append((0 if name == "a" else 1, name, values))
        lines = []
        for _, name, values in sorted(rendered):
            one_line = f"{name} " + ", ".join(values)
            if len(pad + one_line) <= _WIDTH or len(values) == 1:
                lines.append(one_line)
            else:
                lines.append(f"{name} " + (",\n" + pad + _INDENT).join(values))
        return lines

    def _object(self, node: Node, pad: str) -> str:
        if isinstance(node, Literal):
            return self.terms.literal(node)
        if isinstance(node, URIRef):
            return self.terms.iri(node)
        assert isinstance(node, BNode)
        if node in self.lists:
            items = [self._object(item, pad + _INDENT) for item in self.lists[node]]
            text = "( " + " ".join(items) + " )"
            if len(pad + text) <= _WIDTH or len(items) < 2:
                return text if items else "()"
            return "(\n" + "".join(pad + _INDENT + i + "\n" for i in items) + pad + ")"
        if node in self.inline:
            pairs = self._pairs(node, pad + _INDENT)
            text = "[ " + " ; ".join(pairs) + " ]"
            if "\n" not in text and len(pad + text) <= _WIDTH:
                return text
            return "[\n" + pad + _INDENT + (" ;\n" + pad + _INDENT).join(pairs) + "\n" + pad + "]"
        return self._label(node)


__all__ = [
    "AUDIT_LOG",
    "CURATED_DIR",
    "GENERATED_GRAPHS",
    "ExportError",
    "ExportResult",
    "Layout",
    "Plan",
    "StoreContent",
    "changeset_lines",
    "changeset_table",
    "curated_path",
    "export",
    "list_changesets",
    "open_store",
    "plan",
    "read_changeset",
    "read_layout",
    "read_store_dir",
    "read_store",
    "render",
]
