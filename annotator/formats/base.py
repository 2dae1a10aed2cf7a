"""What every format module works with: the items an export streams to a writer, and the notes
a reader makes of what it took in only in part (a polygon kept as its box, say), which the
import reports."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from annotator.errors import BadInput


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


def unused_stem(folder: Path, stem: str, suffix: str) -> str:
    """`stem`, or `stem_2`, `stem_3`…: the first with no `suffix` file in `folder` yet. Two items
    of one file name (from different folders) get a file each in an export."""
    candidate, n = stem, 1
    while (folder / f"{candidate}{suffix}").exists():
        n += 1
        candidate = f"{stem}_{n}"
    return candidate


class ProjectLabels:
    """A project's labels, for the readers that check each box or choice of a file against them."""

    def __init__(self, labels: list[str]):
        self.names = list(labels)
        self._known = set(self.names)  # a file may hold a million boxes

    def require(self, label: str, file: Path | str, field: str, said: str | None = None) -> None:
        """A label the project lacks fails the import by field; `said` names it as the file does."""
        if label not in self._known:
            raise BadInput(str(file), f"{said or f'the label {label!r}'} is not one of the project's labels "
                           f"({', '.join(self.names)}); add it to the project or fix the file", field=field)


def parse_pairs(pairs: list[str], where: str, option: str, shape: str, example: str) -> dict[str, str]:
    """A repeatable `KEY=VALUE` option (`--map image=image_url`) as a dict, or one error naming it."""
    parsed = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise BadInput(where, f"{option} takes {shape}, as in {example}, not {pair!r}")
        parsed[key.strip()] = value.strip()
    return parsed
