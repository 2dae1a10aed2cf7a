"""The work queue's rules, on both backends."""

import dataclasses
import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text, update

from annotator.core import queue
from annotator.core.importing import import_items
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
    connected_as,
    copy_plain_items,
    index_scan_pages,
    make_project,
    make_user,
    score_gold,
)


def add_texts(db, operator, project, rows, tmp_path, gold=False, name="items.jsonl"):
    path = tmp_path / name
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    with db.write() as s:
        import_items(s, operator, project, path, gold=gold)


def claim(db, user, project="p", **kw):
    with connected_as(db, user).write() as s:
        return queue.claim_next(s, user, project, **kw)


def submit(db, user, claimed, answer=None, seconds=5.0, **kw):
    with connected_as(db, user).write() as s:
        return queue.submit(s, user, claimed.assignment_id, answer or {"label": "a"}, seconds, **kw)


def test_claim_order_is_priority_then_uncertainty_then_id(db, operator, tmp_path):
    make_project(db, "p")
    rows = [{"id": f"i{n}", "text": f"text {n}"} for n in range(6)]
    rows[4]["priority"] = 5
    add_texts(db, operator, "p", rows, tmp_path)
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
    add_texts(db, operator, "p", [{"id": "x", "text": "hello", "prediction": {"label": "b"}, "confidence": 0.4}], tmp_path)
    ann = make_user(db, "ann")
    now = utcnow()
    c = claim(db, ann, now=now)
    assert c.config["labels"] == ["a", "b", "c"] and c.instructions == "Be careful"
    assert c.payload == {"text": "hello"} and c.prediction == {"label": "b"} and c.confidence == 0.4
    assert c.lease_until == now + timedelta(seconds=600) and c.draft is None


def test_overlap_limits_live_work_and_no_user_gets_an_item_twice(db, operator, tmp_path):
    make_project(db, "p", overlap=2)
    add_texts(db, operator, "p", [{"id": "only", "text": "t"}], tmp_path)
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
    add_texts(db, operator, "p", [{"id": "x", "text": "t"}, {"id": "y", "text": "u"}], tmp_path)
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
    add_texts(db, operator, "p", [{"id": "x", "text": "t"}], tmp_path)
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
    add_texts(db, operator, "p", [{"id": "x", "text": "t"}, {"id": "y", "text": "u"}], tmp_path)
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
    add_texts(db, operator, "p", [{"id": "x", "text": "t"}], tmp_path)
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
    add_texts(db, operator, "p", [{"id": "x", "text": "t"}], tmp_path)
    a, b = make_user(db, "a"), make_user(db, "b")
    t0 = utcnow()
    c = claim(db, a, now=t0)
    with pytest.raises(NothingLeft):
        claim(db, b, now=t0 + timedelta(seconds=30))
    assert submit(db, a, c, now=t0 + timedelta(seconds=90)).accepted  # expired, but the slot is free


def test_skip_and_release_give_the_slot_back(db, operator, tmp_path):
    make_project(db, "p")
    add_texts(db, operator, "p", [{"id": "x", "text": "t"}, {"id": "y", "text": "u"}], tmp_path)
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
    add_texts(db, operator, "p", [{"id": "x", "text": "t"}], tmp_path)
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
    add_texts(db, operator, "p", [{"id": "x", "text": "t"}], tmp_path)
    ann = make_user(db, "ann")
    c = claim(db, ann)
    with pytest.raises(InvalidAnswer):
        submit(db, ann, c, {"label": "zebra"})
    with db.read() as s:
        assert s.get(Assignment, c.assignment_id).status == "claimed"
    other = make_user(db, "other")
    with connected_as(db, other).write() as s, pytest.raises(NotYourAssignment):
        queue.submit(s, other, c.assignment_id, {"label": "a"}, 1)


def test_the_app_path_checks_the_answer_against_the_configuration_of_the_moment(db, operator, tmp_path):
    """The app's submit checks the answer before writing, against the configuration it claimed
    under; a lead who changes the labels meanwhile wins: the new labels decide."""
    from annotator.core import queue_direct

    make_project(db, "p")
    add_texts(db, operator, "p", [{"id": "x", "text": "t"}, {"id": "y", "text": "u"}], tmp_path)
    ann = make_user(db, "ann")
    c = queue_direct.claim(connected_as(db, ann), ann, "p")
    with db.write() as s:
        s.execute(update(Project).where(Project.name == "p").values(config={"labels": ["b", "c", "d"]}))
    with pytest.raises(InvalidAnswer):
        queue_direct.submit(connected_as(db, ann), ann, c.assignment_id, {"label": "a"}, 1.0)  # valid when claimed, not now
    with db.read() as s:
        assert s.get(Assignment, c.assignment_id).status == "claimed"
    assert queue_direct.submit(connected_as(db, ann), ann, c.assignment_id, {"label": "d"}, 1.0).accepted
    c2 = queue_direct.claim(connected_as(db, ann), ann, "p")
    with pytest.raises(InvalidAnswer):
        queue_direct.submit(connected_as(db, ann), ann, c2.assignment_id, {"label": "zebra"}, 1.0)
    assert queue_direct.submit(connected_as(db, ann), ann, c2.assignment_id, {"label": "b"}, 1.0).status == "approved"
    with db.read() as s:
        assert s.get(Assignment, c.assignment_id).answer == {"label": "d"}


