"""Review, approval rates, pauses, aggregation, agreement and exports on both backends."""

import csv
import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from annotator.core import quality, queue, review
from annotator.core.aggregate import aggregate_project
from annotator.core.agreement import category_alpha, project_agreement
from annotator.core.exporting import export_results
from annotator.core.projects import get_project
from annotator.core.stats import project_stats, queue_status
from annotator.db.base import utcnow
from annotator.db.models import Assignment, AuditEvent, Consensus, Item, Review
from annotator.errors import AnnotatorError, PermissionDenied, UserPaused
from tests.helpers import add_texts, connected_as, make_project, make_user


def work(db, user, label="a", project="p", now=None, seconds=5):
    """Claim at `now` and submit `seconds` later (the server clamps time to what elapsed)."""
    now = now or utcnow() - timedelta(seconds=seconds)
    with connected_as(db, user).write() as s:
        c = queue.claim_next(s, user, project, now=now)
        out = queue.submit(s, user, c.assignment_id, {"label": label}, seconds, now=now + timedelta(seconds=seconds))
    return c, out


def test_review_policy_all_waits_for_a_lead_who_approves_rejects_and_fixes(db, operator, tmp_path):
    make_project(db, "p", review_policy="all", overlap=1)
    add_texts(db, operator, [{"id": f"i{n}", "text": f"t{n}"} for n in range(4)], tmp_path)
    ann, lead, other = make_user(db, "ann"), make_user(db, "lead", "lead"), make_user(db, "other")
    claims = [work(db, ann)[0] for _ in range(3)]
    with db.write() as s:
        page = review.review_queue(s, lead, project="p")
    assert [r.assignment_id for r in page.rows] == [c.assignment_id for c in claims]
    assert all(r.status == "submitted" and r.needs_review for r in page.rows)
    with db.write() as s:
        review.approve(s, lead, claims[0].assignment_id)
        with pytest.raises(AnnotatorError, match="needs a comment"):
            review.reject(s, lead, claims[1].assignment_id, "  ")
        review.reject(s, lead, claims[1].assignment_id, "The customer asks about a refund: billing.")
        review.fix(s, lead, claims[2].assignment_id, {"label": "c"}, "close, but c")
    with db.read() as s:
        statuses = [s.get(Assignment, c.assignment_id).status for c in claims]
        rejected_item = s.get(Item, s.get(Assignment, claims[1].assignment_id).item_id)
        decisions = s.scalars(select(Review.decision).order_by(Review.id)).all()
        audit = s.scalars(select(AuditEvent.action).where(AuditEvent.action.like("review.%")).order_by(AuditEvent.id)).all()
    assert statuses == ["approved", "rejected", "approved"]
    assert rejected_item.open_slots == 1, "a reject reopens the slot"
    assert decisions == ["approve", "reject", "fix"] and audit == ["review.approve", "review.reject", "review.fix"]
    # The reopened item goes to someone else, not back to the rejected annotator.
    c, _ = work(db, other)
    assert c.external_id == rejected_item.external_id
    with db.read() as s:
        mine = review.my_rejections(s, ann)
    assert [(r.external_id, r.comment, r.reviewer) for r in mine] == [(rejected_item.external_id, "The customer asks about a refund: billing.", "lead")]
    with db.write() as s:
        aggregate_project(s, operator, "p")
        fixed = s.scalar(select(Consensus.answer).join(Item).where(Item.id == s.get(Assignment, claims[2].assignment_id).item_id))
    assert fixed == {"label": "c"}, "a fix becomes the accepted answer"


