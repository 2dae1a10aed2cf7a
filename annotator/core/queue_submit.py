"""Handing in an answer, and what every step of the queue shares: whose assignment it is, a
slot taken back, the time as raw SQL stores it. queue.py (claims, drafts, give-backs) builds on
this; callers use both as `queue.X`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from annotator import queue_rules as rules
from annotator.core import audit, queue_pg
from annotator.core.auth import Actor
from annotator.core.queue_items import SubmitOutcome
from annotator.core.queue_sql import SUPERSEDE_CONFLICTS, SqliteHot, hot_path
from annotator.db.base import utcnow
from annotator.db.models import Assignment, Conflict, GoldAnswer, Item, Project
from annotator.errors import AssignmentClosed, NotYourAssignment
from annotator.tasks import registry


def is_pg(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def db_time(session: Session, when: datetime):
    """Raw SQL gets the same representation the UTCDateTime column stores."""
    return when.replace(tzinfo=None) if session.get_bind().dialect.name == "sqlite" else when


def retake_slot(session: Session, item_id: int) -> bool:
    """Take back one slot of an item for an assignment that lost it; False if none is free."""
    item = session.scalars(select(Item).where(Item.id == item_id).with_for_update()).one()
    if item.is_gold:
        return True
    if item.open_slots <= 0:
        return False
    item.open_slots -= 1
    return True


def own_assignment(session: Session, actor: Actor, assignment_id: int, *, lock: bool = True) -> Assignment:
    query = select(Assignment).where(Assignment.id == assignment_id)
    assignment = session.scalars(query.with_for_update() if lock else query).one_or_none()
    if assignment is None or assignment.user_id != actor.id:
        raise NotYourAssignment(f"Assignment {assignment_id} is not yours.")
    return assignment



# ---- submit ---------------------------------------------------------------------------------


def submit(
    session: Session,
    actor: Actor,
    assignment_id: int,
    answer: dict[str, Any],
    active_seconds: float,
    *,
    now: datetime | None = None,
) -> SubmitOutcome:
    """Check the answer with the kind and store it. After a lost lease whose slot someone else
    now holds, the answer is kept as a Conflict for a lead: never thrown away."""
    if is_pg(session):
        return submit_on_server(queue_pg.driver(session), assignment_id, answer, active_seconds, now=now)
    now = now or utcnow()
    hot = hot_path(session)
    outcome = submit_common_sqlite(hot, actor, assignment_id, answer, active_seconds, now)
    return outcome or submit_in_full(session, actor, assignment_id, answer, active_seconds, now)


def submit_on_server(conn, assignment_id: int, answer: dict[str, Any], active_seconds: float, *,
                     now: datetime | None = None) -> SubmitOutcome:
    """PostgreSQL, inside the caller's transaction: the server stores the answer, and the answer is
    checked here against the kind and configuration it returns; a wrong one raises, and the
    caller's transaction rolls it back."""
    done = queue_pg.submit(conn, assignment_id, answer, active_seconds, now=now)
    registry.get(done.kind).validate_answer(done.config, answer)
    return outcome_of(done, answer)


def outcome_of(done: queue_pg.Submitted, answer: dict[str, Any]) -> SubmitOutcome:
    """The server's reply as the client's outcome. In training mode a gold item's correct answer
    comes back, and the score shown is worked out here (the one on record is a lead's, ADR 9)."""
    score = None
    if done.correct_answer is not None:
        score = float(registry.get(done.kind).score(done.config, answer, done.correct_answer))
    return SubmitOutcome(done.assignment_id, done.accepted, done.status, done.conflict_id, done.message,
                         correct_answer=done.correct_answer, score=score)