@pytest.mark.parametrize("policy, status, reviewed", [("none", "approved", True), ("all", "submitted", False)])
def test_the_app_path_stores_what_the_full_path_would(db, operator, tmp_path, policy, status, reviewed):
    """The app's one-step submit (answer checked before the write) clamps the seconds to the time
    since the claim, applies the review policy, and audits, as queue.submit does."""
    from annotator.core import queue_direct

    make_project(db, "p", review_policy=policy)
    add_texts(db, operator, "p", [{"id": "x", "text": "t"}], tmp_path)
    ann = make_user(db, "ann")
    t0 = utcnow()
    c = queue_direct.claim(connected_as(db, ann), ann, "p", now=t0)
    outcome = queue_direct.submit(connected_as(db, ann), ann, c.assignment_id, {"label": "b"}, 10_000, now=t0 + timedelta(seconds=42))
    assert outcome.accepted and outcome.status == status
    with db.read() as s:
        a = s.get(Assignment, c.assignment_id)
        assert (a.status, a.answer, a.active_seconds, a.draft) == (status, {"label": "b"}, 42.0, None)
        assert a.submitted_at == t0 + timedelta(seconds=42) and a.lease_until <= a.submitted_at
        assert a.needs_review is (policy == "all")
        assert (a.reviewed_at is not None) is reviewed
        event = s.scalars(select(AuditEvent).where(AuditEvent.action == "assignment.submit")).one()
        assert event.details == {"item_id": a.item_id, "active_seconds": 42.0, "status": status}
    assert queue_direct.submit(connected_as(db, ann), ann, c.assignment_id, {"label": "b"}, 5, now=t0 + timedelta(seconds=50)).accepted
    other = make_user(db, "other")
    with pytest.raises(NotYourAssignment):
        queue_direct.submit(connected_as(db, other), other, c.assignment_id, {"label": "a"}, 1.0)


def test_submit_and_next_hands_in_the_answer_and_claims_the_next_item(db, operator, tmp_path):
    """The workbench's Submit: one call stores the answer as submit does (seconds clamped, review
    policy, audit) and claims the next item; at the end of the queue the answer still stands."""
    from annotator.core import queue_direct

    make_project(db, "p", review_policy="all", lease_seconds=600)
    add_texts(db, operator, "p", [{"id": i, "text": i} for i in ("x", "y", "z")], tmp_path)
    ann = make_user(db, "ann")
    t0 = utcnow()
    current = queue_direct.claim(connected_as(db, ann), ann, "p", now=t0)
    seen = [current.external_id]
    for n in range(1, 3):
        done = queue_direct.submit_and_claim(connected_as(db, ann), ann, current.assignment_id, {"label": "b"}, 10_000, "p",
                                             now=t0 + timedelta(seconds=30 * n))
        assert done.outcome.accepted and done.outcome.status == "submitted" and done.refusal is None
        assert done.next.lease_until == t0 + timedelta(seconds=30 * n + 600)
        current = done.next
        seen.append(current.external_id)
    last = queue_direct.submit_and_claim(connected_as(db, ann), ann, current.assignment_id, {"label": "c"}, 3, "p",
                                         now=t0 + timedelta(seconds=100))
    assert last.outcome.accepted and last.next is None and isinstance(last.refusal, NothingLeft)
    assert seen == ["x", "y", "z"]
    with db.read() as s:
        rows = s.execute(select(Assignment.status, Assignment.answer, Assignment.active_seconds, Assignment.needs_review)
                         .order_by(Assignment.id)).all()
        actions = s.scalars(select(AuditEvent.action).where(AuditEvent.entity_type == "assignment")
                            .order_by(AuditEvent.id)).all()
    assert rows == [("submitted", {"label": "b"}, 30.0, True), ("submitted", {"label": "b"}, 30.0, True),
                    ("submitted", {"label": "c"}, 3.0, True)]
    assert actions == ["assignment.claim", "assignment.submit", "assignment.claim", "assignment.submit",
                       "assignment.claim", "assignment.submit"]


