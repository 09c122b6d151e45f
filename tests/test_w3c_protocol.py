"""The query half of the W3C SPARQL 1.1 Protocol tests, run against ``spacekg serve``.

Reads ``../shared/w3c-sparql-protocol/manifest-sparql11.ttl`` (beside the repository; set
SPACEKG_W3C_PROTOCOL_DIR to look elsewhere), serves every graph the tests name with
``--no-report --graph IRI=FILE``, sends each test's requests exactly as written (method,
path with ``/sparql/`` mapped to our endpoint, headers, body in its stated encoding) and
checks what each response must be: status class, result format and boolean answer.

Run: every ``query_*`` and every ``bad_*`` test (the ``bad_update_*`` ones must fail with a
4xx here as anywhere: this endpoint refuses all updates). Not run: the positive
``update_*`` tests, which need a writable endpoint; SpaceKG is read-only by design.
"""

from __future__ import annotations

import csv
import io
import json
import os
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests
from live_server import live_server
from rdflib import RDF, RDFS, Graph, Namespace, URIRef
from rdflib.collection import Collection

ROOT = Path(__file__).resolve().parents[1]
SUITE = Path(
    os.environ.get("SPACEKG_W3C_PROTOCOL_DIR") or ROOT.parent / "shared" / "w3c-sparql-protocol"
)
MANIFEST = SUITE / "manifest-sparql11.ttl"

MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = Namespace("http://www.w3.org/2011/http#")
HTS = Namespace("http://www.w3.org/2011/http-statusCodes#")
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

if not MANIFEST.is_file():
    # The manifest lives in shared/, beside the checkout; CI always has it.
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        raise RuntimeError(f"W3C protocol manifest not found at {MANIFEST}")
    pytest.skip(f"W3C protocol manifest not found at {MANIFEST}", allow_module_level=True)


@dataclass
class Expected:
    status_classes: set[int]
    format: str | None = None
    boolean: bool | None = None


@dataclass
class ProtocolRequest:
    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None
    expected: Expected = field(default_factory=lambda: Expected(set()))


@dataclass
class ProtocolTest:
    name: str
    title: str
    requests: list[ProtocolRequest]
    graphs: dict[str, Path]


def _load_manifest() -> tuple[list[ProtocolTest], dict[str, Path]]:
    graph = Graph().parse(MANIFEST, format="turtle", publicID=MANIFEST.as_uri())
    manifest = next(graph.subjects(RDF.type, MF.Manifest))
    entries = Collection(graph, graph.value(manifest, MF.entries))
    tests: list[ProtocolTest] = []
    all_graphs: dict[str, Path] = {}
    for entry in entries:
        name = str(entry).rpartition("#")[2]
        graphs = {}
        for data in graph.objects(entry, UT.graphData):
            iri = str(graph.value(data, RDFS.label))
            file = Path(str(graph.value(data, UT.graph)).removeprefix("file://"))
            graphs[iri] = file
        all_graphs.update(graphs)
        action = graph.value(entry, MF.action)
        requests_list = Collection(graph, graph.value(action, HT.requests))
        reqs = [_read_request(graph, r) for r in requests_list]
        tests.append(ProtocolTest(name, str(graph.value(entry, MF.name)), reqs, graphs))
    return tests, all_graphs


def _read_request(graph: Graph, node: URIRef) -> ProtocolRequest:
    method = str(graph.value(node, HT.methodName))
    path = str(graph.value(node, HT.absolutePath))
    headers = {}
    header_list = graph.value(node, HT.headers)
    if header_list is not None:
        for header in Collection(graph, header_list):
            headers[str(graph.value(header, HT.fieldName))] = str(
                graph.value(header, HT.fieldValue)
            )
    body = None
    body_node = graph.value(node, HT.body)
    if body_node is not None:
        encoding = str(graph.value(body_node, CNT.characterEncoding) or "UTF-8")
        body = str(graph.value(body_node, CNT.chars)).encode(encoding)
    response = graph.value(node, HT.resp)
    classes = {
        int(str(code).rpartition("StatusCode")[2][0])
        for code in graph.objects(response, MF.expectedStatus)
    }
    fmt = graph.value(response, MF.expectedFormat)
    boolean = graph.value(response, MF.expectedBoolean)
    expected = Expected(
        classes,
        str(fmt) if fmt is not None else None,
        boolean.toPython() if boolean is not None else None,  # type: ignore[union-attr]
    )
    return ProtocolRequest(method, path, headers, body, expected)


TESTS, GRAPHS = _load_manifest()
RUN = [t for t in TESTS if t.name.startswith(("query_", "bad_"))]
NOT_RUN = [t for t in TESTS if t not in RUN]


def test_manifest_selection_covers_every_query_test() -> None:
    names = {t.name for t in RUN}
    assert {n for n in (t.name for t in TESTS) if n.startswith(("query_", "bad_query_"))} <= names
    assert len([n for n in names if n.startswith("query_")]) == 13
    assert all(t.name.startswith("update_") for t in NOT_RUN)


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    args = ["--no-report"]
    for iri, file in sorted(GRAPHS.items()):
        args += ["--graph", f"{iri}={file}"]
    with live_server(*args) as base:
        yield base


def _media_type(response: requests.Response) -> str:
    return response.headers.get("Content-Type", "").split(";")[0].strip().lower()


def _boolean_of(response: requests.Response) -> bool:
    media_type = _media_type(response)
    if media_type == "application/sparql-results+json":
        value = json.loads(response.content)["boolean"]
        assert isinstance(value, bool)
        return value
    root = ET.fromstring(response.content)
    found = root.find("{http://www.w3.org/2005/sparql-results#}boolean")
    assert found is not None and found.text in ("true", "false")
    return found.text == "true"


def _check_tabular(response: requests.Response) -> None:
    media_type = _media_type(response)
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


def _check(response: requests.Response, expected: Expected) -> None:
    assert response.status_code // 100 in expected.status_classes, (
        f"status {response.status_code}, expected {sorted(expected.status_classes)}xx: "
        f"{response.text[:300]}"
    )
    if expected.format == "boolean":
        assert _media_type(response) in BOOLEAN_TYPES
        answer = _boolean_of(response)
        if expected.boolean is not None:
            assert answer is expected.boolean
    elif expected.format == "tabular":
        assert _media_type(response) in TABULAR_TYPES
        _check_tabular(response)
    elif expected.format == "RDF":
        media_type = _media_type(response)
        assert media_type in RDF_TYPES
        Graph().parse(data=response.content, format=RDF_TYPES[media_type])
    elif expected.boolean is not None:
        assert _boolean_of(response) is expected.boolean


@pytest.mark.parametrize("case", RUN, ids=[t.name for t in RUN])
def test_w3c_protocol(server: str, case: ProtocolTest) -> None:
    for request in case.requests:
        assert request.path.startswith("/sparql/")
        url = server + "/sparql" + request.path.removeprefix("/sparql/").join(["/", ""])
        # The manifest's requests carry no Accept header: send none (requests adds */*).
        headers: dict[str, str | None] = {"Accept": None, **request.headers}
        response = requests.request(
            request.method,
            url,
            headers=headers,
            data=request.body,
            allow_redirects=False,
            timeout=30,
        )
        _check(response, request.expected)
