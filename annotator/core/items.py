"""A lead's changes to one item. Each bumps the item's version, so offline work done against
the older version comes back as a conflict rather than landing on content it never saw."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from annotator.core import audit
from annotator.core.auth import Actor, require
from annotator.core.projects import get_project
from annotator.db.models import Item
from annotator.errors import NotFound
from annotator.tasks import registry


def edit_item(session: Session, actor: Actor, project_ref: str | int, external_id: str, payload: dict[str, Any]) -> int:
    """Replace an item's payload (a corrected text, a new image path). Returns the new version."""
    require(actor, "lead", "edit items")
    project = get_project(session, project_ref)
    registry.get(project.kind).validate_payload(payload)
    item = session.scalar(
        select(Item).where(Item.project_id == project.id, Item.external_id == external_id).with_for_update()
    )
    if item is None:
        raise NotFound(f"There is no item {external_id!r} in {project.name}.")
    before = item.payload
    item.payload = payload
    item.version += 1
    audit.record(session, actor, "item.edit", "item", item.id, before=before, after=payload, version=item.version)
    return item.version
