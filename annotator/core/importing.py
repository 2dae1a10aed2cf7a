"""Import items into a project: all of it or none of it. Every record is read, every media
file checked and hashed, every gold answer validated, before one row is written."""

from __future__ import annotations

import gc
import tempfile
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from itertools import chain
from dataclasses import dataclass, field as dataclass_field
from pathlib import Path
from typing import Callable

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from annotator.core import audit, imported_answers
from annotator.core.auth import Actor, require
from annotator.core.media_upload import PARALLEL, Uploader, fetch_urls
from annotator.core.projects import get_project
from annotator.core.queue_epoch import queue_moved
from annotator.db import Database
from annotator.db.bulk import insert_many
from annotator.db.models import Assignment, GoldAnswer, Item
from annotator.errors import AnnotatorError, BadInput
from annotator.formats import ItemRecord, refuse_nul_characters
from annotator.formats.base import ImportNotes
from annotator.formats.sources import ANSWER_FORMATS, read_source
from annotator.media import MediaError, file_sha256, to_payload_path
from annotator.media.audio import inspect_audio
from annotator.media.desktop import store_for
from annotator.media.images import checked_image
from annotator.tasks import registry

# progress(done, total, what): called while checking records; the CLI draws a rich bar with it.
Progress = Callable[[int, int, str], None]

CHECKERS = 2  # media files checked and hashed at once: two cores (more threads only pass the GIL around)
CHECK_BATCH = 32


@dataclass(frozen=True)
class ImportReport:
    project: str
    source: str
    read: int
    added: int
    already_present: int
    gold: int
    format: str = ""
    notes: list[str] = dataclass_field(default_factory=list)  # what came in only in part: "12 polygons (their boxes kept)"
    answers: int = 0  # annotators' answers handed in (--as answers)


def _check_media(record: ItemRecord, media_root: str | None, pixel_limit: int, uploader: Uploader | None
                 ) -> str | None:
    """Checks and hashes the record's media. With a media store (an `uploader`) the payload keeps
    the original name (the URL, or the file's name) and the object goes up if the store lacks it."""
    sha = None
    for field, path in record.media.items():
        try:
            if field == "audio":
                inspect_audio(path)
                digest = file_sha256(path)
            else:
                info, digest = checked_image(path, pixel_limit)
                record.size = (info.width, info.height)
        except MediaError as exc:
            if record.line is None:  # a folder or VOC import: the media file is the source
                raise BadInput(str(path), str(exc)) from None
            raise BadInput(record.file, f"{path}: {exc}", line=record.line, field=field) from None
        if uploader is None:
            record.payload[field] = to_payload_path(media_root, path)
        else:
            original = record.payload.get(field)
            if not (isinstance(original, str) and original.startswith(("http://", "https://"))):
                record.payload[field] = Path(path).name
            uploader.offer(digest, Path(path))
        sha = sha or digest
    return sha


def import_items(
    session: Session,
    actor: Actor,
    project_name: str | int,
    source: str | Path,
    *,
    gold: bool = False,
    progress: Progress | None = None,
    fmt: str | None = None,
    images: Path | None = None,
    mapping: dict[str, str] | None = None,
    answers: bool = False,
    annotators: dict[str, str] | None = None,
) -> ImportReport:
    """Import in the caller's transaction: the media checked and uploaded, then the rows. `fmt`
    names the source's format when it cannot be told from the source (sources.IMPORT_FORMATS);
    `images` is where a COCO file's images are, when not beside it; `mapping`, an MTurk batch
    input's payload fields and the columns they come from. With `answers`, the source's
    annotators' answers come in as their submitted work (imported_answers), `annotators` naming
    the user each of them is where the names differ."""
    require(actor, "lead", "import items")
    given = _Source(Path(source).expanduser(), fmt, images, mapping, _take(gold, answers), annotators or {})
    with tempfile.TemporaryDirectory(prefix="annotator-fetch-") as fetched, _no_cycle_collection():
        return _write(session, actor, _prepare(session, project_name, given, Path(fetched), progress))


def import_into(db: Database, actor: Actor, project_name: str | int, source: str | Path, *, gold: bool = False,
                progress: Progress | None = None, fmt: str | None = None, images: Path | None = None,
                mapping: dict[str, str] | None = None, answers: bool = False,
                annotators: dict[str, str] | None = None) -> ImportReport:
    """The same, with the media checked and uploaded before the write transaction begins: on
    SQLite that transaction locks the file for every other desktop, and an upload takes minutes."""
    require(actor, "lead", "import items")
    given = _Source(Path(source).expanduser(), fmt, images, mapping, _take(gold, answers), annotators or {})
    with tempfile.TemporaryDirectory(prefix="annotator-fetch-") as fetched, _no_cycle_collection():
        with db.read() as session:
            prepared = _prepare(session, project_name, given, Path(fetched), progress)
        with db.write() as session:
            return _write(session, actor, prepared)


