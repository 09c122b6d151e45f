"""Read the W3C SPARQL Protocol manifests and run their tests against a live ``spacekg serve``.

The manifests (``../shared/w3c-sparql-protocol/``, beside the repository; set
SPACEKG_W3C_PROTOCOL_DIR to look elsewhere) describe each test as HTTP requests and the
responses they must get. Two encodings are read, because the SPARQL 1.2 manifest mixes them:

* the SPARQL 1.1 one: ``mf:expectedStatus hts:StatusCode2xx``, ``mf:expectedFormat``,
  ``mf:expectedBoolean``;
* the newer one: ``ht:statusCodeValue "2XX"``, the response's ``ht:headers`` (the media
  types the answer may have) and ``ht:body`` (the boolean the answer must be).

A test's data (``ut:graphData``: a file and, as ``rdfs:label``, the graph it goes into) is put
into the store through the Graph Store Protocol before the test, and every graph is deleted
afterwards, so each test starts from an empty store. Requests go out exactly as the manifest
writes them (method, path with ``/sparql/`` mapped to the endpoint, headers, body in its
stated encoding, no Accept header unless the manifest gives one), plus the bearer token on
update requests.
"""

from __future__ import annotations

import csv
import io
import json
import os
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import requests
from rdflib import RDF, RDFS, Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.term import Node

ROOT = Path(__file__).resolve().parents[1]
SUITE = Path(
    os.environ.get("SPACEKG_W3C_PROTOCOL_DIR") or ROOT.parent / "shared" / "w3c-sparql-protocol"
)
MANIFEST_11 = SUITE / "manifest-sparql11.ttl"
MANIFEST_12 = SUITE / "manifest.ttl"

MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = Namespace("http://www.w3.org/2011/http#")
CNT = Namespace("http://www.w3.org/2011/content#")
UT = Namespace("http://www.w3.org/2009/sparql/tests/test-update#")

BOOLEAN_TYPES = {"application/sparql-results+xml", "application/sparql-results+json"}
TABULAR_TYPES = BOOLEAN_TYPES | {"text/csv", "text/tab-separated-values"}
RDF_TYPES = {
    "application/rdf+xml": "xml",
    "text/turtle": "turtle",
    "application/n-triples": "nt",
    "text/plain": "nt",  # N-Triples' former media type
    "application/xhtml+xml": "rdfa",
    "text/html": "rdfa",
}
SPARQL_UPDATE = "application/sparql-update"
SPARQL_QUERY = "application/sparql-query"

#: Everything in the store: every quad, and every named graph (empty ones too).
DUMP_QUERY = """SELECT ?g ?s ?p ?o {
  { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } UNION { GRAPH ?g { } }
}"""


def manifest_available() -> bool:
    return MANIFEST_11.is_file() and MANIFEST_12.is_file()


# --- the manifest -----------------------------------------------------------------------


@dataclass
class Expected:
    """What a response must be: its status class, and when given its format, boolean answer
    and media type (one of ``media_types``)."""

    status_classes: set[int]
    format: str | None = None
    boolean: bool | None = None
    media_types: set[str] = field(default_factory=set)


@dataclass
class ProtocolRequest:
    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None
    expected: Expected = field(default_factory=lambda: Expected(set()))

    @property
    def media_type(self) -> str:
        for name, value in self.headers.items():
            if name.lower() == "content-type":
                return value.split(";")[0].strip().lower()
        return ""

    def params(self) -> list[tuple[str, str]]:
        """Parameters in the URL and, when it reads as one, in a form-encoded body."""
        found = parse_qsl(urlsplit(self.path).query, keep_blank_values=True)
        if self.body is not None and self.media_type in ("", "application/x-www-form-urlencoded"):
            try:
                found += parse_qsl(self.body.decode("ascii"), keep_blank_values=True)
            except UnicodeDecodeError:
                pass
        return found


@dataclass
class ProtocolTest:
    name: str
    title: str
    requests: list[ProtocolRequest]
    graphs: dict[str, Path]
    requirements: str = ""

    @property
    def is_update_test(self) -> bool:
        return "update" in self.name

    def is_update(self, request: ProtocolRequest) -> bool:
        """Whether a request asks for (or attempts) the update operation: it carries the
        token. The verifying queries of update tests do not."""
        if request.media_type == SPARQL_UPDATE:
            return True
        names = {name for name, _ in request.params()}
        if "update" in names:
            return True
        return self.is_update_test and "query" not in names and request.media_type != SPARQL_QUERY


