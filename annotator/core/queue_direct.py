"""Claim and submit, given the database rather than a session: the entry points the app and
the benchmarks use.

On PostgreSQL every claim and submit is a call of the server's queue functions (queue_pg.py),
straight on this thread's driver connection: one statement that is its own transaction (one
round trip instead of ping, BEGIN, query, COMMIT). A broken connection, or a transient conflict,
falls back to a session, which pings and retries. The server's clock times the call unless the
caller names a time: no time is sent then, which spares the server looking up whether it
trusts client clocks.

On SQLite the common case (an active member claiming an ordinary item, or submitting a live
claim) runs on the driver connection, without a Session; anything else (resuming, gold,
conflicts, a paused user) falls back to queue.py's session code, which has every rule; the
direct path only ever does what that code would do in the common case."""

from __future__ import annotations

import logging
import threading
import weakref
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Iterator, NamedTuple

from annotator.core import queue, queue_pg
from annotator.core.auth import Actor
from annotator.core.queue_sql import SqliteHot, SubmitGuard
from annotator.db import Database
from annotator.db.base import utcnow
from annotator.errors import AnnotatorError, QueueError
from annotator.tasks import registry

log = logging.getLogger(__name__)


class _Fallback(Exception):
    """The direct path does not apply: let the session code decide (nothing was written)."""


class _ClaimedUnder(NamedTuple):
    kind: str
    config: dict[str, Any]
    guard: SubmitGuard | None  # SQLite's common claims: what the submit is worked out against


class _ClaimedKinds:
    """The kind and configuration each assignment was claimed under, kept by the process that
    claimed it, so that its submit can check the answer before writing (guarded by the kind and
    configuration being unchanged): on PostgreSQL the submit is then one statement that is its
    own transaction, and on SQLite the write lock is held only for the update and its audit."""

    LIMIT = 10_000  # a client holds a handful; the benchmarks' processes a few thousand at most

    def __init__(self):
        self._by_key: dict[tuple[str, int], _ClaimedUnder] = {}
        self._lock = threading.Lock()  # the app's worker and the benchmarks' threads share it

    def remember(self, db: Database, claimed: queue.ClaimedItem, guard: SubmitGuard | None) -> None:
        with self._lock:
            if len(self._by_key) >= self.LIMIT:
                self._by_key.pop(next(iter(self._by_key)))  # the oldest: dicts keep insertion order
            self._by_key[(db.url, claimed.assignment_id)] = _ClaimedUnder(claimed.kind, claimed.config, guard)

    def take(self, db: Database, assignment_id: int) -> _ClaimedUnder | None:
        with self._lock:
            return self._by_key.pop((db.url, assignment_id), None)


_claimed_kinds = _ClaimedKinds()


class _StartHints:
    """Where each user's next claim in a project may start its search (PostgreSQL): the item
    their last claim took there, at the queue epoch that claim saw. The server checks that the
    hint is still good; a stale one costs a search from the front. Kept per
    Database object, not per URL: a database emptied and filled again under the same URL (as
    the tests do) can repeat a project's id and epoch."""

    def __init__(self):
        self._by_db: weakref.WeakKeyDictionary[Database, dict[tuple[str, int], queue_pg.Hint]] = \
            weakref.WeakKeyDictionary()
        self._lock = threading.Lock()

    def get(self, db: Database, project_ref: str | int, user_id: int) -> queue_pg.Hint | None:
        with self._lock:
            return self._by_db.get(db, {}).get((str(project_ref), user_id))

    def update(self, db: Database, project_ref: str | int, user_id: int, hint: queue_pg.Hint | None) -> None:
        with self._lock:
            hints = self._by_db.setdefault(db, {})
            if hint is None:
                hints.pop((str(project_ref), user_id), None)
            else:
                hints[(str(project_ref), user_id)] = hint


_start_hints = _StartHints()


