"""Who may write: bearer tokens, each with a name the audit log records (never the secret).

Tokens come from a file (one ``name:token`` per line) and the ``SPACEKG_WRITE_TOKENS``
setting (``name:token,name:token``); a request's ``Authorization: Bearer …`` is compared
in constant time.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from pathlib import Path

from spacekg.errors import ConfigError, Unauthorized, WriteForbidden


def parse_tokens(text: str, *, where: str) -> dict[str, str]:
    """``name:token`` entries (one per line, or separated by commas) → {token: name}.

    Blank lines and ``#`` comments are skipped. Raises ConfigError for an entry without a
    name or a token (the message never repeats the token).
    """
    tokens: dict[str, str] = {}
    for number, raw in enumerate(text.replace(",", "\n").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, token = line.partition(":")
        if not sep or not name.strip() or not token.strip():
            raise ConfigError(f"{where}, entry {number}: expected name:token")
        tokens[token.strip()] = name.strip()
    return tokens


def load_tokens(tokens_file: str | Path | None, env_value: str | None) -> dict[str, str]:
    """Write tokens from a file and/or the ``SPACEKG_WRITE_TOKENS`` value → {token: name}.

    Raises ConfigError when the file cannot be read or no token is configured at all.
    """
    tokens: dict[str, str] = {}
    if tokens_file:
        try:
            text = Path(tokens_file).read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"cannot read the tokens file {tokens_file}: {exc}") from exc
        tokens.update(parse_tokens(text, where=str(tokens_file)))
    if env_value:
        tokens.update(parse_tokens(env_value, where="SPACEKG_WRITE_TOKENS"))
    if not tokens:
        raise ConfigError(
            "writes are on but no token is configured: give --tokens-file FILE (lines "
            "name:token) or set SPACEKG_WRITE_TOKENS"
        )
    return tokens


def authorise(authorization: str | None, tokens: Mapping[str, str]) -> str:
    """The name of the token in an ``Authorization: Bearer …`` header.

    Raises Unauthorized when there is no bearer token, WriteForbidden when it is not one of
    ``tokens``. Every configured token is compared in constant time.
    """
    scheme, _, presented = (authorization or "").strip().partition(" ")
    if scheme.lower() != "bearer" or not presented.strip():
        raise Unauthorized("writing needs a bearer token: Authorization: Bearer <token>")
    presented = presented.strip()
    found = None
    for token, name in tokens.items():
        if hmac.compare_digest(token.encode(), presented.encode()):
            found = name
    if found is None:
        raise WriteForbidden("this token may not write")
    return found
