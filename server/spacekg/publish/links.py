"""Where a resource is shown: its page on this server, a link a page may make, and the
report's parts before and after a paragraph.
"""

from __future__ import annotations

from spacekg.namespaces import BASE, REPORT


def page_path(iri: str) -> str | None:
    """Path on this server where ``iri`` is shown (IRIs under the base), else None."""
    if iri.startswith(BASE + "ontology#"):
        return "/ontology#" + iri.split("#", 1)[1]
    if iri.startswith(BASE):
        return "/" + iri[len(BASE):]
    return None


#: Schemes an IRI may have to become a link on a page; ``javascript:``, ``data:`` and the
#: like are shown as text, never made clickable.
LINK_SCHEMES = ("http://", "https://", "mailto:")


def href_for(iri: str) -> str | None:
    """Where a link to ``iri`` points: its page here, the IRI itself when it is a web or
    mail address, else None (the IRI is shown as text)."""
    path = page_path(iri)
    if path is not None:
        return path
    return iri if iri.lower().startswith(LINK_SCHEMES) else None


#: The report's parts in reading order: paragraphs 1-46, then the annex's clauses P1-P11, O1-O7.
_REPORT_PARTS = ([f"para/{n}" for n in range(1, 47)] + [f"annex/pp/{n}" for n in range(1, 12)]
                 + [f"annex/op/{n}" for n in range(1, 8)])


def report_neighbours(iri: str) -> tuple[str | None, str | None]:
    """The paragraphs or clauses before and after ``iri`` in the report (None at either end,
    or for anything that is not a part of the report), so a reader can page through it."""
    prefix = str(REPORT) + "/"
    tail = iri[len(prefix):] if iri.startswith(prefix) else None
    if tail not in _REPORT_PARTS:
        return None, None
    i = _REPORT_PARTS.index(tail)
    before = prefix + _REPORT_PARTS[i - 1] if i > 0 else None
    after = prefix + _REPORT_PARTS[i + 1] if i + 1 < len(_REPORT_PARTS) else None
    return before, after
