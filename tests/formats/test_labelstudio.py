"""Label Studio's JSON exports, the real ones of label-studio-converter and label-studio-sdk with
their several annotators, predictions, percent rectangles and result types Annotator holds no
kind for; and, on both backends, an export that Label Studio would open and that reads back."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from sqlalchemy import select

from annotator.core.export_formats import export_as
from annotator.core.importing import import_items
from annotator.db.models import GoldAnswer, Item
from annotator.errors import BadInput
from tests.helpers import make_project, shared


def real(name: str):
    return shared("labelstudio", name)


def photos_in_place_of(source, tmp_path, photos) -> Path:
    """The real file with each task's image pointed at a real photo of ours, beside it."""
    tasks = json.loads(real(source).read_text(encoding="utf-8"))
    for task, photo in zip(tasks, photos):
        shutil.copy(photo, tmp_path / photo.name)
        task["data"]["image"] = f"/data/upload/1/{photo.name}"  # as Label Studio names uploads
    path = tmp_path / source
    path.write_text(json.dumps(tasks), encoding="utf-8")
    return path


def test_real_choices_come_in_as_gold_and_text_exactly(db, operator):
    make_project(db, "tweets", config={"labels": ["Positive", "Negative"]})
    with db.write() as s:
        report = import_items(s, operator, "tweets", real("lssdk_test_export_csv__csv_test_history.json"), gold=True)
    assert report.format == "labelstudio" and report.added == 1
    with db.read() as s:
        item = s.scalars(select(Item)).one()
        assert s.get(GoldAnswer, item.id).answer == {"label": "Positive"}
    assert item.payload["text"].startswith("Calif. wildfires signal the arrival")


def test_real_rectangles_come_in_from_percent_and_other_results_are_reported(db, operator, tmp_path):
    make_project(db, "cells", kind="image_boxes", config={"labels": ["parasites", "white"]})
    source = photos_in_place_of("lsconv_test_export_yolo__data.json", tmp_path,
                                [shared("voc-sample", "2011_000003.jpg"), shared("voc-sample", "2011_000006.jpg")])
    with db.write() as s:
        assert import_items(s, operator, "cells", source, gold=True).added == 2
    with db.read() as s:
        first = s.scalar(select(GoldAnswer.answer).order_by(GoldAnswer.item_id))["boxes"][0]
    assert first["label"] == "parasites" and first["x"] == pytest.approx(37.15846994535519 * 28, abs=0.001)

    make_project(db, "shapes", kind="image_boxes", config={"labels": ["rectangle_label"]})
    shapes = photos_in_place_of("lssdk_test_export_coco__data.json", tmp_path, [shared("images", "hopper.jpg")])
    with db.write() as s:
        report = import_items(s, operator, "shapes", shapes)
    assert report.notes == ["2 keypointlabels results (no image_boxes answer holds them; left out)",
                            "1 polygonlabels results (no image_boxes answer holds them; left out)"]


def test_a_label_the_project_lacks_is_refused_by_field(db, operator, tmp_path):
    make_project(db, "cells", kind="image_boxes", config={"labels": ["white"]})
    source = photos_in_place_of("lsconv_test_export_yolo__data.json", tmp_path,
                                [shared("voc-sample", "2011_000003.jpg"), shared("voc-sample", "2011_000006.jpg")])
    with pytest.raises(BadInput, match=r"field '\[0\]\.annotations\[0\]\.result\[\d+\]': the label 'parasites' is not one"):
        with db.write() as s:
            import_items(s, operator, "cells", source, gold=True)


def test_an_export_opens_in_label_studio_and_reads_back(db, operator, tmp_path):
    make_project(db, "cells", kind="image_boxes", config={"labels": ["parasites", "white"]})
    source = photos_in_place_of("lsconv_test_export_yolo__data.json", tmp_path,
                                [shared("voc-sample", "2011_000003.jpg"), shared("voc-sample", "2011_000006.jpg")])
    with db.write() as s:
        import_items(s, operator, "cells", source, gold=True)
    out = tmp_path / "export" / "cells.json"
    out.parent.mkdir()
    assert export_as(db, operator, "cells", out, "labelstudio", holds="gold") == 2
    config = ET.fromstring((out.parent / "cells.label_config.xml").read_text(encoding="utf-8"))
    assert [label.get("value") for label in config.iter("Label")] == ["parasites", "white"]
    tasks = json.loads(out.read_text(encoding="utf-8"))
    assert {t["data"]["image"] for t in tasks} == {"2011_000003.jpg", "2011_000006.jpg"}
    for photo in ("2011_000003.jpg", "2011_000006.jpg"):
        shutil.copy(shared("voc-sample", photo), out.parent / photo)
    make_project(db, "again", kind="image_boxes", config={"labels": ["parasites", "white"]})
    with db.write() as s:
        assert import_items(s, operator, "again", out, gold=True).added == 2
    with db.read() as s:
        answers = [a for a, in s.execute(select(GoldAnswer.answer).join(Item, Item.id == GoldAnswer.item_id)
                                         .order_by(Item.id))]
    original, back = answers[:2], answers[2:]
    for a, b in zip(original, back):
        assert [x["label"] for x in a["boxes"]] == [y["label"] for y in b["boxes"]]
        assert all(abs(x[k] - y[k]) <= 0.5 for x, y in zip(a["boxes"], b["boxes"]) for k in "xywh")