def test_keyset_pages_filters_and_sorting(db, operator, tmp_path):
    make_project(db, "p", review_policy="all", overlap=2)
    add_texts(db, operator, [{"id": f"i{n}", "text": f"t{n}"} for n in range(10)], tmp_path)
    a, b, lead = make_user(db, "a"), make_user(db, "b"), make_user(db, "lead", "lead")
    t0 = utcnow() - timedelta(hours=1)
    for n in range(5):
        work(db, a, now=t0 + timedelta(minutes=n))
        work(db, b, now=t0 + timedelta(minutes=n, seconds=30))
    seen, cursor = [], None
    with db.write() as s:
        while True:
            page = review.review_queue(s, lead, project="p", limit=3, after=cursor)
            seen += [r.assignment_id for r in page.rows]
            cursor = page.next_cursor
            if cursor is None:
                break
        assert seen == sorted(seen) and len(seen) == 10
        only_b = review.review_queue(s, lead, annotator="b")
        assert {r.annotator for r in only_b.rows} == {"b"} and len(only_b.rows) == 5
        window = review.review_queue(s, lead, since=t0 + timedelta(minutes=2), until=t0 + timedelta(minutes=3))
        assert len(window.rows) == 2
        newest_first = review.review_queue(s, lead, descending=True, limit=2)
        assert newest_first.rows[0].submitted_at > newest_first.rows[1].submitted_at
        assert review.bulk_approve(s, lead, [r.assignment_id for r in only_b.rows]) == 5
        assert len(review.review_queue(s, lead).rows) == 5


def test_auto_approve_respects_the_delay(db, operator, tmp_path):
    make_project(db, "p", review_policy="all", auto_approve_seconds=3600)
    add_texts(db, operator, [{"id": "x", "text": "t"}, {"id": "y", "text": "u"}], tmp_path)
    ann = make_user(db, "ann")
    t0 = utcnow() - timedelta(hours=3)
    old, _ = work(db, ann, now=t0)
    fresh, _ = work(db, ann, now=utcnow() - timedelta(minutes=10))
    with db.write() as s:
        assert review.auto_approve(s, operator, now=t0 + timedelta(minutes=59)) == 0
    with db.write() as s:
        assert review.auto_approve(s, operator) == 1
    with db.read() as s:
        assert s.get(Assignment, old.assignment_id).status == "approved"
        assert s.get(Assignment, fresh.assignment_id).status == "submitted"
        assert s.scalar(select(Review.comment)) == "approved automatically after the project's delay"


def test_approval_rates_match_a_hand_computation(db, operator, tmp_path):
    make_project(db, "p", review_policy="all", overlap=1)
    add_texts(db, operator, [{"id": f"i{n}", "text": f"t{n}"} for n in range(10)], tmp_path)
    ann, lead = make_user(db, "ann"), make_user(db, "lead", "lead")
    now = utcnow()
    # ages in days of each assignment's decision, and the decision
    plan = [(40, "approve"), (40, "reject"), (20, "approve"), (20, "approve"), (20, "reject"),
            (3, "approve"), (3, "reject"), (1, "reject"), (1, None)]
    for days, decision in plan:
        when = now - timedelta(days=days)
        c, _ = work(db, ann, now=when)
        with db.write() as s:
            if decision == "approve":
                review.approve(s, lead, c.assignment_id, now=when)
            elif decision == "reject":
                review.reject(s, lead, c.assignment_id, "wrong", now=when)
    with db.read() as s:
        rates = quality.approval_rates(s, ann.id, now=now)
    # lifetime: 4 approved, 4 rejected; 30 days: 3 approved / 6; 7 days: 1 / 3
    assert (rates.approved, rates.rejected) == (4, 4)
    assert rates.lifetime == pytest.approx(4 / 8)
    assert rates.last_30_days == pytest.approx(3 / 6)
    assert rates.last_7_days == pytest.approx(1 / 3)


