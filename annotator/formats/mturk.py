"""Mechanical Turk's files. A batch input CSV: each row an item, its `${var}` columns mapped to
payload fields (`--map image=image_url`), the HIT layout template the project's instructions,
filled per item where shown. The batch results CSV: one row per assignment, in MTurk's own
columns, so a requester's scripts and spreadsheets read it as they read MTurk's; and the same
file back, with Approve (`x`) or Reject (a reason) filled in, as review decisions."""

from __future__ import annotations

import csv
import functools
import hashlib
import html
import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Iterable, TextIO

from annotator.errors import BadInput
from annotator.formats import ItemRecord
from annotator.formats.base import parse_pairs
from annotator.formats.text_io import read_utf8

VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")  # MTurk's ${var}; a bare $var is the page's own

FIXED = ["HITId", "AssignmentId", "WorkerId", "AssignmentStatus", "AcceptTime", "SubmitTime", "AutoApprovalTime",
         "WorkTimeInSeconds", "LifetimeApprovalRate"]
STATUS = {"submitted": "Submitted", "approved": "Approved", "rejected": "Rejected"}


@dataclass(frozen=True)
class ResultRow:
    item: str
    assignment: str  # the assignment's uid
    worker: str
    status: str  # ours: submitted, approved, rejected
    accepted: datetime | None
    submitted: datetime | None
    auto_approved: datetime | None
    seconds: float
    approved: int  # the worker's lifetime approvals and reviewed total, for LifetimeApprovalRate
    reviewed: int
    payload: dict[str, Any]
    answer: dict[str, Any] | None


_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")  # English whatever the locale, as MTurk's
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def mturk_time(when: datetime | None) -> str:
    """As MTurk writes it (`Mon Nov 04 21:32:54 PST 2019`), in UTC. A results file writes three
    per row: the day's words are made once per day, the time of day from tables, since
    formatting each field costs more than writing the row (benchmarks/formats_bench.py)."""
    if when is None:
        return ""
    if when.tzinfo is None:  # the database's naive times are UTC
        when = when.replace(tzinfo=timezone.utc)
    since = when - _EPOCH  # exact to the microsecond, days before 1970 negative and seconds never
    day, second = since.days, since.seconds
    words = _DAY_WORDS.get(day)
    if words is None:
        date = _EPOCH + timedelta(days=day)
        words = _DAY_WORDS[day] = (f"{_DAYS[date.weekday()]} {_MONTHS[date.month - 1]} {date.day:02d} ",
                                   f" UTC {date.year}")
    hours, minutes_seconds = _clock()
    hour, rest = divmod(second, 3600)
    return f"{words[0]}{hours[hour]}{minutes_seconds[rest]}{words[1]}"


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_DAY_WORDS: dict[int, tuple[str, str]] = {}  # days since 1970: ("Thu Dec 03 ", " UTC 2026")


@functools.cache
def _clock() -> tuple[list[str], list[str]]:
    """"00".."23", and ":00:00"..":59:59": made at the first use, not at every start."""
    return [f"{h:02d}" for h in range(24)], [f":{m:02d}:{s:02d}" for m in range(60) for s in range(60)]


@functools.lru_cache(maxsize=4096)  # a worker's rate is the same on each of their rows
def approval_rate(approved: int, reviewed: int) -> str:
    return f"{round(100 * approved / reviewed) if reviewed else 100}% ({approved}/{reviewed})"


def _cell(value: Any) -> str:
    if value.__class__ is str:  # nearly every cell: the test that costs least first
        return value
    return "" if value is None else json.dumps(value, ensure_ascii=False)


def write_results(out: TextIO, inputs: list[str], answers: list[str], rows: Iterable[ResultRow], progress=None) -> int:
    """`inputs` and `answers`: the payload and answer fields, for the Input.* and Answer.* columns."""
    writer = csv.writer(out, lineterminator="\r\n")  # as MTurk's own downloads
    writer.writerow([*FIXED, *(f"Input.{k}" for k in inputs), *(f"Answer.{k}" for k in answers), "Approve", "Reject"])
    write = writer.writerow
    count = 0
    for count, r in enumerate(rows, 1):
        answer = r.answer or {}
        payload = r.payload
        row = [r.item, r.assignment, r.worker, STATUS.get(r.status, r.status), mturk_time(r.accepted),
               mturk_time(r.submitted), mturk_time(r.auto_approved), round(r.seconds),
               approval_rate(r.approved, r.reviewed)]
        row += [_cell(payload.get(k)) for k in inputs]
        row += [_cell(answer.get(k)) for k in answers]
        row += ("", "")
        write(row)
        if progress:
            progress(count, 0, r.item)
    return count


