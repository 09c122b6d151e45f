"""Dereferenceable IRIs: ``/id/…``, ``/graph/…``, ``/ontology``, ``/shapes``,
``/validation/latest`` answer with HTML for browsers and RDF for programs.

The request's host stands for the base (``http://localhost:8000/id/agency/cnsa`` is
``https://w3id.org/spacekg/id/agency/cnsa``). The representation comes from a file suffix
(``.ttl .jsonld .nt .rdf .trig .nq .html``), else ``?format=``, else ``Accept`` (with
``Vary: Accept``); ``Content-Location`` names the representation sent and ``Link`` headers
its alternatives. Unknown IRIs get 404 with a page that suggests what the reader may have
meant.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any
from urllib.parse import quote

from flask import Blueprint, Response, current_app, redirect, render_template, request
from rdflib import OWL, RDF, Dataset, Graph, Namespace, URIRef
from rdflib.namespace import DCTERMS
from werkzeug.exceptions import NotFound

from spacekg.build.dataset import load_graph
from spacekg.build.shaclreport import REPORT_IRI
from spacekg.build.validate import parse_results
from spacekg.errors import NotAcceptable, UnknownResource
from spacekg.http.errors import error_response
from spacekg.http.serving import get_store
from spacekg.http.view import (
    language,
    page_context,
    search_index,
    shacl_reports,
    with_language_cookie,
)
from spacekg.namespaces import ONTOLOGY_GRAPH, REPORT, SKG
from spacekg.publish.downloads import CONTEXT
from spacekg.publish.figures import participation_figures, world_map
from spacekg.publish.language import messages
from spacekg.publish.linkeddata import (
    describe,
    graph_statements,
    labels_of,
    paragraph_graph_of,
    paragraph_labels,
    paragraph_number,
)
from spacekg.publish.links import page_path, report_neighbours
from spacekg.publish.ontologydocs import ontology_terms
from spacekg.publish.statements import (
    HEADER_PROPERTIES,
    evidence_by_paragraph,
    group_facts,
    linked_iris,
    statements_by_subject,
)
from spacekg.query import negotiate
from spacekg.query.negotiate import HTML, JSONLD, NQUADS, NTRIPLES, RDFXML, TRIG, TURTLE, Format
from spacekg.resources import ontology_files, shapes_files

linkeddata_bp = Blueprint("linkeddata", __name__)
SH = Namespace("http://www.w3.org/ns/shacl#")

#: HTML first: a client that accepts anything (``*/*``) is most often a person's tool.
OFFERS: tuple[Format, ...] = (HTML, TURTLE, JSONLD, NTRIPLES, RDFXML, TRIG, NQUADS)
SUFFIXES = {f".{f.extension}": f for f in OFFERS} | {".json": JSONLD, ".xml": RDFXML}
_RDFLIB = {TURTLE.media_type: "turtle", JSONLD.media_type: "json-ld",
           NTRIPLES.media_type: "nt", RDFXML.media_type: "xml", TRIG.media_type: "trig",
           NQUADS.media_type: "nquads"}


def split_suffix(path: str) -> tuple[str, Format | None]:
    """``id/agency/cnsa.ttl`` → (``id/agency/cnsa``, Turtle); no known suffix → (path, None)."""
    for suffix, fmt in SUFFIXES.items():
        if path.endswith(suffix) and len(path) > len(suffix):
            return path[: -len(suffix)], fmt
    return path, None


def negotiate_format(suffix_format: Format | None) -> Format:
    """Suffix, then ``?format=``, then Accept; raises NotAcceptable."""
    if suffix_format is not None:
        return suffix_format
    return negotiate.choose(OFFERS, request.headers.get("Accept"), request.args.get("format"))


def base_iri() -> str:
    return str(current_app.config.get("BASE_IRI") or "https://w3id.org/spacekg/")


def rdf_body(data: Graph | Dataset, fmt: Format) -> bytes:
    """Serialise a graph (triple formats) or dataset (TriG, N-Quads)."""
    name = _RDFLIB[fmt.media_type]
    if isinstance(data, Dataset) and fmt not in (TRIG, NQUADS):
        union = Graph()
        for prefix, ns in data.namespaces():
            union.bind(prefix, ns)
        for s, p, o, _ in data.quads():
            union.add((s, p, o))
        data = union
    elif not isinstance(data, Dataset) and fmt in (TRIG, NQUADS):
        ds = Dataset()
        for triple in data:
            ds.add(triple)  # the default graph
        data = ds
    for prefix, ns in CONTEXT.items():
        data.bind(prefix, ns, override=False)
    if fmt is JSONLD:
        return data.serialize(format=name, context=CONTEXT, encoding="utf-8")
    return data.serialize(format=name, encoding="utf-8")


def represent(path: str, fmt: Format, body: bytes | str, *, negotiated: bool,
              status: int = 200) -> Response:
    """A response with Vary, Content-Location and Link alternates for the resource at
    ``path`` (without suffix)."""
    response = Response(body, status, content_type=fmt.content_type)
    response.headers["Vary"] = "Accept, Accept-Language, Cookie"
    path = quote(path, safe="/:@!$&'()*+,;=-._~%")  # headers are ASCII: an IRI becomes a URI
    response.headers["Content-Location"] = f"/{path}.{fmt.extension}"
    response.headers["Link"] = ", ".join(
        f'</{path}.{alt.extension}>; rel="alternate"; type="{alt.media_type}"'
        for alt in OFFERS if alt is not fmt)
    if not negotiated:
        response.headers["Cache-Control"] = "public, max-age=300"
    if status == 200:  # a client re-reading an entity it has gets 304, not the document again
        data = body.encode("utf-8") if isinstance(body, str) else body
        response.set_etag(hashlib.sha256(data).hexdigest()[:32])
        response.make_conditional(request)
    return response


# --------------------------------------------------------------------------- resources

@linkeddata_bp.route("/id/<path:rest>", methods=["GET", "HEAD"])
def entity(rest: str) -> Response:
    path, suffix = split_suffix("id/" + rest)
    fmt = negotiate_format(suffix)
    iri = base_iri() + path
    if path == "id/dataset/spacekg":  # the dataset itself: its VoID/DCAT catalogue
        return redirect("/download" + (f"?format={suffix.name}" if suffix else ""), 303)
    store = get_store()
    description = describe(store, iri)
    if fmt is not HTML:
        return represent(path, fmt, rdf_body(description.to_dataset(), fmt),
                         negotiated=suffix is None)
    lang = language()
    evidence, rest_out, rest_in = evidence_by_paragraph(description, lang)
    context: dict[str, Any] = {
        "d": description,
        "title": description.label(iri, lang),
        "path": path,
        "evidence": evidence,
        "outgoing": group_facts(description, rest_out, lang,
                                skip=HEADER_PROPERTIES | {str(RDF.value)}, inferred=False),
        "incoming": group_facts(description, rest_in, lang, inferred=False),
        "inferred_out": group_facts(description, description.outgoing, lang,
                                    skip=HEADER_PROPERTIES, inferred=True),
        "inferred_in": group_facts(description, description.incoming, lang, inferred=True),
        "formats": [f for f in OFFERS if f is not HTML],
    }
    before, after = report_neighbours(iri)
    context.update(prev_part=before, next_part=after,
                   part_labels={i: paragraph_labels(i) for i in (before, after) if i},
                   show_un_link=iri == str(REPORT) or paragraph_graph_of(iri) is not None)
    graph = paragraph_graph_of(iri)
    if graph is not None:
        triples = graph_statements(store, graph)
        labels = labels_of(store, linked_iris(triples))
        context.update(paragraph_graph=graph, paragraph_number=paragraph_number(iri),
                       statements=statements_by_subject(triples, labels, lang),
                       statement_labels=labels)
    index = search_index()
    context["class_labels"] = {t: index.class_label(t, lang)
                               for t in description.types + description.inferred_types}
    # superclasses from other vocabularies (foaf:Agent, prov:Agent…) add noise, not meaning
    shown: dict[str, str] = {}
    for t in description.inferred_types:
        label = context["class_labels"][t]
        if t.startswith(base_iri() + "ontology#") and label not in shown.values():
            shown[t] = label
    context["inferred_types"] = list(shown)
    if str(SKG.Country) in description.types:  # where it sits among the report's countries
        context["world_map"] = world_map(store, lang)
    if str(SKG.Event) in description.types + description.inferred_types:
        charts = participation_figures(store, iri, lang)
        if any(charts.values()):
            context["charts"] = charts
    html = render_template("entity.html", **context, **page_context(lang))
    return with_language_cookie(represent(path, fmt, html, negotiated=suffix is None))


@linkeddata_bp.route("/graph/<path:rest>", methods=["GET", "HEAD"])
def named_graph(rest: str) -> Response:
    path, suffix = split_suffix("graph/" + rest)
    fmt = negotiate_format(suffix)
    iri = base_iri() + path
    store = get_store()
    triples = graph_statements(store, iri)
    if not triples:
        raise UnknownResource(f"SpaceKG has no named graph <{iri}>", iri=iri)
    if fmt is not HTML:
        ds = Dataset()
        g = ds.graph(URIRef(iri))
        for t in triples:
            g.add(t)  # type: ignore[arg-type]
        return represent(path, fmt, rdf_body(ds, fmt), negotiated=suffix is None)
    lang = language()
    labels = labels_of(store, linked_iris(triples[:5000]))
    paragraph = _paragraph_of_graph(iri)
    html = render_template(
        "graph.html", iri=iri, path=path, count=len(triples),
        statements=statements_by_subject(triples[:5000], labels, lang), statement_labels=labels,
        paragraph=paragraph, formats=[f for f in OFFERS if f is not HTML],
        title=path, **page_context(lang))
    return with_language_cookie(represent(path, fmt, html, negotiated=suffix is None))


def _paragraph_of_graph(graph_iri: str) -> str | None:
    tail = graph_iri.rsplit("/graph/", 1)[-1]
    report = base_iri() + "id/document/a-ac-105-1294/"
    kind, _, number = tail.partition("/")
    if kind == "para" and number.isdigit():
        return f"{report}para/{number}"
    if kind in ("pp", "op") and number.isdigit():
        return f"{report}annex/{kind}/{number}"
    return None


# --------------------------------------------------------------------------- ontology & shapes

def _ontology_graph() -> Graph:
    graph = Graph()
    for t in graph_statements(get_store(), str(ONTOLOGY_GRAPH)):
        graph.add(t)  # type: ignore[arg-type]
    if not len(graph):  # a store without the ontology graph: the packaged file
        graph = load_graph(ontology_files())
    return graph


@linkeddata_bp.route("/ontology", methods=["GET", "HEAD"])
@linkeddata_bp.route("/ontology<any('.ttl','.jsonld','.nt','.rdf','.owl','.html','.trig','.nq','.json','.xml'):suffix>",
                     methods=["GET", "HEAD"])
def ontology(suffix: str = "") -> Response:
    fmt = negotiate_format(RDFXML if suffix == ".owl" else SUFFIXES.get(suffix))
    graph = _ontology_graph()
    if fmt is not HTML:
        return represent("ontology", fmt, rdf_body(graph, fmt), negotiated=not suffix)
    lang = language()
    namespace = base_iri() + "ontology#"
    terms = ontology_terms(graph, namespace)
    names: dict[str, str] = {}
    for items in terms.values():
        for term in items:
            names[term.iri] = term.labels.get(lang) or term.labels.get("en") or term.fragment
    meta = _ontology_meta(graph, lang)
    html = render_template("ontology.html", terms=terms, names=names, meta=meta,
                           title=meta.get("title", messages(lang)["ontology"]),
                           formats=[f for f in OFFERS if f is not HTML],
                           **page_context(lang))
    return with_language_cookie(represent("ontology", fmt, html, negotiated=not suffix))


@linkeddata_bp.route("/ontology/<path:version>", methods=["GET", "HEAD"])
def ontology_version(version: str) -> Response:
    """The version IRI (``ontology/0.1.0``) of the served release: the ontology itself."""
    path, suffix = split_suffix(version)
    meta = _ontology_meta(_ontology_graph(), "en")
    if path != meta.get("version"):
        raise UnknownResource(f"SpaceKG serves ontology version {meta.get('version')}, "
                              f"not {path}", iri=base_iri() + "ontology/" + version)
    return redirect("/ontology" + (f".{suffix.extension}" if suffix else ""), 303)


def _ontology_meta(graph: Graph, lang: str) -> dict[str, str]:
    meta: dict[str, str] = {}
    subject = next(graph.subjects(RDF.type, OWL.Ontology), None)
    if subject is None:
        return meta
    meta["iri"] = str(subject)
    for key, prop in (("title", DCTERMS.title), ("description", DCTERMS.description),
                      ("version", OWL.versionInfo), ("license", DCTERMS.license)):
        values = list(graph.objects(subject, prop))
        preferred = [v for v in values if getattr(v, "language", None) == lang] or values
        if preferred:
            meta[key] = str(preferred[0])
    return meta


@linkeddata_bp.route("/shapes", methods=["GET", "HEAD"])
@linkeddata_bp.route("/shapes<any('.ttl','.jsonld','.nt','.rdf','.html','.trig','.nq'):suffix>",
                     methods=["GET", "HEAD"])
def shapes(suffix: str = "") -> Response:
    fmt = negotiate_format(SUFFIXES.get(suffix))
    graph = load_graph(shapes_files())
    graph.bind("sh", "http://www.w3.org/ns/shacl#")
    if fmt is not HTML:
        return represent("shapes", fmt, rdf_body(graph, fmt), negotiated=not suffix)
    lang = language()
    html = render_template("shapes.html", graph=graph, title=messages(lang)["shapes_title"],
                           turtle=graph.serialize(format="turtle"),
                           shapes=_shape_rows(graph), formats=[f for f in OFFERS if f is not HTML],
                           **page_context(lang))
    return with_language_cookie(represent("shapes", fmt, html, negotiated=not suffix))


def _shape_rows(graph: Graph) -> list[dict[str, Any]]:
    rows = []
    for shape in sorted(set(graph.subjects(RDF.type, SH.NodeShape)), key=str):
        rows.append({
            "iri": str(shape),
            "targets": sorted(str(t) for t in graph.objects(shape, SH.targetClass)),
            "properties": len(list(graph.objects(shape, SH.property))),
        })
    return rows


@linkeddata_bp.route("/validation/latest", methods=["GET", "HEAD"])
@linkeddata_bp.route("/validation/latest<any('.ttl','.jsonld','.nt','.rdf','.html'):suffix>",
                     methods=["GET", "HEAD"])
def validation(suffix: str = "") -> Response:
    fmt = negotiate_format(SUFFIXES.get(suffix))
    # computed on demand, synchronously: the first request waits for it rather than getting
    # a 503 (``spacekg serve`` starts it at start-up, so it is usually ready)
    report = shacl_reports().get(wait=float(current_app.config.get("SHACL_REPORT_WAIT", 600)))
    lang = language()
    if report is None:
        error = shacl_reports().error
        message = (messages(lang)["validation_failed"] % error if error else
                   messages(lang)["validation_pending"])
        if fmt is HTML:
            body = render_template("message.html", title=messages(lang)["validation_title"],
                                   message=message, **page_context(lang))
        else:
            body = message + "\n"
            fmt = Format("text/plain", "text", "txt")
        response = Response(body, 500 if error else 503, content_type=fmt.content_type)
        response.headers["Retry-After"] = "30"
        response.headers["Vary"] = "Accept"
        return response
    if fmt is not HTML:
        return represent("validation/latest", fmt, rdf_body(report, fmt), negotiated=not suffix)
    html = render_template("validation.html", rows=_validation_rows(report),
                           title=messages(lang)["validation_title"],
                           formats=[f for f in OFFERS if f is not HTML], **page_context(lang))
    return with_language_cookie(represent("validation/latest", fmt, html, negotiated=not suffix))


def _validation_rows(report: Graph) -> dict[str, Any]:
    parsed = parse_results(report)
    return {
        "conforms": str(report.value(REPORT_IRI, SH.conforms)) == "true",
        "created": str(report.value(REPORT_IRI, DCTERMS.created) or ""),
        "violations": parsed.violations,
        "warnings": parsed.warnings,
    }


# --------------------------------------------------------------------------- 404

#: Short paths people type for a part of the report: ``/para/36`` (or ``/p/36``,
#: ``/paragraph/36``), ``/annex/op/2`` (or ``/op/2``).
_SHORT_PARAGRAPH = re.compile(r"^/(?:para|paragraph|p)/(\d+)/?$")
_SHORT_CLAUSE = re.compile(r"^/(?:annex/)?(pp|op)/(\d+)/?$")


def _short_report_path() -> str | None:
    """``/para/36`` → the paragraph's page when the report has that part."""
    if match := _SHORT_PARAGRAPH.match(request.path):
        part = f"para/{match.group(1)}"
    elif match := _SHORT_CLAUSE.match(request.path):
        part = f"annex/{match.group(1)}/{match.group(2)}"
    else:
        return None
    target = str(REPORT) + "/" + part
    try:
        describe(get_store(), target)
    except UnknownResource:
        return None
    return page_path(target)


