"""The competency questions shipped as ``queries/*.rq``, read with their header comments so
the SPARQL page can offer them as examples.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from spacekg import resources


@dataclass(frozen=True)
class Example:
    """A competency question: its number, title, question in both languages, the query."""

    slug: str
    title: str
    question_en: str
    question_zh: str
    source: str
    query: str

    def in_language(self, lang: str) -> Example:
        """The question with its labels in ``lang``: the filters that pick English names
        (``lang(?agency) = "en"``) pick ``lang``'s instead. Every labelled entity is named
        in both languages, so the rows are the same ones."""
        if lang == "en":
            return self
        query = _ENGLISH_NAMES.sub(lambda m: f'{m.group(1)}"{lang}"', self.query)
        return replace(self, query=query)


#: A filter keeping a variable's English names: ``lang(?agency) = "en"``.
_ENGLISH_NAMES = re.compile(r'(\blang\(\s*\?\w+\s*\)\s*=\s*)"en"', re.IGNORECASE)


def competency_questions(paths: Iterable[Path] | None = None) -> list[Example]:
    """The competency questions shipped in ``queries/*.rq`` with their header comments."""
    examples = []
    for path in paths if paths is not None else resources.query_files():
        text = path.read_text(encoding="utf-8")
        header: dict[str, str] = {}
        for line in text.splitlines():
            m = re.match(r"#\s*([a-z-]+):\s*(.*)", line)
            if m and m.group(1) not in header:
                header[m.group(1)] = m.group(2).strip()
        body = "\n".join(line for line in text.splitlines() if not line.startswith("#")).strip()
        examples.append(Example(path.stem, header.get("title", path.stem),
                                header.get("question-en", ""), header.get("question-zh", ""),
                                header.get("source", ""), body))
    return examples
