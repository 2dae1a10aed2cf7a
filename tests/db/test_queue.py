"""The work queue's rules, on both backends."""

import dataclasses
import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text, update

from annotator.core import queue
from annotator.core.predictions import import_predictions
from annotator.core.stats import queue_status
from annotator.db.base import utcnow
from annotator.db.models import (
    Assignment,
    AuditEvent,
    Conflict,
    Item,
    Membership,
    Project,
)
from annotator.errors import (
    AssignmentClosed,
    BadInput,
    InvalidAnswer,
    NothingLeft,
    NotQualified,
    NotYourAssignment,
    UserPaused,
)
from tests.helpers import (
    add_texts,
    claim,
    connected_as,
    make_project,
    make_user,
    score_gold,
    submit,
)


def test_claim_order_is_priority_then_uncertainty_then_id(db, operator, tmp_path):
    make_project(db, "p")
    rows = [{"id": f"i{n}", "text": f"text {n}"} for n in range(6)]
    rows[4]["priority"] = 5
    add_texts(db, operator, rows, tmp_path)
    preds = tmp_path / "preds.jsonl"
    preds.write_text("\n".join(json.dumps({"external_id": f"i{n}", "prediction": {"label": "b"}, "confidence": c})
                               for n, c in ((0, 0.9), (1, 0.2), (2, 0.5), (3, 0.99))) + "\n")
    with db.write() as s:
        import_predictions(s, operator, "p", preds)
    ann = make_user(db, "ann")
    order = []
    for _ in range(6):
        c = claim(db, ann)
        order.append(c.external_id)
        submit(db, ann, c)
    # i4 has priority; i5 has no prediction (least certain); then by rising confidence.
    assert order == ["i4", "i5", "i1", "i2", "i0", "i3"]


def test_claim_returns_config_prediction_and_lease(db, operator, tmp_path):
    make_project(db, "p", lease_seconds=600, instructions="Be careful")
    add_texts(db, operator, [{"id": "x", "text": "hello", "prediction": {"label": "b"}, "confidence": 0.4}], tmp_path)
    ann = make_user(db, "ann")
    now = utcnow()
    c = claim(db, ann, now=now)
    assert c.config["labels"] == ["a", "b", "c"] and c.instructions == "Be careful"
    assert c.payload == {"text": "hello"} and c.prediction == {"label": "b"} and c.confidence == 0.4
    assert c.lease_until == now + timedelta(seconds=600) and c.draft is None


def test_overlap_limits_live_work_and_no_user_gets_an_item_twice(db, operator, tmp_path):
    make_project(db, "p", overlap=2)
    add_texts(db, operator, [{"id": "only", "text": "t"}], tmp_path)
    a, b, c = (make_user(db, n) for n in "abc")
    ca = claim(db, a)
    submit(db, a, ca)
    with pytest.raises(NothingLeft, match="Nothing is left"):
        claim(db, a)  # a has done it
    claim(db, b)
    with pytest.raises(NothingLeft):
        claim(db, c)  # both slots taken
    with db.read() as s:
        assert s.scalar(select(Item.open_slots)) == 0


def test_draft_is_kept_and_comes_back_after_a_restart(db, operator, tmp_path):
    make_project(db, "p")
    add_texts(db, operator, [{"id": "x", "text": "t"}, {"id": "y", "text": "u"}], tmp_path)
    ann = make_user(db, "ann")
    c = claim(db, ann)
    with connected_as(db, ann).write() as s:  # a draft saved 10 s after the claim, with 3 s of them active
        queue.save_draft(s, ann, c.assignment_id, {"label": "c"}, 3.0, now=c.claimed_at + timedelta(seconds=10))
    again = claim(db, ann)  # the app restarted and asks for work
    assert again.assignment_id == c.assignment_id and again.draft == {"label": "c"}
    assert again.active_seconds == 3.0  # the clock goes on from the draft's time
    with connected_as(db, ann).write() as s:  # a client cannot report more active time than has passed since the claim
        queue.save_draft(s, ann, c.assignment_id, {"label": "c"}, 60.0, now=c.claimed_at + timedelta(seconds=10))
    assert claim(db, ann).active_seconds == 10.0
    ahead = claim(db, ann, holding=(c.assignment_id,))  # claim-ahead skips what is held
    assert ahead.external_id == "y"


