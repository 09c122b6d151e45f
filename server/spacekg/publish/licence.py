"""The dataset's licence, its source document and the status of its English texts: one place
for what VoID, DCAT and every page say, so they cannot disagree.

The report's Chinese edition is SpaceKG's source. The English statement texts are SpaceKG's
own rendering of that Chinese (the UN's English edition is not in the project), and every
description of the dataset says so, so that nobody cites them as the United Nations' words.
No Flask here.
"""

from __future__ import annotations

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDFS, SKOS

from spacekg.namespaces import REPORT

#: The data licence (the ontology header states the same).
LICENSE = URIRef("https://creativecommons.org/licenses/by/4.0/")
LICENSE_NAME = "CC BY 4.0"

#: The report's symbol; the UN's official document-symbol resolver serves it.
SYMBOL = "A/AC.105/1294"
_RESOLVER = "https://undocs.org/"

#: What the English statement texts are, in both languages.
RENDERING_NOTE = {
    "en": "English rendering by SpaceKG of the Chinese edition: the English statement texts "
          "(paragraph texts, claims, summaries, aims, clause texts, titles, descriptions) are "
          "SpaceKG's own translation of the report's Chinese edition, not the words of the "
          "United Nations' English edition.",
    "zh": "英文为 SpaceKG 根据中文本所作的译文：英文陈述文本（段落原文、陈述、摘要、目的、"
          "条款原文、标题、说明）是 SpaceKG 对报告中文本的自行翻译，并非联合国英文本的原文。",
}

#: The short form shown beside each English rendering on the pages.
RENDERING_SHORT = {
    "en": "English rendering by SpaceKG of the Chinese edition",
    "zh": "SpaceKG 根据中文本所作的英文译文",
}


def un_document_url(lang: str = "en") -> str:
    """The report on the UN's official symbol resolver, in ``lang`` (``zh``: the Chinese
    edition SpaceKG reads; otherwise the resolver's default, English)."""
    return _RESOLVER + ("zh/" if lang == "zh" else "") + SYMBOL


def describe_dataset(g: Graph, dataset: URIRef) -> None:
    """Add the licence, the source and the rendering note of ``dataset`` to ``g`` (VoID, DCAT)."""
    g.add((dataset, DCTERMS.license, LICENSE))
    g.add((dataset, DCTERMS.source, REPORT))
    g.add((dataset, DCTERMS.source, URIRef(un_document_url("zh"))))
    g.add((dataset, RDFS.seeAlso, URIRef(un_document_url())))
    g.add((dataset, DCTERMS.language, URIRef("http://id.loc.gov/vocabulary/iso639-1/zh")))
    g.add((dataset, DCTERMS.language, URIRef("http://id.loc.gov/vocabulary/iso639-1/en")))
    for lang, note in RENDERING_NOTE.items():
        g.add((dataset, SKOS.editorialNote, Literal(note, lang=lang)))
    g.add((dataset, DCTERMS.rights, Literal(
        f"Data licensed under {LICENSE_NAME} ({LICENSE}). Source: United Nations document "
        f"{SYMBOL}, Chinese edition ({un_document_url('zh')}).", lang="en")))
