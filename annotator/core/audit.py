"""The audit trail. Events are only ever added (the database refuses updates and deletes)."""

from __future__ import annotations

from typing import Any

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
