"""Quality: gold accuracy, approval rates, qualification, and pausing users who fall below a
project's bar (and a lead reinstating them). Every pause and reinstatement is audited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from annotator.core import audit
from annotator.core.auth import Actor, require
from annotator.db.base import utcnow
from annotator.db.models import Assignment, Item, Membership, Project, User
from annotator.errors import AnnotatorError, NotFound

RECENT_GOLD = 20
SYSTEM = Actor(None, "system", "admin")


@dataclass(frozen=True)
class GoldAccuracy:
    recent: float | None  # mean score over the last RECENT_GOLD gold items
    lifetime: float | None
    scored: int


def gold_accuracy(session: Session, user_id: int, project_id: int, *, since: datetime | None = None) -> GoldAccuracy:
    query = (
        select(Assignment.gold_score)
        .where(Assignment.user_id == user_id, Assignment.project_id == project_id, Assignment.gold_score.is_not(None))
        .order_by(Assignment.submitted_at.desc(), Assignment.id.desc())
    )
    if since is not None:
        query = query.where(Assignment.submitted_at >= since)
    scores = session.scalars(query).all()
    if not scores:
        return GoldAccuracy(None, None, 0)
    recent = scores[:RECENT_GOLD]
    return GoldAccuracy(sum(recent) / len(recent), sum(scores) / len(scores), len(scores))


@dataclass(frozen=True)
class ApprovalRates:
    """Approved / (approved + rejected), as MTurk defines it; None when nothing was decided."""

    lifetime: float | None
    last_30_days: float | None
    last_7_days: float | None
    approved: int
    rejected: int


def approval_rates(session: Session, user_id: int, project_id: int | None = None, *, now: datetime | None = None) -> ApprovalRates:
    now = now or utcnow()
    when = func.coalesce(Assignment.reviewed_at, Assignment.submitted_at)

    def counts(since: datetime | None) -> tuple[int, int]:
        query = select(
            func.count().filter(Assignment.status == "approved"),
            func.count().filter(Assignment.status == "rejected"),
        ).where(Assignment.user_id == user_id)
        if project_id is not None:
            query = query.where(Assignment.project_id == project_id)
        if since is not None:
            query = query.where(when >= since)
        return tuple(session.execute(query).one())

    def rate(a: int, r: int) -> float | None:
        return a / (a + r) if a + r else None

    life = counts(None)
    d30 = counts(now - timedelta(days=30))
    d7 = counts(now - timedelta(days=7))
    return ApprovalRates(rate(*life), rate(*d30), rate(*d7), life[0], life[1])


def _membership(session: Session, user_id: int, project_id: int) -> Membership | None:
    return session.scalars(
        select(Membership).where(Membership.user_id == user_id, Membership.project_id == project_id)
    ).one_or_none()


def _pause(session: Session, membership: Membership, reason: str, now: datetime) -> None:
    membership.state = "paused"
    membership.since = now
    membership.reason = reason
    audit.record(session, SYSTEM, "membership.pause", "membership", membership.id,
                 user_id=membership.user_id, project_id=membership.project_id, reason=reason)


def after_gold_scored(session: Session, project: Project, actor: Actor, now: datetime) -> None:
    """Refresh the cached accuracy; pause the user when it falls below the project's minimum
    once enough gold items are scored since they joined or were last reinstated."""
    membership = _membership(session, actor.id, project.id)
    if membership is None:
        return
    membership.gold_accuracy = gold_accuracy(session, actor.id, project.id).recent
    minimum = project.min_gold_accuracy
    if minimum is None or membership.state != "active":
        return
    window = gold_accuracy(session, actor.id, project.id, since=membership.since)
    if window.scored >= project.min_scored_items and window.recent is not None and window.recent < minimum:
        _pause(session, membership,
               f"gold accuracy {window.recent:.0%} over the last {min(window.scored, RECENT_GOLD)} gold items "
               f"is below the project's minimum of {minimum:.0%}", now)


def after_review(session: Session, project: Project, user_id: int, now: datetime) -> None:
    membership = _membership(session, user_id, project.id)
    if membership is None:
        return
    rates = approval_rates(session, user_id, project.id, now=now)
    membership.approval_rate = rates.lifetime
    minimum = project.min_approval_rate
    decided = rates.approved + rates.rejected
    if (minimum is not None and membership.state == "active" and decided >= project.min_scored_items
            and rates.lifetime is not None and rates.lifetime < minimum):
        _pause(session, membership,
               f"approval rate {rates.lifetime:.0%} ({rates.approved}/{decided}) is below the project's minimum of {minimum:.0%}",
               now)


def reinstate(session: Session, actor: Actor, user_name: str, project_ref: str | int, *, now: datetime | None = None) -> None:
    """A lead lets a paused user work again. Gold accuracy is then judged on new work only."""
    require(actor, "lead", "reinstate users")
    from annotator.core.projects import get_project
    from annotator.core.users import get_user

    now = now or utcnow()
    project = get_project(session, project_ref)
    user = get_user(session, user_name)
    membership = _membership(session, user.id, project.id)
    if membership is None or membership.state != "paused":
        raise AnnotatorError(f"{user_name} is not paused on {project.name}.")
    previous = membership.reason
    membership.state, membership.reason, membership.since = "active", "", now
    audit.record(session, actor, "membership.reinstate", "membership", membership.id,
                 user_id=user.id, project_id=project.id, previous_reason=previous)


def pause(session: Session, actor: Actor, user_name: str, project_ref: str | int, reason: str, *, now: datetime | None = None) -> None:
    """A lead pauses a user by hand, with a reason the user will see."""
    require(actor, "lead", "pause users")
    from annotator.core.projects import get_project
    from annotator.core.users import get_user

    if not reason.strip():
        raise AnnotatorError("A pause needs a reason the annotator will see.")
    project = get_project(session, project_ref)
    user = get_user(session, user_name)
    membership = _membership(session, user.id, project.id)
    if membership is None:
        membership = Membership(user_id=user.id, project_id=project.id, state="active", reason="", since=now or utcnow())
        session.add(membership)
        session.flush()
    if membership.state == "paused":
        raise AnnotatorError(f"{user_name} is already paused on {project.name}: {membership.reason}")
    membership.state, membership.reason, membership.since = "paused", reason.strip(), now or utcnow()
    audit.record(session, actor, "membership.pause", "membership", membership.id,
                 user_id=user.id, project_id=project.id, reason=membership.reason)


@dataclass(frozen=True)
class PausedMember:
    user: str
    project: str
    reason: str
    since: datetime


def paused_members(session: Session, actor: Actor, project_ref: str | int | None = None) -> list[PausedMember]:
    require(actor, "lead", "see paused users")
    query = (
        select(User.name, Project.name, Membership.reason, Membership.since)
        .join(User, User.id == Membership.user_id)
        .join(Project, Project.id == Membership.project_id)
        .where(Membership.state == "paused")
        .order_by(Membership.since.desc())
    )
    if project_ref is not None:
        from annotator.core.projects import get_project

        query = query.where(Membership.project_id == get_project(session, project_ref).id)
    return [PausedMember(*row) for row in session.execute(query)]


def qualification_status(session: Session, user_id: int, project: Project) -> tuple[bool, str]:
    """Has the user passed the project's qualification project (training → exam)?"""
    qual = session.get(Project, project.qualification_project_id)
    if qual is None:
        raise NotFound(f"The qualification project of {project.name} no longer exists.")
    needed = project.qualification_min_accuracy or 0.0
    gold_items = session.scalar(select(func.count()).select_from(Item).where(Item.project_id == qual.id, Item.is_gold))
    required = max(1, min(qual.min_scored_items, gold_items or 1))
    accuracy = gold_accuracy(session, user_id, qual.id)
    if accuracy.scored < required:
        return False, (
            f"{project.name} requires passing {qual.name} first: answer at least {required} of its test items "
            f"(you have {accuracy.scored}) with {needed:.0%} accuracy."
        )
    if (accuracy.lifetime or 0.0) < needed:
        return False, f"{project.name} requires {needed:.0%} accuracy on {qual.name}; you have {accuracy.lifetime:.0%}."
    return True, ""


