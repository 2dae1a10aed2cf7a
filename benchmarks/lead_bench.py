"""The lead's windows at scale, on PostgreSQL: a project of 1,000,000 items and 1,000,000
assignments in the states a month of work leaves (overlap 2, 20 annotators), 100,000 of them
waiting for review, through the real windows, worker and services.

Each measure runs in a fresh process, as a lead opens the window in a running app: the app's
own controller has logged the lead in through its log-in window and painted the project picker
(what those import is the app's), and the window's module is imported inside the clock. The first open is the
headline; the median of warm reopens goes beside it. Clocks end when the pixels are painted:
the table's first page, the row scrolled to, every plot of the dashboard.

The floors replay the very statements our services sent (captured from the engine) on a bare
driver connection, and paint a bare QTableWidget of the same page. They leave out the ORM, the
worker thread, the model and the window's own widgets: that is our overhead.

usage: python benchmarks/lead_bench.py [--pg URL] [--items 1000000] [--assignments 1000000]
                                       [--waiting 100000] [--runs 7]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from sqlalchemy import create_engine, event, text  # noqa: E402

from benchmarks.common import (  # noqa: E402
    Measure, PaintClock, drop_pg_schema, fresh_pg_schema, in_fresh_process, report, wait_for)

LEAD_PASSWORD = "lead-password"
PG_DEFAULT = os.environ.get("ANNOTATOR_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
SCHEMA = "annot_lead_bench"
LABELS = ["billing", "delivery", "returns", "account", "other"]
JUMP_ROW = 50_000


# ---- the data ----------------------------------------------------------------------------------


def build(base_url: str, items: int, assignments: int, waiting: int, annotators: int = 20) -> tuple[str, int, float]:
    """Assignments in time order over 30 days: the newest 1,000 live claims, the 100,000 before
    them waiting for review, and the rest reviewed (2% rejected), released (1%) or expired."""
    from annotator.core.auth import Actor, hash_password
    from annotator.core.projects import ProjectSpec, create_project
    from annotator.db import Database, migrate
    from annotator.db.models import User

    url = fresh_pg_schema(base_url, SCHEMA)
    db = Database(url)
    migrate.upgrade(db.engine)
    with db.write() as s:
        pid = create_project(s, Actor.local_operator(), ProjectSpec(
            name="big", kind="text_categories", config={"labels": LABELS}, overlap=2, review_policy="all",
            auto_approve_seconds=10**8)).id
        h = hash_password("x")
        # The lead is a login of their own, who leads the project as its member (docs/adr/0009).
        from annotator.core.members import add_member
        from annotator.core.users import add_user

        add_user(s, Actor.local_operator(), "lead", LEAD_PASSWORD, "lead")
        add_member(s, Actor.local_operator(), "lead", pid)
        s.add_all(User(name=f"ann{n:02d}", password_hash=h, role="annotator", active=True) for n in range(annotators))
    with db.read() as s:
        lead_id = s.execute(text("SELECT id FROM users WHERE name = 'lead'")).scalar()
        ann_ids = [r[0] for r in s.execute(text("SELECT id FROM users WHERE name LIKE 'ann%' ORDER BY id"))]
    t = time.perf_counter()
    rng = random.Random(3)
    start = datetime(2026, 10, 24, tzinfo=timezone.utc)
    live, waiting_from = assignments - 1_000, assignments - 1_000 - waiting
    raw = db.engine.raw_connection()
    try:
        cur = raw.driver_connection.cursor()
        answered_items = assignments // 2
        with cur.copy("COPY items (project_id, external_id, payload, priority, confidence, open_slots, is_gold, done_by_model,"
                      " spot_check, version, created_at) FROM STDIN") as cp:
            for i in range(items):
                cp.write_row((pid, f"m{i}", '{"text": "message %d"}' % i, 0, -1.0, 0 if i < answered_items else 2, False,
                              False, False, 1, "2026-10-20T00:00:00Z"))
        first_item = cur.execute("SELECT min(id) FROM items").fetchone()[0]
        with cur.copy("COPY assignments (uid, item_id, user_id, project_id, status, claimed_at, lease_until, submitted_at,"
                      " reviewed_at, active_seconds, answer, gold_score, is_gold, needs_review, skipped, offline) FROM STDIN") as cp:
            for n in range(assignments):
                item = first_item + n // 2
                user = ann_ids[(n // 2 + n % 2 * 7) % len(ann_ids)]
                when = start + timedelta(seconds=n * 30 * 86400 / assignments)
                label = LABELS[(n // 2) % 5] if rng.random() < 0.85 else rng.choice(LABELS)
                answer, submitted, reviewed = '{"label": "%s"}' % label, when, None
                if n >= live:
                    status, answer, submitted = "claimed", None, None
                elif n >= waiting_from:
                    status = "submitted"
                else:
                    r = rng.random()
                    status = "rejected" if r < 0.02 else "released" if r < 0.03 else "expired" if r < 0.035 else "approved"
                    if status in ("released", "expired"):
                        answer, submitted = None, None
                    else:
                        reviewed = when + timedelta(hours=5)
                cp.write_row((str(uuid.uuid4()), item, user, pid, status, when - timedelta(seconds=40),
                              when + timedelta(minutes=30), submitted, reviewed, rng.uniform(8, 40), answer,
                              rng.random() if n % 20 == 0 and submitted else None, False, status == "submitted",
                              False, False))
        for user in ann_ids:  # the cached figures a real project keeps on each member
            cur.execute("INSERT INTO memberships (user_id, project_id, state, reason, since, gold_accuracy, approval_rate,"
                        " gold_countdown) VALUES (%s, %s, 'active', '', now(), %s, %s, 0)",
                        (user, pid, rng.uniform(0.7, 1.0), rng.uniform(0.8, 1.0)))
        raw.commit()
    finally:
        raw.close()
    load = time.perf_counter() - t
    db.dispose()
    # A live database is vacuumed by autovacuum; measure that steady state, not the minutes
    # after a bulk load while autovacuum competes for the two cores.
    vacuum = create_engine(url, isolation_level="AUTOCOMMIT")
    with vacuum.connect() as c:
        c.execute(text("VACUUM ANALYZE"))
    vacuum.dispose()
    return url, lead_id, load


# ---- in a fresh process: ours ----------------------------------------------------------------


class Statements:
    """The statements the worker's engine sends, while `recording`."""

    def __init__(self, engine):
        self.recording, self.sent = False, []

        @event.listens_for(engine, "before_cursor_execute")
        def note(conn, cursor, statement, parameters, context, executemany):
            control = statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK", "PRAGMA"))
            if self.recording and not control:  # the thread: the dashboard reads on two connections at once
                self.sent.append((statement, _plain(parameters), threading.get_ident()))