def test_submit_and_next_keeps_every_rule_of_the_separate_calls(db, operator, tmp_path):
    """Items held ahead are not resumed, work left open is; a paused annotator's answer stands but
    no next item comes; an answer the labels no longer allow is refused and nothing is claimed."""
    from annotator.core import queue_direct
    from annotator.core.quality import pause

    make_project(db, "p")
    add_texts(db, operator, "p", [{"id": f"i{n}", "text": str(n)} for n in range(6)], tmp_path)
    ann = make_user(db, "ann")
    first = queue_direct.claim(connected_as(db, ann), ann, "p")
    ahead = queue_direct.claim(connected_as(db, ann), ann, "p", holding=(first.assignment_id,))
    done = queue_direct.submit_and_claim(connected_as(db, ann), ann, first.assignment_id, {"label": "a"}, 1, "p",
                                         holding=(ahead.assignment_id,))
    assert done.next.external_id not in (first.external_id, ahead.external_id)
    # Nothing held: the open item ahead is this user's to finish, so it comes back before new work.
    again = queue_direct.submit_and_claim(connected_as(db, ann), ann, done.next.assignment_id, {"label": "a"}, 1, "p")
    assert again.next.assignment_id == ahead.assignment_id
    with db.write() as s:
        pause(s, operator, "ann", "p", "checking your boxes")
    paused = queue_direct.submit_and_claim(connected_as(db, ann), ann, ahead.assignment_id, {"label": "b"}, 1, "p")
    assert paused.outcome.accepted and paused.next is None
    assert isinstance(paused.refusal, UserPaused) and "checking your boxes" in str(paused.refusal)

    other = make_user(db, "other")
    mine = queue_direct.claim(connected_as(db, other), other, "p")
    with db.write() as s:
        s.execute(update(Project).where(Project.name == "p").values(config={"labels": ["x", "y"]}))
        before = s.scalar(select(func.count()).select_from(Assignment))
    with pytest.raises(InvalidAnswer):
        queue_direct.submit_and_claim(connected_as(db, other), other, mine.assignment_id, {"label": "a"}, 1, "p")
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(Assignment)) == before
        assert s.get(Assignment, mine.assignment_id).status == "claimed"


def test_submit_and_next_reports_the_answer_stored_when_only_the_next_claim_fails(db, operator, tmp_path,
                                                                                   monkeypatch):
    """The answer is in even if claiming the next item then breaks (the connection went, say): the
    call says so, and the workbench claims again, which tells the annotator what is wrong."""
    from annotator.core import queue_direct

    make_project(db, "p")
    add_texts(db, operator, "p", [{"id": "x", "text": "t"}, {"id": "y", "text": "u"}], tmp_path)
    ann = make_user(db, "ann")
    c = claim(db, ann)  # claimed by another process: this one runs the submit and the claim apart

    def broken(*_args, **_kwargs):
        raise RuntimeError("connection lost")

    monkeypatch.setattr(queue_direct, "claim", broken)
    done = queue_direct.submit_and_claim(connected_as(db, ann), ann, c.assignment_id, {"label": "a"}, 1, "p")
    assert done.outcome.accepted and done.next is None and done.refusal is None
    with db.read() as s:
        assert s.get(Assignment, c.assignment_id).answer == {"label": "a"}


def test_submit_stores_times_clamped_and_a_retry_is_harmless(db, operator, tmp_path):
    make_project(db, "p")
    add_texts(db, operator, "p", [{"id": "x", "text": "t"}], tmp_path)
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
    add_texts(db, operator, "p", [{"id": f"n{i}", "text": f"normal {i}"} for i in range(120)], tmp_path)
    add_texts(db, operator, "p", [{"id": f"g{i}", "text": f"gold {i}", "answer": {"label": "a"}} for i in range(30)],
              tmp_path, gold=True, name="gold.jsonl")
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
    add_texts(db, operator, "p", [{"id": f"n{i}", "text": f"n {i}"} for i in range(10)], tmp_path)
    add_texts(db, operator, "p", [{"id": f"g{i}", "text": f"g {i}", "answer": {"label": "a"}} for i in range(10)],
              tmp_path, gold=True, name="gold.jsonl")
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
    add_texts(db, operator, "exam", [{"id": f"q{i}", "text": f"q {i}", "answer": {"label": "a"}} for i in range(2)],
              tmp_path, gold=True, name="exam.jsonl")
    with db.write() as s:
        s.execute(update(Project).where(Project.name == "exam").values(gold_rate=1.0))
    make_project(db, "p", qualification_project="exam", qualification_min_accuracy=0.5)
    add_texts(db, operator, "p", [{"id": "x", "text": "t"}], tmp_path)
    ann = make_user(db, "ann")
    with pytest.raises(NotQualified, match="requires passing exam first"):
        claim(db, ann, "p")
    for _ in range(2):
        submit(db, ann, claim(db, ann, "exam"), {"label": "a"})
    score_gold(db)
    assert claim(db, ann, "p").external_id == "x"


