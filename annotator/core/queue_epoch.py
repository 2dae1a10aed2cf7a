"""The queue's epoch (projects.queue_epoch): bumped by every change that can put an open item
ahead of items already claimed, in claim order (priority, confidence, id).

On PostgreSQL a claim leaves the item's old row version in the claim index until VACUUM, at the
front of the queue, where nothing else is inserted; a claim that always searched from the front
read past all of them (240 index pages after 45,000 claims). So a process remembers where it
last took an item and, while its project's epoch is unchanged, starts its next search there.
That is sound only if nothing can open up behind that point without a bump, hence these calls
on every such path: a slot given back (expiry, release, skip, rejection, a lead's revocation,
an offline check-in), items imported, predictions imported (a new confidence). See ADR 7."""

from __future__ import annotations

from typing import Iterable

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from annotator.db.models import Item, Project


def queue_moved(session: Session, project_ids: Iterable[int]) -> None:
    """Within the caller's transaction, so the bump is seen when, and only if, the change is.
    Called before the change's own writes, so that these paths lock the project row before any
    item row and do not wait on each other in a cycle (a lead's batch of rejections and an
    annotator's skip of one of its items, say). A deadlock elsewhere is retried by Database.run."""
    ids = sorted(set(project_ids))  # a fixed order, so two transactions never deadlock here
    if ids:
        session.execute(update(Project).where(Project.id.in_(ids)).values(queue_epoch=Project.queue_epoch + 1))


def items_reopened(session: Session, item_ids: Iterable[int]) -> None:
    ids = sorted(set(item_ids))
    if ids:
        queue_moved(session, session.scalars(select(Item.project_id).where(Item.id.in_(ids)).distinct()))