def _plain(parameters):
    if isinstance(parameters, dict):
        return {k: (list(v) if isinstance(v, tuple) else v.isoformat() if isinstance(v, datetime) else v)
                for k, v in parameters.items()}
    return parameters


def running_app(app, url: str):
    """The running app as a lead has it when they open a window from the project picker: the
    real controller (ui/app.py), its log-in window filled in and submitted, and the picker
    painted with its projects. What the log-in and the picker load is the app's, not the
    window's; the window's own imports stay inside its clock. Returns the controller, which the
    caller keeps (with its picker open) for as long as it uses the worker, as the app does."""
    import tempfile

    from PySide6.QtCore import QSettings

    from annotator.ui.app import AppController

    folder = tempfile.mkdtemp(prefix="lead-bench-app-")
    os.environ["ANNOTATOR_DATA_DIR"] = folder  # the app's journal and caches
    controller = AppController(url, QSettings(f"{folder}/settings.ini", QSettings.Format.IniFormat))
    controller.start()
    wait_for(app, lambda: controller.worker.isRunning())
    controller.login.user.setText("lead")
    controller.login.password.setText(LEAD_PASSWORD)
    controller.login.submit()
    wait_for(app, lambda: controller.picker is not None and bool(controller.picker.cards))
    clock = PaintClock(controller.picker.table)
    controller.picker.table.viewport().update()
    wait_for(app, lambda: bool(clock.ends))
    app.processEvents()  # what the picker's first paint starts (heap.settle) runs
    return controller


def model_changes(model) -> list[float]:
    """When the model last told its view of new data: the paint after that shows it."""
    times = [time.perf_counter()]
    for signal in (model.dataChanged, model.modelReset, model.layoutChanged, model.rowsInserted):
        signal.connect(lambda *_: times.append(time.perf_counter()))
    return times


