"""Locate the ontology, shapes, data and queries shipped with the package.

A wheel carries them under ``spacekg/_resources`` (hatch force-include); an editable
install or a source checkout reads them from the repository's top level. Looking in
both places keeps one code path for users and developers.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGED = Path(__file__).resolve().parent / "_resources"
_CHECKOUT = Path(__file__).resolve().parents[2]


def resource_root() -> Path:
    """Directory holding ``ontology/``, ``shapes/``, ``data/`` and ``queries/``."""
    if (_PACKAGED / "ontology").is_dir():
        return _PACKAGED
    if (_CHECKOUT / "ontology").is_dir():
        return _CHECKOUT
    raise FileNotFoundError(
        "SpaceKG resources not found: neither the installed package nor a checkout holds ontology/"
    )


def ontology_files() -> list[Path]:
    return sorted((resource_root() / "ontology").glob("*.ttl"))


def shapes_files() -> list[Path]:
    return sorted((resource_root() / "shapes").glob("*.ttl"))


def data_files() -> list[Path]:
    root = resource_root() / "data"
    return sorted(p for p in root.rglob("*") if p.suffix in {".ttl", ".trig"})


def query_files() -> list[Path]:
    return sorted((resource_root() / "queries").glob("*.rq"))
