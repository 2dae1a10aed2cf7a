"""A folder of images or audio files: one item per file, its path under the folder as its id."""

from __future__ import annotations

from pathlib import Path

from annotator.errors import BadInput
from annotator.formats import ItemRecord
from annotator.media.audio import AUDIO_EXTENSIONS
from annotator.media.images import IMAGE_EXTENSIONS


def read_media_folder(folder: Path, media_field: str) -> list[ItemRecord]:
    extensions = IMAGE_EXTENSIONS if media_field == "image" else AUDIO_EXTENSIONS
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in extensions)
    if not files:
        kind = "image" if media_field == "image" else "audio"
        raise BadInput(str(folder), f"no {kind} files found (looked for {', '.join(sorted(extensions))})")
    records = []
    for path in files:
        rel = path.relative_to(folder).as_posix()
        records.append(ItemRecord(external_id=rel, payload={}, file=str(path), media={media_field: path}))
    return records
