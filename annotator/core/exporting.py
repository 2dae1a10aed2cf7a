"""Export a project's results: each item with its answers, their review state, and the
consensus, as JSONL or CSV. Leads and admins only."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any, Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session

from annotator.core import audit
from annotator.core.auth import Actor, require
from annotator.core.projects import get_project
from annotator.core.review import fixed_answers
from annotator.db import Database, batches
from annotator.db.models import Assignment, Consensus, Item, Review, User

FINISHED = ("submitted", "approved", "rejected")
FORMATS = ("jsonl", "csv")


BATCH = 500  # items read at a time, with their answers and consensus: memory stays flat


def export_rows(session: Session, actor: Actor, project_name: str | int) -> Iterator[dict[str, Any]]:
    """One row per item: its payload, every finished answer (who, when, review state, a lead's
    fix), and the consensus of each method computed so far; BATCH items at a time, by id."""
    require(actor, "lead", "export projects")
    project = get_project(session, project_name)
    fixes = fixed_answers(session, project.id)
    query = (select(Item.id, Item.external_id, Item.payload, Item.prediction, Item.confidence, Item.done_by_model)
             .where(Item.project_id == project.id, Item.is_gold.is_(False)))
    for items in batches.by_id(session, query, Item.id, BATCH):
        ids = [row[0] for row in items]
        answers, consensus = _answers_of(session, ids, fixes), _consensus_of(session, ids)
        for item_id, external_id, payload, prediction, confidence, by_model in items:
            yield {
                "id": external_id,
                **payload,
                "prediction": prediction,
                "confidence": None if confidence < 0 else confidence,
                "done_by_model": by_model,
                "answers": answers.get(item_id, []),
                "consensus": consensus.get(item_id, {}),
            }


def _answers_of(session: Session, ids: list[int], fixes: dict[int, Any]) -> dict[int, list[dict[str, Any]]]:
    comments = dict(session.execute(
        select(Review.assignment_id, Review.comment).join(Assignment, Assignment.id == Review.assignment_id)
        .where(Assignment.item_id.in_(ids)).order_by(Review.id)).all())
    answers: dict[int, list[dict[str, Any]]] = {}
    for aid, item_id, user, status, answer, submitted_at, seconds in session.execute(
            select(Assignment.id, Assignment.item_id, User.name, Assignment.status, Assignment.answer,
                   Assignment.submitted_at, Assignment.active_seconds)
            .join(User, User.id == Assignment.user_id)
            .where(Assignment.item_id.in_(ids), Assignment.status.in_(FINISHED)).order_by(Assignment.id)):
        answers.setdefault(item_id, []).append({
            "user": user, "review": status, "answer": answer, "fixed_answer": fixes.get(aid),
            "review_comment": comments.get(aid) or None,
            "submitted_at": submitted_at.isoformat() if submitted_at else None, "active_seconds": seconds,
        })
    return answers


def _consensus_of(session: Session, ids: list[int]) -> dict[int, dict[str, Any]]:
    consensus: dict[int, dict[str, Any]] = {}
    for item_id, method, answer, confidence in session.execute(
            select(Consensus.item_id, Consensus.method, Consensus.answer, Consensus.confidence)
            .where(Consensus.item_id.in_(ids))):
        consensus.setdefault(item_id, {})[method] = {"answer": answer, "confidence": round(confidence, 4)}
    return consensus


def _csv_row(row: dict[str, Any], payload_keys: list[str]) -> dict[str, Any]:
    states: dict[str, int] = {}
    for a in row["answers"]:
        states[a["review"]] = states.get(a["review"], 0) + 1
    best = row["consensus"].get("dawid-skene") or row["consensus"].get("majority") or row["consensus"].get("model")
    return {
        "id": row["id"],
        **{k: row.get(k) if not isinstance(row.get(k), (dict, list)) else json.dumps(row.get(k), ensure_ascii=False)
           for k in payload_keys},
        "answers": json.dumps([{k: a[k] for k in ("user", "review", "answer", "fixed_answer")} for a in row["answers"]],
                              ensure_ascii=False),
        "review_state": ";".join(f"{k}:{v}" for k, v in sorted(states.items())),
        "consensus": json.dumps(best["answer"], ensure_ascii=False) if best else "",
        "consensus_confidence": best["confidence"] if best else "",
        "done_by_model": row["done_by_model"],
    }


def export_results(session: Session, actor: Actor, project_name: str | int, out: Path, fmt: str = "jsonl",
                   progress=None) -> int:
    """In the caller's transaction. progress(done, total, what) is called per item; raising from
    it cancels and leaves no file."""
    project_id, name, count = _export(session, actor, project_name, out, fmt, progress)
    audit.record(session, actor, "project.export", "project", project_id, project=name, format=fmt,
                 path=str(out), items=count)
    return count


def export_from(db: Database, actor: Actor, project_name: str | int, out: Path, fmt: str = "jsonl",
                progress=None) -> int:
    """The same, read in a read transaction, which takes no write lock (SQLite's would stop every
    other desktop for the length of the export); the audit event follows in a write of its own."""
    with db.read() as session:
        project_id, name, count = _export(session, actor, project_name, out, fmt, progress)
    with db.write() as session:
        audit.record(session, actor, "project.export", "project", project_id, project=name, format=fmt,
                     path=str(out), items=count)
    return count


def _export(session: Session, actor: Actor, project_name: str | int, out: Path, fmt: str, progress
            ) -> tuple[int, str, int]:
    if fmt not in FORMATS:
        from annotator.errors import AnnotatorError

        raise AnnotatorError(f"Unknown export format {fmt!r}; available: {', '.join(FORMATS)}.")
    batches.one_snapshot(session)
    rows = export_rows(session, actor, project_name)
    total = _item_total(session, project_name) if progress else 0
    tmp = out.with_name(out.name + ".part")
    try:
        count = _write(fmt, rows, tmp, progress, total)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    tmp.replace(out)  # never leave a half-written export under the real name
    # By id, as every other project event: the id is what files the event under its project.
    project = get_project(session, project_name)
    return project.id, project.name, count


def _item_total(session: Session, project_name: str | int) -> int:
    from sqlalchemy import func

    project = get_project(session, project_name)
    return session.scalar(select(func.count()).select_from(Item).where(Item.project_id == project.id, Item.is_gold.is_(False)))


def _write(fmt: str, rows, tmp: Path, progress, total: int) -> int:
    count = 0
    with tmp.open("w", encoding="utf-8", newline="") as fh:
        if fmt == "jsonl":
            for row in rows:
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
                count += 1
                if progress:
                    progress(count, total, row["id"])
        else:
            writer = None
            for row in rows:
                if writer is None:
                    fixed = {"id", "prediction", "confidence", "done_by_model", "answers", "consensus"}
                    payload_keys = [k for k in row if k not in fixed]
                    writer = csv.DictWriter(fh, fieldnames=["id", *payload_keys, "answers", "review_state", "consensus",
                                                            "consensus_confidence", "done_by_model"])
                    writer.writeheader()
                writer.writerow(_csv_row(row, payload_keys))
                count += 1
                if progress:
                    progress(count, total, row["id"])
    return count


def export_jsonl(session: Session, actor: Actor, project_name: str | int, out: Path) -> int:
    return export_results(session, actor, project_name, out, "jsonl")
