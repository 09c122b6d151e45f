"""Split a paragraph or annex clause of the report into its sentences (Chinese text).

A sentence is the unit a fact cites (``prov:wasDerivedFrom``), so the split must be exact and
repeatable: the sentences of a text tile it, in order, with no gap and no overlap, and each is
an exact substring at NIF 2.0 offsets (``nif:beginIndex``/``nif:endIndex``, counted in Unicode
code points, as Python indexes a ``str``). The rules (README, "Modelling"):

1. A sentence ends just after a full stop ``。``, ``！`` or ``？`` (or ASCII ``!``/``?``),
   together with the closing quotation marks or brackets right after it (``”’」』）)》``).
   An ASCII ``.`` never ends a sentence: it belongs to symbols (A/AC.105/1208) and numbers.
2. An end mark inside brackets or quotation marks (``（…）``, ``(…)``, ``“…”``, ``《…》``,
   ``「…」``) does not end the sentence around it.
3. ``；``, ``：`` and ``，`` never end a sentence: an enumeration (a)…(e) or an annex clause
   ending in ``；`` stays one sentence.
4. Text after the last end mark is a sentence of its own (an annex clause has no ``。``);
   a text with no end mark is one sentence.
5. Whitespace after an end mark stays with the sentence it follows, so sentences tile the text.

>>> [s.text for s in split_sentences("甲说。乙说“好。”丙（见 A/AC.105/1208。）；")]
['甲说。', '乙说“好。”丙（见 A/AC.105/1208。）；']
>>> [(s.begin, s.end) for s in split_sentences("一。二")]
[(0, 2), (2, 3)]
"""

from __future__ import annotations

from dataclasses import dataclass

END_MARKS = frozenset("。！？!?")
CLOSERS = frozenset("”’」』）)》")
OPENING = {"（": "）", "(": ")", "“": "”", "《": "》", "「": "」", "『": "』", "‘": "’"}


@dataclass(frozen=True)
class Sentence:
    """One sentence: its 1-based number in the text and its span ``text[begin:end]``."""

    number: int
    begin: int
    end: int
    text: str


def _boundaries(text: str) -> list[int]:
    """End offsets of the sentences of ``text`` (the last is always ``len(text)``)."""
    ends: list[int] = []
    waiting: list[str] = []  # closers of the brackets and quotes now open
    i = 0
    while i < len(text):
        char = text[i]
        if waiting and char == waiting[-1]:
            waiting.pop()
        elif char in OPENING:
            waiting.append(OPENING[char])
        elif char in END_MARKS and not waiting:
            i += 1
            while i < len(text) and (text[i] in CLOSERS or text[i].isspace()):
                i += 1
            if i < len(text):
                ends.append(i)
            continue
        i += 1
    return [*ends, len(text)]


def split_sentences(text: str) -> list[Sentence]:
    """The sentences of ``text`` in order; they tile it (see the module docstring)."""
    sentences, begin = [], 0
    for number, end in enumerate(_boundaries(text), start=1):
        sentences.append(Sentence(number, begin, end, text[begin:end]))
        begin = end
    return sentences
