"""Pay where people see it, on real widgets and a real database of each backend: the picker's
reward, estimate and own rate; the workbench's earnings today; the annotator's statement; the
lead's report with its plot and payroll CSV; and the project dialog's pay fields."""

from __future__ import annotations

import csv
from datetime import timedelta

from PySide6.QtCore import Qt
from sqlalchemy import select

from annotator.core import queue, review
from annotator.core.money import period_of
from annotator.core.pay import set_pay
from annotator.db.base import utcnow
from annotator.db.pay_models import PaySettings
from annotator.ui.pay_report import BELOW, PayReportWindow
from annotator.ui.pay_statement import StatementWindow
from annotator.ui.picker import COLUMNS, ProjectPicker
from tests.helpers import connected_as, make_user
from tests.ui.desk import close, open_workbench
from tests.ui.workers import worker_as


def paying(db, reward="0.05", floor="12", review_policy="none"):
    from annotator.core.auth import Actor
    from annotator.core.projects import update_project

    with db.write() as s:
        update_project(s, Actor.local_operator(), "intents", review_policy=review_policy)
        set_pay(s, Actor.local_operator(), "intents", currency="USD", reward=reward, estimate_seconds=30, floor=floor)


def hand_in(db, user, seconds, label="billing"):
    """Work done earlier today, `seconds` long: claimed then submitted by the person's own login.
    Ten minutes ago, or at midnight UTC when that is later: today's and this week's figures start
    there, and work from before it would fall in yesterday's, or last week's statement."""
    now = utcnow()
    start = max(now - timedelta(minutes=10), now.replace(hour=0, minute=0, second=0, microsecond=0))
    with connected_as(db, user).write() as s:
        c = queue.claim_next(s, user, "intents", now=start)
        queue.submit(s, user, c.assignment_id, {"label": label}, seconds, now=start + timedelta(seconds=seconds))
    return c.assignment_id


def cell(table, row, column):
    return table.item(row, COLUMNS.index(column) if isinstance(column, str) else column).text()


def test_the_picker_shows_the_reward_the_estimate_and_my_own_rate(qtbot, db, db_url, text_project):
    paying(db)
    hand_in(db, text_project, 50)  # approved at once (no review): 0.05 for 50 s is 3.60 an hour
    worker = worker_as(qtbot, db_url, text_project)
    picker = ProjectPicker(text_project, worker)
    qtbot.addWidget(picker)
    qtbot.waitUntil(lambda: bool(picker.cards), timeout=10_000)
    assert (cell(picker.table, 0, "Pays"), cell(picker.table, 0, "Est. time"), cell(picker.table, 0, "Your rate")) == (
        "$0.05", "30 s", "$3.60/h")
    assert "never below $12.00 an hour" in picker.table.item(0, COLUMNS.index("Pays")).toolTip()
    picker.close()
    worker.stop()


def test_the_workbench_shows_what_today_has_earned(qtbot, db, db_url, text_project):
    paying(db, review_policy="all")
    bench, worker = open_workbench(qtbot, db_url, text_project)
    qtbot.waitUntil(lambda: bench.pay_line.isVisible(), timeout=10_000)
    assert bench.pay_line.text() == "Earned today $0.00"
    qtbot.keyClick(bench.widget, Qt.Key.Key_1)
    with qtbot.waitSignal(bench.item_shown, timeout=10_000):
        qtbot.keyClick(bench, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: "waiting" in bench.pay_line.text(), timeout=10_000)
    assert bench.pay_line.text() == "Earned today $0.00 (+1 waiting for review)"
    close(bench, worker)


