"""Decoding photos off the UI thread for the box canvas: a reduced first view of the current and
next image, then the current one at full resolution, each in a pool of its own. A photo being
fetched from the project's store is decoded as its bytes arrive, and kept only once they have
matched their hash (media/arriving.py)."""

from __future__ import annotations

from collections import OrderedDict

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal
from PySide6.QtGui import QImage

from annotator.media.allocator import reuse_freed_memory
from annotator.media.arriving import ArrivingBytes
from annotator.ui.qimage import for_display, to_qimage

SCREEN_SIDE = 1400  # the first, reduced decode: about a fitted canvas on a 1080p or 1440p screen


class Decoded:
    def __init__(self, path: str, image: QImage | None, full_size: tuple[int, int], error: str = "", full: bool = False,
                 requested_full: bool = False):
        self.path, self.image, self.full_size, self.error, self.full = path, image, full_size, error, full
        self.requested_full = requested_full
        self.verified = True  # False: decoded from arriving bytes that did not match their hash


class _DecodeSignals(QObject):
    done = Signal(object)


class _QImageTarget:
    """The QImage a photo is decoded straight into (load_upright's `into`), when it can be."""

    def __init__(self):
        self.image: QImage | None = None

    def __call__(self, size: tuple[int, int]) -> memoryview:
        self.image = QImage(size[0], size[1], QImage.Format.Format_RGBX8888)
        if self.image.isNull():
            raise MemoryError(f"no memory for a {size[0]}×{size[1]} picture")
        return self.image.bits()


class _Decode(QRunnable):
    def __init__(self, path: str, pixel_limit: int, max_side: int | None, arriving: ArrivingBytes | None = None):
        super().__init__()
        self.path, self.pixel_limit, self.max_side, self.arriving = path, pixel_limit, max_side, arriving
        self.signals = _DecodeSignals()

    def run(self) -> None:
        from annotator.media import MediaError
        from annotator.media.images import inspect_size_upright, load_upright

        def reader():
            return None if self.arriving is None else self.arriving.reader()

        target = _QImageTarget()
        try:
            full_size = inspect_size_upright(self.path, self.pixel_limit, reader())
            img = load_upright(self.path, self.pixel_limit, self.max_side, reader(), into=target)
            image = target.image if target.image is not None else to_qimage(img)
            decoded = Decoded(self.path, for_display(image), full_size,
                              full=self.max_side is None or max(full_size) <= self.max_side)
        except MediaError as exc:
            decoded = Decoded(self.path, None, (0, 0), str(exc))
        except Exception as exc:  # never let a bad file take the app down
            decoded = Decoded(self.path, None, (0, 0), f"{self.path}: cannot be shown ({exc})")
        decoded.requested_full = self.max_side is None
        if self.arriving is not None:
            decoded.verified = self.arriving.verified()
        self.signals.done.emit(decoded)


class ImageCache(QObject):
    """Reduced decodes of the current and the next image, made in the background, and the
    full-resolution decode of the current one. Full decodes have a pool of their own, so a
    first view never waits behind one, and only the newest is kept."""

    ready = Signal(object)

    def __init__(self, size: int = 3):
        super().__init__()
        reuse_freed_memory()  # each decode reuses the last one's pages (media/allocator.py)
        self.items: OrderedDict[str, Decoded] = OrderedDict()
        self.pending: set[tuple[str, bool]] = set()
        self.arriving: dict[str, ArrivingBytes] = {}  # photos decoded as they are fetched
        self.size = size
        self.quick_pool = QThreadPool(self)
        self.quick_pool.setMaxThreadCount(2)
        self.full_pool = QThreadPool(self)
        self.full_pool.setMaxThreadCount(1)

    def request(self, path: str, pixel_limit: int, *, full: bool = False) -> Decoded | None:
        key = path if not full else path + "#full"
        if key in self.items:
            self.items.move_to_end(key)
            return self.items[key]
        if (path, full) not in self.pending:
            if full:  # an older full decode still queued is for an image no longer shown
                self.full_pool.clear()
                self.pending = {p for p in self.pending if not p[1]}
            self._start(path, pixel_limit, full)
        return None

    def expect(self, arriving: ArrivingBytes, pixel_limit: int) -> None:
        """The first view of a photo whose bytes are on their way into the media cache (whose
        path is arriving.name), decoded as they come."""
        path = arriving.name
        if path in self.items or (path, False) in self.pending:
            return
        self.arriving[path] = arriving
        self._start(path, pixel_limit, False, arriving)

    def _start(self, path: str, pixel_limit: int, full: bool, arriving: ArrivingBytes | None = None) -> None:
        self.pending.add((path, full))
        job = _Decode(path, pixel_limit, None if full else SCREEN_SIDE, arriving)
        job.signals.done.connect(self._done)
        (self.full_pool if full else self.quick_pool).start(job)

    def _done(self, decoded: Decoded) -> None:
        full = decoded.requested_full
        self.pending.discard((decoded.path, full))
        if not full:
            self.arriving.pop(decoded.path, None)
        if not decoded.verified:  # never shown, never kept: the item says why (core/media_access.py)
            return
        if full:  # one full-resolution image at a time: they are large
            for key in [k for k in self.items if k.endswith("#full")]:
                del self.items[key]
        self.items[decoded.path + ("#full" if full else "")] = decoded
        while len(self.items) > self.size:
            self.items.popitem(last=False)
        self.ready.emit(decoded)

    def wait(self) -> None:
        """Let running decodes finish (on close), so none reports to a deleted widget; one still
        waiting for a download ends now, not when the download does."""
        for arriving in self.arriving.values():
            arriving.abandon()
        self.full_pool.clear()
        self.quick_pool.waitForDone()
        self.full_pool.waitForDone()
