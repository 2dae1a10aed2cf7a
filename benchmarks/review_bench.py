"""The review queue at 100,000 submissions (SQLite): first rows on screen, jumps across the
table, and scrolling frames, through the real window, worker and services.

usage: python benchmarks/review_bench.py [--rows 100000]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from benchmarks.common import jump_to_row, open_review_window, pct, print_table, write_results  # noqa: E402


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
    a = ap.parse_args()
    from PySide6.QtWidgets import QApplication

    from annotator.ui.worker import DbWorker

    app = QApplication.instance() or QApplication([])
    tmp = Path(tempfile.mkdtemp(prefix="annot-review-"))
    actor = build(tmp / "r.sqlite3", a.rows)
    url = f"sqlite:///{tmp / 'r.sqlite3'}"
    worker = DbWorker(url)
    worker.start()

    win, first = open_review_window(app, actor, worker)
    bar = win.table.verticalScrollBar()
    total = win.model.total
    # The scrollbar dragged to 10, 50, 90 and 100 %: each time that page is fetched.
    jumps = [jump_to_row(app, win, int(total * share)) for share in (0.1, 0.5, 0.9, 0.999)]
    frames = []
    for step in range(200):  # scrolling back through all of it: frames never wait for the database
        t = time.perf_counter()
        bar.setValue(int(bar.maximum() * (1 - step / 200)))
        win.table.viewport().repaint()
        frames.append(time.perf_counter() - t)
        app.processEvents()
    win.close()
    worker.stop()
    results = {"rows": total, "first_rows_s": round(first, 3), "jump_p50_ms": round(pct(jumps, 0.5), 1),
               "jump_max_ms": round(max(jumps) * 1000, 1), "scroll_frame_p95_ms": round(pct(frames, 0.95), 2),
               "scroll_frame_max_ms": round(max(frames) * 1000, 2)}
    print_table(f"Review queue, {a.rows:,} submissions (SQLite)", ["measure", "value"], [
        ["first rows on screen", f"{results['first_rows_s'] * 1000:.0f} ms"],
        ["jump to 10/50/90/100 % (p50 / max)", f"{results['jump_p50_ms']} / {results['jump_max_ms']} ms"],
        ["scroll frame (p95 / max)", f"{results['scroll_frame_p95_ms']} / {results['scroll_frame_max_ms']} ms"],
        ["rows in the table", f"{total:,}"],
    ])
    print(f"results: {write_results('review', results)}")


if __name__ == "__main__":
    main()
