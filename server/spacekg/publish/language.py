"""The reader's language: choosing it from a request's hints, putting the site's few stored
English phrases into Chinese, showing one language with the other a click away, and ordering
names by the numbers they hold in either script.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from rdflib import Literal

LANGUAGES = ("en", "zh")

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


_DOWNLOAD_TITLES_ZH = [
    (r"^All named graphs \((.*)\)$", r"全部命名图（\1）"),
    (r"^Union of all graphs \((.*)\)$", r"所有图的并集（\1）"),
    (r"^Entity graph, (\d+) nodes, (\d+) edges \((GraphML)\)$",
     r"实体图，\1 个节点，\2 条边（\3）"),
    (r"^Entity graph, (\d+) nodes, (\d+) edges \(GEXF, for Gephi\)$",
     r"实体图，\1 个节点，\2 条边（GEXF，供 Gephi 使用）"),
    (r"^Table: (.*) \(CSV\)$", r"表格：\1（CSV）"),
    (r"^JSON-LD context$", "JSON-LD 上下文"),
]


def localise_download_title(title: str, lang: str) -> str:
    """A download's description in the reader's language (the listing stores English)."""
    if lang == "zh":
        for pattern, replacement in _DOWNLOAD_TITLES_ZH:
            if re.match(pattern, title):
                return re.sub(pattern, replacement, title)
    return title


def localise_source(text: str, lang: str) -> str:
    """A competency question's sources ("header, para 1, annex P2") in the reader's language."""
    if lang != "zh":
        return text
    text = re.sub(r"\bpara (\d+)", r"第 \1 段", text)
    text = re.sub(r"\bannex\b", "附件", text)
    return text.replace("header", "报告标题页").replace(", ", "，")


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
