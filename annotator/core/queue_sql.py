"""SQLite's queue hot paths in plain SQL on the driver connection of the caller's transaction.

Claim and submit run for every item every annotator touches, so their common case is short
plain statements (in-process, where a round trip is cheap but Python is not). Everything
uncommon (resuming, gold, conflicts) stays in queue.py's ORM code. PostgreSQL's queue is the
server's functions (migration 0007, queue_pg.py).
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any, NamedTuple

from sqlalchemy.orm import Session

from annotator import queue_rules as rules
from annotator.db.base import time_ordered_uid


# The records below are NamedTuples, not frozen dataclasses: each claim makes several, and a
# frozen dataclass sets each field through object.__setattr__, which is many times slower.
class ClaimContext(NamedTuple):
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
    overlap: int
    queue_epoch: int  # see queue_epoch.py
    config_text: str  # the configuration as stored, for a submit's check that it is unchanged
    review_policy: str
    review_sample: float

    @property
    def gold_due(self) -> bool:
        return rules.gold_due(self.gold_rate, self.gold_countdown)

    @property
    def takes_common_path(self) -> bool:
        return rules.claim_takes_common_path(
            membership_state=self.membership_state, qualification_project_id=self.qualification_project_id,
            has_expired_leases=self.has_expired_leases, resumable=self.resumable, gold_due=self.gold_due)


class SubmitGuard(NamedTuple):
    """What a common submit was worked out against: the kind and configuration its answer passed,
    the claim's time (its seconds are clamped to the time since), and the project's review
    policy (its status). The submit writes only while the database still says all of these;
    otherwise it writes nothing and the full path decides."""

    kind: str
    config_text: str
    claimed_at: str  # as stored
    review_policy: str
    review_sample: float
    claimed_time: datetime  # claimed_at, parsed

    @classmethod
    def of_claim(cls, ctx: ClaimContext, claimed_at: datetime) -> SubmitGuard:
        return cls(ctx.kind, ctx.config_text, sqlite_time(claimed_at), ctx.review_policy, ctx.review_sample,
                   claimed_at)


class Taken(NamedTuple):
    assignment_id: int
    assignment_uid: str
    external_id: str
    payload: dict[str, Any]
    prediction: dict[str, Any] | None
    confidence: float


# The (held+1)-th piece of resumable work (queue_rules.RESUMABLE), asked for rather than counted:
# the work the client holds (the current item, and the one a submit-and-next hands in) counts
# among the first `held`. Its columns are ClaimContext's fields, in order (the configuration twice:
# parsed, and as stored). Parameters by number, not name: sqlite3 makes and hashes a new string
# for each named parameter of each execution. ?1 the time, ?2 the user, ?3 held, ?4 the project's
# name, ?5 its id.
_CONTEXT = f"""
SELECT p.id, p.name, p.kind, p.config, p.instructions, p.media_root, p.lease_seconds, p.gold_rate,
       p.qualification_project_id, m.id, m.state, m.reason, coalesce(m.gold_countdown, 0),
       (SELECT e.lease_until FROM assignments e WHERE e.project_id = p.id AND e.status = 'claimed'
        AND e.lease_until < ?1 ORDER BY e.lease_until LIMIT 1) IS NOT NULL,
       EXISTS (SELECT 1 FROM assignments o JOIN items oi ON oi.id = o.item_id
               WHERE o.user_id = ?2 AND o.project_id + 0 = p.id AND {rules.RESUMABLE}
               LIMIT 1 OFFSET ?3),
       p.pixel_limit, p.overlap, p.queue_epoch, p.config, p.review_policy, p.review_sample
FROM projects p LEFT JOIN memberships m ON m.project_id = p.id AND m.user_id = ?2
WHERE {{where}}
"""

_SUBMIT_CONTEXT = f"""
SELECT a.user_id, ({rules.LIVE_ORDINARY_CLAIM}) AS common, p.kind, p.config, a.claimed_at, p.review_policy,
       p.review_sample
FROM assignments a JOIN items i ON i.id = a.item_id JOIN projects p ON p.id = a.project_id
WHERE a.id = :id
"""


def _by_id(project_ref: str | int) -> bool:
    return isinstance(project_ref, int) or str(project_ref).isdigit()


# One statement picks the item and takes its slot (the write lock is already ours).
TAKE_SQL = f"""
UPDATE items SET open_slots = open_slots - 1
WHERE id = (SELECT id FROM items
            WHERE project_id = ? AND open_slots > 0 AND {rules.not_worked_by("?")}
            ORDER BY {rules.CLAIM_ORDER}
            LIMIT 1)
