"""What a person sees of their own pay: a statement per period (items submitted, approved,
pending and rejected, each rejection's comment; rewards, bonuses, top-up and total), today's
earnings in the workbench, and their effective hourly rate on each project in the picker. An
annotator reads only their own; on a team database the server's policies see to it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from annotator.core.auth import Actor, PermissionDenied
from annotator.core.money import period_bounds, period_of, to_decimal
from annotator.core.pay import (
    PayTerms, Settlement, bonus_sums, gold_accuracy, ledger_sums, pay_terms, paying_project, settle)
from annotator.db.base import utcnow
from annotator.db.models import Assignment, Item, Review, User
from annotator.db.pay_models import Bonus, Earning
from annotator.errors import AnnotatorError


@dataclass(frozen=True)
class Statement:
    user: str
    project: str
    period: str
    terms: PayTerms
    settlement: Settlement
    submitted: int
    pending: int
    rejected: int
    rejections: list[tuple[str, str]] = field(default_factory=list)  # (item, the lead's comment)
    bonus_lines: list[tuple[Decimal, str]] = field(default_factory=list)  # (amount, reason)


def statement(session: Session, actor: Actor, user_name: str, project_ref: str | int, period: str | None = None,
              *, now: datetime | None = None) -> Statement:
    now = now or utcnow()
    if user_name != actor.name and not actor.has("lead"):
        raise PermissionDenied(actor.name, f"read {user_name}'s statement", "lead")
    project, terms = paying_project(session, project_ref)
    user_id = session.scalar(select(User.id).where(User.name == user_name))
    if user_id is None:
        raise AnnotatorError(f"no user is named {user_name!r}")
    period = period or period_of(now, terms.period)
    start, end = period_bounds(period, now=now)
    sums = ledger_sums(session, project.id, start, end, user_id)
    approved, rewards, seconds = (sums[0][2], int(sums[0][3]), float(sums[0][4])) if sums else (0, 0, 0.0)
    bonuses = bonus_sums(session, project.id, period).get((user_id, terms.currency), 0)
    accuracy = gold_accuracy(session, actor, project.id, start, end).get(user_id) if terms.bonus else None
    mine = (Assignment.user_id == user_id, Assignment.project_id == project.id)
    handed = lambda *where: session.scalar(select(func.count()).select_from(Assignment).where(*mine, *where))  # noqa: E731
    in_period = (Assignment.submitted_at >= start, Assignment.submitted_at < end)
    rejected_rows = session.execute(
        select(Item.external_id, Review.comment).join(Assignment, Assignment.id == Review.assignment_id)
        .join(Item, Item.id == Assignment.item_id)
        .where(*mine, Assignment.status == "rejected", Review.decision == "reject",
               Review.created_at >= start, Review.created_at < end).order_by(Review.created_at)).all()
    bonus_rows = session.execute(select(Bonus.amount_micros, Bonus.reason).where(
        Bonus.user_id == user_id, Bonus.project_id == project.id, Bonus.period == period).order_by(Bonus.id)).all()
    return Statement(
        user_name, project.name, period, terms,
        settle(terms, terms.currency, approved, rewards, seconds, bonuses, accuracy),
        submitted=handed(*in_period), pending=handed(*in_period, Assignment.status == "submitted"),
        rejected=len(rejected_rows), rejections=[(r.external_id, r.comment) for r in rejected_rows],
        bonus_lines=[(to_decimal(m), reason) for m, reason in bonus_rows])


def paying_projects_of(session: Session, actor: Actor, user_name: str) -> list[str]:
    """The paying projects a person has worked on, by name."""
    from annotator.db.models import Project
    from annotator.db.pay_models import PaySettings

    if user_name != actor.name and not actor.has("lead"):
        raise PermissionDenied(actor.name, f"read {user_name}'s statement", "lead")
    worked = select(Assignment.project_id).join(User, User.id == Assignment.user_id).where(User.name == user_name)
    return list(session.scalars(select(Project.name).join(PaySettings, PaySettings.project_id == Project.id)
                                .where(Project.id.in_(worked)).order_by(Project.name)))


@dataclass(frozen=True)
class Today:
    currency: str
    earned: Decimal  # approved since midnight
    pending: int  # handed in today, waiting for review


def todays_pay(session: Session, actor: Actor, project_id: int, midnight: datetime) -> Today | None:
    """The workbench's line: what approved work earned since the desk's midnight, and what waits."""
    terms = pay_terms(session, project_id)
    if terms is None:
        return None
    earned = session.scalar(select(func.coalesce(func.sum(Earning.amount_micros), 0)).where(
        Earning.user_id == actor.id, Earning.project_id == project_id, Earning.earned_at >= midnight))
    pending = session.scalar(select(func.count()).select_from(Assignment).where(
        Assignment.user_id == actor.id, Assignment.project_id == project_id, Assignment.status == "submitted",
        Assignment.submitted_at >= midnight))
    return Today(terms.currency, to_decimal(int(earned)), pending)


@dataclass(frozen=True)
class MyPay:
    terms: PayTerms
    rate: Decimal | None  # rewards per active hour over the last 90 days, None before any approval


def my_pay(session: Session, actor: Actor, *, now: datetime | None = None) -> dict[int, MyPay]:
    """For the picker: each paying project's terms and this person's own effective hourly rate."""
    from annotator.db.pay_models import PaySettings

    since = (now or utcnow()) - timedelta(days=90)
    sums = {p: (int(m or 0), float(s or 0)) for p, m, s in session.execute(
        select(Earning.project_id, func.sum(Earning.amount_micros), func.sum(Earning.active_seconds))
        .where(Earning.user_id == actor.id, Earning.earned_at >= since).group_by(Earning.project_id))}
    found = {}
    for row in session.scalars(select(PaySettings)):
        micros, seconds = sums.get(row.project_id, (0, 0.0))
        rate = to_decimal(micros) * 3600 / Decimal(str(round(seconds, 3))) if seconds else None
        found[row.project_id] = MyPay(pay_terms(session, row.project_id), rate)
    return found
