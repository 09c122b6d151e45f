"""What every HTML page shares: the reader's language, the navigation, the search index and
the SHACL report holder of the current app (created in ``site.init_app``, never at import)."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, g, request

from spacekg.build.shaclreport import LatestReport
from spacekg.http.serving import get_store
from spacekg.namespaces import PREFIXES as NAMESPACE_PREFIXES
from spacekg.publish.language import (
    LANGUAGES,
    choose_language,
    localise_download_title,
    localise_source,
    messages,
    split_languages,
    text_lang,
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

class SiteState:
    """Per-app state of the site: the search index cache and the SHACL report holder."""

    def __init__(self, reports: LatestReport, index: IndexCache | None = None) -> None:
        self.index = index or IndexCache()
        self.reports = reports


def _state() -> SiteState:
    return current_app.extensions[EXTENSION]  # type: ignore[no-any-return]


def search_index() -> SearchIndex:
    return _state().index.get(get_store())


def warm_search_index() -> SearchIndex:
    """Build or open the search index of this process's store now, before requests come."""
    return _state().index.warm(get_store())


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
    return {"ui": messages(lang), "lang": lang, "other_lang": "zh" if lang == "en" else "en",
            "page_path": page_path, "href_for": href_for, "curie": curie, "label_of": label_of,
            "split_languages": split_languages,
            "localise_source": localise_source, "text_lang": text_lang,
            "statement_rows": statement_rows,
            "localise_download_title": localise_download_title,
            "licence_url": str(LICENSE), "licence_name": LICENSE_NAME,
            "un_document_url": un_document_url(lang),
            "rendering_note": RENDERING_SHORT[lang], "rendering_note_full": RENDERING_NOTE[lang]}


def curie(iri: str) -> str:
    """``owl:Class`` for the full IRI: a vocabulary's term as people who read RDF write it."""
    for prefix, namespace in NAMESPACE_PREFIXES.items():
        if iri.startswith(namespace) and len(iri) > len(namespace):
            return f"{prefix}:{iri[len(namespace):]}"
    return iri


def label_of(iri: str, labels: Any, lang: str) -> str:
    """Label of ``iri`` from a Description or a dict of Labels; a readable IRI tail if none."""
    iri = str.__str__(iri)  # a URIRef never equals the str key it spells
    if isinstance(labels, Description):
        return labels.label(iri, lang)
    found = labels.get(iri) if isinstance(labels, dict) else None
    return (found.best(lang) if found else None) or readable_name(iri)