def review_window(app, url: str, lead_id: int, runs: int) -> dict:
    """Open the review queue `runs` times (the first pays the import), each until its first page
    is painted, then drag to row 50,000 until it is painted."""
    from annotator.core.auth import Actor

    controller = running_app(app, url)
    worker = controller.worker
    recorder = Statements(worker.db.engine)
    lead = Actor(lead_id, "lead", "lead")
    opens, jumps, page_sql, jump_sql = [], [], [], []
    for run in range(runs):
        recorder.sent = []
        recorder.recording = run == 0
        t = time.perf_counter()
        from annotator.ui.review import ReviewWindow  # inside the clock: the app imports it on the first open

        win = ReviewWindow(lead, worker)
        win.resize(1280, 800)
        win.show()
        clock = PaintClock(win.table)
        changed = model_changes(win.model)
        wait_for(app, lambda: bool(win.model.rows) and win.model.rows[0] is not None)
        wait_for(app, lambda: clock.painted_since(changed[-1]))
        opens.append(clock.ends[-1] - t)
        wait_for(app, lambda: win.model.total is not None)
        bar = win.table.verticalScrollBar()
        wait_for(app, lambda: bar.maximum() >= win.model.total - 100)
        if run == 0:
            page_sql, recorder.sent = recorder.sent, []
        t = time.perf_counter()
        bar.setValue(JUMP_ROW)
        wait_for(app, lambda: win.model.rows[JUMP_ROW] is not None)
        wait_for(app, lambda: clock.painted_since(changed[-1]))
        jumps.append(clock.ends[-1] - t)
        if run == 0:
            jump_sql = [s for s in recorder.sent if "OFFSET" in s[0].upper() or "IN (" in s[0].upper()]
        recorder.recording = False
        win.close()
        win.deleteLater()
        app.processEvents()
    worker.stop()
    return {"first_open_ms": round(opens[0] * 1000, 2), "warm_open_median_ms": round(statistics.median(opens[1:]) * 1000, 2),
            "jump_first_ms": round(jumps[0] * 1000, 2), "jump_median_ms": round(statistics.median(jumps) * 1000, 2),
            "page_statements": [s for s in page_sql if "count(" not in s[0].lower()], "jump_statements": jump_sql}


def dashboard(app, url: str, lead_id: int, runs: int) -> dict:
    """Open the dashboard (the first pays the import), until every plot has repainted after the
    data came; then refresh it, the same way."""
    from annotator.core.auth import Actor

    controller = running_app(app, url)
    worker = controller.worker
    recorder = Statements(worker.db.engine)
    lead = Actor(lead_id, "lead", "lead")
    times, sql = [], []
    t = time.perf_counter()
    from annotator.ui.dashboard import DashboardWindow  # inside the first clock: pyqtgraph and all

    board = DashboardWindow(lead, worker)
    board.resize(1280, 800)
    board.show()
    clocks = [PaintClock(plot) for plot in board.plots.values()]
    for run in range(runs):
        done = []

        def drawn(_data) -> None:
            done.append(time.perf_counter())

        board.refreshed.connect(drawn)
        if run > 0:
            t = time.perf_counter()
            recorder.recording, recorder.sent = run == 1, []
            board.refresh()
        wait_for(app, lambda: bool(done) and all(c.painted_since(done[0]) for c in clocks))
        times.append(max(c.ends[-1] for c in clocks) - t)
        board.refreshed.disconnect(drawn)
        if run == 1:
            sql, recorder.recording = recorder.sent, False
    board.close()
    worker.stop()
    return {"first_open_ms": round(times[0] * 1000, 2), "warm_refresh_median_ms": round(statistics.median(times[1:]) * 1000, 2),
            "statements": [s for s in sql if s[0].lstrip().upper().startswith(("SELECT", "WITH"))]}


# ---- in a fresh process: the floors ---------------------------------------------------------


def _replay(conn, statements) -> list:
    rows = []
    for statement, params, _thread in statements:
        rows = conn.execute(statement, params).fetchall()
    return rows


def bare_connection(url: str):
    """A driver connection with no SQLAlchemy: psycopg for PostgreSQL, sqlite3 for a file."""
    if url.startswith("sqlite"):
        import sqlite3

        return sqlite3.connect(url.split(":///", 1)[1], isolation_level=None)
    import psycopg

    return psycopg.connect(create_engine(url).url.set(drivername="postgresql").render_as_string(hide_password=False),
                           autocommit=True)


