"""SHACL validation of SpaceKG data with pySHACL, as a report a person can read.

pySHACL runs on the union of the data graphs with the ontology as ``ont_graph`` and RDFS
inference, so a shape targeting ``skg:Organisation`` also sees every ``skg:SpaceAgency``.
Its results graph is turned into sorted :class:`ValidationResult` rows (severity, focus node,
path, value, message in English and Chinese) so reports are stable and diff well.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import RDF, BNode, Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.term import Node

from spacekg.build.dataset import Sources, data_graph, file_quads, load_dataset, load_graph
from spacekg.errors import SpaceKGError, ValidationFailed
from spacekg.namespaces import ID, REFERENCE_GRAPH
from spacekg.namespaces import PREFIXES as NAMESPACE_PREFIXES

SH = Namespace("http://www.w3.org/ns/shacl#")

_SEVERITY_ORDER = {SH.Violation: 0, SH.Warning: 1, SH.Info: 2}

#: Names in the report: SpaceKG's prefixes and ``id:`` for its individuals (``id:agency/cnsa``).
PREFIXES: dict[str, str] = {"id": str(ID), **NAMESPACE_PREFIXES}


def short(node: Node | None) -> str:
    """Compact, readable form of a term: ``id:agency/cnsa``, ``"43"^^xsd:decimal``."""
    if node is None:
        return "-"
    if isinstance(node, URIRef):
        text = str(node)
        for prefix, ns in PREFIXES.items():
            if text.startswith(ns) and len(text) > len(ns):
                return f"{prefix}:{text[len(ns):]}"
        return f"<{text}>"
    if isinstance(node, Literal):
        if node.datatype is not None:
            return f'"{node}"^^{short(node.datatype)}'
        if node.language:
            return f'"{node}"@{node.language}'
        return f'"{node}"'
    return f"_:{node}"


def path_text(graph: Graph, path: Node | None) -> str:
    """SHACL property path written as SPARQL path syntax (``skg:a/skg:b``, ``^skg:c``)."""
    if path is None:
        return "-"
    if isinstance(path, URIRef):
        return short(path)
    if graph.value(path, RDF.first) is not None:
        return "/".join(path_text(graph, p) for p in Collection(graph, path))
    for pred, fmt in ((SH.inversePath, "^{}"), (SH.zeroOrMorePath, "({})*"),
                      (SH.oneOrMorePath, "({})+"), (SH.zeroOrOnePath, "({})?")):
        inner = graph.value(path, pred)
        if inner is not None:
            return fmt.format(path_text(graph, inner))
    alternatives = graph.value(path, SH.alternativePath)
    if alternatives is not None:
        return "(" + "|".join(path_text(graph, p) for p in Collection(graph, alternatives)) + ")"
    return short(path)


@dataclass(frozen=True, order=True)
class ValidationResult:
    """One SHACL result; ordering sorts violations first, then by focus node, path, value."""

    severity_rank: int
    focus: str
    path: str
    value: str
    message_en: str
    message_zh: str = ""
    shape: str = field(default="", compare=False)
    component: str = field(default="", compare=False)

    @property
    def severity(self) -> str:
        return ("Violation", "Warning", "Info")[self.severity_rank]

    def message(self, lang: str = "en") -> str:
        """Message in ``lang`` (en or zh), falling back to the other one."""
        if lang == "zh":
            return self.message_zh or self.message_en
        return self.message_en or self.message_zh

    def describe(self, lang: str = "en") -> str:
        return (f"{self.severity}: {self.focus}\n"
                f"    path:    {self.path}\n"
                f"    value:   {self.value}\n"
                f"    message: {self.message(lang)}\n"
                f"    shape:   {self.shape} ({self.component})")


@dataclass(frozen=True)
class ValidationReport:
    """Sorted results of one validation run."""

    results: tuple[ValidationResult, ...]

    @property
    def conforms(self) -> bool:
        return not self.violations

    @property
    def violations(self) -> tuple[ValidationResult, ...]:
        return tuple(r for r in self.results if r.severity_rank == 0)

    @property
    def warnings(self) -> tuple[ValidationResult, ...]:
        return tuple(r for r in self.results if r.severity_rank > 0)

    def format(self, lang: str = "en", *, include_warnings: bool = True) -> str:
        """The report as text: one block per result, then a one-line summary."""
        shown = self.results if include_warnings else self.violations
        blocks = [r.describe(lang) for r in shown]
        blocks.append(f"{len(self.violations)} violation(s), {len(self.warnings)} warning(s)")
        return "\n".join(blocks)


_HAN = re.compile(r"[\u4e00-\u9fff]")


def _messages(results: Graph, node: Node) -> tuple[str, str]:
    # pySHACL drops the language tag of a SPARQL constraint's message when it fills in the
    # {?var} template, so an untagged message is told apart by its script.
    by_lang: dict[str, str] = {}
    for msg in sorted(results.objects(node, SH.resultMessage), key=str):
        if isinstance(msg, Literal) and msg.language:
            lang = msg.language
        else:
            lang = "zh" if _HAN.search(str(msg)) else ""
        by_lang.setdefault(lang, str(msg))
    en = by_lang.get("en") or by_lang.get("") or next(iter(by_lang.values()), "")
    zh = by_lang.get("zh") or ""
    return en, zh


def parse_results(results: Graph) -> ValidationReport:
    """Turn a pySHACL results graph into a sorted :class:`ValidationReport`."""
    rows = []
    for node in results.subjects(RDF.type, SH.ValidationResult):
        severity = results.value(node, SH.resultSeverity)
        en, zh = _messages(results, node)
        shape = results.value(node, SH.sourceShape)
        rows.append(ValidationResult(
            severity_rank=_SEVERITY_ORDER.get(severity, 0),  # type: ignore[arg-type]
            focus=short(results.value(node, SH.focusNode)),
            path=path_text(results, results.value(node, SH.resultPath)),
            value=short(results.value(node, SH.value)),
            message_en=en,
            message_zh=zh,
            shape=short(shape) if not isinstance(shape, BNode) else "(anonymous shape)",
            component=short(results.value(node, SH.sourceConstraintComponent)),
        ))
    return ValidationReport(tuple(sorted(set(rows))))


def validate_graph(data: Graph, *, shapes: Graph, ontology: Graph) -> ValidationReport:
    """Validate ``data`` against ``shapes`` with ``ontology`` mixed in for RDFS inference.

    Returns the report whatever it says; raises SpaceKGError only if pySHACL itself fails.
    """
    import pyshacl  # heavy import, only when validating

    try:
        _conforms, results, _text = pyshacl.validate(
            data,
            shacl_graph=shapes,
            ont_graph=ontology,
            inference="rdfs",
            advanced=True,
            allow_warnings=True,
            abort_on_first=False,
        )
    except Exception as exc:  # pySHACL raises ReportableRuntimeError and friends
        raise SpaceKGError(f"SHACL validation could not run: {exc}") from exc
    return parse_results(results)


def validate_files(paths: Iterable[Path], *, sources: Sources | None = None,
                   with_data: bool = False) -> ValidationReport:
    """Validate other RDF files against SpaceKG's shapes and ontology.

    With ``with_data`` the files are validated together with SpaceKG's own data, as they would
    be if added to ``data/`` (references to registry entities then resolve).
    Raises InputError for unreadable files.
    """
    src = sources or Sources.packaged()
    ds = load_dataset(data=src.data if with_data else ())
    for path in paths:
        # A user's file may keep triples outside GRAPH blocks anywhere: treat them as registry.
        for s, p, o, g in file_quads(path, default_graph=REFERENCE_GRAPH):
            ds.add((s, p, o, g))
    return validate_graph(data_graph(ds), shapes=load_graph(src.shapes),
                          ontology=load_graph(src.ontology))


def require_conformance(report: ValidationReport) -> None:
    """Raise ValidationFailed (carrying the report) if ``report`` has violations."""
    if not report.conforms:
        raise ValidationFailed(
            f"SHACL validation failed with {len(report.violations)} violation(s)", report
        )
