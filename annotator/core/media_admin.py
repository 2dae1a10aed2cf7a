"""A lead's and an admin's work on a project's media store: checking every object is there and
unchanged (`annotator media verify`), and moving a project's files into a store (`annotator media
migrate`), resumable, with its items untouched until every object is in."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from annotator.core import audit, media_faults
from annotator.core.auth import Actor, require
from annotator.core.media_upload import PARALLEL, upload_missing
from annotator.core.projects import get_project
from annotator.db.base import utcnow
from annotator.db.models import Item
from annotator.errors import AnnotatorError
from annotator.media import file_sha256, resolve
from annotator.media.cache import HashingWriter
from annotator.media.desktop import store_for
from annotator.media.store import ObjectMissing, StoreError, normalize_url
from annotator.tasks import registry

Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class Problem:
    item_id: int
    external_id: str
    sha256: str
    where: str
    problem: str  # "missing", "changed" or the store's message


@dataclass(frozen=True)
class Verified:
    project_id: int
    problems: list[Problem]
    whole: list[int]  # the items whose objects are there and match


def verify(session: Session, actor: Actor, project_ref: str | int, *, progress: Progress | None = None) -> Verified:
    """Every object of the project read back from its store and hashed: what is missing or changed.
    `record_verified` then writes it down for the lead's queue status."""
    require(actor, "lead", "verify a project's media")
    project = get_project(session, project_ref)
    if not project.media_store:
        raise AnnotatorError(f"{project.name} keeps its media as files by path, in no store; "
                             f"`annotator media migrate {project.name} --to URL` moves them into one.")
    store = store_for(project.media_store)
    store.check()
    items = session.execute(select(Item.id, Item.external_id, Item.media_sha256)
                            .where(Item.project_id == project.id, Item.media_sha256.is_not(None))
                            .order_by(Item.id)).all()

    def one(row) -> Problem | None:
        item_id, external_id, sha = row
        out = HashingWriter()
        try:
            store.fetch(sha, out)
        except ObjectMissing:
            return Problem(item_id, external_id, sha, store.where(sha), "missing")
        except StoreError as exc:
            return Problem(item_id, external_id, sha, store.where(sha), str(exc))
        return None if out.digest.hexdigest() == sha else Problem(item_id, external_id, sha, store.where(sha), "changed")

    problems, whole = [], []
    with ThreadPoolExecutor(PARALLEL) as pool:
        for n, (row, found) in enumerate(zip(items, pool.map(one, items)), 1):
            if found:
                problems.append(found)
            else:
                whole.append(row[0])
            if progress:
                progress(n, len(items), f"verified {n} of {len(items)}")
    return Verified(project.id, problems, whole)


# A verify's problem, as the item's fault and what its detail says.
FAULTS = {"missing": ("missing", "no such object in the store"),
          "changed": ("mismatch", "the object does not match its hash: it changed after import")}


def record_verified(session: Session, actor: Actor, verified: Verified) -> int:
    """The verify's findings as the items' faults: those missing or changed are flagged for the
    lead, the faults of those found whole are closed. Returns how many were closed."""
    now = utcnow()
    items = {i.id: i for i in session.scalars(select(Item).where(Item.id.in_([p.item_id for p in verified.problems])))}
    for p in verified.problems:
        if p.problem in FAULTS and p.item_id in items:
            kind, said = FAULTS[p.problem]
            media_faults.record(session, actor, items[p.item_id], kind, f"{p.where}: {said} (media verify)", now=now)
    return media_faults.resolve(session, verified.project_id, verified.whole, now=now)


def migrate(session: Session, actor: Actor, project_ref: str | int, to_url: str, *,
            progress: Progress | None = None) -> int:
    """Uploads every media file of the project that the store lacks, then, in this one
    transaction, points the items at their objects and the project at the store. Interrupted, it
    leaves the items as they were; run again, it uploads only what is missing. Returns how many
    objects it uploaded."""
    require(actor, "admin", "move a project's media into a store")
    project = get_project(session, project_ref, lock=True)
    url = normalize_url(to_url)
    if project.media_store:
        raise AnnotatorError(f"{project.name}'s media are in {project.media_store} already.")
    fields = registry.get(project.kind).media_fields
    files: dict[str, Path] = {}
    changes = []
    rows = session.execute(select(Item.id, Item.payload, Item.media_sha256).where(Item.project_id == project.id)).all()
    for n, (item_id, payload, sha) in enumerate(rows, 1):
        field = next((f for f in fields if f in payload), None)
        if field is None:
            continue
        path = resolve(project.media_root, str(payload[field]))
        if not path.is_file():
            raise AnnotatorError(f"Item {item_id}'s {field} {path} is not on this desktop; run the migration where "
                                 "the project's files are.")
        digest = file_sha256(path)
        if sha and digest != sha:
            raise AnnotatorError(f"{path} changed since it was imported (its hash is not the item's); "
                                 "nothing was moved.")
        files[digest] = path
        changes.append({"id": item_id, "payload": {**payload, field: path.name}, "media_sha256": digest})
        if progress:
            progress(n, len(rows), f"hashed {path.name}")
    uploaded = upload_missing(store_for(url), files, progress=progress)
    if changes:
        session.execute(update(Item), changes)
    project.media_store = url
    audit.record(session, actor, "project.media_migrate", "project", project.id, to=url, objects=len(files),
                 uploaded=uploaded)
    return uploaded
