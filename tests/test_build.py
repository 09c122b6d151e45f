"""The build: what it writes, when it reuses, how it fails. Mechanics on a tiny project;
the last tests check the session's build of the real report."""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

import pyoxigraph as ox
import pytest
from conftest import ToyFactory
from rdflib import RDF, Dataset, URIRef
from spacekg.build.dataset import load_sources
from spacekg.build.pipeline import BuildResult, default_build_dir, ensure_built, input_hashes
from spacekg.errors import InconsistentOntology, InputError, ValidationFailed
from spacekg.namespaces import GRAPH, ID, INFERRED_GRAPH, ONTOLOGY_GRAPH, REFERENCE_GRAPH, SKG

BAD_LABEL = """\
@prefix skg: <https://w3id.org/spacekg/ontology#> .
@base <https://w3id.org/spacekg/id/> .
GRAPH <https://w3id.org/spacekg/graph/para/2> { <agency/nolabel> a skg:SpaceAgency . }
"""

PERSON_AGENCY = """\
@prefix skg: <https://w3id.org/spacekg/ontology#> .
@base <https://w3id.org/spacekg/id/> .
GRAPH <https://w3id.org/spacekg/graph/para/2> { <agency/cnsa> a skg:Person . }
"""


def _quads(path: Path) -> Dataset:
    ds = Dataset()
    ds.parse(path, format="nquads")
    return ds


def test_toy_build_writes_sorted_nquads_manifest_and_store(toy: ToyFactory,
                                                           tmp_path: Path) -> None:
    sources = toy()
    result = ensure_built(tmp_path / "out", sources=sources, reasoner="required")
    lines = result.nquads_path.read_text(encoding="utf-8").splitlines()
    assert lines == sorted(lines)
    manifest = json.loads(result.manifest_path.read_text(encoding="utf-8"))
    assert manifest["inputs"] == input_hashes(sources)
    assert manifest["counts"] == result.counts
    assert manifest["total"] == len(lines) == result.total
    store = ox.Store.read_only(str(result.oxigraph_path))
    named = [q for q in store.quads_for_pattern(None, None, None, None)
             if not isinstance(q.graph_name, ox.DefaultGraph)]
    assert len(named) == len(lines)
    # the store's default graph is the union of the named graphs, each triple once
    default = {(q.subject, q.predicate, q.object)
               for q in store.quads_for_pattern(None, None, None, ox.DefaultGraph())}
    assert default == {(q.subject, q.predicate, q.object) for q in named}
    assert result.reasoner == "hermit" and not result.reused


def test_rebuilding_the_same_files_gives_the_same_bytes(toy: ToyFactory,
                                                       tmp_path: Path) -> None:
    sources = toy()
    first = ensure_built(tmp_path / "out", sources=sources, reasoner="skip")
    before = first.nquads_path.read_bytes()
    assert b"_:" in before  # the ontology's restriction is a blank node
    again = ensure_built(tmp_path / "out", sources=sources, reasoner="skip", force=True)
    assert again.nquads_path.read_bytes() == before


def test_manifest_hashes_are_sha256_of_each_input(toy: ToyFactory, tmp_path: Path) -> None:
    sources = toy()
    result = ensure_built(tmp_path / "out", sources=sources, reasoner="skip")
    hashes = json.loads(result.manifest_path.read_text(encoding="utf-8"))["inputs"]
    assert len(hashes) == len(sources.all_files())
    expected = sorted(hashlib.sha256(p.read_bytes()).hexdigest() for p in sources.all_files())
    assert sorted(hashes.values()) == expected


def test_unchanged_inputs_reuse_the_build_and_force_rebuilds(toy: ToyFactory,
                                                             tmp_path: Path) -> None:
    sources = toy()
    first = ensure_built(tmp_path / "out", sources=sources, reasoner="skip")
    again = ensure_built(tmp_path / "out", sources=sources, reasoner="skip")
    assert again.reused and again.counts == first.counts
    forced = ensure_built(tmp_path / "out", sources=sources, reasoner="skip", force=True)
    assert not forced.reused


