"""Small builders for tests: users and projects through the real services."""

from __future__ import annotations

import os
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