def test_an_expired_lease_frees_the_slot_keeps_the_draft_and_a_late_submit_becomes_a_conflict(db, operator, tmp_path):
    make_project(db, "p", lease_seconds=60)
    add_texts(db, operator, [{"id": "x", "text": "t"}], tmp_path)
    slow, fast = make_user(db, "slow"), make_user(db, "fast")
    t0 = utcnow()
    c = claim(db, slow, now=t0)
    with connected_as(db, slow).write() as s:
        queue.save_draft(s, slow, c.assignment_id, {"label": "b"}, 20, now=t0 + timedelta(seconds=30))
    taken = claim(db, fast, now=t0 + timedelta(seconds=61))
    assert taken.external_id == "x"
    with db.read() as s:
        a = s.get(Assignment, c.assignment_id)
        assert a.status == "expired" and a.draft == {"label": "b"}
    outcome = submit(db, slow, c, {"label": "b"}, 40, now=t0 + timedelta(seconds=70))
    assert not outcome.accepted and outcome.status == "conflict"
    with db.read() as s:
        conflict = s.scalars(select(Conflict)).one()
        assert conflict.answer == {"label": "b"} and "lease lost" in conflict.reason
        assert conflict.assignment_uid == c.assignment_uid


def test_a_user_returning_to_an_expired_item_with_a_free_slot_gets_it_back_with_the_draft(db, operator, tmp_path):
    make_project(db, "p", lease_seconds=60)
    add_texts(db, operator, [{"id": "x", "text": "t"}, {"id": "y", "text": "u"}], tmp_path)
    ann = make_user(db, "ann")
    t0 = utcnow()
    c = claim(db, ann, now=t0)
    with connected_as(db, ann).write() as s:
        queue.save_draft(s, ann, c.assignment_id, {"label": "c"}, 10, now=t0)
    back = claim(db, ann, now=t0 + timedelta(minutes=5))
    assert back.assignment_id == c.assignment_id and back.draft == {"label": "c"}
    assert back.lease_until > t0 + timedelta(minutes=5)
    outcome = submit(db, ann, back, {"label": "c"}, 50, now=t0 + timedelta(minutes=6))
    assert outcome.accepted


def test_a_claim_that_finds_nothing_still_frees_the_expired_leases_it_found(db, operator, tmp_path):
    from annotator.core import queue_direct

    make_project(db, "p", overlap=2, lease_seconds=60)
    add_texts(db, operator, [{"id": "x", "text": "t"}], tmp_path)
    ann, bob = make_user(db, "ann"), make_user(db, "bob")
    t0 = utcnow()
    left = queue_direct.claim(connected_as(db, ann), ann, "p", now=t0)
    done = queue_direct.claim(connected_as(db, bob), bob, "p", now=t0)
    queue_direct.submit(connected_as(db, bob), bob, done.assignment_id, {"label": "a"}, 1.0, now=t0)
    with pytest.raises(NothingLeft):
        queue_direct.claim(connected_as(db, bob), bob, "p", now=t0 + timedelta(seconds=61))
    with db.read() as s:
        assert s.get(Assignment, left.assignment_id).status == "expired"
        assert s.scalar(select(Item.open_slots)) == 1


def test_a_late_submit_is_accepted_when_nobody_took_the_slot(db, operator, tmp_path):
    make_project(db, "p", lease_seconds=60)
    add_texts(db, operator, [{"id": "x", "text": "t"}], tmp_path)
    a, b = make_user(db, "a"), make_user(db, "b")
    t0 = utcnow()
    c = claim(db, a, now=t0)
    with pytest.raises(NothingLeft):
        claim(db, b, now=t0 + timedelta(seconds=30))
    assert submit(db, a, c, now=t0 + timedelta(seconds=90)).accepted  # expired, but the slot is free


