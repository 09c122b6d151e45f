"""The build: source files → validated, reasoned, materialised dataset on disk.

``parse → SHACL validate → HermiT consistency check → materialise inferences → write``.
The output directory holds ``dataset.nq`` (sorted N-Quads), ``oxigraph/`` (an on-disk
Oxigraph store of the same quads) and ``manifest.json`` (input hashes, version, counts),
written last so an interrupted build is never mistaken for a finished one. When the inputs'
hashes and the package version match the manifest, the build is reused as it is.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import pyoxigraph as ox

from spacekg import __version__, queryfiles, resources
from spacekg.build.dataset import (
    Sources,
    data_graph,
    load_graph,
    load_sources,
    with_stable_blank_nodes,
)
from spacekg.build.reasoning import (
    check_consistency,
    close_store,
    java_available,
    ontology_graph,
    store_of,
)
from spacekg.build.validate import ValidationResult, require_conformance, validate_graph
from spacekg.errors import BuildError, ReasonerUnavailable

log = logging.getLogger(__name__)

ReasonerMode = Literal["required", "auto", "skip"]
HERMIT = "hermit"
MANIFEST = "manifest.json"
NQUADS = "dataset.nq"
OXIGRAPH = "oxigraph"
#: The full-text search index of the store, one folder per store generation
#: (``build/searchindex.py``); a server opens it instead of indexing at start-up.
SEARCH_INDEX = "search"
#: What the on-disk store's default graph holds; a build without it is made again.
DEFAULT_GRAPH = "union of the named graphs, each triple once"


@dataclass(frozen=True)
class BuildResult:
    """Where a build's output is and what it holds."""

    build_dir: Path
    nquads_path: Path
    oxigraph_path: Path
    counts: dict[str, int]  # triples per named graph IRI
    reused: bool  # True when an earlier build with the same inputs was kept
    reasoner: str = HERMIT  # "hermit", or why HermiT was skipped
    warnings: tuple[ValidationResult, ...] = field(default=())  # SHACL warnings (fresh builds)

    @property
    def manifest_path(self) -> Path:
        return self.build_dir / MANIFEST

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def default_build_dir() -> Path:
    """``$SPACEKG_BUILD_DIR``, else ``~/.cache/spacekg/build``."""
    env = os.environ.get("SPACEKG_BUILD_DIR")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "spacekg" / "build"


def _sha256(path: Path) -> str:
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def _input_key(path: Path) -> str:
    try:
        return path.resolve().relative_to(resources.resource_root().resolve()).as_posix()
    except (ValueError, FileNotFoundError):
        return str(path.resolve())


def input_hashes(sources: Sources) -> dict[str, str]:
    """sha256 of every input file, keyed by its path relative to the resource root."""
    return {_input_key(p): _sha256(p) for p in sorted(sources.all_files())}


