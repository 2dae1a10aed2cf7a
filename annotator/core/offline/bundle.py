"""What is inside a bundle, and the checks on it: the manifest digest that a check-in verifies,
whether a database is a bundle, how much is left in it, and unpacking its media."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from annotator.db.models import Assignment, BundleMedia, Item, OfflineBundle, Project
from annotator.errors import BundleRefused

SUFFIX = ".annot"


def manifest_digest(session: Session, bundle_id: str) -> str:
    """The sha256 of what was checked out: the bundle, its user and project, each claim's uid
    and item, and each item's version and media. Answers and drafts are not in it (they are
    the work); anything else changed in the file makes the digest differ, and the team
    database keeps the digest it computed at checkout."""
    bundle = session.get(OfflineBundle, bundle_id)
    if bundle is None:
        raise BundleRefused(f"The bundle record {bundle_id} is missing.")
    claims = session.execute(
        select(Assignment.uid, Assignment.id, Assignment.item_id, Assignment.user_id, Item.version,
               Item.external_id, Item.media_sha256)
        .join(Item, Item.id == Assignment.item_id)
        .where(Assignment.bundle_id == bundle_id)
        .order_by(Assignment.uid)
    ).all()
    extra = session.scalar(select(func.count()).select_from(Assignment).where(
        (Assignment.bundle_id != bundle_id) | Assignment.bundle_id.is_(None)))
    manifest = {
        "bundle": bundle.id,
        "source": bundle.source_database_id,
        "project": bundle.project_id,
        "user": bundle.user_id,
        "items": bundle.item_count,
        "claims": [list(row) for row in claims],
    }
    if extra:  # only in a bundle: a claim that no checkout made
        manifest["foreign_claims"] = extra
    return hashlib.sha256(json.dumps(manifest, sort_keys=True, default=str).encode()).hexdigest()


def this_bundle(session: Session) -> OfflineBundle | None:
    """The bundle record of a bundle database; None in a team database (whose records describe
    bundles handed out, each from this same database)."""
    from annotator.core.offline.identity import database_id

    rows = session.scalars(select(OfflineBundle).limit(2)).all()
    if len(rows) != 1:
        return None
    return rows[0] if rows[0].source_database_id != database_id(session) else None


def is_bundle(session: Session) -> bool:
    return this_bundle(session) is not None


@dataclass(frozen=True)
class BundleStatus:
    bundle_id: str
    project: str
    left: int  # claims not yet answered
    total: int
    lease_until: datetime
    checked_in_at: datetime | None
    source_url: str


def bundle_status(session: Session) -> BundleStatus | None:
    """For the title bar: None online; otherwise how many items are left to do."""
    bundle = this_bundle(session)
    if bundle is None:
        return None
    left = session.scalar(
        select(func.count()).select_from(Assignment).where(Assignment.bundle_id == bundle.id, Assignment.answer.is_(None),
                                                           Assignment.skipped.is_(False))
    )
    project = session.get(Project, bundle.project_id)
    return BundleStatus(bundle.id, project.name, left or 0, bundle.item_count, bundle.lease_until, bundle.checked_in_at,
                        bundle.source_url)


def unpack_media(session: Session, into: Path) -> int:
    """Write the bundle's media files into a folder (once: a file already there with the
    right size is kept) and point the project at it. Returns how many files were written."""
    bundle = this_bundle(session)
    if bundle is None:
        return 0
    folder = into / bundle.id
    folder.mkdir(parents=True, exist_ok=True)
    written = 0
    for sha, name, size in session.execute(select(BundleMedia.sha256, BundleMedia.name, BundleMedia.size)).all():
        target = folder / name
        if target.exists() and target.stat().st_size == size:
            continue
        data = session.scalar(select(BundleMedia.data).where(BundleMedia.sha256 == sha))
        if hashlib.sha256(data).hexdigest() != sha:
            raise BundleRefused(f"The media file {name} in this bundle is damaged (its sha256 does not match).")
        partial = target.with_name(target.name + ".partial")
        partial.write_bytes(data)
        os.replace(partial, target)
        written += 1
    project = session.get(Project, bundle.project_id)
    if project.media_root != str(folder):
        project.media_root = str(folder)
    return written
