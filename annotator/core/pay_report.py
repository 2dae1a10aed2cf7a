"""The lead's pay report for a project and period: one row per person and currency, for
payroll as a CSV, with each person's effective hourly rate against the floor; and Prolific's
"underpaying study" check: the project's median active time per approved item, at its reward,
implies an hourly rate below the floor; and the reward that would meet it."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_CEILING, Decimal
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from annotator.core import audit
from annotator.core.auth import Actor, require
from annotator.core.money import minor_unit, period_bounds, period_of
from annotator.core.pay import (
    PayTerms, Settlement, bonus_sums, gold_accuracy, ledger_sums, pay_terms, paying_project, settle)
from annotator.core.projects import get_project
from annotator.db.base import utcnow
from annotator.db.models import User
from annotator.db.pay_models import Earning

CSV_COLUMNS = ("period", "project", "person", "currency", "approved_items", "active_hours", "rewards", "bonuses",
               "rule_bonus", "top_up", "total", "effective_hourly_rate", "floor")


@dataclass(frozen=True)
class ReportRow:
    person: str
    settlement: Settlement


@dataclass(frozen=True)
class PayReport:
    project: str
    period: str
    terms: PayTerms
    rows: list[ReportRow]

    @property
    def total(self) -> dict[str, Decimal]:
        sums: dict[str, Decimal] = {}
        for row in self.rows:
            sums[row.settlement.currency] = sums.get(row.settlement.currency, Decimal(0)) + row.settlement.total
        return sums


def pay_report(session: Session, actor: Actor, project_ref: str | int, period: str | None = None,
               *, now: datetime | None = None) -> PayReport:
    require(actor, "lead", "see the pay report")
    now = now or utcnow()
    project, terms = paying_project(session, project_ref)
    period = period or period_of(now, terms.period)
    start, end = period_bounds(period, now=now)
    bonuses = bonus_sums(session, project.id, period)
    accuracy = gold_accuracy(session, actor, project.id, start, end) if terms.bonus else {}
    people = {}
    for user_id, currency, approved, micros, seconds in ledger_sums(session, project.id, start, end):
        people[(user_id, currency)] = (approved, int(micros), float(seconds))
    for key in bonuses:
        people.setdefault(key, (0, 0, 0.0))
    names = dict(session.execute(select(User.id, User.name).where(User.id.in_({u for u, _ in people}))).all())
    rows = [ReportRow(names.get(user_id, str(user_id)),
                      settle(terms, currency, approved, micros, seconds, bonuses.get((user_id, currency), 0),
                             accuracy.get(user_id)))
            for (user_id, currency), (approved, micros, seconds) in people.items()]
    rows.sort(key=lambda r: (r.person, r.settlement.currency))
    return PayReport(project.name, period, terms, rows)


def _money(value: Decimal | None) -> str:
    return "" if value is None else f"{value:f}"


def write_pay_csv(session: Session, actor: Actor, report: PayReport, out: Path) -> int:
    """The payroll CSV, written to a temporary name and renamed: no half file. Audited."""
    tmp = out.with_name(out.name + ".part")
    try:
        with tmp.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(CSV_COLUMNS)
            for row in report.rows:
                s, unit = row.settlement, minor_unit(row.settlement.currency)
                rate = s.rate(with_top_up=True)
                writer.writerow((report.period, report.project, row.person, s.currency, s.approved,
                                 f"{s.hours.quantize(Decimal('0.001')):f}", _money(s.rewards), _money(s.bonuses),
                                 _money(s.rule_bonus), _money(s.top_up), _money(s.total),
                                 _money(None if rate is None else rate.quantize(unit)), _money(report.terms.floor)))
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    tmp.replace(out)
    project = get_project(session, report.project)
    audit.record(session, actor, "pay.report", "project", project.id, period=report.period, path=str(out),
                 people=len(report.rows), total={c: str(t) for c, t in report.total.items()})
    return len(report.rows)


@dataclass(frozen=True)
class Underpaying:
    median_seconds: float
    implied_rate: Decimal
    floor: Decimal
    fair_reward: Decimal  # the smallest reward per item that meets the floor at the median time


def underpaying(session: Session, actor: Actor, project_ref: str | int) -> Underpaying | None:
    """The project's median active time per approved item at its reward, when that pays below
    the floor (Prolific's "underpaying study"). Paid by the hour, it never does."""
    require(actor, "lead", "check a project's pay")
    project = get_project(session, project_ref)
    terms = pay_terms(session, project.id)
    if terms is None or terms.floor is None or terms.hourly is not None:
        return None
    median = _median_seconds(session, project.id)
    if not median:
        return None
    implied = terms.reward * 3600 / Decimal(str(median))
    if implied >= terms.floor:
        return None
    fair = (terms.floor * Decimal(str(median)) / 3600).quantize(minor_unit(terms.currency), rounding=ROUND_CEILING)
    return Underpaying(median, implied, terms.floor, fair)


def _median_seconds(session: Session, project_id: int) -> float | None:
    """The middle of the project's times per approved item: PostgreSQL's percentile in one pass;
    SQLite, which has none, by OFFSET along ix_earnings_project_seconds."""
    from sqlalchemy import func

    where = Earning.project_id == project_id
    if session.get_bind().dialect.name == "postgresql":
        return session.scalar(select(func.percentile_cont(0.5).within_group(Earning.active_seconds)).where(where))
    count = session.scalar(select(func.count()).select_from(Earning).where(where))
    if not count:
        return None
    middle = session.scalars(select(Earning.active_seconds).where(where).order_by(Earning.active_seconds)
                             .offset((count - 1) // 2).limit(2 - count % 2)).all()
    return sum(middle) / len(middle)
