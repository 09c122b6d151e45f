"""Issue 6: the write gate validates a small write incrementally, finding exactly what a full
validation finds, and keeps graph/inferred up to date in the same transaction."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Graph
from spacekg.build.dataset import Sources, load_graph
from spacekg.build.pipeline import BuildResult
from spacekg.build.validate import ValidationResult
from spacekg.errors import WriteForbidden, WriteRejected
from spacekg.namespaces import INFERRED_GRAPH, ONTOLOGY_GRAPH
from spacekg.stores.oxigraph import OxigraphStore
from spacekg.write.gate import GraphTarget, WriteGate
from spacekg.write.incremental import ShapeReach, Step, Unbounded

FIXTURES = Path(__file__).parent / "fixtures"
#: The modelling rules' fixtures (one pattern each: a stated property the build derives, a
#: topic with skg:about, a count as a property...) are rejected by full validation in
#: test_validate.py; their shapes read the focus node's triples and at most one step on,
#: which the walk analysis covers (test_walks_are_derived_from_paths_nested_shapes...).
#: Each write here costs two validations of the whole report (about 30 s), so the
#: incremental-equals-full comparison runs on the fixtures whose shapes walk further.
PATTERN_ONLY = {
    "co-organiser-stated-twice", "count-as-property", "has-component-stated",
    "has-mission-stated", "has-presentation-stated", "partner-without-role",
    "secretariat-stated", "topic-as-about", "unit-as-sub-organisation",
}
BROKEN = sorted(p for p in (FIXTURES / "broken").glob("*.trig") if p.stem not in PATTERN_ONLY)
SKG = "https://w3id.org/spacekg/ontology#"
ID = "https://w3id.org/spacekg/id/"
REFERENCE = "https://w3id.org/spacekg/graph/reference"
NEW_AGENCY = f"{ID}agency/test-only-incremental"
PREFIXES = (
    f"PREFIX skg: <{SKG}> PREFIX skos: <http://www.w3.org/2004/02/skos/core#> "
    "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> "
)
NEW_AGENCY_TRIPLES = (
    f'<{NEW_AGENCY}> a skg:SpaceAgency ; skos:prefLabel "测试机构"@zh, "Test Agency"@en ; '
    'rdfs:label "测试机构"@zh, "Test Agency"@en .'
)


def make_gate(built: BuildResult, audit: Path, *, incremental: bool) -> WriteGate:
    store = OxigraphStore()
    store.load(built.nquads_path)
    sources = Sources.packaged()
    return WriteGate(store, shapes=load_graph(sources.shapes),
                     ontology=load_graph(sources.ontology), audit_log=audit,
                     incremental=incremental)


def last_record(gate: WriteGate) -> dict[str, object]:
    assert gate.journal.audit_log is not None
    lines = gate.journal.audit_log.read_text(encoding="utf-8").splitlines()
    return json.loads(lines[-1])  # type: ignore[no-any-return]


def fixture_as_write(path: Path) -> str:
    """A curator's correction: each subject of the fixture, in each graph, is replaced by the
    fixture's description of it (so what the fixture leaves out is removed too)."""
    quads = list(ox.parse(path=str(path), format=ox.RdfFormat.TRIG))
    deletes = sorted({f"DELETE WHERE {{ GRAPH {q.graph_name} {{ {q.subject} ?p ?o }} }}"
                      for q in quads})
    body = "\n".join(f"GRAPH {q.graph_name} {{ {q.subject} {q.predicate} {q.object} }}"
                     for q in quads)
    return " ;\n".join([*deletes, f"INSERT DATA {{ {body} }}"])


def rejected(gate: WriteGate, update: str) -> frozenset[ValidationResult]:
    with pytest.raises(WriteRejected) as caught:
        gate.update(update, who="tester")
    return frozenset(caught.value.report.violations)  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def gates(built: BuildResult, tmp_path_factory: pytest.TempPathFactory
          ) -> Iterator[tuple[WriteGate, WriteGate]]:
    """Two gates over the report's data: incremental, and full validation on every write."""
    where = tmp_path_factory.mktemp("gates")
    yield (make_gate(built, where / "incremental.jsonl", incremental=True),
           make_gate(built, where / "full.jsonl", incremental=False))