@contextmanager
def _no_cycle_collection():
    """An import holds every record it read until it writes them, all alive and acyclic: the
    cyclic collector's passes over them find nothing and cost a quarter of a large import. (The
    collector is the process's: the app's other threads make few cycles in that time.)"""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _take(gold: bool, answers: bool) -> str:
    """What a source's answers become: gold, annotators' submitted work, or predictions to check."""
    if gold and answers:
        raise AnnotatorError("a source's answers come in as gold or as its annotators' answers, not both")
    return "gold" if gold else "answers" if answers else "predictions"


@dataclass(frozen=True)
class _Source:
    path: Path
    fmt: str | None
    images: Path | None
    mapping: dict[str, str] | None
    take: str  # _take's
    annotators: dict[str, str]


@dataclass
class _Prepared:
    project_id: int
    project_name: str
    source: Path
    read: int
    rows: list[dict]
    golds: list
    skipped: int
    gold: bool
    format: str
    notes: list[str]
    answers: list[list] | None = None  # with --as answers: each row's (user id, answer) pairs
    to_join: list[str] = dataclass_field(default_factory=list)  # their annotators not yet members


def _prepare(session, project_name, given: _Source, fetched: Path, progress) -> _Prepared:
    """Every record read and checked, every media file hashed and, for a store, uploaded: the
    rows to insert. Writes nothing to the database."""
    project = get_project(session, project_name)
    kind = registry.get(project.kind)
    notes = ImportNotes()
    fmt, records = read_source(given.path, project.kind, project.config, fmt=given.fmt, images=given.images,
                               notes=notes, mapping=given.mapping)
    source, gold = given.path, given.take == "gold"
    if given.take == "answers":
        who = imported_answers.resolve(session, project.id, records, given.annotators)
        for record in records:
            imported_answers.check(kind, project.config, record)
            record.gold = None
    else:
        who = None
        several = sum(len(r.answers) > 1 for r in records)
        if several:
            notes.count("items with answers beyond their first (left out; --as answers takes them all)", several)
    if fmt in ANSWER_FORMATS and given.take == "predictions":  # the file's answers, for annotators to check, unless a model's are there
        for record in records:
            record.prediction, record.gold = record.prediction or record.gold, None
    if not project.media_store:
        remote = next((r for r in records if any(isinstance(m, str) for m in r.media.values())), None)
        if remote is not None:
            raise BadInput(remote.file, "media given by URL need a project with a media store "
                           "(`annotator media migrate PROJECT --to s3://bucket/prefix`)", line=remote.line)
    # The store is checked before anything is read: wrong credentials or no such bucket, and the
    # import stops at once, having written nothing.
    uploader = Uploader(store_for(project.media_store)) if project.media_store else None
    if uploader is not None:
        fetch_urls(records, fetched, progress=progress)

    existing_ids = _existing_ids(session, project.id)
    existing_sha = set(
        session.scalars(select(Item.media_sha256).where(Item.project_id == project.id, Item.media_sha256.is_not(None)))
    )
    # Media files are checked and hashed several at a time (hashing and reading release the GIL),
    # their results taken in file order, so the first bad file in the file is the one reported.
    pool = ThreadPoolExecutor(PARALLEL if uploader else CHECKERS)  # uploads wait on the network, not the CPU
    fresh = [r for r in records if r.external_id not in existing_ids]
    if any(r.media for r in fresh):
        media_root, pixel_limit = project.media_root, project.pixel_limit
        # Local files in batches: a thread hop per photo costs as much as its check. Uploads one
        # by one, each waiting on the network.
        size = 1 if uploader else CHECK_BATCH
        batches = [fresh[n:n + size] for n in range(0, len(fresh), size)]
        checked = chain.from_iterable(pool.map(
            lambda batch: [_check_media(r, media_root, pixel_limit, uploader) for r in batch], batches))
    else:  # text: nothing to check or hash, and a thread hop per record would cost more than the rest
        checked = iter([None] * len(fresh))
    try:
        rows, golds, skipped, answers = _rows(project, kind, records, existing_ids, existing_sha, checked, gold, who,
                                              progress)
    finally:
        pool.shutdown(cancel_futures=True)
    if uploader is not None:
        # Every object is in before any row: an import that cannot upload writes nothing, and
        # run again it uploads only what the store is missing.
        uploader.report(sorted({r["media_sha256"] for r in rows if r["media_sha256"]}), progress)
    return _Prepared(project.id, project.name, source, len(records), rows, golds, skipped, gold, fmt, notes.lines(),
                     answers if who else None, who.to_join if who else [])


