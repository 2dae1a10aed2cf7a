"""A project's work as Mechanical Turk's batch results CSV, and a lead's decisions back from it:
the file MTurk requesters already review in a spreadsheet, Approve (`x`) or Reject (a reason)
filled in, applied as review decisions, all of them or, on any problem, none."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from annotator.core import audit
from annotator.core.auth import Actor, require
from annotator.core.projects import get_project
from annotator.core.review import approve, fixed_answers, reject
from annotator.db import Database, batches
from annotator.db.models import Assignment, Item, User
from annotator.errors import AnnotatorError, BadInput
from annotator.formats.mturk import ResultRow, read_decisions, write_results

FINISHED = ("submitted", "approved", "rejected")
BATCH = 2000


def export_mturk_results(db: Database, actor: Actor, project_ref: str | int, out: Path, *, progress=None) -> int:
    """Every handed-in assignment, a row each, from one snapshot, streamed to a temporary name."""
    require(actor, "lead", "export projects")
    tmp = out.with_name(out.name + ".part")
    try:
        with db.read() as session:
            batches.one_snapshot(session)
            project = get_project(session, project_ref)
            project_id, name = project.id, project.name
            inputs, answers = _columns(session, project)
            with tmp.open("w", encoding="utf-8", newline="") as fh:
                count = write_results(fh, inputs, answers, _rows(session, project_id), progress)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    tmp.replace(out)
    with db.write() as session:
        audit.record(session, actor, "project.export", "project", project_id, project=name, format="mturk",
                     path=str(out), items=count)
    return count


def _columns(session: Session, project) -> tuple[list[str], list[str]]:
    """The Input.* and Answer.* columns: the first item's payload fields and the first answer's."""
    payload = session.scalar(select(Item.payload).where(Item.project_id == project.id).order_by(Item.id).limit(1))
    answer = session.scalar(select(Assignment.answer).where(Assignment.project_id == project.id,
                                                            Assignment.answer.is_not(None)).limit(1))
    return [k for k in (payload or {}) if k != "original_name"], list(answer or {})


def _rows(session: Session, project_id: int):
    fixes = fixed_answers(session, project_id)
    reviewed = case((Assignment.status.in_(("approved", "rejected")), 1), else_=0)
    lifetime = dict((user, (approved, total)) for user, approved, total in session.execute(
        select(Assignment.user_id, func.sum(case((Assignment.status == "approved", 1), else_=0)), func.sum(reviewed))
        .group_by(Assignment.user_id)))
    query = (select(Assignment.id, Item.external_id, Assignment.uid, User.name, Assignment.status, Assignment.claimed_at,
                    Assignment.submitted_at, Assignment.reviewed_at, Assignment.active_seconds, Item.payload,
                    Assignment.answer, Assignment.user_id)
             .join(Item, Item.id == Assignment.item_id).join(User, User.id == Assignment.user_id)
             .where(Assignment.project_id == project_id, Assignment.status.in_(FINISHED)))
    for batch in batches.by_id(session, query, Assignment.id, BATCH):
        for aid, item, uid, worker, status, claimed, submitted, reviewed_at, seconds, payload, answer, user_id in batch:
            approved, total = lifetime.get(user_id, (0, 0))
            yield ResultRow(item, uid, worker, status, claimed, submitted,
                            reviewed_at if status == "approved" else None, seconds or 0.0, int(approved or 0),
                            int(total or 0), payload, fixes.get(aid) or answer)


@dataclass(frozen=True)
class Applied:
    approved: int
    rejected: int
    unchanged: int


def apply_mturk_decisions(session: Session, actor: Actor, project_ref: str | int, path: Path) -> Applied:
    """The lead's Approve and Reject marks, matched by AssignmentId, in the caller's transaction:
    an id this project does not have fails the whole file, naming each such line."""
    require(actor, "lead", "review work")
    project = get_project(session, project_ref)
    decisions = read_decisions(path)
    found = dict(session.execute(select(Assignment.uid, Assignment.id).where(
        Assignment.project_id == project.id, Assignment.uid.in_([d.assignment for d in decisions]))).all()) \
        if decisions else {}
    unknown = [d for d in decisions if d.assignment not in found]
    if unknown:
        lines = ", ".join(f"line {d.line} ({d.assignment})" for d in unknown[:10])
        more = f" and {len(unknown) - 10} more" if len(unknown) > 10 else ""
        raise BadInput(str(path), f"{len(unknown)} AssignmentId(s) are not assignments of {project.name}: "
                       f"{lines}{more}; nothing was applied", line=unknown[0].line, field="AssignmentId")
    status = dict(session.execute(select(Assignment.id, Assignment.status)
                                  .where(Assignment.id.in_(list(found.values())))).all())
    approved = rejected = unchanged = 0
    for d in decisions:
        aid = found[d.assignment]
        if status[aid] == ("approved" if d.approve else "rejected"):
            unchanged += 1  # the same file twice changes nothing
            continue
        try:
            if d.approve:
                approve(session, actor, aid)
                approved += 1
            else:
                reject(session, actor, aid, d.reason)
                rejected += 1
        except AnnotatorError as exc:  # the caller's transaction rolls back what this file did so far
            raise BadInput(str(path), f"{d.assignment}: {exc}; nothing was applied", line=d.line) from None
    return Applied(approved, rejected, unchanged)
