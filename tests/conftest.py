"""Shared fixtures: the shipped sources, their parsed dataset, one build per test session,
a tiny self-contained project for testing the build's mechanics quickly, and the web app
(``app``: the whole site over the report's build, one per module; a file that tests another
configuration defines its own ``app``) with its test ``client``.

HermiT and SHACL validation of the whole report are slow, so the real build runs once per
session, into a temporary directory, and every test that needs built data shares it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from rdflib import Dataset
from site_support import make_app
from spacekg.build.dataset import Sources, load_sources
from spacekg.build.pipeline import BuildResult, ensure_built
from spacekg.errors import InconsistentOntology, ValidationFailed

FIXTURES = Path(__file__).parent / "fixtures"

_HEADER = re.compile(r"^#\s*(expect-message|expect-focus):\s*(.*?)\s*$")


def fixture_expectations(path: Path) -> dict[str, list[str]]:
    """The ``# expect-message:`` / ``# expect-focus:`` comments at the top of a fixture."""
    found: dict[str, list[str]] = {"expect-message": [], "expect-focus": []}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            if line.strip():
                break
            continue
        match = _HEADER.match(line)
        if match:
            found[match.group(1)].append(match.group(2))
    return found


@pytest.fixture(scope="session")
def sources() -> Sources:
    """The ontology, shapes and data shipped with the package."""
    return Sources.packaged()


@pytest.fixture(scope="session")
def asserted(sources: Sources) -> Dataset:
    """The shipped files parsed into their named graphs, without validation or inference."""
    return load_sources(sources)


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory, sources: Sources) -> BuildResult:
    """One full build (SHACL, HermiT, inferences) of the shipped files for the whole session.

    ``SPACEKG_TEST_BUILD_DIR`` keeps the build between sessions (reused while no input
    changes); by default each session builds afresh in a temporary directory.
    """
    keep = os.environ.get("SPACEKG_TEST_BUILD_DIR")
    build_dir = Path(keep) if keep else tmp_path_factory.mktemp("build")
    try:
        return ensure_built(build_dir, sources=sources, reasoner="required")
    except ValidationFailed as exc:
        pytest.fail(f"the shipped data fails SHACL validation:\n{exc.report.format()}",
                    pytrace=False)
    except InconsistentOntology as exc:
        pytest.fail(f"the shipped data is inconsistent: {exc}", pytrace=False)


# --- a tiny project: fast builds for testing the pipeline itself ---------------------------

TOY_ONTOLOGY = """\
@prefix skg: <https://w3id.org/spacekg/ontology#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix org: <http://www.w3.org/ns/org#> .
@prefix prov: <http://www.w3.org/ns/prov#> .
<https://w3id.org/spacekg/ontology> a owl:Ontology .
skg:Organisation a owl:Class ; rdfs:subClassOf org:FormalOrganization .
skg:SpaceAgency a owl:Class ; rdfs:subClassOf skg:Organisation .
skg:Person a owl:Class ; owl:disjointWith skg:Organisation .
skg:Event a owl:Class .
skg:Workshop a owl:Class ; rdfs:subClassOf skg:Event ,
  [ a owl:Restriction ; owl:onProperty skg:organiser ;
    owl:minCardinality "0"^^xsd:nonNegativeInteger ] .
skg:organiser a owl:ObjectProperty ; rdfs:domain skg:Event ; owl:inverseOf skg:organised .
skg:organised a owl:ObjectProperty .
skg:partner a owl:ObjectProperty , owl:SymmetricProperty .
skg:partOf a owl:ObjectProperty , owl:TransitiveProperty .
skg:startDate a owl:DatatypeProperty ; rdfs:range xsd:date .
skg:plannedLaunchYear a owl:DatatypeProperty ; rdfs:range xsd:gYear .
skg:editionNumber a owl:DatatypeProperty ; rdfs:range xsd:integer .
skg:sourceParagraph a owl:ObjectProperty ; rdfs:subPropertyOf prov:wasDerivedFrom .
"""

TOY_SHAPES = """\
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix skg: <https://w3id.org/spacekg/ontology#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix ex: <https://w3id.org/spacekg/test-shapes#> .
ex:OrganisationShape a sh:NodeShape ; sh:targetClass skg:Organisation ;
  sh:property [ sh:path skos:prefLabel ; sh:minCount 1 ;
                sh:message "An organisation needs a skos:prefLabel."@en,
                           "组织必须有 skos:prefLabel。"@zh ] .
ex:WorkshopShape a sh:NodeShape ; sh:targetClass skg:Workshop ;
  sh:property [ sh:path skg:editionNumber ; sh:maxCount 1 ; sh:severity sh:Warning ;
                sh:message "A workshop has at most one edition number."@en ] .
"""

TOY_REFERENCE = """\
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix skg: <https://w3id.org/spacekg/ontology#> .
@base <https://w3id.org/spacekg/id/> .
<agency/cnsa> a skg:SpaceAgency ;
  skos:prefLabel "中国国家航天局"@zh, "China National Space Administration"@en .
<agency/esa> a skg:SpaceAgency ; skos:prefLabel "欧洲空间局"@zh, "European Space Agency"@en .
"""

TOY_PARAGRAPH = """\
@prefix skg: <https://w3id.org/spacekg/ontology#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@base <https://w3id.org/spacekg/id/> .
GRAPH <https://w3id.org/spacekg/graph/para/1> {
  <event/ws> a skg:Workshop ;
    skg:organiser <agency/cnsa> ;
    skg:startDate "2022-11-22"^^xsd:date ;
    skg:sourceParagraph <document/a-ac-105-1294/para/1> .
  <agency/cnsa> skg:partner <agency/esa> .
  <session/a> skg:partOf <session/b> .
  <session/b> skg:partOf <event/ws> .
}
"""

ToyFactory = Callable[..., Sources]


@pytest.fixture
def toy(tmp_path: Path) -> ToyFactory:
    """Make a tiny project under tmp_path; ``extra`` maps file names to TriG text to add."""

    def make(extra: dict[str, str] | None = None, *, shapes: str = TOY_SHAPES) -> Sources:
        root = tmp_path / "toy"
        for rel, text in {
            "ontology/spacekg.ttl": TOY_ONTOLOGY,
            "shapes/spacekg.shapes.ttl": shapes,
            "data/reference/entities.ttl": TOY_REFERENCE,
            "data/report/para-01.trig": TOY_PARAGRAPH,
            **{f"data/report/{name}": text for name, text in (extra or {}).items()},
        }.items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        return Sources(
            ontology=tuple(sorted((root / "ontology").glob("*.ttl"))),
            shapes=tuple(sorted((root / "shapes").glob("*.ttl"))),
            data=tuple(sorted(p for p in (root / "data").rglob("*") if p.is_file())),
        )

    return make


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """The whole site over the report's build (its downloads and reports in a fresh place)."""
    yield make_app(tmp_path_factory.mktemp("site"))


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()
