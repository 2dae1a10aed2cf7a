"""CSV and JSONL items. Columns (or keys) named like the kind's payload fields become the
payload; `id`/`external_id` names the item; with --gold, the answer column becomes gold.

CSV:   id?, text | image | audio, label | category | labels (gold, ';'-separated when multi), priority?
JSONL: {"id": ..., "text"|"image"|"audio": ..., "answer": {...}, "priority": 0, ...other payload keys}
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from pathlib import Path
from typing import Any

from annotator.errors import BadInput
from annotator.formats import ItemRecord
from annotator.formats.text_io import json_objects, read_utf8

ID_KEYS = ("id", "external_id")
LABEL_KEYS = ("label", "category", "labels")


def _content_id(payload: dict[str, Any]) -> str:
    """A stable id for an item without one, so importing the same file twice adds nothing."""
    blob = json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()
    return "sha256:" + hashlib.sha256(blob).hexdigest()[:20]


def _media(path_text: str, base: Path) -> Path | str:
    if path_text.startswith(("http://", "https://")):
        return path_text  # fetched at import (core/media_upload.py), as MTurk batch files name their media
    p = Path(path_text).expanduser()
    return p if p.is_absolute() else (base / p)


def _parse_priority(value: Any, file: str, line: int) -> int:
    if value in (None, ""):
        return 0
    try:
        return int(value)
    except (TypeError, ValueError):
        raise BadInput(file, f"priority must be a whole number, not {value!r}", line=line, field="priority") from None


def read_csv(path: Path, *, primary: str, media_fields: tuple[str, ...], multi: bool) -> list[ItemRecord]:
    text = read_utf8(path)
    # csv.reader, not DictReader: the same rows (blank lines skipped, short rows filled with
    # None), without a dict built per row by Python code, which doubles a large import's reading.
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, [])
    except csv.Error as exc:
        raise BadInput(str(path), f"malformed CSV header ({exc})", line=1) from None
    columns = [c.strip() if c else c for c in header]
    repeated = sorted({c for c in columns if columns.count(c) > 1}, key=columns.index)
    if repeated:
        raise BadInput(str(path), f"the header repeats the column {', '.join(map(repr, repeated))}; "
                       "each column must appear once, or one of them would be dropped", line=1)
    if primary not in columns:
        raise BadInput(str(path), f"the header has no '{primary}' column (it has: {', '.join(map(str, columns))})", line=1)
    id_key = next((k for k in ID_KEYS if k in columns), None)
    label_key = next((k for k in LABEL_KEYS if k in columns), None)
    width, at = len(columns), {c: n for n, c in enumerate(columns)}
    primary_at, id_at, label_at, priority_at = at[primary], at.get(id_key), at.get(label_key), at.get("priority")
    extra_at = [(n, c) for n, c in enumerate(columns) if c not in {primary, id_key, label_key, "priority"}]
    is_media = primary in media_fields
    records: list[ItemRecord] = []
    file = str(path)
    line = reader.line_num + 1  # where the next record starts: a quoted field may span lines
    try:
        for fields in reader:
            if not fields:  # a blank line
                line = reader.line_num + 1
                continue
            if len(fields) > width:
                raise BadInput(file, f"{len(fields)} fields, but the header has {width}", line=line)
            if len(fields) < width:
                fields += [None] * (width - len(fields))
            given = fields[primary_at] or ""
            if not given.strip():
                raise BadInput(file, f"the '{primary}' field is empty", line=line, field=primary)
            # Text exactly as given: span offsets, and a join back on the text, depend on it. A
            # media path loses the spaces around it.
            value = given.strip() if is_media else given
            payload = {primary: value}
            extra = {c: fields[n] for n, c in extra_at if fields[n] not in (None, "")}
            if extra:
                payload["meta"] = extra
            gold = None
            raw = (fields[label_at] or "").strip() if label_at is not None else ""
            if raw:
                gold = {"labels": [s.strip() for s in raw.split(";") if s.strip()]} if multi else {"label": raw}
            external_id = (fields[id_at] or "").strip() if id_at is not None else ""
            records.append(
                ItemRecord(
                    external_id=external_id or _content_id(payload),
                    payload=payload,
                    file=file,
                    line=line,
                    gold=gold,
                    priority=_parse_priority(fields[priority_at], file, line) if priority_at is not None else 0,
                    media={primary: _media(value, path.parent)} if is_media else {},
                )
            )
            line = reader.line_num + 1
    except csv.Error as exc:
        if "end of data" in str(exc) or "EOF" in str(exc):
            raise BadInput(file, "a quoted field opens on this line and is never closed", line=line) from None
        raise BadInput(file, f"malformed CSV ({exc})", line=line) from None
    if not records:
        raise BadInput(file, "no rows under the header")
    return records


def read_jsonl(path: Path, *, primary: str, media_fields: tuple[str, ...]) -> list[ItemRecord]:
    records: list[ItemRecord] = []
    for line_no, obj in json_objects(path):
        if isinstance(obj.get("data"), dict):  # Label Studio-style {"data": {...}} tasks
            obj = {**obj["data"], **{k: v for k, v in obj.items() if k != "data"}}
        if primary not in obj:
            raise BadInput(str(path), f"the object has no '{primary}' key", line=line_no, field=primary)
        id_key = next((k for k in ID_KEYS if k in obj), None)
        gold = obj.get("answer", obj.get("gold"))
        if gold is not None and not isinstance(gold, dict):
            raise BadInput(str(path), "'answer' must be an object", line=line_no, field="answer")
        prediction, confidence = obj.get("prediction"), obj.get("confidence")
        if prediction is not None and not isinstance(prediction, dict):
            raise BadInput(str(path), "'prediction' must be an object", line=line_no, field="prediction")
        if confidence is not None and (isinstance(confidence, bool) or not isinstance(confidence, (int, float)) or not 0 <= confidence <= 1):
            raise BadInput(str(path), f"'confidence' must be a number from 0 to 1, not {confidence!r}", line=line_no, field="confidence")
        payload = {k: v for k, v in obj.items() if k not in {*ID_KEYS, "answer", "gold", "priority", "prediction", "confidence"}}
        media = {}
        for f in media_fields:
            if f in payload:
                if not isinstance(payload[f], str):
                    raise BadInput(str(path), f"'{f}' must be a file path", line=line_no, field=f)
                media[f] = _media(payload[f], path.parent)
        records.append(
            ItemRecord(
                external_id=str(obj[id_key]) if id_key else _content_id(payload),
                payload=payload,
                file=str(path),
                line=line_no,
                gold=gold,
                priority=_parse_priority(obj.get("priority"), str(path), line_no),
                prediction=prediction,
                confidence=confidence,
                media=media,
            )
        )
    if not records:
        raise BadInput(str(path), "no items (the file is empty)")
    return records
