"""The graph explorer's data: one resource and its neighbours as nodes and edges.

Only links between resources under ``id/`` become edges (types, labels and literals stay on
the entity page); each node carries its labels and classes so the browser can colour and
filter without asking again.
"""

from __future__ import annotations

from typing import Any

from rdflib import RDF, URIRef

from spacekg.namespaces import BASE
from spacekg.publish.linkeddata import describe, labels_of, local_name, select
from spacekg.publish.links import page_path
from spacekg.stores import Store

ENTITY_PREFIX = BASE + "id/"
#: Most links shown per expansion (a workshop has hundreds): named entities first, then the
#: report's n-ary nodes (claims, presentations…), then paragraphs.
MAX_NEIGHBOURS = 40
_NARY = ("claim/", "presentation/", "statistic/", "citation/", "selection/", "capacity/",
         "partnership/", "objective/", "quantity/")


def _rank(iri: str) -> int:
    tail = iri[len(ENTITY_PREFIX):]
    if tail.startswith("document/a-ac-105-1294/"):
        return 2
    return 1 if tail.startswith(_NARY) else 0


def neighbours(store: Store, iri: str, *, lang: str = "en") -> dict[str, Any]:
    """``{"center", "nodes", "edges"}`` for ``iri``; raises UnknownResource if unknown."""
    description = describe(store, iri)
    edges: dict[tuple[str, str, str], dict[str, Any]] = {}
    for fact in description.outgoing:
        target = str(fact.value)
        if isinstance(fact.value, URIRef) and target.startswith(ENTITY_PREFIX) \
                and fact.predicate != str(RDF.type) and not fact.inferred_only:
            edges[(iri, fact.predicate, target)] = {}
    for fact in description.incoming:
        source = str(fact.value)
        if isinstance(fact.value, URIRef) and source.startswith(ENTITY_PREFIX) \
                and not fact.inferred_only:
            edges[(source, fact.predicate, iri)] = {}
    keys = sorted(edges, key=lambda k: (_rank(k[0] if k[2] == iri else k[2]), k))
    keys = keys[:MAX_NEIGHBOURS]
    node_iris = {iri} | {k[0] for k in keys} | {k[2] for k in keys}
    labels = labels_of(store, node_iris | {k[1] for k in keys})
    classes: dict[str, list[str]] = {}
    for row in select(store, "ld-types-of", x=sorted(node_iris)):
        classes.setdefault(str(row["x"]), []).append(str(row["class"]))
    class_iris = {c for cs in classes.values() for c in cs}
    class_labels = labels_of(store, class_iris)

    def name(target: str, table: dict[str, Any]) -> str:
        lab = table.get(target)
        return (lab.best(lang) if lab else None) or local_name(target)

    nodes = []
    for node in sorted(node_iris):
        lab = labels.get(node)
        node_classes = sorted(classes.get(node, []))
        nodes.append({
            "id": node,
            "label": name(node, labels),
            "en": lab.best("en") if lab else None,
            "zh": lab.pref.get("zh") if lab else None,
            "classes": node_classes,
            "class_labels": [name(c, class_labels) for c in node_classes],
            "url": page_path(node),
        })
    return {
        "center": iri,
        "truncated": len(edges) > len(keys),
        "nodes": nodes,
        "edges": [{"source": s, "target": t, "predicate": p, "label": name(p, labels)}
                  for s, p, t in keys],
    }


def partnership_network(store: Store, lang: str) -> dict[str, Any]:
    """Partners as nodes; one edge per pair of partners sharing partnerships, with the
    partnerships (label, subjects, paragraphs) it stands for. Built from
    ``partnership-network.rq``, so it grows with the data."""
    partners: dict[str, set[str]] = {}
    subjects: dict[str, set[str]] = {}
    paragraphs: dict[str, dict[str, int]] = {}
    for row in select(store, "partnership-network"):
        p = str(row["partnership"])
        partners.setdefault(p, set()).add(str(row["partner"]))
        if "subject" in row:
            subjects.setdefault(p, set()).add(str(row["subject"]))
        if "paragraph" in row:
            paragraphs.setdefault(p, {})[str(row["paragraph"])] = int(row["number"])
    named = set(partners) | {x for s in partners.values() for x in s} \
        | {x for s in subjects.values() for x in s}
    labels = labels_of(store, named)

    def label(iri: str) -> str:
        lab = labels.get(iri)
        return (lab.best(lang) if lab else None) or local_name(iri)

    def kind(iri: str) -> str:
        for prefix, name in (("country/", "country"), ("place/", "region")):
            if iri.startswith(ENTITY_PREFIX + prefix):
                return name
        return "agent"

    edges: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for p, members in sorted(partners.items()):
        about = sorted(subjects.get(p, ()))
        entry = {"iri": p, "path": page_path(p),
                 "label": label(p) if p in labels else " · ".join(label(s) for s in about),
                 "subjects": [{"label": label(s), "path": page_path(s)} for s in about],
                 "paragraphs": [{"number": n, "path": page_path(para)} for para, n
                                in sorted(paragraphs.get(p, {}).items(), key=lambda x: x[1])]}
        ordered = sorted(members)
        for i, a in enumerate(ordered):
            for b in ordered[i + 1:]:
                edges.setdefault((a, b), []).append(entry)
    nodes = sorted({x for s in partners.values() for x in s})
    return {
        "partnerships": len(partners),
        "nodes": [{"id": n, "label": label(n), "kind": kind(n), "path": page_path(n)}
                  for n in nodes],
        "edges": [{"source": a, "target": b, "count": len(items), "partnerships": items}
                  for (a, b), items in sorted(edges.items())],
    }
