"""Labels: every named entity reads well in Chinese and English; so does every term."""

from __future__ import annotations

from collections import Counter

from rdflib import OWL, RDF, RDFS, SKOS, Dataset, Literal, URIRef
from spacekg.namespaces import ONTOLOGY_GRAPH, REFERENCE_GRAPH, SKG


def _entities(ds: Dataset) -> list[URIRef]:
    reference = ds.graph(REFERENCE_GRAPH)
    return sorted({s for s, o in reference.subject_objects(RDF.type)
                   if isinstance(s, URIRef) and str(o).startswith(str(SKG))})


def _langs(graph, subject: URIRef, predicate: URIRef) -> Counter[str]:  # noqa: ANN001
    return Counter(o.language or "" for o in graph.objects(subject, predicate)
                   if isinstance(o, Literal))


def test_registry_has_entities(asserted: Dataset) -> None:
    assert _entities(asserted)


def test_every_entity_has_one_zh_and_one_en_pref_label(asserted: Dataset) -> None:
    reference = asserted.graph(REFERENCE_GRAPH)
    bad = [f"{e}: {dict(c)}" for e in _entities(asserted)
           if (c := _langs(reference, e, SKOS.prefLabel))["zh"] != 1 or c["en"] != 1]
    assert not bad, "entities without exactly one @zh and one @en skos:prefLabel:\n" + \
        "\n".join(bad)


def test_rdfs_label_repeats_the_pref_labels(asserted: Dataset) -> None:
    reference = asserted.graph(REFERENCE_GRAPH)
    bad = [str(e) for e in _entities(asserted)
           if set(reference.objects(e, RDFS.label)) != set(reference.objects(e, SKOS.prefLabel))]
    assert not bad, "rdfs:label differs from skos:prefLabel:\n" + "\n".join(bad)


def test_every_ontology_term_is_labelled_in_en_and_zh(asserted: Dataset) -> None:
    ontology = asserted.graph(ONTOLOGY_GRAPH)
    kinds = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty)
    terms = sorted({s for k in kinds for s in ontology.subjects(RDF.type, k)
                    if isinstance(s, URIRef) and str(s).startswith(str(SKG))})
    assert terms
    bad = [str(t) for t in terms
           if not {"en", "zh"} <= set(_langs(ontology, t, RDFS.label))]
    assert not bad, "ontology terms without rdfs:label @en and @zh:\n" + "\n".join(bad)


# --- fact nodes (issue 13): every typed resource of the report is named in zh and en ---------

def test_every_typed_resource_has_one_zh_and_one_en_pref_label(asserted: Dataset) -> None:
    from spacekg.build.labelling import unlabelled

    data = Dataset()
    for g in asserted.graphs():
        if g.identifier != ONTOLOGY_GRAPH:
            for t in g:
                data.add((*t, g.identifier))
    assert not unlabelled(data), "run scripts/label-resources:\n" + \
        "\n".join(str(i) for i in unlabelled(data))
    typed = {s for s, _, o, _ in data.quads((None, RDF.type, None, None))
             if isinstance(s, URIRef) and str(o).startswith(str(SKG))}
    assert len(typed) > 590
    bad = []
    for s in typed:
        langs = Counter(o.language for _, _, o, _ in data.quads((s, SKOS.prefLabel, None, None))
                        if isinstance(o, Literal))
        if langs["zh"] < 1 or langs["en"] < 1:
            bad.append(f"{s}: {dict(langs)}")
    assert not bad, "\n".join(sorted(bad))


def test_fact_node_labels_are_short_and_say_who_said_what(asserted: Dataset) -> None:
    from spacekg.namespaces import ID

    def pref(iri: URIRef, lang: str) -> str:
        return next(str(o) for _, _, o, _ in asserted.quads((iri, SKOS.prefLabel, None, None))
                    if o.language == lang)

    assert pref(ID["claim/para-19-5"], "en") == "NASA: Artemis I is an uncrewed flight test"
    assert pref(ID["claim/para-19-5"], "zh") == "美国宇航局：阿尔忒弥斯一号是无人飞行试验"
    assert pref(ID["document/a-ac-105-1294/para/19"], "en").startswith("¶19 — Session 1(a)")
    assert pref(ID["document/a-ac-105-1294/para/19"], "zh").startswith("第 19 段——第 1(a)场会议")
    assert pref(ID["capacity/change-7-orbiter"], "en") == \
        "Payload capacity of the Chang'e-7 orbiter: 15 kg"
    for s, _, o, _ in asserted.quads((None, SKOS.prefLabel, None, None)):
        if str(s).startswith(str(ID) + "claim/"):
            assert len(str(o)) <= 160, (s, o)


def test_labelling_rules_agree_with_the_stored_labels(asserted: Dataset) -> None:
    """The stored labels are the rules' output, so a rule change shows up as a diff."""
    from spacekg.build.labelling import labels_for
    from spacekg.namespaces import ID

    data = Dataset()
    for g in asserted.graphs():
        for t in g:
            data.add((*t, g.identifier))
    sample = sorted({s for s, _, _, _ in data.quads((None, RDF.type, None, None))
                     if isinstance(s, URIRef) and str(s).startswith(str(ID))}, key=str)
    made = labels_for(data, sample)
    assert ID["claim/para-19-5"] in made and len(made) > 280
    for iri in made:
        stored = {o.language: str(o)
                  for _, _, o, _ in data.quads((iri, SKOS.prefLabel, None, None))}
        assert stored == {"zh": made[iri].zh, "en": made[iri].en}


def test_graphml_nodes_are_named_by_label_not_iri(built) -> None:  # noqa: ANN001
    from spacekg.namespaces import ID
    from spacekg.publish.downloads import entity_graph

    ds = Dataset()
    ds.parse(str(built.nquads_path), format="nquads")
    quads = list(ds.quads((None, None, None, None)))
    nodes, _ = entity_graph(quads)
    claim = nodes[str(ID["claim/para-19-5"])]
    assert claim["label"] == "NASA: Artemis I is an uncrewed flight test"
    assert claim["label_zh"] == "美国宇航局：阿尔忒弥斯一号是无人飞行试验"
    unnamed = [iri for iri, a in nodes.items()
               if a["label"] in (iri, iri[len(str(ID)):], "id/" + iri[len(str(ID)):])]
    assert not unnamed, unnamed[:10]
