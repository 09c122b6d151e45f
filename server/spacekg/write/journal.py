"""The curated writes' journal: one audit line (JSON) per write attempt and, for each
accepted write that changed something, its changeset — the added and the removed quads as
two N-Quads files under ``changesets/`` beside the log.

The gate (``write/gate.py``) writes it, fsyncing each line and file before it answers, so
an acknowledged write is on record; ``/changes`` and ``spacekg changes`` read it, even while
a server holds the store. A "committing" line without its outcome is a write a crash
interrupted: the gate settles it when it opens the store (``pending``).
"""

from __future__ import annotations

import json
import logging
import os
import re
import uuid
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pyoxigraph as ox

from spacekg.errors import GraphNotFound, InputError
from spacekg.stores import Store

log = logging.getLogger(__name__)

#: The audit log a writable on-disk store keeps beside its files.
AUDIT_LOG = "audit.jsonl"
#: A changeset's name: when it was written, and a random suffix.
CHANGESET_ID = re.compile(r"\d{8}T\d{12}Z-[0-9a-f]{8}")
HALVES = ("added", "removed")


def default_audit_log(store: Store) -> Path | None:
    """``audit.jsonl`` beside an on-disk store's files (None for an in-memory store)."""
    path = getattr(store, "path", None)
    return Path(path) / AUDIT_LOG if path is not None else None


class Journal:
    """The audit log at ``audit_log`` and its changesets; with no path, lines are only
    logged (an in-memory store keeps no history)."""

    def __init__(self, audit_log: Path | None) -> None:
        self.audit_log = audit_log

    @property
    def changes_dir(self) -> Path | None:
        return self.audit_log.parent / "changesets" if self.audit_log else None

    def audit(self, record: dict[str, object]) -> None:
        """Append ``record`` with the time, durably."""
        line = {"time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"), **record}
        text = json.dumps(line, ensure_ascii=False)
        log.info("write: %s", text)
        if self.audit_log is None:
            return
        self.audit_log.parent.mkdir(parents=True, exist_ok=True)
        with self.audit_log.open("a", encoding="utf-8") as handle:
            handle.write(text + "\n")
            handle.flush()
            os.fsync(handle.fileno())

    def record_changeset(self, added: set[ox.Quad], removed: set[ox.Quad]) -> str | None:
        """Write the added and removed quads as two N-Quads files; return the changeset id."""
        directory = self.changes_dir
        if directory is None:
            return None
        directory.mkdir(parents=True, exist_ok=True)
        name = f"{datetime.now(UTC):%Y%m%dT%H%M%S%fZ}-{uuid.uuid4().hex[:8]}"
        for kind, quads in zip(HALVES, (added, removed), strict=True):
            path = directory / f"{name}.{kind}.nq"
            data = ox.serialize(sorted(quads, key=str), format=ox.RdfFormat.N_QUADS) or b""
            with path.open("wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
        return name

    def records(self) -> list[dict[str, object]]:
        """Every audit record, oldest first. Raises InputError when the log is unreadable."""
        if self.audit_log is None or not self.audit_log.is_file():
            return []
        try:
            text = self.audit_log.read_text(encoding="utf-8")
        except OSError as exc:
            raise InputError(f"cannot read the audit log {self.audit_log}: {exc}") from exc
        out = []
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise InputError(f"{self.audit_log}, line {number}: not JSON ({exc})") from exc
        return out

    def changesets(self) -> list[dict[str, object]]:
        """Accepted writes that changed something, oldest first, as their audit records."""
        return [r for r in self.records()
                if r.get("outcome") == "accepted" and r.get("changeset")]

    def pending(self) -> dict[str, dict[str, object]]:
        """Changesets whose "committing" record has no outcome after it: a crash came
        between recording the changeset and applying it."""
        found: dict[str, dict[str, object]] = {}
        for record in self.records():
            name = record.get("changeset")
            if not name:
                continue
            if record.get("outcome") == "committing":
                found[str(name)] = record
            else:
                found.pop(str(name), None)
        return found

    def changeset_quads(self, name: str, kind: str) -> bytes:
        """The N-Quads of one changeset's ``added`` or ``removed`` half; GraphNotFound if none."""
        directory = self.changes_dir
        path = directory / f"{name}.{kind}.nq" if directory else None
        if path is None or not CHANGESET_ID.fullmatch(name) or kind not in HALVES \
                or not path.is_file():
            raise GraphNotFound(f"no changeset {name} {kind}", iri="")
        return path.read_bytes()


def changeset_lines(
    records: Iterable[dict[str, object]], quads: Callable[[str, str], bytes]
) -> Iterator[str]:
    """Every changeset in order as one JSON line: its audit record with its added and removed
    quads (N-Quads text in ``added_nquads`` / ``removed_nquads``): enough to replay them."""
    for record in records:
        name = str(record["changeset"])
        line = {
            **record,
            "added_nquads": quads(name, "added").decode("utf-8"),
            "removed_nquads": quads(name, "removed").decode("utf-8"),
        }
        yield json.dumps(line, ensure_ascii=False, sort_keys=True) + "\n"


def changeset_table(records: Iterable[dict[str, object]]) -> str:
    """One line per changeset: time, id, token name, +added -removed, graphs."""
    lines = []
    for r in records:
        graphs = ", ".join(str(g) for g in r.get("graphs", []))  # type: ignore[attr-defined]
        lines.append(f"{r.get('time', '')}  {r.get('changeset', '')}  {r.get('token_name', '')}"
                     f"  +{r.get('added', 0)} -{r.get('removed', 0)}  {graphs}\n")
    return "".join(lines)
