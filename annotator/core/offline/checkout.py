"""Check out: claim N items for one user with the project's offline lease, and write them, with
their media and the user's drafts, into one bundle file.

All or nothing. The claims are made in one team-database transaction that commits only once
the bundle is complete and renamed into place; until then the bundle is built under a
temporary name that is deleted on any failure (or Ctrl+C). A checkout cut short leaves no
half bundle and no stray claims."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Callable

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from annotator.core import audit
from annotator.core.auth import Actor, require
from annotator.core.offline.bundle import manifest_digest
from annotator.core.offline.identity import database_id
from annotator.core.projects import get_project
from annotator.core.queue import claim_next
from annotator.db import Database, open_database
from annotator.db.base import utcnow
from annotator.db.models import (
    Assignment,
    Item,
    Membership,
    OfflineBundle,
    Project,
    User,
)
from annotator.errors import AnnotatorError, BadInput, NotFound, NothingLeft
from annotator.media import resolve
from annotator.tasks import registry

Progress = Callable[[int, int], None]  # (done, total) items written


@dataclass(frozen=True)
class CheckoutReport:
    bundle_id: str
    path: Path
    items: int
    media_files: int
    media_bytes: int
    lease_until: datetime


def checkout(
    db: Database,
    actor: Actor,
    project_ref: str | int,
    user_name: str,
    count: int,
    out: Path,
    *,
    progress: Progress | None = None,
    now: datetime | None = None,
) -> CheckoutReport:
    out = Path(out)
    if count < 1:
        raise AnnotatorError("The count must be at least 1.")
    if out.exists():
        raise AnnotatorError(f"{out} already exists; choose another file name (an existing bundle is never overwritten).")
    if not out.parent.is_dir():
        raise AnnotatorError(f"The folder {out.parent} does not exist.")
    now = now or utcnow()
    bundle_id = str(uuid.uuid4())
    partial = out.with_name(f".{out.name}.{bundle_id[:8]}.partial")
    try:
        with db.write() as session:
            on_server = not db.is_sqlite
            if on_server:  # a team database: the login checks out its own work, and the server records it
                from annotator.core.offline import on_server as team

                user = team.checkout_user(session, actor, user_name, db.engine.url.password, now)
            else:
                user = session.scalar(select(User).where(User.name == user_name))
                if user is None or not user.active:
                    raise NotFound(f"There is no active user called {user_name!r}.")
                if actor.id != user.id:
                    require(actor, "lead", "check out work for someone else")
            project = get_project(session, project_ref)
            worker = Actor(user.id, user.name, "annotator")
            claimed = _claim(session, worker, project, count, bundle_id, now, lengthen=not on_server)
            lease_until = now + timedelta(seconds=project.offline_lease_seconds)
            record = OfflineBundle(
                id=bundle_id, source_database_id=database_id(session), source_url=db.describe(), project_id=project.id,
                user_id=user.id, created_at=now, lease_until=lease_until, item_count=len(claimed), manifest_sha256="",
            )
            media = _write_bundle(session, project, user, claimed, record, partial, progress)
            record.manifest_sha256 = media.digest
            if on_server:
                lease_until = team.record_checkout(session, record, claimed, str(out), now)
            else:
                session.add(record)
                audit.record(session, actor, "offline.checkout", "bundle", bundle_id, user=user.name,
                             project_id=project.id, items=len(claimed), file=str(out))
            session.flush()
            _fsync(partial)  # renamed means complete, after a power loss too: the bytes first,
            os.replace(partial, out)
            _fsync(out.parent)  # then the folder's entry for the new name
            # Leaving the block commits the claims. Should that fail, the bundle goes too.
    except BaseException:
        _remove(partial)
        if out.exists() and not _is_committed(db, bundle_id):
            _remove(out)
        raise
    return CheckoutReport(bundle_id, out, len(claimed), media.files, media.bytes, lease_until)


def _claim(session: Session, worker: Actor, project: Project, count: int, bundle_id: str, now: datetime, *,
           lengthen: bool) -> list[int]:
    """Claim through the queue (so gold comes in its normal mix and the user's own open work
    comes first), then, with `lengthen`, give them the project's offline lease (on a team
    database the server does, as it records the checkout)."""
    ids: list[int] = []
    for _ in range(count):
        try:
            claimed = claim_next(session, worker, project.id, holding=tuple(ids), now=now)
        except NothingLeft:
            break
        ids.append(claimed.assignment_id)
    if not ids:
        raise NothingLeft(f"Nothing is left for {worker.name} in {project.name} to check out.")
    if not lengthen:
        return ids
    session.execute(
        update(Assignment).where(Assignment.id.in_(ids)).values(
            lease_until=now + timedelta(seconds=project.offline_lease_seconds), offline=True, bundle_id=bundle_id)
    )
    return ids


@dataclass
class _Written:
    digest: str
    files: int
    bytes: int


def _write_bundle(
    team: Session, project: Project, user: User, assignment_ids: list[int], record: OfflineBundle, path: Path,
    progress: Progress | None,
) -> _Written:
    from annotator.config import sqlite_url

    kind = registry.get(project.kind)
    assignments = team.scalars(select(Assignment).where(Assignment.id.in_(assignment_ids)).order_by(Assignment.id)).all()
    items = {i.id: i for i in team.scalars(select(Item).where(Item.id.in_([a.item_id for a in assignments])))}
    with sqlite3.connect(path) as conn:  # big pages: media blobs take far fewer overflow pages
        conn.execute("PRAGMA page_size=65536")
        conn.execute("VACUUM")
    open_database(sqlite_url(path)).dispose()  # the schema, by the migrations
    bundle_db = Database(sqlite_url(path), engine=_build_engine(path))
    try:
        with bundle_db.write() as b:
            database_id(b)  # the bundle's own identity, unlike the team database's in its record
            b.execute(insert(User).values(id=user.id, name=user.name, password_hash=user.password_hash, role="annotator",
                                          active=True, created_at=user.created_at))
            b.execute(insert(Project).values(**_offline_project(project)))
            b.execute(insert(Membership).values(user_id=user.id, project_id=project.id, state="active", reason="",
                                                since=record.created_at, gold_countdown=0))
            b.add(OfflineBundle(**{c.key: getattr(record, c.key) for c in OfflineBundle.__table__.columns}))
            b.flush()
            written = _Written("", 0, 0)
            seen: set[str] = set()
            media = _MediaReader(project, [(items[a.item_id], f) for a in assignments for f in kind.media_fields
                                           if f in items[a.item_id].payload])
            try:
                for n, a in enumerate(assignments, 1):
                    item = items[a.item_id]
                    payload = dict(item.payload)
                    for field in kind.media_fields:
                        if field in payload:
                            payload[field] = _bundle_media(b, media.next(), seen, written)
                    # Gold items travel as ordinary ones: no flag and no answer, so nothing in the
                    # file tells them apart. They are scored at check-in.
                    b.execute(insert(Item).values(
                        id=item.id, project_id=project.id, external_id=item.external_id, payload=payload,
                        media_sha256=item.media_sha256, priority=item.priority, prediction=item.prediction,
                        confidence=item.confidence, open_slots=0, is_gold=False, done_by_model=False, spot_check=False,
                        version=item.version, created_at=item.created_at,
                    ))
                    b.execute(insert(Assignment).values(
                        id=a.id, uid=a.uid, item_id=a.item_id, user_id=user.id, project_id=project.id, status="claimed",
                        claimed_at=a.claimed_at, lease_until=record.lease_until, active_seconds=a.active_seconds, draft=a.draft,
                        is_gold=False, needs_review=False, skipped=False, offline=True, bundle_id=record.id,
                    ))
                    if progress:
                        progress(n, len(assignments))
            finally:
                media.close()
            b.flush()
            written.digest = manifest_digest(b, record.id)
    finally:
        bundle_db.dispose()
    return written


def _build_engine(path: Path):
    """The bundle is written under a temporary name and renamed when complete, so a crash
    mid-way is handled by deleting it: no journal, no syncs, a single self-contained file."""
    from sqlalchemy import create_engine, event

    engine = create_engine(f"sqlite:///{path}")

    @event.listens_for(engine, "connect")
    def _fast(dbapi_conn, _record):
        dbapi_conn.isolation_level = None
        dbapi_conn.execute("PRAGMA journal_mode=OFF")
        dbapi_conn.execute("PRAGMA synchronous=OFF")
        dbapi_conn.execute("PRAGMA cache_size=-8000")  # blobs pass through; caching them only costs
        dbapi_conn.execute("PRAGMA foreign_keys=ON")

    @event.listens_for(engine, "begin")
    def _begin(conn):
        conn.exec_driver_sql("BEGIN")

    return engine


def _offline_project(project: Project) -> dict:
    """The project as the bundle holds it: no gold (it is mixed in already), no qualification
    (checked at checkout), every answer waiting for the check-in."""
    row = {c.key: getattr(project, c.key) for c in Project.__table__.columns}
    row.update(gold_rate=0.0, qualification_project_id=None, qualification_min_accuracy=None, min_gold_accuracy=None,
               min_approval_rate=None, review_policy="all", review_sample=0.0, training_mode=False, media_root=None)
    return row


class _MediaReader:
    """Reads and hashes the media files a few ahead on a thread (both release the GIL), while
    the bundle's writes run on the caller's: the checkout's time is the slower of the two."""

    AHEAD = 4

    def __init__(self, project: Project, wanted: list[tuple[Item, str]]):
        from collections import deque
        from concurrent.futures import ThreadPoolExecutor

        self.project, self.wanted = project, iter(wanted)
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="bundle-media")
        self.queue: deque = deque()
        for _ in range(self.AHEAD):
            self._submit()

    def _submit(self) -> None:
        nxt = next(self.wanted, None)
        if nxt is not None:
            self.queue.append(self.pool.submit(self._read, *nxt))

    def _read(self, item: Item, field: str) -> tuple[Path, bytes, str]:
        if self.project.media_store and item.media_sha256:
            # From this desktop's cache where it can, else fetched into it (verified either way).
            from annotator.media.desktop import local_copy
            from annotator.media.store import StoreError

            try:
                data = local_copy(self.project.media_store, item.media_sha256).read_bytes()
            except (StoreError, OSError) as exc:
                raise BadInput(self.project.media_store, f"the media of item {item.external_id}: {exc}",
                               field=field) from None
            return Path(str(item.payload[field])), data, item.media_sha256  # the original name, for its suffix
        source = resolve(self.project.media_root, str(item.payload[field]))
        try:
            data = source.read_bytes()
        except OSError as exc:
            raise BadInput(str(source), f"the media file of item {item.external_id} cannot be read "
                           f"({exc.strerror or exc}).", field=field) from None
        return source, data, hashlib.sha256(data).hexdigest()

    def next(self) -> tuple[Path, bytes, str]:
        future = self.queue.popleft()
        self._submit()
        try:
            return future.result()
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        for f in self.queue:
            f.cancel()
        self.pool.shutdown(wait=True)


