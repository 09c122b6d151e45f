"""The ``spacekg`` command: build, validate, query, coverage, serve, export, changes.

The only module that prints or exits. Exit codes, as pySHACL's:
0 success (conforms), 1 the data is wrong (SHACL violations, inconsistency, empty paragraph),
2 the command could not do its job (bad arguments, unreadable file, no Java, bad query).
"""

from __future__ import annotations

import argparse
import csv
import importlib
import io
import logging
import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from spacekg import __version__

if TYPE_CHECKING:
    from spacekg.build.pipeline import BuildResult
    from spacekg.serve import Listening

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_ERROR = 2

_FORMATS = ("table", "csv", "json", "tsv")


def _byte_size(text: str) -> int:
    """``2G``, ``1500M``, ``512k`` or a number of bytes."""
    from spacekg.config import parse_size
    from spacekg.errors import ConfigError

    try:
        return parse_size(text)
    except ConfigError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _graph_option(text: str) -> tuple[str, Path]:
    """Parse ``IRI=FILE`` for ``serve --graph``."""
    iri, sep, file = text.partition("=")
    if not sep or not iri or not file:
        raise argparse.ArgumentTypeError(f"expected IRI=FILE, got {text!r}")
    return iri, Path(file)


SERVE_EXAMPLES = """\
examples:
  spacekg serve
      read-only, on this machine only: open http://127.0.0.1:8000/
  spacekg serve --writable --store oxigraph:store --tokens-file tokens.txt
      curators with a token in tokens.txt (lines like alice:s3cret) can edit; the
      changes are kept in the directory store/ (list them: spacekg changes --store
      oxigraph:store)
  spacekg serve --host 0.0.0.0 --port 8080 --timeout 10 --max-rows 10000
      open to the network or the internet: read-only as always (updates and
      federated queries are refused), with tighter limits per query
"""

QUERY_EXAMPLES = """\
examples:
  spacekg query 'SELECT (COUNT(*) AS ?n) { ?s ?p ?o }'
  spacekg query -f queries/05-agency-counts.rq --format csv > agencies.csv
"""

