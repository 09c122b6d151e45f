"""Round trip: the built dataset holds exactly the files' quads plus the inferred graph."""

from __future__ import annotations

from rdflib import Dataset, Graph
from rdflib.compare import isomorphic
from spacekg.build.pipeline import BuildResult
from spacekg.namespaces import INFERRED_GRAPH


def _graphs(ds: Dataset) -> dict[str, Graph]:
    out = {}
    for ctx in ds.graphs():
        if len(ctx) and not str(ctx.identifier).startswith("urn:x-rdflib:"):
            graph = Graph()
            for triple in ctx:
                graph.add(triple)
            out[str(ctx.identifier)] = graph
    return out


def test_built_quads_are_the_files_quads_plus_inferences(built: BuildResult,
                                                         asserted: Dataset) -> None:
    output = Dataset()
    output.parse(built.nquads_path, format="nquads")
    produced = _graphs(output)
    inferred = produced.pop(str(INFERRED_GRAPH), Graph())
    stated = _graphs(asserted)
    assert sorted(produced) == sorted(stated)
    different = [g for g in stated if not isomorphic(stated[g], produced[g])]
    assert not different, f"graphs changed by the build: {different}"
    everything_stated = {t for g in stated.values() for t in g}
    assert not set(inferred) & everything_stated, "graph/inferred repeats stated triples"
