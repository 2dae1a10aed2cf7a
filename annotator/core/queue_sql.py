"""The queue's hot paths in plain SQL on the driver connection of the caller's transaction.

Claim and submit run for every item every annotator touches, so their common case costs the
fewest round trips we can manage: on PostgreSQL, one statement to read the context and one
data-modifying CTE that takes the item, writes the assignment and its audit event; on SQLite
(in-process, where a round trip is cheap but Python is not) the same steps as short plain
statements. Everything uncommon (resuming, gold, conflicts) stays in queue.py's ORM code.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy.orm import Session

from annotator.db.base import time_ordered_uid

_OPEN_MINE = ("claimed", "expired", "released")


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
class StartHint:
    """Where a claim on PostgreSQL may start its search: the claim-order key of the last item
    this process took in the project, good while the project's queue_epoch is still `epoch`
    (nothing has opened up behind it since). Only used with overlap 1: with more, the items a
    search passed over because others were taking them keep open slots. See ADR 7."""
    project_id: int
    epoch: int
    priority: int
    confidence: float
    item_id: int


@dataclass(frozen=True)
class Taken:
    assignment_id: int
    assignment_uid: str
    external_id: str
    payload: dict[str, Any]
    prediction: dict[str, Any] | None
    confidence: float
    hint: StartHint | None = None  # where this process's next claim here may start (PostgreSQL)


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
# status at a time. On PostgreSQL every submit leaves a dead index entry under (user, 'claimed')
# until vacuum. A count with `status IN (…)` was planned, on a young table, as a scan of all the
# user's entries filtered afterwards (or as a bitmap scan), which re-read every assignment they
# had ever had on every claim: 1 ms at their first item, 6 ms at their 6,000th. An equality on
# both columns of (user_id, status) is an index range of the open work alone, which a plain
# index scan reads (marking the dead entries it meets, so that later claims skip them), and
# EXISTS stops at the first row. `project_id + 0` keeps PostgreSQL off the partial lease index
# (project_id, lease_until) WHERE status = 'claimed', which it chose for the 'claimed' part and
# then read every live claim in the project to find this user's: 33 of the claim's 59 buffer
# reads with 32 annotators, and more with every annotator added.
# `expired` is asked in lease order, not as an EXISTS (whose ORDER BY PostgreSQL drops): the
# generic plan of the EXISTS took the (project_id, status) index and fetched every live claim in
# the project to test its lease, 37 buffer reads with 32 annotators; in lease order only the
# lease index serves it, and it stops at the first entry, 2 reads.
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


# Takes the next item for the user in the `fast` row's project (pid, lease_seconds, mid,
# count_down, overlap, queue_epoch): locks it skipping rows other claimers hold, takes a slot,
# writes the assignment and its audit event, and counts down to the next gold item.
#
# Where the search starts: a claim leaves the item's old row version in the claim index until
# VACUUM, so the front of the index is a growing run of dead entries that a search from the
# front reads past (240 pages after 45,000 claims). Given a StartHint (hp, hc, hi: the key of the
# last item this process took; hpid, he: its project and queue epoch) that is still good, the
# search starts just after it: the rest of its priority, then the lower priorities. Only if
# neither finds anything (a bad hint, none, or nothing left after it) does it search from the
# front, which also picks up anything that opened up behind the hint without a bump (an item
# whose claim rolled back). The Append stops at the first branch that gives a row.
#
# "Not worked on by this user" must be a lookup of the candidate's few assignments by item_id.
# Without statistics the planner found (user_id, status) just as cheap and read all of the
# user's assignments for every candidate (3 ms at their 5,000th item); `user_id + 0` leaves it
# no index but the one on item_id, and OFFSET 0 keeps it a per-candidate lookup, not a join.
_DONE_BY_USER = "SELECT 1 FROM assignments a WHERE a.item_id = items.id AND a.user_id + 0 = %(u)s OFFSET 0"
_HINT_GOOD = "pid = %(hpid)s::int AND queue_epoch = %(he)s::int AND overlap = 1"
_PG_TAKE = """
picked AS (
    SELECT id FROM (
        SELECT * FROM (SELECT id FROM items
            WHERE project_id = (SELECT pid FROM fast) AND open_slots > 0
              AND priority = %(hp)s::int AND (confidence, id) > (%(hc)s::float8, %(hi)s::int)
              AND (SELECT """ + _HINT_GOOD + """ FROM fast)
              AND NOT EXISTS (""" + _DONE_BY_USER + """)
            ORDER BY confidence, id LIMIT 1 FOR UPDATE SKIP LOCKED) after_hint
        UNION ALL
        SELECT * FROM (SELECT id FROM items
            WHERE project_id = (SELECT pid FROM fast) AND open_slots > 0 AND priority < %(hp)s::int
              AND (SELECT """ + _HINT_GOOD + """ FROM fast)
              AND NOT EXISTS (""" + _DONE_BY_USER + """)
            ORDER BY priority DESC, confidence, id LIMIT 1 FOR UPDATE SKIP LOCKED) lower_priority
        UNION ALL
        SELECT * FROM (SELECT id FROM items
            WHERE project_id = (SELECT pid FROM fast) AND open_slots > 0
              AND NOT EXISTS (""" + _DONE_BY_USER + """)
            ORDER BY priority DESC, confidence, id LIMIT 1 FOR UPDATE SKIP LOCKED) from_the_front
    ) candidates LIMIT 1
), took AS (
    UPDATE items SET open_slots = open_slots - 1 FROM picked WHERE items.id = picked.id
    RETURNING items.id, items.external_id, items.payload, items.prediction, items.confidence, items.priority
), asg AS (
    INSERT INTO assignments (uid, item_id, user_id, project_id, status, claimed_at, lease_until,
                             active_seconds, is_gold, needs_review, skipped, offline)
    SELECT %(uid)s, took.id, %(u)s, fast.pid, 'claimed', %(now)s,
           %(now)s + make_interval(secs => fast.lease_seconds), 0, false, false, false, false
    FROM took, fast
    RETURNING id, item_id, lease_until
), audit AS (
    INSERT INTO audit_events (at, actor_id, actor, action, entity_type, entity_id, details)
    SELECT %(now)s, %(u)s, %(actor)s, 'assignment.claim', 'assignment', asg.id::text,
           jsonb_build_object('item_id', asg.item_id, 'project_id', fast.pid)
    FROM asg, fast
), countdown AS (
    UPDATE memberships SET gold_countdown = memberships.gold_countdown - 1
    FROM fast WHERE memberships.id = fast.mid AND fast.count_down AND EXISTS (SELECT 1 FROM asg)
)
"""


def _by_id(project_ref: str | int) -> bool:
    return isinstance(project_ref, int) or str(project_ref).isdigit()


def _where(by_id: bool, param) -> str:
    return f"(p.id = {param('pid')} OR p.name = {param('name')})" if by_id else f"p.name = {param('name')}"


def _pg(name: str) -> str:
    return f"%({name})s"


def _sqlite(name: str) -> str:
    return f":{name}"


# The statements are built once: a claim should not format and hash 3 KB of SQL each time.
_PG_CONTEXT = {b: _CONTEXT.format(now="%(now)s", user="%(user)s", where=_where(b, _pg), held="%(held)s",
                                 submitted="NULL")
               for b in (True, False)}
_SQLITE_CONTEXT = {b: _CONTEXT.format(now=":now", user=":user", where=_where(b, _sqlite), held=":held",
                                     submitted="NULL")
                   for b in (True, False)}
# What a take returns, in this order: see _taken().
_TAKEN_COLUMNS = "asg.id, took.external_id, took.payload, took.prediction, took.confidence, took.priority, took.id"
_CONTEXT_COLUMNS = 18  # the columns of _CONTEXT, as _context() reads them

_PG_CLAIM_FAST = {
    b: "WITH ctx AS (" + _CONTEXT.format(now="%(now)s", user="%(u)s", where=_where(b, _pg), held="%(held)s",
                                         submitted="NULL") + """
    ), fast AS (
        SELECT *, gold_rate > 0 AS count_down FROM ctx
        WHERE mid IS NOT NULL AND state = 'active' AND qual IS NULL AND NOT expired
          AND NOT resumable AND NOT (gold_rate > 0 AND gold_countdown <= 0)
    ), """ + _PG_TAKE + """
    SELECT ctx.*, (SELECT count(*) FROM fast), """ + _TAKEN_COLUMNS + """
    FROM ctx LEFT JOIN asg ON true LEFT JOIN took ON took.id = asg.item_id
    """
    for b in (True, False)
}

# Locks the assignment and, when it is a live claim of an ordinary item by this user (and, if
# the caller checked the answer already, the project's kind and configuration are still the ones
# it was checked against), stores the answer under the review policy with its audit event.
_PG_SUBMIT_PARTS = ("sub AS (" + _SUBMIT_CONTEXT.format(id="%(id)s") + """ FOR UPDATE OF a
            ), ok AS (
                SELECT * FROM sub WHERE user_id = %(u)s AND status = 'claimed' AND NOT skipped AND NOT is_gold
                  AND (%(config)s::jsonb IS NULL OR (config = %(config)s::jsonb AND kind = %(kind)s))
            ), upd AS (
                UPDATE assignments SET
                    answer = %(answer)s, draft = NULL, submitted_at = %(now)s,
                    active_seconds = LEAST(GREATEST(%(secs)s, 0), GREATEST(EXTRACT(EPOCH FROM %(now)s - ok.claimed_at), 0)),
                    lease_until = LEAST(assignments.lease_until, %(now)s),
                    status = CASE WHEN ok.review_policy = 'none' THEN 'approved' ELSE 'submitted' END,
                    reviewed_at = CASE WHEN ok.review_policy = 'none' THEN %(now)s END,
                    needs_review = (ok.review_policy = 'all' OR (ok.review_policy = 'sample' AND random() < ok.review_sample))
                FROM ok WHERE assignments.id = %(id)s
                RETURNING assignments.status, assignments.active_seconds, assignments.item_id
            ), submit_audit AS (
                INSERT INTO audit_events (at, actor_id, actor, action, entity_type, entity_id, details)
                SELECT %(now)s, %(u)s, %(actor)s, 'assignment.submit', 'assignment', %(id_text)s,
                       jsonb_build_object('item_id', upd.item_id, 'active_seconds', upd.active_seconds, 'status', upd.status)
                FROM upd
                RETURNING id
            )""")

_PG_SUBMIT_FAST = "WITH " + _PG_SUBMIT_PARTS + " SELECT sub.*, upd.status FROM sub LEFT JOIN upd ON true"

# The workbench's Submit: the answer, then the next item, in one statement and so one
# transaction, each with its own audit event. The claim's part runs only if the submit wrote,
# and reads the submit's audit event first, so that the trail has the submit before the claim.
# Every part sees the same snapshot, in which the assignment being submitted is still open
# work: the caller counts it among the ones held.
_PG_SUBMIT_AND_CLAIM = {
    b: "WITH " + _PG_SUBMIT_PARTS + ", ctx AS ("
       + _CONTEXT.format(now="%(now)s", user="%(u)s", where=_where(b, _pg), held="%(held)s",
                         submitted="%(id)s") + """
    ), fast AS (
        SELECT *, gold_rate > 0 AS count_down FROM ctx
        WHERE mid IS NOT NULL AND state = 'active' AND qual IS NULL AND NOT expired
          AND NOT resumable AND NOT (gold_rate > 0 AND gold_countdown <= 0) AND EXISTS (SELECT 1 FROM submit_audit)
    ), """ + _PG_TAKE + """
    SELECT sub.*, upd.status, ctx.*, (SELECT count(*) FROM fast), """ + _TAKEN_COLUMNS + """
    FROM sub LEFT JOIN upd ON true LEFT JOIN ctx ON true LEFT JOIN asg ON true LEFT JOIN took ON took.id = asg.item_id
    """
    for b in (True, False)
}


class _Hot:
    def __init__(self, conn):
        self.conn = conn  # the driver's connection: psycopg's or sqlite3's


class PostgresHot(_Hot):
    Jsonb = None  # psycopg's, imported on first use: a SQLite-only install has no psycopg

    def __init__(self, conn):
        super().__init__(conn)
        if PostgresHot.Jsonb is None:
            from psycopg.types.json import Jsonb

            PostgresHot.Jsonb = Jsonb

    def context(self, project_ref: str | int, user_id: int, now: datetime, held: int = 0) -> ClaimContext | None:
        by_id = _by_id(project_ref)
        sql = _PG_CONTEXT[by_id]
        params = {"now": now, "user": user_id, "name": str(project_ref), "pid": int(project_ref) if by_id else None,
                  "held": held}
        row = self.conn.execute(sql, params).fetchone()
        return None if row is None else _context(row)

    def claim_fast(self, project_ref: str | int, user_id: int, actor_name: str, now: datetime,
                   held: int, hint: StartHint | None = None) -> tuple[ClaimContext | None, Taken | None, bool]:
        """One round trip: read the context and, when the common case applies (an active member,
        no expired leases, nothing of theirs to resume, no gold due, no qualification), take the
        next item there and then, searching from `hint` if it is still good. Returns (context,
        taken, whether the fast path applied)."""
        by_id = _by_id(project_ref)
        uid = time_ordered_uid()
        row = self.conn.execute(
            _PG_CLAIM_FAST[by_id],
            {"now": now, "u": user_id, "name": str(project_ref), "pid": int(project_ref) if by_id else None,
             "held": held, "uid": uid, "actor": actor_name, **_hint_params(hint)},
        ).fetchone()
        if row is None:
            return None, None, False
        ctx = _context(row)
        fast = bool(row[_CONTEXT_COLUMNS])
        return ctx, _taken(row, _CONTEXT_COLUMNS + 1, uid, ctx), fast

    def take(self, ctx: ClaimContext, user_id: int, actor_name: str, now: datetime, lease_until: datetime,
             count_down: bool) -> Taken | None:
        """The same take as claim_fast's, after the slow path has done what the fast one could not."""
        uid = time_ordered_uid()
        row = self.conn.execute(
            """
            WITH fast AS (
                SELECT %(p)s::int AS pid, %(lease_seconds)s::int AS lease_seconds, %(m)s::int AS mid,
                       %(count_down)s::boolean AS count_down, %(overlap)s::int AS overlap,
                       %(epoch)s::int AS queue_epoch
            ), """ + _PG_TAKE + """
            SELECT """ + _TAKEN_COLUMNS + """
            FROM asg JOIN took ON took.id = asg.item_id
            """,
            {"p": ctx.project_id, "u": user_id, "uid": uid, "now": now, "lease_seconds": ctx.lease_seconds,
             "actor": actor_name, "m": ctx.membership_id, "count_down": count_down, "overlap": ctx.overlap,
             "epoch": ctx.queue_epoch, **_hint_params(None)},
        ).fetchone()
        return None if row is None else _taken(row, 0, uid, None)

    def submit_fast(self, assignment_id: int, user_id: int, actor_name: str, answer: dict, active_seconds: float,
                    now: datetime, checked: tuple[str, dict] | None = None) -> tuple[SubmitContext | None, str | None]:
        """One round trip: lock the assignment and, when it is a live claim of an ordinary item by
        this user, store the answer under the review policy with its audit event. The caller
        validates the answer afterwards and raises (rolling all of it back) if it is wrong, or
        has validated it already under `checked` (kind, configuration): then nothing is written
        unless the project's kind and configuration are still those. Returns the context and the
        new status (None when the slow path must decide)."""
        row = self.conn.execute(
            _PG_SUBMIT_FAST,
            {"id": assignment_id, "u": user_id, "actor": actor_name, "answer": self.Jsonb(answer),
             "secs": float(active_seconds), "now": now, "id_text": str(assignment_id),
             "config": None if checked is None else self.Jsonb(checked[1]),
             "kind": None if checked is None else checked[0]},
        ).fetchone()
        if row is None:
            return None, None
        return SubmitContext(*row[:15]), row[15]

    def submit_and_claim(self, assignment_id: int, user_id: int, actor_name: str, answer: dict, active_seconds: float,
                         now: datetime, checked: tuple[str, dict], project_ref: str | int, held: int,
                         hint: StartHint | None = None,
                         ) -> tuple[SubmitContext | None, str | None, ClaimContext | None, Taken | None, bool]:
        """submit_fast (answer checked already) and claim_fast in one round trip, the claim only
        if the submit wrote. `held` counts the assignment being submitted. Returns the submit's
        context and new status, then the claim's context, what it took, and whether its fast
        path applied."""
        by_id = _by_id(project_ref)
        uid = time_ordered_uid()
        row = self.conn.execute(
            _PG_SUBMIT_AND_CLAIM[by_id],
            {"id": assignment_id, "u": user_id, "actor": actor_name, "answer": self.Jsonb(answer),
             "secs": float(active_seconds), "now": now, "id_text": str(assignment_id),
             "config": self.Jsonb(checked[1]), "kind": checked[0],
             "name": str(project_ref), "pid": int(project_ref) if by_id else None, "held": held, "uid": uid,
             **_hint_params(hint)},
        ).fetchone()
        if row is None:
            return None, None, None, None, False
        sub, status = SubmitContext(*row[:15]), row[15]
        ctx = None if row[16] is None else _context(row[16:16 + _CONTEXT_COLUMNS])
        fast = bool(row[16 + _CONTEXT_COLUMNS])
        return sub, status, ctx, _taken(row, 17 + _CONTEXT_COLUMNS, uid, ctx), fast

    def submit_context(self, assignment_id: int) -> SubmitContext | None:
        row = self.conn.execute(_SUBMIT_CONTEXT.format(id="%(id)s") + " FOR UPDATE OF a", {"id": assignment_id}).fetchone()
        return None if row is None else SubmitContext(*row)

    def finish(self, assignment_id: int, answer: dict, seconds: float, now: datetime, status: str, needs_review: bool,
               user_id: int, actor_name: str, item_id: int) -> None:
        self.conn.execute(
            """
            WITH upd AS (
                UPDATE assignments SET answer = %(answer)s, draft = NULL, active_seconds = %(secs)s,
                    submitted_at = %(now)s, lease_until = LEAST(lease_until, %(now)s), status = %(status)s,
                    needs_review = %(nr)s, reviewed_at = %(reviewed)s
                WHERE id = %(id)s RETURNING id
            )
            INSERT INTO audit_events (at, actor_id, actor, action, entity_type, entity_id, details)
            SELECT %(now)s, %(u)s, %(actor)s, 'assignment.submit', 'assignment', %(id_text)s, %(details)s FROM upd
            """,
            {"answer": self.Jsonb(answer), "secs": seconds, "now": now, "status": status, "nr": needs_review,
             "reviewed": now if status == "approved" else None, "id": assignment_id, "u": user_id,
             "actor": actor_name, "id_text": str(assignment_id),
             "details": self.Jsonb({"item_id": item_id, "active_seconds": seconds, "status": status})},
        )


