"""The work queue on PostgreSQL: calls of the server's queue functions (migration 0007, ADR 9),
which act for the connection's own login. Every rule of the queue is in those functions; this
module passes arguments, turns the rows into the app's objects and the functions' refusals into
its errors. SQLite's queue is queue.py and queue_sql.py.

Each function takes a psycopg connection: in autocommit mode (the direct path, where a call is
its own transaction) or inside the caller's transaction."""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterator

from annotator.core.queue_items import ClaimedItem
from annotator.db.base import time_ordered_uid
from annotator.errors import (AlreadyExists, AnnotatorError, AssignmentClosed, AuthenticationFailed, NotAMember,
                              NotFound, NothingLeft, NotQualified, NotYourAssignment, RefusedByServer, UserPaused)

# The SQLSTATEs of the functions' refusals (0007_queue.sql), and the errors they become.
_REFUSALS = {
    "AN002": UserPaused, "AN003": NotQualified, "AN004": NotYourAssignment,
    "AN005": AssignmentClosed, "AN006": NotAMember, "AN007": AuthenticationFailed, "AN008": NotFound,
    "AN009": AlreadyExists, "AN010": RefusedByServer,
}


@dataclass(frozen=True)
class Hint:
    """Where this user's next claim in a project may start (docs/adr/0007): the item their last
    claim took, at the queue epoch that claim saw. The server checks it before using it."""
    epoch: int
    item_id: int


def refusal(exc: BaseException) -> AnnotatorError | None:
    """The app's error for a refusal by the server: a queue function's, or a missing right."""
    orig = getattr(exc, "orig", exc)
    code = getattr(orig, "sqlstate", None)
    diag = getattr(orig, "diag", None)
    message = getattr(diag, "message_primary", None) or str(orig).splitlines()[0]
    if code in _REFUSALS:
        return _REFUSALS[code](message)
    if code == "42501":  # insufficient_privilege, or a row-level security check
        return RefusedByServer(f"The database server refused: {message}. Your login lacks that right; "
                               "a lead or an admin can do this.")
    return None


@contextmanager
def refusals() -> Iterator[None]:
    """Raise the server's refusals as the app's errors, each with its one-line message."""
    try:
        yield
    except Exception as exc:
        mapped = refusal(exc)
        if mapped is None:
            raise
        raise mapped from None


_CLAIMED = ("assignment_id, assignment_uid, project_id, project_name, kind, config, instructions, media_root,"
            " external_id, payload, prediction, confidence, draft, active_seconds, claimed_at, lease_until, pixel_limit,"
            " hint_epoch, hint_item_id")
_CLAIM = f"SELECT {_CLAIMED} FROM queue_claim(%s, %s, %s, %s, %s, %s)"


def claim(conn, project_ref: str | int, *, holding: tuple[int, ...] = (), now: datetime | None = None,
          hint: Hint | None = None):
    """The next item for the connection's user: (ClaimedItem, the Hint for their next claim)."""
    with refusals():
        row = conn.execute(_CLAIM, (str(project_ref), time_ordered_uid(), list(holding), now,
                                    hint and hint.epoch, hint and hint.item_id)).fetchone()
    return _claimed(row)


def _claimed(row):
    if row[0] is None:  # nothing left (a refusal that keeps what the claim did first: expired leases freed)
        raise NothingLeft(f"Nothing is left for you in {row[3]}: every item has its answers or is being worked on.")
    item = ClaimedItem(*row[:17])
    return item, (None if row[17] is None else Hint(row[17], row[18]))


@dataclass(frozen=True)
class Submitted:
    assignment_id: int
    accepted: bool
    status: str | None  # None: the project's kind or configuration changed since the client checked
    conflict_id: int | None
    message: str
    correct_answer: dict[str, Any] | None
    kind: str
    config: dict[str, Any]


_SUBMIT = ("SELECT assignment_id, accepted, status, conflict_id, coalesce(message, ''), correct_answer, kind, config"
           " FROM queue_submit(%s, %s, %s, %s, %s, %s)")


def submit(conn, assignment_id: int, answer: dict, active_seconds: float, *, checked: tuple[str, dict] | None = None,
           now: datetime | None = None) -> Submitted:
    """Hand in the answer. With `checked` (the kind and configuration the client checked the
    answer against) nothing is written if those changed; without, the caller checks the answer
    against the returned kind and configuration and rolls back if it is wrong."""
    from psycopg.types.json import Jsonb

    with refusals():
        row = conn.execute(_SUBMIT, (assignment_id, Jsonb(answer), float(active_seconds),
                                     checked and checked[0], checked and Jsonb(checked[1]), now)).fetchone()
    return Submitted(*row)


_SUBMIT_AND_CLAIM = (
    "SELECT (s).assignment_id, (s).accepted, (s).status, (s).conflict_id, coalesce((s).message, ''), (s).correct_answer,"
    " (s).kind, (s).config, " + ", ".join(f"(c).{c.strip()}" for c in _CLAIMED.split(",")) + ", refusal_code, refusal"
    " FROM queue_submit_and_claim(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) AS x(s, c, refusal_code, refusal)")


def submit_and_claim(conn, assignment_id: int, answer: dict, active_seconds: float, checked: tuple[str, dict],
                     project_ref: str | int, *, holding: tuple[int, ...] = (), now: datetime | None = None,
                     hint: Hint | None = None):
    """The workbench's Submit in one call: (Submitted, then the next (ClaimedItem, Hint), the
    refusal of the claim as the app's error, or None when the answer was not taken)."""
    from psycopg.types.json import Jsonb

    with refusals():
        row = conn.execute(_SUBMIT_AND_CLAIM, (
            assignment_id, Jsonb(answer), float(active_seconds), checked[0], Jsonb(checked[1]), str(project_ref),
            time_ordered_uid(), list(holding), now, hint and hint.epoch, hint and hint.item_id)).fetchone()
    done = Submitted(*row[:8])
    if not done.accepted or done.status is None:
        return done, None
    if row[-2] is not None:
        return done, _REFUSALS[row[-2]](row[-1])
    try:
        return done, _claimed(row[8:8 + 19])
    except NothingLeft as exc:
        return done, exc


def save_draft(conn, assignment_id: int, draft: dict, active_seconds: float, *, now: datetime | None = None) -> None:
    from psycopg.types.json import Jsonb

    with refusals():
        conn.execute("SELECT queue_save_draft(%s, %s, %s, %s)", (assignment_id, Jsonb(draft), float(active_seconds), now))


def give_back(conn, assignment_id: int, *, skip: bool, now: datetime | None = None) -> None:
    with refusals():
        conn.execute("SELECT queue_give_back(%s, %s, %s)", (assignment_id, skip, now))


def release_held(conn, project_id: int, keep: tuple[int, ...] = ()) -> int:
    with refusals():
        return conn.execute("SELECT queue_release_held(%s, %s)", (project_id, list(keep))).fetchone()[0]


def extend(conn, assignment_id: int, *, now: datetime | None = None) -> datetime:
    with refusals():
        return conn.execute("SELECT queue_extend(%s, %s)", (assignment_id, now)).fetchone()[0]


def open_items(conn) -> dict[int, int]:
    """The open items of each project the connection's user belongs to."""
    with refusals():
        return dict(conn.execute("SELECT project_id, open_items FROM queue_open_items()").fetchall())


def driver(session):
    """The psycopg connection under a SQLAlchemy session, in the session's transaction."""
    return session.connection().connection.driver_connection
