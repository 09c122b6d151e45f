"""The latest SHACL validation report of the packaged data, as RDF a client can fetch.

The build validates but keeps only the verdict; the report itself is published at
``https://w3id.org/spacekg/validation/latest``. Validation takes a while, so the report is
computed once per set of inputs (keyed by the build's input hashes), in a background thread,
and cached as Turtle; until it exists the web layer answers 503 with Retry-After.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
from datetime import UTC, datetime
from pathlib import Path

from rdflib import RDF, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, XSD

from spacekg.build.dataset import Sources, data_graph, load_graph, load_sources
from spacekg.errors import SpaceKGError
from spacekg.namespaces import BASE

log = logging.getLogger(__name__)

REPORT_IRI = URIRef(BASE + "validation/latest")
SHAPES_IRI = URIRef(BASE + "shapes")


def inputs_key(sources: Sources) -> str:
    """Hash of every input file (path name and bytes): a new key means a new report."""
    digest = hashlib.sha256()
    for path in sources.all_files():
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:24]


def validate(sources: Sources) -> Graph:
    """pySHACL's results graph for ``sources`` with a header saying what was validated.

    Raises SpaceKGError if pySHACL fails to run.
    """
    import pyshacl  # heavy: only here

    ds = load_sources(sources)
    try:
        conforms, results, _text = pyshacl.validate(
            data_graph(ds), shacl_graph=load_graph(sources.shapes),
            ont_graph=load_graph(sources.ontology), inference="rdfs", advanced=True,
            allow_warnings=True, abort_on_first=False)
    except Exception as exc:  # pySHACL raises its own runtime errors
        raise SpaceKGError(f"SHACL validation could not run: {exc}") from exc
    report = next(results.subjects(RDF.type, URIRef("http://www.w3.org/ns/shacl#ValidationReport")),
                  None)
    graph = Graph()
    graph.bind("sh", "http://www.w3.org/ns/shacl#")
    graph.bind("skg", BASE + "ontology#")
    graph.bind("id", BASE + "id/")
    if report is not None:
        # name the report so it is a resource (its blank node becomes the published IRI)
        for s, p, o in results:
            graph.add((REPORT_IRI if s == report else s, p, o))
    else:
        for triple in results:
            graph.add(triple)
    graph.add((REPORT_IRI, DCTERMS.created,
               Literal(datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), datatype=XSD.dateTime)))
    graph.add((REPORT_IRI, PROV.used, SHAPES_IRI))
    graph.add((REPORT_IRI, DCTERMS.description, Literal(
        f"SHACL validation of the SpaceKG data ({'conforms' if conforms else 'violations found'})",
        lang="en")))
    return graph


class LatestReport:
    """The cached report for the current inputs, computed in the background on first ask."""

    def __init__(self, cache_dir: Path, sources: Sources | None = None) -> None:
        self.cache_dir = cache_dir
        self.sources = sources
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self.error: str | None = None

    def _sources(self) -> Sources:
        return self.sources or Sources.packaged()

    def path(self) -> Path:
        return self.cache_dir / f"shacl-report-{inputs_key(self._sources())}.ttl"

    def get(self, *, wait: float = 0.0) -> Graph | None:
        """The report, or None while it is being computed (started now if needed)."""
        path = self.path()
        if not path.is_file():
            with self._lock:
                if self._thread is None or not self._thread.is_alive():
                    self.error = None
                    self._thread = threading.Thread(target=self._compute, args=(path,),
                                                    daemon=True, name="shacl-report")
                    self._thread.start()
                thread = self._thread
            thread.join(wait)
            if not path.is_file():
                return None
        graph = Graph()
        graph.parse(path, format="turtle")
        return graph

    def _compute(self, path: Path) -> None:
        try:
            graph = validate(self._sources())
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            graph.serialize(tmp, format="turtle", encoding="utf-8")
            os.replace(tmp, path)
            meta = {"results": len(set(graph.subjects(RDF.type, URIRef(
                "http://www.w3.org/ns/shacl#ValidationResult"))))}
            path.with_suffix(".json").write_text(json.dumps(meta), encoding="utf-8")
        except (SpaceKGError, OSError) as exc:
            log.error("SHACL report failed: %s", exc)
            self.error = str(exc)
