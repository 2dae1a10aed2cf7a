"""Exports in the formats other tools read: COCO, YOLO and Pascal VOC for boxes, SRT and
WebVTT for transcripts, Label Studio's tasks for any kind. A project's items streamed in batches from one consistent snapshot, each with the
answers the lead chose to export, to a writer that writes under a temporary name and renames
at the end, so a failed export leaves no half file."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session

from annotator.core import audit
from annotator.core.auth import Actor, require
from annotator.core.projects import get_project
from annotator.core.review import fixed_answers
from annotator.db import Database, batches
from annotator.db.models import Assignment, Consensus, GoldAnswer, Item, Project, User
from annotator.errors import AnnotatorError
from annotator.formats.base import Answer, ExportItem, unused_stem
from annotator.media import MediaError, resolve
from annotator.media.images import inspect_size_upright

# What an export holds for each item. "best": the approved answer, or else the consensus.
HOLDS = ("best", "approved", "consensus", "all", "gold")
FORMATS_BY_KIND = {"image_boxes": ("coco", "yolo", "voc", "labelstudio"), "transcription": ("srt", "vtt", "labelstudio"),
                   "text_categories": ("labelstudio",)}
FORMATS = tuple(dict.fromkeys(f for formats in FORMATS_BY_KIND.values() for f in formats))
BATCH = 500  # items read at a time: memory stays flat on any project size
CONSENSUS_ORDER = ("dawid-skene", "majority", "model")


def export_as(db: Database, actor: Actor, project_ref: str | int, out: Path, fmt: str, *,
              holds: str = "best", val_fraction: float = 0.2, seed: int = 0, progress=None) -> int:
    """Writes the project's items as COCO or Label Studio (a .json file), YOLO or VOC (a folder),
    or SRT or WebVTT (a folder, a file per clip); returns how many.
    The reads are one snapshot in a read transaction, which takes no write lock; the audit
    event follows in a write of its own."""
    require(actor, "lead", "export projects")
    if fmt not in FORMATS or holds not in HOLDS:
        raise AnnotatorError(f"Unknown export {fmt!r} holding {holds!r}; formats: {', '.join(FORMATS)}; "
                             f"what each item holds: {', '.join(HOLDS)}.")
    with db.read() as session:
        batches.one_snapshot(session)
        project_id, name, count = _export(session, project_ref, out, fmt, holds, val_fraction, seed, progress)
    with db.write() as session:
        audit.record(session, actor, "project.export", "project", project_id, project=name, format=fmt,
                     holds=holds, path=str(out), items=count)
    return count


def _export(session: Session, project_ref, out: Path, fmt: str, holds: str, val_fraction: float, seed: int,
            progress) -> tuple[int, str, int]:
    project = get_project(session, project_ref)
    if fmt not in FORMATS_BY_KIND.get(project.kind, ()):
        what = "boxes on images" if fmt in ("coco", "yolo", "voc") else "transcripts of audio"
        raise AnnotatorError(f"{fmt.upper()} holds {what}; {project.name} is a {project.kind} project. "
                             "Export it as jsonl or csv.")
    labels = list(project.config.get("labels", []))
    items = export_items(session, project, holds, with_media=fmt in ("yolo", "srt", "vtt"))
    tmp = out.with_name(out.name + ".part")
    _remove(tmp)
    try:
        if fmt == "coco":
            from annotator.formats.coco import write_coco

            with tmp.open("w", encoding="utf-8") as fh:
                count = write_coco(fh, labels, items, progress)
        elif fmt == "labelstudio":
            from annotator.formats.labelstudio import label_config, write_labelstudio

            with tmp.open("w", encoding="utf-8") as fh:
                count = write_labelstudio(fh, project.kind, items, progress)
            beside = out.with_name(f"{out.stem}.label_config.xml")
            beside.write_text(label_config(project.kind, labels, bool(project.config.get("multi"))), encoding="utf-8")
        elif fmt == "voc":
            from annotator.formats.voc import write_voc

            count = write_voc(tmp, items, progress)
        elif fmt == "yolo":
            from annotator.formats.yolo import write_yolo

            count = write_yolo(tmp, labels, items, val_fraction=val_fraction, seed=seed, progress=progress)
        else:
            count = _write_subtitles(tmp, items, vtt=fmt == "vtt", progress=progress)
    except BaseException:
        _remove(tmp)
        raise
    _remove(out)
    tmp.replace(out)
    return project.id, project.name, count


def _write_subtitles(out: Path, items, *, vtt: bool, progress) -> int:
    """A file per clip, named as the clip, from its accepted transcript's segments; a transcript
    without any keeps the draft's when the text is the draft's, else is one cue over the clip."""
    import soundfile

    from annotator.formats.subtitles import write_subtitles

    out.mkdir(parents=True)
    count = 0
    for count, item in enumerate(items, 1):
        answer = dict(item.answers[0].value) if item.answers else {"text": ""}
        draft = item.prediction or {}
        if not answer.get("segments") and draft.get("segments") and draft.get("text") == answer.get("text"):
            answer["segments"] = draft["segments"]
        duration = soundfile.info(str(item.media)).duration if item.media is not None else 0.0
        suffix = ".vtt" if vtt else ".srt"
        target = out / f"{unused_stem(out, Path(item.name).stem, suffix)}{suffix}"
        target.write_text(write_subtitles(answer, duration, vtt), encoding="utf-8")
        if progress:
            progress(count, 0, item.name)
    return count


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


def export_items(session: Session, project: Project, holds: str, *, with_media: bool = True) -> Iterator[ExportItem]:
    """Every item (every gold item for "gold", no gold item otherwise), BATCH at a time by id.
    `with_media`: the writer needs the media themselves (YOLO copies images, subtitles read a
    clip's length), not only the sizes the import recorded."""
    fixes = fixed_answers(session, project.id)
    query = (select(Item.id, Item.external_id, Item.payload, Item.media_sha256, Item.prediction, Item.width,
                    Item.height).where(Item.project_id == project.id, Item.is_gold.is_(holds == "gold")))
    for rows in batches.by_id(session, query, Item.id, BATCH):
        answers = _answers(session, [r[0] for r in rows], holds, fixes)
        for item_id, external_id, payload, sha, prediction, width, height in rows:
            yield _export_item(project, external_id, payload, sha, answers.get(item_id, []), prediction,
                               (width, height) if width and height else None, with_media)


def _answers(session: Session, ids: list[int], holds: str, fixes: dict[int, dict]) -> dict[int, list[Answer]]:
    out: dict[int, list[Answer]] = {}
    if holds == "gold":
        for item_id, answer in session.execute(select(GoldAnswer.item_id, GoldAnswer.answer)
                                               .where(GoldAnswer.item_id.in_(ids))):
            out[item_id] = [Answer(answer)]
        return out
    if holds in ("best", "approved", "all"):
        statuses = ("submitted", "approved") if holds == "all" else ("approved",)
        for aid, item_id, user, answer in session.execute(
                select(Assignment.id, Assignment.item_id, User.name, Assignment.answer)
                .join(User, User.id == Assignment.user_id)
                .where(Assignment.item_id.in_(ids), Assignment.status.in_(statuses)).order_by(Assignment.id)):
            out.setdefault(item_id, []).append(Answer(fixes.get(aid) or answer, user))
    if holds in ("best", "consensus"):
        consensus: dict[int, dict[str, dict]] = {}
        for item_id, method, answer in session.execute(
                select(Consensus.item_id, Consensus.method, Consensus.answer).where(Consensus.item_id.in_(ids))):
            consensus.setdefault(item_id, {})[method] = answer
        for item_id, by_method in consensus.items():
            best = next((by_method[m] for m in CONSENSUS_ORDER if m in by_method), None)
            # "best": one approved answer stands; several, or none, give way to the consensus
            if best is not None and (holds == "consensus" or len(out.get(item_id, [])) != 1):
                out[item_id] = [Answer(best)]
    if holds == "best":
        out = {item_id: answers[:1] for item_id, answers in out.items()}
    return out


def _export_item(project: Project, external_id: str, payload: dict, sha: str | None, answers: list[Answer],
                 prediction: dict | None, stored: tuple[int, int] | None, with_media: bool) -> ExportItem:
    field = "image" if "image" in payload else "audio" if "audio" in payload else None
    name = str(payload.get("original_name") or (payload.get(field) if field else None) or external_id)
    # An item imported before sizes were recorded has its image read for one.
    media = _local_media(project, payload, field, sha) if with_media or (field == "image" and stored is None) else None
    try:
        size = stored or (inspect_size_upright(media, project.pixel_limit) if media is not None and field == "image"
                          else (0, 0))
    except MediaError as exc:
        raise AnnotatorError(f"Cannot export {external_id}: {exc}") from None
    display = name.rsplit("/", 1)[-1] if "://" in name else Path(name).name
    return ExportItem(external_id, display, payload, media, size, answers, prediction)


def _local_media(project: Project, payload: dict, field: str | None, sha: str | None) -> Path | None:
    if field is None:
        return None
    if project.media_store and sha:
        from annotator.media.desktop import local_copy

        return local_copy(project.media_store, sha)  # through this desktop's cache, checked against its hash
    return resolve(project.media_root, str(payload[field]))
