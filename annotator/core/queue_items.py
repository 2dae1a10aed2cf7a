"""What the queue hands a client: the claimed item, and what became of a submitted answer. Shared
by the SQLite queue (queue.py) and the server's (queue_pg.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class ShownItem:
    """What a kind's widget shows of an item: the workbench's claim or the review window's
    handed-in work alike."""

    external_id: str
    payload: dict[str, Any]
    config: dict[str, Any]
    draft: dict[str, Any] | None  # the answer to start from
    prediction: dict[str, Any] | None = None
    confidence: float | None = None
    media_root: str | None = None
    pixel_limit: int = 178_956_970
    media_error: str = ""


@dataclass(frozen=True)
class ClaimedItem:
    """What an annotator's client gets. Deliberately nothing that tells a gold item apart."""

    assignment_id: int
    assignment_uid: str
    project_id: int
    project_name: str
    kind: str
    config: dict[str, Any]
    instructions: str
    media_root: str | None
    external_id: str
    payload: dict[str, Any]
    prediction: dict[str, Any] | None
    confidence: float | None
    draft: dict[str, Any] | None
    active_seconds: float
    claimed_at: datetime
    lease_until: datetime
    pixel_limit: int = 178_956_970  # images over it are refused with a message, not decoded
    # Why this desktop cannot show the item's media from its project's store (missing, changed,
    # the store away): shown in place of the media, and Skip still works.
    media_error: str = ""
    media_unreachable: bool = False  # the store did not answer: the workbench tries again later

    def shown(self) -> ShownItem:
        return ShownItem(self.external_id, self.payload, self.config, self.draft, self.prediction, self.confidence,
                         self.media_root, self.pixel_limit, self.media_error)


@dataclass(frozen=True)
class SubmitOutcome:
    assignment_id: int
    accepted: bool
    status: str  # submitted, approved, or conflict
    conflict_id: int | None = None
    message: str = ""
    # Shown after a gold item in training mode; None otherwise (the annotator never learns
    # which items were gold unless the project is in training mode).
    correct_answer: dict[str, Any] | None = None
    score: float | None = None
