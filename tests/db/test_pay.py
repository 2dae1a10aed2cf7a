"""Pay on both backends, by hand-computed cases: rewards on approval, nothing for a rejection and
nothing taken back by a later one, a lead's bonus, a top-up when active time runs past the
estimate, pay by the hour, and exact sums over 10,000 items. On PostgreSQL every step is the
person's own login, so the server's policies are what is tested."""

from __future__ import annotations

import csv
import json
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import func, select, text

from annotator.core import queue, review
from annotator.core.importing import import_items
from annotator.core.pay import pay_bonus, set_pay
from annotator.core.pay_report import pay_report, underpaying, write_pay_csv
from annotator.core.pay_statement import statement, todays_pay
from annotator.db.models import Assignment, AuditEvent
from annotator.db.pay_models import Bonus, Earning, PaySettings
from annotator.errors import AnnotatorError, PermissionDenied
from tests.helpers import connected_as, copy_plain_items, make_project, make_user

MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)  # 2026-W48
LATER = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)  # "now": W48 is over


def add_texts(db, operator, n, tmp_path, project="p"):
    path = tmp_path / f"{project}.jsonl"
    path.write_text("".join(json.dumps({"id": f"{project}{i}", "text": f"t{i}"}) + "\n" for i in range(n)))
    with db.write() as s:
        import_items(s, operator, project, path)


def hand_in(db, user, seconds, *, project="p", at=MONDAY, label="a"):
    """Claim at `at` and submit `seconds` later, as the person's own connection."""
    with connected_as(db, user).write() as s:
        c = queue.claim_next(s, user, project, now=at)
        queue.submit(s, user, c.assignment_id, {"label": label}, seconds, now=at + timedelta(seconds=seconds))
    return c.assignment_id


@pytest.fixture
def team(db, operator, tmp_path):
    make_project(db, "p", review_policy="all", config={"labels": ["a", "b"]})
    add_texts(db, operator, 6, tmp_path)
    lead = make_user(db, "lena", "lead")
    ann, bob = make_user(db, "ann"), make_user(db, "bob")
    with connected_as(db, lead).write() as s:
        set_pay(s, lead, "p", currency="usd", reward="0.05", estimate_seconds=30, floor="12.00")
    return lead, ann, bob


def test_rewards_a_rejection_a_bonus_and_a_top_up_by_hand(db, team):
    lead, ann, bob = team
    desk = connected_as(db, lead)
    ids = [hand_in(db, ann, 60, at=MONDAY + timedelta(minutes=n)) for n in range(4)]  # twice the estimate
    with desk.write() as s:
        for a in ids[:3]:
            review.approve(s, lead, a, now=MONDAY + timedelta(hours=2))
        review.reject(s, lead, ids[3], "wrong label", now=MONDAY + timedelta(hours=2))
        pay_bonus(s, lead, "ann", "p", "1.50", "thorough work", now=MONDAY + timedelta(hours=3))
    with connected_as(db, ann).read() as s:
        st = statement(s, ann, "ann", "p", "2026-W48", now=LATER)
    pay = st.settlement
    # 3 × 0.05 = 0.15 for 180 s (0.05 h): 3.00 an hour; the floor owes 12 × 0.05 = 0.60, so 0.45 more.
    assert (st.submitted, pay.approved, st.pending, st.rejected) == (4, 3, 0, 1)
    assert (pay.rewards, pay.bonuses, pay.top_up, pay.total) == (Decimal("0.15"), Decimal("1.50"), Decimal("0.45"),
                                                                 Decimal("2.10"))
    assert pay.rate() == Decimal("3") and pay.rate(with_top_up=True) == Decimal("12")
    assert st.rejections == [("p3", "wrong label")] and st.bonus_lines == [(Decimal("1.5"), "thorough work")]

    with desk.write() as s:  # an approval is final for pay: a later rejection takes nothing away
        review.reject(s, lead, ids[0], "on second thoughts", now=MONDAY + timedelta(hours=4))
        review.approve(s, lead, ids[3], now=MONDAY + timedelta(hours=5))  # MTurk lets a rejection be undone
    with connected_as(db, ann).read() as s:
        again = statement(s, ann, "ann", "p", "2026-W48", now=LATER)
    assert again.settlement.approved == 4 and again.settlement.rewards == Decimal("0.20")
    with desk.write() as s:
        review.approve(s, lead, ids[0], now=MONDAY + timedelta(hours=6))  # approved twice: paid once
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(Earning)) == 4


