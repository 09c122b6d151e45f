"""The workshop's programme page: sessions in the report's order, their parts and
presentations, with who presented from where.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from spacekg.publish.linkeddata import Labels, labels_of, select
from spacekg.stores import Store


@dataclass
class Presentation:
    """A presentation: what the report summarises, who gave it, from where, which paragraph."""

    iri: str
    number: int
    presenters: list[str] = field(default_factory=list)
    countries: list[str] = field(default_factory=list)


@dataclass
class Session:
    """A session in the report's order, its parts and its presentations."""

    iri: str
    first: int
    parent: str | None = None
    presentations: list[Presentation] = field(default_factory=list)
    parts: list[Session] = field(default_factory=list)


def programme(store: Store) -> tuple[list[Session], dict[str, Labels]]:
    """The sessions (parts nested under their session) and the labels of everything named."""
    sessions: dict[str, Session] = {}
    talks: dict[tuple[str, str], Presentation] = {}
    for row in select(store, "programme"):
        iri = str(row["session"])
        session = sessions.get(iri)
        if session is None:
            session = sessions[iri] = Session(iri, int(row["first"]),
                                              str(row["parent"]) if "parent" in row else None)
        if "presentation" not in row:
            continue
        key = (iri, str(row["presentation"]))
        talk = talks.get(key)
        if talk is None:
            talk = talks[key] = Presentation(key[1], int(row["number"]))
            session.presentations.append(talk)
        for attr, var in (("presenters", "presenter"), ("countries", "country")):
            value = str(row[var]) if var in row else None
            if value and value not in getattr(talk, attr):
                getattr(talk, attr).append(value)
    top = []
    for session in sessions.values():
        parent = sessions.get(session.parent) if session.parent else None
        (parent.parts if parent else top).append(session)
    named = set(sessions) | {t.iri for t in talks.values()}
    for t in talks.values():
        named.update(t.presenters, t.countries)
    return top, labels_of(store, named)
