"""The data model of DESIGN §3. Statuses and roles are short strings guarded by CHECK constraints,
which read the same in both backends and in raw SQL."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Optional

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from annotator.db.base import Base, JSONType, UTCDateTime, time_ordered_uid, utcnow
from annotator.roles import ROLES

ASSIGNMENT_STATUSES = ("claimed", "submitted", "approved", "rejected", "expired", "released")
# Statuses that hold one of an item's overlap slots.
LIVE_STATUSES = ("claimed", "submitted", "approved")
REVIEW_POLICIES = ("none", "sample", "all")
REVIEW_DECISIONS = ("approve", "reject", "fix")
MEMBERSHIP_STATES = ("active", "paused")
MEDIA_FAULT_KINDS = ("missing", "mismatch")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _any_of(column: str, values: tuple[str, ...]) -> str:
    """_in's rule as comparisons joined by OR: SQLite checks an IN list by building a temporary
    index of its values each time, which a row written in every claim should not pay (0016)."""
    return " OR ".join(f"{column} = {v!r}" for v in values)


class User(Base):
    __tablename__ = "users"
    __table_args__ = (CheckConstraint(_in("role", ROLES), name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    # Deferred here and below: columns an annotator's login may not read on a team database
    # (docs/adr/0009), so that loading a row of theirs asks only for what they may see.
    password_hash: Mapped[str] = mapped_column(String(200), deferred=True)  # SQLite's; empty on PostgreSQL
    role: Mapped[str] = mapped_column(String(20), default="annotator")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Project(Base):
    __tablename__ = "projects"
    __table_args__ = (
        CheckConstraint(_in("review_policy", REVIEW_POLICIES), name="review_policy"),
        CheckConstraint("overlap >= 1", name="overlap_positive"),
        CheckConstraint("gold_rate >= 0 AND gold_rate <= 1", name="gold_rate_fraction"),
        # No INSERT … RETURNING: on a team database a lead's new project is theirs to see only
        # once the insert's trigger has made them its member, after RETURNING would check.
        {"implicit_returning": False},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(100))
    config: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    media_root: Mapped[Optional[str]] = mapped_column(Text)
    # s3://bucket/prefix or file:///folder: media objects keyed by sha256 (docs/adr/0012).
    media_store: Mapped[Optional[str]] = mapped_column(Text)
    overlap: Mapped[int] = mapped_column(Integer, default=1)
    lease_seconds: Mapped[int] = mapped_column(Integer, default=1800)
    offline_lease_seconds: Mapped[int] = mapped_column(Integer, default=7 * 24 * 3600)
    gold_rate: Mapped[float] = mapped_column(Float, default=0.0)
    min_gold_accuracy: Mapped[Optional[float]] = mapped_column(Float)
    min_approval_rate: Mapped[Optional[float]] = mapped_column(Float)
    min_scored_items: Mapped[int] = mapped_column(Integer, default=10)
    review_policy: Mapped[str] = mapped_column(String(20), default="none")
    review_sample: Mapped[float] = mapped_column(Float, default=0.0)
    auto_approve_seconds: Mapped[int] = mapped_column(Integer, default=3 * 24 * 3600)
    training_mode: Mapped[bool] = mapped_column(Boolean, default=False)
    qualification_project_id: Mapped[Optional[int]] = mapped_column(ForeignKey("projects.id"))
    qualification_min_accuracy: Mapped[Optional[float]] = mapped_column(Float)
    pixel_limit: Mapped[int] = mapped_column(Integer, default=178_956_970)
    spot_check_fraction: Mapped[float] = mapped_column(Float, default=0.05)
    # Counts the changes that can put an open item ahead of items already claimed: a slot given
    # back, items added, a new priority or confidence. A claim may start its search at the last
    # item its process took while this is unchanged (PostgreSQL; see docs/adr/0007).
    queue_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    instructions: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Item(Base):
    __tablename__ = "items"
    __table_args__ = (
        UniqueConstraint("project_id", "external_id"),
        CheckConstraint("open_slots >= 0", name="open_slots_nonnegative"),
        # The claim's index: only items with open slots are in it, in claim order, so the
        # claim reads the first entry whatever the project's size, and finished items drop out.
        Index(
            "ix_items_claim",
            "project_id",
            text("priority DESC"),
            "confidence",
            "id",
            postgresql_where=text("open_slots > 0"),
            sqlite_where=text("open_slots > 0"),
        ),
        Index(
            "ix_items_gold",
            "project_id",
            "id",
            postgresql_where=text("is_gold"),
            sqlite_where=text("is_gold"),
        ),
        Index("ix_items_project_sha", "project_id", "media_sha256"),
        # The answers a project needs (its items for humans): counted by an index-only scan.
        Index("ix_items_for_humans", "project_id", postgresql_where=text("NOT is_gold AND NOT done_by_model"),
              sqlite_where=text("NOT is_gold AND NOT done_by_model")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    external_id: Mapped[str] = mapped_column(String(500))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType)
    media_sha256: Mapped[Optional[str]] = mapped_column(String(64))
    # The upright image's size, read at import: an export needs no image to write it (migration 0011).
    width: Mapped[Optional[int]] = mapped_column(Integer)
    height: Mapped[Optional[int]] = mapped_column(Integer)
    priority: Mapped[int] = mapped_column(Integer, default=0)
    prediction: Mapped[Optional[dict[str, Any]]] = mapped_column(JSONType)
    # The model's confidence in its prediction, 0..1. Items with no prediction sort as the least
    # certain (confidence -1), so they come before anything the model has an opinion on.
    confidence: Mapped[float] = mapped_column(Float, default=-1.0)
    open_slots: Mapped[int] = mapped_column(Integer)
    is_gold: Mapped[bool] = mapped_column(Boolean, default=False, deferred=True)
    # Confident predictions accepted without a human (the --auto-accept-above path).
    done_by_model: Mapped[bool] = mapped_column(Boolean, default=False)
    # A confident prediction still sent to humans, to measure the model where it is sure.
    spot_check: Mapped[bool] = mapped_column(Boolean, default=False, deferred=True)
    # Bumped when a lead edits the item, so offline work against an older version is a conflict.
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    project: Mapped[Project] = relationship()


class GoldAnswer(Base):
    """Kept apart from items so no annotator code path reads it by accident."""

    __tablename__ = "gold_answers"

    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), primary_key=True)
    answer: Mapped[dict[str, Any]] = mapped_column(JSONType)


class Assignment(Base):
    __tablename__ = "assignments"
    __table_args__ = (
        UniqueConstraint("item_id", "user_id"),
        CheckConstraint(_any_of("status", ASSIGNMENT_STATUSES), name="status"),
        Index("ix_assignments_user_status", "user_id", "status"),
        Index("ix_assignments_project_status", "project_id", "status", "submitted_at"),
        # The review queue's order over all projects: a page by offset is an index-only walk.
        # Only handed-in work is in it, so a claim (the hot path) does not touch it.
        # On PostgreSQL it carries what a lead's row-level security reads (migration 0008).
        Index("ix_assignments_review", "status", "submitted_at", "id",
              postgresql_where=text("submitted_at IS NOT NULL"), sqlite_where=text("submitted_at IS NOT NULL"),
              postgresql_include=["project_id", "user_id"]),
        # Claims checked out in an offline bundle; the others (nearly all) are not in it.
        Index("ix_assignments_bundle_id", "bundle_id", postgresql_where=text("bundle_id IS NOT NULL"),
              sqlite_where=text("bundle_id IS NOT NULL")),
        Index("ix_assignments_lease", "project_id", "lease_until", postgresql_where=text("status = 'claimed'"),
              sqlite_where=text("status = 'claimed'")),
        # Scored gold by when it was handed in: a pay period's gold accuracy (the bonus rule).
        Index("ix_assignments_gold_scored", "project_id", "submitted_at",
              postgresql_where=text("is_gold AND gold_score IS NOT NULL"),
              sqlite_where=text("is_gold AND gold_score IS NOT NULL"),
              postgresql_include=["user_id", "gold_score"]),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(36), unique=True, default=time_ordered_uid)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(20), default="claimed")
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    lease_until: Mapped[datetime] = mapped_column(UTCDateTime)
    submitted_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    reviewed_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    active_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    draft: Mapped[Optional[dict[str, Any]]] = mapped_column(JSONType)
    answer: Mapped[Optional[dict[str, Any]]] = mapped_column(JSONType)
    gold_score: Mapped[Optional[float]] = mapped_column(Float, deferred=True)
    is_gold: Mapped[bool] = mapped_column(Boolean, default=False, deferred=True)
    needs_review: Mapped[bool] = mapped_column(Boolean, default=False)
    # A skipped item is never offered to this user again; a released one may come back.
    skipped: Mapped[bool] = mapped_column(Boolean, default=False)
    offline: Mapped[bool] = mapped_column(Boolean, default=False)
    # The offline bundle this claim was checked out in (offline_bundles.id), if any.
    bundle_id: Mapped[Optional[str]] = mapped_column(String(36))


class Membership(Base):
    __tablename__ = "memberships"
    __table_args__ = (
        UniqueConstraint("user_id", "project_id"),
        CheckConstraint(_in("state", MEMBERSHIP_STATES), name="state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    state: Mapped[str] = mapped_column(String(20), default="active")
    reason: Mapped[str] = mapped_column(Text, default="")
    since: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    gold_accuracy: Mapped[Optional[float]] = mapped_column(Float)
    approval_rate: Mapped[Optional[float]] = mapped_column(Float)
    # Ordinary claims left before the next gold item. Reset to a jittered gap around
    # 1 / gold_rate after each gold item, so gold is spread evenly but not at a fixed period.
    gold_countdown: Mapped[int] = mapped_column(Integer, default=0, deferred=True)


class Review(Base):
    __tablename__ = "reviews"
    __table_args__ = (CheckConstraint(_in("decision", REVIEW_DECISIONS), name="decision"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id", ondelete="CASCADE"), index=True)
    reviewer_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    decision: Mapped[str] = mapped_column(String(20))
    comment: Mapped[str] = mapped_column(Text, default="")
    fixed_answer: Mapped[Optional[dict[str, Any]]] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Conflict(Base):
    """An answer that could not be applied. Kept until a lead resolves it: nothing is dropped."""

    __tablename__ = "conflicts"

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_uid: Mapped[str] = mapped_column(String(36), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    answer: Mapped[Optional[dict[str, Any]]] = mapped_column(JSONType)
    active_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    resolved_by: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    resolution: Mapped[Optional[str]] = mapped_column(Text)


class MediaFault(Base):
    """An item whose store object could not be had as imported: missing, or bytes that do not
    match its hash. Reported by the desktop that met it, or by `annotator media verify`; listed
    in the lead's queue status until a verify finds the object whole again."""

    __tablename__ = "media_faults"
    __table_args__ = (
        CheckConstraint(_in("kind", MEDIA_FAULT_KINDS), name="kind"),
        # One open fault per item and kind: a second report counts, it adds no row.
        Index("ux_media_faults_open", "item_id", "kind", unique=True,
              postgresql_where=text("resolved_at IS NULL"), sqlite_where=text("resolved_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"))
    sha256: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(20))
    detail: Mapped[str] = mapped_column(Text)  # which object, where, and what was wrong
    reported_by: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reports: Mapped[int] = mapped_column(Integer, default=1)
    resolved_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)