def claim(db: Database, actor: Actor, project_ref: str | int, *, holding: tuple[int, ...] = (),
          now: datetime | None = None) -> queue.ClaimedItem:
    if actor.id is None:
        raise AnnotatorError("Only a logged-in user can claim work.")
    try:
        claimed, guard = (_claim_postgres(db, actor, project_ref, holding, now), None) if not db.is_sqlite else \
            _claim_sqlite(db, actor, project_ref, holding, now or utcnow())
    except _Fallback:
        claimed, guard = claim_in_session(db, actor, project_ref, holding=holding, now=now or utcnow()), None
    _claimed_kinds.remember(db, claimed, guard)
    return claimed


def claim_in_session(db: Database, actor: Actor, project_ref: str | int, *, holding: tuple[int, ...] = (),
                     now: datetime | None = None) -> queue.ClaimedItem:
    """queue.claim_next in a transaction of its own. A refusal (nothing left, paused, not
    qualified) is raised after the commit, not through it: the expired leases the claim freed
    first stay freed, and a first claim's membership stays made."""
    def attempt(session):
        try:
            return queue.claim_next(session, actor, project_ref, holding=holding, now=now)
        except QueueError as exc:
            return exc

    result = db.run(attempt)
    if isinstance(result, QueueError):
        raise result
    return result


def submit(db: Database, actor: Actor, assignment_id: int, answer: dict[str, Any], active_seconds: float, *,
           now: datetime | None = None) -> queue.SubmitOutcome:
    try:
        return _submit_postgres(db, actor, assignment_id, answer, active_seconds, now) if not db.is_sqlite else \
            _submit_sqlite(db, actor, assignment_id, answer, active_seconds, now or utcnow())
    except _Fallback:
        at = now or utcnow()
        return db.run(lambda s: queue.submit(s, actor, assignment_id, answer, active_seconds, now=at))


@dataclass(frozen=True)
class SubmittedAndNext:
    outcome: queue.SubmitOutcome
    next: queue.ClaimedItem | None
    refusal: QueueError | None  # why there is no next item (nothing left, paused, not qualified)


def submit_and_claim(db: Database, actor: Actor, assignment_id: int, answer: dict[str, Any], active_seconds: float,
                     project_ref: str | int, *, holding: tuple[int, ...] = (),
                     now: datetime | None = None) -> SubmittedAndNext:
    """The workbench's Submit: the answer, then the next item (`holding`: the assignments the
    client keeps open besides this one). When both take the common path they share one
    transaction, each with its own audit event: on SQLite one hold of the write lock, whose log
    pages the two writes share; on PostgreSQL one statement. Otherwise each runs on its own. The
    submit stands whether or not a next item is given; errors of the submit raise as submit's do."""
    guard = None
    try:
        if db.is_sqlite:
            outcome, following, guard = _submit_and_claim_sqlite(db, actor, assignment_id, answer, active_seconds,
                                                                 project_ref, holding, now or utcnow())
        else:
            outcome, following = _submit_and_claim_postgres(db, actor, assignment_id, answer, active_seconds,
                                                            project_ref, holding, now)
    except _Fallback:  # the submit needs the full path; nothing was written
        outcome, following = submit(db, actor, assignment_id, answer, active_seconds, now=now), None
    if following is None:  # the claim needs a path of its own; the answer is stored already
        try:
            return SubmittedAndNext(outcome, claim(db, actor, project_ref, holding=holding, now=now), None)
        except QueueError as exc:
            return SubmittedAndNext(outcome, None, exc)
        except Exception:  # noqa: BLE001 - not the submit's failure: the caller claims again and sees why
            log.warning("The answer to assignment %s is stored; claiming the next item failed", assignment_id,
                        exc_info=True)
            return SubmittedAndNext(outcome, None, None)
    if isinstance(following, QueueError):
        return SubmittedAndNext(outcome, None, following)
    _claimed_kinds.remember(db, following, guard)
    return SubmittedAndNext(outcome, following, None)