RETURNING id, external_id, payload, prediction, confidence
"""
# The claim's assignment and audit event, and the submit's audit event. The statements are
# public so that benchmarks/sqlite_replay.py can time them with no application code around them.
INSERT_CLAIM_SQL = (
    "INSERT INTO assignments (uid, item_id, user_id, project_id, status, claimed_at, lease_until, active_seconds,"
    " is_gold, needs_review, skipped, offline) VALUES (?, ?, ?, ?, 'claimed', ?, ?, 0, 0, 0, 0, 0)")
AUDIT_CLAIM_SQL = (
    "INSERT INTO audit_events (at, actor_id, actor, action, entity_type, entity_id, details)"
    " VALUES (?, ?, ?, 'assignment.claim', 'assignment', ?, json_object('item_id', ?, 'project_id', ?))")
AUDIT_SUBMIT_SQL = (
    "INSERT INTO audit_events (at, actor_id, actor, action, entity_type, entity_id, details)"
    " VALUES (?, ?, ?, 'assignment.submit', 'assignment', ?,"
    " json_object('item_id', ?, 'active_seconds', ?, 'status', ?))")

# The statement is built once: a claim should not format and hash 3 KB of SQL each time. By
# whether the project is named by its id (True) or its name.
CONTEXT_SQL = {True: _CONTEXT.format(where="(p.id = ?5 OR p.name = ?4)"),
               False: _CONTEXT.format(where="p.name = ?4")}
# A newer answer to an assignment is in: an older one kept as a conflict is superseded, so that a
# lead accepting it later cannot replace this one (0007_queue.sql does the same on PostgreSQL).
SUPERSEDE_CONFLICTS = """
UPDATE conflicts SET resolved_at = :now,
    resolution = 'superseded: a newer answer to the same assignment was accepted'
