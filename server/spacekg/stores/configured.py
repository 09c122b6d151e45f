"""The store a configuration names, opened and loaded: shared by the server's workers and
its query processes, which must not import the web framework (they start on demand, and
Flask alone costs a tenth of a second to import)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
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