def _sqlite_time(when: datetime) -> str:
    # The text form SQLAlchemy's DateTime stores on SQLite, so the two compare as equals.
    # isoformat is the same text as strftime("%Y-%m-%d %H:%M:%S.%f"), at a fifth of the cost.
    return when.astimezone(timezone.utc).replace(tzinfo=None).isoformat(" ", "microseconds")


def _from_sqlite_time(value: str) -> datetime:
    return datetime.fromisoformat(value).replace(tzinfo=timezone.utc)


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


class SqliteHot(_Hot):
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


def _hint_params(hint: StartHint | None) -> dict[str, Any]:
    if hint is None:  # NULLs: the searches from a hint find nothing, without reading the index
        return {"hpid": None, "he": None, "hp": None, "hc": None, "hi": None}
    return {"hpid": hint.project_id, "he": hint.epoch, "hp": hint.priority, "hc": hint.confidence, "hi": hint.item_id}


def _taken(row, start: int, uid: str, ctx: ClaimContext | None) -> Taken | None:
    """The _TAKEN_COLUMNS from `start`, if a take took something. With the claim's context, the
    hint for the next claim: this item's key, at the epoch the claim saw."""
    if row[start] is None:
        return None
    assignment_id, external_id, payload, prediction, confidence, priority, item_id = row[start:start + 7]
    hint = None if ctx is None else StartHint(ctx.project_id, ctx.queue_epoch, priority, confidence, item_id)
    return Taken(assignment_id, uid, external_id, payload, prediction, confidence, hint)


def hot_path(session: Session) -> PostgresHot | SqliteHot:
    conn = session.connection().connection.driver_connection
    return PostgresHot(conn) if session.get_bind().dialect.name == "postgresql" else SqliteHot(conn)
