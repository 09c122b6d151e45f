"""Result cache and ETags for a read-only dataset.

While the data does not change, the same query asked for the same format gets the same
bytes, so answers can be kept and revalidated. The key is the store's ``generation`` (which
changes with the data), the query's key text from :func:`spacekg.sparql.analyse` (its tokens,
whitespace folded only between them, so two queries the engine reads differently never share
a key), the protocol dataset, the negotiated format and the row limit; a new generation
empties the cache. Queries whose answers change from one evaluation to the next (``NOW()``,
``RAND()``, ``UUID()``, ``BNODE()``…) are neither cached nor given an ETag.

Every cache is bounded by bytes, its keys' bytes included: a key can be a 1 MB query text.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Generic, Protocol, TypeVar


@dataclass(frozen=True)
class CacheKey:
    generation: str
    query: str
    default_graphs: tuple[str, ...]
    named_graphs: tuple[str, ...]
    media_type: str
    max_rows: int | None

    @property
    def nbytes(self) -> int:
        """What the key costs to keep (its texts), for the cache's byte bound."""
        graphs = sum(len(g) for g in self.default_graphs + self.named_graphs)
        return len(self.query) + graphs + len(self.media_type) + 200

    @cached_property
    def etag(self) -> str:
        """Strong validator, equal in every worker process that holds the same data."""
        text = "\x1f".join(
            [
                self.generation,
                self.query,
                "\x1e".join(self.default_graphs),
                "\x1e".join(self.named_graphs),
                self.media_type,
                str(self.max_rows),
            ]
        )
        return '"' + hashlib.sha256(text.encode()).hexdigest()[:32] + '"'


def cache_key(
    generation: str,
    normalised_query: str,
    *,
    volatile: bool,
    default_graphs: Sequence[str],
    named_graphs: Sequence[str],
    media_type: str,
    max_rows: int | None,
) -> CacheKey | None:
    """The key for an answer, or None when the query's answer is not repeatable."""
    if volatile:
        return None
    return CacheKey(
        generation,
        normalised_query,
        tuple(default_graphs),
        tuple(named_graphs),
        media_type,
        max_rows,
    )


class _Keyed(Hashable, Protocol):
    generation: str

    @property
    def nbytes(self) -> int: ...


class _Sized(Protocol):
    body: bytes


K = TypeVar("K", bound=_Keyed)
V = TypeVar("V", bound=_Sized)


class ResultCache(Generic[K, V]):
    """LRU of answers (anything with a ``body``) under keys carrying the data ``generation``,
    bounded by entry count and by total bytes of answers and keys; thread-safe."""

    def __init__(self, *, max_entries: int = 1024, max_bytes: int = 64 * 1024 * 1024) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._entries: OrderedDict[K, V] = OrderedDict()
        self._bytes = 0
        self._generation: str | None = None
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: K) -> V | None:
        with self._lock:
            self._sync(key.generation)
            found = self._entries.get(key)
            if found is None:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return found

    def put(self, key: K, value: V) -> None:
        size = _size(key, value)
        if self.max_entries <= 0 or size > self.max_bytes // 8:
            return  # one entry may take at most an eighth of the cache
        with self._lock:
            self._sync(key.generation)
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= _size(key, old)
            self._entries[key] = value
            self._bytes += size
            while self._entries and (
                len(self._entries) > self.max_entries or self._bytes > self.max_bytes
            ):
                dropped_key, dropped = self._entries.popitem(last=False)
                self._bytes -= _size(dropped_key, dropped)

    @property
    def nbytes(self) -> int:
        """Bytes held (answers and keys), as counted against ``max_bytes``."""
        return self._bytes

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0

    def __len__(self) -> int:
        return len(self._entries)

    def _sync(self, generation: str) -> None:
        if generation != self._generation:
            self._entries.clear()
            self._bytes = 0
            self._generation = generation


def _size(key: _Keyed, value: _Sized) -> int:
    return key.nbytes + len(value.body)
