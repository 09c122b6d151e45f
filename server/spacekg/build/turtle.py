"""SpaceKG's source files as a person writes them: Turtle or TriG, sorted and readable.

``render`` gives one file's bytes for its graphs: the project's prefixes (only those used),
``@base`` for the individuals, subjects and predicates sorted (``a`` first), one property per
line, Chinese as UTF-8, blank nodes inline (``[ … ]``, lists as ``( … )``) with canonical
labels only where a node must be shared. The same graphs give the same bytes.

Why not rdflib's ``turtle``/``longturtle`` serialisers: they write no ``@base``, cannot
write TriG with the GRAPH blocks the hand-written files use, and label shared blank nodes
by run, so a re-export of unchanged data would differ from the files it came from.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

from rdflib import RDF, XSD, BNode, Graph, Literal, URIRef
from rdflib.compare import to_canonical_graph
from rdflib.term import Node

from spacekg.errors import InputError
from spacekg.namespaces import ID
from spacekg.namespaces import PREFIXES as NAMESPACE_PREFIXES

#: Prefixes written files may use (only those a file needs are declared): the project's own.
PREFIXES: dict[str, str] = dict(NAMESPACE_PREFIXES)
#: Individuals are written relative to this base, as the hand-written files do.
ID_BASE = str(ID)
_WIDTH = 100
_INDENT = "    "



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
        raise InputError(f"{rel}: a Turtle file holds one graph, not {len(graphs)}")
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


def triple_key(triple: tuple[Node, Node, Node]) -> tuple[str, str, str]:
    """Sort key of a triple: the order statements are written in."""
    return (str(triple[0]), str(triple[1]), triple[2].n3())


def has_blank(triple: tuple[Node, Node, Node]) -> bool:
    return isinstance(triple[0], BNode) or isinstance(triple[2], BNode)


class _Writer:
    """Turtle statements of one graph: sorted subjects, ``a`` first, blank nodes inline."""

    def __init__(self, graph: Graph, terms: _Terms) -> None:
        if any(has_blank(t) for t in graph):
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
