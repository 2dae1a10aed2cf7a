"""Data in and out (issue 19), on the embedded SQLite database, each beside a bare floor of the
same run: importing 100,000 text items from a CSV (the floor: csv.reader and sqlite3's
executemany of the same rows); importing 10,000 photos, checked, hashed and their rows written
(the floor: Pillow's header read and sha256 of the same files); a COCO export of 500,000 boxes over 100,000 images (the floor:
json.dump of the same dict built in memory), with the peak memory of each, in processes of their
own; and MTurk's results CSV of 100,000 assignments (the floor: csv.writer of the same rows).

usage: python benchmarks/formats_bench.py [--quick]"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # in_fresh_process makes a QApplication

from benchmarks.common import Measure, report  # noqa: E402

LABELS = ["person", "car", "dog", "bicycle", "traffic light"]


def peak_mb() -> float:
    from benchmarks.canvas_floors import peak_rss_mb

    return peak_rss_mb()


def text_import(tmp: Path, rows: int) -> tuple[float, float]:
    from annotator.config import sqlite_url
    from annotator.core.auth import Actor
    from annotator.core.importing import import_items
    from annotator.core.projects import ProjectSpec, create_project
    from annotator.db import open_database

    source = tmp / "texts.csv"
    with source.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "text"])
        writer.writerows((f"t{n}", f"Message {n}: my card payment of {n % 977} was declined twice") for n in range(rows))
    db = open_database(sqlite_url(tmp / "text.sqlite3"))
    with db.write() as s:
        create_project(s, Actor.local_operator(), ProjectSpec(name="texts", kind="text_categories",
                                                              config={"labels": ["a", "b"]}))
    start = time.perf_counter()
    with db.write() as s:
        import_items(s, Actor.local_operator(), "texts", source)
    ours = time.perf_counter() - start
    db.dispose()
    conn = sqlite3.connect(tmp / "text.sqlite3")  # the floor: the same rows, the same table, the bare driver
    start = time.perf_counter()
    with source.open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        next(reader)
        conn.executemany(
            "INSERT INTO items (project_id, external_id, payload, priority, confidence, open_slots, is_gold, "
            "done_by_model, spot_check, version, created_at) VALUES (2, ?, ?, 0, -1, 1, 0, 0, 0, 1, '2026-12-03')",
            ((f"floor-{i}", json.dumps({"text": text})) for i, text in reader))
    conn.commit()
    floor = time.perf_counter() - start
    conn.close()
    return rows / ours, rows / floor


def image_import(tmp: Path, count: int) -> tuple[float, float]:
    """Photos of 640×480, distinct bytes each (a tail after the JPEG's end), into a project whose
    media are files by path."""
    import hashlib

    from PIL import Image

    from annotator.config import sqlite_url
    from annotator.core.auth import Actor
    from annotator.core.importing import import_items
    from annotator.core.projects import ProjectSpec, create_project
    from annotator.db import open_database

    folder = tmp / "photos"
    folder.mkdir()
    base = tmp / "base.jpg"
    Image.effect_noise((640, 480), 40).convert("RGB").save(base, quality=85)
    data = base.read_bytes()
    for n in range(count):
        (folder / f"p{n:05d}.jpg").write_bytes(data + n.to_bytes(4, "big"))
    files = sorted(folder.iterdir())
    start = time.perf_counter()  # the floor first, so the page cache is as warm for ours
    for path in files:
        with Image.open(path) as img:
            img.size
        hashlib.sha256(path.read_bytes()).hexdigest()
    floor = time.perf_counter() - start
    db = open_database(sqlite_url(tmp / "photos.sqlite3"))
    with db.write() as s:
        create_project(s, Actor.local_operator(), ProjectSpec(name="photos", kind="image_boxes",
                                                              config={"labels": LABELS}))
    start = time.perf_counter()
    with db.write() as s:
        import_items(s, Actor.local_operator(), "photos", folder)
    ours = time.perf_counter() - start
    db.dispose()
    return count / ours, count / floor


def coco_dataset(images: int, boxes: int) -> tuple[list, list]:
    rng = random.Random(7)
    sizes = [(640, 480), (1280, 720), (500, 375)]
    items, anns = [], []
    for n in range(images):
        w, h = sizes[n % 3]
        items.append((f"img_{n:06d}.jpg", w, h))
    for n in range(boxes):
        i = n % images
        w, h = sizes[i % 3]
        x, y = rng.uniform(0, w - 20), rng.uniform(0, h - 20)
        anns.append((i, rng.choice(LABELS), round(x, 2), round(y, 2), round(rng.uniform(5, w - x), 2),
                     round(rng.uniform(5, h - y), 2)))
    return items, anns


def coco_setup(tmp: str, images: int, boxes: int) -> dict:
    """A database holding the boxes as gold, each item's image a link to one of three real files."""
    from annotator.config import sqlite_url
    from annotator.core.auth import Actor
    from annotator.core.projects import ProjectSpec, create_project
    from annotator.db import open_database
    from annotator.db.models import GoldAnswer, Item
    from PIL import Image
    from sqlalchemy import insert

    folder = Path(tmp)
    items, anns = coco_dataset(images, boxes)
    # Images of the three sizes, each item's path a link to one: the export reads each header.
    for w, h in {(w, h) for _, w, h in items}:
        Image.new("RGB", (w, h), "grey").save(folder / f"base_{w}x{h}.jpg")
    media = folder / "media"
    media.mkdir()
    for name, w, h in items:
        (media / name).symlink_to(folder / f"base_{w}x{h}.jpg")
    per_item: dict[int, list] = {}
    for i, label, x, y, w, h in anns:
        per_item.setdefault(i, []).append({"label": label, "x": x, "y": y, "w": w, "h": h})
    db = open_database(sqlite_url(folder / "coco.sqlite3"))
    with db.write() as s:
        pid = create_project(s, Actor.local_operator(), ProjectSpec(name="boxes", kind="image_boxes",
                                                                    config={"labels": LABELS})).id
        ids = s.scalars(insert(Item).returning(Item.id, sort_by_parameter_order=True), [
            {"project_id": pid, "external_id": name, "payload": {"image": str(media / name)}, "media_sha256": None,
             "width": w, "height": h,  # as the import records them
             "priority": 0, "open_slots": 0, "is_gold": True, "confidence": -1.0} for name, w, h in items]).all()
        s.execute(insert(GoldAnswer), [{"item_id": item_id, "answer": {"boxes": per_item.get(n, [])}}
                                       for n, item_id in enumerate(ids)])
    db.dispose()
    return {"items": len(ids)}


def coco_ours(tmp: str) -> dict:
    """Our export of that database through export_as, in a process of its own: its peak is the export's."""
    from annotator.config import sqlite_url
    from annotator.core.auth import Actor
    from annotator.core.export_formats import export_as
    from annotator.db import open_database

    db = open_database(sqlite_url(Path(tmp) / "coco.sqlite3"))
    start = time.perf_counter()
    export_as(db, Actor.local_operator(), "boxes", Path(tmp) / "ours.json", "coco", holds="gold")
    return {"seconds": time.perf_counter() - start, "peak_mb": peak_mb()}


def coco_floor(tmp: str, images: int, boxes: int) -> dict:
    """json.dump of the same COCO dict, built in memory: the floor the issue names."""
    items, anns = coco_dataset(images, boxes)
    start = time.perf_counter()
    category = {label: n for n, label in enumerate(LABELS, 1)}
    data = {"images": [{"id": n + 1, "file_name": name, "width": w, "height": h} for n, (name, w, h) in enumerate(items)],
            "annotations": [{"id": n + 1, "image_id": i + 1, "category_id": category[label], "bbox": [x, y, w, h],
                             "area": round(w * h, 3), "iscrowd": 0, "segmentation": []}
                            for n, (i, label, x, y, w, h) in enumerate(anns)],
            "categories": [{"id": i, "name": label} for label, i in category.items()]}
    with open(Path(tmp) / "floor.json", "w", encoding="utf-8") as fh:
        json.dump(data, fh)
    return {"seconds": time.perf_counter() - start, "peak_mb": peak_mb()}


def mturk(tmp: Path, assignments: int) -> tuple[float, float]:
    from datetime import datetime, timedelta, timezone

    from annotator.formats.mturk import ResultRow, write_results

    when = datetime(2026, 12, 3, tzinfo=timezone.utc)
    rows = [ResultRow(f"t{n // 3}", f"uid-{n:08d}", f"worker{n % 50}", "approved", when, when + timedelta(seconds=30),
                      when + timedelta(days=1), 30.4, 35, 36, {"text": f"Message {n // 3} about an order"},
                      {"label": "billing"}) for n in range(assignments)]
    start = time.perf_counter()
    with (tmp / "ours.csv").open("w", encoding="utf-8", newline="") as fh:
        write_results(fh, ["text"], ["label"], iter(rows))
    ours = time.perf_counter() - start
    start = time.perf_counter()  # the floor: csv.writer of the same rows, already formatted
    flat = [[r.item, r.assignment, r.worker, "Approved", "Thu Dec 03 00:00:00 UTC 2026", "Thu Dec 03 00:00:30 UTC 2026",
             "Fri Dec 04 00:00:00 UTC 2026", 30, "97% (35/36)", r.payload["text"], "billing", "", ""] for r in rows]
    with (tmp / "floor.csv").open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(flat)
    floor = time.perf_counter() - start
    return ours, floor


def main() -> None:
    from benchmarks.common import in_fresh_process

    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    a = ap.parse_args()
    scale = 10 if a.quick else 1
    tmp = Path(tempfile.mkdtemp(prefix="annot-formats-"))
    try:
        texts_ours, texts_floor = text_import(tmp, 100_000 // scale)
        photos_ours, photos_floor = image_import(tmp, 10_000 // scale)
        images, boxes = 100_000 // scale, 500_000 // scale
        (tmp / "coco").mkdir()
        in_fresh_process("benchmarks.formats_bench", "coco_setup", str(tmp / "coco"), images, boxes)
        ours = in_fresh_process("benchmarks.formats_bench", "coco_ours", str(tmp / "coco"))
        floor = in_fresh_process("benchmarks.formats_bench", "coco_floor", str(tmp / "coco"), images, boxes)
        mturk_ours, mturk_floor = mturk(tmp, 100_000 // scale)
        measures = [
            Measure(f"import of {100_000 // scale:,} text items from a CSV", round(texts_ours), round(texts_floor),
                    "items/s", target=0.5, higher_is_better=True,
                    note="floor: csv.reader and sqlite3 executemany of the same rows into the same table"),
            Measure(f"import of {10_000 // scale:,} photos (checked, hashed, rows)", round(photos_ours),
                    round(photos_floor), "photos/s", target=0.7, higher_is_better=True,
                    note="floor: Pillow's header read and sha256 of the same files, one after another"),
            Measure(f"COCO export of {boxes:,} boxes over {images:,} images", round(ours["seconds"] * 1000),
                    round(floor["seconds"] * 1000), "ms", target=2.0,
                    note="floor: json.dump of the same dict built in memory"),
            Measure("COCO export, peak memory", round(ours["peak_mb"], 1), round(floor["peak_mb"], 1), "MB", limit=200,
                    note="each in a process of its own; the floor's grows with the data"),
            Measure(f"MTurk results CSV of {100_000 // scale:,} assignments", round(mturk_ours * 1000),
                    round(mturk_floor * 1000), "ms", target=2.0, note="floor: csv.writer of the same rows, formatted"),
        ]
        print(f"results: {report('formats', measures, {'scale': 1 / scale})}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
