"""Counts for leads: where a project's queue stands."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from annotator.core.auth import Actor, require
from annotator.core.media_faults import FaultRow, open_faults
from annotator.core.projects import get_project
from annotator.db.base import utcnow
from annotator.db.models import Assignment, Item, User

DONE = ("submitted", "approved", "rejected")  # statuses of work that was handed in

ACTIVE_WINDOW = timedelta(minutes=15)


@dataclass(frozen=True)
class QueueStatus:
    project: str
    items: int
    gold_items: int
    open_items: int  # items that still have a slot for someone
    done_by_model: int
    claimed: int  # live claims
    submitted: int  # waiting for review or auto-approval
    approved: int
    rejected: int
    expired: int
    conflicts: int
    active_annotators: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # what the lead or an administrator should fix
    media_faults: list[FaultRow] = field(default_factory=list)  # items whose store object is missing or changed


def queue_status(session: Session, actor: Actor, project_ref: str | int, *, now: datetime | None = None) -> QueueStatus:
    require(actor, "lead", "see queue status")
    now = now or utcnow()
    project = get_project(session, project_ref)
    item_counts = session.execute(
        select(
            func.count(),
            func.count().filter(Item.is_gold),
            func.count().filter(Item.open_slots > 0),
            func.count().filter(Item.done_by_model),
        ).where(Item.project_id == project.id)
    ).one()
    by_status = dict(
        session.execute(
            select(Assignment.status, func.count()).where(Assignment.project_id == project.id).group_by(Assignment.status)
        ).all()
    )
    from annotator.db.models import Conflict

    conflicts = session.scalar(
        select(func.count()).select_from(Conflict).where(Conflict.project_id == project.id, Conflict.resolved_at.is_(None))
    )
    active = session.scalars(
        select(User.name)
        .join(Assignment, Assignment.user_id == User.id)
        .where(
            Assignment.project_id == project.id,
            ((Assignment.status == "claimed") & (Assignment.lease_until >= now))
            | (Assignment.submitted_at >= now - ACTIVE_WINDOW),
        )
        .distinct()
        .order_by(User.name)
    ).all()
    return QueueStatus(
        project=project.name,
        items=item_counts[0],
        gold_items=item_counts[1],
        open_items=item_counts[2],
        done_by_model=item_counts[3],
        claimed=by_status.get("claimed", 0),
        submitted=by_status.get("submitted", 0),
        approved=by_status.get("approved", 0),
        rejected=by_status.get("rejected", 0),
        expired=by_status.get("expired", 0),
        conflicts=conflicts or 0,
        active_annotators=list(active),
        warnings=_vacuum_warnings(session),
        media_faults=open_faults(session, project.id),
    )


def _vacuum_warnings(session: Session) -> list[str]:
    """PostgreSQL only removes the claim index's entries for claimed items when it vacuums (ADR 4);
    with autovacuum off, for the server or for the queue's tables, every claim reads past all the
    items claimed since someone last ran VACUUM, and slows down hour by hour."""
    if session.get_bind().dialect.name != "postgresql":
        return []
    off = session.execute(text(
        "SELECT c.relname FROM pg_class c WHERE c.oid IN ('items'::regclass, 'assignments'::regclass)"
        " AND (current_setting('autovacuum') = 'off' OR 'autovacuum_enabled=false' = ANY (c.reloptions))"
        " ORDER BY c.relname")).scalars().all()
    if not off:
        return []
    dead = session.execute(text("SELECT n_dead_tup FROM pg_stat_user_tables WHERE relid = 'items'::regclass")).scalar()
    return [f"Autovacuum is off for {' and '.join(off)}: each claim reads past every item claimed since the last "
            f"VACUUM ({dead or 0:,} dead item rows now), so claims slow down as work goes on. Turn autovacuum on, "
            "or have VACUUM run on items and assignments every few minutes."]


@dataclass(frozen=True)
class AnnotatorStats:
    user: str
    done: int  # submitted, approved or rejected
    active_hours: float
    items_per_hour: float | None
    gold_accuracy: float | None  # last 20 gold items
    gold_accuracy_lifetime: float | None
    approval_lifetime: float | None
    approval_30_days: float | None
    approval_7_days: float | None
    agreement_with_consensus: float | None
    state: str


@dataclass(frozen=True)
class ProjectStats:
    project: str
    items: int
    finished_items: int  # items with all their answers (or done by the model)
    progress: float
    per_day: list[tuple[str, int]]
    annotators: list[AnnotatorStats]


def project_stats(session: Session, actor: Actor, project_ref: str | int, *, now: datetime | None = None) -> ProjectStats:
    """Per annotator: work done, active hours, speed, quality. Per project: progress and daily throughput."""
    require(actor, "lead", "see statistics")
    from annotator.core.quality import approval_rates, gold_accuracy
    from annotator.db.models import Consensus, Membership
    from annotator.tasks import registry

    now = now or utcnow()
    project = get_project(session, project_ref)
    kind = registry.get(project.kind)
    answered = (
        select(func.count()).where(Assignment.item_id == Item.id, Assignment.status.in_(("submitted", "approved")))
        .correlate(Item).scalar_subquery()
    )
    items, finished = session.execute(
        select(func.count(), func.count().filter(Item.done_by_model | (answered >= project.overlap)))
        .where(Item.project_id == project.id, Item.is_gold.is_(False))
    ).one()
    done_status = ("submitted", "approved", "rejected")
    submitted = session.execute(
        select(Assignment.submitted_at).where(Assignment.project_id == project.id, Assignment.status.in_(done_status))
    ).scalars().all()
    per_day: dict[str, int] = {}
    for when in submitted:
        if when is not None:
            day = when.date().isoformat()
            per_day[day] = per_day.get(day, 0) + 1
    consensus = dict(session.execute(
        select(Consensus.item_id, Consensus.answer)
        .join(Item, Item.id == Consensus.item_id)
        .where(Item.project_id == project.id)
        .order_by(Consensus.computed_at)
    ).all())
    rows = session.execute(
        select(User.id, User.name, func.count(), func.sum(Assignment.active_seconds))
        .join(Assignment, Assignment.user_id == User.id)
        .where(Assignment.project_id == project.id, Assignment.status.in_(done_status))
        .group_by(User.id, User.name)
        .order_by(User.name)
    ).all()
    states = dict(session.execute(
        select(Membership.user_id, Membership.state).where(Membership.project_id == project.id)
    ).all())
    annotators = []
    for user_id, name, done, seconds in rows:
        hours = (seconds or 0.0) / 3600
        gold = gold_accuracy(session, user_id, project.id)
        rates = approval_rates(session, user_id, project.id, now=now)
        answers = session.execute(
            select(Assignment.item_id, Assignment.answer).where(
                Assignment.user_id == user_id, Assignment.project_id == project.id, Assignment.status.in_(done_status)
            )
        ).all()
        scores = [kind.score(project.config, a, consensus[i]) for i, a in answers if i in consensus and a]
        annotators.append(AnnotatorStats(
            name, done, round(hours, 3), round(done / hours, 1) if hours > 0 else None, gold.recent, gold.lifetime,
            rates.lifetime, rates.last_30_days, rates.last_7_days,
            sum(scores) / len(scores) if scores else None, states.get(user_id, "active"),
        ))
    return ProjectStats(project.name, items, finished, finished / items if items else 0.0, sorted(per_day.items()), annotators)


@dataclass(frozen=True)
class Dashboard:
    project: str
    per_day: list[tuple[str, int]]  # answers submitted per day
    # (day, open, claimed, submitted, approved) answer slots at the end of each day with activity
    burn_down: list[tuple[str, int, int, int, int]]
    agreement_per_label: dict[str, float | None]
    annotators: list[AnnotatorStats]
    media_faults: list[FaultRow] = field(default_factory=list)


def dashboard(session: Session, actor: Actor, project_ref: str | int, *, now: datetime | None = None) -> Dashboard:
    """What a lead's dashboard draws, in one call: throughput, burn-down, agreement, people.
    Grouped counts and the members' cached accuracy and approval rate, so a refresh costs the
    same at a million items as at a thousand (the full per-person figures are `project_stats`)."""
    require(actor, "lead", "see statistics")
    project = get_project(session, project_ref)
    return _dashboard_counts(session, project, _label_agreement(session, actor, project))


def dashboard_concurrently(db, actor: Actor, project_ref: str | int) -> Dashboard:
    """The same, with the agreement computed on a second connection while the counts run on
    the first: the two are independent reads, and the database server has cores to spare."""
    from concurrent.futures import ThreadPoolExecutor

    require(actor, "lead", "see statistics")
    with db.read() as session:
        project = get_project(session, project_ref)
        session.expunge(project)

    def agreement() -> dict[str, float | None]:
        with db.read() as other:
            return _label_agreement(other, actor, project)

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="dashboard") as pool:
        per_label = pool.submit(agreement)
        with db.read() as session:
            partial = _dashboard_counts(session, project, {})
        return Dashboard(partial.project, partial.per_day, partial.burn_down, per_label.result(), partial.annotators,
                         partial.media_faults)


def _label_agreement(session: Session, actor: Actor, project) -> dict[str, float | None]:
    from annotator.core.agreement import category_alpha, project_agreement

    sql_alpha = category_alpha(session, project)
    return sql_alpha[1] if sql_alpha is not None else project_agreement(session, actor, project.id).per_label


def _dashboard_counts(session: Session, project, per_label: dict[str, float | None]) -> Dashboard:
    from annotator.db.models import Membership

    needed = session.scalar(
        select(func.count()).select_from(Item)
        .where(Item.project_id == project.id, Item.is_gold.is_(False), Item.done_by_model.is_(False))
    ) * project.overlap
    done = Assignment.status.in_(DONE)
    submitted = _per_day(session, Assignment.submitted_at, Assignment.project_id == project.id, done)
    people = []
    for name, count, seconds, gold, approval, state in session.execute(
        select(User.name, func.count(), func.sum(Assignment.active_seconds), Membership.gold_accuracy,
               Membership.approval_rate, Membership.state)
        .join(Assignment, Assignment.user_id == User.id)
        .outerjoin(Membership, (Membership.user_id == User.id) & (Membership.project_id == project.id))
        .where(Assignment.project_id == project.id, done)
        .group_by(User.name, Membership.gold_accuracy, Membership.approval_rate, Membership.state)
        .order_by(User.name)
    ):
        hours = (seconds or 0.0) / 3600
        people.append(AnnotatorStats(name, count, round(hours, 3), round(count / hours, 1) if hours > 0 else None, gold,
                                     None, approval, None, None, None, state or "active"))
    return Dashboard(project.name, sorted(submitted.items()), burn_down(session, project.id, needed, submitted), per_label,
                     people, open_faults(session, project.id))


def _per_day(session: Session, column, *where) -> dict[str, int]:
    day = func.date(column)
    return {str(d): n for d, n in session.execute(select(day, func.count()).where(column.is_not(None), *where).group_by(day))}


def burn_down(session: Session, project_id: int, needed: int,
              submitted: dict[str, int] | None = None) -> list[tuple[str, int, int, int, int]]:
    """The queue over time, in answer slots: open (nobody on it), claimed (being worked on),
    submitted (waiting for review) and approved, at the end of each day. Four grouped counts,
    whatever the project's size. Claims that expired or were released have no end time, so
    only the claims that led somewhere (or are live now) are counted. `submitted` is the
    answers per day, when the caller has them already."""
    mine = Assignment.project_id == project_id
    kept = Assignment.status.in_(("claimed", "submitted", "approved", "rejected"))
    claimed = _per_day(session, Assignment.claimed_at, mine, kept)
    if submitted is None:
        submitted = _per_day(session, Assignment.submitted_at, mine, Assignment.status.in_(DONE))
    approved = _per_day(session, Assignment.reviewed_at, mine, Assignment.status == "approved")
    rejected = _per_day(session, Assignment.reviewed_at, mine, Assignment.status == "rejected")
    out, c, sub, a, r = [], 0, 0, 0, 0
    for day in sorted(set(claimed) | set(submitted) | set(approved) | set(rejected)):
        c, sub = c + claimed.get(day, 0), sub + submitted.get(day, 0)
        a, r = a + approved.get(day, 0), r + rejected.get(day, 0)
        # A rejection reopens its slot; an approval can come the same day as the submission.
        out.append((day, max(0, needed - (c - r)), max(0, c - sub), max(0, sub - a - r), a))
    return out


@dataclass(frozen=True)
class AnnotatorHistory:
    user: str
    gold: list[tuple[datetime, float]]  # each scored gold item, oldest first
    approval: list[tuple[str, float]]  # (day, cumulative approval rate)
    items_per_hour: list[tuple[str, float]]  # (day, items per active hour that day)


def annotator_history(session: Session, actor: Actor, user_name: str, project_ref: str | int | None = None) -> AnnotatorHistory:
    """One annotator over time, for a lead: gold scores, approval rate, speed per day."""
    require(actor, "lead", "see annotators' histories")
    from annotator.core.users import get_user

    user = get_user(session, user_name)
    base = [Assignment.user_id == user.id]
    if project_ref is not None:
        base.append(Assignment.project_id == get_project(session, project_ref).id)
    gold = session.execute(
        select(Assignment.submitted_at, Assignment.gold_score).where(*base, Assignment.gold_score.is_not(None))
        .order_by(Assignment.submitted_at)
    ).all()
    decided = session.execute(
        select(Assignment.reviewed_at, Assignment.status)
        .where(*base, Assignment.status.in_(("approved", "rejected")), Assignment.reviewed_at.is_not(None))
        .order_by(Assignment.reviewed_at)
    ).all()
    approval, approved, total = [], 0, 0
    for when, status in decided:
        total += 1
        approved += status == "approved"
        day = when.date().isoformat()
        if approval and approval[-1][0] == day:
            approval[-1] = (day, approved / total)
        else:
            approval.append((day, approved / total))
    per_day: dict[str, list[float]] = {}
    for when, seconds in session.execute(
        select(Assignment.submitted_at, Assignment.active_seconds)
        .where(*base, Assignment.status.in_(("submitted", "approved", "rejected")))
    ):
        if when is not None:
            count_seconds = per_day.setdefault(when.date().isoformat(), [0, 0.0])
            count_seconds[0] += 1
            count_seconds[1] += seconds or 0.0
    speed = [(day, n / (s / 3600)) for day, (n, s) in sorted(per_day.items()) if s > 0]
    return AnnotatorHistory(user.name, [(w, g) for w, g in gold], approval, speed)
