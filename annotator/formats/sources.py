"""What an import reads: the source's format, given (`--format`) or detected when unambiguous,
and its records. Box formats (COCO, YOLO, Pascal VOC) carry each image's boxes as the record's
answer: the import makes them gold with --gold, else the boxes annotators see and correct."""

from __future__ import annotations

from pathlib import Path

from annotator.errors import BadInput
from annotator.formats import ItemRecord
from annotator.formats.base import ImportNotes
from annotator.formats.folder import read_media_folder
from annotator.formats.tabular import read_csv, read_jsonl
from annotator.formats.voc import is_voc_folder, read_voc
from annotator.tasks import registry

IMPORT_FORMATS = ("folder", "voc", "yolo", "coco", "labelstudio", "subtitles", "csv", "jsonl", "mturk-input")
BOX_FORMATS = ("voc", "yolo", "coco")
# Sources whose records may carry answers: boxes, or subtitles' transcripts (a clip's .srt or .vtt
# beside it in a folder). Gold with --gold, else the draft annotators start from.
ANSWER_FORMATS = (*BOX_FORMATS, "labelstudio", "subtitles", "folder")
PRIMARY_FIELD = {"image_boxes": "image", "text_categories": "text", "transcription": "audio"}


def detect(source: Path, kind_name: str) -> str:
    from annotator.formats.coco import looks_like_coco
    from annotator.formats.yolo import looks_like_yolo

    if source.is_dir():
        if kind_name == "image_boxes" and looks_like_yolo(source):
            return "yolo"
        if kind_name == "image_boxes" and is_voc_folder(source):
            return "voc"
        return "folder"
    if not source.exists():
        raise BadInput(str(source), "file or folder not found")
    suffix = source.suffix.lower()
    if suffix == ".csv":
        return "csv"
    if suffix in (".jsonl", ".ndjson"):
        return "jsonl"
    if suffix == ".json" and looks_like_coco(source):
        return "coco"
    from annotator.formats.labelstudio import looks_like_labelstudio

    if looks_like_labelstudio(source):
        return "labelstudio"
    if suffix in (".srt", ".vtt"):
        return "subtitles"
    raise BadInput(str(source), f"unsupported source type '{suffix}'; import a folder (of media, Pascal VOC or YOLO), "
                   "a COCO or Label Studio .json, an .srt or .vtt, a .csv or a .jsonl file, or name the format "
                   "with --format")


def read_source(source: Path, kind_name: str, config: dict, *, fmt: str | None = None, images: Path | None = None,
                notes: ImportNotes | None = None, mapping: dict[str, str] | None = None) -> tuple[str, list[ItemRecord]]:
    """(the format read, the records). `mapping`: an MTurk batch input's payload fields and columns."""
    notes = notes if notes is not None else ImportNotes()
    fmt = fmt or ("mturk-input" if mapping else detect(source, kind_name))
    if fmt not in IMPORT_FORMATS:
        raise BadInput(str(source), f"unknown import format {fmt!r}; the formats: {', '.join(IMPORT_FORMATS)}")
    if not source.exists():
        raise BadInput(str(source), "file or folder not found")
    kind = registry.get(kind_name)
    if fmt in BOX_FORMATS and kind_name != "image_boxes":
        raise BadInput(str(source), f"{fmt.upper()} holds boxes on images; import it into an image_boxes project, "
                       f"not {kind_name}")
    labels = list(config.get("labels", []))
    if fmt == "voc":
        return fmt, read_voc(source, labels)
    if fmt == "yolo":
        from annotator.formats.yolo import read_yolo

        return fmt, read_yolo(source, labels, notes)
    if fmt == "coco":
        from annotator.formats.coco import read_coco

        return fmt, read_coco(source, labels, images, notes)
    if fmt == "labelstudio":
        from annotator.formats.labelstudio import read_labelstudio

        return fmt, read_labelstudio(source, kind_name, labels, notes)
    if fmt in ("folder", "subtitles"):
        if not kind.media_fields:
            raise BadInput(str(source), f"a folder can only be imported into a media project, not {kind_name}")
        records = read_media_folder(source, kind.media_fields[0]) if fmt == "folder" else [_clip_of(source)]
        if kind_name == "transcription":
            _attach_subtitles(records, notes)
        return fmt, records
    primary = PRIMARY_FIELD.get(kind_name) or (kind.media_fields[0] if kind.media_fields else "text")
    if fmt == "mturk-input":
        from annotator.formats.mturk import read_batch_input

        return fmt, read_batch_input(source, mapping or {}, kind.media_fields, primary)
    if fmt == "csv":
        return fmt, read_csv(source, primary=primary, media_fields=kind.media_fields, multi=bool(config.get("multi")))
    return fmt, read_jsonl(source, primary=primary, media_fields=kind.media_fields)


def _clip_of(subtitles: Path) -> ItemRecord:
    """A subtitle file imported alone: the clip beside it, of the same name."""
    from annotator.media.audio import AUDIO_EXTENSIONS

    clip = next((subtitles.with_suffix(e) for e in sorted(AUDIO_EXTENSIONS) if subtitles.with_suffix(e).is_file()), None)
    if clip is None:
        raise BadInput(str(subtitles), f"no audio file beside it named {subtitles.stem}.* "
                       f"({', '.join(sorted(AUDIO_EXTENSIONS))})")
    return ItemRecord(external_id=clip.name, payload={}, file=str(subtitles), media={"audio": clip})


def _attach_subtitles(records: list[ItemRecord], notes: ImportNotes) -> None:
    """Each clip's .srt or .vtt, beside it: its cues become the record's transcript and segments."""
    from annotator.formats.subtitles import as_draft, read_cues, sidecar

    for record in records:
        found = sidecar(Path(record.media["audio"]))
        if found is not None:
            record.gold = as_draft(read_cues(found, notes))