class Consensus(Base):
    __tablename__ = "consensus"
    __table_args__ = (UniqueConstraint("item_id", "method"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"))
    method: Mapped[str] = mapped_column(String(50))
    answer: Mapped[dict[str, Any]] = mapped_column(JSONType)
    confidence: Mapped[float] = mapped_column(Float)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AuditEvent(Base):
    """Append-only: triggers in the migration refuse UPDATE and DELETE on both backends."""

    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_entity", "entity_type", "entity_id"),
        # No index on `at`: the trail is read newest first by id, which follows time (migration 0004).
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[Optional[int]] = mapped_column(Integer)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(100))  # filtered with LIKE, which no plain index serves
    entity_type: Mapped[str] = mapped_column(String(50))
    entity_id: Mapped[Optional[str]] = mapped_column(String(100))
    details: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    # On PostgreSQL a trigger sets it from what the event names (migration 0008), except in the
    # queue's own claim and submit events, which name it themselves (0014); a lead's row-level
    # security reads it. SQLite leaves it empty.
    project_id: Mapped[Optional[int]] = mapped_column(Integer)


class DatabaseInfo(Base):
    """One row: this database's identity, so an offline bundle can tell where it came from.
    Created on first use (see core.offline.identity), not by the migration."""

    __tablename__ = "database_info"

    id: Mapped[int] = mapped_column(primary_key=True)  # always 1
    database_id: Mapped[str] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class OfflineBundle(Base):
    """A checkout (DESIGN §5). In the team database, one row per bundle handed out: its
    manifest digest is what a check-in is verified against. In a bundle, one row describing
    the bundle itself, which is how the app knows it is working offline."""

    __tablename__ = "offline_bundles"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    source_database_id: Mapped[str] = mapped_column(String(36))
    source_url: Mapped[str] = mapped_column(Text, default="")  # a hint for check-in; never a password
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    lease_until: Mapped[datetime] = mapped_column(UTCDateTime)
    item_count: Mapped[int] = mapped_column(Integer)
    manifest_sha256: Mapped[str] = mapped_column(String(64))
    checked_in_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    revoked_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    revoked_by: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))


class BundleMedia(Base):
    """Media files inside a bundle, so it works with no access to the media root. Empty in a
    team database."""

    __tablename__ = "bundle_media"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(300))  # the file name it is unpacked under
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)

from annotator.db import pay_models as pay_models  # noqa: E402,F401  (their tables are the same metadata)
