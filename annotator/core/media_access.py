"""Items' media from their project's store, through this desktop's verified cache, for the
workbench and the review window. Runs on the worker thread, never the UI's: the claim-ahead
fetches the next item's object while the current one is worked on, so a store-backed claim does
not wait on the network."""

from __future__ import annotations

import dataclasses
import logging
from typing import Any, Callable, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from annotator.core import media_faults, review
from annotator.core.auth import Actor
from annotator.core.queue_items import ClaimedItem
from annotator.db import Database
from annotator.db.models import Item, Project
from annotator.media.arriving import ArrivingBytes
from annotator.media.desktop import local_copy, store_for
from annotator.media.store import StoreError, StoreUnreachable
from annotator.tasks import registry

log = logging.getLogger(__name__)
Shown = TypeVar("Shown")  # a ClaimedItem or a review.ReviewDetail: kind, payload, external_id, media_error


def localize(db: Database, actor: Actor, claimed: ClaimedItem | None,
             watch: Callable[[ArrivingBytes], None] | None = None) -> ClaimedItem | None:
    """The claimed item with its media pointing at a verified local copy; or, when the object
    cannot be had, with `media_error` saying which object, where, and why. An object missing or
    changed is reported for a lead. `watch` is handed the bytes of a fetch as they arrive (a
    widget's decode starts on them: media/arriving.py)."""
    if claimed is None or not _media_field(claimed.kind, claimed.payload):
        return claimed
    with db.read() as session:
        shown, fault = with_local_media(session, claimed, Project.id == claimed.project_id, watch)
    _report(db, actor, shown, fault)
    return shown


def review_detail(db: Database, actor: Actor, assignment_id: int) -> review.ReviewDetail:
    """A lead's review detail, its media read the same way."""
    with db.read() as session:
        detail = review.review_detail(session, actor, assignment_id)
        if not _media_field(detail.kind, detail.payload):
            return detail
        shown, fault = with_local_media(session, detail, Project.name == detail.project)
    _report(db, actor, shown, fault)
    return shown


def _report(db: Database, actor: Actor, shown, kind: str | None) -> None:
    if kind is None:
        return
    try:
        with db.write() as session:
            media_faults.report(session, actor, shown.assignment_id, kind, shown.media_error)
    except Exception:  # the item still shows its message and can be skipped; the next read reports again
        log.exception("could not report the media fault of assignment %s", shown.assignment_id)


def _media_field(kind: str, payload: dict[str, Any]) -> str | None:
    return next((f for f in registry.get(kind).media_fields if f in payload), None)


def with_local_media(session: Session, shown: Shown, which_project,
                     watch: Callable[[ArrivingBytes], None] | None = None) -> tuple[Shown, str | None]:
    """The item pointing at its local copy, and the fault ("missing", "mismatch") if it has none."""
    found = session.execute(
        select(Project.media_store, Item.media_sha256).join(Item, Item.project_id == Project.id)
        .where(which_project, Item.external_id == shown.external_id)
    ).first()
    if found is None or not found[0] or not found[1]:
        return shown, None  # files by path, as before stores
    store_url, sha = found
    try:
        path = local_copy(store_url, sha, watch)
    except StoreError as exc:
        log.warning("item %s: %s", shown.external_id, exc)
        if isinstance(exc, StoreUnreachable) and hasattr(shown, "media_unreachable"):
            return dataclasses.replace(shown, media_error=str(exc), media_unreachable=True), None
        return dataclasses.replace(shown, media_error=str(exc)), media_faults.kind_of(exc)
    except OSError as exc:  # this desktop's cache folder cannot be written
        return dataclasses.replace(shown, media_error=f"{store_for(store_url).where(sha)}: {exc}"), None
    field = _media_field(shown.kind, shown.payload)
    return dataclasses.replace(shown, payload={**shown.payload, field: str(path),
                                               "original_name": shown.payload[field]}), None