def test_changed_input_triggers_a_rebuild(toy: ToyFactory, tmp_path: Path) -> None:
    sources = toy()
    first = ensure_built(tmp_path / "out", sources=sources, reasoner="skip")
    with sources.data[0].open("a", encoding="utf-8") as fh:
        fh.write('<https://w3id.org/spacekg/id/place/haikou> '
                 '<http://www.w3.org/2004/02/skos/core#prefLabel> "海口"@zh .\n')
    rebuilt = ensure_built(tmp_path / "out", sources=sources, reasoner="skip")
    assert not rebuilt.reused
    reference = str(REFERENCE_GRAPH)
    assert rebuilt.counts[reference] == first.counts[reference] + 1


def test_build_checked_without_hermit_is_redone_when_hermit_is_required(
        toy: ToyFactory, tmp_path: Path) -> None:
    sources = toy()
    ensure_built(tmp_path / "out", sources=sources, reasoner="skip")
    checked = ensure_built(tmp_path / "out", sources=sources, reasoner="required")
    assert not checked.reused and checked.reasoner == "hermit"


def test_default_build_dir_follows_the_environment(monkeypatch: pytest.MonkeyPatch,
                                                   tmp_path: Path) -> None:
    monkeypatch.setenv("SPACEKG_BUILD_DIR", str(tmp_path / "here"))
    assert default_build_dir() == tmp_path / "here"
    monkeypatch.delenv("SPACEKG_BUILD_DIR")
    assert default_build_dir() == Path.home() / ".cache" / "spacekg" / "build"


def test_files_land_in_their_graphs(toy: ToyFactory) -> None:
    ds = load_sources(toy())
    graphs = {str(g.identifier) for g in ds.graphs() if len(g)}
    assert graphs == {str(ONTOLOGY_GRAPH), str(REFERENCE_GRAPH), f"{GRAPH}para/1"}


def test_report_triple_outside_a_graph_block_is_refused(toy: ToyFactory) -> None:
    sources = toy({"para-02.trig": "<urn:a> <urn:b> <urn:c> .\n"})
    with pytest.raises(InputError, match="outside any GRAPH block"):
        load_sources(sources)


def test_syntax_error_names_the_file(toy: ToyFactory, tmp_path: Path) -> None:
    sources = toy({"para-03.trig": "GRAPH <urn:g> { <urn:a> <urn:b> . }\n"})
    with pytest.raises(InputError, match="para-03.trig"):
        ensure_built(tmp_path / "out", sources=sources, reasoner="skip")


def test_shacl_violation_fails_the_build_with_its_report(toy: ToyFactory,
                                                         tmp_path: Path) -> None:
    with pytest.raises(ValidationFailed) as info:
        ensure_built(tmp_path / "out", sources=toy({"para-02.trig": BAD_LABEL}),
                     reasoner="skip")
    [violation] = info.value.report.violations
    assert violation.focus == "id:agency/nolabel"
    assert violation.path == "skos:prefLabel"
    assert violation.message("zh") == "组织必须有 skos:prefLabel。"
    assert not (tmp_path / "out" / "manifest.json").exists()


def test_warnings_do_not_fail_the_build(toy: ToyFactory, tmp_path: Path) -> None:
    two_editions = ('GRAPH <https://w3id.org/spacekg/graph/para/2> {'
                    ' <https://w3id.org/spacekg/id/event/ws>'
                    ' <https://w3id.org/spacekg/ontology#editionNumber> 1, 2 . }\n')
    result = ensure_built(tmp_path / "out", sources=toy({"para-02.trig": two_editions}),
                          reasoner="skip")
    assert [w.severity for w in result.warnings] == ["Warning"]


def test_inconsistency_fails_the_build_naming_the_individual(toy: ToyFactory,
                                                             tmp_path: Path) -> None:
    with pytest.raises(InconsistentOntology) as info:
        ensure_built(tmp_path / "out", sources=toy({"para-02.trig": PERSON_AGENCY}),
                     reasoner="required")
    assert str(ID["agency/cnsa"]) in info.value.individuals
    assert "id:agency/cnsa is both skg:Organisation and skg:Person" in str(info.value)
    assert "graph:para/2" in str(info.value)


