"""Pay (issue 20): a project's terms, the earnings ledger and bonuses. Money is whole
micro-units (a millionth of the currency's unit) in 64-bit integers: exact on both backends,
where SQLite would keep a NUMERIC as a float (docs/adr/0014)."""

from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import BigInteger, CheckConstraint, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from annotator.db.base import Base, UTCDateTime, utcnow

PAY_PERIODS = ("weekly", "monthly")


class PaySettings(Base):
    """What a project pays: a reward per approved item, or a rate per active hour; the estimated
    time an item takes; the floor no one's hourly pay may fall below; a bonus per approved item
    for a period whose gold accuracy reaches a threshold."""

    __tablename__ = "pay_settings"
    __table_args__ = (
        CheckConstraint("reward_micros >= 0", name="reward_not_negative"),
        CheckConstraint("hourly_micros IS NULL OR hourly_micros >= 0", name="hourly_not_negative"),
        CheckConstraint("floor_micros IS NULL OR floor_micros >= 0", name="floor_not_negative"),
        CheckConstraint("bonus_micros IS NULL OR bonus_micros >= 0", name="bonus_not_negative"),
        CheckConstraint("period IN ('weekly', 'monthly')", name="period"),
    )

    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True)
    currency: Mapped[str] = mapped_column(String(3))  # ISO 4217
    reward_micros: Mapped[int] = mapped_column(BigInteger, default=0)
    hourly_micros: Mapped[Optional[int]] = mapped_column(BigInteger)  # set: paid by the active hour instead
    estimate_seconds: Mapped[Optional[int]] = mapped_column(Integer)
    floor_micros: Mapped[Optional[int]] = mapped_column(BigInteger)  # per active hour
    bonus_micros: Mapped[Optional[int]] = mapped_column(BigInteger)  # per approved item, when the rule holds
    bonus_min_gold: Mapped[Optional[float]] = mapped_column(Float)
    period: Mapped[str] = mapped_column(String(10), default="weekly")


class Earning(Base):
    """One approved assignment's pay, written by the database itself (a trigger) the moment the
    assignment is first approved, whichever path approves it. Nothing updates or deletes it, so a
    later rejection takes nothing away; a second approval finds it there."""

    __tablename__ = "earnings"
    __table_args__ = (Index("ix_earnings_project_earned", "project_id", "earned_at", "user_id"),
                      Index("ix_earnings_user_earned", "user_id", "earned_at"),
                      # The median time per item, read by walking this index to its middle.
                      Index("ix_earnings_project_seconds", "project_id", "active_seconds"))

    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    currency: Mapped[str] = mapped_column(String(3))
    amount_micros: Mapped[int] = mapped_column(BigInteger)
    active_seconds: Mapped[float] = mapped_column(Float)  # the measured time it paid for
    earned_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Bonus(Base):
    """A bonus a lead paid a person on a project, with the reason they gave, for a pay period."""

    __tablename__ = "bonuses"
    __table_args__ = (CheckConstraint("amount_micros > 0", name="amount_positive"),
                      Index("ix_bonuses_project_period", "project_id", "period"))

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    currency: Mapped[str] = mapped_column(String(3))
    amount_micros: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(Text)
    period: Mapped[str] = mapped_column(String(10))  # 2026-W48 or 2026-11
    paid_by: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
