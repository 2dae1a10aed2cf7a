"""The lead's review window on a real database: filter, approve, reject, fix, bulk-approve."""

import json
from datetime import timedelta

from PySide6.QtCore import Qt
from sqlalchemy import func, select

from annotator.core import queue
from annotator.core.auth import Actor
from annotator.core.importing import import_items
from annotator.db.base import utcnow
from annotator.db.models import Assignment, Item, Project, Review
from annotator.ui.app import AppController
from annotator.ui.review import ReviewWindow
from tests.helpers import connected_as, make_project, make_user, shared
from tests.ui.desk import log_in
from tests.ui.workers import worker_as


def submitted_work(db, tmp_path, n=4, kind="text_categories"):
    if kind == "text_categories":
        make_project(db, "p", review_policy="all", config={"labels": ["a", "b"]})
        rows = [{"id": f"t{i}", "text": f"text {i}"} for i in range(n)]
    else:
        make_project(db, "p", kind="image_boxes", review_policy="all", config={"labels": ["face"]})
        rows = [{"id": "h", "image": str(shared("images", "hopper.jpg"))}]
    (tmp_path / "i.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    with db.write() as s:
        import_items(s, Actor.local_operator(), "p", tmp_path / "i.jsonl")
    workers = [make_user(db, "ann"), make_user(db, "bob")]
    for i in range(len(rows)):
        user = workers[i % 2]
        with connected_as(db, user).write() as s:
            c = queue.claim_next(s, user, "p")
            answer = {"label": "a"} if kind == "text_categories" else {"boxes": [{"label": "face", "x": 30, "y": 20, "w": 60, "h": 70}]}
            queue.submit(s, user, c.assignment_id, answer, 3)
    return make_user(db, "lead", "lead")


def open_review(qtbot, db_url, lead):
    worker = worker_as(qtbot, db_url, lead)
    window = ReviewWindow(lead, worker)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: len(window.model.rows) > 0, timeout=10_000)
    return window, worker


def status(db, assignment_id):
    with db.read() as s:
        return s.get(Assignment, assignment_id).status


def test_a_lead_filters_and_approves_with_a_key(qtbot, db, db_url, tmp_path):
    lead = submitted_work(db, tmp_path)
    window, worker = open_review(qtbot, db_url, lead)
    assert len(window.model.rows) == 4
    window.annotator.setText("bob")
    window.reload()
    qtbot.waitUntil(lambda: len(window.model.rows) == 2 and {r.annotator for r in window.model.rows} == {"bob"}, timeout=10_000)
    with qtbot.waitSignal(window.detail_shown, timeout=10_000):
        window.table.selectRow(0)
    assert "by <b>bob</b>" in window.info.text()
    project_cell = window.model.index(0, 1)  # a column too narrow for a long name shows it whole on hover
    assert window.model.data(project_cell, Qt.ItemDataRole.ToolTipRole) == window.model.data(project_cell)
    target = window.model.rows[0].assignment_id
    with qtbot.waitSignal(window.decided, timeout=10_000):
        qtbot.keyClick(window, Qt.Key.Key_A)
    assert status(db, target) == "approved"
    assert window.model.rows[0].status == "approved", "the table updates without a reload"
    worker.stop()


def test_reject_with_a_comment_reopens_the_slot(qtbot, db, db_url, tmp_path):
    lead = submitted_work(db, tmp_path)
    window, worker = open_review(qtbot, db_url, lead)
    with qtbot.waitSignal(window.detail_shown, timeout=10_000):
        window.table.selectRow(0)
    row = window.model.rows[0]
    with qtbot.waitSignal(window.decided, timeout=10_000):
        window.reject("Label b: the customer asks about billing.")
    assert status(db, row.assignment_id) == "rejected"
    with db.read() as s:
        assert s.scalar(select(Item.open_slots).where(Item.external_id == row.external_id)) == 1
        assert s.scalar(select(Review.comment)) == "Label b: the customer asks about billing."
    worker.stop()


