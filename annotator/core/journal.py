"""A local journal of answers not yet stored in the database. Written before a submit is sent
and removed once it is stored, so an answer survives a lost connection, a crash or a kill:
at the next start, whatever is still here is submitted again (submits are idempotent)."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Entry:
    assignment_id: int
    answer: dict[str, Any]
    active_seconds: float
    kind: str  # "submit" or "draft"


class Journal:
    def __init__(self, root: Path, database_url: str, user: str):
        key = hashlib.sha256(f"{database_url}|{user}".encode()).hexdigest()[:16]
        self.dir = root / "journal" / key  # made by the first write, on the worker


    def _path(self, assignment_id: int) -> Path:
        return self.dir / f"{assignment_id}.json"

    def write(self, entry: Entry) -> None:
        """Raises OSError when the folder cannot be written (read-only, full disk)."""
        self.dir.mkdir(parents=True, exist_ok=True)
        path = self._path(entry.assignment_id)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(entry.__dict__), encoding="utf-8")
        os.replace(tmp, path)  # atomic: a crash leaves the old entry or the new one, never half

    def clear(self, assignment_id: int) -> None:
        try:
            self._path(assignment_id).unlink(missing_ok=True)
        except OSError:  # kept, and sent again at the next log-in: submits are idempotent
            pass

    def pending(self) -> list[Entry]:
        entries = []
        if not self.dir.is_dir():
            return entries
        for path in sorted(self.dir.glob("*.json")):
            try:
                entries.append(Entry(**json.loads(path.read_text(encoding="utf-8"))))
            except (ValueError, TypeError):
                path.rename(path.with_suffix(".unreadable"))  # kept for a human, never deleted
        return entries