# ---- PostgreSQL --------------------------------------------------------------------------------


def _retry_in_session(exc: BaseException) -> bool:
    """A broken pooled connection, or another transaction got there first: the session path
    (which pings, and retries transient conflicts) takes over."""
    import psycopg

    from annotator.db.engine import TRANSIENT_PG_CODES

    return isinstance(exc, psycopg.OperationalError) or getattr(exc, "sqlstate", None) in TRANSIENT_PG_CODES


@contextmanager
def _postgres(db) -> Iterator:
    """This thread's driver connection; a broken one, or a transient conflict, raises _Fallback."""
    import psycopg

    try:
        with db.driver_connection() as conn:
            yield conn
    except psycopg.Error as exc:
        if _retry_in_session(exc):
            raise _Fallback from None
        raise


def _claim_postgres(db, actor, project_ref, holding, now) -> queue.ClaimedItem:
    with _postgres(db) as conn:
        claimed, hint = queue_pg.claim(conn, project_ref, holding=holding, now=now,
                                       hint=_start_hints.get(db, project_ref, actor.id))
    _start_hints.update(db, project_ref, actor.id, hint)
    return claimed


def _checked_under_claim(db, assignment_id, answer) -> _ClaimedUnder | None:
    """What the answer was checked against and passed, if this process claimed the assignment;
    None when the database's configuration must decide."""
    claimed_under = _claimed_kinds.take(db, assignment_id)
    if claimed_under is None:
        return None
    try:
        registry.get(claimed_under.kind).validate_answer(claimed_under.config, answer)
    except AnnotatorError:
        return None  # perhaps a lead changed the labels since: the full path says
    return claimed_under


def _submit_postgres(db, actor, assignment_id, answer, active_seconds, now) -> queue.SubmitOutcome:
    checked = _checked_under_claim(db, assignment_id, answer)
    if checked is None:
        raise _Fallback  # checked in a transaction of its own, rolled back if it is wrong
    # Checked already: one call, its own transaction, which writes nothing unless the project's
    # kind and configuration are still the ones the answer was checked against.
    with _postgres(db) as conn:
        done = queue_pg.submit(conn, assignment_id, answer, active_seconds, checked=(checked.kind, checked.config),
                               now=now)
    if done.status is None:
        raise _Fallback
    return queue.outcome_of(done, answer)


def _submit_and_claim_postgres(db, actor, assignment_id, answer, active_seconds, project_ref, holding, now):
    """(outcome, the next item, a QueueError, or None when the claim must run on its own)."""
    checked = _checked_under_claim(db, assignment_id, answer)
    if checked is None:
        raise _Fallback
    with _postgres(db) as conn:
        done, following = queue_pg.submit_and_claim(conn, assignment_id, answer, active_seconds,
                                                    (checked.kind, checked.config), project_ref,
                                                    holding=holding, now=now,
                                                    hint=_start_hints.get(db, project_ref, actor.id))
    if done.status is None:
        raise _Fallback  # the configuration changed since the claim: nothing was written
    outcome = queue.outcome_of(done, answer)
    if following is None or isinstance(following, QueueError):
        return outcome, following
    claimed, hint = following
    _start_hints.update(db, project_ref, actor.id, hint)
    return outcome, claimed


# ---- SQLite ------------------------------------------------------------------------------------


class _SqliteWrite:
    """This thread's driver connection in a transaction that holds the write lock: committed at
    the end, rolled back if anything raises. A class rather than a generator: every Submit
    enters one."""

    __slots__ = ("_outer", "_conn")

    def __init__(self, db: Database):
        self._outer = db.driver_connection()

    def __enter__(self):
        import sqlite3

        conn = self._conn = self._outer.__enter__()
        try:
            conn.execute("BEGIN IMMEDIATE")  # waits up to the busy timeout for the write lock
        except sqlite3.OperationalError as exc:
            self._outer.__exit__(type(exc), exc, exc.__traceback__)
            raise _Fallback from None  # still locked: the session path retries with a backoff
        return conn

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            if exc_type is None:
                try:
                    self._conn.execute("COMMIT")
                except BaseException:
                    self._conn.execute("ROLLBACK")
                    raise
            else:
                self._conn.execute("ROLLBACK")
        finally:
            self._outer.__exit__(exc_type, exc, tb)