def _normalised_entity_path() -> str | None:
    """``/id/Country/CHN/`` → ``/id/country/chn`` when that one exists: a trailing slash or
    capitals typed by hand should reach the entity rather than a 404."""
    path = request.path
    if not path.startswith("/id/"):
        return None
    fixed = path.rstrip("/").lower()
    if fixed == path or fixed == "/id":
        return None
    try:
        describe(get_store(), base_iri() + fixed[1:])
    except UnknownResource:
        return None
    query = request.query_string.decode("latin-1")
    return fixed + ("?" + query if query else "")


@linkeddata_bp.app_errorhandler(NotFound)
def not_found(exc: NotFound) -> Response:
    """Any other 404 (``/foo/bar``): the styled page for browsers; programs get the same
    error document as for every other HTTP error."""
    message = exc.description or ""
    if not message or "requested URL was not found" in message:
        moved = _short_report_path()
        if moved is not None:
            return redirect(moved, 301)
        message = messages("en")["no_page_at"] % request.path
    if "html" not in request.headers.get("Accept", ""):
        return error_response(404, "Not Found", message)
    return unknown(UnknownResource(message, iri=request.url))


@linkeddata_bp.app_errorhandler(UnknownResource)
def unknown(exc: UnknownResource) -> Response:
    """404: an HTML page with suggestions for people, plain text (or JSON) for programs."""
    try:
        fmt = negotiate.choose(OFFERS, request.headers.get("Accept"), None)
    except NotAcceptable:
        fmt = TURTLE
    moved = _normalised_entity_path()
    if moved is not None:
        return redirect(moved, 301)
    if fmt is HTML:
        lang = language()
        ui = messages(lang)
        # the last segment of the address, without its query (?lang=zh): "36" in /p/36
        tail = exc.iri.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1].replace("-", " ")
        try:
            hits = search_index().search(tail, lang=lang, limit=8) if tail else []
        except Exception:  # noqa: BLE001 - suggestions are a courtesy; the 404 must answer
            hits = []
        if exc.iri == request.url:  # a path that names nothing
            message = ui["no_page_at"] % request.path
        elif lang == "en":  # the library's own sentence says most
            message = str(exc)
        else:
            message = ui["no_statement_about"] % exc.iri
        body = render_template("notfound.html", iri=exc.iri, message=message, hits=hits,
                               title=ui["not_found"],
                               **page_context(lang))
        response = Response(body, 404, content_type=HTML.content_type)
    elif "json" in fmt.media_type:
        response = Response(json.dumps({"error": {"status": 404, "title": "Not Found",
                                                  "message": str(exc), "iri": exc.iri}}),
                            404, content_type="application/json")
    else:
        response = Response(f"404 Not Found\n\n{exc}\nSearch: /search?q=\n", 404,
                            content_type="text/plain; charset=utf-8")
    response.headers["Vary"] = "Accept"
    return response

