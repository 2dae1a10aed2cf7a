"""Box geometry shared by scoring, agreement and aggregation. Boxes are dicts with
label, x, y, w, h in pixels of the upright image."""

from __future__ import annotations

from typing import Mapping, Sequence

Box = Mapping[str, object]
MATCH_IOU = 0.5


def iou(a: Box, b: Box) -> float:
    ax, ay, aw, ah = (float(a[k]) for k in "xywh")
    bx, by, bw, bh = (float(b[k]) for k in "xywh")
    ix = max(0.0, min(ax + aw, bx + bw) - max(ax, bx))
    iy = max(0.0, min(ay + ah, by + bh) - max(ay, by))
    inter = ix * iy
    union = aw * ah + bw * bh - inter
    return inter / union if union > 0 else 0.0


def greedy_match(a: Sequence[Box], b: Sequence[Box], threshold: float = MATCH_IOU) -> list[tuple[int, int, float]]:
    """One-to-one matching of equal-label boxes, best IoU first, keeping pairs at or above threshold."""
    pairs = sorted(
        (
            (iou(x, y), i, j)
            for i, x in enumerate(a)
            for j, y in enumerate(b)
            if x["label"] == y["label"]
        ),
        reverse=True,
    )
    used_a: set[int] = set()
    used_b: set[int] = set()
    matches = []
    for overlap, i, j in pairs:
        if overlap < threshold:
            break
        if i in used_a or j in used_b:
            continue
        used_a.add(i)
        used_b.add(j)
        matches.append((i, j, overlap))
    return matches


def match_score(answer: Sequence[Box], gold: Sequence[Box]) -> float:
    """Sum of matched IoU over max(n_answer, n_gold); 1.0 when both are empty."""
    if not answer and not gold:
        return 1.0
    matched = greedy_match(answer, gold)
    return sum(m[2] for m in matched) / max(len(answer), len(gold))


def fuse(answers: Sequence[Sequence[Box]], weights: Sequence[float]) -> tuple[list[dict], float]:
    """Box fusion: cluster boxes across annotators at IoU >= 0.5 with equal labels (at most one
    box per annotator in a cluster), keep the clusters backed by a weighted majority, and
    average their coordinates by weight. Returns the boxes and their mean support."""
    total = sum(weights)
    clusters: list[dict] = []  # {label, members: [(annotator, box)], mean}
    for who, boxes in enumerate(answers):
        for box in boxes:
            best, best_iou = None, MATCH_IOU
            for cluster in clusters:
                if cluster["label"] != box["label"] or any(m[0] == who for m in cluster["members"]):
                    continue
                overlap = iou(cluster["mean"], box)
                if overlap >= best_iou:
                    best, best_iou = cluster, overlap
            if best is None:
                best = {"label": box["label"], "members": []}
                clusters.append(best)
            best["members"].append((who, box))
            best["mean"] = _weighted_mean(best["label"], best["members"], weights)
    kept, support = [], []
    for cluster in clusters:
        weight = sum(weights[m[0]] for m in cluster["members"])
        if total > 0 and weight > total / 2:
            kept.append(cluster["mean"])
            support.append(weight / total)
    confidence = sum(support) / len(support) if support else (1.0 if all(not a for a in answers) else 0.0)
    return kept, confidence


def _weighted_mean(label: object, members: list[tuple[int, Box]], weights: Sequence[float]) -> dict:
    w = [max(weights[m[0]], 1e-9) for m in members]
    s = sum(w)
    box = {"label": label}
    for k in "xywh":
        box[k] = round(sum(float(m[1][k]) * wi for m, wi in zip(members, w)) / s, 2)
    return box