def score_pending_gold(session: Session, actor: Actor, project_ref: str | int | None = None, *,
                       now: datetime | None = None) -> int:
    """Score the gold answers handed in but not scored yet, and apply what follows (the cached
    accuracy, a pause below the project's minimum). On a team database the server stores gold
    answers unscored: scoring needs the task kind's code, and an annotator's login may not read
    gold (docs/adr/0009). A lead's login scores them: the review window, `annotator gold score`,
    or `annotator gold watch`, which does it as they come in. Returns how many were scored."""
    require(actor, "lead", "score gold answers")
    if session.get_bind().dialect.name == "sqlite":
        return 0  # a SQLite file scores each gold answer as it is handed in
    from sqlalchemy.orm import undefer

    from annotator.db.models import GoldAnswer

    now = now or utcnow()
    query = (
        select(Assignment, GoldAnswer.answer)
        .join(GoldAnswer, GoldAnswer.item_id == Assignment.item_id)
        .where(Assignment.is_gold, Assignment.gold_score.is_(None), Assignment.answer.is_not(None),
               Assignment.status.in_(("submitted", "approved", "rejected")))
        .options(undefer(Assignment.gold_score), undefer(Assignment.is_gold))
        .order_by(Assignment.submitted_at, Assignment.id)
        .with_for_update(of=Assignment, skip_locked=True)  # two scorers never score the same answer
    )
    if project_ref is not None:
        from annotator.core.projects import get_project

        query = query.where(Assignment.project_id == get_project(session, project_ref).id)
    projects: dict[int, Project] = {}
    scored: dict[tuple[int, int], None] = {}  # (user, project) pairs, in the order first scored
    rows = session.execute(query).all()
    if rows:  # the kinds' code (plugins found by entry point) only when there is gold to score
        from annotator.tasks import registry
    for assignment, gold in rows:
        project = projects.get(assignment.project_id) or session.get(Project, assignment.project_id)
        projects[project.id] = project
        assignment.gold_score = float(registry.get(project.kind).score(project.config, assignment.answer, gold))
        scored[(assignment.user_id, project.id)] = None
    session.flush()
    for user_id, project_id in scored:
        user = session.get(User, user_id)
        after_gold_scored(session, projects[project_id], Actor(user.id, user.name, user.role), now)
    return len(rows)
