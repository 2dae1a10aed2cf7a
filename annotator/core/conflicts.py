"""Conflicts: answers that could not be applied when they arrived (a lost lease, an item a lead
changed, an offline check-in against a slot someone else now holds). A lead sees them in the
review window and either accepts the answer or dismisses it with a reason. Until then they
stay; nothing anyone submitted is dropped."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from annotator.core import audit
from annotator.core.auth import Actor, require
from annotator.db.base import utcnow
from annotator.db.models import Assignment, Conflict, GoldAnswer, Item, Project, User
from annotator.errors import AnnotatorError, NotFound
from annotator.tasks import registry


@dataclass(frozen=True)
class ConflictRow:
    id: int
    project_id: int
    project: str
    item_id: int
    external_id: str
    user: str
    reason: str
    answer: dict[str, Any] | None
    active_seconds: float
    created_at: datetime
    resolved_at: datetime | None
    resolution: str | None


def list_conflicts(session: Session, actor: Actor, *, project_id: int | None = None, open_only: bool = True,
                   limit: int = 500) -> list[ConflictRow]:
    require(actor, "lead", "see conflicts")
    query = (
        select(Conflict, Project.name, Item.external_id, User.name)
        .join(Project, Project.id == Conflict.project_id)
        .join(Item, Item.id == Conflict.item_id)
        .join(User, User.id == Conflict.user_id)
        .order_by(Conflict.created_at.desc(), Conflict.id.desc())
        .limit(limit)
    )
    if project_id is not None:
        query = query.where(Conflict.project_id == project_id)
    if open_only:
        query = query.where(Conflict.resolved_at.is_(None))
    return [
        ConflictRow(c.id, c.project_id, project, c.item_id, external_id, user, c.reason, c.answer, c.active_seconds,
                    c.created_at, c.resolved_at, c.resolution)
        for c, project, external_id, user in session.execute(query)
    ]


def _open_conflict(session: Session, conflict_id: int) -> Conflict:
    conflict = session.get(Conflict, conflict_id, with_for_update=True)
    if conflict is None:
        raise NotFound(f"There is no conflict {conflict_id}.")
    if conflict.resolved_at is not None:
        raise AnnotatorError(f"Conflict {conflict_id} was already resolved: {conflict.resolution}.")
    return conflict


def accept_conflict(session: Session, actor: Actor, conflict_id: int, comment: str = "", *,
                    now: datetime | None = None) -> str:
    """Take the answer after all: it becomes the assignment's approved answer (or, when the
    assignment already has another answer, the lead's fix of it). Gold is scored as usual."""
    from annotator.core.queue import retake_slot
    from annotator.core.review import decide

    require(actor, "lead", "resolve conflicts")
    now = now or utcnow()
    conflict = _open_conflict(session, conflict_id)
    project = session.get(Project, conflict.project_id)
    kind = registry.get(project.kind)
    kind.validate_answer(project.config, conflict.answer)
    a = session.scalars(select(Assignment).where(Assignment.uid == conflict.assignment_uid).with_for_update()).one()
    if a.answer is not None and a.submitted_at is not None and a.submitted_at > conflict.created_at:
        # The same person answered again later, and that answer was accepted: the older one
        # kept here must never replace it.
        outcome = "superseded: a newer answer to the same assignment was accepted; it stays"
        _resolve(session, actor, conflict, outcome, now)
        return outcome
    if a.status in ("submitted", "approved") and a.answer is not None:
        a.status = "approved"
        decide(session, actor, a, project, "fix", comment or "accepted from a conflict", conflict.answer, now)
        outcome = "accepted as a fix of the answer already there"
    else:
        extra = "" if a.status == "claimed" or retake_slot(session, a.item_id) else " (beyond the item's overlap)"
        a.answer, a.draft, a.status = conflict.answer, None, "approved"
        a.active_seconds = max(a.active_seconds, conflict.active_seconds)
        a.submitted_at = a.submitted_at or conflict.created_at
        item = session.get(Item, a.item_id)
        if item.is_gold:
            gold = session.scalar(select(GoldAnswer.answer).where(GoldAnswer.item_id == item.id))
            a.gold_score, a.is_gold = float(kind.score(project.config, conflict.answer, gold)), True
        decide(session, actor, a, project, "approve", comment or "accepted from a conflict", None, now)
        if item.is_gold:
            from annotator.core.quality import after_gold_scored

            after_gold_scored(session, project, Actor.of(session.get(User, a.user_id)), now)
        outcome = "accepted" + extra
    _resolve(session, actor, conflict, outcome + (f": {comment}" if comment else ""), now)
    return outcome


def dismiss_conflict(session: Session, actor: Actor, conflict_id: int, comment: str, *, now: datetime | None = None) -> None:
    """Set the answer aside, with the reason (kept with the conflict and in the audit trail)."""
    require(actor, "lead", "resolve conflicts")
    if not comment or not comment.strip():
        raise AnnotatorError("Dismissing a conflict needs a comment: say why the answer is set aside.")
    conflict = _open_conflict(session, conflict_id)
    _resolve(session, actor, conflict, f"dismissed: {comment.strip()}", now or utcnow())


def _resolve(session: Session, actor: Actor, conflict: Conflict, resolution: str, now: datetime) -> None:
    conflict.resolved_at, conflict.resolved_by, conflict.resolution = now, actor.id, resolution
    audit.record(session, actor, "conflict.resolve", "conflict", conflict.id, resolution=resolution,
                 assignment_uid=conflict.assignment_uid)
