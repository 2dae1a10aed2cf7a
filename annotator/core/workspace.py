"""What an annotator sees outside the item itself: the projects they can work on, with their
standing and their pay, and today's count and earnings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timezone

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from annotator.core.auth import Actor
from annotator.core.pay_statement import MyPay, my_pay, todays_pay
from annotator.core.quality import approval_rates
from annotator.db.base import utcnow
from annotator.db.models import Assignment, Item, Membership, Project


@dataclass(frozen=True)
class ProjectCard:
    project_id: int
    name: str
    kind: str
    instructions: str
    open_items: int
    my_done: int
    gold_accuracy: float | None
    approval_rate: float | None
    paused: bool
    paused_reason: str
    training_mode: bool = False
    lease_seconds: int = 1800
    media_root: str | None = None
    pay: MyPay | None = None  # the reward, the estimate and their own hourly rate; None: it pays nothing


def my_projects(session: Session, actor: Actor) -> list[ProjectCard]:
    """On a team database, the projects the server lets this login see: those they belong to or lead."""
    projects = session.scalars(select(Project).order_by(Project.name)).all()
    if session.get_bind().dialect.name == "postgresql":  # an annotator's login may not count items itself
        from annotator.core.queue_pg import driver, open_items

        open_counts = open_items(driver(session))
    else:
        open_counts = dict(session.execute(
            select(Item.project_id, func.count()).where(Item.open_slots > 0).group_by(Item.project_id)
        ).all())
    done = dict(session.execute(
        select(Assignment.project_id, func.count())
        .where(Assignment.user_id == actor.id, Assignment.status.in_(("submitted", "approved", "rejected")))
        .group_by(Assignment.project_id)
    ).all())
    pay = my_pay(session, actor)
    memberships = {m.project_id: m for m in session.scalars(select(Membership).where(Membership.user_id == actor.id))}
    cards = []
    for p in projects:
        m = memberships.get(p.id)
        cards.append(ProjectCard(
            p.id, p.name, p.kind, p.instructions, open_counts.get(p.id, 0), done.get(p.id, 0),
            m.gold_accuracy if m else None,  # kept up to date as gold is scored
            approval_rates(session, actor.id, p.id).lifetime if actor.id else None,
            bool(m and m.state == "paused"), m.reason if m and m.state == "paused" else "",
            p.training_mode, p.lease_seconds, p.media_root, pay.get(p.id),
        ))
    return cards


def local_midnight(now: datetime | None = None) -> datetime:
    """The start of this desk's day, in UTC: "today" is the annotator's own."""
    now = now or utcnow()
    return datetime.combine(now.astimezone().date(), time.min).astimezone(timezone.utc)


def today_count(session: Session, actor: Actor, *, now: datetime | None = None) -> int:
    return session.scalar(
        select(func.count()).select_from(Assignment)
        .where(Assignment.user_id == actor.id, Assignment.submitted_at >= local_midnight(now))
    ) or 0


def today_pay(session: Session, actor: Actor, project_id: int, *, now: datetime | None = None):
    """What this person's approved work on the project earned today (pay_statement.Today), or
    None where it pays nothing."""
    return todays_pay(session, actor, project_id, local_midnight(now))
