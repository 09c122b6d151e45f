"""The store a configuration names, opened and loaded: shared by the server's workers and
its query processes, which must not import the web framework (they start on demand, and
Flask alone costs a tenth of a second to import)."""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from spacekg.errors import ConfigError
from spacekg.stores import Store, open_store


def open_configured_store(config: dict[str, Any]) -> Store:
    """Open the store named by ``config["STORE"]`` and load the configured files into it.

    Raises ConfigError for an unusable setting and InputError for an unreadable file.
    """
    spec = config["STORE"]
    if isinstance(spec, Store):
        spec.base_iri = spec.base_iri or config.get("BASE_IRI")
        return spec
    if not isinstance(spec, str):
        raise ConfigError(f"STORE must be a string or a Store, not {type(spec).__name__}")
    options: dict[str, Any] = {}
    if spec.startswith("oxigraph:"):
        options["read_only"] = bool(config.get("STORE_READ_ONLY", True))
    elif spec.startswith(("http://", "https://")):
        options = remote_options(config)
    store = open_store(spec, **options)
    store.base_iri = config.get("BASE_IRI")
    for path in parse_paths(config.get("DATASET_FILES")):
        store.load(path)
    for iri, path in parse_graphs(config.get("GRAPHS")):
        store.load(path, iri)
    return store


def parse_paths(value: object) -> list[Path]:
    """A list of paths from a list or an os.pathsep/newline-separated string."""
    if not value:
        return []
    if isinstance(value, str | Path):
        text = str(value)
        items: Iterable[str] = text.replace("\n", os.pathsep).split(os.pathsep)
    elif isinstance(value, Iterable):
        items = (str(v) for v in value)
    else:
        raise ConfigError(f"expected a list of files, got {value!r}")
    return [Path(p.strip()) for p in items if str(p).strip()]


def parse_graphs(value: object) -> list[tuple[str, Path]]:
    """``IRI=FILE`` pairs from a dict, a list of pairs or strings, JSON, or a string whose
    entries are separated by newlines or ';'."""
    if not value:
        return []
    if isinstance(value, str):
        text = value.strip()
        if text.startswith(("{", "[")):
            try:
                return parse_graphs(json.loads(text))
            except json.JSONDecodeError as exc:
                raise ConfigError(f"GRAPHS is not valid JSON: {exc}") from exc
        value = [part for part in text.replace("\n", ";").split(";") if part.strip()]
    if isinstance(value, dict):
        return [(str(k), Path(v)) for k, v in value.items()]
    pairs: list[tuple[str, Path]] = []
    for item in value:  # type: ignore[attr-defined]
        if isinstance(item, str):
            iri, sep, file = item.strip().partition("=")
            if not sep or not iri or not file:
                raise ConfigError(f"expected IRI=FILE, got {item!r}")
            pairs.append((iri, Path(file)))
        else:
            iri, file = item
            pairs.append((str(iri), Path(file)))
    return pairs


#: Where a remote engine's credentials come from: never the command line, never the config
#: (which the server hands its workers in the environment, as JSON) nor any log.
USER_ENV = "SPACEKG_STORE_USER"
PASSWORD_ENV = "SPACEKG_STORE_PASSWORD"


def remote_options(config: dict[str, Any], *, writer: bool = False) -> dict[str, Any]:
    """RemoteStore options from the configuration (STORE_UPDATE, STORE_GRAPH_STORE,
    STORE_GRAPHS, STORE_UNION_GRAPH, STORE_UNION) and the credentials from the environment. Without
    ``writer`` the store is read-only: only the publishing step (``spacekg serve`` before its
    workers start, ``spacekg load``) writes to the engine."""
    options: dict[str, Any] = {
        "update_endpoint": config.get("STORE_UPDATE") or None,
        "gsp_endpoint": config.get("STORE_GRAPH_STORE") or None,
        "read_only": not writer,
        # a query's own limit, a little later than the server's; a load's batch: minutes
        "timeout": 600.0 if writer else float(config.get("QUERY_TIMEOUT") or 60.0) + 5.0,
    }
    if not writer and config.get("STORE_GRAPHS") is not None:
        options["graphs"] = list(config["STORE_GRAPHS"])
    if not writer and config.get("STORE_UNION_GRAPH"):
        options["union_graph"] = str(config["STORE_UNION_GRAPH"])
    if config.get("STORE_UNION") == "native":
        options["union"] = "native"  # the engine's own default graph (SPACEKG_STORE_UNION)
    user = os.environ.get(USER_ENV)
    if user:
        options["user"] = user
        options["password"] = os.environ.get(PASSWORD_ENV, "")
    return options


@dataclass(frozen=True)
class Published:
    """A build held by a remote engine, as :func:`publish_build` left it."""

    checksum: str
    graphs: list[str]
    union_graph: str
    #: False when the engine held this build already and nothing was sent
    loaded: bool
    statements: int = 0
    seconds: float = 0.0

    def settings(self) -> dict[str, Any]:
        """What the server's workers need to read it (no credentials)."""
        return {"STORE_GRAPHS": self.graphs, "STORE_UNION_GRAPH": self.union_graph}


def build_checksum(nquads: Path) -> str:
    """The sha256 of a build's ``dataset.nq``: what a remote engine is asked whether it holds."""
    with nquads.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def publish_build(config: dict[str, Any], nquads: Path, *, force: bool = False) -> Published:
    """Make the remote engine named by ``config["STORE"]`` hold the build ``nquads``, once:
    nothing is sent when the engine already records this build's checksum (unless
    ``force``). Writes go to STORE_GRAPH_STORE or STORE_UPDATE; a STORE_UPDATE URL that
    answers as a Graph Store Protocol endpoint is used as one.

    Raises ConfigError when a load is needed and no write endpoint is configured,
    RemoteStoreError or BuildError (one line each) when the engine refuses.
    """
    from spacekg.stores.remote import RemoteStore

    options = remote_options(config, writer=True)
    update = options.get("update_endpoint")
    store = RemoteStore(config["STORE"], **options)
    try:
        checksum = build_checksum(nquads)
        held = store.published()
        if held is not None and held[0] == checksum and not force:
            return Published(checksum, held[1], held[2], loaded=False)
        if update is None and options.get("gsp_endpoint") is None:
            raise ConfigError(
                f"the engine at {config['STORE']} does not hold this build of the report; give "
                "its SPARQL Update or Graph Store endpoint with --store-update URL (and the "
                f"credentials in {USER_ENV} / {PASSWORD_ENV}) so it can be loaded"
            )
        if options.get("gsp_endpoint") is None and store.is_graph_store(update):
            store.gsp_endpoint = update
        started = time.monotonic()
        count = store.publish(nquads, checksum)
        seconds = time.monotonic() - started
        held = store.published()
        if held is None or held[0] != checksum:
            raise ConfigError(f"the engine at {config['STORE']} did not keep the build it was sent")
        return Published(checksum, held[1], held[2], True, count, seconds)
    finally:
        store.close()
