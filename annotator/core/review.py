"""Review: the lead's queue of submitted work and the decisions on it (approve, reject, fix),
auto-approval after the project's delay, and an annotator's view of their own rejections."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Sequence

from sqlalchemy import func, select, tuple_
from sqlalchemy.orm import Session

from annotator.core import audit
from annotator.core.auth import Actor, require
from annotator.db.base import utcnow
from annotator.db.models import Assignment, Item, Project, Review, User
from annotator.errors import AnnotatorError, AssignmentClosed, NotFound
from annotator.tasks import registry

SORTS = ("submitted_at", "gold_score")


@dataclass(frozen=True)
class ReviewRow:
    assignment_id: int
    project: str
    kind: str
    item_id: int
    external_id: str
    annotator: str
    status: str
    needs_review: bool
    submitted_at: datetime | None
    active_seconds: float
    gold_score: float | None
    answer: dict[str, Any] | None


@dataclass(frozen=True)
class ReviewPage:
    rows: list[ReviewRow]
    # Pass back as `after` for the next page (keyset paging: no OFFSET, so page 1,000 costs
    # what page 1 does); None when this was the last page.
    next_cursor: tuple | None


def review_queue(
    session: Session,
    actor: Actor,
    *,
    project: str | int | None = None,
    annotator: str | None = None,
    statuses: Sequence[str] = ("submitted",),
    since: datetime | None = None,
    until: datetime | None = None,
    min_gold_score: float | None = None,
    max_gold_score: float | None = None,
    needs_review_only: bool = False,
    sort: str = "submitted_at",
    descending: bool = False,
    after: tuple | None = None,
    offset: int | None = None,
    limit: int = 100,
) -> ReviewPage:
    """A page of submitted work, in order. Sequential pages use the keyset cursor (`after`);
    a jump (the scrollbar dragged to row 50,000) asks for an `offset`."""
    require(actor, "lead", "review work")
    if sort not in SORTS:
        raise AnnotatorError(f"Sort by {' or '.join(SORTS)}, not {sort!r}.")
    key = Assignment.submitted_at if sort == "submitted_at" else func.coalesce(Assignment.gold_score, -1.0)
    # Two steps: the page's ids from assignments alone (an index walk, even 50,000 rows in),
    # then the joined details of just those rows.
    query = _filtered(session, select(Assignment.id), project=project, annotator=annotator, statuses=statuses,
                      since=since, until=until, min_gold_score=min_gold_score, max_gold_score=max_gold_score,
                      needs_review_only=needs_review_only)
    if after is not None:
        value, last_id = after
        cmp = tuple_(key, Assignment.id)
        query = query.where(cmp < tuple_(value, last_id) if descending else cmp > tuple_(value, last_id))
    order = (key.desc(), Assignment.id.desc()) if descending else (key, Assignment.id)
    query = query.order_by(*order).limit(limit + 1)
    if offset:
        query = query.offset(offset)
    ids = session.scalars(query).all()
    details = {
        row[0]: ReviewRow(*row)
        for row in session.execute(
            select(Assignment.id, Project.name, Project.kind, Assignment.item_id, Item.external_id, User.name,
                   Assignment.status, Assignment.needs_review, Assignment.submitted_at, Assignment.active_seconds,
                   Assignment.gold_score, Assignment.answer)
            .join(Item, Item.id == Assignment.item_id)
            .join(User, User.id == Assignment.user_id)
            .join(Project, Project.id == Assignment.project_id)
            .where(Assignment.id.in_(ids))
        )
    }
    rows = [details[i] for i in ids if i in details]
    cursor = None
    if len(rows) > limit:
        last = rows[limit - 1]
        cursor = (last.submitted_at if sort == "submitted_at" else (last.gold_score if last.gold_score is not None else -1.0),
                  last.assignment_id)
    return ReviewPage(rows[:limit], cursor)


def _filtered(session: Session, query, *, project: str | int | None = None, annotator: str | None = None,
              statuses: Sequence[str] = ("submitted",), since: datetime | None = None, until: datetime | None = None,
              min_gold_score: float | None = None, max_gold_score: float | None = None,
              needs_review_only: bool = False):
    """The review filters on a query of assignments, shared by the page and the count. Users
    are joined only to filter by name."""
    # Handed-in work always has a submit time; saying so lets the database use the review index.
    query = query.where(Assignment.status.in_(tuple(statuses)), Assignment.submitted_at.is_not(None))
    if project is not None:
        from annotator.core.projects import get_project

        query = query.where(Assignment.project_id == get_project(session, project).id)
    if annotator:
        query = query.join(User, User.id == Assignment.user_id).where(User.name == annotator)
    if since:
        query = query.where(Assignment.submitted_at >= since)
    if until:
        query = query.where(Assignment.submitted_at < until)
    if min_gold_score is not None:
        query = query.where(Assignment.gold_score >= min_gold_score)
    if max_gold_score is not None:
        query = query.where(Assignment.gold_score <= max_gold_score)
    if needs_review_only:
        query = query.where(Assignment.needs_review.is_(True))
    return query


def review_count(session: Session, actor: Actor, *, sort: str | None = None, descending: bool | None = None,
                 **filters: Any) -> int:
    """How many rows review_queue would give with these filters (the table's full height);
    the order (`sort`, `descending`) is accepted and does not matter."""
    require(actor, "lead", "review work")
    return session.scalar(_filtered(session, select(func.count()).select_from(Assignment), **filters)) or 0


def _assignment(session: Session, assignment_id: int) -> tuple[Assignment, Project]:
    a = session.scalars(select(Assignment).where(Assignment.id == assignment_id).with_for_update()).one_or_none()
    if a is None:
        raise NotFound(f"There is no assignment {assignment_id}.")
    return a, session.get(Project, a.project_id)


def decide(session: Session, actor: Actor, a: Assignment, project: Project, decision: str, comment: str,
            fixed: dict | None, now: datetime) -> None:
    session.add(Review(assignment_id=a.id, reviewer_id=actor.id, decision=decision, comment=comment,
                       fixed_answer=fixed, created_at=now))
    a.reviewed_at = now
    a.needs_review = False
    audit.record(session, actor, f"review.{decision}", "assignment", a.id, item_id=a.item_id, user_id=a.user_id,
                 comment=comment, status=a.status)
    from annotator.core.quality import after_review

    after_review(session, project, a.user_id, now)


def approve(session: Session, actor: Actor, assignment_id: int, comment: str = "", *, now: datetime | None = None) -> None:
    require(actor, "lead", "approve work")
    now = now or utcnow()
    a, project = _assignment(session, assignment_id)
    if a.status == "rejected":  # MTurk lets a requester approve a rejected assignment
        from annotator.core.queue import retake_slot

        if not retake_slot(session, a.item_id):
            raise AssignmentClosed("This rejection cannot be undone: the item's slot went to someone else.")
    elif a.status != "submitted":
        raise AssignmentClosed(f"Only submitted work can be approved; this is {a.status}.")
    a.status = "approved"
    decide(session, actor, a, project, "approve", comment, None, now)


def reject(session: Session, actor: Actor, assignment_id: int, comment: str, *, now: datetime | None = None) -> None:
    """Reject with a reason the annotator will read; the slot reopens for someone else."""
    require(actor, "lead", "reject work")
    if not comment or not comment.strip():
        raise AnnotatorError("A rejection needs a comment: tell the annotator what was wrong.")
    now = now or utcnow()
    a, project = _assignment(session, assignment_id)
    if a.status not in ("submitted", "approved"):
        raise AssignmentClosed(f"Only submitted or approved work can be rejected; this is {a.status}.")
    a.status = "rejected"
    from annotator.core.queue import give_back_slots

    give_back_slots(session, [a.item_id])
    decide(session, actor, a, project, "reject", comment.strip(), None, now)


def fix(session: Session, actor: Actor, assignment_id: int, fixed_answer: dict[str, Any], comment: str = "",
        *, now: datetime | None = None) -> None:
    """Store the lead's corrected answer beside the original; it becomes the accepted answer."""
    require(actor, "lead", "fix answers")
    now = now or utcnow()
    a, project = _assignment(session, assignment_id)
    if a.status not in ("submitted", "approved"):
        raise AssignmentClosed(f"Only submitted or approved work can be fixed; this is {a.status}.")
    registry.get(project.kind).validate_answer(project.config, fixed_answer)
    a.status = "approved"
    decide(session, actor, a, project, "fix", comment, fixed_answer, now)


def bulk_approve(session: Session, actor: Actor, assignment_ids: Sequence[int], *, now: datetime | None = None) -> int:
    require(actor, "lead", "approve work")
    now = now or utcnow()
    done = 0
    for assignment_id in sorted(set(assignment_ids)):
        a, project = _assignment(session, assignment_id)
        if a.status == "submitted":
            a.status = "approved"
            decide(session, actor, a, project, "approve", "", None, now)
            done += 1
    return done


def fixed_answers(session: Session, project_id: int) -> dict[int, dict[str, Any]]:
    """assignment id → the lead's latest fix, for every fixed assignment of a project."""
    return dict(
        session.execute(
            select(Review.assignment_id, Review.fixed_answer)
            .join(Assignment, Assignment.id == Review.assignment_id)
            .where(Assignment.project_id == project_id, Review.decision == "fix")
            .order_by(Review.id)  # later fixes overwrite earlier ones in the dict
        ).all()
    )


def accepted_answer(session: Session, assignment: Assignment) -> dict[str, Any] | None:
    """The lead's latest fix if there is one, else the annotator's answer."""
    fixed = session.scalar(
        select(Review.fixed_answer)
        .where(Review.assignment_id == assignment.id, Review.decision == "fix")
        .order_by(Review.id.desc())
        .limit(1)
    )
    return fixed if fixed is not None else assignment.answer


def auto_approve(session: Session, actor: Actor, *, project: str | int | None = None, now: datetime | None = None) -> int:
    """Approve submitted work older than its project's auto-approve delay, as MTurk's
    AutoApprovalDelay does. Runs lazily (when a lead opens the review queue or stats) and by
    `annotator review auto-approve`."""
    now = now or utcnow()
    projects = select(Project)
    if project is not None:
        from annotator.core.projects import get_project

        projects = projects.where(Project.id == get_project(session, project).id)
    count = 0
    for p in session.scalars(projects).all():
        # Per project, so the cut-off is a plain comparison the (project, status, submitted_at)
        # index answers: only work that is due is ever loaded.
        cutoff = now - timedelta(seconds=p.auto_approve_seconds)
        due = session.scalars(
            select(Assignment)
            .where(Assignment.project_id == p.id, Assignment.status == "submitted", Assignment.submitted_at <= cutoff)
            .with_for_update()
        ).all()
        for a in due:
            a.status = "approved"
            a.reviewed_at = now
            a.needs_review = False
            session.add(Review(assignment_id=a.id, reviewer_id=None, decision="approve",
                               comment="approved automatically after the project's delay", created_at=now))
            audit.record(session, actor, "review.auto_approve", "assignment", a.id, item_id=a.item_id, user_id=a.user_id)
        if due:
            from annotator.core.quality import after_review

            for user_id in {a.user_id for a in due}:
                after_review(session, p, user_id, now)
        count += len(due)
    return count


@dataclass(frozen=True)
class Rejection:
    assignment_id: int
    project: str
    external_id: str
    comment: str
    reviewer: str | None
    at: datetime


def my_rejections(session: Session, actor: Actor, *, since: datetime | None = None) -> list[Rejection]:
    """What a user sees of their own rejected work, with the lead's comments."""
    reviewer = User.__table__.alias("reviewer")
    query = (
        select(Review, Assignment.id, Project.name, Item.external_id, reviewer.c.name)
        .join(Assignment, Assignment.id == Review.assignment_id)
        .join(Project, Project.id == Assignment.project_id)
        .join(Item, Item.id == Assignment.item_id)
        .outerjoin(reviewer, reviewer.c.id == Review.reviewer_id)
        .where(Assignment.user_id == actor.id, Review.decision == "reject")
        .order_by(Review.created_at.desc())
    )
    if since is not None:
        query = query.where(Review.created_at > since)
    return [Rejection(aid, pname, ext, r.comment, rname, r.created_at) for r, aid, pname, ext, rname in session.execute(query)]


@dataclass(frozen=True)
class ReviewDetail:
    """Everything a lead needs to judge one submission."""

    assignment_id: int
    project: str
    kind: str
    config: dict[str, Any]
    media_root: str | None
    pixel_limit: int
    external_id: str
    payload: dict[str, Any]
    annotator: str
    status: str
    answer: dict[str, Any] | None
    active_seconds: float
    gold_score: float | None
    gold_answer: dict[str, Any] | None
    prediction: dict[str, Any] | None
    confidence: float | None
    others: list[tuple[str, dict[str, Any]]]  # other annotators' answers on the same item
    annotator_gold_accuracy: float | None
    annotator_approval_rate: float | None
    history: list[tuple[str, str, str]]  # (decision, reviewer, comment), oldest first
    media_error: str = ""  # see queue_items.ClaimedItem.media_error


def review_detail(session: Session, actor: Actor, assignment_id: int) -> ReviewDetail:
    require(actor, "lead", "review work")
    from annotator.core.quality import approval_rates, gold_accuracy
    from annotator.db.models import GoldAnswer

    a = session.get(Assignment, assignment_id)
    if a is None:
        raise NotFound(f"There is no assignment {assignment_id}.")
    item = session.get(Item, a.item_id)
    project = session.get(Project, a.project_id)
    user = session.get(User, a.user_id)
    others = session.execute(
        select(User.name, Assignment.answer)
        .join(User, User.id == Assignment.user_id)
        .where(Assignment.item_id == a.item_id, Assignment.id != a.id,
               Assignment.status.in_(("submitted", "approved")), Assignment.answer.is_not(None))
        .order_by(Assignment.id)
    ).all()
    reviewer = User.__table__.alias("reviewer")
    history = session.execute(
        select(Review.decision, reviewer.c.name, Review.comment)
        .outerjoin(reviewer, reviewer.c.id == Review.reviewer_id)
        .where(Review.assignment_id == a.id)
        .order_by(Review.id)
    ).all()
    return ReviewDetail(
        a.id, project.name, project.kind, project.config, project.media_root, project.pixel_limit, item.external_id,
        item.payload, user.name, a.status, accepted_answer(session, a), a.active_seconds, a.gold_score,
        session.scalar(select(GoldAnswer.answer).where(GoldAnswer.item_id == item.id)) if item.is_gold else None,
        item.prediction, None if item.confidence < 0 else item.confidence,
        [(name, ans) for name, ans in others],
        gold_accuracy(session, user.id, project.id).recent, approval_rates(session, user.id, project.id).lifetime,
        [(d, r or "system", c) for d, r, c in history],
    )
