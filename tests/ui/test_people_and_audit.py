"""People and audit windows for leads and admins, on a real database."""

import csv

import pytest
from sqlalchemy import select

from annotator.core import audit
from annotator.core.auth import Actor
from annotator.core.quality import pause
from annotator.db.models import Membership, User
from annotator.errors import PermissionDenied
from annotator.ui.people import AuditWindow, PeopleWindow
from tests.helpers import connected_as, make_project, make_user, score_gold
from tests.ui.workers import worker_as


def start(qtbot, db_url, cls, actor):
    worker = worker_as(qtbot, db_url, actor)
    window = cls(actor, worker)
    qtbot.addWidget(window)
    window.show()
    return window, worker


def test_a_lead_reinstates_a_paused_annotator(qtbot, db, db_url):
    make_project(db, "p")
    make_user(db, "ann")
    lead = make_user(db, "lead", "lead")
    with db.write() as s:
        pause(s, Actor.local_operator(), "ann", "p", "gold accuracy 30% is below 60%")
    window, worker = start(qtbot, db_url, PeopleWindow, lead)
    qtbot.waitUntil(lambda: window.paused.rowCount() == 1, timeout=10_000)
    assert window.paused.item(0, 3).text() == "gold accuracy 30% is below 60%"
    assert not window.tabs.isTabEnabled(0), "only admins manage accounts"
    window.paused.selectRow(0)
    with qtbot.waitSignal(window.changed, timeout=10_000):
        window.reinstate_selected()
    qtbot.waitUntil(lambda: window.paused.rowCount() == 0, timeout=10_000)
    with db.read() as s:
        assert s.scalar(select(Membership.state)) == "active"
    worker.stop()


def test_an_admin_adds_a_user_changes_a_role_and_deactivates(qtbot, db, db_url):
    admin = make_user(db, "chief", "admin")  # not "root": a server may have a role of that name
    window, worker = start(qtbot, db_url, PeopleWindow, admin)
    qtbot.waitUntil(lambda: window.users.rowCount() == 1, timeout=10_000)
    window.add_user("newbie", "pass-1234", "annotator")
    qtbot.waitUntil(lambda: window.users.rowCount() == 2, timeout=10_000)
    row = next(r for r in range(2) if window.users.item(r, 0).text() == "newbie")
    window.users.selectRow(row)
    window.change_role("lead")
    qtbot.waitUntil(lambda: any(window.users.item(r, 1).text() == "lead" for r in range(window.users.rowCount())), timeout=10_000)
    row = next(r for r in range(2) if window.users.item(r, 0).text() == "newbie")
    window.users.selectRow(row)
    window.toggle_active()
    qtbot.waitUntil(lambda: "deactivated" in window.status.text(), timeout=10_000)
    with db.read() as s:
        u = s.scalars(select(User).where(User.name == "newbie")).one()
    assert (u.role, u.active) == ("lead", False)
    worker.stop()


def test_the_audit_trail_filters_and_exports_csv(qtbot, db, db_url, tmp_path):
    make_project(db, "p")
    make_user(db, "ann", join=False)  # the same trail on both backends: no memberships
    # An admin: on a team database a lead reads only their projects' events, not the users'.
    admin = make_user(db, "boss", "admin", join=False)
    window, worker = start(qtbot, db_url, AuditWindow, admin)
    qtbot.waitUntil(lambda: len(window.rows) == 3, timeout=10_000)
    window.action.setText("user.*")
    with qtbot.waitSignal(window.loaded, timeout=10_000):
        window.search()
    assert {r.action for r in window.rows} == {"user.add"} and len(window.rows) == 2
    out = tmp_path / "audit.csv"
    window.export(str(out))
    qtbot.waitUntil(lambda: "Exported 2 event(s)" in window.status.text(), timeout=10_000)
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [r["action"] for r in rows] == ["user.add", "user.add"] and '"name": "ann"' in rows[0]["details"]
    worker.stop()


def test_annotators_cannot_read_the_audit_trail(db):
    ann = make_user(db, "ann")
    with db.read() as s, pytest.raises(PermissionDenied):
        audit.list_events(s, ann)


def test_an_annotators_history_is_drawn(qtbot, db, db_url, tmp_path):
    import json
    from datetime import timedelta

    from annotator.core import queue, review
    from annotator.core.importing import import_items
    from annotator.db.base import utcnow

    make_project(db, "p", gold_rate=0.5, review_policy="all", config={"labels": ["a", "b"]})
    (tmp_path / "n.jsonl").write_text("\n".join(json.dumps({"id": f"n{i}", "text": f"n{i}"}) for i in range(6)) + "\n")
    (tmp_path / "g.jsonl").write_text("\n".join(json.dumps({"id": f"g{i}", "text": f"g{i}", "answer": {"label": "a"}}) for i in range(6)) + "\n")
    with db.write() as s:
        import_items(s, Actor.local_operator(), "p", tmp_path / "n.jsonl")
        import_items(s, Actor.local_operator(), "p", tmp_path / "g.jsonl", gold=True)
    ann, lead = make_user(db, "ann"), make_user(db, "lead", "lead")
    t0 = utcnow() - timedelta(days=2)
    for i in range(8):
        t = t0 + timedelta(hours=3 * i)
        with connected_as(db, ann).write() as s:
            c = queue.claim_next(s, ann, "p", now=t)
            queue.submit(s, ann, c.assignment_id, {"label": "a" if i % 3 else "b"}, 30, now=t + timedelta(seconds=40))
        with db.write() as s:
            if i % 4:
                review.approve(s, lead, c.assignment_id, now=t + timedelta(minutes=5))
            else:
                review.reject(s, lead, c.assignment_id, "no", now=t + timedelta(minutes=5))
    score_gold(db)  # a lead's scorer, on PostgreSQL
    window, worker = start(qtbot, db_url, PeopleWindow, lead)
    with qtbot.waitSignal(window.history_shown, timeout=10_000) as shown:
        window.show_history("ann")
    h = shown.args[0]
    assert len(h.gold) >= 2 and h.approval and 0 < h.approval[-1][1] < 1
    assert all(v > 0 for _, v in h.items_per_hour)
    assert window.history_plots is not None and "gold item(s) scored" in window.status.text()
    worker.stop()


def test_review_window_filters_by_dates_and_gold_score(qtbot, db, db_url, tmp_path):
    from annotator.ui.review import ReviewWindow

    lead = make_user(db, "lead", "lead")
    worker = worker_as(qtbot, db_url, lead)
    w = ReviewWindow(lead, worker)
    qtbot.addWidget(w)
    w.since.setText("2026-13-40")
    w.reload()
    assert "is not a date" in w.message.text()
    w.since.setText("2026-01-01")
    w.min_gold.setText("50%")
    assert w._range_filters()["min_gold_score"] == 0.5 and w._range_filters()["since"].year == 2026
    worker.stop()
