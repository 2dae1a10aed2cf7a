"""Accounts, argon2 passwords, roles, and the services refusing the wrong role."""

import pytest
from sqlalchemy import select, text

from annotator.core import auth, users
from annotator.core.exporting import export_jsonl
from annotator.core.gold import get_gold_answer
from annotator.core.importing import import_items
from annotator.core.projects import ProjectSpec, create_project
from annotator.db.models import AuditEvent, GoldAnswer, User
from annotator.errors import AlreadyExists, AuthenticationFailed, PermissionDenied
from tests.helpers import make_project, make_user


def test_passwords_are_kept_as_hashes_and_login_checks_them(db):
    """SQLite keeps an argon2 hash; a team database keeps none: the server keeps a SCRAM verifier
    (the log-in against it is in tests/db/test_team_access.py)."""
    make_user(db, "ana", password="correct horse")
    with db.read() as s:
        stored = s.scalar(select(User.password_hash).where(User.name == "ana"))
        if not db.is_sqlite:
            verifier = s.scalar(text("SELECT rolpassword FROM pg_authid WHERE rolname = 'ana'"))
            assert stored == "" and verifier.startswith("SCRAM-SHA-256$") and "correct horse" not in verifier
            return
    assert stored.startswith("$argon2") and "correct horse" not in stored
    with db.write() as s:
        actor = auth.login(s, "ana", "correct horse")
    assert actor.name == "ana" and actor.role == "annotator"
    with db.write() as s, pytest.raises(AuthenticationFailed, match="Wrong user name or password"):
        auth.login(s, "ana", "wrong")
    with db.write() as s, pytest.raises(AuthenticationFailed, match="Wrong user name or password"):
        auth.login(s, "nobody", "x")


def test_roles_change_and_deactivated_users_cannot_log_in(db, operator):
    make_user(db, "ben")
    with db.write() as s:
        assert users.set_role(s, operator, "ben", "lead").role == "lead"
        users.set_active(s, operator, "ben", False)
    with pytest.raises(AuthenticationFailed, match="deactivated"):
        if db.is_sqlite:
            with db.write() as s:
                auth.login(s, "ben", "secret")
        else:  # the server refuses the login itself
            auth.log_in(db.url, "ben", "secret")
    with db.read() as s:
        actions = s.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions == ["user.add", "user.set_role", "user.deactivate"]


def test_duplicate_user_names_are_refused(db):
    make_user(db, "cat")
    with pytest.raises(AlreadyExists):
        make_user(db, "cat")


def test_an_annotator_cannot_create_import_export_or_read_gold(db, tmp_path):
    annotator = make_user(db, "worker")
    lead = make_user(db, "boss", role="lead")
    make_project(db, "texts")
    csv_file = tmp_path / "items.csv"
    csv_file.write_text("id,text,label\n1,hello,a\n", encoding="utf-8")
    with db.write() as s:
        import_items(s, lead, "texts", csv_file, gold=True)
        gold_item = s.scalar(select(GoldAnswer.item_id))

    with db.write() as s, pytest.raises(PermissionDenied, match="worker may not create projects"):
        create_project(s, annotator, ProjectSpec(name="x", kind="text_categories", config={"labels": ["a"]}))
    with db.write() as s, pytest.raises(PermissionDenied, match="import"):
        import_items(s, annotator, "texts", csv_file)
    with db.write() as s, pytest.raises(PermissionDenied, match="export"):
        export_jsonl(s, annotator, "texts", tmp_path / "out.jsonl")
    with db.read() as s, pytest.raises(PermissionDenied, match="gold"):
        get_gold_answer(s, annotator, gold_item)
    with db.write() as s, pytest.raises(PermissionDenied):
        users.add_user(s, annotator, "sneaky", "pass1", "admin")
    with db.read() as s:
        assert get_gold_answer(s, lead, gold_item) == {"label": "a"}
    assert not (tmp_path / "out.jsonl").exists()


def test_a_lead_can_create_projects_but_not_manage_users(db):
    lead = make_user(db, "lead", role="lead")
    with db.write() as s:
        create_project(s, lead, ProjectSpec(name="ok", kind="transcription"))
    with db.write() as s, pytest.raises(PermissionDenied, match="admin"):
        users.set_role(s, lead, "lead", "admin")