def test_an_annotators_statement_with_a_rejection_and_the_top_up(qtbot, db, db_url, text_project):
    paying(db, review_policy="all")
    lead = make_user(db, "lena", "lead")
    first, second = hand_in(db, text_project, 60), hand_in(db, text_project, 60)
    with connected_as(db, lead).write() as s:
        review.approve(s, lead, first)
        review.reject(s, lead, second, "the customer asks about a refund: returns")
    worker = worker_as(qtbot, db_url, text_project)
    window = StatementWindow(text_project, worker)
    qtbot.addWidget(window)
    window.show()
    with qtbot.waitSignal(window.shown_statement, timeout=10_000) as drawn:
        pass
    assert drawn.args[0].period == period_of(utcnow())
    assert window.counts.text() == "Handed in 2 · approved 1 · waiting for review 0 · rejected 1"
    # 0.05 for 60 s is 3.00 an hour; the floor of 12 owes 0.20 for the minute, so 0.15 more.
    assert [window.line_labels[k].text() for k in ("Rewards", "Top-up", "Total")] == ["$0.05", "$0.15", "$0.20"]
    assert window.rejections.item(0, 1).text() == "the customer asks about a refund: returns"
    assert not window.person.isVisible()  # an annotator reads their own statement only
    window.close()
    worker.stop()


def test_the_lead_sees_the_report_the_plot_against_the_floor_and_saves_the_csv(qtbot, db, db_url, text_project,
                                                                              tmp_path):
    paying(db)
    bob = make_user(db, "bob")
    hand_in(db, text_project, 60)  # ann: 3.00 an hour, under the floor
    hand_in(db, bob, 10)  # bob: 18.00 an hour
    lead = make_user(db, "lena", "lead")
    worker = worker_as(qtbot, db_url, lead)
    window = PayReportWindow(lead, worker)
    qtbot.addWidget(window)
    window.show()
    with qtbot.waitSignals([window.drawn, window.warned], timeout=10_000):
        pass
    assert [window.table.item(r, 0).text() for r in range(window.table.rowCount())] == ["ann", "bob"]
    assert window.table.item(0, 7).text() == "$0.15" and window.table.item(1, 7).text() == "$0.00"
    bars = [item for item in window.plot.getPlotItem().items if type(item).__name__ == "BarGraphItem"]
    floor_lines = [item for item in window.plot.getPlotItem().items if type(item).__name__ == "InfiniteLine"]
    assert len(bars) == 1 and bars[0].opts["height"] == [3.0, 18.0] and floor_lines[0].value() == 12.0
    assert bars[0].opts["brushes"][0] == BELOW
    # The median item took 35 s: 0.05 pays 5.14 an hour; 0.12 would meet the floor.
    assert window.warning.isVisible() and "A reward of $0.12 would meet it" in window.warning.text()
    out = tmp_path / "payroll.csv"
    with qtbot.waitSignal(window.saved, timeout=10_000):
        window.save_csv(str(out))
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [(r["person"], r["total"]) for r in rows] == [("ann", "0.20"), ("bob", "0.05")]
    window.close()
    worker.stop()


def test_the_project_dialog_sets_pay_and_refuses_a_negative_reward(qtbot, db, db_url, text_project):
    from annotator.ui.projects import ProjectsWindow

    lead = make_user(db, "lena", "lead")
    worker = worker_as(qtbot, db_url, lead)
    projects = ProjectsWindow(lead, worker)
    qtbot.addWidget(projects)
    qtbot.waitUntil(lambda: projects.list.count() == 1, timeout=10_000)
    projects.list.setCurrentRow(0)
    dialog = projects.edit()
    dialog.pay.currency.setText("eur")
    dialog.pay.reward.setText("-0.10")
    dialog.save()
    qtbot.waitUntil(lambda: "should be at least 0" in dialog.error.text(), timeout=10_000)
    with db.read() as s:
        assert s.scalar(select(PaySettings)) is None  # the project's edit was not saved either
    dialog.pay.reward.setText("0.10")
    dialog.pay.floor.setText("15")
    with qtbot.waitSignal(dialog.saved, timeout=10_000):
        dialog.save()
    with db.read() as s:
        row = s.scalar(select(PaySettings))
    assert (row.currency, row.reward_micros, row.floor_micros) == ("EUR", 100_000, 15_000_000)
    again = projects.edit()
    qtbot.waitUntil(lambda: again.pay.reward.text() == "0.1", timeout=10_000)
    assert again.pay.currency.text() == "EUR" and again.pay.floor.text() == "15"
    projects.close()
    worker.stop()
