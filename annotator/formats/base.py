"""What every format module works with: the items an export streams to a writer, and the notes
a reader makes of what it took in only in part (a polygon kept as its box, say), which the
import reports."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Answer:
    value: dict[str, Any]
    annotator: str | None = None  # None: the consensus, or a lead's gold


@dataclass(frozen=True)
class ExportItem:
    external_id: str
    name: str  # the media's original file name (or the item's id for text): what the file calls it
    payload: dict[str, Any]
    media: Path | None  # this desktop's copy of the media, when the format needs sizes or bytes
    size: tuple[int, int]  # the upright image's width and height; (0, 0) for no image
    answers: list[Answer] = field(default_factory=list)
    prediction: dict[str, Any] | None = None  # what the item came in with: a model's, or a subtitle file's


class ImportNotes:
    """What a reader took in only in part, counted, for the import's report."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()

    def count(self, what: str, n: int = 1) -> None:
        self.counts[what] += n

    def lines(self) -> list[str]:
        return [f"{n:,} {what}" for what, n in sorted(self.counts.items())]