def test_predictions_auto_accept_confident_items_but_keep_a_spot_check(db, operator, tmp_path):
    make_project(db, "p", overlap=2)
    add_texts(db, operator, "p", [{"id": f"i{n}", "text": f"t{n}"} for n in range(200)], tmp_path)
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
    add_texts(db, operator, "p", [{"id": f"i{n}", "text": f"t{n}"} for n in range(3)], tmp_path)
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
    add_texts(db, operator, "p", [{"id": f"i{n}", "text": f"t{n}"} for n in range(3)], tmp_path)
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


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)  # an embedded file has no server to drop it
def test_the_app_path_survives_the_server_dropping_its_connection(db, operator, tmp_path):
    """A PostgreSQL restart or an idle-connection killer drops the queue's pooled connection; the
    next claim and submit must still work (they fall back to the session path, which pings),
    and the connection after that is a fresh one."""
    from annotator.core import queue_direct

    make_project(db, "p")
    add_texts(db, operator, "p", [{"id": f"x{n}", "text": "t"} for n in range(3)], tmp_path)
    ann = make_user(db, "ann")
    first = queue_direct.claim(connected_as(db, ann), ann, "p")
    with db.driver_connection() as conn:
        pid = conn.info.backend_pid
    with db.write() as s:
        assert s.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    assert queue_direct.submit(connected_as(db, ann), ann, first.assignment_id, {"label": "a"}, 1.0).accepted
    second = queue_direct.claim(connected_as(db, ann), ann, "p")
    assert second.assignment_id != first.assignment_id
    assert queue_direct.submit(connected_as(db, ann), ann, second.assignment_id, {"label": "b"}, 1.0).accepted
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(Assignment).where(Assignment.status == "approved")) == 2


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)  # SQLite removes index entries at once
def test_a_vacuum_clears_claimed_items_out_of_the_claim_index(db, operator):
    """Each claim leaves a dead entry at the front of the claim index, which every later claim
    reads past until VACUUM removes it. PostgreSQL's vacuum skips its index pass while under 2%
    of the table's pages hold dead rows: here 3,000 claims in 200,000 items, in a big project
    a day's work. The migration makes it always clean the queue tables' indexes."""
    pid = make_project(db, "p")
    copy_plain_items(db, pid, 200_000)
    first_page = ("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT id FROM items WHERE project_id = %s AND open_slots > 0"
                  " ORDER BY priority DESC, confidence, id LIMIT 1" % pid)
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
        c.exec_driver_sql("ALTER TABLE items SET (autovacuum_enabled = false)")  # only this test's VACUUM runs
        try:
            c.exec_driver_sql("VACUUM ANALYZE items")
            # What 3,000 claims leave behind: the items' old row versions, still in the claim index.
            c.exec_driver_sql(f"UPDATE items SET open_slots = 0 WHERE project_id = {pid} AND external_id IN "
                              f"({', '.join(repr(f'i{i}') for i in range(3000))})")
            before = "\n".join(c.exec_driver_sql(first_page).scalars())
            c.exec_driver_sql("VACUUM items")  # as autovacuum does, with the table's own settings
            after = "\n".join(c.exec_driver_sql(first_page).scalars())
        finally:
            c.exec_driver_sql("ALTER TABLE items RESET (autovacuum_enabled)")  # the schema serves the next tests

    assert index_scan_pages(before, "ix_items_claim") > 10, before  # it reads past the dead entries
    assert index_scan_pages(after, "ix_items_claim") <= 4, after  # the root, an inner page and the first leaf


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # on PostgreSQL queue_claim asks this in the same call
def test_released_work_counts_as_resumable_only_while_its_slot_is_free(db, operator, tmp_path):
    """Once someone else has taken a released item's slot, it cannot be resumed, and it must not
    keep sending this user's claims down the slow path; when the slot frees again, it comes back
    to them, draft and all."""
    from annotator.core.queue_sql import hot_path
    from annotator.db.base import utcnow

    make_project(db, "p")
    add_texts(db, operator, "p", [{"id": "x", "text": "t"}, {"id": "y", "text": "u"}], tmp_path)
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
