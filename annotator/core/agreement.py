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


def category_alpha(session: Session, project) -> tuple[float | None, dict[str, float | None], int] | None:
    """Krippendorff's alpha (nominal) for a single-label categories project, overall and for
    each label against the rest, computed from per-item label counts in the database (the
    coincidence matrix needs nothing else), so a dashboard refresh reads a few numbers
    instead of every answer. Returns (overall, per label, items), or None for other kinds.

    With m answers on an item, n of them label c: o_cc += n(n-1)/(m-1), and the alpha is
    1 - (N-1) * (N - sum o_cc) / (N^2 - sum n_c^2) over the N pairable values."""
    from sqlalchemy import Float, case, cast, func, select, text

    from annotator.core.aggregate import ACCEPTED
    from annotator.db.models import Assignment, Review

    config = project.config
    if project.kind != "text_categories" or config.get("multi"):
        return None
    labels = list(config.get("labels", []))
    latest_fix = (
        select(Review.assignment_id, func.max(Review.id).label("review_id"))
        .where(Review.decision == "fix").group_by(Review.assignment_id).subquery()
    )
    fix = Review.__table__.alias("fix")
    # Each label as its number in the config: integers group and sort far faster than text
    # under a collation; a label outside the config is NULL and left out.
    label = case({name: i for i, name in enumerate(labels)},
                 value=func.coalesce(fix.c.fixed_answer["label"].as_string(), Assignment.answer["label"].as_string())
                 ).label("label")
    # Materialized: the label is taken out of each answer's JSON once, not once per label.
    answers = (
        select(Assignment.item_id, label)
        .outerjoin(latest_fix, latest_fix.c.assignment_id == Assignment.id)
        .outerjoin(fix, fix.c.id == latest_fix.c.review_id)
        # An assignment knows it was a gold item: no join to a million items to leave gold out.
        .where(Assignment.project_id == project.id, Assignment.status.in_(ACCEPTED), Assignment.is_gold.is_(False))
        .cte("answers").prefix_with("MATERIALIZED", dialect="postgresql")
    )
    per_item = (
        select(func.count().label("m"),
               *[func.count().filter(answers.c.label == code).label(f"n{code}") for code in range(len(labels))])
        .where(answers.c.label.is_not(None)).group_by(answers.c.item_id).having(func.count() >= 2).subquery()
    )
    m = cast(per_item.c.m, Float)
    sums = [func.count(), func.coalesce(func.sum(per_item.c.m), 0)]
    for code in range(len(labels)):
        n = cast(per_item.c[f"n{code}"], Float)
        sums += [func.coalesce(func.sum(n), 0), func.coalesce(func.sum(n * (n - 1) / (m - 1)), 0),
                 func.coalesce(func.sum((m - n) * (m - n - 1) / (m - 1)), 0)]
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL work_mem = '64MB'"))  # one group per item stays in memory
    row = session.execute(select(*sums)).one()
    items, total = int(row[0]), float(row[1])
    if items == 0:
        return None, {name: None for name in labels}, 0
    # Per label: its count n_c, its agreeing pairs o_cc, and the pairs agreeing on "not c", o_00.
    counts = [(float(row[2 + 3 * i]), float(row[3 + 3 * i]), float(row[4 + 3 * i])) for i in range(len(labels))]

    def alpha(disagreement: float, expected: float) -> float:
        return 1.0 if expected == 0 else 1.0 - (total - 1) * disagreement / expected

    overall = alpha(total - sum(o for _, o, _ in counts), total * total - sum(n * n for n, _, _ in counts))
    per_label = {name: alpha(total - o11 - o00, 2 * n1 * (total - n1)) for name, (n1, o11, o00) in zip(labels, counts)}
    return overall, per_label, items
