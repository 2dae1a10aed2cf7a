"""SQLite's queue hot paths in plain SQL on the driver connection of the caller's transaction.

Claim and submit run for every item every annotator touches, so their common case is short
plain statements (in-process, where a round trip is cheap but Python is not). Everything
uncommon (resuming, gold, conflicts) stays in queue.py's ORM code. PostgreSQL's queue is the
server's functions (migration 0007, queue_pg.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy.orm import Session

from annotator.db.base import time_ordered_uid


@dataclass(frozen=True)
class ClaimContext:
    project_id: int
    project_name: str
    kind: str
    config: dict[str, Any]
    instructions: str
    media_root: str | None
    lease_seconds: int
    gold_rate: float
    qualification_project_id: int | None
    membership_id: int | None
    membership_state: str | None
    membership_reason: str | None
    gold_countdown: int
    has_expired_leases: bool
    resumable: bool  # this user has more open work here than they hold: claimed, or expired or released (not skipped) with a free slot
    pixel_limit: int
    overlap: int = 1
    queue_epoch: int = 0  # see queue_epoch.py


@dataclass(frozen=True)
class Taken:
    assignment_id: int
    assignment_uid: str
    external_id: str
    payload: dict[str, Any]
    prediction: dict[str, Any] | None
    confidence: float


@dataclass(frozen=True)
class SubmitContext:
    user_id: int
    status: str
    skipped: bool
    uid: str
    item_id: int
    claimed_at: datetime
    lease_until: datetime
    answer: dict[str, Any] | None
    is_gold: bool
    project_id: int
    kind: str
    config: dict[str, Any]
    review_policy: str
    review_sample: float
    training_mode: bool


# Expired and released work counts only while its item has a free slot: once others have taken
# it, it cannot be resumed, and counting it sent every later claim of that user down the session
# path for good (a fifth of the realistic benchmark's throughput, after one release each). The
# assignment a submit-and-next hands in always counts: the caller counts it among those held.
# `resumable` asks whether a (held+1)-th open assignment exists rather than counting them, one
# status at a time (the same statement served PostgreSQL before migration 0007, hence its shape).
_CONTEXT = """
SELECT p.id AS pid, p.name, p.kind, p.config, p.instructions, p.media_root, p.lease_seconds, p.gold_rate,
       p.qualification_project_id AS qual, m.id AS mid, m.state, m.reason, m.gold_countdown,
       (SELECT e.lease_until FROM assignments e WHERE e.project_id = p.id AND e.status = 'claimed'
        AND e.lease_until < {now} ORDER BY e.lease_until LIMIT 1) IS NOT NULL AS expired,
       EXISTS (SELECT 1 FROM (
                   SELECT o.id FROM assignments o WHERE o.user_id = {user} AND o.status = 'claimed'
                     AND o.project_id + 0 = p.id AND NOT o.skipped
                   UNION ALL
                   SELECT o.id FROM assignments o JOIN items oi ON oi.id = o.item_id
                   WHERE o.user_id = {user} AND o.status = 'expired'
                     AND o.project_id + 0 = p.id AND NOT o.skipped AND (oi.open_slots > 0 OR oi.is_gold OR o.id = {submitted})
                   UNION ALL
                   SELECT o.id FROM assignments o JOIN items oi ON oi.id = o.item_id
                   WHERE o.user_id = {user} AND o.status = 'released'
                     AND o.project_id + 0 = p.id AND NOT o.skipped AND (oi.open_slots > 0 OR oi.is_gold OR o.id = {submitted})
               ) open_work LIMIT 1 OFFSET {held}) AS resumable,
       p.pixel_limit, p.overlap, p.queue_epoch
FROM projects p LEFT JOIN memberships m ON m.project_id = p.id AND m.user_id = {user}
WHERE {where}
"""

_SUBMIT_CONTEXT = """
SELECT a.user_id, a.status, a.skipped, a.uid, a.item_id, a.claimed_at, a.lease_until, a.answer, i.is_gold,
       p.id AS project_id, p.kind, p.config, p.review_policy, p.review_sample, p.training_mode