def test_low_approval_rate_pauses_and_a_lead_reinstates(db, operator, tmp_path):
    make_project(db, "p", review_policy="all", min_approval_rate=0.6, min_scored_items=3)
    add_texts(db, operator, [{"id": f"i{n}", "text": f"t{n}"} for n in range(10)], tmp_path)
    ann, lead = make_user(db, "ann"), make_user(db, "lead", "lead")
    for _ in range(3):
        c, _ = work(db, ann)
        with db.write() as s:
            review.reject(s, lead, c.assignment_id, "no")
    with pytest.raises(UserPaused, match="approval rate 0% .*below the project's minimum of 60%"):
        work(db, ann)
    with db.read() as s:
        paused = quality.paused_members(s, lead, "p")
    assert [(m.user, m.project) for m in paused] == [("ann", "p")]
    with db.write() as s, pytest.raises(PermissionDenied):
        quality.reinstate(s, ann, "ann", "p")
    with db.write() as s:
        quality.reinstate(s, lead, "ann", "p")
    work(db, ann)  # can claim again
    with db.read() as s:
        actions = s.scalars(select(AuditEvent.action).where(AuditEvent.action.like("membership.%"),
                                                            AuditEvent.action != "membership.add")
                            .order_by(AuditEvent.id)).all()
    assert actions == ["membership.pause", "membership.reinstate"]


def test_training_mode_shows_the_correct_answer_after_gold(db, operator, tmp_path):
    make_project(db, "p", gold_rate=1.0, training_mode=True)
    add_texts(db, operator, [{"id": "g", "text": "gold", "answer": {"label": "b"}}], tmp_path, gold=True)
    add_texts(db, operator, [{"id": "n", "text": "n"}], tmp_path)
    ann = make_user(db, "ann")
    _, out = work(db, ann, label="a")
    assert out.correct_answer == {"label": "b"} and out.score == 0.0


def test_majority_and_dawid_skene_consensus_and_agreement(db, operator, tmp_path):
    make_project(db, "p", overlap=3)
    add_texts(db, operator, [{"id": f"i{n}", "text": f"t{n}"} for n in range(6)], tmp_path)
    users = [make_user(db, n) for n in ("u1", "u2", "u3")]
    for user, labels in zip(users, ["aaaaaa", "aaabbb", "abcabc"]):
        for label in labels:
            work(db, user, label=label)
    with db.write() as s:
        maj = aggregate_project(s, operator, "p", "majority")
        ds = aggregate_project(s, operator, "p", "dawid-skene")
        agreement = project_agreement(s, operator, "p")
    assert maj.items == ds.items == 6
    with db.read() as s:
        rows = s.execute(select(Item.external_id, Consensus.answer, Consensus.confidence)
                         .join(Item).where(Consensus.method == "majority").order_by(Item.id)).all()
    assert [r[1]["label"] for r in rows] == ["a", "a", "a", "b", "b", "b"][:3] + [rows[3][1]["label"], "b", rows[5][1]["label"]]
    assert rows[0][2] == pytest.approx(1.0)
    assert -1 <= agreement.overall <= 1 and set(agreement.per_annotator) == {"u1", "u2", "u3"}
    assert set(agreement.per_label) == {"a", "b", "c"}

    # The dashboard's alpha, computed from counts in the database, is the krippendorff package's.
    lead = make_user(db, "lead", "lead")
    with db.write() as s:
        first = s.scalar(select(Assignment.id).where(Assignment.user_id == users[2].id).order_by(Assignment.id))
        review.fix(s, lead, first, {"label": "b"})  # a lead's fix counts instead of the answer
        agreement = project_agreement(s, operator, "p")
        overall, per_label, items = category_alpha(s, get_project(s, "p"))
    assert items == agreement.items == 6
    assert overall == pytest.approx(agreement.overall)
    assert per_label == pytest.approx(agreement.per_label)


