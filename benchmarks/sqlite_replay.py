"""Our SQLite submit-and-next, its statements alone: the statements queue_sql.py runs on the
common path, in the same order, on the app's own driver connection (its pragmas, foreign keys
on), with their parameters worked out before the clock starts and no application code between
them. Run as the saturated run is (a process per annotator) and put beside the same floor, it
shows how much of the gap to the floor is the schema's own work, which no Python can take away."""

from __future__ import annotations

import json
import multiprocessing as mp
import time
from datetime import timedelta

from sqlalchemy import select

from annotator import queue_rules as rules
from annotator.core.queue_sql import (
    AUDIT_CLAIM_SQL, AUDIT_SUBMIT_SQL, CONTEXT_SQL, INSERT_CLAIM_SQL, SUBMIT_CHECKED_SQL, TAKE_SQL, sqlite_time)
from annotator.db import Database
from annotator.db.base import time_ordered_uid, utcnow
from annotator.db.models import Project

ANSWER = json.dumps({"label": "a"})


def replay_processes(url: str, project_name: str, users: list[tuple[int, str]], seconds: float) -> dict:
    """A process per user, each replaying its user's submit-and-next cycles for `seconds`."""
    ctx = mp.get_context("spawn")
    out = ctx.Queue()
    start_at = time.time() + 3.0  # let every process start before the clock runs
    procs = [ctx.Process(target=_replay_one, args=(url, project_name, user, start_at, start_at + seconds, out))
             for user in users]
    for p in procs:
        p.start()
    counts = [out.get() for _ in procs]
    for p in procs:
        p.join()
    cycles = sum(c for c, _ in counts)
    wall = max(ended for _, ended in counts) - start_at  # to the last cycle, which may end early: no items left
    return {"cycles": cycles, "seconds": round(wall, 2), "cycles_per_s": round(cycles / wall, 1)}


def _replay_one(url: str, project_name: str, user: tuple[int, str], start_at: float, until: float, out) -> None:
    counted = (0, time.time())
    try:
        counted = _replay(url, project_name, user, start_at, until)
    finally:  # the parent waits for every process's count
        out.put(counted)


def _replay(url: str, project_name: str, user: tuple[int, str], start_at: float, until: float) -> tuple[int, float]:
    """(cycles, when the last one ended)."""
    user_id, name = user
    db = Database(url)
    with db.read() as s:
        project = s.scalars(select(Project).where(Project.name == project_name)).one()
        config_text = s.connection().exec_driver_sql("SELECT config FROM projects WHERE id = ?", (project.id,)).scalar()
    guard = (project.kind, config_text, project.review_policy, project.review_sample)  # as stored
    status, needs_review = rules.status_for(project.review_policy, project.review_sample)
    now = utcnow()
    at, lease = sqlite_time(now), sqlite_time(now + timedelta(hours=1))
    uids = [time_ordered_uid() for _ in range(int((until - start_at) * 20_000))]  # more than one process takes
    uids.reverse()  # pop() hands them out oldest first, in the order the app makes them
    cycles = 0
    with db.driver_connection() as conn:
        conn.execute("BEGIN IMMEDIATE")
        held = _claim(conn, project.id, project_name, user_id, name, at, lease, uids.pop())
        conn.execute("COMMIT")
        time.sleep(max(0.0, start_at - time.time()))
        while held is not None and time.time() < until:
            conn.execute("BEGIN IMMEDIATE")
            item_id = conn.execute(SUBMIT_CHECKED_SQL, (
                ANSWER, at, 1.0, status, at if status == "approved" else None, int(needs_review), held, user_id, at,
                *guard)).fetchone()[0]
            conn.execute(AUDIT_SUBMIT_SQL, (at, user_id, name, str(held), item_id, 1.0, status))
            held = _claim(conn, project.id, project_name, user_id, name, at, lease, uids.pop())
            conn.execute("COMMIT")
            cycles += 1
        ended = time.time()
    db.dispose()
    return cycles, ended


def _claim(conn, project_id: int, project_name: str, user_id: int, name: str, at: str, lease: str,
           uid: str) -> int | None:
    """The claim's statements; None when no item is left."""
    conn.execute(CONTEXT_SQL[False], (at, user_id, 0, project_name)).fetchone()
    taken = conn.execute(TAKE_SQL, (project_id, user_id)).fetchone()
    if taken is None:
        return None
    assignment_id = conn.execute(INSERT_CLAIM_SQL, (uid, taken[0], user_id, project_id, at, lease)).lastrowid
    conn.execute(AUDIT_CLAIM_SQL, (at, user_id, name, str(assignment_id), taken[0], project_id))
    return assignment_id
