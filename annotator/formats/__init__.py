"""Importers and exporters. Readers turn a source into `ItemRecord`s and raise `BadInput`
naming the file, the line or field, and what was expected."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


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
    # Payload fields holding local media paths (absolute, as found), checked and hashed on import.
    media: dict[str, Path] = field(default_factory=dict)
