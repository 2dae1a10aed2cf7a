"""The review queue at 100,000 submissions (SQLite), through the real window, worker and services,
measured as the lead benchmark measures it (benchmarks/lead_bench.py): the first open in a fresh
process, warm reopens, and the scrollbar dragged to row 50,000, each until painted.

usage: python benchmarks/review_bench.py [--rows 100000]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from benchmarks.common import Measure, in_fresh_process, report  # noqa: E402


def build(path: Path, rows: int):
    import uuid

    from annotator.core.auth import Actor, hash_password
    from annotator.core.projects import ProjectSpec, create_project
    from annotator.db import open_database
    from annotator.db.models import User

    db = open_database(f"sqlite:///{path}")
    op = Actor.local_operator()
    with db.write() as s:
        pid = create_project(s, op, ProjectSpec(name="big", kind="text_categories", config={"labels": ["a", "b"]},
                                                review_policy="all", auto_approve_seconds=10**8)).id
        h = hash_password("x")
        s.add_all(User(name=n, password_hash=h, role=r, active=True) for n, r in (("lead", "lead"), ("ann", "annotator")))
    raw = db.engine.raw_connection()
    cur = raw.driver_connection.cursor()
    cur.execute("BEGIN")
    cur.executemany(
        "INSERT INTO items (project_id, external_id, payload, priority, confidence, open_slots, is_gold, done_by_model,"
        " spot_check, version, created_at) VALUES (?, ?, ?, 0, -1, 0, 0, 0, 0, 1, '2026-01-01 00:00:00.000000')",
        ((pid, f"i{n}", '{"text": "message %d"}' % n) for n in range(rows)))
    cur.executemany(
        "INSERT INTO assignments (uid, item_id, user_id, project_id, status, claimed_at, lease_until, submitted_at,"
        " active_seconds, answer, is_gold, needs_review, skipped, offline) VALUES (?, ?, 2, ?, 'submitted',"
        " '2026-01-01 00:00:00.000000', '2026-01-01 00:30:00.000000', ?, 12.5, '{\"label\": \"a\"}', 0, 1, 0, 0)",
        ((str(uuid.uuid4()), n + 1, pid, f"2026-01-{1 + n // 5000:02d} {n // 3600 % 24:02d}:{n // 60 % 60:02d}:{n % 60:02d}.000000")
         for n in range(rows)))
    cur.execute("COMMIT")
    raw.close()
    with db.read() as s:
        lead = s.query(User).filter(User.name == "lead").one()
        actor = Actor(lead.id, lead.name, lead.role)
    db.dispose()
    return actor


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=7)
    a = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="annot-review-"))
    actor = build(tmp / "r.sqlite3", a.rows)
    url = f"sqlite:///{tmp / 'r.sqlite3'}"
    review = in_fresh_process("benchmarks.lead_bench", "review_window", url, actor.id, a.runs)
    floor = in_fresh_process("benchmarks.lead_bench", "bare_table_floor", url, review.pop("page_statements"),
                             review.pop("jump_statements"), a.runs)
    measures = [
        Measure(f"review queue at {a.rows:,} waiting (SQLite), first open in a fresh process", review["first_open_ms"],
                floor["page_first_ms"], "ms", 3.0),
        Measure("review queue (SQLite), warm reopen, median", review["warm_open_median_ms"], floor["page_median_ms"], "ms"),
        Measure("review queue (SQLite), scroll to row 50,000, median", review["jump_median_ms"], floor["jump_median_ms"],
                "ms", 3.0),
    ]
    print(f"results: {report('review', measures, {'rows': a.rows, 'review': review, 'floor': floor})}")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