MAIN_EXAMPLES = """\
examples:
  spacekg serve                       build if needed, then serve http://127.0.0.1:8000/
  spacekg query 'SELECT (COUNT(*) AS ?n) { ?s ?p ?o }'
  spacekg validate my-additions.ttl --with-data
  spacekg serve --help                all the serving options

exit codes: 0 success, 1 the data fails a check, 2 error.
"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="spacekg",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="SpaceKG: the UN report A/AC.105/1294 (UN/China workshop on space\n"
        "exploration, Haikou 2022) as a knowledge graph you can query, browse and serve.",
        epilog=MAIN_EXAMPLES,
    )
    parser.add_argument("--version", action="version", version=f"spacekg {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    build_dir_help = ("where the built dataset is kept (default: $SPACEKG_BUILD_DIR or "
                      "~/.cache/spacekg/build)")

    p = sub.add_parser("build", help="validate, reason and build the dataset",
                       description="Parse the ontology, shapes and data; validate with SHACL; "
                       "check consistency with HermiT; materialise inferences; write "
                       "dataset.nq, an Oxigraph store and manifest.json. Reuses the previous "
                       "build when no input changed.")
    p.add_argument("--build-dir", type=Path, metavar="DIR", help=build_dir_help)
    p.add_argument("--force", action="store_true", help="rebuild even if inputs are unchanged")
    p.add_argument("--skip-reasoner", action="store_true",
                   help="do not run HermiT (no Java needed; inferences are still computed)")
    p.add_argument("--lang", choices=("en", "zh"), default="en",
                   help="language of validation messages (default: en)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress messages")

    p = sub.add_parser("validate", help="validate RDF files against SpaceKG's shapes",
                       description="Validate RDF files (Turtle, TriG, N-Triples, N-Quads, "
                       "RDF/XML) against SpaceKG's SHACL shapes with its ontology. "
                       "Exit 0 conforms, 1 violations, 2 error.")
    p.add_argument("files", nargs="+", type=Path, metavar="FILE")
    p.add_argument("--with-data", action="store_true",
                   help="validate together with SpaceKG's own data, as if added to data/")
    p.add_argument("--lang", choices=("en", "zh"), default="en",
                   help="language of messages (default: en)")

    p = sub.add_parser("query", help="run a SPARQL query on the built dataset",
                       formatter_class=argparse.RawDescriptionHelpFormatter,
                       description="Run a SPARQL query on the built dataset (building it first "
                       "if needed).\nThe default graph is the union of all named graphs.",
                       epilog=QUERY_EXAMPLES)
    p.add_argument("query", nargs="?", help="the SPARQL query text (or use -f)")
    p.add_argument("-f", "--file", type=Path, help="read the query from this .rq file")
    p.add_argument("--format", choices=_FORMATS, default="table",
                   help="result format (default: table)")
    p.add_argument("--build-dir", type=Path, metavar="DIR", help=build_dir_help)

    p = sub.add_parser("coverage", help="triples per paragraph and annex clause",
                       description="Triples in each paragraph's and annex clause's graph; "
                       "exits 1 if any of [1]-[46], P1-P11, O1-O7 is empty.")
    p.add_argument("--build-dir", type=Path, metavar="DIR", help=build_dir_help)

    p = sub.add_parser(
        "serve", help="serve the report on the web: SPARQL endpoint, pages, downloads",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Serve the report's knowledge graph over HTTP until you press Ctrl-C:\n"
        "a SPARQL endpoint at /sparql (with a query editor for browsers), a page for every\n"
        "entity, search, a graph explorer and downloads. Builds the dataset first if\n"
        "needed. Prints the address once it answers, then one line per request.\n"
        "Each option can also be set by the environment variable shown in brackets.",
        epilog=SERVE_EXAMPLES,
    )
    data = p.add_argument_group("what to serve")
    data.add_argument("--store", default="oxigraph", metavar="STORE",
                      help="where the data lives: 'oxigraph' (the built dataset, default), "
                      "'oxigraph:DIR' (a database directory of your own, filled from the "
                      "report the first time), 'memory' (loaded into memory at start) or the "
                      "URL of another SPARQL 1.1 server [SPACEKG_STORE]")
    data.add_argument("--graph", type=_graph_option, action="append", default=[],
                      metavar="IRI=FILE",
                      help="also serve the RDF file FILE as the named graph IRI; repeatable "
                      "[SPACEKG_GRAPHS]")
    data.add_argument("--no-report", action="store_true",
                      help="serve only the --graph files, without the report")
    data.add_argument("--build-dir", type=Path, metavar="DIR", help=build_dir_help)

    how = p.add_argument_group("where and how to listen")
    how.add_argument("--host", default="127.0.0.1",
                     help="address to listen on: 127.0.0.1 (default) is this machine only; "
                     "0.0.0.0 is every network interface [SPACEKG_HOST]")
    how.add_argument("--port", type=int, default=8000,
                     help="TCP port (default: %(default)s) [SPACEKG_PORT]")
    how.add_argument("--base-url", default=None, metavar="URL",
                     help="the address people use to reach the server, e.g. "
                     "https://spacekg.example.org/ behind a reverse proxy: redirects, links, "
                     "downloads and the service description name it, never the client's "
                     "Host header (default: http://HOST:PORT/) [SPACEKG_BASE_URL]")
    how.add_argument("--no-access-log", action="store_true",
                     help="do not print a line per request (printed by default: client, "
                     "time, request, status, bytes, milliseconds) [SPACEKG_ACCESS_LOG=off]")

    limits = p.add_argument_group("limits for each query")
    limits.add_argument("--timeout", type=float, default=None, metavar="SECONDS",
                        help="stop a query after this many seconds and answer 503 (default: "
                        "30) [SPACEKG_QUERY_TIMEOUT]")
    limits.add_argument("--max-rows", type=int, default=None, metavar="N",
                        help="return at most N result rows; more are cut and the answer is "
                        "flagged as truncated (default: 100000; 0: no limit) "
                        "[SPACEKG_MAX_ROWS]")
    limits.add_argument("--memory-limit", type=_byte_size, default=None, metavar="SIZE",
                        help="memory the whole server may use, e.g. 2G or 1500M (default: "
                        "2G); a query that would need more is stopped with 503 "
                        "[SPACEKG_MEMORY_LIMIT]")

    writes = p.add_argument_group(
        "writes (off by default: the server is read-only)",
        "Curators holding a token can change the data with SPARQL Update and the Graph\n"
        "Store Protocol; every change is validated, applied at once and recorded.")
    writes.add_argument("--writable", action="store_true",
                        help="accept writes from holders of a token; use with --store "
                        "oxigraph:DIR to keep them across restarts")
    writes.add_argument("--tokens-file", type=Path, default=None, metavar="FILE",
                        help="the tokens, one name:token per line; keep tokens off the "
                        "command line [or SPACEKG_WRITE_TOKENS='name:token,...']")
    writes.add_argument("--audit-log", type=Path, default=None, metavar="FILE",
                        help="where to record accepted writes, as JSON lines (default: "
                        "audit.jsonl beside the store)")
    writes.add_argument("--open-graph", action="append", default=[], metavar="IRI",
                        help="let curators change this protected graph (the ontology, shapes "
                        "and inferred graphs refuse writes otherwise); repeatable")
    writes.add_argument("--allow-clear-all", action="store_true",
                        help="accept CLEAR ALL / DROP ALL (and NAMED), which empty every "
                        "graph (refused otherwise)")

    advanced = p.add_argument_group("advanced: speed and isolation")
    advanced.add_argument("--workers", type=int, default=None, metavar="N",
                          help="processes answering requests (default: one per CPU core, at "
                          "most 4; always 1 with --writable) [SPACEKG_WORKERS]")
    advanced.add_argument("--query-processes", type=int, default=None, metavar="N",
                          help="helper processes per worker that run the queries, so that a "
                          "query that crashes or eats memory ends only its helper (default: "
                          "2; 0: run queries in the worker) [SPACEKG_QUERY_PROCESSES]")
    advanced.add_argument("--in-memory", action="store_true",
                          help="load the built dataset into memory at start instead of "
                          "reading it from disk: large joins and aggregates run several "
                          "times faster, start-up and memory grow with the data "
                          "[SPACEKG_IN_MEMORY]")

    p = sub.add_parser("export", help="write the store's graphs back as the data files",
                       description="Rebuild data/reference/*.trig, data/report/*.trig and "
                       "ontology/spacekg.ttl from a store, so that curated writes can go back "
                       "into version control. Files are sorted and readable (project "
                       "prefixes, subjects and predicates sorted, Chinese as UTF-8) and the "
                       "same store gives the same bytes. A graph no file holds goes to "
                       "data/curated/NAME.trig; graph/inferred is never written. With "
                       "--in-place only files whose graphs changed are rewritten: untouched "
                       "files keep their comments, a rewritten file keeps only its opening "
                       "comment block and loses the comments inside it.",
                       epilog="Exit codes: 0 done, 2 error (no store, unwritable output).")
    p.add_argument("--store", metavar="oxigraph:DIR",
                   help="the on-disk store a writable server uses (serve --writable --store "
                   "oxigraph:DIR; opened read-only, so the server may keep running); "
                   "default: the build")
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("--out", type=Path, metavar="DIR",
                       help="write every file into DIR, mirroring the project's layout")
    where.add_argument("--in-place", action="store_true",
                       help="write into the project's own files, only those that changed")
    p.add_argument("--prune", action="store_true",
                   help="with --in-place: delete files whose graphs are no longer in the "
                   "store (without it they are only reported)")
    p.add_argument("--project", type=Path, metavar="DIR",
                   help="the project whose layout is followed (and, with --in-place, "
                   "rewritten): a directory holding ontology/ and data/ (default: this "
                   "checkout)")
    p.add_argument("--build-dir", type=Path, metavar="DIR", help=build_dir_help)

    p = sub.add_parser("changes", help="list the writes accepted into a store",
                       description="List the changesets (accepted writes: who, when, graphs, "
                       "counts) recorded beside an on-disk store, oldest first; --export "
                       "prints every changeset with its added and removed quads as JSON "
                       "lines, as GET /changes/export does.")
    p.add_argument("--store", required=True, metavar="oxigraph:DIR",
                   help="the store directory a writable server uses")
    p.add_argument("--audit-log", type=Path, default=None, metavar="FILE",
                   help="the audit log, if the server was given one (default: audit.jsonl "
                   "in the store directory)")
    p.add_argument("--format", choices=("table", "json"), default="table",
                   help="listing format (default: table)")
    p.add_argument("--export", action="store_true",
                   help="print every changeset with its quads, one JSON object per line")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``spacekg`` console script; returns the exit code."""
    args = _parser().parse_args(argv)
    handler = {"build": _build, "validate": _validate, "query": _query,
               "coverage": _coverage, "serve": _serve, "export": _export,
               "changes": _changes}[args.command]
    from spacekg.errors import SpaceKGError

    try:
        return handler(args)
    except SpaceKGError as exc:
        _error(str(exc))
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `spacekg changes --export | head`: the reader left, not an error
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK


