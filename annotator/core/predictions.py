"""Model predictions: humans look first at what the model is unsure of, and confident
predictions can be accepted without a human, minus a spot-check sample that still goes to people."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from annotator.core import audit
from annotator.core.auth import Actor, require
from annotator.core.projects import get_project
from annotator.core.queue_epoch import queue_moved
from annotator.db.models import Consensus, Item
from annotator.errors import AnnotatorError, BadInput
from annotator.formats.text_io import json_objects
from annotator.tasks import registry


@dataclass(frozen=True)
class PredictionReport:
    updated: int
    auto_accepted: int
    spot_checks: int


def _spot_checked(external_id: str, fraction: float) -> bool:
    """A stable draw per item, so a re-import picks the same spot checks."""
    digest = hashlib.sha256(external_id.encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < fraction


def import_predictions(
    session: Session,
    actor: Actor,
    project_ref: str | int,
    path: str | Path,
    *,
    auto_accept_above: float | None = None,
    spot_check_fraction: float | None = None,
) -> PredictionReport:
    require(actor, "lead", "import predictions")
    path = Path(path)
    project = get_project(session, project_ref)
    kind = registry.get(project.kind)
    fraction = project.spot_check_fraction if spot_check_fraction is None else spot_check_fraction
    if auto_accept_above is not None and not 0 <= auto_accept_above <= 1:
        raise AnnotatorError(f"--auto-accept-above is {auto_accept_above}; it is a confidence between 0 and 1.")

    items = {
        row.external_id: row
        for row in session.execute(
            select(Item.id, Item.external_id, Item.open_slots, Item.is_gold).where(Item.project_id == project.id)
        )
    }
    rows = []
    for line_no, obj in json_objects(path):
        external_id = obj.get("external_id", obj.get("id"))
        if external_id is None:
            raise BadInput(str(path), "missing 'external_id'", line=line_no, field="external_id")
        item = items.get(str(external_id))
        if item is None:
            raise BadInput(str(path), f"no item {external_id!r} in project {project.name}", line=line_no, field="external_id")
        prediction, confidence = obj.get("prediction"), obj.get("confidence")
        if not isinstance(prediction, dict):
            raise BadInput(str(path), "'prediction' must be an object (an answer of this project's kind)", line=line_no, field="prediction")
        try:
            kind.validate_answer(project.config, prediction)
        except AnnotatorError as exc:
            raise BadInput(str(path), str(exc), line=line_no, field="prediction") from None
        if isinstance(confidence, bool) or not isinstance(confidence, (int, float)) or not 0 <= confidence <= 1:
            raise BadInput(str(path), f"'confidence' must be a number from 0 to 1, not {confidence!r}", line=line_no, field="confidence")
        rows.append((item, prediction, float(confidence)))
    if not rows:
        raise BadInput(str(path), "no predictions (the file is empty)")

    queue_moved(session, [project.id])  # a new confidence moves an item in the queue
    accepted = spot = 0
    for item, prediction, confidence in rows:
        values = {"prediction": prediction, "confidence": confidence}
        untouched = not item.is_gold and item.open_slots == project.overlap
        if auto_accept_above is not None and confidence >= auto_accept_above and untouched:
            if _spot_checked(item.external_id, fraction):
                values["spot_check"] = True
                spot += 1
            else:
                values.update(done_by_model=True, open_slots=0)
                session.add(Consensus(item_id=item.id, method="model", answer=prediction, confidence=confidence))
                accepted += 1
        session.execute(update(Item).where(Item.id == item.id).values(**values))
    audit.record(session, actor, "predictions.import", "project", project.id, source=str(path),
                 updated=len(rows), auto_accepted=accepted, spot_checks=spot, threshold=auto_accept_above)
    return PredictionReport(len(rows), accepted, spot)