def _existing_ids(session, project_id: int) -> set[str]:
    return set(session.scalars(select(Item.external_id).where(Item.project_id == project_id)))


def _write(session, actor: Actor, p: _Prepared) -> ImportReport:
    rows, golds = p.rows, p.golds
    # Items another import added since this one read the project are already present.
    added_since = _existing_ids(session, p.project_id).intersection(r["external_id"] for r in rows)
    if added_since:
        kept = [n for n, r in enumerate(rows) if r["external_id"] not in added_since]
        rows = [rows[n] for n in kept]
        if p.gold:
            golds = [golds[n] for n in kept]
        if p.answers is not None:
            p.answers[:] = [p.answers[n] for n in kept]
    if rows:
        if not p.gold:  # new items may come before the ones claimed already
            queue_moved(session, [p.project_id])
        if p.gold or p.answers is not None:  # the ids, in order, for the gold answers or the assignments
            ids = session.scalars(insert(Item).returning(Item.id, sort_by_parameter_order=True), rows).all()
        if p.gold:
            session.execute(insert(GoldAnswer), [{"item_id": i, "answer": a} for i, a in zip(ids, golds)])
        elif p.answers is not None:
            _hand_in(session, actor, p, ids)
        else:  # one executemany at the driver's speed, which RETURNING in order, or the ORM, would slow
            insert_many(session, Item.__table__, rows)
    skipped = p.skipped + len(added_since)
    handed = sum(len(pairs) for pairs in p.answers or [])
    audit.record(
        session, actor, "items.import", "project", p.project_id,
        source=str(p.source), added=len(rows), already_present=skipped, gold=p.gold, answers=handed,
    )
    return ImportReport(p.project_name, str(p.source), p.read, len(rows), skipped, len(golds), p.format, p.notes,
                        handed)


def _hand_in(session, actor: Actor, p: _Prepared, ids: list[int]) -> None:
    """The source's annotators join the project if they are not in it, then hand in their answers."""
    from annotator.core.members import add_member

    for name in p.to_join:
        add_member(session, actor, name, p.project_id)
    handed = [row for i, pairs in zip(ids, p.answers) for row in imported_answers.assignment_rows(p.project_id, i, pairs)]
    if handed:
        session.execute(insert(Assignment), handed)


def _rows(project, kind, records, existing_ids, existing_sha, checked, gold, who, progress):
    """(rows to insert, their gold answers, how many were already there, and with `who` each row's
    annotators' answers); raises the first bad record."""
    rows, golds, answers, seen = [], [], [], set()
    skipped, total = 0, len(records)
    project_id, overlap, config = project.id, project.overlap, project.config  # the ORM's attributes, read once
    for n, record in enumerate(records, 1):
        if progress:
            progress(n, total, f"checking {record.external_id}")
        refuse_nul_characters(record)
        if record.external_id in existing_ids:
            skipped += 1
            continue
        sha = next(checked)
        if record.external_id in seen:
            skipped += 1
            continue
        if sha and sha in existing_sha:
            skipped += 1
            continue
        try:
            kind.validate_payload(record.payload)
            if gold:
                if record.gold is None:
                    raise AnnotatorError("--gold was given, but this item has no answer")
                kind.validate_answer(config, record.gold)
            if record.prediction is not None:
                kind.validate_answer(config, record.prediction)
        except AnnotatorError as exc:
            raise BadInput(record.file, str(exc), line=record.line) from None
        seen.add(record.external_id)
        pairs = imported_answers.latest_per_person(record, who) if who is not None else []
        if sha:
            existing_sha.add(sha)
        rows.append(
            {
                "project_id": project_id,
                "external_id": record.external_id,
                "payload": record.payload,
                "media_sha256": sha,
                "width": record.size[0] if record.size else None,
                "height": record.size[1] if record.size else None,
                "priority": record.priority,
                # Gold items are claimed by their own path (every user sees each once), so they
                # hold no ordinary slots; imported answers fill theirs.
                "open_slots": 0 if gold else max(0, overlap - len(pairs)),
                "is_gold": gold,
                "prediction": record.prediction,
                "confidence": -1.0 if record.confidence is None else float(record.confidence),
            }
        )
        if gold:
            golds.append(record.gold)
        if who is not None:
            answers.append(pairs)
    return rows, golds, skipped, answers