def _error(message: str) -> None:
    print(f"spacekg: error: {message}", file=sys.stderr)


def _setup_logging(quiet: bool = False) -> None:
    logging.basicConfig(level=logging.WARNING if quiet else logging.INFO,
                        format="spacekg: %(message)s", stream=sys.stderr, force=True)


def _ensure_built(build_dir: Path | None, **kwargs: object) -> BuildResult | None:
    """ensure_built, turning data failures into printed reports; None means exit 1."""
    from spacekg.build.pipeline import ensure_built
    from spacekg.errors import InconsistentOntology, ValidationFailed

    lang = str(kwargs.pop("lang", "en"))
    try:
        return ensure_built(build_dir, **kwargs)  # type: ignore[arg-type]
    except ValidationFailed as exc:
        if exc.report is not None:
            print(exc.report.format(lang), file=sys.stderr)
        _error(f"build failed: {exc}")
    except InconsistentOntology as exc:
        _error(f"build failed: {exc}")
    return None


def _build(args: argparse.Namespace) -> int:
    _setup_logging(args.quiet)
    result = _ensure_built(args.build_dir, force=args.force, lang=args.lang,
                           reasoner="skip" if args.skip_reasoner else "required")
    if result is None:
        return EXIT_FAILED
    for warning in result.warnings:
        print(warning.describe(args.lang), file=sys.stderr)
    state = "reused unchanged build" if result.reused else "built"
    print(f"{state} in {result.build_dir} (reasoner: {result.reasoner})")
    width = max((len(g) for g in result.counts), default=0)
    for graph, n in sorted(result.counts.items(), key=lambda item: _natural(item[0])):
        print(f"{graph:<{width}}  {n:>7}")
    print(f"{'total':<{width}}  {result.total:>7}")
    return EXIT_OK


