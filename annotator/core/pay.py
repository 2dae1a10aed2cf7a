"""Pay (issue 20): a project's terms, bonuses, and how a period settles. Earnings follow the
review state: the database writes one for each assignment the moment it is first approved
(migration 0012), and nothing takes it away. For each period, a person's rewards divided by
their measured active hours may not fall below the project's floor: the shortfall is a top-up
owed, on their statement and in the lead's report."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_CEILING, Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from annotator.core import audit
from annotator.core.auth import Actor, require
from annotator.core.money import (
    MICROS, check_minor, currency_code, paid_out, period_bounds, period_of, to_decimal, to_micros,
)
from annotator.core.projects import get_project
from annotator.db.base import utcnow
from annotator.db.models import Membership, Project, User
from annotator.db.pay_models import PAY_PERIODS, Bonus, Earning, PaySettings
from annotator.errors import AnnotatorError


@dataclass(frozen=True)
class PayTerms:
    currency: str
    reward: Decimal  # per approved item; with `hourly`, ignored
    hourly: Decimal | None = None  # paid by the active hour instead
    estimate_seconds: int | None = None
    floor: Decimal | None = None  # per active hour
    bonus: Decimal | None = None  # per approved item in a period whose gold accuracy reaches bonus_min_gold
    bonus_min_gold: float | None = None
    period: str = "weekly"

    def per_hour_at(self, seconds: float) -> Decimal | None:
        """What an item taking `seconds` pays per hour: the rate a person sees before they start."""
        if self.hourly is not None:
            return self.hourly
        return None if not seconds else self.reward * 3600 / Decimal(str(seconds))


def _terms(row: PaySettings) -> PayTerms:
    optional = lambda micros: None if micros is None else to_decimal(micros)  # noqa: E731
    return PayTerms(row.currency, to_decimal(row.reward_micros), optional(row.hourly_micros), row.estimate_seconds,
                    optional(row.floor_micros), optional(row.bonus_micros), row.bonus_min_gold, row.period)


def pay_terms(session: Session, project_id: int) -> PayTerms | None:
    row = session.get(PaySettings, project_id)
    return _terms(row) if row else None


def paying_project(session: Session, project_ref: str | int) -> tuple[Project, PayTerms]:
    """The project and its pay terms; refused, saying how to set them, where it pays nothing."""
    project = get_project(session, project_ref)
    terms = pay_terms(session, project.id)
    if terms is None:
        raise AnnotatorError(f"{project.name} pays nothing: no pay is set for it "
                             f"(`annotator pay set {project.name} …`, or Pay in the project's dialog)")
    return project, terms


def set_pay(session: Session, actor: Actor, project_ref: str | int, *, currency: str, reward: str | Decimal = "0",
            hourly: str | Decimal | None = None, estimate_seconds: int | None = None,
            floor: str | Decimal | None = None, bonus: str | Decimal | None = None,
            bonus_min_gold: float | None = None, period: str = "weekly") -> PayTerms:
    """A project's pay from now on. Earnings already made keep the terms they were made under."""
    require(actor, "lead", "set a project's pay")
    project = get_project(session, project_ref)
    code = currency_code(currency)
    if period not in PAY_PERIODS:
        raise AnnotatorError(f"the pay period is one of {', '.join(PAY_PERIODS)}, not {period!r}")
    if estimate_seconds is not None and estimate_seconds <= 0:
        raise AnnotatorError(f"the estimated time per item should be a number of seconds above 0, not {estimate_seconds}")
    if bonus_min_gold is not None and not 0 <= bonus_min_gold <= 1:
        raise AnnotatorError(f"the bonus's gold accuracy is a fraction from 0 to 1, not {bonus_min_gold}")
    if (bonus is None) != (bonus_min_gold is None):
        raise AnnotatorError("a bonus rule needs both its amount per item and the gold accuracy that earns it")
    micros = lambda v, what: None if v is None else to_micros(v, what)  # noqa: E731
    row = session.get(PaySettings, project.id) or PaySettings(project_id=project.id)
    row.currency, row.reward_micros = code, to_micros(reward, "the reward per item")
    row.hourly_micros, row.estimate_seconds = micros(hourly, "the hourly rate"), estimate_seconds
    row.floor_micros, row.bonus_micros = micros(floor, "the minimum hourly rate"), micros(bonus, "the bonus per item")
    row.bonus_min_gold, row.period = bonus_min_gold, period
    session.add(row)
    session.flush()
    terms = _terms(row)
    audit.record(session, actor, "pay.terms", "project", project.id, currency=code, reward=str(terms.reward),
                 hourly=None if terms.hourly is None else str(terms.hourly), estimate_seconds=estimate_seconds,
                 floor=None if terms.floor is None else str(terms.floor),
                 bonus=None if terms.bonus is None else str(terms.bonus), bonus_min_gold=bonus_min_gold, period=period)
    return terms


