"""Reading text files strictly as UTF-8, with the line of any bad byte in the error."""

from __future__ import annotations

from pathlib import Path

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