def test_the_report_and_its_csv_match_each_statement(db, team, tmp_path):
    lead, ann, bob = team
    desk = connected_as(db, lead)
    for user, seconds in ((ann, 20), (ann, 25), (bob, 90)):
        aid = hand_in(db, user, seconds)
        with desk.write() as s:
            review.approve(s, lead, aid, now=MONDAY + timedelta(hours=1))
    with desk.write() as s:
        pay_bonus(s, lead, "bob", "p", "0.25", "weekend shift", period="2026-W48", now=LATER)
        report = pay_report(s, lead, "p", "2026-W48", now=LATER)
        write_pay_csv(s, lead, report, tmp_path / "payroll.csv")
        warning = underpaying(s, lead, "p")
    rows = list(csv.DictReader((tmp_path / "payroll.csv").open(encoding="utf-8")))
    assert [(r["person"], r["approved_items"], r["rewards"], r["bonuses"], r["top_up"], r["total"]) for r in rows] == [
        ("ann", "2", "0.10", "0.00", "0.05", "0.15"),  # 45 s at 12/h is 0.15
        ("bob", "1", "0.05", "0.25", "0.25", "0.55"),  # 90 s at 12/h is 0.30
    ]
    with db.read() as s:
        for name in ("ann", "bob"):
            assert str(statement(s, lead, name, "p", "2026-W48", now=LATER).settlement.total) == \
                next(r["total"] for r in rows if r["person"] == name)
    assert report.total == {"USD": Decimal("0.70")}
    # The median item took 25 s: 0.05 pays 7.20 an hour; 0.09 (0.0834 rounded up) would meet 12.
    assert warning.median_seconds == 25 and warning.implied_rate == Decimal("7.2")
    assert warning.fair_reward == Decimal("0.09")


def test_pay_by_the_hour_in_exact_micro_units(db, operator, tmp_path):
    make_project(db, "h", config={"labels": ["a", "b"]})
    add_texts(db, operator, 2, tmp_path, project="h")
    ann = make_user(db, "ann")
    with db.write() as s:
        set_pay(s, operator, "h", currency="EUR", hourly="15", floor="12")
    hand_in(db, ann, 100.5, project="h")  # 100.5 s at 15/h: 0.41875
    hand_in(db, ann, 50.25, project="h", at=MONDAY + timedelta(minutes=5))  # 0.209375
    with db.read() as s:
        assert sorted(s.scalars(select(Earning.amount_micros))) == [209375, 418750]
        st = statement(s, operator, "ann", "h", "2026-W48", now=LATER)
    assert (st.settlement.rewards, st.settlement.top_up, st.settlement.total) == (
        Decimal("0.63"), Decimal("0"), Decimal("0.63"))


def test_ten_thousand_rewards_of_a_tenth_sum_exactly(db, operator):
    project_id = make_project(db, "big", config={"labels": ["a", "b"]})
    ann = make_user(db, "ann")
    with db.write() as s:
        set_pay(s, operator, "big", currency="USD", reward="0.1")
    if db.is_sqlite:
        with db.write() as s:
            s.execute(text("INSERT INTO items (project_id, external_id, payload, priority, confidence, open_slots, "
                           "is_gold, done_by_model, spot_check, version, created_at) "
                           "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 9999) "
                           "SELECT :p, 'i' || i, '{\"text\": \"t\"}', 0, -1.0, 0, 0, 0, 0, 1, '2026-01-01' FROM n"),
                      {"p": project_id})
    else:
        copy_plain_items(db, project_id, 10_000)
    with db.write() as s:  # approved as they come in: the trigger pays each
        s.execute(text("INSERT INTO assignments (uid, item_id, user_id, project_id, status, claimed_at, lease_until, "
                       "submitted_at, reviewed_at, active_seconds, needs_review, skipped, offline, is_gold) "
                       "SELECT 'u' || id, id, :u, :p, 'approved', :t, :t, :t, :t, 3.3, false, false, false, false "
                       "FROM items WHERE project_id = :p"), {"u": ann.id, "p": project_id, "t": MONDAY})
    with db.read() as s:
        assert s.scalar(select(func.sum(Earning.amount_micros))) == 1_000_000_000
        st = statement(s, operator, "ann", "big", "2026-W48", now=LATER)
    assert st.settlement.approved == 10_000 and st.settlement.rewards == Decimal("1000.00")
    assert sum([0.1] * 10_000) != 1000  # what a float would have paid


