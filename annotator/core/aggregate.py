"""Consensus per item from its accepted answers: majority vote (or box fusion, or the medoid
transcript, by kind) or Dawid–Skene for categories. Stored in `consensus`, one row per method."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from annotator.core import audit
from annotator.core.auth import Actor, require
from annotator.core.dawid_skene import dawid_skene
from annotator.core.projects import get_project
from annotator.core.review import fixed_answers
from annotator.db.base import utcnow
from annotator.db.models import Assignment, Consensus, Item
from annotator.errors import ConfigError
from annotator.tasks import registry

METHODS = ("majority", "dawid-skene")
ACCEPTED = ("submitted", "approved")


@dataclass(frozen=True)
class AggregateReport:
    project: str
    method: str
    items: int
    mean_confidence: float


def accepted_answers(session: Session, project_id: int) -> dict[int, list[tuple[int, dict[str, Any]]]]:
    """item id → [(user id, answer)], with a lead's fix replacing the annotator's answer."""
    fixes = fixed_answers(session, project_id)
    out: dict[int, list[tuple[int, dict]]] = defaultdict(list)
    rows = session.execute(
        select(Assignment.id, Assignment.item_id, Assignment.user_id, Assignment.answer)
        .join(Item, Item.id == Assignment.item_id)
        .where(Assignment.project_id == project_id, Assignment.status.in_(ACCEPTED), Item.is_gold.is_(False))
        .order_by(Assignment.id)
    )
    for aid, item_id, user_id, answer in rows:
        out[item_id].append((user_id, fixes.get(aid, answer)))
    return out


def compute(kind_name: str, config: dict, answers: dict[int, list[tuple[int, dict]]], method: str) -> dict[int, tuple[dict, float]]:
    kind = registry.get(kind_name)
    if method == "majority":
        result = {}
        for item_id, pairs in answers.items():
            given = [a for _, a in pairs]
            consensus = kind.aggregate(config, given)
            confidence = float(np.mean([kind.score(config, a, consensus) for a in given])) if given else 0.0
            result[item_id] = (consensus, confidence)
        return result
    if method == "dawid-skene":
        if kind_name != "text_categories" or config.get("multi"):
            raise ConfigError("Dawid–Skene needs single-label text categories; use --method majority for this project.")
        labels = list(config["labels"])
        label_index = {label: i for i, label in enumerate(labels)}
        item_ids = sorted(answers)
        item_index = {item: i for i, item in enumerate(item_ids)}
        users = sorted({u for pairs in answers.values() for u, _ in pairs})
        user_index = {u: i for i, u in enumerate(users)}
        obs = [(item_index[item], user_index[u], label_index[a["label"]])
               for item, pairs in answers.items() for u, a in pairs if a.get("label") in label_index]
        if not obs:
            return {}
        i, w, l = (np.array(x) for x in zip(*obs))
        fit = dawid_skene(i, w, l, len(item_ids), len(users), len(labels))
        best, confidence = fit.labels.tolist(), fit.confidence.tolist()
        return {item: ({"label": labels[best[n]]}, confidence[n]) for n, item in enumerate(item_ids)}
    raise ConfigError(f"Unknown method {method!r}; use {' or '.join(METHODS)}.")


def aggregate_project(session: Session, actor: Actor, project_ref: str | int, method: str = "majority") -> AggregateReport:
    require(actor, "lead", "aggregate answers")
    project = get_project(session, project_ref)
    answers = accepted_answers(session, project.id)
    results = compute(project.kind, project.config, answers, method)
    now = utcnow()
    if results:
        session.execute(delete(Consensus).where(Consensus.method == method, Consensus.item_id.in_(list(results))))
        session.add_all(Consensus(item_id=item, method=method, answer=answer, confidence=conf, computed_at=now)
                        for item, (answer, conf) in results.items())
    mean = float(np.mean([c for _, c in results.values()])) if results else 0.0
    audit.record(session, actor, "consensus.compute", "project", project.id, method=method, items=len(results))
    return AggregateReport(project.name, method, len(results), mean)