def test_skip_and_release_give_the_slot_back(db, operator, tmp_path):
    make_project(db, "p")
    add_texts(db, operator, [{"id": "x", "text": "t"}, {"id": "y", "text": "u"}], tmp_path)
    a, b = make_user(db, "a"), make_user(db, "b")
    first = claim(db, a)
    with connected_as(db, a).write() as s:
        queue.skip(s, a, first.assignment_id)
    assert claim(db, a).external_id == "y"  # x is never offered to a again
    assert claim(db, b, holding=()).external_id == "x"  # the slot went back
    with connected_as(db, b).write() as s:
        queue.release(s, b, s.scalar(select(Assignment.id).where(Assignment.user_id == b.id)))
    with db.read() as s:
        assert s.scalar(select(Item.open_slots).where(Item.external_id == "x")) == 1
    assert claim(db, b).external_id == "x"  # a released item may come back to the same user
    with connected_as(db, a).write() as s, pytest.raises(AssignmentClosed):
        queue.skip(s, a, first.assignment_id)


def test_extend_lease_is_bounded(db, operator, tmp_path):
    make_project(db, "p", lease_seconds=100)
    add_texts(db, operator, [{"id": "x", "text": "t"}], tmp_path)
    ann = make_user(db, "ann")
    t0 = utcnow()
    c = claim(db, ann, now=t0)
    with connected_as(db, ann).write() as s:
        assert queue.extend_lease(s, ann, c.assignment_id, now=t0) == t0 + timedelta(seconds=200)
    with connected_as(db, ann).write() as s:
        for _ in range(10):
            until = queue.extend_lease(s, ann, c.assignment_id, now=t0)
    assert until == t0 + timedelta(seconds=400)


def test_submit_validates_the_answer_and_changes_nothing_when_it_is_wrong(db, operator, tmp_path):
    make_project(db, "p")
    add_texts(db, operator, [{"id": "x", "text": "t"}], tmp_path)
    ann = make_user(db, "ann")
    c = claim(db, ann)
    with pytest.raises(InvalidAnswer):
        submit(db, ann, c, {"label": "zebra"})
    with db.read() as s:
        assert s.get(Assignment, c.assignment_id).status == "claimed"
    other = make_user(db, "other")
    with connected_as(db, other).write() as s, pytest.raises(NotYourAssignment):
        queue.submit(s, other, c.assignment_id, {"label": "a"}, 1)


def test_submit_stores_times_clamped_and_a_retry_is_harmless(db, operator, tmp_path):
    make_project(db, "p")
    add_texts(db, operator, [{"id": "x", "text": "t"}], tmp_path)
    ann = make_user(db, "ann")
    t0 = utcnow()
    c = claim(db, ann, now=t0)
    outcome = submit(db, ann, c, {"label": "a"}, 10_000, now=t0 + timedelta(seconds=42))
    assert outcome.accepted and outcome.status == "approved"  # review policy none
    assert submit(db, ann, c, {"label": "a"}, 10_000, now=t0 + timedelta(seconds=50)).accepted
    with pytest.raises(AssignmentClosed):
        submit(db, ann, c, {"label": "b"}, 1)
    with db.read() as s:
        a = s.get(Assignment, c.assignment_id)
        assert a.active_seconds == 42.0 and a.claimed_at == t0 and a.submitted_at == t0 + timedelta(seconds=42)
        actions = s.scalars(select(AuditEvent.action).where(AuditEvent.entity_type == "assignment")).all()
    assert actions == ["assignment.claim", "assignment.submit"]