def bare_table_floor(app, url: str, page: list, jump: list, runs: int) -> dict:
    """The page's statements on a bare driver connection, then their rows in a bare
    QTableWidget, painted; the same for the jump to row 50,000."""
    from PySide6.QtWidgets import QTableWidget, QTableWidgetItem

    conn = bare_connection(url)
    conn.execute("SELECT 1")

    def fill(table, rows) -> None:
        table.setRowCount(len(rows))
        for r, row in enumerate(rows):
            for c, value in enumerate(row[:8]):
                table.setItem(r, c, QTableWidgetItem(str(value)))

    out, opens, jumps = {}, [], []
    for _ in range(runs):  # the first page: a table made, filled and shown, as a window opens
        t = time.perf_counter()
        table = QTableWidget(0, 8)
        table.resize(1280, 700)
        fill(table, _replay(conn, page))
        table.show()
        clock = PaintClock(table)
        wait_for(app, lambda: bool(clock.ends))
        opens.append(clock.ends[-1] - t)
        table.close()
        table.deleteLater()
        app.processEvents()
    table = QTableWidget(0, 8)  # the jump: the open table gets the new page
    table.resize(1280, 700)
    table.show()
    clock = PaintClock(table)
    wait_for(app, lambda: bool(clock.ends))
    for _ in range(runs):
        t = time.perf_counter()
        fill(table, _replay(conn, jump))
        wait_for(app, lambda: clock.painted_since(t))
        jumps.append(clock.ends[-1] - t)
    table.close()
    conn.close()
    for name, times in (("page", opens), ("jump", jumps)):
        out[f"{name}_first_ms"] = round(times[0] * 1000, 2)
        out[f"{name}_median_ms"] = round(statistics.median(times) * 1000, 2)
    return out


def bare_queries_floor(url: str, statements: list, runs: int) -> dict:
    """The dashboard's statements on bare connections: those our service sent from one thread
    on one connection, in order, and the two threads' connections at once, as ours does."""
    from concurrent.futures import ThreadPoolExecutor

    by_thread: dict[int, list] = {}
    for statement in statements:
        by_thread.setdefault(statement[2], []).append(statement)
    conns = [bare_connection(url) for _ in by_thread]
    for conn in conns:
        conn.execute("SELECT 1")
    times = []
    with ThreadPoolExecutor(max_workers=len(conns)) as pool:
        for _ in range(runs):
            t = time.perf_counter()
            list(pool.map(_replay, conns, by_thread.values()))
            times.append(time.perf_counter() - t)
    for conn in conns:
        conn.close()
    return {"first_ms": round(times[0] * 1000, 2), "median_ms": round(statistics.median(times) * 1000, 2)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pg", default=PG_DEFAULT)
    ap.add_argument("--items", type=int, default=1_000_000)
    ap.add_argument("--assignments", type=int, default=1_000_000)
    ap.add_argument("--waiting", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=7)
    a = ap.parse_args()
    base = a.pg.replace("postgresql://", "postgresql+psycopg://") if a.pg.startswith("postgresql://") else a.pg
    url, lead_id, load = build(base, a.items, a.assignments, a.waiting)
    here = "benchmarks.lead_bench"
    review = in_fresh_process(here, "review_window", url, lead_id, a.runs)
    board = in_fresh_process(here, "dashboard", url, lead_id, a.runs)
    table_floor = in_fresh_process(here, "bare_table_floor", url, review.pop("page_statements"),
                                   review.pop("jump_statements"), a.runs)
    query_floor = bare_queries_floor(url, board.pop("statements"), a.runs)
    if not os.environ.get("LEAD_BENCH_KEEP"):
        drop_pg_schema(base, SCHEMA)
    details = {"backend": "postgresql", "items": a.items, "assignments": a.assignments, "waiting": a.waiting,
               "load_s": round(load, 1), "review": review, "dashboard": board, "floors": {"table": table_floor,
                                                                                          "dashboard": query_floor}}
    measures = [
        Measure("review queue, first open in a fresh process, first page painted", review["first_open_ms"],
                table_floor["page_first_ms"], "ms", 3.0),
        Measure("review queue, warm reopen, median", review["warm_open_median_ms"], table_floor["page_median_ms"], "ms"),
        Measure(f"review queue, scroll to row {JUMP_ROW:,}, median", review["jump_median_ms"],
                table_floor["jump_median_ms"], "ms", 3.0),
        Measure("dashboard at 1M assignments, warm refresh until its plots repaint, median",
                board["warm_refresh_median_ms"], query_floor["median_ms"], "ms", 2.0),
        Measure("dashboard, first open in a fresh process", board["first_open_ms"], query_floor["first_ms"], "ms"),
    ]
    print(f"results: {report('lead', measures, details)}")


if __name__ == "__main__":
    main()