@pytest.fixture
def gate(built: BuildResult, tmp_path: Path) -> WriteGate:
    return make_gate(built, tmp_path / "audit.jsonl", incremental=True)


# --- what the shapes let validation read -------------------------------------------------


def test_walks_are_derived_from_paths_nested_shapes_and_sparql_constraints() -> None:
    reach = ShapeReach.from_shapes(load_graph(Sources.packaged().shapes))
    walks = {walk for walk, _full in reach.walks}
    # RegisteredCountriesWarningShape: ?statistic skg:ofEvent $this ; skg:count ?value
    assert (Step(False, f"{SKG}ofEvent"), Step(True, f"{SKG}count")) in walks
    # CapacityPartsShape: ?part skg:shareOf $this . ?part skg:mass/skg:numericValue ?v
    assert (Step(False, f"{SKG}shareOf"), Step(True, f"{SKG}mass"),
            Step(True, f"{SKG}numericValue")) in walks
    # EnumerationCountShape: ?event ?property ?member (any predicate)
    assert (Step(True, f"{SKG}ofEvent"), Step(True, None)) in walks
    # sh:class on a value reads the value's triples (its types); sh:hasValue does not
    assert ((Step(True, f"{SKG}representedCountry"),), True) in reach.walks
    assert not any(w[:1] == (Step(True, "http://purl.org/dc/terms/isPartOf"),) and full
                   for w, full in reach.walks)


def test_shapes_with_an_unbounded_path_cannot_be_validated_incrementally() -> None:
    shapes = Graph().parse(format="turtle", data="""
        @prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <http://example.org/> .
        ex:S a sh:NodeShape ; sh:targetClass ex:T ;
            sh:property [ sh:path [ sh:zeroOrMorePath ex:p ] ; sh:class ex:U ] .""")
    with pytest.raises(Unbounded):
        ShapeReach.from_shapes(shapes)


# --- incremental equals full -------------------------------------------------------------


@pytest.mark.parametrize("fixture", BROKEN, ids=[p.stem for p in BROKEN])
def test_broken_fixture_as_a_write_is_rejected_with_the_violations_full_validation_finds(
        fixture: Path, gates: tuple[WriteGate, WriteGate]) -> None:
    incremental, full = gates
    update = fixture_as_write(fixture)
    found_incremental = rejected(incremental, update)
    assert found_incremental
    record = last_record(incremental)
    if record["validation"] != "incremental":
        # a fixture that rewrites a paragraph reaches its sentences and every fact citing
        # them: the gate validates in full by design, and full against full proves nothing
        assert "is most of the data" in str(record["validation_reason"]), record
        return
    assert rejected(full, update) == found_incremental
    assert last_record(full)["validation"] == "full"


def test_valid_small_write_is_accepted_incrementally_and_inferences_stay_as_built(
        gate: WriteGate) -> None:
    before = set(gate.native.quads_for_pattern(None, None, None,
                                               ox.NamedNode(str(INFERRED_GRAPH))))
    gate.update(PREFIXES + f"INSERT DATA {{ GRAPH <{REFERENCE}> {{ <{ID}agency/cnsa> "
                'skos:altLabel "a test short form"@en } }', who="tester")
    record = last_record(gate)
    assert record["outcome"] == "accepted" and record["validation"] == "incremental"
    # graph/inferred was recomputed (rules, plus the types HermiT gave the build) and came out
    # the same: nothing new follows from a label
    assert record["inferred"] == {"added": 0, "removed": 0}
    after = set(gate.native.quads_for_pattern(None, None, None,
                                              ox.NamedNode(str(INFERRED_GRAPH))))
    assert after == before


