"""The reader's language: choosing it from a request's hints, putting the site's few stored
English phrases into Chinese, showing one language with the other a click away, and ordering
names by the numbers they hold in either script.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from functools import cache
from importlib import resources

from rdflib import Literal

LANGUAGES = ("en", "zh")


@cache
def messages(lang: str) -> dict[str, str]:
    """The interface strings of ``lang``: one catalogue per language
    (``spacekg/messages/<lang>.json``), read by the templates and, as JSON in every page, by
    the scripts. The data carries its own labels; these are the site's words around them."""
    text = resources.files("spacekg").joinpath("messages", f"{lang}.json").read_text("utf-8")
    return dict(json.loads(text))

def choose_language(explicit: str | None, cookie: str | None, accept_language: str | None) -> str:
    """``en`` or ``zh``: an explicit choice (``?lang=``), else the cookie, else the best of
    Accept-Language (q-values honoured; ``zh-CN``, ``zh-Hans`` count as zh), else English."""
    for value in (explicit, cookie):
        if value and value.lower()[:2] in LANGUAGES:
            return value.lower()[:2]
    best, best_q = "en", 0.0
    for order, item in enumerate((accept_language or "").split(",")):
        tag, _, params = item.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        code = tag.strip().lower()[:2]
        if code in LANGUAGES and q - order * 1e-6 > best_q:
            best, best_q = code, q - order * 1e-6
    return best


#: The download listing's English descriptions and the catalogue entry saying each in the
#: reader's language (``{0}``, ``{1}``: the groups).
_DOWNLOAD_TITLES = [
    (r"^All named graphs \((.*)\)$", "dl_all_graphs"),
    (r"^Union of all graphs \((.*)\)$", "dl_union"),
    (r"^JSON-LD @context of the dumps$", "dl_context"),
    (r"^Entity graph, (\d+) nodes, (\d+) edges \(GraphML\)$", "dl_entity_graphml"),
    (r"^Entity graph, (\d+) nodes, (\d+) edges \(GEXF, for Gephi\)$", "dl_entity_gexf"),
    (r"^Partnership network, (\d+) agents, (\d+) weighted edges \(GraphML\)$",
     "dl_partners_graphml"),
    (r"^Partnership network, (\d+) agents, (\d+) weighted edges \(GEXF, for Gephi\)$",
     "dl_partners_gexf"),
    (r"^Table: Partnership, (\d+) partnerships with .* \(CSV\)$", "dl_partners_table"),
    (r"^Table: (\w+) \(CSV\)$", "dl_table"),
]


def localise_download_title(title: str, lang: str,
                            class_label: Callable[[str], str] | None = None) -> str:
    """A download's description in the reader's language (the listing stores English);
    ``class_label`` names a table's class (its local name) in that language."""
    for pattern, key in _DOWNLOAD_TITLES:
        match = re.match(pattern, title)
        if match:
            groups = list(match.groups())
            if key == "dl_table" and class_label is not None:
                groups = [class_label(groups[0])]
            return messages(lang)[key].format(*groups)
    return title


_HAN = re.compile(r"[\u3400-\u9fff]")
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")


def text_lang(text: str, lang: str) -> str:
    """The language a label shown on a ``lang`` page is in: on a Chinese page, a name with
    Latin words and no Chinese character is the data's English (marked ``lang="en"``)."""
    if lang == "zh" and _LATIN_WORD.search(text) and not _HAN.search(text):
        return "en"
    return lang


def localise_source(text: str, lang: str) -> str:
    """A competency question's sources ("header, para 1, annex P2") in the reader's language."""
    if lang == "en":
        return text
    words = messages(lang)
    text = re.sub(r"\bpara (\d+)", lambda m: words["source_para"].format(m.group(1)), text)
    text = re.sub(r"\bannex\b", words["source_annex"], text)
    return text.replace("header", words["source_header"]).replace(", ", words["list_separator"])


def split_languages(values: Iterable[object], lang: str) -> tuple[list[object], list[object]]:
    """Values to show in a ``lang`` page and those one click away: a literal in the other
    language moves aside when the same list has one in ``lang`` (its translation or original);
    IRIs, untagged literals and lone texts stay shown."""
    items = list(values)

    def tag(v: object) -> str:
        value = v if isinstance(v, Literal) else getattr(v, "value", v)
        return ((value.language or "")[:2] if isinstance(value, Literal) else "")

    if not any(tag(v) == lang for v in items):
        return items, []
    shown = [v for v in items if tag(v) in ("", lang)]
    aside = [v for v in items if tag(v) not in ("", lang)]
    return shown, aside


_CJK_DIGITS = {c: i for i, c in enumerate("零一二三四五六七八九")}
#: A numeral with 十 (十, 十二, 二十三), or digits before 号/期/场 (七号, 四期, 二场).
_CJK_NUMERAL = re.compile(
    r"[零一二三四五六七八九]?十[一二三四五六七八九]?|[零一二三四五六七八九]+(?=[号期场])")


def _cjk_number(numeral: str) -> str:
    """一 → 1, 十二 → 12, 二十三 → 23: the mission and session numbers the report writes."""
    tens, _, units = numeral.rpartition("十")
    if "十" not in numeral:
        return "".join(str(_CJK_DIGITS[c]) for c in numeral)
    value = (_CJK_DIGITS.get(tens, 1) if tens else 1) * 10 + (_CJK_DIGITS.get(units, 0))
    return str(value)


def natural_key(text: str) -> str:
    """Sort key that orders numbers by value, Arabic or Chinese: Paragraph 7 before
    Paragraph 36, 阿尔忒弥斯二号 before 阿尔忒弥斯三号."""
    text = re.sub(_CJK_NUMERAL, lambda m: _cjk_number(m.group(0)), text.casefold())
    return re.sub(r"\d+", lambda m: m.group(0).zfill(8), text)
