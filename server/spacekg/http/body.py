"""Reading a request body under the size limit, whatever its framing.

A declared ``Content-Length`` over the limit is refused before anything is read. A chunked
body has no declared length: Werkzeug's limited stream then *stops* at the limit, and the
first megabyte of an oversized update was executed as if it were the whole request. So the
body is read from the server's stream up to one byte past the limit, and that byte means 413.
"""

from __future__ import annotations

from flask import current_app, request

from spacekg.errors import RequestTooLarge


def read_body() -> bytes:
    """The request body; raises :class:`RequestTooLarge` past ``MAX_REQUEST_BYTES``."""
    limit = int(current_app.config["MAX_REQUEST_BYTES"])
    length = request.content_length
    if length is not None:
        if length > limit:
            raise RequestTooLarge(f"the request body is {length} bytes; the limit is {limit}")
        return request.get_data(cache=False)
    stream = request.environ.get("wsgi.input")
    if stream is None:
        return b""
    parts: list[bytes] = []
    size = 0
    while size <= limit:
        part = stream.read(limit + 1 - size)
        if not part:
            break
        parts.append(part)
        size += len(part)
    if size > limit:
        raise RequestTooLarge(f"the request body is over the {limit}-byte limit")
    return b"".join(parts)
