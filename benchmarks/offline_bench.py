"""Offline bundles: check out 1,000 image items of 12 megapixels and check them back in, on the
embedded SQLite database and on PostgreSQL. Reports seconds and the bundle's size.
Targets (issue 9): checkout ≤ 20 s, check-in ≤ 5 s.

The photos are made here: a few distinct 4000×3000 JPEGs with photo-like detail (about 3 MB
each, like a phone camera's), each copied with its own JPEG comment so all 1,000 files differ
(distinct sha256, so the import keeps every one)."""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image
from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from annotator.config import sqlite_url  # noqa: E402
from annotator.core import offline, queue  # noqa: E402
from annotator.core.auth import Actor, login  # noqa: E402
from annotator.core.importing import import_items  # noqa: E402
from annotator.core.projects import ProjectSpec, create_project  # noqa: E402
from annotator.core.users import add_user  # noqa: E402
from annotator.db import Database, migrate, open_database  # noqa: E402
from annotator.db.models import Assignment  # noqa: E402
from benchmarks.common import drop_pg_schema, fresh_pg_schema, print_table, write_results  # noqa: E402

OPERATOR = Actor.local_operator()
PG_DEFAULT = os.environ.get("ANNOTATOR_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def make_photos(folder: Path, count: int, distinct: int = 8) -> int:
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(7)
    bases = []
    for _ in range(distinct):
        coarse = Image.fromarray(rng.integers(0, 255, (60, 80, 3), dtype=np.uint8)).resize((4000, 3000), Image.BICUBIC)
        grain = rng.normal(0, 9, (3000, 4000, 3))
        pixels = np.clip(np.asarray(coarse, dtype=np.float32) + grain, 0, 255).astype(np.uint8)
        path = folder / "base.jpg"
        Image.fromarray(pixels).save(path, quality=88)
        bases.append(path.read_bytes())
        path.unlink()
    total = 0
    for n in range(count):
        data = bases[n % distinct]
        comment = f"photo {n:05d}".encode()
        segment = b"\xff\xfe" + (len(comment) + 2).to_bytes(2, "big") + comment
        blob = data[:2] + segment + data[2:]  # after SOI: a valid JPEG with its own bytes
        (folder / f"photo_{n:05d}.jpg").write_bytes(blob)
        total += len(blob)
    return total


def prepare(db: Database, photos: Path) -> None:
    with db.write() as s:
        create_project(s, OPERATOR, ProjectSpec(name="photos", kind="image_boxes", config={"labels": ["car", "person"]},
                                                media_root=str(photos)))
        add_user(s, OPERATOR, "ann", "secret", "annotator")
    with db.write() as s:
        import_items(s, OPERATOR, "photos", photos)


def answer_everything(bundle: Path) -> None:
    bdb = open_database(sqlite_url(bundle))
    try:
        with bdb.write() as s:
            actor = login(s, "ann", "secret")
            ids = s.scalars(select(Assignment.id).order_by(Assignment.id)).all()
            for n, aid in enumerate(ids):
                queue.submit(s, actor, aid, {"boxes": [{"label": "car", "x": 10 + n % 50, "y": 20, "w": 300, "h": 200}]}, 0)
    finally:
        bdb.dispose()


def run(db: Database, label: str, count: int, tmp: Path) -> dict:
    bundle = tmp / f"{label}.annot"
    t = time.perf_counter()
    report = offline.checkout(db, OPERATOR, "photos", "ann", count, bundle)
    checkout_s = time.perf_counter() - t
    answer_everything(bundle)
    t = time.perf_counter()
    result = offline.checkin(db, OPERATOR, bundle)
    checkin_s = time.perf_counter() - t
    t = time.perf_counter()
    again = offline.checkin(db, OPERATOR, bundle)
    second_s = time.perf_counter() - t
    assert result.submitted == report.items and again.changed_nothing
    out = {"items": report.items, "checkout_s": round(checkout_s, 2), "checkin_s": round(checkin_s, 2),
           "second_checkin_s": round(second_s, 2), "bundle_mb": round(bundle.stat().st_size / 1e6, 1),
           "media_mb": round(report.media_bytes / 1e6, 1)}
    bundle.unlink()
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pg", default=PG_DEFAULT)
    ap.add_argument("--items", type=int, default=1000)
    ap.add_argument("--quick", action="store_true", help="100 items, for a smoke run")
    a = ap.parse_args()
    count = 100 if a.quick else a.items
    tmp = Path(tempfile.mkdtemp(prefix="annot-offline-"))
    try:
        photos_bytes = make_photos(tmp / "photos", count)
        results = {"photos": count, "photo_mb_each": round(photos_bytes / count / 1e6, 2), "targets": {"checkout_s": 20, "checkin_s": 5}}
        rows = []

        db = open_database(sqlite_url(tmp / "team.sqlite3"))
        prepare(db, tmp / "photos")
        results["sqlite"] = run(db, "sqlite", count, tmp)
        db.dispose()

        base = a.pg.replace("postgresql://", "postgresql+psycopg://") if a.pg.startswith("postgresql://") else a.pg
        url = fresh_pg_schema(base, "annot_offline_bench")
        db = Database(url)
        migrate.upgrade(db.engine)
        prepare(db, tmp / "photos")
        results["postgresql"] = run(db, "pg", count, tmp)
        db.dispose()
        drop_pg_schema(base, "annot_offline_bench")

        for backend in ("sqlite", "postgresql"):
            r = results[backend]
            rows.append([backend, r["items"], r["checkout_s"], r["checkin_s"], r["second_checkin_s"], r["bundle_mb"]])
        print_table(f"Offline bundles: {count} photos of 12 MP ({results['photo_mb_each']} MB each)",
                    ["team database", "items", "checkout s (≤20)", "check-in s (≤5)", "2nd check-in s", "bundle MB"], rows)
        print(f"results: {write_results('offline', results)}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