def test_a_lead_fixes_a_box(qtbot, db, db_url, tmp_path):
    lead = submitted_work(db, tmp_path, kind="image_boxes")
    window, worker = open_review(qtbot, db_url, lead)
    with qtbot.waitSignal(window.detail_shown, timeout=10_000):
        window.table.selectRow(0)
    w = window.widgets["image_boxes"]
    qtbot.waitUntil(lambda: w.canvas.image_size != (0, 0) and len(w.canvas.boxes) == 1, timeout=10_000)
    qtbot.keyClick(window, Qt.Key.Key_F)
    w.canvas.select(w.canvas.boxes[0])
    qtbot.keyClick(w.canvas, Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier)  # 10 px to the right
    target = window.model.rows[0].assignment_id
    with qtbot.waitSignal(window.decided, timeout=10_000):
        qtbot.keyClick(window, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    with db.read() as s:
        fix = s.scalars(select(Review).where(Review.assignment_id == target)).one()
        original = s.get(Assignment, target).answer
    assert fix.decision == "fix" and fix.fixed_answer["boxes"][0]["x"] == 40
    assert original["boxes"][0]["x"] == 30, "the annotator's answer is kept beside the fix"
    worker.stop()


def test_bulk_approve_a_selection(qtbot, db, db_url, tmp_path):
    lead = submitted_work(db, tmp_path)
    window, worker = open_review(qtbot, db_url, lead)
    window.table.selectAll()
    window.bulk_approve()
    qtbot.waitUntil(lambda: all(r.status == "approved" for r in window.model.rows), timeout=10_000)
    with db.read() as s:
        assert set(s.scalars(select(Assignment.status))) == {"approved"}
    worker.stop()


def test_annotators_do_not_get_the_review_queue(qtbot, db, db_url, tmp_path, settings):
    submitted_work(db, tmp_path)
    controller = AppController(db_url, settings)
    log_in(qtbot, controller, "ann", "secret")
    qtbot.waitUntil(lambda: controller.picker is not None, timeout=10_000)
    assert controller.picker.review_button is None
    controller.shutdown()
    lead_controller = AppController(db_url, settings)
    log_in(qtbot, lead_controller, "lead", "secret")
    qtbot.waitUntil(lambda: lead_controller.picker is not None, timeout=10_000)
    assert lead_controller.picker.review_button is not None
    lead_controller.shutdown()


def test_the_dashboard_draws_the_project_and_redraws_after_a_decision(qtbot, db, db_url, tmp_path, settings):
    from annotator.ui.dashboard import DashboardWindow

    lead = submitted_work(db, tmp_path)
    controller = AppController(db_url, settings)
    controller.actor = lead
    controller.worker = worker_as(qtbot, db_url, lead)
    controller.open_dashboard()
    board = controller.dashboard
    assert isinstance(board, DashboardWindow)
    qtbot.addWidget(board)
    qtbot.waitUntil(lambda: board.project.count() == 1, timeout=10_000)
    with qtbot.waitSignal(board.refreshed, timeout=10_000) as first:
        board.refresh()
    d = first.args[0]
    assert sum(n for _, n in d.per_day) == 4
    # 4 items, overlap 1, all answered and waiting for review: (day, open, claimed, submitted, approved)
    assert d.burn_down[-1][1:] == (0, 0, 4, 0)
    assert {a.user for a in d.annotators} == {"ann", "bob"}
    controller.open_review()
    review = controller.review
    qtbot.addWidget(review)
    qtbot.waitUntil(lambda: len(review.model.rows) == 4, timeout=10_000)
    review.table.selectRow(0)
    with qtbot.waitSignal(board.refreshed, timeout=10_000) as again:
        review.approve()
    assert again.args[0].burn_down[-1][1:] == (0, 0, 3, 1), "one approval, drawn without polling"
    controller.worker.stop()


def test_the_table_has_its_full_height_at_once_and_a_jump_loads_just_that_page(qtbot, db, db_url, tmp_path, monkeypatch):
    import annotator.ui.review_model as review_ui

    monkeypatch.setattr(review_ui, "PAGE", 5)  # 23 rows make five pages
    monkeypatch.setattr(review_ui, "FIRST_PAGE", 5)
    lead = submitted_work(db, tmp_path, n=23)
    worker = worker_as(qtbot, db_url, lead)
    window = ReviewWindow(lead, worker)
    qtbot.addWidget(window)
    window.resize(1280, 260)  # a few rows on screen
    window.show()
    try:
        model = window.model
        qtbot.waitUntil(lambda: model.total == 23 and model.rowCount() == 23, timeout=10_000)
        window.table.scrollToBottom()  # the scrollbar dragged to the end: the last page is asked for by offset
        qtbot.waitUntil(lambda: model.rows[22] is not None, timeout=10_000)
        assert any(r is None for r in model.rows), "pages in between are not loaded until seen"
        for row in range(0, 23, 5):
            window.table.scrollTo(model.index(row, 0))
            qtbot.waitUntil(lambda row=row: model.rows[row] is not None, timeout=10_000)
        assert len({r.external_id for r in model.rows}) == 23  # every submission once, in order
        assert [r.submitted_at for r in model.rows] == sorted(r.submitted_at for r in model.rows)
    finally:
        window.close()
        worker.stop()


def test_opening_the_queue_approves_work_past_its_delay_and_shows_the_queue_without_it(qtbot, db, db_url, tmp_path):
    lead = submitted_work(db, tmp_path)
    with db.write() as s:  # the project's auto-approve delay: work older than a minute is due
        s.execute(Project.__table__.update().values(auto_approve_seconds=60))
        s.execute(Assignment.__table__.update().where(Assignment.id.in_(select(Assignment.id).limit(3)))
                  .values(submitted_at=utcnow() - timedelta(hours=1)))
    window, worker = open_review(qtbot, db_url, lead)
    qtbot.waitUntil(lambda: window.model.total == 1 and len(window.model.rows) == 1, timeout=10_000)
    with db.read() as s:
        assert sorted(s.scalars(select(Assignment.status)).all()) == ["approved"] * 3 + ["submitted"]
        assert s.scalar(select(func.count()).select_from(Review).where(Review.reviewer_id.is_(None))) == 3
    worker.stop()