def _natural(text: str) -> list[tuple[int, str]]:
    """Sort key putting para/2 before para/10."""
    return [(int(part), "") if part.isdigit() else (-1, part)
            for part in re.split(r"(\d+)", text)]


def _validate(args: argparse.Namespace) -> int:
    from spacekg.build.validate import validate_files

    report = validate_files(args.files, with_data=args.with_data)
    print(report.format(args.lang))
    return EXIT_OK if report.conforms else EXIT_FAILED


def _query(args: argparse.Namespace) -> int:
    if (args.query is None) == (args.file is None):
        _error("give the query either as an argument or with -f FILE (exactly one)")
        return EXIT_ERROR
    if args.file is not None:
        try:
            text = args.file.read_text(encoding="utf-8")
        except OSError as exc:
            _error(f"cannot read {args.file}: {exc}")
            return EXIT_ERROR
    else:
        text = args.query
    _setup_logging(quiet=True)
    result = _ensure_built(args.build_dir)
    if result is None:
        return EXIT_FAILED
    import pyoxigraph as ox

    from spacekg.query.prologue import predeclare, undefined_prefix

    store = ox.Store.read_only(str(result.oxigraph_path))
    try:
        # SpaceKG's prefixes predeclared, as on /sparql; the default graph holds the union
        answer = store.query(predeclare(text).text)
        output = _format_answer(answer, args.format)
    except SyntaxError as exc:
        _error(f"SPARQL syntax error: {undefined_prefix(text) or exc}")
        return EXIT_ERROR
    except (OSError, RuntimeError) as exc:
        _error(f"query failed: {exc}")
        return EXIT_ERROR
    sys.stdout.write(output)
    return EXIT_OK


def _cell(term: object) -> str:
    """Lexical form of a result term: IRI text, literal value, blank node label."""
    if term is None:
        return ""
    import pyoxigraph as ox

    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    return str(getattr(term, "value", term))


