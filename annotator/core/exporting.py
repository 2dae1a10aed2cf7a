"""Export a project's items and answers. JSONL here; the interop formats build on `export_rows`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session

from annotator.core import audit
from annotator.core.auth import Actor, require
from annotator.core.projects import get_project
from annotator.db.models import Assignment, Item, User

FINISHED = ("submitted", "approved")


def export_rows(session: Session, actor: Actor, project_name: str | int) -> Iterator[dict[str, Any]]:
    """One row per item: its payload and every finished answer, with who gave it and when."""
    require(actor, "lead", "export projects")
    project = get_project(session, project_name)
    answers: dict[int, list[dict[str, Any]]] = {}
    query = (
        select(Assignment.item_id, User.name, Assignment.status, Assignment.answer, Assignment.submitted_at, Assignment.active_seconds)
        .join(User, User.id == Assignment.user_id)
        .where(Assignment.project_id == project.id, Assignment.status.in_(FINISHED))
        .order_by(Assignment.id)
    )
    for item_id, user, status, answer, submitted_at, seconds in session.execute(query):
        answers.setdefault(item_id, []).append(
            {"user": user, "status": status, "answer": answer,
             "submitted_at": submitted_at.isoformat() if submitted_at else None, "active_seconds": seconds}
        )
    items = session.execute(
        select(Item.id, Item.external_id, Item.payload, Item.prediction, Item.confidence)
        .where(Item.project_id == project.id, Item.is_gold.is_(False))
        .order_by(Item.id)
    )
    for item_id, external_id, payload, prediction, confidence in items:
        yield {
            "id": external_id,
            **payload,
            "prediction": prediction,
            "confidence": None if confidence < 0 else confidence,
            "answers": answers.get(item_id, []),
        }


def export_jsonl(session: Session, actor: Actor, project_name: str | int, out: Path) -> int:
    count = 0
    tmp = out.with_name(out.name + ".part")
    with tmp.open("w", encoding="utf-8") as fh:
        for row in export_rows(session, actor, project_name):
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
            count += 1
    tmp.replace(out)  # never leave a half-written export under the real name
    audit.record(session, actor, "project.export", "project", str(project_name), format="jsonl", path=str(out), items=count)
    return count
