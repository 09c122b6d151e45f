"""``spacekg export`` (issue 6): the store's graphs written back as the project's data files,
sorted and byte-stable, in place only where a graph changed, new graphs under data/curated."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from rdflib import BNode, Dataset, Graph, Literal, Namespace, URIRef
from rdflib.compare import isomorphic
from spacekg.build.dataset import Sources, load_graph
from spacekg.build.export import (
    ExportError,
    StoreContent,
    curated_path,
    export,
    open_store,
    plan,
    read_layout,
    read_store_dir,
    render,
)
from spacekg.build.pipeline import BuildResult
from spacekg.cli import main
from spacekg.resources import resource_root
from spacekg.stores.oxigraph import OxigraphStore
from spacekg.write.gate import WriteGate

PARA5 = URIRef("https://w3id.org/spacekg/graph/para/5")
NOTES = "http://example.org/notes"
OLD_SECTION = '"II. Background and objectives"@en'
NEW_SECTION = '"II. Background and aims"@en'
RELABEL = f"""PREFIX skg: <https://w3id.org/spacekg/ontology#>
DELETE {{ GRAPH <{PARA5}> {{ ?p skg:section {OLD_SECTION} }} }}
INSERT {{ GRAPH <{PARA5}> {{ ?p skg:section {NEW_SECTION} }} }}
WHERE {{ GRAPH <{PARA5}> {{ ?p skg:section {OLD_SECTION} }} }}"""
ADD_NOTES = (
    f'INSERT DATA {{ GRAPH <{NOTES}> {{ <http://example.org/a> <http://example.org/b> "注释" }} }}'
)


def project_copy(target: Path) -> Path:
    """The project's ontology/ and data/ copied under ``target`` (to export into in place)."""
    root = resource_root()
    for part in ("ontology", "data"):
        shutil.copytree(root / part, target / part)
    return target


