"""What every HTML page shares: the reader's language, the navigation, the search index and
the SHACL report holder of the current app (created in ``site.init_app``, never at import)."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, g, request

from spacekg.build.shaclreport import LatestReport
from spacekg.http.serving import get_store
from spacekg.publish.language import (
    LANGUAGES,
    choose_language,
    localise_download_title,
    localise_source,
    split_languages,
)
from spacekg.publish.licence import (
    LICENSE,
    LICENSE_NAME,
    RENDERING_NOTE,
    RENDERING_SHORT,
    un_document_url,
)
from spacekg.publish.linkeddata import Description, readable_name
from spacekg.publish.links import href_for, page_path
from spacekg.publish.search import IndexCache, SearchIndex
from spacekg.publish.statements import statement_rows

EXTENSION = "spacekg.site"

#: Interface strings in both languages (the data carries its own labels).
UI: dict[str, dict[str, str]] = {
    "en": {
        "home": "Home", "browse": "Browse", "programme": "Programme", "query": "SPARQL",
        "explore": "Explorer",
        "ontology": "Ontology", "downloads": "Downloads", "search": "Search",
        "search_placeholder": "Search entities: 嫦娥, Artemis, CNSA…",
        "statements": "Statements", "referenced_by": "Referenced by",
        "registry": "entity registry", "inferred": "inferred", "types": "Types",
        "paragraph_text": "Paragraph text", "facts_from": "Facts drawn from this paragraph",
        "explore_graph": "Explore in graph", "formats": "Other formats",
        "also_known_as": "Also known as", "no_results": "No results",
        "para": "Para.", "see_paragraph": "open paragraph",
        "footer_about": "SpaceKG — a knowledge graph of UN report A/AC.105/1294",
        "licence": "Data licence", "source": "Source", "un_document": "UN document A/AC.105/1294",
        "validation": "validation", "shapes": "shapes", "ontology_link": "ontology",
        "downloads_link": "downloads", "previous": "Previous", "next": "Next",
        "chinese_original": "Chinese original", "english_rendering": "English rendering",
        "inferred_by_build": "Inferred by the build",
        "report_paragraphs": "report paragraphs", "preambular_clauses": "preambular clauses",
        "operative_clauses": "operative clauses", "read_at_un": "Read the report at the UN",
    },
    "zh": {
        "home": "首页", "browse": "浏览", "programme": "日程", "query": "SPARQL 查询",
        "explore": "图谱浏览",
        "ontology": "本体", "downloads": "下载", "search": "搜索",
        "search_placeholder": "搜索实体：嫦娥、Artemis、CNSA…",
        "statements": "陈述", "referenced_by": "被引用",
        "registry": "实体登记", "inferred": "推理得出", "types": "类型",
        "paragraph_text": "段落原文", "facts_from": "本段所述事实",
        "explore_graph": "在图谱中浏览", "formats": "其他格式",
        "also_known_as": "又称", "no_results": "无结果",
        "para": "第", "see_paragraph": "打开段落",
        "footer_about": "SpaceKG——联合国报告 A/AC.105/1294 的知识图谱",
        "licence": "数据许可", "source": "来源", "un_document": "联合国文件 A/AC.105/1294",
        "validation": "验证报告", "shapes": "形状约束", "ontology_link": "本体",
        "downloads_link": "下载", "previous": "上一段", "next": "下一段",
        "chinese_original": "中文原文", "english_rendering": "英文译文",
        "inferred_by_build": "由构建推理得出",
        "report_paragraphs": "报告段落", "preambular_clauses": "序言部分条款",
        "operative_clauses": "执行部分条款", "read_at_un": "在联合国网站阅读报告",
    },
}


class SiteState:
    """Per-app state of the site: the search index cache and the SHACL report holder."""

    def __init__(self, reports: LatestReport) -> None:
        self.index = IndexCache()
        self.reports = reports


def _state() -> SiteState:
    return current_app.extensions[EXTENSION]  # type: ignore[no-any-return]


def search_index() -> SearchIndex:
    return _state().index.get(get_store())


def shacl_reports() -> LatestReport:
    return _state().reports


def language() -> str:
    """``en`` or ``zh`` for this request (``?lang=``, cookie, Accept-Language)."""
    if "lang" not in g:
        g.lang = choose_language(request.args.get("lang"), request.cookies.get("lang"),
                                 request.headers.get("Accept-Language"))
    return str(g.lang)


def with_language_cookie(response: Response) -> Response:
    """Remember an explicit ``?lang=`` choice for the next pages."""
    chosen = request.args.get("lang", "")[:2].lower()
    if chosen in LANGUAGES:
        response.set_cookie("lang", chosen, max_age=365 * 24 * 3600, samesite="Lax")
    return response


def page_context(lang: str) -> dict[str, Any]:
    """Variables every template uses."""
    return {"ui": UI[lang], "lang": lang, "other_lang": "zh" if lang == "en" else "en",
            "page_path": page_path, "href_for": href_for, "label_of": label_of,
            "split_languages": split_languages,
            "localise_source": localise_source, "statement_rows": statement_rows,
            "localise_download_title": localise_download_title,
            "licence_url": str(LICENSE), "licence_name": LICENSE_NAME,
            "un_document_url": un_document_url(lang),
            "rendering_note": RENDERING_SHORT[lang], "rendering_note_full": RENDERING_NOTE[lang]}


def label_of(iri: str, labels: Any, lang: str) -> str:
    """Label of ``iri`` from a Description or a dict of Labels; a readable IRI tail if none."""
    iri = str.__str__(iri)  # a URIRef never equals the str key it spells
    if isinstance(labels, Description):
        return labels.label(iri, lang)
    found = labels.get(iri) if isinstance(labels, dict) else None
    return (found.best(lang) if found else None) or readable_name(iri)