def load_manifest(path: Path) -> list[ProtocolTest]:
    """Every test of a manifest, in the manifest's order."""
    graph = Graph().parse(path, format="turtle", publicID=path.as_uri())
    manifest = next(graph.subjects(RDF.type, MF.Manifest))
    tests: list[ProtocolTest] = []
    for entry in Collection(graph, graph.value(manifest, MF.entries)):
        name = str(entry).rpartition("#")[2]
        graphs = {}
        for data in graph.objects(entry, UT.graphData):
            iri = str(graph.value(data, RDFS.label))
            graphs[iri] = Path(str(graph.value(data, UT.graph)).removeprefix("file://"))
        action = graph.value(entry, MF.action)
        steps = Collection(graph, graph.value(action, HT.requests))
        reqs = [_read_request(graph, r) for r in steps]
        comments = sorted(
            str(c) for c in graph.objects(entry, RDFS.comment) if str(c).startswith("Tests ")
        )
        tests.append(
            ProtocolTest(
                name,
                str(graph.value(entry, MF.name)),
                reqs,
                graphs,
                "; ".join(c.removeprefix("Tests ") for c in comments),
            )
        )
    return tests


def _headers(graph: Graph, node: Node | None) -> dict[str, str]:
    headers: dict[str, str] = {}
    if node is not None:
        for header in Collection(graph, node):
            headers[str(graph.value(header, HT.fieldName))] = str(
                graph.value(header, HT.fieldValue)
            )
    return headers


def _read_request(graph: Graph, node: URIRef) -> ProtocolRequest:
    method = str(graph.value(node, HT.methodName))
    path = str(graph.value(node, HT.absolutePath))
    body = None
    body_node = graph.value(node, HT.body)
    if body_node is not None:
        encoding = str(graph.value(body_node, CNT.characterEncoding) or "UTF-8")
        body = str(graph.value(body_node, CNT.chars)).encode(encoding)
    return ProtocolRequest(
        method,
        path,
        _headers(graph, graph.value(node, HT.headers)),
        body,
        _read_response(graph, graph.value(node, HT.resp)),
    )


def _read_response(graph: Graph, response: Node | None) -> Expected:
    classes = {
        int(str(code).rpartition("StatusCode")[2][0])
        for code in graph.objects(response, MF.expectedStatus)
    }
    classes |= {int(str(code)[0]) for code in graph.objects(response, HT.statusCodeValue)}
    fmt = graph.value(response, MF.expectedFormat)
    boolean = graph.value(response, MF.expectedBoolean)
    body = graph.value(response, HT.body)
    if boolean is None and body is not None:
        boolean = graph.value(body, CNT.chars)
    # The response's headers name the media types the answer may have. Some 1.2 tests
    # write them as "Accept" on the response; the listed types are the same kind of thing.
    media_types: set[str] = set()
    for name, value in _headers(graph, graph.value(response, HT.headers)).items():
        if name.lower() in ("content-type", "accept"):
            media_types |= {v.split(";")[0].strip().lower() for v in value.split(",")}
    return Expected(
        classes,
        str(fmt) if fmt is not None else None,
        bool(boolean.toPython()) if isinstance(boolean, Literal) else None,
        media_types,
    )


# --- sending and checking ---------------------------------------------------------------


def endpoint_url(base: str, path: str) -> str:
    """The manifest's ``/sparql/…`` (or ``/sparql?…``) path on the server under test: our
    endpoint is ``/sparql`` (with or without the slash), so the path is kept as written."""
    assert path.startswith(("/sparql/", "/sparql?")) or path == "/sparql", path
    return base + path


def send(base: str, request: ProtocolRequest, token: str | None = None) -> requests.Response:
    """Send one manifest request as written (``requests`` adds no Accept when told None)."""
    headers: dict[str, str | None] = {"Accept": None, **request.headers}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return requests.request(
        request.method,
        endpoint_url(base, request.path),
        headers=headers,
        data=request.body,
        allow_redirects=False,
        timeout=60,
    )


def media_type_of(response: requests.Response) -> str:
    return response.headers.get("Content-Type", "").split(";")[0].strip().lower()


