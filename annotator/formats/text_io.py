"""Reading text files strictly as UTF-8, with the line of any bad byte in the error."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator

from annotator.errors import BadInput


def read_utf8(path: Path) -> str:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise BadInput(str(path), "file not found") from None
    except OSError as exc:
        raise BadInput(str(path), f"cannot be read ({exc.strerror})") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise BadInput(
            str(path),
            f"not valid UTF-8 (byte 0x{data[exc.start]:02x} at column {column}); save the file as UTF-8 and import again",
            line=line,
        ) from None


def json_objects(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) for each non-blank line of a JSONL file, or one BadInput naming
    the line that is not a JSON object."""
    for line_no, line in enumerate(read_utf8(path).splitlines(), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise BadInput(str(path), f"invalid JSON: {exc.msg} (column {exc.colno})", line=line_no) from None
        if not isinstance(obj, dict):
            raise BadInput(str(path), f"each line must be a JSON object, not {type(obj).__name__}", line=line_no)
        yield line_no, obj
