"""Form decoding (``http/protocol.decode_params``) reads what the standard library reads,
strictly UTF-8, whatever the bytes: it is the first thing every request goes through."""

from __future__ import annotations

import random
from urllib.parse import parse_qsl, quote, quote_plus

import pytest
from spacekg.errors import BadRequest
from spacekg.query.protocol import decode_params

ALPHABET = [
    *"ab=&+%\\x;/ 0189AFGafgz",
    "%2",
    "%zz",
    "%41",
    "%C3%A9",
    "%E2%82%AC",
    "é",
    "\\x41",
]


def reference(raw: bytes) -> list[tuple[str, str]] | str:
    try:
        return parse_qsl(raw.decode(), keep_blank_values=True, encoding="utf-8", errors="strict")
    except UnicodeDecodeError:
        return "not UTF-8"


def decoded(raw: bytes) -> list[tuple[str, str]] | str:
    try:
        return decode_params(raw, "form")
    except BadRequest as exc:
        assert "not valid UTF-8" in str(exc)
        return "not UTF-8"


@pytest.mark.parametrize("seed", range(40))
def test_random_forms_decode_as_parse_qsl_decodes_them(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(50):
        raw = "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 30))).encode()
        assert decoded(raw) == reference(raw), raw


def test_an_encoded_query_comes_back_exactly() -> None:
    query = 'SELECT * WHERE { ?s ?p "a\\\\b %41 + é €" } # 100%'
    for encode in (quote, quote_plus):
        raw = f"query={encode(query, safe='')}&default-graph-uri=&format".encode()
        assert decode_params(raw, "URL query string") == [
            ("query", query),
            ("default-graph-uri", ""),
            ("format", ""),
        ]


@pytest.mark.parametrize("raw", [b"query=%C3", b"query=%FF%FE", b"query=\xff", b"%80=x"])
def test_bytes_that_are_not_utf8_are_a_bad_request(raw: bytes) -> None:
    with pytest.raises(BadRequest, match="not valid UTF-8"):
        decode_params(raw, "URL query string")
