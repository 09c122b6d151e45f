"""SPARQL the code runs (build, stores, pages), kept in ``spacekg/queries/*.rq``, loaded by name.

Keeping queries in files lets them be read, tested and run by hand (``spacekg query -f``)
apart from the Python that uses them.
"""

from __future__ import annotations

from functools import cache
from importlib import resources


@cache
def load(name: str) -> str:
    """Text of ``spacekg/queries/{name}.rq``; raises FileNotFoundError for an unknown name."""
    return (resources.files("spacekg") / "queries" / f"{name}.rq").read_text(encoding="utf-8")