def read_manifest(build_dir: Path) -> dict[str, object] | None:
    """The manifest of a finished build in ``build_dir``, or None if there is none."""
    try:
        return json.loads((build_dir / MANIFEST).read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return None


@contextlib.contextmanager
def locked(build_dir: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``build_dir`` so concurrent workers build only once (the
    dataset here, the search index in ``build/searchindex.py``)."""
    build_dir.mkdir(parents=True, exist_ok=True)
    with (build_dir / ".lock").open("w") as fh:
        try:
            import fcntl
        except ImportError:  # not POSIX: no cross-process lock, builds stay atomic anyway
            yield
            return
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _reusable(manifest: dict[str, object] | None, hashes: dict[str, str], build_dir: Path,
              reasoner: ReasonerMode) -> bool:
    if manifest is None:
        return False
    if manifest.get("spacekg_version") != __version__ or manifest.get("inputs") != hashes:
        return False
    if manifest.get("default_graph") != DEFAULT_GRAPH:
        return False
    if not (build_dir / NQUADS).is_file() or not (build_dir / OXIGRAPH).is_dir():
        return False
    checked = manifest.get("reasoner") == HERMIT
    if reasoner == "required" or (reasoner == "auto" and java_available()):
        return checked
    return True


def _result(build_dir: Path, manifest: dict[str, object], *, reused: bool,
            warnings: tuple[ValidationResult, ...] = ()) -> BuildResult:
    counts = manifest.get("counts")
    return BuildResult(
        build_dir=build_dir,
        nquads_path=build_dir / NQUADS,
        oxigraph_path=build_dir / OXIGRAPH,
        counts=dict(counts) if isinstance(counts, dict) else {},
        reused=reused,
        reasoner=str(manifest.get("reasoner", "")),
        warnings=warnings,
    )


def ensure_built(build_dir: Path | None = None, *, sources: Sources | None = None,
                 force: bool = False, reasoner: ReasonerMode = "auto") -> BuildResult:
    """Build the dataset into ``build_dir`` unless a build of the same inputs is there.

    ``reasoner``: "required" fails without Java; "auto" (the default, for servers that must
    start without Java) runs HermiT when Java is present and otherwise skips the consistency
    check, saying so in the manifest; "skip" never runs it. The inferences are computed
    either way. ``build_dir`` defaults to :func:`default_build_dir`.

    Raises InputError (unreadable file), ValidationFailed (SHACL violations, with the report),
    InconsistentOntology, ReasonerUnavailable ("required" without Java) or BuildError.
    """
    target = (build_dir or default_build_dir()).expanduser()
    src = sources or Sources.packaged()
    hashes = input_hashes(src)
    with locked(target):
        manifest = read_manifest(target)
        if not force and _reusable(manifest, hashes, target, reasoner):
            log.info("inputs unchanged: reusing the build in %s", target)
            assert manifest is not None
            return _result(target, manifest, reused=True)
        return _build(target, src, hashes, reasoner)


def _build(target: Path, src: Sources, hashes: dict[str, str],
           reasoner: ReasonerMode) -> BuildResult:
    log.info("parsing %d ontology, %d shapes and %d data files",
             len(src.ontology), len(src.shapes), len(src.data))
    ds = with_stable_blank_nodes(load_sources(src))
    ontology = ontology_graph(ds)
    data = data_graph(ds)

    log.info("validating %d triples against the SHACL shapes", len(data))
    report = validate_graph(data, shapes=load_graph(src.shapes), ontology=ontology)
    require_conformance(report)

    store = store_of(ds)
    log.info("materialising inferences")
    close_store(store)
    run_hermit = reasoner == "required" or (reasoner == "auto" and java_available())
    if run_hermit:
        log.info("checking consistency with HermiT")
        result = check_consistency(ontology, data, explain_with=store)
        close_store(store, extra_types=result.inferred_types)
        reasoner_note = HERMIT
    elif reasoner == "auto":
        reasoner_note = "skipped: java not found"
        log.warning("no Java on PATH: HermiT consistency check skipped")
    else:
        reasoner_note = "skipped on request"

    counts = _counts(store)
    manifest: dict[str, object] = {
        "spacekg_version": __version__,
        "built_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "inputs": hashes,
        "reasoner": reasoner_note,
        "counts": counts,
        "total": sum(counts.values()),
        "shacl_warnings": len(report.warnings),
        "default_graph": DEFAULT_GRAPH,
    }
    _write(target, store, manifest)
    return _result(target, manifest, reused=False, warnings=report.warnings)


def _counts(store: ox.Store) -> dict[str, int]:
    counts = {}
    for graph in store.named_graphs():
        if isinstance(graph, ox.NamedNode):
            n = sum(1 for _ in store.quads_for_pattern(None, None, None, graph))
            if n:
                counts[graph.value] = n
    return dict(sorted(counts.items()))


def _write(target: Path, store: ox.Store, manifest: dict[str, object]) -> None:
    """Write the outputs into a staging directory, then move them into place."""
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=target))
    try:
        raw = staging / "unsorted.nq"
        store.dump(output=str(raw), format=ox.RdfFormat.N_QUADS)
        lines = sorted(set(raw.read_text(encoding="utf-8").splitlines()))
        nquads = staging / NQUADS
        nquads.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
        raw.unlink()

        _load_on_disk(staging / OXIGRAPH, nquads)

        (target / MANIFEST).unlink(missing_ok=True)  # from here on the old build is invalid
        _replace(staging / NQUADS, target / NQUADS)
        _replace(staging / OXIGRAPH, target / OXIGRAPH)
        _index_for_search(target / OXIGRAPH, target / SEARCH_INDEX)
        tmp_manifest = staging / MANIFEST
        tmp_manifest.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n",
                                encoding="utf-8")
        os.replace(tmp_manifest, target / MANIFEST)
    except OSError as exc:
        raise BuildError(f"cannot write the build to {target}: {exc}") from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)


_BULK_LOAD = (
    "import sys, pyoxigraph as ox; store = ox.Store(sys.argv[1]); "
    "store.bulk_load(path=sys.argv[2], format=ox.RdfFormat.N_QUADS); "
    "store.update(sys.argv[3]); store.flush()"
)


def _load_on_disk(directory: Path, nquads: Path) -> None:
    """Write the on-disk Oxigraph store in a child process. RocksDB starts threads that a
    process keeps until it exits, and they do not survive ``fork``: ``spacekg serve`` builds
    and then forks its workers, whose exit then aborted ("terminate called after throwing
    std::system_error"). The building process itself never opens RocksDB.

    The store's default graph gets the union of the named graphs, each triple once (what
    queries read; see ``stores/oxigraph.py``); ``dataset.nq`` keeps only the named graphs."""
    done = subprocess.run(
        [sys.executable, "-c", _BULK_LOAD, str(directory), str(nquads),
         queryfiles.load("union_into_default_graph")],
        capture_output=True, text=True, check=False,
    )
    if done.returncode != 0:
        raise BuildError(f"cannot write the Oxigraph store {directory}: {done.stderr.strip()}")


def _index_for_search(store_dir: Path, index_dir: Path) -> None:
    """Index the new store for search in a child process (it opens RocksDB, which this
    process never does). A failure only costs the server the time to index at start-up."""
    done = subprocess.run(
        [sys.executable, "-c",
         "import sys; from spacekg.build.searchindex import prebuild; "
         "prebuild(sys.argv[1], sys.argv[2])", str(store_dir), str(index_dir)],
        capture_output=True, text=True, check=False,
    )
    if done.returncode != 0:
        log.warning("search index not built with the store (the server will build it): %s",
                    done.stderr.strip()[-500:])


def _replace(source: Path, dest: Path) -> None:
    if dest.is_dir():
        trash = dest.with_name(dest.name + ".old")
        shutil.rmtree(trash, ignore_errors=True)
        os.replace(dest, trash)
        shutil.rmtree(trash, ignore_errors=True)
    os.replace(source, dest)


__all__ = ["BuildResult", "ReasonerUnavailable", "default_build_dir", "ensure_built",
           "input_hashes", "read_manifest"]
