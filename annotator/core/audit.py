"""The audit trail. Events are only ever added (the database refuses updates and deletes)."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from annotator.core.auth import Actor
from annotator.db.models import AuditEvent


def record(
    session: Session, actor: Actor, action: str, entity_type: str, entity_id: object = None, **details: Any
) -> AuditEvent:
    """Add one event to the caller's transaction, so it commits or rolls back with the change."""
    event = AuditEvent(
        actor_id=actor.id,
        actor=actor.name,
        action=action,
        entity_type=entity_type,
        entity_id=None if entity_id is None else str(entity_id),
        details=details,
    )
    session.add(event)
    return event


@dataclass(frozen=True)
class EventRow:
    id: int
    at: datetime
    actor: str
    action: str
    entity_type: str
    entity_id: str | None
    details: dict[str, Any]


def list_events(
    session: Session,
    viewer: Actor,
    *,
    actor: str | None = None,
    action: str | None = None,
    entity_type: str | None = None,
    entity_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    before_id: int | None = None,
    limit: int = 500,
) -> list[EventRow]:
    """Newest first; pass the last row's id as `before_id` for the next page."""
    from annotator.core.auth import require

    require(viewer, "lead", "read the audit trail")
    query = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
    if actor:
        query = query.where(AuditEvent.actor == actor)
    if action:
        query = query.where(AuditEvent.action.like(action.replace("*", "%")))
    if entity_type:
        query = query.where(AuditEvent.entity_type == entity_type)
    if entity_id:
        query = query.where(AuditEvent.entity_id == str(entity_id))
    if since:
        query = query.where(AuditEvent.at >= since)
    if until:
        query = query.where(AuditEvent.at < until)
    if before_id:
        query = query.where(AuditEvent.id < before_id)
    return [EventRow(e.id, e.at, e.actor, e.action, e.entity_type, e.entity_id, e.details) for e in session.scalars(query)]


def export_csv(session: Session, viewer: Actor, out: Path, **filters: Any) -> int:
    """Every matching event, oldest first, to a CSV file (written aside, then renamed)."""
    rows: list[EventRow] = []
    before = None
    while True:
        page = list_events(session, viewer, before_id=before, limit=5000, **filters)
        rows.extend(page)
        if len(page) < 5000:
            break
        before = page[-1].id
    tmp = out.with_name(out.name + ".part")
    with tmp.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "at", "actor", "action", "entity_type", "entity_id", "details"])
        for r in reversed(rows):
            writer.writerow([r.id, r.at.isoformat(), r.actor, r.action, r.entity_type, r.entity_id or "",
                             json.dumps(r.details, ensure_ascii=False, default=str)])
    tmp.replace(out)
    return len(rows)
