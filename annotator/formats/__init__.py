"""Importers and exporters. Readers turn a source into `ItemRecord`s and raise `BadInput`
naming the file, the line or field, and what was expected."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from datetime import datetime
from typing import Any

from annotator.errors import BadInput


@dataclass(frozen=True)
class ImportedAnswer:
    """One person's answer, as a tool that had several annotators per item recorded it."""
    annotator: str  # as the source names them: an e-mail, a name or an id
    value: dict[str, Any]
    submitted_at: datetime | None = None
    seconds: float = 0.0  # the time they spent, as the source measured it
    where: str = ""  # the record's field, for error messages


@dataclass
class ItemRecord:
    external_id: str
    payload: dict[str, Any]
    file: str  # where it came from, for error messages
    line: int | None = None
    gold: dict[str, Any] | None = None
    priority: int = 0
    prediction: dict[str, Any] | None = None
    confidence: float | None = None
    # Payload fields holding media: local paths (absolute, as found), checked and hashed on import,
    # or http(s) URLs, fetched first.
    media: dict[str, Path | str] = field(default_factory=dict)
    size: tuple[int, int] | None = None  # the upright image's, once the import has checked it
    answers: list[ImportedAnswer] = field(default_factory=list)  # every annotator's, for --as answers


def _nul_field(value: Any, name: str) -> str | None:
    """The name of the first field under `value` whose text holds a NUL character."""
    if isinstance(value, str):
        return name if "\x00" in value else None
    if isinstance(value, dict):
        for key, inner in value.items():
            found = _nul_field(key, f"{name}.{key}" if name else str(key)) or _nul_field(inner, f"{name}.{key}" if name else str(key))
            if found:
                return found
    if isinstance(value, list):
        for i, inner in enumerate(value):
            found = _nul_field(inner, f"{name}[{i}]")
            if found:
                return found
    return None


def refuse_nul_characters(record: ItemRecord) -> None:
    """PostgreSQL cannot store a NUL character in text or JSON, and SQLite would keep it where no
    one sees it: refuse it, naming where it is, on both backends alike."""
    # A NUL shows in the repr as \x00 (C speed); only then is each field walked, to name it.
    if "\\x00" not in repr((record.external_id, record.payload, record.gold, record.prediction)):
        return
    parts = {"id": record.external_id, "": record.payload, "answer": record.gold, "prediction": record.prediction}
    for name, value in parts.items():
        field = _nul_field(value, name)
        if field:
            raise BadInput(record.file, "contains a NUL character (byte 0), which a text field cannot hold; "
                           "remove it and import again", line=record.line, field=field)
