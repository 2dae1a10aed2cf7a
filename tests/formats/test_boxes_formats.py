"""COCO and YOLO, in and out, on the real files in ../shared/data and on random projects: what
comes in is what a detector's file says, and what goes out reads back the same (within half a
pixel). pycocotools, the reference reader, loads every COCO file we write."""

from __future__ import annotations

import json
import shutil

from pathlib import Path

import pytest
from sqlalchemy import select

from annotator.core.export_formats import export_as
from annotator.core.importing import import_items
from annotator.db.models import Item
from annotator.errors import BadInput
from tests.helpers import make_project, make_user, shared

COCO = Path(shared("coco", "sahi_terrain", "combined_coco.json")).parent
YOLO = Path(shared("yolo", "lsconv_unif_dims", "classes.txt")).parent


def boxes_of(db, project: str) -> dict[str, list]:
    """The boxes each item of the project came in with, for its annotators to check."""
    from annotator.db.models import Project

    with db.read() as s:
        return {i.external_id: i.prediction["boxes"] if i.prediction else None
                for i in s.scalars(select(Item).join(Project).where(Project.name == project).order_by(Item.id))}


def test_a_real_coco_file_comes_in_as_boxes_to_check_with_its_polygons_reported(db, operator):
    make_project(db, "terrain", kind="image_boxes", config={"labels": ["human", "car", "big_vehicle"]})
    with db.write() as s:
        report = import_items(s, operator, "terrain", COCO / "combined_coco.json")
    assert report.added == 2 and report.notes == ["12 polygons (their boxes kept)"]
    boxes = boxes_of(db, "terrain")
    assert {b["label"] for b in boxes["terrain1.jpg"]} == {"human"} and len(boxes["terrain1.jpg"]) == 7
    assert {"label": "human", "x": 491.0, "y": 1035.0, "w": 153.0, "h": 182.0} in boxes["terrain1.jpg"]
    assert len(boxes["terrain2.png"]) == 5


def test_a_coco_category_the_project_lacks_is_refused_by_field(db, operator):
    make_project(db, "terrain", kind="image_boxes", config={"labels": ["human"]})
    with pytest.raises(BadInput, match=r"combined_coco.json.*annotations\[\d+\]\.category_id.*'car'.*not one of"):
        with db.write() as s:
            import_items(s, operator, "terrain", COCO / "combined_coco.json")


def test_a_real_yolo_folder_comes_in_with_its_boxes_in_pixels(db, operator):
    make_project(db, "doors", kind="image_boxes", config={"labels": ["closed_door", "opened_door", "bus", "number"]})
    with db.write() as s:
        report = import_items(s, operator, "doors", YOLO)
    assert report.added == 5
    from PIL import Image

    width, height = Image.open(YOLO / "images" / "img_1.jpg").size
    first = boxes_of(db, "doors")["img_1.jpg"][0]
    assert first["label"] == "bus"
    assert first["x"] == pytest.approx((0.49765625 - 0.9640625 / 2) * width, abs=0.01)
    assert first["h"] == pytest.approx(0.8693009118541033 * height, abs=0.01)