def _format_answer(answer: object, fmt: str) -> str:
    import pyoxigraph as ox

    if isinstance(answer, ox.QueryBoolean):
        if fmt == "table":
            return ("true" if bool(answer) else "false") + "\n"
        return _serialize(answer, fmt)
    if isinstance(answer, ox.QueryTriples):
        lines = sorted(f"{t.subject} {t.predicate} {t.object} ." for t in answer)
        return "".join(line + "\n" for line in lines)
    assert isinstance(answer, ox.QuerySolutions)
    if fmt != "table":
        return _serialize(answer, fmt)
    names = [v.value for v in answer.variables]
    rows = [[_cell(solution[name]) for name in names] for solution in answer]
    widths = [max([len(n)] + [len(r[i]) for r in rows]) for i, n in enumerate(names)]
    out = io.StringIO()
    out.write(" | ".join(n.ljust(w) for n, w in zip(names, widths, strict=True)).rstrip() + "\n")
    out.write("-+-".join("-" * w for w in widths) + "\n")
    for row in rows:
        out.write(" | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() + "\n")
    out.write(f"({len(rows)} row{'s' if len(rows) != 1 else ''})\n")
    return out.getvalue()


def _serialize(answer: object, fmt: str) -> str:
    import pyoxigraph as ox

    formats = {"csv": ox.QueryResultsFormat.CSV, "tsv": ox.QueryResultsFormat.TSV,
               "json": ox.QueryResultsFormat.JSON}
    data = answer.serialize(format=formats[fmt])  # type: ignore[attr-defined]
    text = data.decode("utf-8")
    return text if text.endswith("\n") else text + "\n"


def _coverage(args: argparse.Namespace) -> int:
    from spacekg.build.coverage import coverage, empty

    _setup_logging(quiet=True)
    result = _ensure_built(args.build_dir)
    if result is None:
        return EXIT_FAILED
    rows = coverage(result.counts)
    writer = csv.writer(sys.stdout, delimiter="\t", lineterminator="\n")
    writer.writerow(["paragraph", "triples", "graph"])
    for row in rows:
        writer.writerow([row.label, row.triples, row.graph])
    missing = empty(rows)
    if missing:
        _error(f"{len(missing)} of {len(rows)} paragraphs/clauses have no triples: "
               + ", ".join(r.label for r in missing))
        return EXIT_FAILED
    print(f"all {len(rows)} paragraphs and clauses have triples", file=sys.stderr)
    return EXIT_OK


def _serve(args: argparse.Namespace) -> int:
    _setup_logging()  # a first start builds for ~20 s: say so, and where it then listens
    # Imported here so that build/query/validate never pay for Granian and Flask.
    serve = importlib.import_module("spacekg.serve")
    return int(serve.main(args, on_ready=_say_ready) or 0)


def _say_ready(listening: Listening) -> None:
    """The line a person starting the server waits for, printed once it answers."""
    print(f"SpaceKG is ready: {listening.home}  (SPARQL endpoint {listening.sparql}; "
          "stop with Ctrl-C)", flush=True)
    if listening.all_interfaces:
        print(f"listening on all interfaces ({listening.host or '*'}, port {listening.port}): "
              "other machines reach it at this machine's name or address", flush=True)


def _store_dir(value: str) -> Path:
    """DIR of ``oxigraph:DIR``; raises ExportError for any other kind of store."""
    from spacekg.build.export import ExportError

    kind, sep, directory = value.partition(":")
    if kind != "oxigraph" or not sep or not directory:
        raise ExportError(f"--store {value!r}: give an on-disk store as oxigraph:DIR")
    return Path(directory)


def _export(args: argparse.Namespace) -> int:
    from spacekg import resources
    from spacekg.build import export

    if args.prune and not args.in_place:
        _error("--prune only applies with --in-place")
        return EXIT_ERROR
    if args.store:
        store = export.read_store_dir(_store_dir(args.store))
    else:
        _setup_logging(quiet=True)
        built = _ensure_built(args.build_dir)
        if built is None:
            return EXIT_FAILED
        store = export.read_store_dir(built.oxigraph_path)
    project = args.project or resources.resource_root()
    result = export.export(store, project=project, out=args.out, in_place=args.in_place,
                           prune=args.prune)
    for rel in result.written:
        print(f"{'new' if rel in result.new else 'wrote'}  {rel}")
    for rel in result.removed:
        state = "deleted" if rel in result.pruned else "gone "
        hint = "" if rel in result.pruned else " (its graphs are not in the store; --prune "\
            "deletes it)"
        print(f"{state}  {rel}{hint}")
    for note in result.notes:
        print(f"note: {note}", file=sys.stderr)
    print(f"{len(result.written)} written, {len(result.unchanged)} unchanged, "
          f"{len(result.removed)} gone, in {result.root}", file=sys.stderr)
    return EXIT_OK


def _changes(args: argparse.Namespace) -> int:
    import json

    from spacekg.errors import InputError
    from spacekg.write.journal import AUDIT_LOG, Journal, changeset_lines, changeset_table

    directory = _store_dir(args.store)
    if not directory.is_dir():
        raise InputError(f"no store directory {directory}")
    journal = Journal(args.audit_log or directory / AUDIT_LOG)
    records = journal.changesets()
    if args.export:
        for line in changeset_lines(records, journal.changeset_quads):
            sys.stdout.write(line)
        return EXIT_OK
    if args.format == "json":
        print(json.dumps({"changesets": records}, ensure_ascii=False, indent=2))
        return EXIT_OK
    if not records:
        print(f"no changesets recorded in {journal.audit_log}", file=sys.stderr)
        return EXIT_OK
    sys.stdout.write(changeset_table(records))
    print(f"({len(records)} changeset{'s' if len(records) != 1 else ''})", file=sys.stderr)
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
