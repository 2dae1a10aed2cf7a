"""The queue's epoch (projects.queue_epoch): bumped by every change that can put an open item
ahead of items already claimed, in claim order (priority, confidence, id).

On PostgreSQL a claim leaves the item's old row version in the claim index until VACUUM, at the
front of the queue, where nothing else is inserted; a claim that always searched from the front
read past all of them (240 index pages after 45,000 claims). So a process remembers where it
last took an item and, while its project's epoch is unchanged, starts its next search there.
That is sound only if nothing can open up behind that point without a bump, hence these calls
on every such path: a slot given back (expiry, release, skip, rejection, a lead's revocation,
an offline check-in), items imported, predictions imported (a new confidence), the overlap
changed. See ADR 7. Only projects with overlap 1 take hints, so only theirs moves (migration 0018
does the same on PostgreSQL): a project's row is then not a lock that all its give-backs queue on."""

from __future__ import annotations

from typing import Iterable

from sqlalchemy import event, select, update
from sqlalchemy.orm import Session

from annotator.db.models import Item, Project

_PENDING = "queue_moved"  # session.info key: the projects whose epoch this transaction bumps


def queue_moved(session: Session, project_ids: Iterable[int]) -> None:
    """Bump these projects' epochs in the caller's transaction, so the bump is seen when, and only
    if, the change is. The UPDATE runs just before COMMIT: it locks the project row, which every
    give-back of the project needs, so it is held only for the commit, not for the rest of the
    transaction (with 5% of cycles skips or releases, give-backs queued on it). Being the last
    lock any transaction takes, it cannot close a deadlock cycle either."""
    ids = set(project_ids)
    if ids:
        session.info.setdefault(_PENDING, set()).update(ids)


def items_reopened(session: Session, item_ids: Iterable[int]) -> None:
    ids = sorted(set(item_ids))
    if ids:
        queue_moved(session, session.scalars(select(Item.project_id).where(Item.id.in_(ids)).distinct()))


@event.listens_for(Session, "before_commit")
def _bump_before_commit(session: Session) -> None:
    ids = session.info.pop(_PENDING, None)
    if ids:
        session.flush()  # the change's own writes first
        session.execute(update(Project).where(Project.id.in_(sorted(ids)), Project.overlap == 1)
                        .values(queue_epoch=Project.queue_epoch + 1))


@event.listens_for(Session, "after_rollback")
def _forget_on_rollback(session: Session) -> None:
    session.info.pop(_PENDING, None)