# The small Python work of a transaction (JSON, a new uid, the DTO) is done while the write
# lock is held, not before BEGIN IMMEDIATE or after COMMIT. A writer that loses the race for
# the lock sleeps in SQLite's busy handler (1, 2, 5, 10 ms… after successive losses), and a
# longer gap between one COMMIT and the next BEGIN is a wider window for such races: with 8
# processes, doing that work outside the lock gained no throughput and raised the p99 of
# submit-and-next tenfold (benchmarks/results/queue_findings.md).


def _claim_sqlite(db, actor, project_ref, holding, now) -> tuple[queue.ClaimedItem, SubmitGuard]:
    with _SqliteWrite(db) as conn:
        return _claim_in_sqlite_transaction(conn, actor, project_ref, holding, now)


def _claim_in_sqlite_transaction(conn, actor, project_ref, holding, now) -> tuple[queue.ClaimedItem, SubmitGuard]:
    """The common claim inside a transaction that holds the write lock, and what its submit will
    be worked out against. Raises _Fallback or NothingLeft having written nothing."""
    hot = SqliteHot(conn)
    ctx = hot.context(project_ref, actor.id, now, len(holding))
    if ctx is None or not ctx.takes_common_path:
        raise _Fallback
    lease_until = now + timedelta(seconds=ctx.lease_seconds)
    taken = hot.take(ctx, actor.id, actor.name, now, lease_until, count_down=ctx.gold_rate > 0)
    if taken is None:
        raise queue.nothing_left(ctx.project_name)
    return queue.fresh_claim(ctx, taken, now), SubmitGuard.of_claim(ctx, now)


def _store_common_sqlite(conn, actor, assignment_id, answer, active_seconds, now,
                         checked: _ClaimedUnder | None) -> queue.SubmitOutcome | None:
    """The common submit in the caller's write transaction; None (nothing written) when the full
    path must decide. An answer this process has not checked against the claim (it was claimed
    elsewhere, or through the session code) is checked against the database's configuration."""
    hot = SqliteHot(conn)
    if checked is None or checked.guard is None:
        return queue.submit_common_sqlite(hot, actor, assignment_id, answer, active_seconds, now)
    # Checked already: while the write lock is held, only the update and its audit event.
    status = hot.submit_checked(assignment_id, actor.id, actor.name, answer, active_seconds, now, checked.guard)
    return None if status is None else queue.SubmitOutcome(assignment_id, True, status)


def _submit_sqlite(db, actor, assignment_id, answer, active_seconds, now) -> queue.SubmitOutcome:
    checked = _checked_under_claim(db, assignment_id, answer)
    with _SqliteWrite(db) as conn:
        outcome = _store_common_sqlite(conn, actor, assignment_id, answer, active_seconds, now, checked)
        if outcome is None:
            raise _Fallback
    return outcome


def _submit_and_claim_sqlite(db, actor, assignment_id, answer, active_seconds, project_ref, holding, now):
    """(outcome, the next item, a QueueError, or None when the claim must run on its own, and what
    the next item's submit is worked out against)."""
    checked = _checked_under_claim(db, assignment_id, answer)
    guard = None
    with _SqliteWrite(db) as conn:
        outcome = _store_common_sqlite(conn, actor, assignment_id, answer, active_seconds, now, checked)
        if outcome is None:
            raise _Fallback
        try:  # the submit is written; the claim writes nothing when it raises
            following, guard = _claim_in_sqlite_transaction(conn, actor, project_ref, holding, now)
        except _Fallback:
            following = None
        except QueueError as exc:
            following = exc
    return outcome, following, guard