def test_stats_and_exports(db, operator, tmp_path):
    make_project(db, "p", overlap=2)
    add_texts(db, operator, [{"id": f"i{n}", "text": f"t{n}"} for n in range(3)], tmp_path)
    a, b = make_user(db, "a"), make_user(db, "b")
    for _ in range(3):
        work(db, a, seconds=36)
        work(db, b, label="b", seconds=72)
    with db.write() as s:
        aggregate_project(s, operator, "p")
        st = project_stats(s, operator, "p")
        n_csv = export_results(s, operator, "p", tmp_path / "out.csv", "csv")
        n_json = export_results(s, operator, "p", tmp_path / "out.jsonl", "jsonl")
    assert (st.items, st.finished_items) == (3, 3)
    by_user = {x.user: x for x in st.annotators}
    assert by_user["a"].done == 3 and by_user["a"].active_hours == pytest.approx(108 / 3600, abs=1e-3)
    assert by_user["a"].items_per_hour == pytest.approx(100, rel=0.02)
    assert sum(n for _, n in st.per_day) == 6
    assert n_csv == n_json == 3
    rows = list(csv.DictReader((tmp_path / "out.csv").open(encoding="utf-8")))
    assert rows[0]["review_state"] == "approved:2" and json.loads(rows[0]["consensus"])["label"] in ("a", "b")
    line = json.loads((tmp_path / "out.jsonl").read_text().splitlines()[0])
    assert {x["user"] for x in line["answers"]} == {"a", "b"} and "majority" in line["consensus"]


def test_annotators_can_call_none_of_the_lead_functions(db, operator, tmp_path):
    make_project(db, "p", review_policy="all")
    add_texts(db, operator, [{"id": "x", "text": "t"}], tmp_path)
    ann = make_user(db, "ann")
    c, _ = work(db, ann)
    calls = [
        lambda s: review.review_queue(s, ann),
        lambda s: review.approve(s, ann, c.assignment_id),
        lambda s: review.reject(s, ann, c.assignment_id, "x"),
        lambda s: review.fix(s, ann, c.assignment_id, {"label": "a"}),
        lambda s: review.bulk_approve(s, ann, [c.assignment_id]),
        lambda s: quality.reinstate(s, ann, "ann", "p"),
        lambda s: quality.pause(s, ann, "ann", "p", "x"),
        lambda s: quality.paused_members(s, ann),
        lambda s: aggregate_project(s, ann, "p"),
        lambda s: project_agreement(s, ann, "p"),
        lambda s: project_stats(s, ann, "p"),
        lambda s: queue_status(s, ann, "p"),
        lambda s: export_results(s, ann, "p", tmp_path / "x.csv", "csv"),
    ]
    for call in calls:
        with db.write() as s, pytest.raises(PermissionDenied):
            call(s)
    with db.read() as s:
        assert s.get(Assignment, c.assignment_id).status == "submitted"


def test_pausing_a_paused_user_is_refused_and_writes_nothing(db, operator):
    make_project(db, "p")
    make_user(db, "ann")
    with db.write() as s:
        quality.pause(s, operator, "ann", "p", "spam")
    with db.write() as s, pytest.raises(AnnotatorError, match="already paused"):
        quality.pause(s, operator, "ann", "p", "spam again")
    with db.read() as s:
        assert s.scalars(select(AuditEvent.action).where(AuditEvent.action == "membership.pause")).all() == ["membership.pause"]


def test_a_csv_export_lets_other_desktops_work_while_it_runs(db, operator, tmp_path):
    """The export reads without a write lock: midway, another connection hands in work and the
    export, one snapshot, holds what was there when it began."""
    from annotator.core.exporting import export_from
    make_project(db, "p")
    add_texts(db, operator, [{"id": f"i{n}", "text": f"t{n}"} for n in range(3)], tmp_path)
    ann = make_user(db, "ann")
    handed_in = []

    def midway(done, total, what):
        if not handed_in:
            work(db, ann)  # on a connection of its own: under a write lock, "database is locked"
            handed_in.append(True)

    assert export_from(db, operator, "p", tmp_path / "out.csv", "csv", progress=midway) == 3
    rows = list(csv.DictReader((tmp_path / "out.csv").open(encoding="utf-8")))
    assert handed_in and [json.loads(row["answers"]) for row in rows] == [[], [], []]
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(Assignment).where(Assignment.submitted_at.is_not(None))) == 1