def looks_like_results(path: Path) -> bool:
    """An MTurk batch results CSV: its header names AssignmentId, and Approve or Reject."""
    if path.suffix.lower() != ".csv" or not path.is_file():
        return False
    with path.open(encoding="utf-8-sig", errors="replace", newline="") as fh:
        header = next(csv.reader([fh.readline()]), [])
    return "AssignmentId" in header and ("Approve" in header or "Reject" in header)


@dataclass(frozen=True)
class Decision:
    assignment: str
    approve: bool
    reason: str
    line: int


def read_decisions(path: Path) -> list[Decision]:
    """The rows whose Approve or Reject a lead filled in; a row with both, or with neither an
    AssignmentId, is refused by line."""
    reader = csv.DictReader(read_utf8(path).splitlines(keepends=True), strict=True)
    header = reader.fieldnames or []
    for needed in ("AssignmentId", "Approve", "Reject"):
        if needed not in header:
            raise BadInput(str(path), f"an MTurk results file needs an {needed!r} column", line=1)
    decisions = []
    try:
        for row in reader:
            line = reader.line_num
            approve = (row.get("Approve") or "").strip()
            reject = (row.get("Reject") or "").strip()
            if not approve and not reject:
                continue
            if approve and reject:
                raise BadInput(str(path), "both Approve and Reject are filled in; keep one", line=line)
            if approve and approve.lower() != "x":
                raise BadInput(str(path), f"Approve holds {approve!r}; mark an approval with x", line=line,
                               field="Approve")
            assignment = (row.get("AssignmentId") or "").strip()
            if not assignment:
                raise BadInput(str(path), "no AssignmentId", line=line, field="AssignmentId")
            decisions.append(Decision(assignment, bool(approve), reject, line))
    except csv.Error as exc:
        raise BadInput(str(path), f"malformed CSV ({exc})", line=reader.line_num) from None
    return decisions


def parse_mapping(pairs: list[str], where: str) -> dict[str, str]:
    """`image=image_url` pairs: payload field = input column."""
    return parse_pairs(pairs, where, "--map", "field=column", "image=image_url")


def read_batch_input(path: Path, mapping: dict[str, str], media_fields: tuple[str, ...], primary: str
                     ) -> list[ItemRecord]:
    """Each row an item: the mapped columns its payload fields, every column kept (as `meta`) for
    the template's ${var}. A row names no item, so its id is a hash of the row: the same file
    twice adds nothing."""
    reader = csv.DictReader(read_utf8(path).splitlines(keepends=True), strict=True)
    header = [c for c in (reader.fieldnames or []) if c]
    if primary not in mapping:
        raise BadInput(str(path), f"map the item's {primary!r} to one of the columns: --map {primary}=COLUMN "
                       f"(the columns: {', '.join(header)})", line=1)
    missing = [column for column in mapping.values() if column not in header]
    if missing:
        raise BadInput(str(path), f"no column {', '.join(map(repr, missing))} (the columns: {', '.join(header)})",
                       line=1)
    records = []
    try:
        for row in reader:
            line = reader.line_num
            values = {k: v for k, v in row.items() if k}
            payload: dict = {field: values.get(column) or "" for field, column in mapping.items()}
            for field, column in mapping.items():
                if not payload[field].strip():
                    raise BadInput(str(path), f"the {column!r} column is empty", line=line, field=column)
            payload["meta"] = values
            media = {}
            for field in media_fields:
                if field in payload:
                    payload[field] = payload[field].strip()
                    given = payload[field]
                    media[field] = given if given.startswith(("http://", "https://")) else (path.parent / given)
            digest = hashlib.sha256(json.dumps(values, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:20]
            records.append(ItemRecord(external_id=f"row:{digest}", payload=payload, file=str(path), line=line,
                                      media=media))
    except csv.Error as exc:
        raise BadInput(str(path), f"malformed CSV ({exc})", line=reader.line_num) from None
    if not records:
        raise BadInput(str(path), "no rows under the header")
    return records


def fill_template(template: str, payload: dict) -> str:
    """The HIT layout with each ${var} the item's value, escaped for HTML; an unknown one kept."""
    values = {**{k: v for k, v in payload.items() if isinstance(v, str)}, **(payload.get("meta") or {})}
    return VARIABLE.sub(lambda m: html.escape(str(values[m.group(1)])) if m.group(1) in values else m.group(0),
                        template)
