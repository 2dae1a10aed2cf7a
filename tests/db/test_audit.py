"""The audit trail is append-only, enforced by the database itself on both backends."""

import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.exc import DBAPIError

from annotator.core.auth import Actor
from annotator.core.projects import ProjectSpec, create_project
from annotator.db.models import AuditEvent, Project
from annotator.errors import AlreadyExists
from tests.helpers import make_project, make_user


def test_state_changes_write_audit_events_in_the_same_transaction(db):
    make_user(db, "a")
    make_project(db, "p")
    with db.read() as s:
        rows = s.execute(select(AuditEvent.action, AuditEvent.entity_type, AuditEvent.actor)).all()
    assert [r[0] for r in rows if r[0] != "membership.add"] == ["user.add", "project.create"]
    # On a team database the server's user functions name the login that ran them.
    assert all(r[2].startswith("cli:") or (not db.is_sqlite and r[0] == "user.add" and r[2] == "postgres")
               for r in rows)


def test_a_failed_change_leaves_no_audit_event(db):
    make_project(db, "p")
    with pytest.raises(AlreadyExists, match="A project named 'p' already exists"):
        make_project(db, "p")
    # A change that fails after its event was written takes the event with it.
    with pytest.raises(ZeroDivisionError), db.write() as s:
        create_project(s, Actor.local_operator(), ProjectSpec(name="q", kind="text_categories", config={"labels": ["a"]}))
        1 / 0
    with db.read() as s:
        assert s.scalars(select(AuditEvent.action)).all() == ["project.create"]
        assert s.scalars(select(Project.name)).all() == ["p"]


@pytest.mark.parametrize("statement", ["update", "delete"])
def test_audit_events_cannot_be_changed_or_removed(db, statement):
    make_user(db, "a")
    stmt = update(AuditEvent).values(action="forged") if statement == "update" else delete(AuditEvent)
    with pytest.raises(DBAPIError, match="append-only"):
        with db.write() as s:
            s.execute(stmt)
    with db.read() as s:
        assert s.scalar(select(AuditEvent.action)) == "user.add"
