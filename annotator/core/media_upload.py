"""Import's media work for a project with a media store: fetching media given by http(s) URL,
and uploading each object the store does not have yet, in parallel. An interrupted upload is
finished by the same import run again: it uploads only what is missing."""

from __future__ import annotations

import shutil
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable

from annotator.errors import BadInput
from annotator.formats import ItemRecord
from annotator.media.store import MediaStore

Progress = Callable[[int, int, str], None]
PARALLEL = 8  # a desktop's uplink is the limit well before eight connections


def fetch_urls(records: list[ItemRecord], folder: Path, *, progress: Progress | None = None) -> None:
    """Download every media URL into `folder` and point the record at the file; the payload keeps
    the URL, as the item's original name. One that cannot be fetched fails the import."""
    wanted = [(r, f, url) for r in records for f, url in r.media.items() if isinstance(url, str)]
    if not wanted:
        return
    folder.mkdir(parents=True, exist_ok=True)

    def fetch(job):
        n, (record, field, url) = job
        target = folder / f"{n}{Path(url.split('?')[0]).suffix[:8]}"
        try:
            with urllib.request.urlopen(url, timeout=60) as response, open(target, "wb") as out:
                shutil.copyfileobj(response, out, 1 << 20)
        except (urllib.error.URLError, OSError, ValueError) as exc:
            reason = getattr(exc, "reason", None) or exc
            raise BadInput(record.file, f"{url} could not be fetched: {reason}", line=record.line, field=field) from None
        return record, field, target

    with ThreadPoolExecutor(PARALLEL) as pool:
        for done, (record, field, target) in enumerate(pool.map(fetch, enumerate(wanted)), 1):
            record.media[field] = target
            if progress:
                progress(done, len(wanted), f"fetched {Path(target).name}")


def upload_missing(store: MediaStore, files: dict[str, Path], *, progress: Progress | None = None) -> int:
    """Put every object the store lacks; returns how many were uploaded. Raises StoreError, naming
    the store and the problem, before anything is written when the store cannot be used."""
    store.check()
    items = sorted(files.items())

    def one(entry) -> bool:
        sha, path = entry
        if store.has(sha):
            return False
        store.put(sha, path)
        return True

    uploaded = 0
    with ThreadPoolExecutor(PARALLEL) as pool:
        for done, (put, (sha, _)) in enumerate(zip(pool.map(one, items), items), 1):
            uploaded += put
            if progress:
                progress(done, len(items), f"{'uploaded' if put else 'already stored'} {sha[:12]}")
    return uploaded
