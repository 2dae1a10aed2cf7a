"""Counts for leads: where a project's queue stands."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from annotator.core.auth import Actor, require
from annotator.core.projects import get_project
from annotator.db.base import utcnow
from annotator.db.models import Assignment, Item, User

ACTIVE_WINDOW = timedelta(minutes=15)


@dataclass(frozen=True)
class QueueStatus:
    project: str
    items: int
    gold_items: int
    open_items: int  # items that still have a slot for someone
    done_by_model: int
    claimed: int  # live claims
    submitted: int  # waiting for review or auto-approval
    approved: int
    rejected: int
    expired: int
    conflicts: int
    active_annotators: list[str] = field(default_factory=list)


def queue_status(session: Session, actor: Actor, project_ref: str | int, *, now: datetime | None = None) -> QueueStatus:
    require(actor, "lead", "see queue status")
    now = now or utcnow()
    project = get_project(session, project_ref)
    item_counts = session.execute(
        select(
            func.count(),
            func.count().filter(Item.is_gold),
            func.count().filter(Item.open_slots > 0),
            func.count().filter(Item.done_by_model),
        ).where(Item.project_id == project.id)
    ).one()
    by_status = dict(
        session.execute(
            select(Assignment.status, func.count()).where(Assignment.project_id == project.id).group_by(Assignment.status)
        ).all()
    )
    from annotator.db.models import Conflict

    conflicts = session.scalar(
        select(func.count()).select_from(Conflict).where(Conflict.project_id == project.id, Conflict.resolved_at.is_(None))
    )
    active = session.scalars(
        select(User.name)
        .join(Assignment, Assignment.user_id == User.id)
        .where(
            Assignment.project_id == project.id,
            ((Assignment.status == "claimed") & (Assignment.lease_until >= now))
            | (Assignment.submitted_at >= now - ACTIVE_WINDOW),
        )
        .distinct()
        .order_by(User.name)
    ).all()
    return QueueStatus(
        project=project.name,
        items=item_counts[0],
        gold_items=item_counts[1],
        open_items=item_counts[2],
        done_by_model=item_counts[3],
        claimed=by_status.get("claimed", 0),
        submitted=by_status.get("submitted", 0),
        approved=by_status.get("approved", 0),
        rejected=by_status.get("rejected", 0),
        expired=by_status.get("expired", 0),
        conflicts=conflicts or 0,
        active_annotators=list(active),
    )
