"""Each desktop's local cache of store objects: content-addressed, in the user cache folder,
with a size cap and least-recently-used eviction. Every object is checked against its hash on
the way in; one that does not match is refused and never shown."""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import threading
from pathlib import Path

from annotator.media.store import MediaStore, StoreError, object_key

log = logging.getLogger(__name__)
DEFAULT_CAP = 5 * 1024**3  # 5 GB


class HashMismatch(StoreError):
    """The bytes the store gave are not the ones imported: refused, never shown."""


class HashingWriter:
    """A file-like target that hashes what is written to it, and passes it on to `fh` if given."""

    def __init__(self, fh=None):
        self.fh, self.digest, self.size = fh, hashlib.sha256(), 0

    def write(self, data: bytes) -> int:
        self.digest.update(data)
        self.size += len(data)
        return self.fh.write(data) if self.fh is not None else len(data)


class MediaCache:
    def __init__(self, root: Path, cap_bytes: int = DEFAULT_CAP):
        self.root = Path(root)
        self.cap = cap_bytes
        self._lock = threading.Lock()  # eviction; fetches of different objects run side by side
        self._size: int | None = None

    def path(self, sha: str) -> Path:
        return self.root / object_key(sha)

    def get(self, store: MediaStore, sha: str) -> Path:
        """A local path to the object's verified bytes, fetched from the store if need be."""
        target = self.path(sha)
        if target.is_file():
            os.utime(target)  # most recently used
            return target
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".fetch-")
        try:
            with os.fdopen(fd, "wb") as fh:
                hashing = HashingWriter(fh)
                store.fetch(sha, hashing)
            if hashing.digest.hexdigest() != sha:
                log.error("object %s from %s does not match its hash (got %s); refused", sha, store.where(sha),
                          hashing.digest.hexdigest())
                raise HashMismatch(f"The object at {store.where(sha)} does not match its hash: it changed after "
                                   "import. It was refused and not shown; a lead should re-import it.")
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        self._added(hashing.size, keep=target)
        return target

    def size(self) -> int:
        with self._lock:
            return self._total()

    def _total(self) -> int:
        if self._size is None:
            self._size = sum(p.stat().st_size for p in self.root.rglob("*") if p.is_file())
        return self._size

    def _added(self, size: int, keep: Path) -> None:
        with self._lock:
            self._size = self._total() + size if self._size is not None else self._total()
            if self._size <= self.cap:
                return
            files = sorted((p for p in self.root.rglob("*") if p.is_file() and p != keep
                            and not p.name.startswith(".")), key=lambda p: p.stat().st_mtime)
            for old in files:  # oldest use first
                if self._size <= self.cap:
                    break
                try:
                    freed = old.stat().st_size
                    old.unlink()
                    self._size -= freed
                except FileNotFoundError:
                    continue
