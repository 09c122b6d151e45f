"""Settings reach the app from defaults, SPACEKG_* environment variables and the serve
command's options, in that order of precedence (options last)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest
from live_server import FIXTURES
from spacekg.app import create_app
from spacekg.errors import ConfigError
from spacekg.serve import app_config, default_workers, server_options
from spacekg.stores.configured import parse_graphs


def serve_args(**overrides: object) -> argparse.Namespace:
    values: dict[str, object] = {
        "host": "127.0.0.1",
        "port": 8000,
        "workers": None,
        "store": "oxigraph",
        "graph": [],
        "no_report": True,
        "timeout": None,
        "max_rows": None,
        "build_dir": None,
    }
    values.update(overrides)
    return argparse.Namespace(**values)


def test_environment_variables_configure_the_app(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPACEKG_QUERY_TIMEOUT", "7")
    monkeypatch.setenv("SPACEKG_MAX_ROWS", "10")
    monkeypatch.setenv("SPACEKG_GRAPHS", f"http://example.org/g={FIXTURES / 'missions.nt'}")
    app = create_app({"TESTING": True})
    assert (app.config["QUERY_TIMEOUT"], app.config["MAX_ROWS"]) == (7, 10)
    response = app.test_client().get("/sparql", query_string={"query": "SELECT * { ?s ?p ?o }"})
    doc = json.loads(response.data)
    assert len(doc["results"]["bindings"]) == 6


def test_explicit_config_beats_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPACEKG_MAX_ROWS", "10")
    assert create_app({"MAX_ROWS": 3}).config["MAX_ROWS"] == 3


@pytest.mark.parametrize(
    "value",
    [
        "http://a=/x.ttl;http://b=/y.nt",
        "http://a=/x.ttl\nhttp://b=/y.nt",
        '{"http://a": "/x.ttl", "http://b": "/y.nt"}',
        '[["http://a", "/x.ttl"], ["http://b", "/y.nt"]]',
        ["http://a=/x.ttl", "http://b=/y.nt"],
        {"http://a": "/x.ttl", "http://b": "/y.nt"},
    ],
)
def test_graph_settings_in_every_spelling(value: object) -> None:
    assert parse_graphs(value) == [("http://a", Path("/x.ttl")), ("http://b", Path("/y.nt"))]


def test_graph_setting_without_file_is_refused() -> None:
    with pytest.raises(ConfigError, match="IRI=FILE"):
        parse_graphs("http://a")


def test_serve_options_become_app_settings() -> None:
    graph = ("http://example.org/g", FIXTURES / "missions.nt")
    config = app_config(serve_args(graph=[graph], timeout=5.0, max_rows=50), env={})
    assert config["GRAPHS"] == [(graph[0], str(graph[1]))]
    assert (config["QUERY_TIMEOUT"], config["MAX_ROWS"]) == (5.0, 50)
    assert config["STORE"] == "oxigraph" and config["EAGER_STORE"] is True


def test_serve_reads_store_and_graphs_from_the_environment() -> None:
    env = {
        "SPACEKG_STORE": "memory",
        "SPACEKG_GRAPHS": f"http://example.org/g={FIXTURES / 'agencies.ttl'}",
    }
    config = app_config(serve_args(), env=env)
    assert config["STORE"] == "memory"
    assert [iri for iri, _ in config["GRAPHS"]] == ["http://example.org/g"]


def test_missing_graph_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        app_config(serve_args(graph=[("http://g", tmp_path / "nope.ttl")]), env={})


def test_no_report_with_a_store_directory_loads_the_graphs_there(tmp_path: Path) -> None:
    directory = tmp_path / "store"
    graph = ("http://example.org/g", FIXTURES / "missions.nt")
    config = app_config(serve_args(store=f"oxigraph:{directory}", graph=[graph]), env={})
    assert config["GRAPHS"] == []
    app = create_app({"TESTING": True, **config})
    response = app.test_client().get(
        "/sparql", query_string={"query": "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }", "format": "csv"}
    )
    assert response.get_data(as_text=True).splitlines() == ["n", "6"]


def test_granian_serves_the_wsgi_app_with_a_head_timeout_and_replaces_dead_workers() -> None:
    from granian.constants import Interfaces

    options = server_options(serve_args(port=8123), {"QUERY_TIMEOUT": 30.0})
    assert (options["address"], options["port"]) == ("127.0.0.1", 8123)
    assert options["interface"] == Interfaces.WSGI
    assert options["workers"] == default_workers()
    assert options["respawn_failed_workers"] is True
    assert 0 < options["http1_settings"].header_read_timeout <= 30_000


class _Built:
    """Stands in for spacekg.build.pipeline.BuildResult: just the two paths serve reads."""

    def __init__(self, root: Path) -> None:
        self.nquads_path = root / "dataset.nq"
        self.oxigraph_path = root / "oxigraph"
        quads = [
            line.replace(" .", " <https://w3id.org/spacekg/graph/para/1> .")
            for line in (FIXTURES / "missions.nt").read_text().splitlines()
        ]
        self.nquads_path.write_text("\n".join(quads) + "\n")
        from spacekg.stores.oxigraph import OxigraphStore

        store = OxigraphStore(self.oxigraph_path)
        store.load(self.nquads_path)
        store.close()
        del store


@pytest.fixture
def fake_build(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> _Built:
    built = _Built(tmp_path)
    monkeypatch.setattr("spacekg.build.pipeline.ensure_built", lambda build_dir=None: built)
    return built


def _count(config: dict[str, object]) -> list[str]:
    app = create_app({"TESTING": True, **config})
    response = app.test_client().get(
        "/sparql", query_string={"query": "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }", "format": "csv"}
    )
    return response.get_data(as_text=True).splitlines()


def test_serving_the_report_opens_the_built_store_read_only(fake_build: _Built) -> None:
    config = app_config(serve_args(no_report=False), env={})
    assert config["STORE"] == f"oxigraph:{fake_build.oxigraph_path}"
    assert config["STORE_READ_ONLY"] is True
    assert _count(config) == ["n", "6"]


def test_report_plus_extra_graphs_are_served_together(fake_build: _Built) -> None:
    extra = ("http://example.org/g", FIXTURES / "agencies.ttl")
    config = app_config(serve_args(no_report=False, graph=[extra]), env={})
    assert config["DATASET_FILES"] == [str(fake_build.nquads_path)]
    assert _count(config) == ["n", "18"]


def test_report_on_the_reference_engine(fake_build: _Built) -> None:
    config = app_config(serve_args(no_report=False, store="memory"), env={})
    assert config["STORE"] == "memory" and config["EAGER_STORE"] is True
    assert _count(config) == ["n", "6"]


@pytest.mark.parametrize("how", ["option", "environment"])
def test_in_memory_loads_the_report_into_an_in_memory_oxigraph(
    fake_build: _Built, how: str
) -> None:
    if how == "option":
        config = app_config(serve_args(no_report=False, in_memory=True), env={})
    else:
        config = app_config(serve_args(no_report=False), env={"SPACEKG_IN_MEMORY": "true"})
    assert config["STORE"] == "oxigraph" and config["EAGER_STORE"] is True
    assert config["DATASET_FILES"] == [str(fake_build.nquads_path)]
    app = create_app({"TESTING": True, **config})
    with app.app_context():
        from spacekg.http.serving import get_store

        assert getattr(get_store(), "path", "not oxigraph") is None  # in memory
    assert _count(config) == ["n", "6"]


@pytest.mark.parametrize(("text", "size"), [("2G", 2 << 30), ("1500M", 1500 << 20),
                                            ("512k", 512 << 10), ("2GiB", 2 << 30),
                                            ("1000", 1000), (4096, 4096)])
def test_memory_sizes_are_read_in_human_units(text: object, size: int) -> None:
    from spacekg.config import parse_size

    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["lots", "-1G", "0", ""])
def test_a_size_that_is_no_size_is_a_config_error(text: str) -> None:
    from spacekg.config import parse_size

    with pytest.raises(ConfigError):
        parse_size(text)


def test_each_worker_gets_its_share_of_the_memory_limit() -> None:
    from spacekg.config import MASTER_RESERVE, worker_memory_limit

    share = worker_memory_limit({"MEMORY_LIMIT": "2G", "SERVER_WORKERS": 2})
    assert share == ((2 << 30) - MASTER_RESERVE) // 2