def test_a_write_then_its_undo_are_both_accepted_and_leave_the_same_violations(
        gate: WriteGate) -> None:
    baseline = gate.violations()
    triple = f'<{ID}agency/cnsa> skos:altLabel "another test form"@en'
    gate.update(PREFIXES + f"INSERT DATA {{ GRAPH <{REFERENCE}> {{ {triple} }} }}", who="t")
    gate.update(PREFIXES + f"DELETE DATA {{ GRAPH <{REFERENCE}> {{ {triple} }} }}", who="t")
    assert last_record(gate)["validation"] == "incremental"
    assert gate.violations() == baseline


def test_write_to_the_ontology_graph_is_refused_unless_opened(gate: WriteGate) -> None:
    before = last_record(gate) if _logged(gate) else None
    with pytest.raises(WriteForbidden, match="protected"):
        gate.update(f"INSERT DATA {{ GRAPH <{ONTOLOGY_GRAPH}> {{ <{SKG}SpaceAgency> "
                    "<http://www.w3.org/2000/01/rdf-schema#comment> \"a note\"@en } }",
                    who="tester")
    assert (last_record(gate) if _logged(gate) else None) == before


def test_write_to_the_ontology_graph_is_validated_in_full(gate: WriteGate) -> None:
    gate.protected_graphs -= {str(ONTOLOGY_GRAPH)}  # as --open-graph does
    gate.update(f"INSERT DATA {{ GRAPH <{ONTOLOGY_GRAPH}> {{ <{SKG}SpaceAgency> "
                "<http://www.w3.org/2000/01/rdf-schema#comment> \"a test note\"@en } }",
                who="tester")
    record = last_record(gate)
    assert record["validation"] == "full"
    assert record["validation_reason"] == "the ontology graph changed"


def test_big_write_is_validated_in_full(gate: WriteGate) -> None:
    body = "".join(f"<http://example.org/s{i}> <http://example.org/p> {i} .\n"
                   for i in range(250)).encode()
    gate.replace_graph(GraphTarget("http://example.org/test-data"), body,
                       "text/turtle", who="tester")
    record = last_record(gate)
    assert record["outcome"] == "accepted" and record["validation"] == "full"
    assert "big change" in str(record["validation_reason"])


# --- graph/inferred after writes ---------------------------------------------------------


def inferred_types(gate: WriteGate, iri: str) -> set[str]:
    query = (f"SELECT ?c WHERE {{ GRAPH <{INFERRED_GRAPH}> {{ <{iri}> a ?c }} }}")
    return {row["c"].value for row in gate.native.query(query)}  # type: ignore[union-attr]


def test_new_entity_gets_its_superclass_types_inferred_and_loses_them_when_deleted(
        gate: WriteGate) -> None:
    gate.update(PREFIXES + f"INSERT DATA {{ GRAPH <{REFERENCE}> {{ {NEW_AGENCY_TRIPLES} }} }}",
                who="tester")
    record = last_record(gate)
    assert record["outcome"] == "accepted" and record["validation"] == "incremental"
    assert {f"{SKG}Organisation", f"{SKG}Agent"} <= inferred_types(gate, NEW_AGENCY)
    assert record["added"] == 5  # the curator's triples; the inferred ones counted apart
    assert record["inferred"]["added"] >= 2  # type: ignore[index]
    # the same types the build gives an agency of the report
    assert inferred_types(gate, NEW_AGENCY) == inferred_types(gate, f"{ID}agency/cnsa")

    gate.update(PREFIXES + f"DELETE WHERE {{ GRAPH <{REFERENCE}> {{ <{NEW_AGENCY}> ?p ?o }} }}",
                who="tester")
    assert inferred_types(gate, NEW_AGENCY) == set()
    leftovers = list(gate.native.quads_for_pattern(ox.NamedNode(NEW_AGENCY), None, None, None))
    assert leftovers == []


def _logged(gate: WriteGate) -> bool:
    log = gate.journal.audit_log
    return log is not None and log.is_file()
