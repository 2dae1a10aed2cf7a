"""Small builders for tests: users and projects through the real services."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from annotator.core import queue
from annotator.core.auth import Actor
from annotator.core.importing import import_items
from annotator.core.projects import ProjectSpec, create_project
from annotator.core.users import add_user
from annotator.db.models import AuditEvent, Item

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = Path(os.environ.get("ANNOTATOR_SHARED_DATA") or REPO.parent / "shared" / "data")


def shared(*parts: str) -> Path:
    """A file in ../shared/data. Skips with a reason when the folder is absent, but never in CI."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        if os.environ.get("CI") == "true" or os.environ.get("ANNOTATOR_REQUIRE_PG") == "1":
            pytest.fail(f"{path} is missing: CI must have ../shared/data beside the checkout")
        pytest.skip(f"{path} is not here (../shared/data is absent)")
    return path


VOC_LABELS = ["aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat", "chair", "cow", "diningtable",
              "dog", "horse", "motorbike", "person", "potted plant", "sheep", "sofa", "train", "tv/monitor"]


def add_texts(db, operator, rows, tmp_path, project="p", gold=False, name=None) -> None:
    """Import these rows (the JSON lines of a file) into a project, by the import service."""
    path = tmp_path / (name or ("gold.jsonl" if gold else "items.jsonl"))
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    with db.write() as s:
        import_items(s, operator, project, path, gold=gold)


def claim(db, user, project="p", **kw):
    """queue.claim_next in a session of the user's own connection."""
    with connected_as(db, user).write() as s:
        return queue.claim_next(s, user, project, **kw)


def submit(db, user, claimed, answer=None, seconds=5.0, **kw):
    """queue.submit, of an answer {"label": "a"} unless told, in a session of the user's own connection."""
    with connected_as(db, user).write() as s:
        return queue.submit(s, user, claimed.assignment_id, answer or {"label": "a"}, seconds, **kw)


def copy_plain_items(db, project_id: int, n: int) -> None:
    """n text items i0… with one open slot each, in bulk (PostgreSQL's COPY; one executemany on
    SQLite): the import service would take minutes for the hundreds of thousands that the claim
    index's tests need."""
    columns = ("project_id, external_id, payload, priority, confidence, open_slots, is_gold, done_by_model,"
               " spot_check, version, created_at")
    created = "2026-01-01 00:00:00" if db.is_sqlite else "2026-01-01T00:00:00Z"  # each backend's UTC text
    rows = ((project_id, f"i{i}", '{"text": "t"}', 0, -1.0, 1, False, False, False, 1, created) for i in range(n))
    raw = db.engine.raw_connection()
    try:
        if db.is_sqlite:
            raw.driver_connection.executemany(f"INSERT INTO items ({columns}) VALUES ({', '.join('?' * 11)})", rows)
        else:
            with raw.driver_connection.cursor().copy(f"COPY items ({columns}) FROM STDIN") as cp:
                for row in rows:
                    cp.write_row(row)
        raw.commit()
    finally:
        raw.close()


def make_user(db, name: str, role: str = "annotator", password: str = "secret", *, join: bool = True) -> Actor:
    """A user, by the real service. On PostgreSQL that is a login role of the same name too, and,
    with `join`, a member of every project there is so far (membership is explicit there)."""
    with db.write() as s:
        info = add_user(s, Actor.local_operator(), name, password, role)
        if join and not db.is_sqlite:
            _join(s, users=[name])
    _passwords[name] = password
    return Actor(info.id, info.name, info.role)


_passwords: dict[str, str] = {}


def _join(session, *, users=None, projects=None) -> None:
    """Memberships on PostgreSQL, where they are explicit: these users in every project, or every
    user in these projects, by the real service."""
    from annotator.core.members import add_member
    from annotator.db.models import Project, User

    for user in users if users is not None else session.scalars(select(User.name)).all():
        for project in projects if projects is not None else session.scalars(select(Project.id)).all():
            add_member(session, Actor.local_operator(), user, project)


def connected_as(db, actor: Actor):
    """The database as this user's own connection: on PostgreSQL their login (the server acts
    for session_user), kept for the rest of the test; on SQLite the file itself."""
    if db.is_sqlite:
        return db
    from annotator.db import Database
    from annotator.db.logins import with_login

    logins = db.__dict__.setdefault("test_logins", {})
    if actor.name not in logins:
        logins[actor.name] = Database(with_login(db.url, actor.name, _passwords.get(actor.name, "secret")))
    return logins[actor.name]


def dispose_logins(db) -> None:
    for database in db.__dict__.pop("test_logins", {}).values():
        database.dispose()


def make_project(db, name: str = "p", kind: str = "text_categories", **fields) -> int:
    """A project, by the real service. On PostgreSQL every user there is so far joins it (see make_user)."""
    config = fields.pop("config", None)
    if config is None:
        config = {"labels": VOC_LABELS} if kind == "image_boxes" else ({} if kind == "transcription" else {"labels": ["a", "b", "c"]})
    with db.write() as s:
        project_id = create_project(s, Actor.local_operator(), ProjectSpec(name=name, kind=kind, config=config, **fields)).id
        if not db.is_sqlite:
            _join(s, projects=[project_id])
    return project_id


def open_slots(db) -> dict[str, int]:
    """Each item's open slots, by its external id: what an overlap change or a give-back moves."""
    with db.read() as s:
        return dict(s.execute(select(Item.external_id, Item.open_slots)).all())


def counts(db) -> tuple[int, int]:
    """(items, audit events): what an all-or-nothing import must leave unchanged on failure."""
    with db.read() as s:
        return s.scalar(select(func.count()).select_from(Item)), s.scalar(select(func.count()).select_from(AuditEvent))


def index_scan_pages(plan: str, index: str) -> int:
    """The pages that the executed scans of `index` touched in an EXPLAIN (ANALYZE, BUFFERS),
    cached or read, in the forms PostgreSQL 15 to 18 print."""
    pages, lines = 0, plan.splitlines()
    for n, line in enumerate(lines):
        if f"Scan using {index}" in line and "never executed" not in line:
            for detail in lines[n + 1:]:
                if "->" in detail:
                    break
                found = re.search(r"Buffers: shared ((?:(?:hit|read|dirtied|written)=\d+ ?)+)", detail)
                if found:
                    pages += sum(int(v) for v in re.findall(r"(?:hit|read)=(\d+)", found.group(1)))
                    break
    assert pages, plan
    return pages


def as_person(db, name: str):
    """(database, actor) for work a person does themselves, such as an offline checkout: on
    PostgreSQL their own login, as the app has it; on SQLite the file, as the local operator."""
    if db.is_sqlite:
        return db, Actor.local_operator()
    from annotator.db.models import User

    with db.read() as s:
        user = s.execute(select(User.id, User.name, User.role).where(User.name == name)).one()
    actor = Actor(*user)
    return connected_as(db, actor), actor


def score_gold(db) -> None:
    """On PostgreSQL, a lead scores the gold answers handed in (the server keeps them unscored:
    docs/adr/0009), as the review window or `annotator gold watch` does; SQLite scores at once."""
    if db.is_sqlite:
        return
    from annotator.core.quality import score_pending_gold

    with db.write() as s:
        score_pending_gold(s, Actor.local_operator())
