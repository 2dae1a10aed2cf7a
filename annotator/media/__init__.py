"""Media loading and checks: images (EXIF transpose, reduced-size decode, pixel limits) and audio."""

from __future__ import annotations

import hashlib
from pathlib import Path

CHUNK = 1 << 20


class MediaError(Exception):
    """A media file that cannot be used; the message says why, the caller adds where."""


def file_sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def resolve(media_root: str | None, path: str) -> Path:
    """A payload's media path: absolute, or relative to the project's media root."""
    p = Path(path)
    if p.is_absolute() or not media_root:
        return p
    return Path(media_root) / p


def to_payload_path(media_root: str | None, path: Path) -> str:
    """Store a path relative to the media root when it lies under it, so the root can move."""
    path = path.resolve()
    if media_root:
        try:
            return path.relative_to(Path(media_root).resolve()).as_posix()
        except ValueError:
            pass
    return str(path)