def submit_common_sqlite(hot: SqliteHot, actor: Actor, assignment_id: int, answer: dict[str, Any], active_seconds: float,
                         now: datetime) -> SubmitOutcome | None:
    """SQLite, inside the caller's write transaction: check the answer and, for the common case
    (queue_rules.LIVE_ORDINARY_CLAIM), store it. None when the slow path must decide."""
    found = hot.submit_kind(assignment_id)
    if found is None or found[0] != actor.id:
        raise NotYourAssignment(f"Assignment {assignment_id} is not yours.")
    _, common, config, guard = found
    registry.get(guard.kind).validate_answer(config, answer)
    if not common:
        return None
    status = hot.submit_checked(assignment_id, actor.id, actor.name, answer, active_seconds, now, guard)
    return None if status is None else SubmitOutcome(assignment_id, True, status)


def record_conflict(
    session: Session, actor: Actor, assignment: Assignment, answer: dict[str, Any], seconds: float, reason: str
) -> Conflict:
    """Keep an answer that cannot be applied, for a lead to resolve: it is never dropped."""
    conflict = Conflict(
        assignment_uid=assignment.uid, item_id=assignment.item_id, user_id=assignment.user_id,
        project_id=assignment.project_id, answer=answer, active_seconds=seconds, reason=reason,
    )
    session.add(conflict)
    session.flush()
    assignment.draft = answer  # the user's own copy stays with them too
    audit.record(session, actor, "assignment.conflict", "assignment", assignment.id, conflict_id=conflict.id, reason=reason)
    return conflict


def submit_in_full(
    session: Session, actor: Actor, assignment_id: int, answer: dict[str, Any], active_seconds: float, now: datetime,
    *, locked: Assignment | None = None,
) -> SubmitOutcome:
    """Everything but a live claim of an ordinary item: retries, late submits and gold.
    `locked` is the assignment when the caller has already locked it and checked it is the actor's."""
    assignment = locked if locked is not None and locked.id == assignment_id else own_assignment(session, actor, assignment_id)
    project = session.get(Project, assignment.project_id)
    kind = registry.get(project.kind)
    seconds = rules.clamp_seconds(active_seconds, assignment.claimed_at, now)

    if assignment.skipped:
        raise AssignmentClosed("You skipped this item; its answer is not accepted any more.")
    if assignment.status in ("submitted", "approved", "rejected"):
        if assignment.answer == answer:  # a retried submit (lost reply): already done
            return SubmitOutcome(assignment.id, True, assignment.status, message="Already submitted.")
        raise AssignmentClosed(f"This item was already {assignment.status}; a second, different answer is not accepted.")
    if assignment.status in ("expired", "released") and not retake_slot(session, assignment.item_id):
        conflict = record_conflict(
            session, actor, assignment, answer, seconds,
            f"lease lost: the assignment was {assignment.status} and the item's slots are all taken",
        )
        return SubmitOutcome(
            assignment.id, False, "conflict", conflict.id,
            "Your time on this item ran out and someone else took it. Your answer was kept for a lead to review.",
        )

    assignment.answer = answer
    assignment.draft = None
    assignment.active_seconds = seconds
    assignment.submitted_at = now
    assignment.lease_until = min(assignment.lease_until, now)
    outcome_answer, score = None, None
    item = session.get(Item, assignment.item_id)
    if item.is_gold:
        gold = session.scalar(select(GoldAnswer.answer).where(GoldAnswer.item_id == item.id))
        score = assignment.gold_score = float(kind.score(project.config, answer, gold))
        assignment.is_gold = True
        if project.training_mode:
            outcome_answer = gold
    assignment.status, assignment.needs_review = rules.status_for(project.review_policy, project.review_sample)
    if assignment.status == "approved":
        assignment.reviewed_at = now
    session.flush()
    session.execute(text(SUPERSEDE_CONFLICTS), {"now": db_time(session, now), "id": assignment.id})
    audit.record(session, actor, "assignment.submit", "assignment", assignment.id,
                 item_id=assignment.item_id, active_seconds=seconds, status=assignment.status)
    if item.is_gold:
        from annotator.core.quality import after_gold_scored

        after_gold_scored(session, project, actor, now)
    return SubmitOutcome(
        assignment.id, True, assignment.status, correct_answer=outcome_answer,
        score=score if project.training_mode else None,
    )
