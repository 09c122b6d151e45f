"""The site around the data: home page, search (page and JSON API), browse by class, the
graph explorer, downloads, and YASGUI on ``/sparql`` for browsers.

``init_app(app)`` registers these blueprints and the linked-data one; routes stay thin
(parse, call :mod:`spacekg.publish.figures`, :mod:`spacekg.publish.search`,
:mod:`spacekg.publish.explore` or :mod:`spacekg.publish.downloads`, render).
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import logging
import os
import tempfile
from pathlib import Path

from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from werkzeug.exceptions import NotFound

from spacekg.build.shaclreport import LatestReport
from spacekg.errors import BadRequest, SpaceKGError
from spacekg.http.linkeddata import linkeddata_bp, rdf_body
from spacekg.http.serving import get_store
from spacekg.http.view import (
    EXTENSION,
    SiteState,
    language,
    page_context,
    search_index,
    warm_search_index,
    with_language_cookie,
)
from spacekg.namespaces import BASE, ID, SKG
from spacekg.namespaces import PREFIXES as NAMESPACE_PREFIXES
from spacekg.publish.downloads import CONTEXT, Downloads, catalogue
from spacekg.publish.examples import competency_questions
from spacekg.publish.explore import neighbours, partnership_network
from spacekg.publish.figures import class_figures, graph_figures, participation_figures, world_map
from spacekg.publish.language import messages
from spacekg.publish.linkeddata import iri_term, labels_of, local_name, select
from spacekg.publish.links import page_path
from spacekg.publish.programme import programme
from spacekg.publish.search import IndexCache
from spacekg.query import negotiate
from spacekg.query.negotiate import HTML, JSONLD, NTRIPLES, RDFXML, TURTLE

site_bp = Blueprint("site", __name__)
log = logging.getLogger(__name__)

#: Prefixes preloaded in YASGUI (and used to shorten IRIs in its result table).
#: The workshop the report is about: its figures are on the home page.
WORKSHOP = BASE + "id/event/haikou-workshop-2022"

#: The endpoint's predeclared prefixes, and ``id:`` to shorten individuals in the table.
PREFIXES = {"skg": str(SKG), "id": str(ID), **NAMESPACE_PREFIXES}


def init_app(app: Flask) -> None:
    """Register the linked-data and site blueprints and their per-app state.

    Settings: DOWNLOAD_DIR (where dumps are written; default: the build directory's
    ``downloads``), SHACL_REPORT_DIR (cache of the SHACL report; default: the build
    directory), SHACL_REPORT_WAIT (seconds a request waits for a report being computed),
    SEARCH_INDEX_DIR (where a read-only on-disk store's search index is kept; default: the
    build directory's ``search``, where the build leaves it), SEARCH_REFRESH_WAIT (seconds a
    search waits for the index of data just written before answering from the previous one).
    """
    from spacekg.build.pipeline import SEARCH_INDEX, default_build_dir

    build_dir = default_build_dir()
    app.config.setdefault("DOWNLOAD_DIR", str(build_dir / "downloads"))
    app.config.setdefault("SHACL_REPORT_DIR", str(build_dir))
    app.config.setdefault("SHACL_SOURCES", None)
    app.config.setdefault("SEARCH_INDEX_DIR", str(build_dir / SEARCH_INDEX))
    app.config.setdefault("SEARCH_REFRESH_WAIT", 5.0)
    app.extensions[EXTENSION] = SiteState(
        LatestReport(Path(app.config["SHACL_REPORT_DIR"]), app.config["SHACL_SOURCES"]),
        IndexCache(Path(app.config["SEARCH_INDEX_DIR"]),
                   refresh_wait=float(app.config["SEARCH_REFRESH_WAIT"])))
    app.extensions[EXTENSION + ".downloads"] = Downloads(Path(app.config["DOWNLOAD_DIR"]))
    app.register_blueprint(linkeddata_bp)
    app.register_blueprint(site_bp)


def warm_search(app: Flask) -> None:
    """Build or open the search index now, before the worker takes requests. A store that
    cannot answer yet (a remote endpoint) leaves it to the first search."""
    with app.app_context():
        try:
            warm_search_index()
        except SpaceKGError as exc:
            log.warning("search index not built at start-up: %s", exc)
        except Exception:  # noqa: BLE001 - the worker serves the rest; search tries again
            log.exception("search index not built at start-up")


def _downloads() -> Downloads:
    return current_app.extensions[EXTENSION + ".downloads"]  # type: ignore[no-any-return]


# --------------------------------------------------------------------------- YASGUI

def wants_yasgui() -> bool:
    """A browser opening ``/sparql`` (GET, no query, HTML asked for by name) gets YASGUI.

    ``Accept: */*`` (curl, most SPARQL clients) keeps getting the service description, as
    the SPARQL 1.1 Service Description spec expects at the endpoint's URL.
    """
    if request.method != "GET" or "html" not in request.headers.get("Accept", ""):
        return False
    if request.args.get("query") is not None or request.args.get("update") is not None:
        return False
    ranges = negotiate.parse_accept(request.headers.get("Accept"))
    named = [r for r in ranges if r.specificity == 2]
    html_q = negotiate.quality(named, "text/html")
    if request.args.get("format") or html_q <= 0:
        return False
    return max(negotiate.quality(named, t.media_type) for t in negotiate.GRAPH) <= html_q


def sparql_page() -> Response:
    """YASGUI with SpaceKG's examples, prefixes and map data, in the reader's language."""
    lang = language()
    response = Response(render_template(
        "sparql.html", title="SPARQL",
        examples=[e.in_language(lang) for e in competency_questions()], prefixes=PREFIXES,
        countries=world_map(get_store(), lang).data, **page_context(lang)),
        200, content_type=HTML.content_type)
    response.headers["Vary"] = "Accept"
    return with_language_cookie(response)


# --------------------------------------------------------------------------- home, search

@site_bp.route("/", methods=["GET", "HEAD"])
def home() -> Response:
    """The home page: search, the workshop's figures and map, classes, graphs, questions."""
    lang = language()
    store = get_store()
    graphs = graph_figures(store, lang)
    classes = class_figures(store, lang)
    html = render_template(
        "home.html", title="SpaceKG", graphs=graphs, classes=classes,
        total=sum(g.triples for g in graphs), entities=len(search_index()),
        examples=competency_questions(), world_map=world_map(store, lang),
        charts=participation_figures(store, WORKSHOP, lang), **page_context(lang))
    response = Response(html, content_type=HTML.content_type)
    response.headers["Vary"] = "Accept-Language, Cookie"
    return with_language_cookie(response)


@site_bp.route("/programme", methods=["GET", "HEAD"])
def programme_page() -> Response:
    """The workshop's sessions in order with their presentations, on one page."""
    lang = language()
    sessions, labels = programme(get_store())
    html = render_template("programme.html", title=messages(lang)["programme"], sessions=sessions,
                           labels=labels, **page_context(lang))
    response = Response(html, content_type=HTML.content_type)
    response.headers["Vary"] = "Accept-Language, Cookie"
    return with_language_cookie(response)


def _limit(default: int, maximum: int) -> int:
    raw = request.args.get("limit", str(default))
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest(f"limit must be a whole number, not {raw!r}") from None
    return max(1, min(value, maximum))


@site_bp.route("/api/search", methods=["GET", "POST"])
def api_search() -> Response:
    """JSON: ``{"query", "lang", "stale", "results": [{iri, url, label, other_label, classes,
    matched}]}``, labels and classes in the reader's language. POST (form field ``q``) takes
    text too long for a URL; over MAX_QUERY_LENGTH it is a 400 that says why. ``stale`` is
    true while the index of data just written is still being built."""
    text = request.values.get("q", "")
    lang = language()
    index = search_index()
    hits = index.search(text, lang=lang, limit=_limit(10, 100))
    response = jsonify({
        "query": text,
        "lang": lang,
        "stale": index.generation != get_store().generation,
        "results": [{"iri": h.iri, "url": page_path(h.iri), "label": h.label,
                     "label_lang": h.label_lang, "other_label": h.other_label,
                     "other_label_lang": h.other_label_lang, "classes": list(h.classes),
                     "matched": h.matched} for h in hits],
    })
    response.headers["Vary"] = "Accept-Language, Cookie"
    return response


@site_bp.route("/search", methods=["GET", "POST"])
def search_page() -> Response:
    """Results in the reader's language: their label first, the other language's beside it."""
    text = request.values.get("q", "")
    lang = language()
    index = search_index()
    hits = index.search(text, lang=lang, limit=_limit(50, 500))
    html = render_template("search.html", title=f"{text} — {messages(lang)['search']}" if text
                           else messages(lang)["search"], q=text, hits=hits,
                           stale=index.generation != get_store().generation,
                           **page_context(lang))
    response = Response(html, content_type=HTML.content_type)
    response.headers["Vary"] = "Accept-Language, Cookie"
    return with_language_cookie(response)


@site_bp.route("/browse", methods=["GET"])
def browse() -> Response:
    lang = language()
    store = get_store()
    class_iri = request.args.get("class")
    if not class_iri:
        html = render_template("browse.html", title=messages(lang)["browse"],
                               classes=class_figures(store, lang), class_iri=None,
                               **page_context(lang))
        return with_language_cookie(Response(html, content_type=HTML.content_type))
    iri_term(class_iri)  # raises UnknownResource (404) for text that is no IRI
    members = [str(r["x"]) for r in select(store, "ld-instances", **{"class": [class_iri]})]
    labels = labels_of(store, [*members, class_iri])
    items = sorted(
        ((iri, (labels[iri].best(lang) if iri in labels else None) or local_name(iri),
          labels[iri].best("zh" if lang == "en" else "en") if iri in labels else None)
         for iri in members), key=lambda item: item[1].casefold())
    class_label = (labels[class_iri].best(lang) if class_iri in labels else None) \
        or local_name(class_iri)
    html = render_template("browse.html", title=class_label, class_iri=class_iri,
                           class_label=class_label, items=items, **page_context(lang))
    return with_language_cookie(Response(html, content_type=HTML.content_type))


# --------------------------------------------------------------------------- explorer

@site_bp.route("/explore", methods=["GET"])
def explore_page() -> Response:
    lang = language()
    start = request.args.get("iri") or BASE + "id/mission/change-7"
    html = render_template("explore.html", title=messages(lang)["explore"], start=start,
                           chosen="iri" in request.args, **page_context(lang))
    return with_language_cookie(Response(html, content_type=HTML.content_type))


@site_bp.route("/partnerships", methods=["GET"])
def partnerships_page() -> Response:
    """The partnership network: who partners with whom, from the report."""
    lang = language()
    network = partnership_network(get_store(), lang)
    html = render_template("partnerships.html", title=messages(lang)["partnership_network"],
                           network=network, **page_context(lang))
    return with_language_cookie(Response(html, content_type=HTML.content_type))


@site_bp.route("/explore/partnerships", methods=["GET"])
def old_partnerships_page() -> Response:
    """Where the network lived as a tab of the explorer: moved to its own page."""
    query = request.query_string.decode("latin-1")
    return redirect("/partnerships" + ("?" + query if query else ""), 301)  # type: ignore[return-value]


@site_bp.route("/api/neighbours", methods=["GET"])
def api_neighbours() -> Response:
    iri = request.args.get("iri", "")
    if not iri:
        raise BadRequest("parameter 'iri' is required")
    return jsonify(neighbours(get_store(), iri, lang=language()))


# --------------------------------------------------------------------------- downloads

CATALOGUE_OFFERS = (HTML, TURTLE, JSONLD, NTRIPLES, RDFXML)


@site_bp.route("/download", methods=["GET", "HEAD"], strict_slashes=False)
def download_index() -> Response:
    fmt = negotiate.choose(CATALOGUE_OFFERS, request.headers.get("Accept"),
                           request.args.get("format"))
    store = get_store()
    listing = _downloads().listing(store)
    base_url = request.host_url.rstrip("/") + "/download"
    if fmt is not HTML:
        graph = catalogue(listing, base_url=base_url,
                          endpoint=url_for("sparql.endpoint", _external=True),
                          triples=store.triple_count())
        response = Response(rdf_body(graph, fmt), content_type=fmt.content_type)
        response.headers["Vary"] = "Accept"
        return response
    lang = language()
    index = search_index()
    html = render_template(
        "downloads.html", title=messages(lang)["downloads"], files=listing,
        human_size=human_size,
        table_class_label=lambda name: index.class_label(str(SKG) + name, lang),
        **page_context(lang))
    response = Response(html, content_type=HTML.content_type)
    response.headers["Vary"] = "Accept"
    response.headers["Link"] = '</download?format=turtle>; rel="alternate"; type="text/turtle"'
    return with_language_cookie(response)


@site_bp.route("/download/context.jsonld", methods=["GET", "HEAD"])
def jsonld_context() -> Response:
    response = Response(json.dumps({"@context": CONTEXT}, indent=2),
                        content_type="application/ld+json")
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@site_bp.route("/download/SHA256SUMS", methods=["GET", "HEAD"])
def download_sums() -> Response:
    """``sha256sum -c`` input for every file and its gzip variant, so a mirror can be checked."""
    store = get_store()
    directory = _downloads().directory(store)
    lines = []
    for item in _downloads().listing(store):
        lines.append(f"{item.sha256}  {item.name}")
        lines.append(f"{gzipped(directory, item.name)[1]}  {item.name}.gz")
    response = Response("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")
    response.headers["Content-Disposition"] = 'attachment; filename="SHA256SUMS"'
    return response


@site_bp.route("/download/<name>", methods=["GET", "HEAD"])
def download_file(name: str) -> Response:
    """A dump as an attachment (``name.gz``: gzip-compressed), with its SHA-256."""
    store = get_store()
    listing = {f.name: f for f in _downloads().listing(store)}
    compressed = name.endswith(".gz")
    item = listing.get(name[:-3] if compressed else name)
    if item is None:
        raise NotFound(f"no download named {name!r}; see /download for the list")
    directory = _downloads().directory(store)
    sha256 = item.sha256
    if compressed:
        sha256 = gzipped(directory, item.name)[1]
    response = send_from_directory(directory, name,
                                   mimetype="application/gzip" if compressed else item.media_type,
                                   as_attachment=True, download_name=name)
    digest = base64.b64encode(bytes.fromhex(sha256)).decode()
    response.headers["Digest"] = f"sha-256={digest}"  # RFC 3230
    response.headers["X-Content-SHA256"] = sha256
    return response


def human_size(size: int) -> str:
    """Bytes as people read them: 912 B, 48.2 kB, 3.1 MB (SI units, as browsers show)."""
    value = float(size)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{size} B"


def gzipped(directory: Path, name: str) -> tuple[Path, str]:
    """``name.gz`` next to ``name`` (written once, reproducibly: no timestamp) and its SHA-256."""
    target = directory / f"{name}.gz"
    sums = directory / f"{name}.gz.sha256"
    if not (target.is_file() and sums.is_file()):
        data = gzip.compress((directory / name).read_bytes(), compresslevel=9, mtime=0)
        for path, content in ((target, data), (sums, hashlib.sha256(data).hexdigest().encode())):
            fd, tmp = tempfile.mkstemp(dir=directory, prefix=".gz-")
            with os.fdopen(fd, "wb") as fh:
                fh.write(content)
            os.replace(tmp, path)
    return target, sums.read_text(encoding="ascii").strip()

