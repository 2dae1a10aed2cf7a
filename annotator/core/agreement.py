"""Inter-annotator agreement per project, per label and per annotator: Krippendorff's alpha for
categories, the mean pairwise box-matching score for boxes, mean pairwise 1 − WER for transcripts."""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import combinations

import krippendorff
import numpy as np
from sqlalchemy.orm import Session

from annotator.core.aggregate import accepted_answers
from annotator.core.auth import Actor, require
from annotator.core.projects import get_project
from annotator.db.models import User
from annotator.tasks import registry


@dataclass(frozen=True)
class Agreement:
    project: str
    measure: str
    overall: float | None
    items: int  # items with two or more answers
    per_label: dict[str, float | None] = field(default_factory=dict)
    per_annotator: dict[str, float | None] = field(default_factory=dict)


def _alpha(matrix: np.ndarray) -> float | None:
    # krippendorff needs some variation and at least one item coded twice.
    values = matrix[~np.isnan(matrix)]
    if values.size < 2 or np.unique(values).size < 2:
        return None if values.size < 2 else 1.0
    return float(krippendorff.alpha(reliability_data=matrix, level_of_measurement="nominal"))


def project_agreement(session: Session, actor: Actor, project_ref: str | int) -> Agreement:
    require(actor, "lead", "see agreement")
    project = get_project(session, project_ref)
    kind = registry.get(project.kind)
    config = project.config
    answers = {i: pairs for i, pairs in accepted_answers(session, project.id).items() if len(pairs) >= 2}
    users = sorted({u for pairs in answers.values() for u, _ in pairs})
    names = dict(session.query(User.id, User.name).filter(User.id.in_(users)).all()) if users else {}

    # Per annotator: mean score against each other annotator on the items they share.
    per_user: dict[int, list[float]] = {u: [] for u in users}
    pair_scores = []
    for pairs in answers.values():
        for (u1, a1), (u2, a2) in combinations(pairs, 2):
            s = (kind.score(config, a1, a2) + kind.score(config, a2, a1)) / 2
            per_user[u1].append(s)
            per_user[u2].append(s)
            pair_scores.append(s)
    per_annotator = {names[u]: (float(np.mean(v)) if v else None) for u, v in per_user.items()}

    labels = list(config.get("labels", []))
    per_label: dict[str, float | None] = {}
    if project.kind == "text_categories":
        user_index = {u: n for n, u in enumerate(users)}
        items = sorted(answers)
        if config.get("multi"):
            for label in labels:
                m = np.full((len(users), len(items)), np.nan)
                for col, item in enumerate(items):
                    for u, a in answers[item]:
                        m[user_index[u], col] = float(label in a.get("labels", []))
                per_label[label] = _alpha(m)
            values = [v for v in per_label.values() if v is not None]
            overall = float(np.mean(values)) if values else None
        else:
            label_index = {label: n for n, label in enumerate(labels)}
            m = np.full((len(users), len(items)), np.nan)
            for col, item in enumerate(items):
                for u, a in answers[item]:
                    if a.get("label") in label_index:
                        m[user_index[u], col] = label_index[a["label"]]
            overall = _alpha(m) if items else None
            for label in labels:  # one label against the rest
                binary = np.where(np.isnan(m), np.nan, (m == label_index[label]).astype(float))
                per_label[label] = _alpha(binary)
        measure = "Krippendorff's alpha (nominal)"
    else:
        overall = float(np.mean(pair_scores)) if pair_scores else None
        if project.kind == "image_boxes":
            for label in labels:
                scores = []
                for pairs in answers.values():
                    only = [{"boxes": [b for b in a.get("boxes", []) if b["label"] == label]} for _, a in pairs]
                    if any(o["boxes"] for o in only):
                        scores.append(kind.agreement(config, only))
                per_label[label] = float(np.mean(scores)) if scores else None
            measure = "mean pairwise box-matching score"
        else:
            measure = "mean pairwise 1 - WER"
    return Agreement(project.name, measure, overall, len(answers), per_label, per_annotator)
