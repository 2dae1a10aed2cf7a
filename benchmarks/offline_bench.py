"""Offline bundles: check out 1,000 image items of 12 megapixels and check them back in, on the
embedded SQLite database and on PostgreSQL. Reports seconds and the bundle's size.
Both run through the `annotator` command, as a lead runs them, beside bare scripts (the floors).

The photos are made here: a few distinct 4000×3000 JPEGs with photo-like detail (about 3 MB
each, like a phone camera's), each copied with its own JPEG comment so all 1,000 files differ
(distinct sha256, so the import keeps every one)."""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image
from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from annotator.config import sqlite_url  # noqa: E402
from annotator.core import queue  # noqa: E402
from annotator.core.auth import Actor, login  # noqa: E402
from annotator.core.importing import import_items  # noqa: E402
from annotator.core.projects import ProjectSpec, create_project  # noqa: E402
from annotator.core.users import add_user  # noqa: E402
from annotator.db import Database, migrate, open_database  # noqa: E402
from annotator.db.models import Assignment  # noqa: E402
from benchmarks.common import Measure, drop_pg_schema, fresh_pg_schema, report  # noqa: E402

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
        if not db.is_sqlite:  # on a team database only members claim a project's items
            from annotator.core.members import add_member

            add_member(s, OPERATOR, "ann", "photos")
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


ANNOTATOR = str(Path(sys.executable).with_name("annotator"))

BARE_CHECKOUT = r"""
import os, sqlite3, sys
from pathlib import Path
photos, out = Path(sys.argv[1]), Path(sys.argv[2])
partial = out.with_name(out.name + ".partial")
c = sqlite3.connect(partial)
# The fastest bare way to a complete file: large pages, no journal, and one fsync at the end.
c.execute("PRAGMA page_size=65536")
c.execute("PRAGMA journal_mode=OFF")
c.execute("PRAGMA synchronous=OFF")
c.execute("PRAGMA cache_size=-8000")
c.execute("CREATE TABLE media (name TEXT PRIMARY KEY, data BLOB)")
with c:
    c.executemany("INSERT INTO media VALUES (?, ?)", ((p.name, p.read_bytes()) for p in sorted(photos.glob("*.jpg"))))
c.close()
fd = os.open(partial, os.O_RDONLY); os.fsync(fd); os.close(fd)
os.replace(partial, out)
fd = os.open(out.parent, os.O_RDONLY); os.fsync(fd); os.close(fd)
"""

BARE_CHECKIN = r"""
import json, sqlite3, sys
bundle, team = sys.argv[1], sys.argv[2]
rows = sqlite3.connect(bundle).execute("SELECT uid, answer, active_seconds FROM assignments WHERE answer IS NOT NULL").fetchall()
if team.startswith("postgresql"):
    import psycopg
    with psycopg.connect(team) as c:
        c.cursor().executemany("UPDATE assignments SET answer = %s::jsonb, active_seconds = %s, status = 'submitted' WHERE uid = %s",
                               [(a, s, u) for u, a, s in rows])
else:
    c = sqlite3.connect(team.split(":///", 1)[1])
    with c:
        c.executemany("UPDATE assignments SET answer = ?, active_seconds = ?, status = 'submitted' WHERE uid = ?",
                      [(a, s, u) for u, a, s in rows])
"""


def timed(*args: str) -> float:
    t = time.perf_counter()
    subprocess.run(args, check=True, capture_output=True, text=True)
    return time.perf_counter() - t


def run(db: Database, label: str, count: int, tmp: Path) -> dict:
    """Checkout, check-in and a second check-in through the `annotator` command, as ann runs them
    (on a team database with her own login: each person checks out their own work), beside bare
    scripts doing the same writes (the floors)."""
    url = owner_url = db.engine.url.render_as_string(hide_password=False)
    if not db.is_sqlite:
        from annotator.db.logins import with_login

        url = with_login(url, "ann", "secret")
    bundle = tmp / f"{label}.annot"
    checkout_s = timed(ANNOTATOR, "--db", url, "offline", "checkout", "photos", "--user", "ann", "--count", str(count),
                       "--out", str(bundle))
    answer_everything(bundle)
    checkin_s = timed(ANNOTATOR, "--db", url, "offline", "checkin", str(bundle))
    second_s = timed(ANNOTATOR, "--db", url, "offline", "checkin", str(bundle))
    with db.read() as s:
        submitted = s.scalar(select(func.count()).select_from(Assignment).where(Assignment.answer.is_not(None)))
    assert submitted == count, submitted
    floor_bundle = tmp / f"{label}-floor.annot"
    floor_checkout = timed(sys.executable, "-c", BARE_CHECKOUT, str(tmp / "photos"), str(floor_bundle))
    plain_url = owner_url.replace("postgresql+psycopg://", "postgresql://")  # a bare UPDATE needs the owner's rights
    floor_checkin = timed(sys.executable, "-c", BARE_CHECKIN, str(bundle), plain_url)
    out = {"items": count, "checkout_s": round(checkout_s, 3), "checkin_s": round(checkin_s, 3),
           "second_checkin_s": round(second_s, 3), "bundle_mb": round(bundle.stat().st_size / 1e6, 1),
           "floor_checkout_s": round(floor_checkout, 3), "floor_checkin_s": round(floor_checkin, 3)}
    bundle.unlink()
    floor_bundle.unlink()
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
        results = {"photos": count, "photo_mb_each": round(photos_bytes / count / 1e6, 2)}
        db = open_database(sqlite_url(tmp / "team.sqlite3"))
        prepare(db, tmp / "photos")
        db.dispose()
        results["sqlite"] = run(open_database(sqlite_url(tmp / "team.sqlite3")), "sqlite", count, tmp)

        base = a.pg.replace("postgresql://", "postgresql+psycopg://") if a.pg.startswith("postgresql://") else a.pg
        url = fresh_pg_schema(base, "annot_offline_bench")
        db = Database(url)
        migrate.upgrade(db.engine)
        prepare(db, tmp / "photos")
        results["postgresql"] = run(db, "pg", count, tmp)
        db.dispose()
        drop_pg_schema(base, "annot_offline_bench")
        measures = []
        for backend in ("sqlite", "postgresql"):
            r = results[backend]
            measures += [
                Measure(f"checkout of {count} photos of 12 MP through the CLI ({backend}), fsynced", r["checkout_s"],
                        r["floor_checkout_s"], "s", note="floor: a bare script writing the same files into a SQLite file"),
                Measure(f"check-in of {count} answers through the CLI ({backend})", r["checkin_s"], r["floor_checkin_s"],
                        "s", note="floor: a bare script updating the same rows"),
            ]
        print(f"results: {report('offline', measures, results)}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
