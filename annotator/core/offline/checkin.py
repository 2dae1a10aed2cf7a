"""Check in: bring a bundle's work into the team database, by assignment uid.

Idempotent: an answer already there, a draft already saved, a conflict already recorded are
each "unchanged", so a second check-in of the same bundle changes nothing. Work that can no
longer be applied (the lead revoked the checkout, a lead changed the item, someone else
holds the slot) becomes a Conflict for a lead. Gold items are scored here, and pauses follow,
exactly as if the work had been done online. One transaction: all of it lands, or none."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.exc import DatabaseError
from sqlalchemy.orm import Session

from annotator.core import audit
from annotator.core.auth import Actor, require
from annotator.core.offline.bundle import manifest_digest, this_bundle
from annotator.core.offline.identity import database_id
from annotator.core.queue import give_back_slots, submit_in_full, record_conflict
from annotator.db import Database
from annotator.db.base import utcnow
from annotator.db.models import Assignment, Conflict, Item, OfflineBundle, User
from annotator.errors import BundleRefused
from annotator.queue_rules import clamp_seconds


@dataclass
class CheckinReport:
    bundle_id: str
    user: str
    submitted: int = 0
    drafts_saved: int = 0
    unchanged: int = 0
    conflicts: int = 0
    released: int = 0
    not_started: int = 0
    deleted: int = 0  # items a lead deleted from the project meanwhile: there is nothing to apply them to
    conflict_reasons: list[str] = field(default_factory=list)

    @property
    def changed_nothing(self) -> bool:
        return not (self.submitted or self.drafts_saved or self.conflicts or self.released)

    def summary(self) -> str:
        if self.changed_nothing:
            held = (f"its {self.unchanged} answers and drafts are already in the database" if self.unchanged
                    else "it holds no answers or drafts yet")
            return f"Nothing changed: {held} ({self.not_started} items not started)."
        deleted = f", {self.deleted} for items deleted since the checkout" if self.deleted else ""
        return (f"{self.submitted} submitted, {self.drafts_saved} drafts saved, {self.unchanged} unchanged, "
                f"{self.conflicts} conflicts kept for a lead, {self.released} unfinished items given back, "
                f"{self.not_started} not started{deleted}.")


@dataclass(frozen=True)
class _Work:
    uid: str
    item_id: int
    version: int
    status: str
    answer: dict | None
    draft: dict | None
    active_seconds: float
    submitted_at: datetime | None
    skipped: bool


def read_bundle(path: Path) -> tuple[OfflineBundle, str, list[_Work]]:
    """The bundle's record, its manifest digest and its work. Refuses a file that is not a
    bundle. Checking in never changes the bundle."""
    from sqlalchemy import create_engine

    path = Path(path)
    if not path.is_file():
        raise BundleRefused(f"{path}: no such file.")
    # Only read: the app may have the bundle open (in WAL mode) while it is checked in.
    engine = create_engine("sqlite://", creator=lambda: sqlite3.connect(str(path)))
    try:
        with Session(engine) as b:
            try:
                record = this_bundle(b)
            except DatabaseError as exc:
                raise BundleRefused(f"{path} is not an Annotator offline bundle ({exc.orig}).") from None
            if record is None:
                raise BundleRefused(f"{path} is not an offline bundle: it holds no checkout record.")
            b.expunge(record)
            digest = manifest_digest(b, record.id)
            rows = b.execute(
                select(Assignment.uid, Assignment.item_id, Item.version, Assignment.status, Assignment.answer,
                       Assignment.draft, Assignment.active_seconds, Assignment.submitted_at, Assignment.skipped)
                .join(Item, Item.id == Assignment.item_id).where(Assignment.bundle_id == record.id).order_by(Assignment.id)
            ).all()
    finally:
        engine.dispose()
    return record, digest, [_Work(*row) for row in rows]


def checkin(
    db: Database, actor: Actor, path: Path, *, release_unfinished: bool = False, now: datetime | None = None
) -> CheckinReport:
    """`actor` is whoever runs it: the bundle's own user (the app) or a lead (the CLI)."""
    record, digest, work = read_bundle(path)
    now = now or utcnow()

    def action(session: Session) -> CheckinReport:
        _verify(session, path, record, digest)
        if session.get_bind().dialect.name == "postgresql":  # the server checks and applies each piece
            from annotator.core.offline.on_server import check_in

            report = CheckinReport(record.id, actor.name)
            check_in(session, record, work, report, release_unfinished, now)
            return report
        team = session.get(OfflineBundle, record.id, with_for_update=True)
        user = session.get(User, team.user_id)
        if actor.id != user.id:
            require(actor, "lead", "check in someone else's bundle")
        worker = Actor.of(user)
        report = CheckinReport(record.id, user.name)
        claims, kept = _load(session, [w.uid for w in work])
        for w in work:
            if w.uid not in claims:  # its item was deleted from the project since the checkout
                report.deleted += 1
                continue
            _apply(session, worker, team, w, claims[w.uid], kept.get(w.uid, []), now, report, release_unfinished)
        if not report.changed_nothing or team.checked_in_at is None:
            team.checked_in_at = team.checked_in_at or now
            audit.record(session, actor, "offline.checkin", "bundle", record.id, submitted=report.submitted,
                         drafts=report.drafts_saved, unchanged=report.unchanged, conflicts=report.conflicts,
                         released=report.released)
        return report

    return db.run(action)


