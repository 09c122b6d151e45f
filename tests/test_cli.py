"""The spacekg command: exit codes and output of build, validate, query, coverage, serve."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from spacekg.build.coverage import coverage, empty
from spacekg.build.pipeline import BuildResult
from spacekg.cli import _parser, main

CNSA_EN = ("SELECT ?label WHERE { <https://w3id.org/spacekg/id/agency/cnsa> "
           "<http://www.w3.org/2004/02/skos/core#prefLabel> ?label "
           "FILTER(lang(?label) = 'en') }")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_console_script_prints_its_version() -> None:
    done = subprocess.run([sys.executable, "-m", "spacekg.cli", "--version"],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0 and done.stdout.startswith("spacekg ")


def test_build_reuses_and_prints_triples_per_graph(built: BuildResult,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "build", "--build-dir", str(built.build_dir), "-q")
    assert code == 0
    assert out.startswith("reused unchanged build")
    for graph, n in built.counts.items():
        assert any(line.split() == [graph, str(n)] for line in out.splitlines())
    assert out.splitlines()[-1].split() == ["total", str(built.total)]


def test_query_answers_as_a_table(built: BuildResult,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "query", CNSA_EN, "--build-dir", str(built.build_dir))
    assert code == 0
    lines = out.splitlines()
    assert lines[0].strip() == "label"
    assert lines[2].strip() == "China National Space Administration"
    assert lines[-1] == "(1 row)"


@pytest.mark.parametrize(("fmt", "check"), [
    ("csv", lambda out: out.splitlines()[1] == "China National Space Administration"),
    ("tsv", lambda out: out.splitlines()[1] == '"China National Space Administration"@en'),
    ("json", lambda out: json.loads(out)["results"]["bindings"][0]["label"]["value"]
     == "China National Space Administration"),
])
def test_query_formats(built: BuildResult, capsys: pytest.CaptureFixture[str], fmt: str,
                       check) -> None:  # noqa: ANN001
    code, out, _ = run(capsys, "query", CNSA_EN, "--format", fmt,
                       "--build-dir", str(built.build_dir))
    assert code == 0 and check(out), out


def test_query_from_file_and_ask(built: BuildResult, tmp_path: Path,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    rq = tmp_path / "ask.rq"
    rq.write_text("ASK { GRAPH <https://w3id.org/spacekg/graph/inferred> { ?s ?p ?o } }",
                  encoding="utf-8")
    code, out, _ = run(capsys, "query", "-f", str(rq), "--build-dir", str(built.build_dir))
    assert (code, out) == (0, "true\n")


def test_query_syntax_error_exits_2(built: BuildResult,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "query", "SELEC nothing", "--build-dir", str(built.build_dir))
    assert code == 2 and "syntax error" in err


def test_query_needs_exactly_one_source(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "query")
    assert code == 2 and "exactly one" in err


def test_coverage_lists_every_paragraph(built: BuildResult,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "coverage", "--build-dir", str(built.build_dir))
    lines = out.splitlines()
    assert lines[0].split("\t") == ["paragraph", "triples", "graph"]
    assert len(lines) == 1 + 64
    assert code == (1 if empty(coverage(built.counts)) else 0)


def test_validate_unreadable_file_exits_2(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.trig"
    bad.write_text("GRAPH <urn:g> { oops", encoding="utf-8")
    code, _, err = run(capsys, "validate", str(bad))
    assert code == 2 and "bad.trig" in err


def test_validate_broken_fixture_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    broken = sorted((Path(__file__).parent / "fixtures" / "broken").glob("*.trig"))
    if not broken:
        pytest.fail("tests/fixtures/broken/*.trig: no fixtures yet")
    code, out, _ = run(capsys, "validate", str(broken[0]))
    assert code == 1 and "Violation:" in out


def test_serve_defines_its_options(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["serve", "--help"])
    out = capsys.readouterr().out
    assert info.value.code == 0
    for option in ("--host", "--port", "--workers", "--store", "--graph", "--no-report",
                   "--timeout", "--max-rows"):
        assert option in out


def test_serve_help_groups_options_and_shows_examples(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as info:
        main(["serve", "--help"])
    out = capsys.readouterr().out
    assert info.value.code == 0
    # options are in groups under titles (unindented lines ending in ":")
    groups: dict[str, str] = {}
    by_option: dict[str, str] = {}
    title = ""
    for line in out.splitlines():
        if line and not line.startswith(" ") and line.endswith(":"):
            title = line[:-1]
            groups[title] = ""
        elif title:
            groups[title] += line + "\n"
            if option := re.match(r"^\s{2}(--[a-z-]+)", line):
                by_option[option[1]] = title
    assert len(set(by_option.values())) >= 5
    assert len({by_option[o] for o in ("--store", "--host", "--timeout", "--writable",
                                        "--query-processes")}) == 5
    assert by_option["--tokens-file"] == by_option["--writable"]
    assert by_option["--no-access-log"] == by_option["--port"]
    assert any("advanced" in title for title in groups)
    # 2-3 example command lines, each a runnable spacekg serve
    examples = re.findall(r"^\s+(spacekg serve.*)$", groups["examples"], re.M)
    assert 2 <= len(examples) <= 4
    assert any("--writable" in e for e in examples) and any("0.0.0.0" in e for e in examples)
    for example in examples:
        parsed = _parser().parse_args(example.split()[1:])
        assert parsed.command == "serve"
    # speaks to users: defaults stated, no names of the machinery inside
    assert out.count("default") >= 6
    for internal in ("Granian", "RocksDB", "seccomp", "worker_app", "factory", "gunicorn"):
        assert internal.lower() not in out.lower()


def test_top_level_help_lists_commands_and_examples(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    for command in ("build", "validate", "query", "coverage", "serve", "export", "changes", "load"):
        assert re.search(rf"^\s+{command}\s+\S", out, re.M)
    assert "examples:" in out and "exit codes" in out.lower()


def test_serve_rejects_a_malformed_graph_option(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["serve", "--graph", "no-equals-sign"])
    assert info.value.code == 2 and "IRI=FILE" in capsys.readouterr().err


def test_serve_hands_parsed_options_to_the_server(monkeypatch: pytest.MonkeyPatch) -> None:
    received = {}

    class FakeServe:
        @staticmethod
        def main(args, on_ready=None) -> int:  # noqa: ANN001
            received["args"] = args
            received["on_ready"] = on_ready
            return 0

    monkeypatch.setitem(sys.modules, "spacekg.serve", FakeServe)
    assert main(["serve", "--port", "8123", "--graph", "urn:g=x.ttl", "--no-report"]) == 0
    args = received["args"]
    assert (args.host, args.port, args.no_report) == ("127.0.0.1", 8123, True)
    assert args.graph == [("urn:g", Path("x.ttl"))]
    assert callable(received["on_ready"])  # the CLI prints the address once it answers


@pytest.fixture
def toy_packaged(toy, monkeypatch: pytest.MonkeyPatch):  # noqa: ANN001, ANN201
    """Make the CLI see the tiny test project as the shipped sources."""
    from spacekg.build.dataset import Sources

    def use(extra: dict[str, str] | None = None) -> Sources:
        sources = toy(extra)
        monkeypatch.setattr(Sources, "packaged", classmethod(lambda cls: sources))
        return sources

    return use


def test_build_with_violations_exits_1_with_the_report(toy_packaged, tmp_path: Path,  # noqa: ANN001
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    toy_packaged({"para-02.trig": "@prefix skg: <https://w3id.org/spacekg/ontology#> .\n"
                  "GRAPH <https://w3id.org/spacekg/graph/para/2> {"
                  " <https://w3id.org/spacekg/id/agency/x> a skg:SpaceAgency . }\n"})
    code, _, err = run(capsys, "build", "-q", "--skip-reasoner", "--lang", "zh",
                       "--build-dir", str(tmp_path / "out"))
    assert code == 1
    assert "Violation: id:agency/x" in err and "组织必须有 skos:prefLabel。" in err


def test_build_prints_counts_and_total(toy_packaged, tmp_path: Path,  # noqa: ANN001
                                       capsys: pytest.CaptureFixture[str]) -> None:
    toy_packaged()
    code, out, _ = run(capsys, "build", "-q", "--skip-reasoner",
                       "--build-dir", str(tmp_path / "out"))
    assert code == 0 and out.startswith("built in")
    assert "https://w3id.org/spacekg/graph/para/1" in out
    assert out.splitlines()[-1].split()[0] == "total"


def test_validate_exit_codes_follow_pyshacl(toy_packaged, tmp_path: Path,  # noqa: ANN001
                                            capsys: pytest.CaptureFixture[str]) -> None:
    toy_packaged()
    good = tmp_path / "good.ttl"
    good.write_text('<https://w3id.org/spacekg/id/agency/y> a '
                    '<https://w3id.org/spacekg/ontology#SpaceAgency> ; '
                    '<http://www.w3.org/2004/02/skos/core#prefLabel> "Y"@en .\n',
                    encoding="utf-8")
    bad = tmp_path / "bad.ttl"
    bad.write_text('<https://w3id.org/spacekg/id/agency/z> a '
                   '<https://w3id.org/spacekg/ontology#SpaceAgency> .\n', encoding="utf-8")
    assert run(capsys, "validate", str(good))[0] == 0
    code, out, _ = run(capsys, "validate", str(bad))
    assert code == 1 and "Violation: id:agency/z" in out