WHERE resolved_at IS NULL AND assignment_uid = (SELECT uid FROM assignments WHERE id = :id)
"""


@lru_cache(maxsize=8)  # a submit-and-next writes the same `now` in three of its statements
def sqlite_time(when: datetime) -> str:
    # The text form SQLAlchemy's DateTime stores on SQLite, so the two compare as equals.
    # isoformat is the same text as strftime("%Y-%m-%d %H:%M:%S.%f"), at a fifth of the cost;
    # its first 26 characters leave out the "+00:00" of a UTC time.
    if when.tzinfo is not timezone.utc:
        when = when.astimezone(timezone.utc)
    return when.isoformat(" ", "microseconds")[:26]


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


class SqliteHot:
    def __init__(self, conn):
        self.conn = conn  # sqlite3's connection

    def context(self, project_ref: str | int, user_id: int, now: datetime, held: int = 0) -> ClaimContext | None:
        if _by_id(project_ref):
            row = self.conn.execute(CONTEXT_SQL[True],
                                    (sqlite_time(now), user_id, held, str(project_ref), int(project_ref))).fetchone()
        else:
            row = self.conn.execute(CONTEXT_SQL[False], (sqlite_time(now), user_id, held, project_ref)).fetchone()
        return None if row is None else _context(row)

    def take(self, ctx: ClaimContext, user_id: int, actor_name: str, now: datetime, lease_until: datetime,
             count_down: bool) -> Taken | None:
        c = self.conn
        row = c.execute(TAKE_SQL, (ctx.project_id, user_id)).fetchone()
        if row is None:
            return None
        item_id = row[0]
        uid = time_ordered_uid()
        at = sqlite_time(now)
        assignment_id = c.execute(
            INSERT_CLAIM_SQL, (uid, item_id, user_id, ctx.project_id, at, sqlite_time(lease_until))).lastrowid
        c.execute(AUDIT_CLAIM_SQL, (at, user_id, actor_name, str(assignment_id), item_id, ctx.project_id))
        if count_down:
            c.execute("UPDATE memberships SET gold_countdown = gold_countdown - 1 WHERE id = ?", (ctx.membership_id,))
        return Taken(assignment_id, uid, row[1], _json(row[2]), _json(row[3]), row[4])

    def pick_gold(self, project_id: int, user_id: int) -> int | None:
        """A gold item this user has never had (gold items hold no slots: each user sees each
        gold item once), in import order."""
        row = self.conn.execute(
            f"SELECT id FROM items WHERE project_id = ? AND is_gold AND {rules.not_worked_by('?')} ORDER BY id LIMIT 1",
            (project_id, user_id),
        ).fetchone()
        return None if row is None else row[0]

    def submit_kind(self, assignment_id: int) -> tuple[int, bool, dict[str, Any], SubmitGuard] | None:
        """(user id, whether the common path may store it, configuration, what the submit is
        worked out against) of an assignment."""
        row = self.conn.execute(_SUBMIT_CONTEXT, {"id": assignment_id}).fetchone()
        if row is None:
            return None
        user_id, common, kind, config, claimed_at, policy, sample = row
        return user_id, bool(common), _json(config), SubmitGuard(kind, config, claimed_at, policy, sample,
                                                                 _parse_sqlite_time(claimed_at))

    def submit_checked(self, assignment_id: int, user_id: int, actor_name: str, answer: dict, active_seconds: float,
                       now: datetime, guard: SubmitGuard) -> str | None:
        """The common submit of an answer already checked against `guard`'s kind and
        configuration: a live claim of an ordinary item by this user, made at the guard's time,
        in a project whose kind, configuration and review policy are still the guard's, gets the
        answer (its status by the policy, its seconds clamped) and its audit event. Returns the
        new status, or None (nothing written) when the full path must decide: not this user's,
        gold, skipped, late, repeated, or the project changed."""
        at = sqlite_time(now)
        # The rules run here, in Python, rather than as SQLite functions called by the statement:
        # four calls back into Python per submit cost more than the rest of the update.
        seconds = rules.clamp_seconds(active_seconds, guard.claimed_time, now)
        status, needs_review = rules.status_for(guard.review_policy, guard.review_sample)
        row = self.conn.execute(SUBMIT_CHECKED_SQL, (
            json.dumps(answer), at, seconds, status, at if status == "approved" else None, int(needs_review),
            assignment_id, user_id, guard.claimed_at, guard.kind, guard.config_text, guard.review_policy,
            guard.review_sample)).fetchone()
        if row is None:
            return None
        item_id, has_open_conflict = row
        if has_open_conflict:
            self.conn.execute(SUPERSEDE_CONFLICTS, {"now": at, "id": assignment_id})
        self.conn.execute(AUDIT_SUBMIT_SQL, (at, user_id, actor_name, str(assignment_id), item_id, seconds, status))
        return status


# NOT INDEXED: the row is found by its id. Otherwise, with the statistics of a database that
# held few live claims, SQLite walks the claims' lease index and tests each row for the id.
# The project and item are checked in a correlated EXISTS, not joined with UPDATE … FROM,
# which SQLite runs by first copying the joined row into a temporary table.
SUBMIT_CHECKED_SQL = f"""
UPDATE assignments AS a NOT INDEXED SET
    answer = ?1, draft = NULL, submitted_at = ?2, active_seconds = ?3, lease_until = min(a.lease_until, ?2),
    status = ?4, reviewed_at = ?5, needs_review = ?6
WHERE a.id = ?7 AND a.user_id = ?8 AND a.claimed_at = ?9
  AND EXISTS (SELECT 1 FROM projects p, items i
              WHERE p.id = a.project_id AND i.id = a.item_id AND {rules.LIVE_ORDINARY_CLAIM}
              AND p.kind = ?10 AND (p.config = ?11 OR json(p.config) = json(?11))
              AND p.review_policy = ?12 AND p.review_sample = ?13)
RETURNING item_id,
    -- nearly always false: then the submit needs no statement to supersede an older answer.
    -- The uid by ?7, not the updated row's: only a constant lets the search use the index.
    EXISTS (SELECT 1 FROM conflicts c WHERE c.resolved_at IS NULL
            AND c.assignment_uid = (SELECT x.uid FROM assignments x WHERE x.id = ?7))
"""


def _parse_sqlite_time(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


def _context(row) -> ClaimContext:
    return ClaimContext._make((*row[:3], _json(row[3]), *row[4:13], bool(row[13]), bool(row[14]), *row[15:]))


def hot_path(session: Session) -> SqliteHot:
    return SqliteHot(session.connection().connection.driver_connection)
