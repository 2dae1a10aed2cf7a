"""An object's bytes as they arrive from the store, for a decoder that starts before the last of
them is in (docs/adr/0012). The fetch writes them here as it writes the cache file; a reader
waits for what has not come yet. Whether the bytes matched their hash is known only at the end,
so nothing decoded from them may be shown before `verified()` says so."""

from __future__ import annotations

import io
import threading


class ArrivalFailed(OSError):
    """The fetch ended without the whole object, or its bytes did not match their hash."""


class ArrivingBytes:
    def __init__(self, name: str):
        self.name = name  # the cache path the object will have once verified
        self._data = bytearray()
        self._ended: bool | None = None  # None while arriving; then whether it matched its hash
        self._changed = threading.Condition()

    # ---- the fetch's side ------------------------------------------------------------------------

    def write(self, chunk: bytes) -> None:
        with self._changed:
            self._data += chunk
            self._changed.notify_all()

    def finish(self, verified: bool) -> None:
        """The fetch is over: every byte is in and matched its hash, or not."""
        with self._changed:
            if self._ended is None:
                self._ended = verified
            self._changed.notify_all()

    # ---- a decoder's side ------------------------------------------------------------------------

    def abandon(self) -> None:
        """The decoder gives up (its window closes): its reads end at once, and nothing decoded
        is kept. The fetch goes on into the cache, which checks the hash by itself."""
        self.finish(verified=False)

    def reader(self) -> "ArrivingReader":
        return ArrivingReader(self)

    def verified(self) -> bool:
        """Waits for the end of the fetch: whether the bytes are the object's."""
        with self._changed:
            self._changed.wait_for(lambda: self._ended is not None)
            return bool(self._ended)

    def read_at(self, pos: int, size: int) -> bytes:
        """Up to `size` bytes from `pos`, once that many have come or the fetch has ended."""
        with self._changed:
            self._changed.wait_for(lambda: len(self._data) >= pos + size or self._ended is not None)
            if self._ended is False:
                raise ArrivalFailed(f"{self.name}: the object did not arrive whole and verified")
            with memoryview(self._data) as view:  # one copy, not a bytearray slice and then bytes of it
                return bytes(view[pos:pos + size])

    def length(self) -> int:
        """The whole object's length, once it has all come."""
        with self._changed:
            self._changed.wait_for(lambda: self._ended is not None)
            return len(self._data)


class ArrivingReader(io.RawIOBase):
    """A file over ArrivingBytes, with its own position: Pillow opens, seeks back and reads."""

    def __init__(self, arriving: ArrivingBytes):
        super().__init__()
        self.arriving, self.name, self.pos = arriving, arriving.name, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self.pos}.get(whence)
        self.pos = max(0, offset + (self.arriving.length() if base is None else base))
        return self.pos

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            size = self.arriving.length() - self.pos
        data = self.arriving.read_at(self.pos, size)
        self.pos += len(data)
        return data

    def readinto(self, buffer) -> int:
        data = self.read(len(buffer))
        buffer[:len(data)] = data
        return len(data)