FROM assignments a JOIN items i ON i.id = a.item_id JOIN projects p ON p.id = a.project_id
WHERE a.id = {id}
"""


def _by_id(project_ref: str | int) -> bool:
    return isinstance(project_ref, int) or str(project_ref).isdigit()


def _where(by_id: bool, param) -> str:
    return f"(p.id = {param('pid')} OR p.name = {param('name')})" if by_id else f"p.name = {param('name')}"


def _sqlite(name: str) -> str:
    return f":{name}"


# The statement is built once: a claim should not format and hash 3 KB of SQL each time.
_SQLITE_CONTEXT = {b: _CONTEXT.format(now=":now", user=":user", where=_where(b, _sqlite), held=":held",
                                     submitted="NULL")
                   for b in (True, False)}
# A newer answer to an assignment is in: an older one kept as a conflict is superseded, so that a
# lead accepting it later cannot replace this one (0007_queue.sql does the same on PostgreSQL).
SUPERSEDE_CONFLICTS = """
UPDATE conflicts SET resolved_at = :now,
    resolution = 'superseded: a newer answer to the same assignment was accepted'
WHERE resolved_at IS NULL AND assignment_uid = (SELECT uid FROM assignments WHERE id = :id)
"""


def _sqlite_time(when: datetime) -> str:
    # The text form SQLAlchemy's DateTime stores on SQLite, so the two compare as equals.
    # isoformat is the same text as strftime("%Y-%m-%d %H:%M:%S.%f"), at a fifth of the cost.
    return when.astimezone(timezone.utc).replace(tzinfo=None).isoformat(" ", "microseconds")


def _from_sqlite_time(value: str) -> datetime:
    return datetime.fromisoformat(value).replace(tzinfo=timezone.utc)


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


class SqliteHot:
    def __init__(self, conn):
        self.conn = conn  # sqlite3's connection

    def context(self, project_ref: str | int, user_id: int, now: datetime, held: int = 0) -> ClaimContext | None:
        by_id = _by_id(project_ref)
        sql = _SQLITE_CONTEXT[by_id]
        params = {"now": _sqlite_time(now), "user": user_id, "name": str(project_ref),
                  "pid": int(project_ref) if by_id else None, "held": held}
        row = self.conn.execute(sql, params).fetchone()
        if row is None:
            return None
        row = list(row)
        row[3] = _json(row[3])
        return _context(row)

    def take(self, ctx: ClaimContext, user_id: int, actor_name: str, now: datetime, lease_until: datetime,
             count_down: bool) -> Taken | None:
        c = self.conn
        # One statement picks the item and takes its slot (the write lock is already ours).
        row = c.execute(
            """
            UPDATE items SET open_slots = open_slots - 1
            WHERE id = (SELECT id FROM items
                        WHERE project_id = ? AND open_slots > 0
                          AND NOT EXISTS (SELECT 1 FROM assignments a WHERE a.item_id = items.id AND a.user_id = ?)
                        ORDER BY priority DESC, confidence, id
                        LIMIT 1)
            RETURNING id, external_id, payload, prediction, confidence
            """,
            (ctx.project_id, user_id),
        ).fetchone()
        if row is None:
            return None
        item_id = row[0]
        uid = time_ordered_uid()
        at = _sqlite_time(now)
        assignment_id = c.execute(
            "INSERT INTO assignments (uid, item_id, user_id, project_id, status, claimed_at, lease_until, active_seconds,"
            " is_gold, needs_review, skipped, offline) VALUES (?, ?, ?, ?, 'claimed', ?, ?, 0, 0, 0, 0, 0)",
            (uid, item_id, user_id, ctx.project_id, at, _sqlite_time(lease_until)),
        ).lastrowid
        c.execute(
            "INSERT INTO audit_events (at, actor_id, actor, action, entity_type, entity_id, details)"
            " VALUES (?, ?, ?, 'assignment.claim', 'assignment', ?, json_object('item_id', ?, 'project_id', ?))",
            (at, user_id, actor_name, str(assignment_id), item_id, ctx.project_id),
        )
        if count_down:
            c.execute("UPDATE memberships SET gold_countdown = gold_countdown - 1 WHERE id = ?", (ctx.membership_id,))
        return Taken(assignment_id, uid, row[1], _json(row[2]), _json(row[3]), row[4])

    def submit_context(self, assignment_id: int) -> SubmitContext | None:
        row = self.conn.execute(_SUBMIT_CONTEXT.format(id=":id"), {"id": assignment_id}).fetchone()
        if row is None:
            return None
        (user_id, status, skipped, uid, item_id, claimed_at, lease_until, answer, is_gold,
         pid, kind, config, policy, sample, training) = row
        return SubmitContext(user_id, status, bool(skipped), uid, item_id, _from_sqlite_time(claimed_at),
                             _from_sqlite_time(lease_until), _json(answer), bool(is_gold), pid, kind, _json(config),
                             policy, sample, bool(training))

    def submit_checked(self, assignment_id: int, user_id: int, actor_name: str, answer: dict, active_seconds: float,
                       now: datetime, checked: tuple[str, dict]) -> str | None:
        """The common submit for an answer already checked under `checked` (kind, configuration): a
        live claim of an ordinary item by this user, in a project whose kind and configuration are
        still those, gets the answer (under the review policy, seconds clamped to the time since
        the claim) and its audit event. Returns the new status, or None (nothing written) when the
        full path must decide: not this user's, gold, skipped, late, repeated, or the configuration
        changed."""
        params = {"answer": json.dumps(answer), "now": _sqlite_time(now), "secs": float(active_seconds),
                  "id": assignment_id, "id_text": str(assignment_id), "user": user_id, "actor": actor_name,
                  "kind": checked[0], "config": json.dumps(checked[1])}
        row = self.conn.execute(
            """
            UPDATE assignments SET
                answer = :answer, draft = NULL, submitted_at = :now,
                active_seconds = round(min(max(:secs, 0.0),
                                           max((julianday(:now) - julianday(assignments.claimed_at)) * 86400.0, 0.0)), 3),
                lease_until = min(assignments.lease_until, :now),
                status = CASE WHEN p.review_policy = 'none' THEN 'approved' ELSE 'submitted' END,
                reviewed_at = CASE WHEN p.review_policy = 'none' THEN :now END,
                needs_review = CASE p.review_policy WHEN 'all' THEN 1
                                   WHEN 'sample' THEN (abs(random()) % 1000000) < p.review_sample * 1000000
                                   ELSE 0 END
            FROM projects p
            WHERE assignments.id = :id AND p.id = assignments.project_id AND assignments.user_id = :user
              AND assignments.status = 'claimed' AND NOT assignments.skipped AND NOT assignments.is_gold
              AND NOT (SELECT is_gold FROM items WHERE items.id = assignments.item_id)
              AND p.kind = :kind AND (p.config = :config OR json(p.config) = json(:config))
            RETURNING assignments.status, assignments.active_seconds, assignments.item_id
            """,
            params,
        ).fetchone()
        if row is None:
            return None
        status, seconds, item_id = row
        self.conn.execute(SUPERSEDE_CONFLICTS, {"now": params["now"], "id": assignment_id})
        self.conn.execute(
            "INSERT INTO audit_events (at, actor_id, actor, action, entity_type, entity_id, details)"
            " VALUES (:now, :user, :actor, 'assignment.submit', 'assignment', :id_text,"
            " json_object('item_id', :item_id, 'active_seconds', :seconds, 'status', :status))",
            {**params, "item_id": item_id, "seconds": seconds, "status": status},
        )
        return status

    def finish(self, assignment_id: int, answer: dict, seconds: float, now: datetime, status: str, needs_review: bool,
               user_id: int, actor_name: str, item_id: int) -> None:
        at = _sqlite_time(now)
        self.conn.execute(
            "UPDATE assignments SET answer = ?, draft = NULL, active_seconds = ?, submitted_at = ?,"
            " lease_until = min(lease_until, ?), status = ?, needs_review = ?, reviewed_at = ? WHERE id = ?",
            (json.dumps(answer), seconds, at, at, status, int(needs_review), at if status == "approved" else None,
             assignment_id),
        )
        self.conn.execute(SUPERSEDE_CONFLICTS, {"now": at, "id": assignment_id})
        self.conn.execute(
            "INSERT INTO audit_events (at, actor_id, actor, action, entity_type, entity_id, details)"
            " VALUES (?, ?, ?, 'assignment.submit', 'assignment', ?, ?)",
            (at, user_id, actor_name, str(assignment_id),
             json.dumps({"item_id": item_id, "active_seconds": seconds, "status": status})),
        )


def _context(row) -> ClaimContext:
    return ClaimContext(
        project_id=row[0], project_name=row[1], kind=row[2], config=row[3], instructions=row[4], media_root=row[5],
        lease_seconds=row[6], gold_rate=row[7], qualification_project_id=row[8], membership_id=row[9],
        membership_state=row[10], membership_reason=row[11], gold_countdown=row[12] or 0,
        has_expired_leases=bool(row[13]), resumable=bool(row[14]), pixel_limit=row[15], overlap=row[16],
        queue_epoch=row[17],
    )


def hot_path(session: Session) -> SqliteHot:
    return SqliteHot(session.connection().connection.driver_connection)