def test_an_annotator_reads_only_their_own_pay(db, team):
    lead, ann, bob = team
    for user in (ann, bob):
        aid = hand_in(db, user, 30)
        with connected_as(db, lead).write() as s:
            review.approve(s, lead, aid, now=MONDAY + timedelta(hours=1))
    with connected_as(db, ann).read() as s, pytest.raises(PermissionDenied):
        statement(s, ann, "bob", "p", "2026-W48", now=LATER)
    with connected_as(db, ann).read() as s, pytest.raises(PermissionDenied):
        pay_report(s, ann, "p", "2026-W48", now=LATER)
    if db.is_sqlite:
        return  # a local file is its own boundary
    with connected_as(db, ann).read() as s:  # the server shows an annotator's login their own rows alone
        assert s.scalars(select(Earning.user_id)).all() == [ann.id]
    from sqlalchemy.exc import ProgrammingError

    with pytest.raises(ProgrammingError, match="permission denied|row-level security"):
        with connected_as(db, ann).write() as s:
            s.execute(text("INSERT INTO bonuses (user_id, project_id, currency, amount_micros, reason, period, "
                           "created_at) VALUES (:u, (SELECT id FROM projects), 'USD', 5000000, 'me', '2026-W48', now())"),
                      {"u": ann.id})
    with pytest.raises(ProgrammingError, match="permission denied"):
        with connected_as(db, lead).write() as s:  # nobody changes an earning, a lead neither
            s.execute(text("UPDATE earnings SET amount_micros = 0"))


def test_bad_input_is_refused_by_name_and_changes_nothing(db, team):
    lead, ann, bob = team
    make_user(db, "stranger", join=False)
    hand_in(db, ann, 30)  # ann works on p (on SQLite, that is what makes her its member)
    desk = connected_as(db, lead)
    with db.read() as s:
        before = (s.scalar(select(func.count()).select_from(AuditEvent)), s.get(PaySettings, 1).reward_micros)
    for call, message in (
        (lambda s: set_pay(s, lead, "p", currency="USD", reward="-0.05"), "the reward per item should be at least 0"),
        (lambda s: set_pay(s, lead, "p", currency="XYZ", reward="0.05"), "'XYZ' is not a currency"),
        (lambda s: set_pay(s, lead, "p", currency="USD", reward="a dime"), "should be an amount such as 0.05"),
        (lambda s: pay_bonus(s, lead, "stranger", "p", "1", "hi"), "stranger is not a member of p"),
        (lambda s: pay_bonus(s, lead, "ann", "p", "1", "ahead", period="2027-W10", now=LATER),
         "the period 2027-W10 has not begun yet"),
        (lambda s: pay_bonus(s, lead, "ann", "p", "0.001", "tiny"), "finer than USD's smallest unit"),
        (lambda s: pay_bonus(s, lead, "ann", "p", "1", "  "), "a bonus needs a reason"),
        (lambda s: pay_report(s, lead, "p", "2026-W99"), "a pay period is an ISO week"),
    ):
        with pytest.raises(AnnotatorError, match=message):
            with desk.write() as s:
                call(s)
    with db.read() as s:
        assert (s.scalar(select(func.count()).select_from(AuditEvent)), s.get(PaySettings, 1).reward_micros) == before
        assert s.scalar(select(func.count()).select_from(Bonus)) == 0


def test_todays_pay_for_the_workbench(db, team):
    lead, ann, bob = team
    midnight = MONDAY.replace(hour=0)
    approved = hand_in(db, ann, 30)
    hand_in(db, ann, 30, at=MONDAY + timedelta(minutes=2))
    with connected_as(db, lead).write() as s:
        review.approve(s, lead, approved, now=MONDAY + timedelta(minutes=10))
    with connected_as(db, ann).read() as s:
        today = todays_pay(s, ann, s.scalar(select(Assignment.project_id).limit(1)), midnight)
    assert (today.currency, today.earned, today.pending) == ("USD", Decimal("0.05"), 1)


def test_offline_work_earns_at_check_in_as_online_work_does(db, operator, tmp_path):
    from annotator.core import offline
    from annotator.db.base import utcnow
    from tests.db.test_offline import work_offline
    from tests.helpers import as_person

    make_project(db, "p", config={"labels": ["a", "b"]})  # no review: approved as it is handed in
    add_texts(db, operator, 3, tmp_path)
    ann = make_user(db, "ann")
    with db.write() as s:
        set_pay(s, operator, "p", currency="GBP", reward="0.04")
    out = tmp_path / "ann.annot"
    offline.checkout(*as_person(db, "ann"), "p", "ann", 3, out, now=utcnow() - timedelta(hours=1))
    work_offline(out, "ann", {0: {"label": "a"}, 1: {"label": "b"}})
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(Earning)) == 0  # nothing is earned in the bundle
    offline.checkin(*as_person(db, "ann"), out)
    offline.checkin(*as_person(db, "ann"), out)  # a second check-in changes nothing, pay included
    with db.read() as s:
        earned = s.execute(select(Earning.user_id, Earning.amount_micros, Earning.active_seconds)).all()
    assert sorted(earned) == [(ann.id, 40_000, 12.5), (ann.id, 40_000, 12.5)]
