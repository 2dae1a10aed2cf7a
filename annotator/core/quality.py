"""Quality: gold accuracy, qualification, and pausing users who fall below a project's bar."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from annotator.core import audit
from annotator.core.auth import Actor
from annotator.db.models import Assignment, Item, Membership, Project

RECENT_GOLD = 20


@dataclass(frozen=True)
class GoldAccuracy:
    recent: float | None  # mean score over the last RECENT_GOLD gold items
    lifetime: float | None
    scored: int


def gold_accuracy(session: Session, user_id: int, project_id: int) -> GoldAccuracy:
    scores = session.scalars(
        select(Assignment.gold_score)
        .where(Assignment.user_id == user_id, Assignment.project_id == project_id, Assignment.gold_score.is_not(None))
        .order_by(Assignment.submitted_at.desc(), Assignment.id.desc())
    ).all()
    if not scores:
        return GoldAccuracy(None, None, 0)
    recent = scores[:RECENT_GOLD]
    return GoldAccuracy(sum(recent) / len(recent), sum(scores) / len(scores), len(scores))


def after_gold_scored(session: Session, project: Project, actor: Actor, now: datetime) -> None:
    """Refresh the cached accuracy; pause the user when it falls below the project's minimum
    once enough gold items are scored. Every pause is audited."""
    accuracy = gold_accuracy(session, actor.id, project.id)
    membership = session.scalars(
        select(Membership).where(Membership.user_id == actor.id, Membership.project_id == project.id)
    ).one()
    membership.gold_accuracy = accuracy.recent
    minimum = project.min_gold_accuracy
    if (
        minimum is not None
        and membership.state == "active"
        and accuracy.scored >= project.min_scored_items
        and accuracy.recent is not None
        and accuracy.recent < minimum
    ):
        membership.state = "paused"
        membership.since = now
        membership.reason = (
            f"gold accuracy {accuracy.recent:.0%} over the last {min(accuracy.scored, RECENT_GOLD)} gold items "
            f"is below the project's minimum of {minimum:.0%}"
        )
        audit.record(session, actor, "membership.pause", "membership", membership.id,
                     user_id=actor.id, project_id=project.id, reason=membership.reason)


def qualification_status(session: Session, user_id: int, project: Project) -> tuple[bool, str]:
    """Has the user passed the project's qualification project (training → exam)?"""
    qual = session.get(Project, project.qualification_project_id)
    needed = project.qualification_min_accuracy or 0.0
    gold_items = session.scalar(select(func.count()).select_from(Item).where(Item.project_id == qual.id, Item.is_gold))
    required = max(1, min(qual.min_scored_items, gold_items or 1))
    accuracy = gold_accuracy(session, user_id, qual.id)
    if accuracy.scored < required:
        return False, (
            f"{project.name} requires passing {qual.name} first: answer at least {required} of its test items "
            f"(you have {accuracy.scored}) with {needed:.0%} accuracy."
        )
    if (accuracy.lifetime or 0.0) < needed:
        return False, (
            f"{project.name} requires {needed:.0%} accuracy on {qual.name}; you have {accuracy.lifetime:.0%}."
        )
    return True, ""
