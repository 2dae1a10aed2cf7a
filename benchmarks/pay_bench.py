"""The pay report at scale, on PostgreSQL as the lead's own login: 1,000 annotators and
1,000,000 approved assignments in this week (overlap 2 over 500,000 items, 5% of them gold and
scored, so the bonus rule is read too), and a few hundred bonuses.

Measures, each first in a fresh process (cold) and then warm (median of --runs):
- the report itself, `pay_report()` through the ORM, beside the floor: the bare aggregate query
  (per person: approved items, rewards, active seconds over the period's earnings) sent on a
  bare psycopg connection of the same login, with the same server rules;
- the lead's Pay report window, from asking to the table and plot painted (the report, 1,000
  rows and bars; the underpaying check, over every approved item's time, follows it), beside the
  same floor.

usage: python benchmarks/pay_bench.py [--pg URL] [--people 1000] [--assignments 1000000] [--runs 7] [--keep]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from sqlalchemy import text  # noqa: E402

from benchmarks.common import Measure, PaintClock, drop_pg_schema, fresh_pg_schema, in_fresh_process, report, wait_for  # noqa: E402,E501

PG_DEFAULT = os.environ.get("ANNOTATOR_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
SCHEMA = "annot_pay_bench"
LEAD, LEAD_PASSWORD = "paylead", "pay-lead-password"

def _this_week():
    """The current ISO week and its start: the window opens on the current period."""
    from datetime import datetime, timezone

    from annotator.core.money import period_bounds, period_of

    now = datetime.now(timezone.utc)
    name = period_of(now)
    return name, period_bounds(name, now=now)[0], now


PERIOD, WEEK_START, NOW = _this_week()
FLOOR_SQL = ("SELECT user_id, currency, count(*), sum(amount_micros), sum(active_seconds) FROM earnings "
             "WHERE project_id = %s AND earned_at >= %s AND earned_at < %s GROUP BY user_id, currency")


def build(base_url: str, people: int, assignments: int) -> tuple[str, int]:
    from annotator.core.auth import Actor
    from annotator.core.members import add_member
    from annotator.core.pay import set_pay
    from annotator.core.projects import ProjectSpec, create_project
    from annotator.core.users import add_user
    from annotator.db import Database, migrate

    url = fresh_pg_schema(base_url, SCHEMA)
    db = Database(url)
    migrate.upgrade(db.engine)
    op = Actor.local_operator()
    with db.write() as s:
        pid = create_project(s, op, ProjectSpec(name="paid", kind="text_categories", config={"labels": ["a", "b"]},
                                                overlap=2, review_policy="all")).id
        set_pay(s, op, "paid", currency="USD", reward="0.05", estimate_seconds=20, floor="12", bonus="0.01",
                bonus_min_gold=0.8)
        add_user(s, op, LEAD, LEAD_PASSWORD, "lead")
        add_member(s, op, LEAD, pid)
    items = assignments // 2
    with db.engine.begin() as c:  # the owner's bulk load, as a migration of old data would be
        c.execute(text("INSERT INTO users (name, password_hash, role, active, created_at) "
                       "SELECT 'ann' || lpad(g::text, 4, '0'), '', 'annotator', true, now() "
                       "FROM generate_series(1, :n) g"), {"n": people})
        c.execute(text("INSERT INTO memberships (user_id, project_id, state, reason, since, gold_countdown) "
                       "SELECT id, :p, 'active', '', now(), 0 FROM users WHERE name LIKE 'ann%'"), {"p": pid})
        c.execute(text("INSERT INTO items (project_id, external_id, payload, priority, confidence, open_slots, is_gold, "
                       "done_by_model, spot_check, version, created_at) SELECT :p, 'i' || g, '{\"text\": \"t\"}', 0, "
                       "-1, 0, g % 20 = 0, false, false, 1, now() FROM generate_series(1, :n) g"), {"p": pid, "n": items})
        c.execute(text("ALTER TABLE assignments DISABLE TRIGGER assignments_earn"))
        # Two people per item; times over the week; 5% gold, scored right four times in five.
        c.execute(text("""
            WITH ann AS (SELECT array_agg(id ORDER BY id) AS ids FROM users WHERE name LIKE 'ann%')
            INSERT INTO assignments (uid, item_id, user_id, project_id, status, claimed_at, lease_until, submitted_at,
                                     reviewed_at, active_seconds, needs_review, skipped, offline, is_gold, gold_score)
            SELECT gen_random_uuid()::text, i.id, ann.ids[1 + ((i.id * 7 + k * 13) % :people)], :p, 'approved',
                   t, t, t, t + interval '1 hour', 5 + (i.id * 31 + k * 17) % 55, false, false, false, i.is_gold,
                   CASE WHEN i.is_gold THEN ((i.id + k) % 5 <> 0)::int END
            FROM items i, ann, generate_series(0, 1) k,
                 LATERAL (SELECT CAST(:start AS timestamptz) + (i.id % :span) * interval '1 second' AS t) w
            WHERE i.project_id = :p"""), {"p": pid, "people": people, "start": WEEK_START,
                                          "span": max(1, int((NOW - WEEK_START).total_seconds()) - 7200)})
        c.execute(text("ALTER TABLE assignments ENABLE TRIGGER assignments_earn"))
        c.execute(text("INSERT INTO earnings (assignment_id, user_id, project_id, currency, amount_micros, "
                       "active_seconds, earned_at) SELECT id, user_id, project_id, 'USD', 50000, active_seconds, "
                       "reviewed_at FROM assignments WHERE project_id = :p"), {"p": pid})
        c.execute(text("INSERT INTO bonuses (user_id, project_id, currency, amount_micros, reason, period, created_at) "
                       "SELECT id, :p, 'USD', 1000000, 'weekend shift', :period, now() FROM users "
                       "WHERE name LIKE 'ann%' AND id % 4 = 0"), {"p": pid, "period": PERIOD})
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
        c.execute(text("VACUUM ANALYZE"))
    db.dispose()
    return url, pid


def lead_url(url: str) -> str:
    from annotator.db.logins import with_login

    return with_login(url, LEAD, LEAD_PASSWORD)


def report_times(url: str, runs: int) -> dict:
    """pay_report() as the lead, connected before the clock: the first call, then the rest."""
    from annotator.core.auth import Actor
    from annotator.db import Database

    db = Database(lead_url(url))
    with db.read() as s:
        s.execute(text("SELECT 1"))
        me = s.execute(text("SELECT id, name, role FROM users WHERE name = :n"), {"n": LEAD}).one()
    actor = Actor(*me)
    times, rows = [], 0
    for _ in range(runs):
        t = time.perf_counter()
        from annotator.core.pay_report import pay_report  # the first pays the import, as in the app

        with db.read() as s:
            rows = len(pay_report(s, actor, "paid", PERIOD).rows)
        times.append(time.perf_counter() - t)
    db.dispose()
    return {"times": times, "rows": rows}


def floor_times(url: str, project_id: int, runs: int) -> dict:
    """The bare aggregate on a bare driver connection of the same login."""
    import psycopg
    from sqlalchemy.engine import make_url

    u = make_url(lead_url(url))
    conn = psycopg.connect(host=u.host, port=u.port, dbname=u.database, user=u.username, password=u.password,
                           options=f"-csearch_path={SCHEMA}")
    from annotator.core.money import period_bounds

    start, end = period_bounds(PERIOD)
    times, rows = [], 0
    for _ in range(runs):
        t = time.perf_counter()
        with conn.transaction():
            rows = len(conn.execute(FLOOR_SQL, (project_id, start, end)).fetchall())
        times.append(time.perf_counter() - t)
    conn.close()
    return {"times": times, "rows": rows}


def window_times(app, url: str, runs: int) -> dict:
    """The Pay report window: from opening it (the first pays the import) until the table and
    the plot have painted what came back; then a refresh, the same way. The underpaying check
    follows the table on the worker, and is waited for off the clock between runs."""
    from annotator.core.auth import Actor
    from annotator.ui.worker import DbWorker

    worker = DbWorker(url)
    worker.start()
    done = []
    worker.log_in(LEAD, LEAD_PASSWORD, done.append, done.append)
    wait_for(app, lambda: bool(done))
    actor = done[0] if isinstance(done[0], Actor) else None
    assert actor is not None, done[0]
    times, drawn = [], []
    t = time.perf_counter()
    from annotator.ui.pay_report import PayReportWindow

    win = PayReportWindow(actor, worker)
    warned = []
    win.drawn.connect(lambda _r: drawn.append(time.perf_counter()))
    win.warned.connect(warned.append)
    clocks = [PaintClock(win.table), PaintClock(win.plot)]
    win.show()
    for run in range(runs):
        if run:
            wait_for(app, lambda: len(warned) == run, timeout=300)  # the last run's check, off the clock
            drawn.clear()
            t = time.perf_counter()
            win.refresh()
        wait_for(app, lambda: bool(drawn) and all(c.painted_since(drawn[0]) for c in clocks), timeout=300)
        times.append(max(c.ends[-1] for c in clocks) - t)
    rows = win.table.rowCount()
    win.close()
    worker.stop()
    return {"times": times, "rows": rows}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pg", default=PG_DEFAULT)
    ap.add_argument("--people", type=int, default=1000)
    ap.add_argument("--assignments", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--keep", action="store_true", help="keep the schema afterwards, to profile against")
    args, _ = ap.parse_known_args()
    t = time.perf_counter()
    url, pid = build(args.pg, args.people, args.assignments)
    built = time.perf_counter() - t
    try:
        ours = in_fresh_process("benchmarks.pay_bench", "report_times", url, args.runs)
        floor = in_fresh_process("benchmarks.pay_bench", "floor_times", url, pid, args.runs)
        window = in_fresh_process("benchmarks.pay_bench", "window_times", url, args.runs)
    finally:
        if not args.keep:
            drop_pg_schema(args.pg, SCHEMA)
    assert ours["rows"] == floor["rows"] == window["rows"], (ours, floor, window)
    ms = lambda xs: round(xs * 1000, 2)  # noqa: E731
    f_first, f_warm = ms(floor["times"][0]), ms(statistics.median(floor["times"][1:]))
    measures = [
        Measure("pay report, first (fresh process)", ms(ours["times"][0]), f_first, "ms", 2.0),
        Measure("pay report, warm median", ms(statistics.median(ours["times"][1:])), f_warm, "ms", 2.0),
        Measure("pay report window painted, first", ms(window["times"][0]), f_first, "ms", None,
                note="the report's 1,000 rows and bars painted; the floor is the bare aggregate"),
        Measure("pay report window painted, warm median", ms(statistics.median(window["times"][1:])), f_warm, "ms",
                None),
    ]
    report("pay", measures, {"people": args.people, "assignments": args.assignments, "rows": ours["rows"],
                             "build_seconds": round(built, 1), "floor_sql": FLOOR_SQL, "runs": args.runs})


if __name__ == "__main__":
    main()
