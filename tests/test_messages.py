"""The interface's words: one catalogue per language (``spacekg/messages/<lang>.json``), the
same entries in each, and every entry the templates and scripts name present in it (a
missing one would print nothing in a template)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "server" / "spacekg"
CATALOGUES = {lang: json.loads((PACKAGE / "messages" / f"{lang}.json").read_text("utf-8"))
              for lang in ("en", "zh")}
TEMPLATES = sorted((PACKAGE / "templates").glob("*.html"))
SCRIPTS = sorted((PACKAGE / "static").glob("*.js"))


def test_both_catalogues_hold_the_same_entries() -> None:
    assert set(CATALOGUES["en"]) == set(CATALOGUES["zh"])
    empty = [k for lang, cat in CATALOGUES.items() for k, v in cat.items() if not v.strip()]
    assert not empty


def test_chinese_entries_are_chinese() -> None:
    """A zh entry that is the English text again was never translated (names such as GET,
    cURL, Turtle and format-only entries aside)."""
    same = [k for k, v in CATALOGUES["zh"].items()
            if v == CATALOGUES["en"][k] and re.search(r"[a-z]{3}", v)
            and k not in {"yasgui:cURL"}]
    assert not same


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.name)
def test_every_entry_a_template_names_exists(path: Path) -> None:
    text = path.read_text("utf-8")
    named = set(re.findall(r"\bui\.([a-z_][a-z0-9_]*)\b", text))
    named |= set(re.findall(r"\bui\['([^']+)'\]", text))
    named -= {"get"}
    assert not named - set(CATALOGUES["en"]), path.name


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.name)
def test_templates_take_their_words_from_the_catalogue(path: Path) -> None:
    """No sentence spelled in both languages inside a template: ``'…' if lang == 'en' else
    '…'`` would be a second catalogue."""
    text = path.read_text("utf-8")
    assert not re.search(r"'[^']*[A-Za-z]{3}[^']*'\s+if lang == 'en' else", text)
    assert not re.search(r"\{%\s*if lang == 'zh'\s*%\}\s*<", text)


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: p.name)
def test_every_entry_a_script_names_exists(path: Path) -> None:
    named = set(re.findall(r"\bt\(\"([a-z_][a-z0-9_]*)\"", path.read_text("utf-8")))
    named |= set(re.findall(r"spacekgT\(\"([a-z_][a-z0-9_]*)\"", path.read_text("utf-8")))
    assert not named - set(CATALOGUES["en"]), path.name
