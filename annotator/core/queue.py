"""The work queue: MTurk's accept → time limit → submit, on a shared database.

One user action is one transaction. The claim is the hot path, so its SQL is written out:
PostgreSQL takes the item row with FOR UPDATE SKIP LOCKED (claimers never wait on each
other), SQLite runs the whole claim under BEGIN IMMEDIATE (the engine's write lock). An item's
`open_slots` counts the answers it still needs: a claim takes one, an expiry, release, skip or
rejection gives it back, so live work never exceeds the overlap. Gold items hold no slots:
each user sees each gold item at most once.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from annotator import queue_rules as rules
from annotator.core import audit, queue_pg
from annotator.core.auth import Actor
from annotator.core.projects import get_project
from annotator.core.queue_epoch import items_reopened
from annotator.core.queue_items import ClaimedItem, SubmitOutcome  # noqa: F401  (the queue's types, used as queue.X)
from annotator.core.queue_submit import (  # noqa: F401  (the hand-in, used as queue.X)
    db_time, is_pg, outcome_of, own_assignment, record_conflict, retake_slot, submit, submit_common_sqlite,
    submit_in_full, submit_on_server,
)
from annotator.core.queue_sql import ClaimContext, Taken, hot_path
from annotator.db.base import utcnow
from annotator.db.models import Assignment, Item, Membership, Project
from annotator.errors import (
    AnnotatorError,
    AssignmentClosed,
    NothingLeft,
    NotQualified,
    UserPaused,
)

# ---- claim ------------------------------------------------------------------------------------

_RESUMABLE = text(
    f"SELECT o.id FROM assignments o JOIN items oi ON oi.id = o.item_id"
    f" WHERE o.user_id = :user AND o.project_id = :project AND {rules.RESUMABLE} ORDER BY {rules.RESUME_ORDER}"
)


def free_expired_leases(session: Session, project_id: int, now: datetime) -> int:
    """Expire claims whose lease ran out and give their slots back. Drafts stay on the
    assignment, so the same user gets them back if they return to the item."""
    lock = " FOR UPDATE SKIP LOCKED" if is_pg(session) else ""
    expired = session.execute(
        text(
            "SELECT id, item_id FROM assignments WHERE project_id = :p AND status = 'claimed' "
            f"AND lease_until < :now ORDER BY id{lock}"
        ),
        {"p": project_id, "now": db_time(session, now)},
    ).all()
    if not expired:
        return 0
    ids = [row[0] for row in expired]
    session.execute(update(Assignment).where(Assignment.id.in_(ids)).values(status="expired"))
    give_back_slots(session, [row[1] for row in expired])
    return len(ids)


def free_claims(session: Session, assignment_ids: list[int]) -> int:
    """Expire these live claims now (a lead's revocation) and give their slots back; drafts stay."""
    rows = session.execute(
        select(Assignment.id, Assignment.item_id).where(Assignment.id.in_(assignment_ids), Assignment.status == "claimed")
    ).all()
    if not rows:
        return 0
    session.execute(update(Assignment).where(Assignment.id.in_([r[0] for r in rows])).values(status="expired"))
    give_back_slots(session, [r[1] for r in rows])
    return len(rows)


def give_back_slots(session: Session, item_ids: list[int]) -> None:
    items_reopened(session, item_ids)  # the slot may be ahead of where claims now start
    for item_id in sorted(item_ids):  # a fixed order, so two transactions never deadlock here
        session.execute(
            update(Item).where(Item.id == item_id, Item.is_gold.is_(False)).values(open_slots=Item.open_slots + 1)
        )


def _membership(session: Session, user_id: int, project_id: int, now: datetime) -> Membership:
    ins = pg_insert(Membership) if is_pg(session) else sqlite_insert(Membership)
    session.execute(
        ins.values(user_id=user_id, project_id=project_id, state="active", reason="", since=now, gold_countdown=0)
        .on_conflict_do_nothing(index_elements=["user_id", "project_id"])
    )
    query = select(Membership).where(Membership.user_id == user_id, Membership.project_id == project_id)
    return session.scalars(query.with_for_update() if is_pg(session) else query).one()


def _check_qualification(session: Session, actor: Actor, project: Project) -> None:
    if not project.qualification_project_id:
        return
    from annotator.core.quality import qualification_status

    ok, message = qualification_status(session, actor.id, project)
    if not ok:
        raise NotQualified(message)


def claim_next(
    session: Session,
    actor: Actor,
    project_ref: str | int,
    *,
    holding: tuple[int, ...] = (),
    now: datetime | None = None,
) -> ClaimedItem:
    """Give this user the next item of the project.

    `holding` lists assignment ids the client already has open (the current item, when it
    claims the next one ahead), which are not handed back as a resumption."""
    if actor.id is None:
        raise AnnotatorError("Only a logged-in user can claim work.")
    if is_pg(session):  # the server's queue_claim, for the connection's own login
        return queue_pg.claim(queue_pg.driver(session), project_ref, holding=holding, now=now)[0]
    now = now or utcnow()
    hot = hot_path(session)
    ctx = hot.context(project_ref, actor.id, now, len(holding))
    if ctx is None:
        get_project(session, project_ref)  # raises the NotFound with its message
    if ctx.membership_state is None:  # first claim on this project
        _membership(session, actor.id, ctx.project_id, now)
        ctx = hot.context(ctx.project_id, actor.id, now, len(holding))
    if ctx.membership_state == "paused":
        raise UserPaused(
            f"You are paused on {ctx.project_name}: {ctx.membership_reason or 'no reason given'}. "
            "A lead can reinstate you."
        )
    if ctx.qualification_project_id:
        _check_qualification(session, actor, session.get(Project, ctx.project_id))
    if ctx.has_expired_leases:
        free_expired_leases(session, ctx.project_id, now)
        # A slot given back may make this user's own expired or released work resumable.
        ctx = hot.context(ctx.project_id, actor.id, now, len(holding))
    lease_until = now + timedelta(seconds=ctx.lease_seconds)

    if ctx.resumable:
        resumed = _resume(session, actor, session.get(Project, ctx.project_id), holding, now, lease_until)
        if resumed is not None:
            return resumed
    gold_due = ctx.gold_due
    if gold_due:
        gold = _claim_gold(session, actor, session.get(Project, ctx.project_id), now, lease_until)
        if gold is not None:
            return gold
    taken = hot.take(ctx, actor.id, actor.name, now, lease_until, count_down=ctx.gold_rate > 0 and not gold_due)
    if taken is None:
        raise nothing_left(ctx.project_name)
    return fresh_claim(ctx, taken, now)


def nothing_left(project_name: str) -> NothingLeft:
    return NothingLeft(f"Nothing is left for you in {project_name}: every item has its answers or is being worked on.")


def fresh_claim(ctx: ClaimContext, taken: Taken, now: datetime) -> ClaimedItem:
    return ClaimedItem(
        assignment_id=taken.assignment_id,
        assignment_uid=taken.assignment_uid,
        project_id=ctx.project_id,
        project_name=ctx.project_name,
        kind=ctx.kind,
        config=ctx.config,
        instructions=ctx.instructions,
        media_root=ctx.media_root,
        external_id=taken.external_id,
        payload=taken.payload,
        prediction=taken.prediction,
        confidence=None if taken.confidence < 0 else taken.confidence,
        draft=None,
        active_seconds=0.0,
        claimed_at=now,
        lease_until=now + timedelta(seconds=ctx.lease_seconds),
        pixel_limit=ctx.pixel_limit,
    )


def _claim_gold(session: Session, actor: Actor, project: Project, now: datetime, lease_until: datetime) -> ClaimedItem | None:
    """A gold item this user has not seen, and a fresh jittered gap before the next one."""
    membership = session.scalars(
        select(Membership).where(Membership.user_id == actor.id, Membership.project_id == project.id)
    ).one()
    membership.gold_countdown = rules.next_gold_gap(project.gold_rate)
    item_id = hot_path(session).pick_gold(project.id, actor.id)
    if item_id is None:
        return None
    assignment = Assignment(
        item_id=item_id, user_id=actor.id, project_id=project.id, status="claimed", claimed_at=now,
        lease_until=lease_until, active_seconds=0.0, is_gold=True,
    )
    session.add(assignment)
    session.flush()
    audit.record(session, actor, "assignment.claim", "assignment", assignment.id, item_id=item_id, project_id=project.id)
    return _dto(session, project, assignment)


def _resume(
    session: Session, actor: Actor, project: Project, holding: tuple[int, ...], now: datetime, lease_until: datetime
) -> ClaimedItem | None:
    """Hand back this user's own open work first: a live claim (after a restart), or an
    assignment whose lease expired or that was released, with its draft, if its slot is free."""
    ids = session.scalars(_RESUMABLE, {"user": actor.id, "project": project.id}).all()
    for assignment in (session.get(Assignment, i) for i in ids if i not in holding):
        if assignment.status == "claimed":
            # Still live: it comes back with the full time limit from now, never less.
            assignment.lease_until = max(assignment.lease_until, lease_until)
            return _dto(session, project, assignment)
        if not retake_slot(session, assignment.item_id):
            continue
        assignment.status = "claimed"
        assignment.lease_until = lease_until
        audit.record(session, actor, "assignment.resume", "assignment", assignment.id, item_id=assignment.item_id)
        return _dto(session, project, assignment)
    return None


def _dto(session: Session, project: Project, assignment: Assignment) -> ClaimedItem:
    item = session.get(Item, assignment.item_id)
    return ClaimedItem(
        assignment_id=assignment.id,
        assignment_uid=assignment.uid,
        project_id=project.id,
        project_name=project.name,
        kind=project.kind,
        config=project.config,
        instructions=project.instructions,
        media_root=project.media_root,
        external_id=item.external_id,
        payload=item.payload,
        prediction=item.prediction,
        confidence=None if item.confidence < 0 else item.confidence,
        draft=assignment.draft,
        active_seconds=assignment.active_seconds,
        claimed_at=assignment.claimed_at,
        lease_until=assignment.lease_until,
        pixel_limit=project.pixel_limit,
    )


# ---- working on an item ----------------------------------------------------------------------


def save_draft(
    session: Session, actor: Actor, assignment_id: int, draft: dict[str, Any], active_seconds: float, *, now: datetime | None = None
) -> None:
    """Store the work in progress: one UPDATE, cheap enough for every couple of seconds.
    Not audited: an autosave is not a decision, and would add 1,800 events per hour."""
    if is_pg(session):
        return queue_pg.save_draft(queue_pg.driver(session), assignment_id, draft, active_seconds, now=now)
    now = now or utcnow()
    assignment = own_assignment(session, actor, assignment_id, lock=False)
    if assignment.status not in rules.OPEN_TO_ITS_USER:
        raise AssignmentClosed(f"This item was already {assignment.status}; the draft was not saved.")
    session.execute(
        update(Assignment)
        .where(Assignment.id == assignment_id)
        .values(draft=draft, active_seconds=rules.clamp_seconds(active_seconds, assignment.claimed_at, now))
    )


def extend_lease(session: Session, actor: Actor, assignment_id: int, *, now: datetime | None = None) -> datetime:
    if is_pg(session):
        return queue_pg.extend(queue_pg.driver(session), assignment_id, now=now)
    now = now or utcnow()
    assignment = own_assignment(session, actor, assignment_id)
    if assignment.status != "claimed":
        raise AssignmentClosed(f"This item is {assignment.status}; its lease cannot be extended.")
    project = session.get(Project, assignment.project_id)
    step = timedelta(seconds=project.lease_seconds)
    # Never shortens a lease: an offline claim's week stays a week.
    assignment.lease_until = max(assignment.lease_until,
                                 min(max(assignment.lease_until, now) + step, now + rules.EXTEND_MAX_FACTOR * step))
    audit.record(session, actor, "assignment.extend", "assignment", assignment.id, lease_until=assignment.lease_until.isoformat())
    return assignment.lease_until


def _give_back(session: Session, actor: Actor, assignment_id: int, *, skip: bool, now: datetime | None) -> None:
    if is_pg(session):
        return queue_pg.give_back(queue_pg.driver(session), assignment_id, skip=skip, now=now)
    assignment = own_assignment(session, actor, assignment_id)
    if assignment.status not in ("claimed", "expired"):
        raise AssignmentClosed(f"This item was already {assignment.status}.")
    if assignment.status == "claimed":
        give_back_slots(session, [assignment.item_id])
    assignment.status = "released"
    assignment.skipped = skip
    audit.record(session, actor, "assignment.skip" if skip else "assignment.release", "assignment", assignment.id,
                 item_id=assignment.item_id)


def skip(session: Session, actor: Actor, assignment_id: int, *, now: datetime | None = None) -> None:
    """Give the slot back; this user will not be offered the item again."""
    _give_back(session, actor, assignment_id, skip=True, now=now)


def release(session: Session, actor: Actor, assignment_id: int, *, now: datetime | None = None) -> None:
    """Give the slot back (a claim-ahead at exit, say); the item may come back to this user."""
    _give_back(session, actor, assignment_id, skip=False, now=now)


def release_held(session: Session, actor: Actor, project_id: int, *, keep: tuple[int, ...] = ()) -> int:
    """Give back every live claim this user holds in the project except `keep`: the app calls
    it on exit for the item it claimed ahead, whether or not that claim had come back yet."""
    if is_pg(session):
        return queue_pg.release_held(queue_pg.driver(session), project_id, keep)
    query = select(Assignment.id).where(
        Assignment.user_id == actor.id, Assignment.project_id == project_id, Assignment.status == "claimed"
    )
    if keep:
        query = query.where(Assignment.id.not_in(keep))
    ids = session.scalars(query).all()
    for assignment_id in ids:
        _give_back(session, actor, assignment_id, skip=False, now=None)
    return len(ids)