def test_gold_items_come_at_the_gold_rate_unseen_and_indistinguishable(db, operator, tmp_path):
    make_project(db, "p", gold_rate=0.2)
    add_texts(db, operator, [{"id": f"n{i}", "text": f"normal {i}"} for i in range(120)], tmp_path)
    add_texts(db, operator, [{"id": f"g{i}", "text": f"gold {i}", "answer": {"label": "a"}} for i in range(30)],
              tmp_path, gold=True)
    ann = make_user(db, "ann")
    stream = []
    for _ in range(100):
        c = claim(db, ann)
        stream.append(c)
        submit(db, ann, c, {"label": "a"})
    golds = [i for i, c in enumerate(stream) if c.external_id.startswith("g")]
    assert 12 <= len(golds) <= 28  # about 20 of 100
    assert len({stream[i].external_id for i in golds}) == len(golds)  # never the same gold twice
    gaps = {b - a for a, b in zip(golds, golds[1:])}
    assert len(gaps) > 1, "gold must not come at a fixed period"
    # Field by field, a gold claim looks like any other.
    gold_fields = {f.name: type(getattr(stream[golds[0]], f.name)) for f in dataclasses.fields(stream[golds[0]])}
    normal = next(c for c in stream if c.external_id.startswith("n"))
    assert gold_fields == {f.name: type(getattr(normal, f.name)) for f in dataclasses.fields(normal)}
    assert not any("gold" in f.name for f in dataclasses.fields(queue.ClaimedItem))
    score_gold(db)
    with db.read() as s:
        scores = s.scalars(select(Assignment.gold_score).where(Assignment.is_gold)).all()
    assert len(scores) == len(golds) and all(score == 1.0 for score in scores)


def test_a_paused_user_is_refused_with_the_reason(db, operator, tmp_path):
    pid = make_project(db, "p", gold_rate=0.5, min_gold_accuracy=0.8, min_scored_items=2)
    add_texts(db, operator, [{"id": f"n{i}", "text": f"n {i}"} for i in range(10)], tmp_path)
    add_texts(db, operator, [{"id": f"g{i}", "text": f"g {i}", "answer": {"label": "a"}} for i in range(10)],
              tmp_path, gold=True)
    ann = make_user(db, "ann")
    with pytest.raises(UserPaused, match="gold accuracy 0% .* below the project's minimum of 80%"):
        for _ in range(20):
            submit(db, ann, claim(db, ann), {"label": "b"})
            score_gold(db)  # a lead's scorer on PostgreSQL; at once on SQLite
    with db.read() as s:
        m = s.scalars(select(Membership).where(Membership.project_id == pid)).one()
        assert m.state == "paused"
        assert s.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "membership.pause")) == 1


def test_a_qualification_project_must_be_passed_first(db, operator, tmp_path):
    make_project(db, "exam", min_scored_items=2)
    add_texts(db, operator, [{"id": f"q{i}", "text": f"q {i}", "answer": {"label": "a"}} for i in range(2)],
              tmp_path, project="exam", gold=True, name="exam.jsonl")
    with db.write() as s:
        s.execute(update(Project).where(Project.name == "exam").values(gold_rate=1.0))
    make_project(db, "p", qualification_project="exam", qualification_min_accuracy=0.5)
    add_texts(db, operator, [{"id": "x", "text": "t"}], tmp_path)
    ann = make_user(db, "ann")
    with pytest.raises(NotQualified, match="requires passing exam first"):
        claim(db, ann, "p")
    for _ in range(2):
        submit(db, ann, claim(db, ann, "exam"), {"label": "a"})
    score_gold(db)
    assert claim(db, ann, "p").external_id == "x"


