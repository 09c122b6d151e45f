"""Countries: the codes in the registry agree with ISO 3166 as pycountry ships it."""

from __future__ import annotations

import pycountry
import pytest
from rdflib import RDF, Dataset, Literal, URIRef
from spacekg.namespaces import ID, REFERENCE_GRAPH, SKG

CODES = (("iso3166Alpha2", "alpha_2"), ("iso3166Alpha3", "alpha_3"), ("unM49", "numeric"))


def _countries(ds: Dataset) -> list[URIRef]:
    return sorted(s for s in ds.graph(REFERENCE_GRAPH).subjects(RDF.type, SKG.Country)
                  if isinstance(s, URIRef))


def test_registry_has_countries(asserted: Dataset) -> None:
    assert _countries(asserted)


def test_country_iris_use_iso_alpha3(asserted: Dataset) -> None:
    prefix = str(ID["country/"])
    bad = [str(c) for c in _countries(asserted)
           if not str(c).startswith(prefix)
           or pycountry.countries.get(alpha_3=str(c)[len(prefix):].upper()) is None]
    assert not bad, "country IRIs not id:country/{ISO alpha-3}:\n" + "\n".join(bad)


@pytest.mark.parametrize(("prop", "attr"), CODES)
def test_country_codes_agree_with_pycountry(asserted: Dataset, prop: str, attr: str) -> None:
    reference = asserted.graph(REFERENCE_GRAPH)
    prefix = str(ID["country/"])
    bad = []
    for country in _countries(asserted):
        entry = pycountry.countries.get(alpha_3=str(country)[len(prefix):].upper())
        values = [str(v) for v in reference.objects(country, SKG[prop])
                  if isinstance(v, Literal)]
        if entry is None or values != [getattr(entry, attr)]:
            bad.append(f"{country}: skg:{prop} {values}, ISO 3166 says "
                       f"{getattr(entry, attr, '?')!r}")
    assert not bad, "\n".join(bad)
