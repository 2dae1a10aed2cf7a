"""A fault a stress run found (issue 17), for a conflict kept before its fix: one left open beside a
newer accepted answer. The stress run's two faults as they happen now, a conflict superseded by a
newer answer and a claim's full lease, are rows of test_queue_conformance.py's table."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select

from annotator.core import conflicts, queue
from annotator.core.importing import import_items
from annotator.db.models import Assignment, Conflict
from tests.helpers import connected_as, make_project, make_user


def one_item(db, operator, tmp_path, **fields):
    make_project(db, "p", **fields)
    path = tmp_path / "items.jsonl"
    path.write_text(json.dumps({"id": "x", "text": "t"}) + "\n")
    with db.write() as s:
        import_items(s, operator, "p", path)


def act(db, user, fn, *args, **kw):
    with connected_as(db, user).write() as s:
        return fn(s, user, *args, **kw)


def test_accepting_an_open_conflict_never_replaces_a_newer_answer(db, operator, tmp_path):
    """Should a conflict stay open beside a newer accepted answer (one kept before this fix),
    accepting it supersedes it instead of filing the older answer as a fix."""
    one_item(db, operator, tmp_path)
    ann = make_user(db, "ann")
    lead = make_user(db, "lee", "lead")
    mine = act(db, ann, queue.claim_next, "p")
    assert act(db, ann, queue.submit, mine.assignment_id, {"label": "b"}, 3.0).accepted
    with db.write() as s:  # an older answer, kept as a conflict before the newer one came in
        a = s.get(Assignment, mine.assignment_id)
        s.add(Conflict(assignment_uid=a.uid, item_id=a.item_id, user_id=ann.id, project_id=a.project_id,
                       answer={"label": "a"}, active_seconds=1.0, reason="lease lost",
                       created_at=a.submitted_at - timedelta(minutes=5)))
    with db.read() as s:
        conflict_id = s.scalar(select(Conflict.id))
    outcome = act(db, lead, conflicts.accept_conflict, conflict_id)
    assert outcome.startswith("superseded")
    with db.read() as s:
        assert s.get(Assignment, mine.assignment_id).answer == {"label": "b"}
