"""The pictures of the home page computed without Flask: triples per graph, entities per
class, the world map's countries and the participation charts.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from spacekg.namespaces import GRAPH
from spacekg.publish.language import messages, natural_key
from spacekg.publish.linkeddata import labels_of, local_name, select
from spacekg.publish.links import page_path
from spacekg.stores import Store


@dataclass(frozen=True)
class GraphFigure:
    name: str
    iri: str
    triples: int
    graphs: int = 1


def graph_figures(store: Store, lang: str = "en") -> list[GraphFigure]:
    """Triples per graph, the report's paragraph graphs summed as one row each kind (named
    in ``lang``)."""
    groups: dict[str, list[tuple[str, int]]] = {}
    for iri in store.graph_names():
        tail = iri[len(str(GRAPH)):] if iri.startswith(str(GRAPH)) else iri
        kind = tail.split("/")[0] if "/" in tail else tail
        groups.setdefault(kind, []).append((iri, store.triple_count(iri)))
    words = messages(lang)

    def name(kind: str) -> str:
        return words.get(f"graph_group_{kind}", kind)

    figures = []
    for kind, items in groups.items():
        if len(items) == 1 and kind not in ("para", "pp", "op"):
            figures.append(GraphFigure(name(kind), items[0][0], items[0][1]))
        else:
            figures.append(GraphFigure(name(kind), items[0][0],
                                       sum(n for _, n in items), len(items)))
    return sorted(figures, key=lambda f: -f.triples)


@dataclass(frozen=True)
class ClassFigure:
    iri: str
    label: str
    count: int


def class_figures(store: Store, lang: str) -> list[ClassFigure]:
    """Entities per asserted class, with the class labels in ``lang``."""
    rows = select(store, "ld-class-counts")
    labels = labels_of(store, [str(r["class"]) for r in rows])
    figures = []
    for row in rows:
        iri = str(row["class"])
        lab = labels.get(iri)
        figures.append(ClassFigure(iri, (lab.best(lang) if lab else None) or local_name(iri),
                                   int(row["n"])))
    return figures


#: The roles a country can have on the map, most specific first (its colour is the first).
#: A country is coloured by its first role here: the most specific thing the report says of it
#: (every payload provider and observation host is also a partner, so those come first).
MAP_ROLES = ("payload", "observation", "partner", "presenter", "represented")


@dataclass
class MapCountry:
    """A country drawn on the world map: where its page is, its M49 code, its roles."""

    iri: str
    path: str
    m49: str
    label: str
    roles: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, object]:
        return {"iri": self.iri, "path": self.path, "m49": self.m49, "label": self.label,
                "roles": self.roles}


@dataclass
class WorldMap:
    """What the map template needs: the countries as JSON for map.js, countries per role."""

    countries: list[MapCountry]

    @property
    def data(self) -> list[dict[str, object]]:
        return [c.as_json() for c in self.countries]

    @property
    def counts(self) -> dict[str, int]:
        return {role: sum(role in c.roles for c in self.countries) for role in MAP_ROLES}


def world_map(store: Store, lang: str) -> WorldMap:
    """The world map's countries in ``lang``."""
    return WorldMap(map_countries(store, lang))


def map_countries(store: Store, lang: str) -> list[MapCountry]:
    """Countries with their stated roles (``map-countries.rq``), labels in ``lang``."""
    found: dict[str, MapCountry] = {}
    for row in select(store, "map-countries"):
        iri = str(row["country"])
        country = found.get(iri)
        if country is None:
            country = found[iri] = MapCountry(iri, page_path(iri) or iri, str(row["m49"]), "")
        if str(row["role"]) not in country.roles:
            country.roles.append(str(row["role"]))
    labels = labels_of(store, list(found))
    for iri, country in found.items():
        lab = labels.get(iri)
        country.label = (lab.best(lang) if lab else None) or local_name(iri)
        country.roles.sort(key=MAP_ROLES.index)
    return sorted(found.values(), key=lambda c: natural_key(c.label))


#: Statistic kinds that count people (one chart); the others count countries or agencies.
PEOPLE_KINDS = {"RegisteredParticipants", "WomenParticipants", "OnlineParticipants",
                "OnsiteParticipants", "Speakers", "WomenSpeakers"}


@dataclass
class Figure:
    """One participation figure as the report states it: a count (maybe a lower bound) and/or
    a percentage, the paragraph that states it. ``width`` is only the bar's drawn length."""

    stat: str
    kind: str
    population: str
    paragraph: str
    number: int
    count: int | None = None
    lower_bound: bool = False
    percent: int | None = None
    width: float = 0.0


def participation_figures(store: Store, event: str, lang: str) -> dict[str, list[Figure]]:
    """The event's figures in two charts, ``people`` and ``other``, in paragraph order; bars
    are scaled to the largest count of their chart (a percentage-only figure to 100)."""
    found: dict[str, Figure] = {}
    populations: dict[str, dict[str, str]] = {}
    for row in select(store, "participation-figures", event=[event]):
        stat = str(row["stat"])
        pop = row["population"]
        populations.setdefault(stat, {})[getattr(pop, "language", None) or ""] = str(pop)
        if stat in found:
            continue
        qualifier = str(row.get("qualifier", ""))
        found[stat] = Figure(
            stat, local_name(str(row["kind"])), "", page_path(str(row["paragraph"])) or "",
            int(row["number"]),
            int(row["count"]) if "count" in row else None,
            qualifier.endswith("LowerBound"),
            int(row["percent"]) if "percent" in row else None)
    charts: dict[str, list[Figure]] = {"people": [], "other": []}
    for stat, figure in found.items():
        texts = populations[stat]
        figure.population = texts.get(lang) or texts.get("en") or next(iter(texts.values()))
        charts["people" if figure.kind in PEOPLE_KINDS else "other"].append(figure)
    for figures in charts.values():
        top = max((f.count for f in figures if f.count is not None), default=0)
        for f in figures:
            if f.count is not None and top:
                f.width = 100.0 * f.count / top
            elif f.percent is not None:
                f.width = float(f.percent)
    return charts
