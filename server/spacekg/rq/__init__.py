"""SPARQL the server needs, one .rq file per query, loaded by name."""

from __future__ import annotations

from functools import cache
from importlib.resources import files


@cache
def load_query(name: str) -> str:
    """Text of ``spacekg/rq/<name>.rq``; raises FileNotFoundError for an unknown name."""
    return (files(__package__) / f"{name}.rq").read_text(encoding="utf-8")