def _bundle_media(b: Session, media: tuple[Path, bytes, str], seen: set[str], written: _Written) -> str:
    source, data, sha = media
    name = sha[:32] + source.suffix.lower()
    if sha not in seen:
        seen.add(sha)
        # Straight into the row's blob: one copy of the bytes, not SQLite's bind-then-copy.
        conn = b.connection().connection.driver_connection
        cursor = conn.execute("INSERT INTO bundle_media (sha256, name, size, data) VALUES (?, ?, ?, zeroblob(?))",
                              (sha, name, len(data), len(data)))
        with conn.blobopen("bundle_media", "data", cursor.lastrowid) as blob:
            blob.write(data)
        written.files += 1
        written.bytes += len(data)
    return name


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _remove(path: Path) -> None:
    for p in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm"),
              path.with_name(path.name + "-journal")):
        try:
            p.unlink()
        except FileNotFoundError:
            pass


def _is_committed(db: Database, bundle_id: str) -> bool:
    try:
        with db.read() as session:
            return session.get(OfflineBundle, bundle_id) is not None
    except Exception:
        return False


def revoke(session: Session, actor: Actor, bundle_id: str, *, now: datetime | None = None) -> int:
    """A lead takes a checkout back (a lost laptop, a leaver): its open claims expire and their
    slots go back to the queue. Work from it that arrives later becomes a conflict to review."""
    from annotator.core.queue import free_claims

    require(actor, "lead", "revoke an offline checkout")
    now = now or utcnow()
    record = session.get(OfflineBundle, bundle_id, with_for_update=True)
    if record is None:
        raise NotFound(f"There is no offline checkout {bundle_id}.")
    if record.revoked_at is None:  # the first revocation is the one on record
        record.revoked_at, record.revoked_by = now, actor.id
    ids = session.scalars(select(Assignment.id).where(Assignment.bundle_id == bundle_id, Assignment.status == "claimed")).all()
    expired = free_claims(session, list(ids))
    audit.record(session, actor, "offline.revoke", "bundle", bundle_id, expired=expired)
    return expired
