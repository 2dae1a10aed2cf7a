"""The image-box canvas's large photos in tiles, as large-image viewers show them. A photo over
TILED_ABOVE_PIXELS is never decoded whole for display: the canvas shows the reduced first view, and where the view is
zoomed in past its resolution, the part in view (with a margin for panning) is decoded in the
background at the resolution the zoom needs, and laid over it. A 100 MP photo decoded whole
would hold its 300 MB twice over (Pillow's pixels and the pixmap) for as long as it is shown."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QObject, QRectF, QRunnable, QThreadPool, Signal

from annotator.ui.qimage import for_display, to_qimage

TILED_ABOVE_PIXELS = 40_000_000
MARGIN = 0.25  # of the view on each side, so that a short pan needs no new tile
STEPS = (0.125, 0.25, 0.5, 1.0)  # the scales a JPEG decodes at directly


@dataclass
class Tile:
    path: str
    image: object  # QImage, or None when the decode failed
    rect: QRectF  # in upright full-resolution pixels
    scale: float


def needed_scale(view_scale: float) -> float:
    """The smallest decode step that has at least one image pixel per screen pixel."""
    return next((s for s in STEPS if s >= view_scale), 1.0)


def wanted_region(visible: QRectF, image: QRectF) -> QRectF:
    """The visible part of the image with a margin on each side, within the image."""
    dx, dy = visible.width() * MARGIN, visible.height() * MARGIN
    return visible.adjusted(-dx, -dy, dx, dy).intersected(image)


class _Signals(QObject):
    done = Signal(object)


class _TileJob(QRunnable):
    def __init__(self, path: str, pixel_limit: int, rect: QRectF, scale: float):
        super().__init__()
        self.path, self.pixel_limit, self.rect, self.scale = path, pixel_limit, rect, scale
        self.signals = _Signals()

    def run(self) -> None:
        from annotator.media.images import load_region_upright

        r = self.rect
        try:
            img, covered = load_region_upright(self.path, self.pixel_limit, (r.left(), r.top(), r.right(), r.bottom()),
                                               self.scale)
            covers = QRectF(covered[0], covered[1], covered[2] - covered[0], covered[3] - covered[1])
            tile = Tile(self.path, for_display(to_qimage(img)), covers, self.scale)
        except Exception:  # the first view stays; the error was shown when it failed, if it did
            tile = Tile(self.path, None, r, self.scale)
        self.signals.done.emit(tile)


class TileLoader(QObject):
    """One tile decode at a time; a request replaces any still queued (the view moved on)."""

    ready = Signal(object)  # Tile

    def __init__(self):
        super().__init__()
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(1)

    def request(self, path: str, pixel_limit: int, rect: QRectF, scale: float) -> None:
        self.pool.clear()
        job = _TileJob(path, pixel_limit, rect, scale)
        # A slot of this object, not `self.ready.emit`: the job and its signals object are gone
        # by the time the queued call arrives, and a connection with no receiver then crashed.
        job.signals.done.connect(self._done)
        self.pool.start(job)

    def _done(self, tile: Tile) -> None:
        self.ready.emit(tile)

    def wait(self) -> None:
        self.pool.clear()
        self.pool.waitForDone()