def test_coco_and_yolo_exports_hold_the_approved_boxes_and_coco_loads_in_pycocotools(db, operator, tmp_path):
    from pycocotools.coco import COCO as Reference

    from annotator.core import queue_direct

    make_project(db, "terrain", kind="image_boxes", config={"labels": ["human", "car", "big_vehicle"]})
    with db.write() as s:
        import_items(s, operator, "terrain", COCO / "combined_coco.json")
    ann = make_user(db, "ann")
    from tests.helpers import connected_as

    me = connected_as(db, ann)
    drawn = {}
    for _ in range(2):
        item = queue_direct.claim(me, ann, "terrain")
        answer = {"boxes": [{"label": "car", "x": 10.5, "y": 20.25, "w": 100.0, "h": 50.0}] if "1" in item.external_id
                  else []}
        queue_direct.submit(me, ann, item.assignment_id, answer, 5.0)  # approved: the project reviews none
        drawn[item.external_id] = answer
    assert export_as(db, operator, "terrain", tmp_path / "out.json", "coco") == 2
    reference = Reference(str(tmp_path / "out.json"))
    names = {img["id"]: img["file_name"] for img in reference.dataset["images"]}
    assert set(names.values()) == {"terrain1.jpg", "terrain2.png"}
    (only,) = reference.loadAnns(reference.getAnnIds())
    assert names[only["image_id"]] == "terrain1.jpg" and only["bbox"] == [10.5, 20.25, 100.0, 50.0]
    assert only["area"] == 5000.0 and reference.loadCats(only["category_id"])[0]["name"] == "car"
    assert {img["width"] for img in reference.dataset["images"]} == {2048, 1024}

    assert export_as(db, operator, "terrain", tmp_path / "yolo", "yolo", val_fraction=0.0) == 2
    label = (tmp_path / "yolo" / "labels" / "train" / "terrain1.txt").read_text()
    assert label == f"1 {(10.5 + 50) / 2048:.6f} {(20.25 + 25) / 1365:.6f} {100 / 2048:.6f} {50 / 1365:.6f}\n"
    assert (tmp_path / "yolo" / "labels" / "train" / "terrain2.txt").read_text() == ""
    assert (tmp_path / "yolo" / "images" / "train" / "terrain1.jpg").is_file()
    assert "names:\n  0: \"human\"\n  1: \"car\"" in (tmp_path / "yolo" / "data.yaml").read_text()
    assert not list(tmp_path.glob("*.part"))


def test_a_yolo_export_reads_back_the_same_boxes(db, operator, tmp_path):
    make_project(db, "doors", kind="image_boxes", config={"labels": ["closed_door", "opened_door", "bus", "number"]})
    with db.write() as s:
        import_items(s, operator, "doors", YOLO, gold=True)
    export_as(db, operator, "doors", tmp_path / "again", "yolo", holds="gold", val_fraction=0.4, seed=7)
    make_project(db, "copy", kind="image_boxes", config={"labels": ["closed_door", "opened_door", "bus", "number"]})
    with db.write() as s:
        assert import_items(s, operator, "copy", tmp_path / "again").added == 5
    with db.read() as s:
        from annotator.db.models import GoldAnswer, Project

        def gold_of(name):
            return {e: g["boxes"] for e, g in s.execute(
                select(Item.external_id, GoldAnswer.answer).join(GoldAnswer, GoldAnswer.item_id == Item.id)
                .join(Project, Project.id == Item.project_id).where(Project.name == name))}

        original = gold_of("doors")
    again = boxes_of(db, "copy")
    for name, boxes in original.items():
        back = again[name]
        assert [b["label"] for b in back] == [b["label"] for b in boxes]
        for b, c in zip(boxes, back):
            assert all(abs(b[k] - c[k]) <= 0.5 for k in "xywh")


def test_a_voc_export_of_rotated_photos_has_upright_sizes_and_reads_back(db, operator, tmp_path):
    """orientation_rectangle.jpg is stored 2×1 with EXIF orientation 8: upright it is 1×2, so a
    size read from the stored pixels would show."""
    folder = tmp_path / "photos"
    folder.mkdir()
    shutil.copy(shared("images", "orientation_rectangle.jpg"), folder)
    shutil.copy(shared("voc-sample", "2011_000003.jpg"), folder)
    jsonl = tmp_path / "gold.jsonl"
    jsonl.write_text(
        json.dumps({"id": "r", "image": str(folder / "orientation_rectangle.jpg"),
                    "answer": {"boxes": [{"label": "dog", "x": 0.0, "y": 0.0, "w": 1.0, "h": 1.0}]}}) + "\n"
        + json.dumps({"id": "v", "image": str(folder / "2011_000003.jpg"),
                      "answer": {"boxes": [{"label": "person", "x": 190.5, "y": 110.0, "w": 120.0, "h": 220.0}]}}) + "\n")
    labels = ["person", "dog"]
    make_project(db, "voc", kind="image_boxes", config={"labels": labels})
    with db.write() as s:
        import_items(s, operator, "voc", jsonl, gold=True)
    assert export_as(db, operator, "voc", tmp_path / "xml", "voc", holds="gold") == 2
    import xml.etree.ElementTree as ET

    rectangle = ET.parse(tmp_path / "xml" / "orientation_rectangle.xml").getroot()
    assert (rectangle.findtext("size/width"), rectangle.findtext("size/height")) == ("1", "2")  # upright: 2×1 turned
    for photo in ("orientation_rectangle.jpg", "2011_000003.jpg"):
        shutil.copy(folder / photo, tmp_path / "xml" / photo)
    make_project(db, "again", kind="image_boxes", config={"labels": labels})
    with db.write() as s:
        assert import_items(s, operator, "again", tmp_path / "xml", gold=True).added == 2
    from annotator.db.models import GoldAnswer

    with db.read() as s:
        back = {e: a for e, a in s.execute(select(Item.external_id, GoldAnswer.answer)
                                             .join(GoldAnswer, GoldAnswer.item_id == Item.id))}
    assert back["2011_000003.jpg"]["boxes"] == [{"label": "person", "x": 190.5, "y": 110.0, "w": 120.0, "h": 220.0}]