def _verify(session: Session, path: Path, record: OfflineBundle, digest: str) -> None:
    here = database_id(session)
    if record.source_database_id != here:
        raise BundleRefused(
            f"{path} was checked out from another database ({record.source_url or record.source_database_id}); "
            "check it in there. Nothing was changed."
        )
    team = session.get(OfflineBundle, record.id)
    if team is None:
        raise BundleRefused(f"{path} names a checkout ({record.id}) that this database has no record of. Nothing was changed.")
    if team.manifest_sha256 != digest:
        raise BundleRefused(
            f"{path} was changed outside Annotator since it was checked out (its items or claims differ from the "
            "checkout's record), so it cannot be trusted. Nothing was changed; ask a lead."
        )


def _load(session: Session, uids: list[str]) -> tuple[dict[str, Assignment], dict[str, list]]:
    """The bundle's claims (locked), their items and any conflicts already kept, a few queries
    for the whole bundle rather than a few per item."""
    claims: dict[str, Assignment] = {}
    kept: dict[str, list] = {}
    for start in range(0, len(uids), 500):
        chunk = uids[start : start + 500]
        found = session.scalars(select(Assignment).where(Assignment.uid.in_(chunk)).order_by(Assignment.id)
                                .with_for_update()).all()
        claims.update((a.uid, a) for a in found)
        session.scalars(select(Item).where(Item.id.in_([a.item_id for a in found]))).all()  # into the session
        for uid, answer in session.execute(select(Conflict.assignment_uid, Conflict.answer)
                                           .where(Conflict.assignment_uid.in_(chunk))):
            kept.setdefault(uid, []).append(answer)
    return claims, kept


def _apply(session: Session, worker: Actor, team: OfflineBundle, w: _Work, a: Assignment, kept: list, now: datetime,
           report: CheckinReport, release_unfinished: bool) -> None:
    finished = w.answer is not None and w.status in ("submitted", "approved")
    if not finished:
        _apply_draft(session, worker, a, w, report, release_unfinished)
        return
    if a.status in ("submitted", "approved", "rejected") and a.answer == w.answer:
        report.unchanged += 1
        return
    if w.answer in kept:  # recorded by an earlier check-in of this bundle
        report.unchanged += 1
        return
    when = min(max(w.submitted_at or now, a.claimed_at), now)
    seconds = clamp_seconds(w.active_seconds, a.claimed_at, when)
    item = session.get(Item, a.item_id)
    reason = None
    if item.version != w.version:
        reason = f"a lead changed the item after the checkout (version {w.version}, now {item.version})"
    elif a.status in ("submitted", "approved", "rejected"):
        reason = f"this item was already {a.status} with a different answer"
    elif a.status == "expired" and team.revoked_at is not None:
        reason = f"a lead expired the lease (revoked the checkout on {team.revoked_at:%Y-%m-%d %H:%M} UTC)"
    elif a.status in ("expired", "released") and not item.is_gold and item.open_slots <= 0:
        reason = "someone else holds the slot: the lease ran out and the item's slots were taken"
    if reason:
        record_conflict(session, worker, a, w.answer, seconds, "offline check-in: " + reason)
        report.conflicts += 1
        report.conflict_reasons.append(f"{item.external_id}: {reason}")
        return
    submit_in_full(session, worker, a.id, w.answer, seconds, when, locked=a)
    report.submitted += 1


def _apply_draft(session: Session, worker: Actor, a: Assignment, w: _Work, report: CheckinReport,
                 release_unfinished: bool) -> None:
    changed = False
    if w.draft is not None and a.status in ("claimed", "expired", "released") and a.draft != w.draft:
        a.draft = w.draft
        a.active_seconds = clamp_seconds(w.active_seconds, a.claimed_at, utcnow())
        report.drafts_saved += 1
        changed = True
    if (release_unfinished or w.skipped) and a.status == "claimed":
        # Given back, draft and all: the same user gets the draft again if the slot is free.
        session.execute(update(Assignment).where(Assignment.id == a.id).values(status="released", skipped=w.skipped))
        give_back_slots(session, [a.item_id])
        report.released += 1
        changed = True
    if not changed:
        if w.draft is None:
            report.not_started += 1
        else:
            report.unchanged += 1
