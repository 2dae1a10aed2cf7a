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

from annotator.core import audit
from annotator.core.auth import Actor, require
from annotator.core.media_upload import PARALLEL, upload_missing
from annotator.core.projects import get_project
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
    external_id: str
    sha256: str
    where: str
    problem: str  # "missing", "changed" or the store's message


def verify(session: Session, actor: Actor, project_ref: str | int, *, progress: Progress | None = None) -> list[Problem]:
    """Every object of the project read back from its store and hashed: what is missing or changed."""
    require(actor, "lead", "verify a project's media")
    project = get_project(session, project_ref)
    if not project.media_store:
        raise AnnotatorError(f"{project.name} keeps its media as files by path, in no store; "
                             f"`annotator media migrate {project.name} --to URL` moves them into one.")
    store = store_for(project.media_store)
    store.check()
    items = session.execute(select(Item.external_id, Item.media_sha256)
                            .where(Item.project_id == project.id, Item.media_sha256.is_not(None))
                            .order_by(Item.id)).all()

    def one(row) -> Problem | None:
        external_id, sha = row
        out = HashingWriter()
        try:
            store.fetch(sha, out)
        except ObjectMissing:
            return Problem(external_id, sha, store.where(sha), "missing")
        except StoreError as exc:
            return Problem(external_id, sha, store.where(sha), str(exc))
        return None if out.digest.hexdigest() == sha else Problem(external_id, sha, store.where(sha), "changed")

    problems = []
    with ThreadPoolExecutor(PARALLEL) as pool:
        for n, found in enumerate(pool.map(one, items), 1):
            if found:
                problems.append(found)
            if progress:
                progress(n, len(items), f"verified {n} of {len(items)}")
    return problems


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
