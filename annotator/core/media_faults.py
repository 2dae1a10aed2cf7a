"""Media faults: items whose store object could not be had as imported, missing or with bytes
that do not match its hash. The desktop that meets one reports it (on PostgreSQL through the
server's media_report_fault, the only way an annotator's login writes one); a lead's `media
verify` records what it finds and closes the faults of objects it finds whole again; the lead's
queue status lists the open ones."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Iterable

from sqlalchemy import select, update
from sqlalchemy.orm import Session, aliased

from annotator.core import audit
from annotator.core import queue_pg
from annotator.core.auth import Actor
from annotator.db.base import utcnow
from annotator.db.models import Assignment, Item, MediaFault, User
from annotator.errors import NotYourAssignment
from annotator.media.cache import HashMismatch
from annotator.media.store import ObjectMissing, StoreError


@dataclass(frozen=True)
class FaultRow:
    external_id: str
    kind: str  # "missing" or "mismatch"
    sha256: str
    detail: str
    reported_by: str
    last_seen: datetime
    reports: int


def kind_of(exc: StoreError) -> str | None:
    """The fault a store's error is, if any: a store that does not answer is this desktop's
    trouble, not the item's."""
    if isinstance(exc, HashMismatch):
        return "mismatch"
    if isinstance(exc, ObjectMissing):
        return "missing"
    return None


def report(session: Session, actor: Actor, assignment_id: int, kind: str, detail: str, *,
           now: datetime | None = None) -> None:
    """Flag, for a lead, the item of this assignment: the caller's own claim, or a lead's review."""
    if session.get_bind().dialect.name == "postgresql":
        with queue_pg.refusals():
            queue_pg.driver(session).execute("SELECT media_report_fault(%s, %s, %s, %s)",
                                             (assignment_id, kind, detail, now))
        return
    assignment = session.get(Assignment, assignment_id)
    if assignment is None or (assignment.user_id != actor.id and not actor.has("lead")):
        raise NotYourAssignment(f"Assignment {assignment_id} is not yours.")
    item = session.get(Item, assignment.item_id)
    if item.media_sha256 is None:
        return  # a file by path, in no store
    record(session, actor, item, kind, detail, now=now or utcnow())
    audit.record(session, actor, f"media.{kind}", "item", item.id, assignment_id=assignment_id,
                 sha256=item.media_sha256, detail=detail)


def record(session: Session, actor: Actor, item: Item, kind: str, detail: str, *, now: datetime) -> None:
    """The item's open fault of this kind, made or seen once more."""
    fault = session.scalar(select(MediaFault).where(MediaFault.item_id == item.id, MediaFault.kind == kind,
                                                    MediaFault.resolved_at.is_(None)))
    if fault is None:
        session.add(MediaFault(project_id=item.project_id, item_id=item.id, sha256=item.media_sha256, kind=kind,
                               detail=detail, reported_by=actor.id, first_seen=now, last_seen=now, reports=1))
    else:
        fault.last_seen, fault.reports, fault.detail, fault.reported_by = now, fault.reports + 1, detail, actor.id


def resolve(session: Session, project_id: int, whole_item_ids: Iterable[int], *, now: datetime) -> int:
    """Close the open faults of items whose objects were just found whole."""
    ids = list(whole_item_ids)
    closed = 0
    for start in range(0, len(ids), 500):  # SQLite's bound parameters per statement
        closed += session.execute(
            update(MediaFault).where(MediaFault.project_id == project_id, MediaFault.resolved_at.is_(None),
                                     MediaFault.item_id.in_(ids[start:start + 500]))
            .values(resolved_at=now)).rowcount
    return closed


def open_faults(session: Session, project_id: int) -> list[FaultRow]:
    reporter = aliased(User)
    rows = session.execute(
        select(Item.external_id, MediaFault.kind, MediaFault.sha256, MediaFault.detail, reporter.name,
               MediaFault.last_seen, MediaFault.reports)
        .join(Item, Item.id == MediaFault.item_id)
        .outerjoin(reporter, reporter.id == MediaFault.reported_by)
        .where(MediaFault.project_id == project_id, MediaFault.resolved_at.is_(None))
        .order_by(MediaFault.last_seen.desc(), MediaFault.id)
    ).all()
    return [FaultRow(e, k, sha, detail, name or "media verify", seen, n) for e, k, sha, detail, name, seen, n in rows]
