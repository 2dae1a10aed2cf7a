"""What SQLite reads to store an answer. The common submit is one statement (queue_sql.py); on a
desk with a long history, analyzed, it must find its assignment and the assignment's conflicts
by index, never read either table whole."""

import pytest
from sqlalchemy import text

from annotator.core import queue_direct
from tests.helpers import connected_as, copy_plain_items, make_project, make_user


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # PostgreSQL's submit is the server's function
def test_a_submit_searches_its_assignment_and_its_conflicts_never_scans_them(db):
    pid = make_project(db, "p")
    ann = make_user(db, "ann")
    copy_plain_items(db, pid, 3000)
    with db.write() as s:
        # a long history: answered work, and resolved conflicts, none of them this assignment's
        s.execute(text("INSERT INTO assignments (uid, item_id, user_id, project_id, status, claimed_at, lease_until,"
                       " submitted_at, active_seconds, answer, is_gold, needs_review, skipped, offline)"
                       " SELECT 'old-' || id, id, :u, :p, 'approved', '2026-01-01 00:00:00', '2026-01-01 00:10:00',"
                       " '2026-01-01 00:05:00', 1.0, '{\"label\": \"a\"}', 0, 0, 0, 0 FROM items WHERE id % 2 = 0"),
                  {"u": ann.id, "p": pid})
        s.execute(text("INSERT INTO conflicts (assignment_uid, item_id, user_id, project_id, answer, active_seconds,"
                       " reason, created_at, resolved_at) SELECT 'old-' || id, id, :u, :p, '{}', 1.0, 'lease lost',"
                       " '2026-01-01 00:00:00', '2026-01-02 00:00:00' FROM items"), {"u": ann.id, "p": pid})
    mine = connected_as(db, ann)
    claimed = queue_direct.claim(mine, ann, "p")
    with db.engine.connect() as c:
        c.exec_driver_sql("ANALYZE")  # as on a desk that has run a while: the plan follows these statistics

    statements: list[str] = []
    with mine.driver_connection() as conn:
        conn.set_trace_callback(statements.append)
        try:
            outcome = queue_direct.submit(mine, ann, claimed.assignment_id, {"label": "a"}, 1.0)
        finally:
            conn.set_trace_callback(None)
        update = next(sql for sql in statements if sql.lstrip().startswith("UPDATE assignments"))
        plan = [row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + update)]

    assert outcome.accepted
    assert any(step.startswith("SEARCH a USING INTEGER PRIMARY KEY") for step in plan), plan
    assert any(step.startswith("SEARCH c USING INDEX ix_conflicts_assignment_uid") for step in plan), plan
    assert not any(step.startswith(("SCAN a", "SCAN c")) for step in plan), plan
