"""Who works on a project. On a team database a project's members are the annotators who may
claim its items, and the leads who lead it (docs/adr/0009); on SQLite a first claim joins."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from annotator.core import audit
from annotator.core.auth import Actor, require
from annotator.db.base import utcnow
from annotator.db.models import Membership


def add_member(session: Session, actor: Actor, user_name: str, project_ref: str | int, *,
               now: datetime | None = None) -> bool:
    """Make the user a member of the project; False if they were one already."""
    require(actor, "lead", "add members")
    from annotator.core.projects import get_project
    from annotator.core.users import get_user

    project = get_project(session, project_ref)
    user = get_user(session, user_name)
    found = session.scalar(select(Membership.id).where(Membership.user_id == user.id,
                                                        Membership.project_id == project.id))
    if found is not None:
        return False
    membership = Membership(user_id=user.id, project_id=project.id, state="active", reason="", since=now or utcnow(),
                            gold_countdown=0)
    session.add(membership)
    session.flush()
    audit.record(session, actor, "membership.add", "membership", membership.id, user_id=user.id,
                 project_id=project.id)
    return True