def snapshot(root: Path) -> dict[Path, bytes]:
    return {p.relative_to(root): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def per_file(root: Path) -> dict[Path, dict[URIRef, Graph]]:
    return read_layout(root).files


def assert_same_files(expected: dict[Path, dict[URIRef, Graph]],
                      actual: dict[Path, dict[URIRef, Graph]]) -> None:
    assert sorted(actual) == sorted(expected)
    for rel, graphs in expected.items():
        assert sorted(actual[rel]) == sorted(graphs), rel
        for gid, graph in graphs.items():
            assert isomorphic(graph, actual[rel][gid]), (rel, gid)


# --- a fresh build --------------------------------------------------------------------


@pytest.fixture(scope="module")
def exported(built: BuildResult, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("export") / "out"
    assert main(["export", "--build-dir", str(built.build_dir), "--out", str(out)]) == 0
    return out


def test_export_of_a_fresh_build_equals_the_source_files_graph_for_graph(exported: Path) -> None:
    assert_same_files(per_file(resource_root()), per_file(exported))


def test_generated_graphs_are_never_exported(exported: Path) -> None:
    texts = [p.read_text(encoding="utf-8") for p in exported.rglob("*") if p.is_file()]
    assert not any("graph/inferred" in text for text in texts)
    assert not (exported / "data" / "curated").exists()


def test_export_is_deterministic_byte_for_byte(built: BuildResult, exported: Path,
                                                tmp_path: Path) -> None:
    again = tmp_path / "again"
    export(open_store(built.oxigraph_path), project=resource_root(), out=again)
    assert snapshot(again) == snapshot(exported)


def test_exported_files_are_sorted_and_readable(exported: Path) -> None:
    text = (exported / "data" / "report" / "para-05.trig").read_text(encoding="utf-8")
    assert "@base <https://w3id.org/spacekg/id/> ." in text
    assert "@prefix skg: <https://w3id.org/spacekg/ontology#> ." in text
    assert "GRAPH <https://w3id.org/spacekg/graph/para/5> {" in text
    assert '"二. 背景和目标"@zh' in text and "\\u" not in text  # Chinese as UTF-8
    subjects = [line.strip().split(">")[0] for line in text.splitlines()
                if line.startswith("    <")]  # by IRI: <…/para/5> before <…/para/5/sentence/1>
    assert subjects == sorted(subjects) and "<document/a-ac-105-1294/para/5" in subjects
    block = text.split("    <document/a-ac-105-1294/para/5>\n")[1].split(" .\n")[0]
    predicates = [line.split()[0] for line in block.splitlines() if line.startswith("        ")
                  and not line.startswith("         ")]
    assert predicates[0] == "a" and predicates[1:] == sorted(predicates[1:])
    ontology = (exported / "ontology" / "spacekg.ttl").read_text(encoding="utf-8")
    assert "owl:unionOf ( skg:Country skg:Place )" in ontology  # lists and [ ] inline
    assert "GRAPH" not in ontology


def test_in_place_on_an_unchanged_store_rewrites_nothing(built: BuildResult,
                                                         tmp_path: Path) -> None:
    project = project_copy(tmp_path / "project")
    before = snapshot(project)
    result = export(open_store(built.oxigraph_path), project=project, in_place=True)
    assert result.written == [] and result.removed == []
    assert len(result.unchanged) == len(before)
    assert snapshot(project) == before


# --- after curated writes ----------------------------------------------------------------


@pytest.fixture(scope="module")
def curated_store(built: BuildResult, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """An on-disk store of the build after two writes through the SHACL gate: a changed
    section heading in paragraph 5, and a new graph."""
    directory = tmp_path_factory.mktemp("curated") / "store"
    store = OxigraphStore(directory)
    store.load(built.nquads_path)
    sources = Sources.packaged()
    gate = WriteGate(store, shapes=load_graph(sources.shapes),
                     ontology=load_graph(sources.ontology), audit_log=directory / "audit.jsonl")
    assert gate.update(RELABEL, who="alice").added == 1
    assert gate.update(ADD_NOTES, who="bob").added == 1
    yield directory  # the gate keeps the store open for writing: export reads it alongside


def test_in_place_after_a_write_rewrites_only_that_file_and_puts_new_graphs_in_curated(
    curated_store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = project_copy(tmp_path / "project")
    before = snapshot(project)
    code = main(["export", "--store", f"oxigraph:{curated_store}", "--in-place",
                 "--project", str(project)])
    assert code == 0
    after = snapshot(project)
    para5 = Path("data/report/para-05.trig")
    notes = Path("data/curated/example.org-notes.trig")
    changed = {rel for rel in before if after.get(rel) != before[rel]}
    assert changed == {para5}
    assert set(after) - set(before) == {notes}
    printed = capsys.readouterr().out
    assert f"wrote  {para5}" in printed and f"new  {notes}" in printed

    in_store = read_store_dir(curated_store).graphs
    layout = per_file(project)
    for rel, gid in ((para5, PARA5), (notes, URIRef(NOTES))):
        assert isomorphic(layout[rel][gid], in_store[gid]), rel
    text = after[para5].decode("utf-8")
    assert NEW_SECTION in text and OLD_SECTION not in text
    assert text.startswith("# [5] ")  # the opening comment block is kept


def test_a_second_in_place_export_changes_nothing(curated_store: Path, tmp_path: Path) -> None:
    project = project_copy(tmp_path / "project")
    export(read_store_dir(curated_store), project=project, in_place=True)
    before = snapshot(project)
    result = export(read_store_dir(curated_store), project=project, in_place=True)
    assert result.written == [] and snapshot(project) == before


def test_files_whose_graph_is_gone_are_reported_and_deleted_only_with_prune(
    curated_store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = project_copy(tmp_path / "project")
    stray = project / "data" / "report" / "para-99.trig"
    stray.write_text("GRAPH <https://w3id.org/spacekg/graph/para/99> "
                     "{ <http://example.org/x> <http://example.org/y> 1 }\n", encoding="utf-8")
    args = ["export", "--store", f"oxigraph:{curated_store}", "--in-place",
            "--project", str(project)]
    assert main(args) == 0
    assert stray.is_file()
    assert "gone   data/report/para-99.trig" in capsys.readouterr().out
    assert main([*args, "--prune"]) == 0
    assert not stray.exists()
    assert "deleted  data/report/para-99.trig" in capsys.readouterr().out


def test_new_triples_of_a_shared_graph_go_to_the_file_describing_their_subject(
    tmp_path: Path,
) -> None:
    ex = Namespace("http://example.org/")
    reference = URIRef("https://w3id.org/spacekg/graph/reference")
    project = tmp_path / "project"
    (project / "ontology").mkdir(parents=True)
    (project / "ontology" / "o.ttl").write_text(
        "<http://example.org/o> a <http://example.org/O> .\n")
    (project / "data" / "reference").mkdir(parents=True)
    (project / "data" / "reference" / "a.trig").write_text(
        "GRAPH <https://w3id.org/spacekg/graph/reference> { <http://example.org/a> "
        "<http://example.org/p> 1 }\n")
    (project / "data" / "reference" / "b.trig").write_text(
        "GRAPH <https://w3id.org/spacekg/graph/reference> { <http://example.org/b> "
        "<http://example.org/p> 2 }\n")
    graph = Graph()
    graph.add((ex.a, ex.p, Literal(1)))
    graph.add((ex.b, ex.p, Literal(2)))
    graph.add((ex.b, ex.q, Literal(3)))  # new, about b
    graph.add((ex.c, ex.p, Literal(4)))  # new subject: no file describes it
    decided = plan(StoreContent({reference: graph}), read_layout(project))
    b = decided.files[Path("data/reference/b.trig")][reference]
    assert (ex.b, ex.q, Literal(3)) in b and len(b) == 2
    assert len(decided.files[Path("data/reference/a.trig")][reference]) == 1
    assert decided.new == (curated_path(reference),)
    assert (ex.c, ex.p, Literal(4)) in decided.files[curated_path(reference)][reference]
    assert Path("ontology/o.ttl") in decided.removed  # the store has no ontology graph


def test_render_round_trips_escapes_numbers_lists_and_blank_nodes() -> None:
    ex = Namespace("http://example.org/")
    gid = URIRef("https://w3id.org/spacekg/graph/test")
    graph = Graph()
    graph.parse(format="turtle", data="""
        @prefix ex: <http://example.org/> .
        @prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
        <https://w3id.org/spacekg/id/org/x> ex:quote "say \\"hi\\"\\n\\tback\\\\slash" ;
            ex:zh "中国国家航天局"@zh ; ex:n 7, 1.5, -2.0e3, true, "2022-11-22"^^xsd:date ;
            ex:list ( ex:a [ ex:p 1 ] ( ex:b ) ) ; ex:inline [ ex:q [ ex:r "deep" ] ] ;
            ex:shared _:s .
        ex:y ex:shared _:s .
        _:s ex:label "shared" .
        _:c1 ex:next _:c2 . _:c2 ex:next _:c1 .
        [] a ex:Root ; ex:members ( ex:m1 ex:m2 ) .
        <https://w3id.org/spacekg/id/odd:name> ex:p <https://w3id.org/spacekg/id/a/../b> .
    """)
    graph.add((ex.z, ex.p, BNode()))
    text = render(Path("data/curated/test.trig"), {gid: graph})
    assert "中国国家航天局" in text.decode("utf-8")
    assert "<org/x>" in text.decode("utf-8")
    ds = Dataset()
    ds.parse(data=text, format="trig")
    back = Graph()
    for s, p, o in ds.graph(gid):
        back.add((s, p, o))
    assert isomorphic(back, graph)
    assert render(Path("data/curated/test.trig"), {gid: graph}) == text


# --- bad input -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--store", "oxigraph:{tmp}/missing", "--out", "{tmp}/out"], "no store directory"),
        (["--store", "oxigraph:{tmp}", "--out", "{tmp}/out"], "is not an Oxigraph store"),
        (["--store", "memory", "--out", "{tmp}/out"], "oxigraph:DIR"),
        (["--store", "oxigraph:{store}", "--out", "{tmp}/file/out"], "cannot write into"),
        (["--store", "oxigraph:{store}", "--out", "{tmp}/out", "--prune"], "--in-place"),
        (["--store", "oxigraph:{store}", "--in-place", "--project", "{tmp}"],
         "not a SpaceKG project"),
    ],
)
def test_bad_input_is_a_clear_message_and_exit_2(
    args: list[str], message: str, curated_store: Path, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    (tmp_path / "file").write_text("not a directory")
    filled = [a.format(tmp=tmp_path, store=curated_store) for a in args]
    assert main(["export", *filled]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert err.startswith("spacekg: error: ")


def test_export_library_raises_rather_than_printing(tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="no store directory"):
        open_store(tmp_path / "missing")