def test_predictions_auto_accept_confident_items_but_keep_a_spot_check(db, operator, tmp_path):
    make_project(db, "p", overlap=2)
    add_texts(db, operator, [{"id": f"i{n}", "text": f"t{n}"} for n in range(200)], tmp_path)
    preds = tmp_path / "preds.jsonl"
    preds.write_text("\n".join(json.dumps({"external_id": f"i{n}", "prediction": {"label": "b"},
                                           "confidence": 0.99 if n < 150 else 0.3}) for n in range(200)) + "\n")
    with db.write() as s:
        report = import_predictions(s, operator, "p", preds, auto_accept_above=0.95, spot_check_fraction=0.1)
    assert report.updated == 200 and report.auto_accepted + report.spot_checks == 150
    assert 5 <= report.spot_checks <= 30
    with db.read() as s:
        st = queue_status(s, operator, "p")
    assert st.done_by_model == report.auto_accepted and st.open_items == 50 + report.spot_checks
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"external_id": "i1", "prediction": {"label": "b"}, "confidence": 0.5}\n'
                   '{"external_id": "nope", "prediction": {"label": "b"}, "confidence": 0.5}\n')
    with db.write() as s, pytest.raises(BadInput, match="bad.jsonl, line 2, field 'external_id'"):
        import_predictions(s, operator, "p", bad)


def test_queue_status_counts_and_active_annotators(db, operator, tmp_path):
    make_project(db, "p", overlap=2, review_policy="all")
    add_texts(db, operator, [{"id": f"i{n}", "text": f"t{n}"} for n in range(3)], tmp_path)
    a, b = make_user(db, "alice"), make_user(db, "bob")
    submit(db, a, claim(db, a))
    claim(db, b)
    with db.read() as s:
        st = queue_status(s, operator, "p")
    assert (st.items, st.claimed, st.submitted, st.approved, st.open_items) == (3, 1, 1, 0, 2)  # both took i0
    assert st.active_annotators == ["alice", "bob"]


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)  # SQLite has no vacuum debt
def test_queue_status_warns_when_nothing_vacuums_the_queue_tables(db, operator, tmp_path):
    make_project(db, "p")
    add_texts(db, operator, [{"id": f"i{n}", "text": f"t{n}"} for n in range(3)], tmp_path)
    ann = make_user(db, "ann")
    submit(db, ann, claim(db, ann))
    with db.write() as s:
        s.execute(text("ALTER TABLE items SET (autovacuum_enabled = false)"))
    try:
        with db.read() as s:
            warnings = queue_status(s, operator, "p").warnings
    finally:
        with db.write() as s:
            s.execute(text("ALTER TABLE items RESET (autovacuum_enabled)"))  # the schema serves the next tests
    assert len(warnings) == 1 and warnings[0].startswith("Autovacuum is off for ") and "items" in warnings[0]
    assert "VACUUM" in warnings[0]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # on PostgreSQL queue_claim asks this in the same call
def test_released_work_counts_as_resumable_only_while_its_slot_is_free(db, operator, tmp_path):
    """Once someone else has taken a released item's slot, it cannot be resumed, and it must not
    keep sending this user's claims down the slow path; when the slot frees again, it comes back
    to them, draft and all."""
    from annotator.core.queue_sql import hot_path
    from annotator.db.base import utcnow

    make_project(db, "p")
    add_texts(db, operator, [{"id": "x", "text": "t"}, {"id": "y", "text": "u"}], tmp_path)
    ann, bob = make_user(db, "ann"), make_user(db, "bob")
    mine = claim(db, ann)
    with connected_as(db, ann).write() as s:
        queue.save_draft(s, ann, mine.assignment_id, {"label": "b"}, 0.0)
        queue.release(s, ann, mine.assignment_id)

    def resumable() -> bool:
        with db.read() as s:
            return hot_path(s).context("p", ann.id, utcnow()).resumable

    assert resumable()
    bobs = claim(db, bob)
    assert bobs.external_id == "x" and not resumable()  # bob has its only slot
    with connected_as(db, bob).write() as s:
        queue.release(s, bob, bobs.assignment_id)
    assert resumable()
    again = claim(db, ann)
    assert again.assignment_id == mine.assignment_id and again.draft == {"label": "b"}
