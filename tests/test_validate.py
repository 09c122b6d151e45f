"""SHACL validation: broken fixtures are caught with the right message and focus node, and
reports are sorted and readable."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FIXTURES, fixture_expectations
from rdflib import Graph
from spacekg.build.dataset import Sources
from spacekg.build.validate import ValidationReport, short, validate_files, validate_graph
from spacekg.errors import InputError

BROKEN = sorted((FIXTURES / "broken").glob("*.trig"))

SHAPES = """\
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix ex: <http://example.org/> .
ex:ThingShape a sh:NodeShape ; sh:targetClass ex:Thing ;
  sh:property [ sh:path ex:name ; sh:minCount 1 ;
                sh:message "A thing needs a name."@en, "事物必须有名称。"@zh ] ;
  sh:property [ sh:path ( ex:part ex:name ) ; sh:maxCount 0 ; sh:severity sh:Warning ;
                sh:message "Parts should not be named."@en ] .
"""
ONTOLOGY = """\
@prefix ex: <http://example.org/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
ex:Gadget rdfs:subClassOf ex:Thing .
"""
DATA = """\
@prefix ex: <http://example.org/> .
ex:b a ex:Gadget ; ex:part [ ex:name "bolt" ] .
ex:a a ex:Thing .
"""


def _toy_report() -> ValidationReport:
    return validate_graph(Graph().parse(data=DATA, format="turtle"),
                          shapes=Graph().parse(data=SHAPES, format="turtle"),
                          ontology=Graph().parse(data=ONTOLOGY, format="turtle"))


def _matches(focus: str, wanted: str) -> bool:
    """A fixture names its focus node as a full IRI, <IRI>, or a short form like id:x/y."""
    wanted = wanted.strip()
    return focus in {wanted, f"<{wanted}>"} or focus == short_form(wanted)


def short_form(text: str) -> str:
    from rdflib import URIRef

    return short(URIRef(text.strip("<>"))) if "://" in text else text


def test_subclass_instances_are_validated_through_the_ontology() -> None:
    report = _toy_report()
    assert {r.focus for r in report.violations} == {"<http://example.org/a>",
                                                    "<http://example.org/b>"}


def test_report_is_sorted_violations_first_with_messages_in_both_languages() -> None:
    report = _toy_report()
    assert list(report.results) == sorted(report.results)
    assert [r.severity for r in report.results] == ["Violation", "Violation", "Warning"]
    first = report.results[0]
    assert first.message("en") == "A thing needs a name."
    assert first.message("zh") == "事物必须有名称。"
    assert report.results[2].path == "<http://example.org/part>/<http://example.org/name>"
    assert "2 violation(s), 1 warning(s)" in report.format()
    assert not report.conforms


def test_warnings_alone_conform() -> None:
    data = Graph().parse(data=DATA, format="turtle")
    data.parse(data='<http://example.org/a> <http://example.org/name> "a" .\n'
                    '<http://example.org/b> <http://example.org/name> "b" .', format="turtle")
    report = validate_graph(data, shapes=Graph().parse(data=SHAPES, format="turtle"),
                            ontology=Graph().parse(data=ONTOLOGY, format="turtle"))
    assert report.conforms and len(report.warnings) == 1


def test_unreadable_file_is_an_input_error(tmp_path: Path, sources: Sources) -> None:
    bad = tmp_path / "bad.ttl"
    bad.write_text("this is not turtle", encoding="utf-8")
    with pytest.raises(InputError, match="bad.ttl"):
        validate_files([bad], sources=sources)


def test_there_are_broken_fixtures() -> None:
    assert BROKEN, "tests/fixtures/broken/*.trig: no fixtures yet"


@pytest.mark.parametrize("fixture", BROKEN, ids=[p.stem for p in BROKEN])
def test_broken_fixture_fails_with_its_message_and_focus(fixture: Path,
                                                         sources: Sources) -> None:
    expect = fixture_expectations(fixture)
    assert expect["expect-message"] and expect["expect-focus"], \
        f"{fixture.name}: missing # expect-message / # expect-focus header"
    # Fixtures are self-contained (they carry the registry entries they refer to), so each is
    # validated alone: the shipped data would mend what the fixture breaks on purpose.
    report = validate_files([fixture], sources=sources)
    assert not report.conforms
    for message in expect["expect-message"]:
        for focus in expect["expect-focus"]:
            hits = [r for r in report.violations if _matches(r.focus, focus)
                    and message.lower() in (r.message_en + " " + r.message_zh).lower()]
            assert hits, (f"{fixture.name}: no violation on {focus} saying {message!r}; "
                          f"got:\n{report.format()}")


SPARQL_SHAPES = '''\
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix ex: <http://example.org/> .
ex:SizeShape a sh:NodeShape ; sh:targetClass ex:Thing ;
  sh:sparql [ a sh:SPARQLConstraint ;
    sh:message "{$this} is {?size}, too big."@en, "{$this} 的大小为 {?size}，太大。"@zh ;
    sh:select """SELECT $this ?size
                 WHERE { $this <http://example.org/size> ?size . FILTER (?size > 3) }""" ] .
'''


def test_sparql_constraint_messages_keep_both_languages() -> None:
    # pySHACL fills in {?size} and drops the message's language tag on the way.
    data = Graph().parse(data="@prefix ex: <http://example.org/> . ex:a a ex:Thing ; ex:size 5 .",
                         format="turtle")
    report = validate_graph(data, shapes=Graph().parse(data=SPARQL_SHAPES, format="turtle"),
                            ontology=Graph())
    (result,) = report.violations
    assert result.message("en") == "http://example.org/a is 5, too big."
    assert result.message("zh") == "http://example.org/a 的大小为 5，太大。"
