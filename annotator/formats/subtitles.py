"""SRT and WebVTT: a clip's cues as a transcription's segments and its draft text, and an accepted
transcript back as a subtitle file. The reader takes what real files hold: a BOM, cues without
index numbers, zero-length cues, cue settings, NOTE and STYLE blocks, inline tags and word
timestamps, and a file in Windows-1252, which it says it assumed."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from annotator.errors import BadInput
from annotator.formats.base import ImportNotes

SUFFIXES = (".srt", ".vtt")
_TIME = r"(?:(\d+):)?(\d{1,2}):(\d{2})[.,](\d{1,3})"
TIMING = re.compile(rf"^\s*{_TIME}\s*-->\s*{_TIME}")
TAG = re.compile(r"<[^>]*>")  # <i>, <c.colour>, <00:00:01.500>: formatting, not words


@dataclass(frozen=True)
class Cue:
    start: float
    end: float
    text: str


def _seconds(hours, minutes, seconds, fraction) -> float:
    return int(hours or 0) * 3600 + int(minutes) * 60 + int(seconds) + int(fraction.ljust(3, "0")) / 1000


def decode(path: Path, notes: ImportNotes) -> str:
    data = path.read_bytes()
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        notes.count(f"subtitle file(s) not in UTF-8, read as Windows-1252 ({path.name})")
        return data.decode("cp1252", errors="replace")


def read_cues(path: Path, notes: ImportNotes) -> list[Cue]:
    lines = decode(path, notes).replace("\r\n", "\n").replace("\r", "\n").split("\n")
    cues: list[Cue] = []
    n = 0
    while n < len(lines):
        if not lines[n].strip():
            n += 1
            continue
        block_start = n
        block = []
        while n < len(lines) and lines[n].strip():
            block.append(lines[n])
            n += 1
        first = block[0].strip()
        if first.startswith("WEBVTT") or first.split(" ")[0] in ("NOTE", "STYLE", "REGION"):
            continue  # the header, a comment, a style sheet
        timing = next((k for k, line in enumerate(block) if "-->" in line), None)
        if timing is None or timing > 1:
            raise BadInput(str(path), "expected a cue: an optional number or name, then a line `start --> end`",
                           line=block_start + 1)
        # Cues one after another with no blank line between (YouTube's captions do this): each
        # timing line after a cue's text starts the next cue.
        starts = [timing] + [k for k in range(timing + 2, len(block)) if TIMING.match(block[k])]
        for at, following in zip(starts, starts[1:] + [len(block)]):
            cues.append(_cue(path, block[at], block[at + 1:following], block_start + at + 1, notes))
    if not cues:
        raise BadInput(str(path), "no cues found")
    return cues


def _cue(path: Path, timing: str, text: list[str], line: int, notes: ImportNotes) -> Cue:
    match = TIMING.match(timing)
    if match is None:
        raise BadInput(str(path), "a cue's timing is `00:00:01,000 --> 00:00:02,500`", line=line)
    start, end = _seconds(*match.groups()[:4]), _seconds(*match.groups()[4:])
    if end < start:
        raise BadInput(str(path), f"the cue ends ({end:.3f} s) before it starts ({start:.3f} s)", line=line)
    if end == start:
        notes.count("zero-length cues (kept)")
    return Cue(start, end, "\n".join(TAG.sub("", t) for t in text).strip())


def as_draft(cues: list[Cue]) -> dict:
    """A transcription answer: the cues' text, a line each, and the cues as its segments."""
    return {"text": "\n".join(c.text for c in cues if c.text),
            "segments": [{"start": c.start, "end": c.end, "text": c.text} for c in cues]}


def sidecar(media: Path) -> Path | None:
    return next((media.with_suffix(s) for s in SUFFIXES if media.with_suffix(s).is_file()), None)


def _stamp(seconds: float, comma: bool) -> str:
    ms = round(seconds * 1000)
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{',' if comma else '.'}{ms:03d}"


def write_subtitles(answer: dict, duration: float, vtt: bool) -> str:
    """The transcript's segments as cues; with none, the whole text as one cue over the clip."""
    segments = answer.get("segments") or [{"start": 0.0, "end": duration, "text": answer.get("text", "")}]
    out = ["WEBVTT", ""] if vtt else []
    for n, seg in enumerate(segments, 1):
        if not vtt:
            out.append(str(n))
        out.append(f"{_stamp(float(seg['start']), not vtt)} --> {_stamp(float(seg['end']), not vtt)}")
        out.extend((seg.get("text") or "").split("\n"))
        out.append("")
    return "\n".join(out)