def pay_bonus(session: Session, actor: Actor, user_name: str, project_ref: str | int, amount: str | Decimal, reason: str,
              *, period: str | None = None, now: datetime | None = None) -> int:
    """A lead's bonus to a member of their project, audited; in the current period unless named."""
    require(actor, "lead", "pay bonuses")
    now = now or utcnow()
    project, terms = paying_project(session, project_ref)
    if not reason or not reason.strip():
        raise AnnotatorError("a bonus needs a reason: the person reads it on their statement")
    user = session.scalar(select(User).where(User.name == user_name))
    if user is None or not _works_on(session, user.id, project.id):
        raise AnnotatorError(f"{user_name} is not a member of {project.name}; a bonus goes to someone who works on it")
    micros = to_micros(amount, "the bonus", positive=True)
    check_minor(to_decimal(micros), terms.currency, "the bonus")
    period = period or period_of(now, terms.period)
    period_bounds(period, now=now)  # a name it can settle, and not in the future
    bonus = Bonus(user_id=user.id, project_id=project.id, currency=terms.currency, amount_micros=micros,
                  reason=reason.strip(), period=period, paid_by=actor.id, created_at=now)
    session.add(bonus)
    session.flush()
    audit.record(session, actor, "pay.bonus", "project", project.id, user_id=user.id, user=user.name,
                 amount=str(to_decimal(micros)), currency=terms.currency, reason=bonus.reason, period=period)
    return bonus.id


def _works_on(session: Session, user_id: int, project_id: int) -> bool:
    """A member (on SQLite, whose memberships are made on first need, someone who has worked on it)."""
    from annotator.db.models import Assignment

    member = session.scalar(select(Membership.id).where(
        Membership.user_id == user_id, Membership.project_id == project_id).limit(1))
    return member is not None or session.scalar(select(Assignment.id).where(
        Assignment.user_id == user_id, Assignment.project_id == project_id).limit(1)) is not None


@dataclass(frozen=True)
class Settlement:
    """One person's pay on a project for a period. `total` is the sum of the four lines."""
    currency: str
    approved: int
    active_seconds: float
    rewards: Decimal
    bonuses: Decimal
    rule_bonus: Decimal
    top_up: Decimal
    gold_accuracy: float | None = None

    @property
    def total(self) -> Decimal:
        return self.rewards + self.bonuses + self.rule_bonus + self.top_up

    @property
    def hours(self) -> Decimal:
        return Decimal(str(round(self.active_seconds, 3))) / 3600

    def rate(self, *, with_top_up: bool = False) -> Decimal | None:
        """The effective hourly rate: rewards per measured active hour."""
        if not self.active_seconds:
            return None
        return (self.rewards + (self.top_up if with_top_up else 0)) / self.hours


def settle(terms: PayTerms, currency: str, approved: int, reward_micros: int, seconds: float, bonus_micros: int,
           gold_accuracy: float | None) -> Settlement:
    """The lines of a period's pay, each in the currency's minor unit, from the ledger's sums."""
    rewards = paid_out(reward_micros, currency)
    rule = Decimal(0)
    if terms.bonus and terms.bonus_min_gold is not None and gold_accuracy is not None \
            and gold_accuracy >= terms.bonus_min_gold:
        rule = paid_out(approved * int(terms.bonus * MICROS), currency)
    top_up = Decimal(0)
    if terms.floor:
        owed = terms.floor * Decimal(str(round(seconds, 3))) / 3600  # exact from whole milliseconds
        if owed > rewards:
            short = ((owed - rewards) * MICROS).to_integral_value(rounding=ROUND_CEILING)
            top_up = paid_out(int(short), currency, up=True)
    return Settlement(currency, approved, seconds, rewards, paid_out(bonus_micros, currency), rule, top_up, gold_accuracy)


def gold_accuracy(session: Session, actor: Actor, project_id: int, start: datetime, end: datetime) -> dict[int, float]:
    """Each person's gold accuracy over [start, end), for the bonus rule. An annotator's login on
    a team database asks the server's function (it may not see which items were gold); a lead's
    reads the scores, which the server lets them."""
    if session.get_bind().dialect.name == "postgresql" and not actor.has("lead"):
        rows = session.execute(select(func.pay_gold_accuracy(project_id, start, end).table_valued(
            "user_id", "accuracy", "scored"))).all()
        return {r.user_id: r.accuracy for r in rows}
    from annotator.db.models import Assignment

    rows = session.execute(select(Assignment.user_id, func.avg(Assignment.gold_score)).where(
        Assignment.project_id == project_id, Assignment.is_gold, Assignment.gold_score.is_not(None),
        Assignment.submitted_at >= start, Assignment.submitted_at < end).group_by(Assignment.user_id)).all()
    return dict(rows)


def ledger_sums(session: Session, project_id: int, start: datetime, end: datetime, user_id: int | None = None):
    """(user id, currency, approved items, reward micro-units, active seconds) per person."""
    query = (select(Earning.user_id, Earning.currency, func.count(), func.sum(Earning.amount_micros),
                    func.sum(Earning.active_seconds))
             .where(Earning.project_id == project_id, Earning.earned_at >= start, Earning.earned_at < end)
             .group_by(Earning.user_id, Earning.currency))
    return session.execute(query if user_id is None else query.where(Earning.user_id == user_id)).all()


def bonus_sums(session: Session, project_id: int, period: str) -> dict[tuple[int, str], int]:
    rows = session.execute(select(Bonus.user_id, Bonus.currency, func.sum(Bonus.amount_micros))
                           .where(Bonus.project_id == project_id, Bonus.period == period)
                           .group_by(Bonus.user_id, Bonus.currency)).all()
    return {(u, c): int(m) for u, c, m in rows}
