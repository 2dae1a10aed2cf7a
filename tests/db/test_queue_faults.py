"""Two faults a stress run found (issue 17), as scenarios on both backends: a conflict left open
after a newer answer to the same assignment was accepted, and a claim that handed back a lease
already run out."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from annotator.core import conflicts, queue
from annotator.core.importing import import_items
from annotator.db.base import utcnow
from annotator.db.models import Assignment, Conflict
from annotator.errors import AnnotatorError
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


def test_a_newer_answer_supersedes_the_conflict_an_older_one_made(db, operator, tmp_path):
    one_item(db, operator, tmp_path)
    ann, bob = make_user(db, "ann"), make_user(db, "bob")
    lead = make_user(db, "lee", "lead")
    mine = act(db, ann, queue.claim_next, "p")
    act(db, ann, queue.release, mine.assignment_id)  # the claim-ahead given back at exit
    bobs = act(db, bob, queue.claim_next, "p")  # bob holds the only slot
    late = act(db, ann, queue.submit, mine.assignment_id, {"label": "a"}, 2.0)  # from the journal, late
    assert late.status == "conflict"
    act(db, bob, queue.release, bobs.assignment_id)  # the slot is free again
    again = act(db, ann, queue.claim_next, "p")
    assert again.assignment_id == mine.assignment_id  # her own work comes back to her
    assert act(db, ann, queue.submit, again.assignment_id, {"label": "b"}, 3.0).accepted  # the newer answer
    with db.read() as s:
        kept = s.scalars(select(Conflict)).one()
        assert kept.resolved_at is not None and kept.resolution.startswith("superseded")
    with pytest.raises(AnnotatorError, match="already resolved"):
        act(db, lead, conflicts.accept_conflict, kept.id)
    with db.read() as s:
        assert s.get(Assignment, mine.assignment_id).answer == {"label": "b"}  # never the older answer


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


def test_a_claim_hands_back_a_lease_with_its_full_time_or_nothing(db, operator, tmp_path):
    one_item(db, operator, tmp_path, lease_seconds=60)
    ann = make_user(db, "ann")
    t0 = utcnow()
    first = act(db, ann, queue.claim_next, "p", now=t0)
    assert first.lease_until == t0 + timedelta(seconds=60)
    later = t0 + timedelta(seconds=50)  # a restart: the live claim comes back, with a full lease from now
    again = act(db, ann, queue.claim_next, "p", now=later)
    assert again.assignment_id == first.assignment_id and again.lease_until == later + timedelta(seconds=60)
    past = later + timedelta(seconds=90)  # run out, and not yet expired by anyone: expired, then retaken
    third = act(db, ann, queue.claim_next, "p", now=past)
    assert third.assignment_id == first.assignment_id and third.lease_until == past + timedelta(seconds=60)