def test_a_coco_export_of_a_store_backed_project_fetches_no_image(db, operator, tmp_path, desktop):
    """The sizes were recorded at import: the export writes them with the store gone."""
    share = tmp_path / "share"
    share.mkdir()
    make_project(db, "terrain", kind="image_boxes", config={"labels": ["human", "car", "big_vehicle"]},
                 media_store=str(share))
    desktop("lead")
    with db.write() as s:
        import_items(s, operator, "terrain", COCO / "combined_coco.json", gold=True)
    shutil.rmtree(share)
    assert export_as(db, operator, "terrain", tmp_path / "out.json", "coco", holds="gold") == 2
    coco = json.loads((tmp_path / "out.json").read_text())
    assert {(i["file_name"], i["width"], i["height"]) for i in coco["images"]} == {
        ("terrain1.jpg", 2048, 1365), ("terrain2.png", 1024, 682)}
    assert len(coco["annotations"]) == 12


def test_a_yolo_data_yaml_from_another_machine_and_cocos_crowd_as_a_string(db, operator, tmp_path):
    """The yaml names absolute paths of the machine that made it: read against its own folder, and
    the import says so. A COCO iscrowd of "1" is a crowd region, kept as a box and counted."""
    dataset = tmp_path / "doors"
    shutil.copytree(YOLO / "images", dataset / "images" / "train")
    shutil.copytree(YOLO / "labels", dataset / "labels" / "train")
    names = (YOLO / "classes.txt").read_text().split()
    # Not in the yaml's train split: only a layout guessed instead of the yaml's would take it.
    (dataset / "images" / "unlisted.jpg").write_bytes((YOLO / "images" / "img_1.jpg").read_bytes() + b"\0")
    (dataset / "data.yaml").write_text(
        "path: /home/someone/datasets/doors\ntrain: /home/someone/datasets/doors/images/train\n"
        "names:\n" + "".join(f"  {n}: {name}\n" for n, name in enumerate(names)), encoding="utf-8")
    make_project(db, "doors", kind="image_boxes", config={"labels": names})
    with db.write() as s:
        report = import_items(s, operator, "doors", dataset)
    assert report.added == 5 and report.format == "yolo" and "unlisted.jpg" not in boxes_of(db, "doors")
    assert report.notes == ["2 absolute paths from another machine in data.yaml, looked for beside it"]

    coco = json.loads((COCO / "terrain1_coco.json").read_text())
    coco["annotations"][0]["iscrowd"] = "1"
    (tmp_path / "crowd.json").write_text(json.dumps(coco))
    shutil.copy(COCO / "terrain1.jpg", tmp_path)
    make_project(db, "crowd", kind="image_boxes", config={"labels": ["human"]})
    with db.write() as s:
        report = import_items(s, operator, "crowd", tmp_path / "crowd.json")
    assert "1 crowd regions (kept as boxes)" in report.notes and len(boxes_of(db, "crowd")["terrain1.jpg"]) == 7
