"""Audio: check at import (readable, not empty)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import soundfile

from annotator.media import MediaError

AUDIO_EXTENSIONS = {".wav", ".flac", ".ogg", ".oga", ".mp3", ".aiff", ".aif"}


@dataclass(frozen=True)
class AudioInfo:
    duration: float
    samplerate: int
    channels: int
    frames: int


def inspect_audio(path: str | Path) -> AudioInfo:
    if not Path(path).exists():
        raise MediaError("file not found")
    try:
        info = soundfile.info(str(path))
    except Exception as exc:  # libsndfile's errors are plain RuntimeErrors with its own text
        raise MediaError(f"not a readable audio file ({str(exc).strip() or type(exc).__name__})") from None
    if info.frames <= 0 or info.samplerate <= 0:
        raise MediaError("the audio file is empty (no samples)")
    return AudioInfo(info.frames / info.samplerate, info.samplerate, info.channels, info.frames)