def boolean_of(response: requests.Response) -> bool:
    if media_type_of(response) == "application/sparql-results+json":
        value = json.loads(response.content)["boolean"]
        assert isinstance(value, bool)
        return value
    root = ET.fromstring(response.content)
    found = root.find("{http://www.w3.org/2005/sparql-results#}boolean")
    assert found is not None and found.text in ("true", "false")
    return found.text == "true"


def _check_tabular(response: requests.Response) -> None:
    media_type = media_type_of(response)
    if media_type == "application/sparql-results+json":
        doc = json.loads(response.content)
        assert isinstance(doc["head"]["vars"], list)
        assert isinstance(doc["results"]["bindings"], list)
    elif media_type == "application/sparql-results+xml":
        root = ET.fromstring(response.content)
        assert root.find("{http://www.w3.org/2005/sparql-results#}results") is not None
    elif media_type == "text/csv":
        rows = list(csv.reader(io.StringIO(response.content.decode("utf-8"))))
        assert rows and rows[0]
    else:
        lines = response.content.decode("utf-8").splitlines()
        assert lines and all(v.startswith("?") for v in lines[0].split("\t"))


def check(response: requests.Response, expected: Expected) -> None:
    """Assert that a response is what the manifest says it must be."""
    assert response.status_code // 100 in expected.status_classes, (
        f"status {response.status_code}, expected {sorted(expected.status_classes)}xx: "
        f"{response.text[:300]}"
    )
    media_type = media_type_of(response)
    if expected.media_types:
        assert media_type in expected.media_types, (
            f"Content-Type {media_type}, expected one of {sorted(expected.media_types)}"
        )
    if expected.format == "boolean":
        assert media_type in BOOLEAN_TYPES
    elif expected.format == "tabular":
        assert media_type in TABULAR_TYPES
        _check_tabular(response)
    elif expected.format == "RDF":
        assert media_type in RDF_TYPES
        Graph().parse(data=response.content, format=RDF_TYPES[media_type])
    if expected.format == "boolean" or expected.boolean is not None:
        answer = boolean_of(response)
        if expected.boolean is not None:
            assert answer is expected.boolean, f"answer {answer}, expected {expected.boolean}"


# --- the store, through the protocols ---------------------------------------------------


@dataclass
class Store:
    """A live server's data, seen and changed through the SPARQL and Graph Store protocols."""

    base: str
    token: str | None = None

    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def dump(self) -> set[tuple[str, ...]]:
        """Every quad and named graph, as N-Triples-ish tuples (to compare before/after)."""
        response = requests.post(
            self.base + "/sparql",
            data={"query": DUMP_QUERY},
            headers={"Accept": "application/sparql-results+json"},
            timeout=60,
        )
        assert response.status_code == 200, response.text[:300]
        rows = set()
        for binding in response.json()["results"]["bindings"]:
            rows.add(
                tuple(
                    f"{binding[v]['type']}:{binding[v]['value']}" if v in binding else ""
                    for v in ("g", "s", "p", "o")
                )
            )
        return rows

    def named_graphs(self) -> set[str]:
        return {g.removeprefix("uri:") for g, *_ in self.dump() if g}

    def put(
        self, graph: str | None, data: bytes, media_type: str = "application/n-triples"
    ) -> None:
        """Graph Store PUT into a named graph (or the default graph when ``graph`` is None)."""
        params = {"graph": graph} if graph else {"default": ""}
        response = requests.put(
            self.base + "/graph-store",
            params=params,
            data=data,
            headers={"Content-Type": media_type, **self._auth()},
            timeout=60,
        )
        assert response.status_code in (200, 201, 204), response.text[:300]

    def load(self, graphs: dict[str, Path]) -> None:
        for iri, file in sorted(graphs.items()):
            self.put(iri, file.read_bytes())

    def clear(self) -> None:
        """Graph Store DELETE of every named graph and of the default graph."""
        for graph in sorted(self.named_graphs()):
            response = requests.delete(
                self.base + "/graph-store", params={"graph": graph}, headers=self._auth(),
                timeout=60,
            )
            assert response.status_code in (200, 204), response.text[:300]
        response = requests.delete(
            self.base + "/graph-store", params={"default": ""}, headers=self._auth(), timeout=60
        )
        assert response.status_code in (200, 204), response.text[:300]