def test_inferred_graph_holds_only_new_triples(toy: ToyFactory, tmp_path: Path) -> None:
    result = ensure_built(tmp_path / "out", sources=toy(), reasoner="required")
    ds = _quads(result.nquads_path)
    inferred = set(ds.graph(INFERRED_GRAPH))
    asserted = {t for g in ds.graphs() if g.identifier != INFERRED_GRAPH for t in g}
    assert inferred and not inferred & asserted
    cnsa, ws = ID["agency/cnsa"], ID["event/ws"]
    org = URIRef("http://www.w3.org/ns/org#FormalOrganization")
    prov = URIRef("http://www.w3.org/ns/prov#wasDerivedFrom")
    expected = {
        (cnsa, RDF.type, SKG.Organisation),  # subclass
        (cnsa, RDF.type, org),  # subclass of subclass, outside skg:
        (ws, RDF.type, SKG.Event),  # subclass (and domain)
        (cnsa, SKG.organised, ws),  # inverse
        (ID["agency/esa"], SKG.partner, cnsa),  # symmetric
        (ID["session/a"], SKG.partOf, ws),  # transitive
        (ws, prov, ID["document/a-ac-105-1294/para/1"]),  # subproperty
    }
    assert expected <= inferred


def test_real_build_conforms_and_is_consistent(built: BuildResult) -> None:
    assert built.reasoner == "hermit"
    assert built.counts.get(str(INFERRED_GRAPH), 0) > 0


def test_real_build_is_reused_quickly(built: BuildResult, sources) -> None:  # noqa: ANN001
    start = time.monotonic()
    again = ensure_built(built.build_dir, sources=sources, reasoner="required")
    assert again.reused and again.counts == built.counts
    assert time.monotonic() - start < 10


def test_real_build_counts_match_its_nquads(built: BuildResult) -> None:
    per_graph: dict[str, int] = {}
    for line in built.nquads_path.read_text(encoding="utf-8").splitlines():
        graph = line.rsplit(" ", 2)[-2].strip("<>")
        per_graph[graph] = per_graph.get(graph, 0) + 1
    assert per_graph == built.counts


_NO_ROCKSDB_THREADS = """
import json, sys
from pathlib import Path
from spacekg.build.pipeline import ensure_built
from spacekg.build.dataset import Sources
lists = json.loads(sys.argv[2])
sources = Sources(*(tuple(Path(p) for p in lists[kind]) for kind in ("ontology", "shapes", "data")))
ensure_built(Path(sys.argv[1]), sources=sources, reasoner="skip")
names = [p.read_text().strip() for p in Path("/proc/self/task").glob("*/comm")]
print(",".join(names))
"""


def test_building_starts_no_rocksdb_threads_in_the_building_process(
        toy: ToyFactory, tmp_path: Path) -> None:
    """``spacekg serve`` builds, then its server forks workers: RocksDB's threads do not
    survive a fork (the workers aborted at exit), so the on-disk store is written by a child
    process and the building process never starts them."""
    import subprocess
    import sys

    sources = toy()
    lists = {kind: [str(p) for p in getattr(sources, kind)]
             for kind in ("ontology", "shapes", "data")}
    done = subprocess.run([sys.executable, "-c", _NO_ROCKSDB_THREADS, str(tmp_path / "out"),
                           json.dumps(lists)], capture_output=True, text=True, timeout=300,
                          check=True)
    threads = done.stdout.strip().split(",")
    assert threads and not [t for t in threads if "rocksdb" in t.lower()], threads
    assert (tmp_path / "out" / "oxigraph").is_dir()


def test_the_build_leaves_the_search_index_where_the_server_looks(
        toy: ToyFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from spacekg.build import searchindex
    from spacekg.build.pipeline import SEARCH_INDEX
    from spacekg.publish.search import IndexCache
    from spacekg.stores.oxigraph import OxigraphStore

    result = ensure_built(tmp_path / "out", sources=toy(), reasoner="skip")
    store = OxigraphStore(result.oxigraph_path, read_only=True)  # as every worker opens it
    folder = searchindex.index_folder(result.build_dir / SEARCH_INDEX, store)
    assert folder is not None and (folder / searchindex.ENTITIES_FILE).is_file()

    def no_build(*args: object, **kwargs: object) -> None:
        raise AssertionError("the server indexed again what the build had indexed")

    monkeypatch.setattr(searchindex.FullTextIndex, "build", no_build)
    index = IndexCache(result.build_dir / SEARCH_INDEX).get(store)
    assert len(index) > 0
