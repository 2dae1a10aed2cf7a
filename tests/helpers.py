"""Small builders for tests: users and projects through the real services."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from annotator.core.auth import Actor
from annotator.core.projects import ProjectSpec, create_project
from annotator.core.users import add_user
from annotator.db.models import AuditEvent, Item

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = Path(os.environ.get("ANNOTATOR_SHARED_DATA") or REPO.parent / "shared" / "data")


def shared(*parts: str) -> Path:
    """A file in ../shared/data. Skips with a reason when the folder is absent, but never in CI."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        if os.environ.get("CI") == "true" or os.environ.get("ANNOTATOR_REQUIRE_PG") == "1":
            pytest.fail(f"{path} is missing: CI must have ../shared/data beside the checkout")
        pytest.skip(f"{path} is not here (../shared/data is absent)")
    return path


VOC_LABELS = ["aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat", "chair", "cow", "diningtable",
              "dog", "horse", "motorbike", "person", "potted plant", "sheep", "sofa", "train", "tv/monitor"]


def copy_plain_items(db, project_id: int, n: int) -> None:
    """n text items i0… with one open slot each, by PostgreSQL's COPY: the import service would
    take minutes for the hundreds of thousands that the claim index's tests need."""
    raw = db.engine.raw_connection()
    try:
        with raw.driver_connection.cursor().copy(
            "COPY items (project_id, external_id, payload, priority, confidence, open_slots, is_gold, done_by_model,"
            " spot_check, version, created_at) FROM STDIN"
        ) as cp:
            for i in range(n):
                cp.write_row((project_id, f"i{i}", '{"text": "t"}', 0, -1.0, 1, False, False, False, 1,
                              "2026-01-01T00:00:00Z"))
        raw.commit()
    finally:
        raw.close()


def make_user(db, name: str, role: str = "annotator", password: str = "secret") -> Actor:
    with db.write() as s:
        info = add_user(s, Actor.local_operator(), name, password, role)
    return Actor(info.id, info.name, info.role)


def make_project(db, name: str = "p", kind: str = "text_categories", **fields) -> int:
    config = fields.pop("config", None)
    if config is None:
        config = {"labels": VOC_LABELS} if kind == "image_boxes" else ({} if kind == "transcription" else {"labels": ["a", "b", "c"]})
    with db.write() as s:
        return create_project(s, Actor.local_operator(), ProjectSpec(name=name, kind=kind, config=config, **fields)).id


def counts(db) -> tuple[int, int]:
    """(items, audit events): what an all-or-nothing import must leave unchanged on failure."""
    with db.read() as s:
        return s.scalar(select(func.count()).select_from(Item)), s.scalar(select(func.count()).select_from(AuditEvent))


def index_scan_pages(plan: str, index: str) -> int:
    """The pages that the executed scans of `index` touched in an EXPLAIN (ANALYZE, BUFFERS),
    cached or read, in the forms PostgreSQL 15 to 18 print."""
    pages, lines = 0, plan.splitlines()
    for n, line in enumerate(lines):
        if f"Scan using {index}" in line and "never executed" not in line:
            for detail in lines[n + 1:]:
                if "->" in detail:
                    break
                found = re.search(r"Buffers: shared ((?:(?:hit|read|dirtied|written)=\d+ ?)+)", detail)
                if found:
                    pages += sum(int(v) for v in re.findall(r"(?:hit|read)=(\d+)", found.group(1)))
                    break
    assert pages, plan
    return pages
