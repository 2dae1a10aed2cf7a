"""Label Studio's JSON exports, the real ones of label-studio-converter and label-studio-sdk with
their several annotators, predictions, percent rectangles and result types Annotator holds no
kind for; and, on both backends, an export that Label Studio would open and that reads back."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from sqlalchemy import func, select

from annotator.core.export_formats import export_as
from annotator.core.importing import import_items
from annotator.db.models import GoldAnswer, Item, User
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


def _assignments(db, project: str):
    from annotator.db.models import Assignment, Project, User

    with db.read() as s:
        return s.execute(select(User.name, Item.external_id, Assignment.status, Assignment.needs_review,
                                Assignment.active_seconds, Assignment.answer, Item.open_slots)
                         .join(User, User.id == Assignment.user_id).join(Item, Item.id == Assignment.item_id)
                         .join(Project, Project.id == Item.project_id).where(Project.name == project)
                         .order_by(Item.external_id, User.name)).all()


def test_annotations_come_in_as_their_annotators_submitted_work_for_review(db, operator, tmp_path):
    """--as answers, by a lead's own login: each annotation a submitted assignment of the person
    who made it, named by the mapping (Label Studio names these two by user id only)."""
    from annotator.core.importing import import_into
    from annotator.core.review import approve
    from tests.helpers import connected_as, make_user

    make_project(db, "cells", kind="image_boxes", config={"labels": ["parasites", "white"]}, overlap=2)
    lead = make_user(db, "lena", "lead")
    make_user(db, "alice", join=False)
    make_user(db, "bob", join=False)
    source = photos_in_place_of("lsconv_test_export_yolo__data.json", tmp_path,
                                [shared("voc-sample", "2011_000003.jpg"), shared("voc-sample", "2011_000006.jpg")])
    desk = connected_as(db, lead)
    with pytest.raises(BadInput, match=r"no active Annotator user for 1 \(2 answers\), 2 \(1 answer\); add each"):
        import_into(desk, lead, "cells", source, answers=True)
    with pytest.raises(BadInput, match=r"no active Annotator user for 2 \(1 answer\)"):
        import_into(desk, lead, "cells", source, answers=True, annotators={"1": "alice", "2": "nobody"})
    assert _assignments(db, "cells") == []  # refused whole

    report = import_into(desk, lead, "cells", source, answers=True, annotators={"1": "alice", "2": "bob"})
    assert (report.added, report.answers) == (2, 3)
    rows = _assignments(db, "cells")
    assert [(r.name, r.status, r.needs_review, r.open_slots) for r in rows] == [
        ("alice", "submitted", True, 0), ("bob", "submitted", True, 0), ("alice", "submitted", True, 1)]
    assert [r.active_seconds for r in rows] == [85.444, 1235.418, 5.652]  # Label Studio's lead_time
    assert rows[0].answer["boxes"][0]["label"] and rows[0].answer != rows[1].answer
    with db.read() as s:
        from annotator.db.models import Assignment, Membership

        joined = s.scalar(select(func.count()).select_from(Membership).join(User, User.id == Membership.user_id)
                          .where(User.name.in_(["alice", "bob"])))
        first = s.scalars(select(Assignment.id).order_by(Assignment.id)).first()
    assert joined == 2  # they are the project's members now, so their rates count
    with desk.write() as s:
        approve(s, lead, first)  # the lead reviews them as any other handed-in work
    assert import_into(desk, lead, "cells", source, answers=True, annotators={"1": "alice", "2": "bob"}).added == 0
    assert len(_assignments(db, "cells")) == 3  # the same source twice adds nothing


def test_every_annotators_answers_go_out_and_come_back_by_name(db, operator, tmp_path):
    """Round trip: an export holding all answers names each annotator; imported --as answers into
    another project, the same people hold the same answers."""
    from tests.helpers import make_user

    make_project(db, "tweets", config={"labels": ["Positive", "Negative"]}, overlap=2)
    make_user(db, "sergei")
    with db.write() as s:  # sergei@heartex.test is the user "sergei", by the name before the @
        assert import_items(s, operator, "tweets", real("lssdk_test_export_csv__csv_test_history.json"),
                            answers=True).answers == 1
    out = tmp_path / "tweets.json"
    assert export_as(db, operator, "tweets", out, "labelstudio", holds="all") == 1
    assert [a["completed_by"] for a in json.loads(out.read_text())[0]["annotations"]] == [{"email": "sergei"}]
    make_project(db, "again", config={"labels": ["Positive", "Negative"]})
    with db.write() as s:
        import_items(s, operator, "again", out, answers=True)
    assert [(r.name, r.answer) for r in _assignments(db, "again")] == [("sergei", {"label": "Positive"})]
