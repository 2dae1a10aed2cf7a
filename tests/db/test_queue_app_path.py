"""The app's path through the queue (queue_direct): the workbench's claim, submit and
submit-and-next store what the session code would, on both backends."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select, text, update

from annotator.core import queue_direct
from annotator.db.base import utcnow
from annotator.db.models import Assignment, AuditEvent, Project
from annotator.errors import InvalidAnswer, NothingLeft, NotYourAssignment, UserPaused
from tests.helpers import add_texts, claim, connected_as, make_project, make_user


def test_the_app_path_checks_the_answer_against_the_configuration_of_the_moment(db, operator, tmp_path):
    """The app's submit checks the answer before writing, against the configuration it claimed
    under; a lead who changes the labels meanwhile wins: the new labels decide."""
    make_project(db, "p")
    add_texts(db, operator, [{"id": "x", "text": "t"}, {"id": "y", "text": "u"}], tmp_path)
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
    make_project(db, "p", review_policy=policy)
    add_texts(db, operator, [{"id": "x", "text": "t"}], tmp_path)
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


@pytest.mark.parametrize("call", ["submit", "submit_and_claim"])
def test_the_review_policy_of_the_moment_decides_a_submit(db, operator, tmp_path, call):
    """The app's submit works out the answer's status before writing, from the policy it claimed
    under; a lead who turns on review meanwhile wins: the answer waits for review."""
    make_project(db, "p", review_policy="none")
    add_texts(db, operator, [{"id": i, "text": i} for i in ("x", "y", "z")], tmp_path)
    ann = make_user(db, "ann")
    first = queue_direct.claim(connected_as(db, ann), ann, "p")  # a first claim also makes the membership
    queue_direct.submit(connected_as(db, ann), ann, first.assignment_id, {"label": "a"}, 1.0)
    c = queue_direct.claim(connected_as(db, ann), ann, "p")
    with db.write() as s:
        s.execute(update(Project).where(Project.name == "p").values(review_policy="all"))
    if call == "submit":
        outcome = queue_direct.submit(connected_as(db, ann), ann, c.assignment_id, {"label": "a"}, 1.0)
    else:
        outcome = queue_direct.submit_and_claim(connected_as(db, ann), ann, c.assignment_id, {"label": "a"}, 1.0,
                                                "p").outcome
    assert outcome.accepted and outcome.status == "submitted"
    with db.read() as s:
        a = s.get(Assignment, c.assignment_id)
        assert (a.status, a.needs_review, a.reviewed_at) == ("submitted", True, None)


def test_submit_and_next_hands_in_the_answer_and_claims_the_next_item(db, operator, tmp_path):
    """The workbench's Submit: one call stores the answer as submit does (seconds clamped, review
    policy, audit) and claims the next item; at the end of the queue the answer still stands."""
    make_project(db, "p", review_policy="all", lease_seconds=600)
    add_texts(db, operator, [{"id": i, "text": i} for i in ("x", "y", "z")], tmp_path)
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
    from annotator.core.quality import pause

    make_project(db, "p")
    add_texts(db, operator, [{"id": f"i{n}", "text": str(n)} for n in range(6)], tmp_path)
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
    make_project(db, "p")
    add_texts(db, operator, [{"id": "x", "text": "t"}, {"id": "y", "text": "u"}, {"id": "z", "text": "v"}], tmp_path)
    ann = make_user(db, "ann")
    c = claim(db, ann)
    claim(db, ann, holding=(c.assignment_id,))  # held besides c, and not named as held by the next claim,
    # which resumes it, on the session path: the submit and that claim run apart

    def broken(*_args, **_kwargs):
        raise RuntimeError("connection lost")

    monkeypatch.setattr(queue_direct, "claim", broken)
    done = queue_direct.submit_and_claim(connected_as(db, ann), ann, c.assignment_id, {"label": "a"}, 1, "p")
    assert done.outcome.accepted and done.next is None and done.refusal is None
    with db.read() as s:
        assert s.get(Assignment, c.assignment_id).answer == {"label": "a"}


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)  # an embedded file has no server to drop it
def test_the_app_path_survives_the_server_dropping_its_connection(db, operator, tmp_path):
    """A PostgreSQL restart or an idle-connection killer drops the queue's pooled connection; the
    next claim and submit must still work (they fall back to the session path, which pings),
    and the connection after that is a fresh one."""
    make_project(db, "p")
    add_texts(db, operator, [{"id": f"x{n}", "text": "t"} for n in range(3)], tmp_path)
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
