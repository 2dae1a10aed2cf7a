"""Round trips, on both backends: random projects of boxes on real photos, exported as COCO and as
YOLO and imported back into a project of their own, give the same items, the same labels and
the same boxes within half a pixel."""

from __future__ import annotations

import json
import uuid

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from annotator.core.auth import Actor
from annotator.core.export_formats import export_as
from annotator.core.importing import import_items
from annotator.db.models import GoldAnswer, Item, Project
from tests.helpers import make_project, shared

PHOTOS = {"hopper.jpg": (128, 128), "2011_000003.jpg": (500, 338), "2011_000025.jpg": (500, 375)}
LABELS = ["person", "dog", "traffic light", "bicycle"]
OPERATOR = Actor.local_operator()


def photo_path(name: str):
    return shared("images", name) if name == "hopper.jpg" else shared("voc-sample", name)


@st.composite
def boxes_on(draw, size):
    width, height = size
    boxes = []
    for _ in range(draw(st.integers(0, 4))):
        x = draw(st.floats(0, width - 2, allow_nan=False))
        y = draw(st.floats(0, height - 2, allow_nan=False))
        w = draw(st.floats(1, width - x, allow_nan=False))
        h = draw(st.floats(1, height - y, allow_nan=False))
        boxes.append({"label": draw(st.sampled_from(LABELS)), "x": round(x, 3), "y": round(y, 3),
                      "w": round(w, 3), "h": round(h, 3)})
    return boxes


projects = st.lists(st.sampled_from(sorted(PHOTOS)), min_size=1, max_size=3, unique=True).flatmap(
    lambda names: st.tuples(*(boxes_on(PHOTOS[n]) for n in names)).map(lambda all_boxes: dict(zip(names, all_boxes))))


def gold_of(db, project: str) -> dict[str, list]:
    with db.read() as s:
        return {e: a["boxes"] for e, a in s.execute(
            select(Item.external_id, GoldAnswer.answer).join(GoldAnswer, GoldAnswer.item_id == Item.id)
            .join(Project, Project.id == Item.project_id).where(Project.name == project))}


def same_boxes(expected: dict[str, list], got: dict[str, list]) -> None:
    assert set(got) == set(expected)
    for name, boxes in expected.items():
        back = sorted(got[name], key=lambda b: (b["x"], b["y"]))
        boxes = sorted(boxes, key=lambda b: (b["x"], b["y"]))
        assert [b["label"] for b in back] == [b["label"] for b in boxes], name
        for b, c in zip(boxes, back):
            assert all(abs(b[k] - c[k]) <= 0.5 for k in "xywh"), (name, b, c)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(drawn=projects, fmt=st.sampled_from(["coco", "yolo"]))
def test_an_export_imports_back_the_same(db, tmp_path, drawn, fmt):
    run = tmp_path / uuid.uuid4().hex[:8]
    (run / "photos").mkdir(parents=True)
    lines = []
    for name, boxes in drawn.items():
        (run / "photos" / name).write_bytes(photo_path(name).read_bytes())
        lines.append(json.dumps({"id": name, "image": str(run / "photos" / name), "answer": {"boxes": boxes}}))
    (run / "gold.jsonl").write_text("\n".join(lines) + "\n")
    original, copy = f"p-{run.name}", f"copy-{run.name}"
    make_project(db, original, kind="image_boxes", config={"labels": LABELS})
    with db.write() as s:
        import_items(s, OPERATOR, original, run / "gold.jsonl", gold=True)

    out = run / ("out.json" if fmt == "coco" else "out")
    assert export_as(db, OPERATOR, original, out, fmt, holds="gold") == len(drawn)
    make_project(db, copy, kind="image_boxes", config={"labels": LABELS})
    with db.write() as s:
        back = import_items(s, OPERATOR, copy, out, gold=True, images=run / "photos" if fmt == "coco" else None)
    assert back.added == len(drawn) and back.format == fmt
    same_boxes(drawn, gold_of(db, copy))
