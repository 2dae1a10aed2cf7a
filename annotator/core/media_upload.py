"""Import's media work for a project with a media store: fetching media given by http(s) URL,
and uploading each object the store does not have yet, in parallel. An interrupted upload is
finished by the same import run again: it uploads only what is missing. Objects go up as soon
as their files are checked, beside the checking of the next ones."""

from __future__ import annotations

import shutil
import threading
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


class Uploader:
    """Puts each object the store lacks as soon as it is offered, from whichever threads offer
    them, and remembers what it did. Checks the store first: one that cannot be used raises
    StoreError, naming it and the problem, before anything is put."""

    def __init__(self, store: MediaStore):
        store.check()
        self.store = store
        self.outcomes: dict[str, bool] = {}  # sha -> uploaded now (False: the store had it)
        self._lock = threading.Lock()

    def offer(self, sha: str, path: Path) -> None:
        with self._lock:
            if sha in self.outcomes:
                return
            self.outcomes[sha] = False  # claimed by this thread; the same bytes twice go up once
        if not self.store.has(sha):
            self.store.put(sha, path)
            with self._lock:
                self.outcomes[sha] = True

    def report(self, shas: list[str], progress: Progress | None) -> int:
        """Says what became of each of these objects; returns how many were uploaded."""
        uploaded = 0
        for done, sha in enumerate(shas, 1):
            put = self.outcomes.get(sha, False)
            uploaded += put
            if progress:
                progress(done, len(shas), f"{'uploaded' if put else 'already stored'} {sha[:12]}")
        return uploaded


def upload_missing(store: MediaStore, files: dict[str, Path], *, progress: Progress | None = None) -> int:
    """Put every object the store lacks, several at a time; returns how many were uploaded."""
    uploader = Uploader(store)
    with ThreadPoolExecutor(PARALLEL) as pool:
        list(pool.map(lambda entry: uploader.offer(*entry), files.items()))
    return uploader.report(sorted(files), progress)
