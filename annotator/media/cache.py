"""Each desktop's local cache of store objects: content-addressed, in the user cache folder,
with a size cap and least-recently-used eviction. Every object is checked against its hash on
the way in; one that does not match is refused and never shown."""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Callable

from annotator.media.arriving import ArrivingBytes
from annotator.media.store import MediaStore, StoreError, object_key

log = logging.getLogger(__name__)
DEFAULT_CAP = 5 * 1024**3  # 5 GB


class HashMismatch(StoreError):
    """The bytes the store gave are not the ones imported: refused, never shown."""


class HashingWriter:
    """A file-like target that hashes what is written to it, and passes it on to `fh` if given,
    and to `also` (bytes arriving for a decoder that starts early)."""

    def __init__(self, fh=None, also: ArrivingBytes | None = None):
        self.fh, self.also, self.digest, self.size = fh, also, hashlib.sha256(), 0

    def write(self, data: bytes) -> int:
        self.digest.update(data)
        self.size += len(data)
        written = self.fh.write(data) if self.fh is not None else len(data)
        if self.also is not None:
            self.also.write(data)
        return written


class MediaCache:
    def __init__(self, root: Path, cap_bytes: int = DEFAULT_CAP):
        self.root = Path(root)
        self.cap = cap_bytes
        self._lock = threading.Lock()  # the index; fetches of different objects run side by side
        # sha → size, least recently used first: read from the folder once (by modification
        # time, which each use touches), then kept here, so an eviction reads no folder.
        self._index: OrderedDict[str, int] | None = None
        self._size = 0

    def path(self, sha: str) -> Path:
        return self.root / object_key(sha)

    def get(self, store: MediaStore, sha: str, watch: Callable[[ArrivingBytes], None] | None = None) -> Path:
        """A local path to the object's verified bytes, fetched from the store if need be.
        `watch` is handed the bytes of a fetch as they arrive, before they are verified, so that
        a decode can start during the download; it is told at the end whether they matched."""
        target = self.path(sha)
        try:
            os.utime(target)  # most recently used, for the next start's index too
            self._used(sha, target.stat().st_size)
            return target
        except FileNotFoundError:
            pass  # not here yet
        arriving, verified = None, False
        if watch is not None:
            arriving = ArrivingBytes(str(target))
            try:
                watch(arriving)
            except Exception:  # noqa: BLE001 - the window that wanted them is gone: fetch without it
                log.debug("nobody to hand the bytes of %s to as they arrive", sha, exc_info=True)
                arriving = None
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".fetch-")
        try:
            with os.fdopen(fd, "wb") as fh:
                hashing = HashingWriter(fh, arriving)
                store.fetch(sha, hashing)
            if hashing.digest.hexdigest() != sha:
                log.error("object %s from %s does not match its hash (got %s); refused", sha, store.where(sha),
                          hashing.digest.hexdigest())
                raise HashMismatch(f"The object at {store.where(sha)} does not match its hash: it changed after "
                                   "import. It was refused and not shown; a lead should re-import it.")
            os.replace(tmp, target)
            verified = True
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        finally:
            if arriving is not None:
                arriving.finish(verified)
        self._used(sha, hashing.size)
        return target

    def size(self) -> int:
        with self._lock:
            self._indexed()
            return self._size

    def _indexed(self) -> OrderedDict[str, int]:
        if self._index is None:
            found = [(p.stat().st_mtime, p.name, p.stat().st_size) for p in self.root.rglob("*")
                     if p.is_file() and not p.name.startswith(".")]
            self._index = OrderedDict((name, size) for _, name, size in sorted(found))
            self._size = sum(self._index.values())
        return self._index

    def _used(self, sha: str, size: int) -> None:
        """The object is the most recently used; the least recently used go while over the cap."""
        with self._lock:
            index = self._indexed()
            if sha not in index:
                index[sha] = size
                self._size += size
            index.move_to_end(sha)
            while self._size > self.cap and len(index) > 1:
                old, freed = index.popitem(last=False)
                self.path(old).unlink(missing_ok=True)
                self._size -= freed
