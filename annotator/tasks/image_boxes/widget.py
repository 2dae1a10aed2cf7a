"""Image boxes: a QGraphicsView canvas. Scene coordinates are pixels of the upright (EXIF-
transposed) full-resolution image, whatever resolution is on screen, so boxes are stored in
exactly the pixels a user of the exported data will see.

Mouse: drag on the image draws a box; drag a box to move it, its edges or corners to resize;
wheel zooms at the cursor; middle button or Space+drag pans. Keys: 1–9 pick the label (and
relabel the selected box), Del deletes, arrows nudge (Shift: 10 px), F fits, H hides boxes,
Enter accepts all predicted boxes, A accepts the selected one."""

from __future__ import annotations

import itertools
from collections import OrderedDict
from typing import Any

from PySide6.QtCore import QObject, QPointF, QRectF, QRunnable, Qt, QThreadPool, QTimer, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QImage, QKeySequence, QPainter, QPen, QPixmap, QShortcut, QUndoCommand
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsPixmapItem,
    QGraphicsRectItem,
    QGraphicsScene,
    QGraphicsSimpleTextItem,
    QGraphicsView,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from annotator.ui.qimage import to_qimage
from annotator.ui.image_tiles import TILED_ABOVE_PIXELS, TileLoader, needed_scale, wanted_region
from annotator.ui.task_widget import TaskWidget

PALETTE = ["#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#42d4f4", "#f032e6", "#bfef45",
           "#fabed4", "#469990", "#dcbeff", "#9a6324", "#800000", "#aaffc3", "#808000", "#000075"]
SCREEN_SIDE = 1400  # the first, reduced decode: about a fitted canvas on a 1080p or 1440p screen
HANDLE = 7  # pixels on screen that count as a box edge
MIN_BOX = 2.0


# ---- decoding off the UI thread ---------------------------------------------------------------


class Decoded:
    def __init__(self, path: str, image: QImage | None, full_size: tuple[int, int], error: str = "", full: bool = False,
                 requested_full: bool = False):
        self.path, self.image, self.full_size, self.error, self.full = path, image, full_size, error, full
        self.requested_full = requested_full


class _DecodeSignals(QObject):
    done = Signal(object)


class _Decode(QRunnable):
    def __init__(self, path: str, pixel_limit: int, max_side: int | None):
        super().__init__()
        self.path, self.pixel_limit, self.max_side = path, pixel_limit, max_side
        self.signals = _DecodeSignals()

    def run(self) -> None:
        from annotator.media import MediaError
        from annotator.media.images import inspect_size_upright, load_upright

        try:
            full_size = inspect_size_upright(self.path, self.pixel_limit)
            img = load_upright(self.path, self.pixel_limit, self.max_side)
            decoded = Decoded(self.path, to_qimage(img), full_size,
                              full=self.max_side is None or max(full_size) <= self.max_side)
        except MediaError as exc:
            decoded = Decoded(self.path, None, (0, 0), str(exc))
        except Exception as exc:  # never let a bad file take the app down
            decoded = Decoded(self.path, None, (0, 0), f"{self.path}: cannot be shown ({exc})")
        decoded.requested_full = self.max_side is None
        self.signals.done.emit(decoded)


class ImageCache(QObject):
    """Reduced decodes of the current and the next image, made in the background, and the
    full-resolution decode of the current one. Full decodes have a pool of their own, so a
    first view never waits behind one, and only the newest is kept."""

    ready = Signal(object)

    def __init__(self, size: int = 3):
        super().__init__()
        self.items: OrderedDict[str, Decoded] = OrderedDict()
        self.pending: set[tuple[str, bool]] = set()
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
            self.pending.add((path, full))
            job = _Decode(path, pixel_limit, None if full else SCREEN_SIDE)
            job.signals.done.connect(self._done)
            (self.full_pool if full else self.quick_pool).start(job)
        return None

    def _done(self, decoded: Decoded) -> None:
        full = decoded.requested_full
        self.pending.discard((decoded.path, full))
        if full:  # one full-resolution image at a time: they are large
            for key in [k for k in self.items if k.endswith("#full")]:
                del self.items[key]
        self.items[decoded.path + ("#full" if full else "")] = decoded
        while len(self.items) > self.size:
            self.items.popitem(last=False)
        self.ready.emit(decoded)

    def wait(self) -> None:
        """Let running decodes finish (on close), so none reports to a deleted widget."""
        self.full_pool.clear()
        self.quick_pool.waitForDone()
        self.full_pool.waitForDone()


# ---- undo commands ----------------------------------------------------------------------------


class _AddBoxes(QUndoCommand):
    def __init__(self, canvas: "Canvas", boxes: list["BoxItem"], text: str = "add box"):
        super().__init__(text)
        self.canvas, self.boxes = canvas, boxes

    def redo(self) -> None:
        for b in self.boxes:
            self.canvas.attach(b)

    def undo(self) -> None:
        for b in self.boxes:
            self.canvas.detach(b)


class _RemoveBoxes(_AddBoxes):
    def redo(self) -> None:
        super().undo()

    def undo(self) -> None:
        super().redo()


class _SetBox(QUndoCommand):
    """A change of one box's geometry, label or accepted state."""

    def __init__(self, canvas: "Canvas", box: "BoxItem", before: dict, after: dict, text: str, merge_id: int = -1):
        super().__init__(text)
        self.canvas, self.box, self.before, self.after, self._id = canvas, box, before, after, merge_id

    def id(self) -> int:
        return self._id

    def mergeWith(self, other) -> bool:
        if other.box is not self.box:
            return False
        self.after = other.after
        return True

    def redo(self) -> None:
        self.box.restore(self.after)
        self.canvas.box_changed(self.box)

    def undo(self) -> None:
        self.box.restore(self.before)
        self.canvas.box_changed(self.box)


# ---- the boxes --------------------------------------------------------------------------------


class BoxItem(QGraphicsRectItem):
    _ids = itertools.count(1)

    def __init__(self, label: str, rect: QRectF, colour: str, *, predicted: bool = False, overlay: str | None = None):
        super().__init__(rect)
        self.uid = next(self._ids)
        self.label, self.colour, self.predicted, self.overlay = label, colour, predicted, overlay
        self.caption = QGraphicsSimpleTextItem(self)
        self.caption.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations)
        font = QFont()
        font.setPointSize(9)
        font.setBold(True)
        self.caption.setFont(font)
        self.caption.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        if overlay is None:
            self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        self.setZValue(2 if overlay is None else 1)
        self.refresh()

    def state(self) -> dict:
        return {"rect": QRectF(self.rect()), "label": self.label, "colour": self.colour, "predicted": self.predicted}

    def restore(self, state: dict) -> None:
        self.setRect(state["rect"])
        self.label, self.colour, self.predicted = state["label"], state["colour"], state["predicted"]
        self.refresh()

    def refresh(self) -> None:
        colour = QColor(self.colour)
        pen = QPen(colour, 2)
        pen.setCosmetic(True)  # the same width on screen at any zoom
        if self.predicted:
            pen.setStyle(Qt.PenStyle.DashLine)
        self.setPen(pen)
        # Only the selected box is filled, as in labelme: a translucent fill on every one of
        # 1,000 boxes was a quarter of a full repaint, and hid the photo under them.
        fill = QColor(colour)
        fill.setAlpha(70)
        self.setBrush(QBrush(fill) if self.isSelected() else QBrush(Qt.BrushStyle.NoBrush))
        text = self.label if self.overlay is None else f"{self.overlay}: {self.label}"
        self.caption.setText(text + (" (model)" if self.predicted else ""))
        self.caption.setBrush(QBrush(colour))
        self.caption.setPos(self.rect().topLeft())

    def itemChange(self, change, value):
        if change == QGraphicsItem.GraphicsItemChange.ItemSelectedHasChanged:
            self.refresh()
        return super().itemChange(change, value)

    def to_answer(self) -> dict:
        r = self.rect()
        return {"label": self.label, "x": round(r.x(), 2), "y": round(r.y(), 2), "w": round(r.width(), 2), "h": round(r.height(), 2)}


# ---- the canvas -------------------------------------------------------------------------------


class Canvas(QGraphicsView):
    """The view; it owns the scene, the image and the boxes, and turns mouse and keys into edits."""

    boxes_changed = Signal()
    selection_changed = Signal(object)  # BoxItem or None
    painted = Signal()

    def __init__(self, widget: "ImageBoxesWidget"):
        super().__init__()
        self.widget = widget
        self.setScene(QGraphicsScene(self))
        # No antialiasing: boxes are axis-aligned, and it is the most expensive part of a frame.
        self.setRenderHints(QPainter.RenderHint.SmoothPixmapTransform)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.MinimalViewportUpdate)
        self.setBackgroundBrush(QColor("#2b2d31"))
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.pixmap = QGraphicsPixmapItem()
        self.pixmap.setTransformationMode(Qt.TransformationMode.SmoothTransformation)
        # Scaled once per zoom level, then blitted: a drag does not rescale the photo every frame.
        self.pixmap.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.pixmap.setZValue(-2)
        self.scene().addItem(self.pixmap)
        # A large photo's part in view, at the resolution the zoom needs (tiles.py), over the first view.
        self.detail = QGraphicsPixmapItem()
        self.detail.setTransformationMode(Qt.TransformationMode.SmoothTransformation)
        self.detail.setZValue(-1)
        self.scene().addItem(self.detail)
        self.detail_rect: QRectF | None = None
        self.detail_scale = 0.0
        self.image_size = (0, 0)
        self.boxes: list[BoxItem] = []
        self.overlays: list[BoxItem] = []
        self._drag: dict | None = None
        self._space = False
        self._pan_from: QPointF | None = None
        self._cursor: QPointF | None = None
        self.boxes_visible = True
        self.scene().selectionChanged.connect(self._selection)  # a bound slot: dropped with the view

    def _selection(self) -> None:
        self.selection_changed.emit(self.selected())

    # image
    def set_image(self, image: QImage | None, full_size: tuple[int, int]) -> None:
        self.image_size = full_size
        self.set_detail(None, None, 0.0)
        if image is None:
            self.pixmap.setPixmap(QPixmap())
            return
        pm = QPixmap.fromImage(image)
        self.pixmap.setPixmap(pm)
        self.pixmap.setScale(full_size[0] / pm.width() if pm.width() else 1.0)
        self.scene().setSceneRect(QRectF(0, 0, *full_size))

    def set_detail(self, image: QImage | None, rect: QRectF | None, scale: float) -> None:
        self.detail_rect, self.detail_scale = rect, scale
        if image is None or rect is None or image.width() == 0:
            self.detail.setPixmap(QPixmap())
            return
        self.detail.setPixmap(QPixmap.fromImage(image))
        self.detail.setPos(rect.topLeft())
        self.detail.setScale(rect.width() / image.width())

    def visible_rect(self) -> QRectF:
        return self.mapToScene(self.viewport().rect()).boundingRect().intersected(self.image_rect())

    def image_rect(self) -> QRectF:
        return QRectF(0, 0, *self.image_size)

    def fit(self) -> None:
        if self.image_size[0]:
            self.fitInView(self.image_rect(), Qt.AspectRatioMode.KeepAspectRatio)

    # boxes
    def attach(self, box: BoxItem) -> None:
        if box.scene() is None:
            self.scene().addItem(box)
        box.setVisible(self.boxes_visible)
        if box not in self.boxes:
            self.boxes.append(box)
        self.boxes_changed.emit()

    def detach(self, box: BoxItem) -> None:
        if box in self.boxes:
            self.boxes.remove(box)
        if box.scene() is not None:
            self.scene().removeItem(box)
        self.boxes_changed.emit()

    def box_changed(self, box: BoxItem) -> None:
        self.boxes_changed.emit()

    def selected(self) -> BoxItem | None:
        items = [i for i in self.scene().selectedItems() if isinstance(i, BoxItem)]
        return items[0] if items else None

    def select(self, box: BoxItem | None) -> None:
        self.scene().clearSelection()
        if box is not None:
            box.setSelected(True)
            self.ensureVisible(box, 20, 20)

    def clamp(self, rect: QRectF) -> QRectF:
        r = rect.normalized().intersected(self.image_rect())
        return r

    def clear_boxes(self) -> None:
        for b in self.boxes + self.overlays:
            if b.scene() is not None:
                self.scene().removeItem(b)
        self.boxes, self.overlays = [], []
        self.boxes_changed.emit()

    def set_boxes_visible(self, on: bool) -> None:
        self.boxes_visible = on
        for b in self.boxes + self.overlays:
            b.setVisible(on)

    # hit testing in screen pixels, so edges are as easy to grab at any zoom
    def _hit(self, pos) -> tuple[BoxItem | None, str]:
        scene = self.mapToScene(pos)
        tol = HANDLE / max(self.transform().m11(), 1e-6)
        for box in sorted((b for b in self.boxes if b.isVisible()), key=lambda b: b.rect().width() * b.rect().height()):
            r = box.rect()
            if not r.adjusted(-tol, -tol, tol, tol).contains(scene):
                continue
            edges = ""
            if abs(scene.y() - r.top()) <= tol:
                edges += "t"
            elif abs(scene.y() - r.bottom()) <= tol:
                edges += "b"
            if abs(scene.x() - r.left()) <= tol:
                edges += "l"
            elif abs(scene.x() - r.right()) <= tol:
                edges += "r"
            return box, edges or "move"
        return None, ""

    def mousePressEvent(self, event) -> None:
        self.setFocus()
        if event.button() == Qt.MouseButton.MiddleButton or (self._space and event.button() == Qt.MouseButton.LeftButton):
            self._pan_from = event.position()
            self.viewport().setCursor(Qt.CursorShape.ClosedHandCursor)
            return
        if event.button() != Qt.MouseButton.LeftButton or self.widget.read_only or not self.image_size[0]:
            return super().mousePressEvent(event)
        box, mode = self._hit(event.position().toPoint())
        start = self.mapToScene(event.position().toPoint())
        if box is not None:
            self.select(box)
            self._drag = {"box": box, "mode": mode, "start": start, "before": box.state(), "rect": QRectF(box.rect())}
        else:
            self.scene().clearSelection()
            if self.image_rect().contains(start):
                self._drag = {"box": None, "mode": "draw", "start": start}

    def mouseMoveEvent(self, event) -> None:
        self._cursor = self.mapToScene(event.position().toPoint())
        if self._pan_from is not None:
            delta = event.position() - self._pan_from
            self._pan_from = event.position()
            self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() - int(delta.x()))
            self.verticalScrollBar().setValue(self.verticalScrollBar().value() - int(delta.y()))
            return
        d = self._drag
        if d is None:
            if not self.widget.read_only:
                _, mode = self._hit(event.position().toPoint())
                cursors = {"move": Qt.CursorShape.SizeAllCursor, "t": Qt.CursorShape.SizeVerCursor, "b": Qt.CursorShape.SizeVerCursor,
                           "l": Qt.CursorShape.SizeHorCursor, "r": Qt.CursorShape.SizeHorCursor, "tl": Qt.CursorShape.SizeFDiagCursor,
                           "br": Qt.CursorShape.SizeFDiagCursor, "tr": Qt.CursorShape.SizeBDiagCursor, "bl": Qt.CursorShape.SizeBDiagCursor}
                self.viewport().setCursor(cursors.get(mode, Qt.CursorShape.CrossCursor))
            self.viewport().update()  # the crosshair follows the cursor
            return
        pos = self._cursor
        if d["mode"] == "draw":
            rect = self.clamp(QRectF(d["start"], pos))
            if d["box"] is None:
                if rect.width() < MIN_BOX and rect.height() < MIN_BOX:
                    return
                d["box"] = BoxItem(self.widget.current_label, rect, self.widget.colour(self.widget.current_label))
                self.scene().addItem(d["box"])
            d["box"].setRect(rect)
            d["box"].refresh()
            return
        box, r = d["box"], QRectF(d["rect"])
        dx, dy = pos.x() - d["start"].x(), pos.y() - d["start"].y()
        if d["mode"] == "move":
            r.translate(dx, dy)
            img = self.image_rect()  # keep the whole box on the image
            r.moveLeft(min(max(r.left(), 0), img.width() - r.width()))
            r.moveTop(min(max(r.top(), 0), img.height() - r.height()))
        else:
            if "l" in d["mode"]:
                r.setLeft(r.left() + dx)
            if "r" in d["mode"]:
                r.setRight(r.right() + dx)
            if "t" in d["mode"]:
                r.setTop(r.top() + dy)
            if "b" in d["mode"]:
                r.setBottom(r.bottom() + dy)
            r = self.clamp(r)
        box.setRect(r)
        box.refresh()

    def mouseReleaseEvent(self, event) -> None:
        if self._pan_from is not None:
            self._pan_from = None
            self.viewport().setCursor(Qt.CursorShape.OpenHandCursor if self._space else Qt.CursorShape.CrossCursor)
            return
        d, self._drag = self._drag, None
        if d is None:
            return super().mouseReleaseEvent(event)
        box = d["box"]
        if d["mode"] == "draw":
            if box is None:
                return
            self.scene().removeItem(box)
            if box.rect().width() >= MIN_BOX and box.rect().height() >= MIN_BOX:
                self.widget.undo_stack.push(_AddBoxes(self, [box]))
                self.select(box)
                self.widget.changed.emit()
            return
        after = box.state()
        if after["rect"] != d["before"]["rect"]:
            after["predicted"] = False  # editing a prediction accepts it
            self.widget.undo_stack.push(_SetBox(self, box, d["before"], after, "move box" if d["mode"] == "move" else "resize box"))
            self.widget.changed.emit()

    def wheelEvent(self, event) -> None:
        factor = 1.0015 ** event.angleDelta().y()
        current = self.transform().m11()
        if 0.02 < current * factor < 64:
            self.scale(factor, factor)
        self.widget.zoomed()

    def keyPressEvent(self, event) -> None:
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space = True
            self.viewport().setCursor(Qt.CursorShape.OpenHandCursor)
            return
        super().keyPressEvent(event)

    def keyReleaseEvent(self, event) -> None:
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space = False
            self.viewport().setCursor(Qt.CursorShape.CrossCursor)
            return
        super().keyReleaseEvent(event)

    def drawForeground(self, painter: QPainter, rect: QRectF) -> None:
        """Crosshair guides while the cursor is over the image and not over a box edge."""
        if self._cursor is None or self.widget.read_only or not self.image_rect().contains(self._cursor):
            return
        if self._drag is not None and self._drag["mode"] != "draw":
            return
        pen = QPen(QColor(255, 255, 255, 140), 1, Qt.PenStyle.DashLine)
        pen.setCosmetic(True)
        painter.setPen(pen)
        img = self.image_rect()
        painter.drawLine(QPointF(img.left(), self._cursor.y()), QPointF(img.right(), self._cursor.y()))
        painter.drawLine(QPointF(self._cursor.x(), img.top()), QPointF(self._cursor.x(), img.bottom()))

    def paintEvent(self, event) -> None:
        super().paintEvent(event)
        self.painted.emit()


class ImageBoxesWidget(TaskWidget):
    image_ready = Signal(object)  # Decoded: tests and benchmarks wait on it
    tile_shown = Signal(object)  # tiles.Tile of a large photo, laid over the first view

    def __init__(self, parent=None):
        super().__init__(parent)
        self.labels: list[str] = []
        self.colours: dict[str, str] = {}
        self.current_label = ""
        self.item = None
        self.path: str | None = None
        self.pixel_limit = 178_956_970
        self.cache = ImageCache()
        self.cache.ready.connect(self._decoded)
        self.tiles = TileLoader()
        self.tiles.ready.connect(self._tile_ready)
        self.canvas = Canvas(self)
        self._tile_timer = QTimer(self, singleShot=True, interval=60, timeout=self._request_tile)
        for bar in (self.canvas.horizontalScrollBar(), self.canvas.verticalScrollBar()):
            bar.valueChanged.connect(self._view_moved)
        self.canvas.boxes_changed.connect(self._refresh_list)
        self._full_after_paint: str | None = None  # the path whose full decode waits for its first view to paint
        self.canvas.painted.connect(self._painted)
        self.canvas.selection_changed.connect(self._select_in_list)
        self.error = QLabel()
        self.error.setObjectName("error")
        self.error.setWordWrap(True)
        self.error.hide()
        self.model_note = QLabel()
        self.model_note.setObjectName("modelNote")
        self.model_note.hide()

        self.label_search = QLineEdit()
        self.label_search.setPlaceholderText("Search labels (Ctrl+F)")
        self.label_search.textChanged.connect(self._filter_labels)
        self.label_search.returnPressed.connect(self._pick_first_label)
        self.label_list = QListWidget()
        self.label_list.itemClicked.connect(lambda it: self.set_label(it.data(Qt.ItemDataRole.UserRole)))
        self.box_list = QListWidget()
        self.box_list.itemSelectionChanged.connect(self._list_selection)
        side = QWidget()
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(0, 0, 0, 0)
        side_layout.addWidget(QLabel("Label (1–9)"))
        side_layout.addWidget(self.label_search)
        side_layout.addWidget(self.label_list, 2)
        side_layout.addWidget(QLabel("Boxes"))
        side_layout.addWidget(self.box_list, 3)
        split = QSplitter()
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.error)
        left_layout.addWidget(self.canvas, 1)
        left_layout.addWidget(self.model_note)
        side.setMinimumWidth(240)
        split.addWidget(left)
        split.addWidget(side)
        split.setStretchFactor(0, 5)
        split.setStretchFactor(1, 1)
        split.setSizes([1000, 260])
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(split)

        ctx = Qt.ShortcutContext.WidgetWithChildrenShortcut
        for n in range(1, 10):
            QShortcut(QKeySequence(str(n)), self, activated=lambda n=n: self._number(n), context=ctx)
        QShortcut(QKeySequence("Ctrl+F"), self, activated=self.label_search.setFocus, context=ctx)
        QShortcut(QKeySequence(Qt.Key.Key_Delete), self, activated=self.delete_selected, context=ctx)
        QShortcut(QKeySequence(Qt.Key.Key_Backspace), self, activated=self.delete_selected, context=ctx)
        # Editing keys, off while read-only so a review window can use the same letters.
        self.editing_shortcuts = [QShortcut(QKeySequence("F"), self, activated=self.canvas.fit, context=ctx)]
        QShortcut(QKeySequence("H"), self, activated=lambda: self.canvas.set_boxes_visible(not self.canvas.boxes_visible), context=ctx)
        self.editing_shortcuts += [
            QShortcut(QKeySequence(Qt.Key.Key_Return), self, activated=self.accept_predictions, context=ctx),
            QShortcut(QKeySequence("A"), self, activated=self.accept_selected, context=ctx),
        ]
        for key, (dx, dy) in {Qt.Key.Key_Left: (-1, 0), Qt.Key.Key_Right: (1, 0), Qt.Key.Key_Up: (0, -1), Qt.Key.Key_Down: (0, 1)}.items():
            QShortcut(QKeySequence(key), self, activated=lambda dx=dx, dy=dy: self.nudge(dx, dy), context=ctx)
            QShortcut(QKeySequence(Qt.KeyboardModifier.ShiftModifier | key), self,
                      activated=lambda dx=dx, dy=dy: self.nudge(10 * dx, 10 * dy), context=ctx)

    # ---- TaskWidget -------------------------------------------------------------------------------

    def media_paths(self, item: Any, media_root: str | None) -> list[str]:
        from annotator.media import resolve

        return [str(resolve(media_root, item.payload["image"]))]

    def prefetch(self, item: Any, media_root: str | None = None) -> None:
        self.cache.request(self.media_paths(item, media_root)[0], self.pixel_limit)

    def load(self, item: Any, media_root: str | None = None) -> None:
        config = item.config
        if list(config.get("labels", [])) != self.labels:
            self._set_labels(list(config.get("labels", [])), config.get("colors") or {})
        self.item = item
        self.pixel_limit = getattr(item, "pixel_limit", None) or self.pixel_limit
        self.undo_stack.clear()
        self.canvas.clear_boxes()
        self.error.hide()
        self.path = self.media_paths(item, media_root)[0]
        self._pending_boxes = ((item.draft or {}).get("boxes", []), bool(item.prediction and not item.draft))
        self.canvas.set_image(None, (0, 0))
        if item.prediction and not item.draft:
            boxes = item.prediction.get("boxes", [])
            conf = f" ({item.confidence:.0%} sure)" if item.confidence is not None else ""
            self.model_note.setText(f"{len(boxes)} box(es) from the model{conf}, dashed: Enter accepts all, A the selected one, Del removes.")
            self.model_note.show()
        else:
            self.model_note.hide()
        if getattr(item, "media_error", ""):  # the project's store could not give this desktop the image
            self.error.setText(f"Cannot show this image: {item.media_error}\nSkip it with Ctrl+Shift+K.")
            self.error.show()
            return
        decoded = self.cache.request(self.path, self.pixel_limit)
        if decoded is not None:  # prefetched: shown in this very call
            self._decoded(decoded)

    def focus_input(self) -> None:
        self.canvas.setFocus()

    def _decoded(self, decoded: Decoded) -> None:
        if decoded.path != self.path:
            return
        if decoded.error:
            self.error.setText(f"Cannot show this image: {decoded.error}\nSkip it with Ctrl+Shift+K.")
            self.error.show()
            self.image_ready.emit(decoded)
            return
        first = self.canvas.image_size == (0, 0)
        if not first and not decoded.full:
            return
        self.canvas.set_image(decoded.image, decoded.full_size)
        if decoded.full and decoded.requested_full:
            # Now a pixmap on the canvas; the decoded bytes (36 MB at 12 MP) are not needed twice.
            self.cache.items.pop(decoded.path + "#full", None)
            decoded.image = None
        if first:
            self.canvas.fit()
            self._place_pending()
            if not decoded.full and not self._tiled():  # the full resolution follows, for zooming in,
                self._full_after_paint = self.path      # once this first view is on screen
        self.image_ready.emit(decoded)

    def _painted(self) -> None:
        """The first view is on screen: now its full-resolution decode, which beside the first
        view's paint would only slow it down."""
        path, self._full_after_paint = self._full_after_paint, None
        if path is None or path != self.path:
            return
        full = self.cache.request(self.path, self.pixel_limit, full=True)
        if full is not None:
            self._decoded(full)

    def _place_pending(self) -> None:
        pending = getattr(self, "_pending_boxes", None)
        if not pending:
            return
        boxes, predicted = pending
        if not boxes and predicted:
            boxes = self.item.prediction.get("boxes", [])
        self._pending_boxes = None
        for b in boxes:
            self.canvas.attach(BoxItem(b["label"], QRectF(b["x"], b["y"], b["w"], b["h"]), self.colour(b["label"]), predicted=predicted))

    def answer(self) -> dict[str, Any]:
        return {"boxes": [b.to_answer() for b in self.canvas.boxes if not b.predicted]}

    def set_answer(self, answer: dict[str, Any] | None) -> None:
        self.canvas.clear_boxes()
        for b in (answer or {}).get("boxes", []):
            self.canvas.attach(BoxItem(b["label"], QRectF(b["x"], b["y"], b["w"], b["h"]), self.colour(b["label"])))

    def set_read_only(self, read_only: bool) -> None:
        super().set_read_only(read_only)
        self.label_list.setEnabled(not read_only)
        for shortcut in self.editing_shortcuts:
            shortcut.setEnabled(not read_only)

    def closeEvent(self, event) -> None:
        self.cache.wait()
        self.tiles.wait()
        super().closeEvent(event)

    def show_overlay(self, overlays: list[tuple[str, dict[str, Any], str]]) -> None:
        for o in self.canvas.overlays:
            self.canvas.scene().removeItem(o)
        self.canvas.overlays = []
        for who, answer, colour in overlays:
            for b in answer.get("boxes", []):
                item = BoxItem(b["label"], QRectF(b["x"], b["y"], b["w"], b["h"]), colour, overlay=who)
                self.canvas.scene().addItem(item)
                self.canvas.overlays.append(item)

    # ---- labels ---------------------------------------------------------------------------------

    def colour(self, label: str) -> str:
        return self.colours.get(label, "#ffffff")

    def _set_labels(self, labels: list[str], colours: dict) -> None:
        self.labels = labels
        self.colours = {l: colours.get(l, PALETTE[n % len(PALETTE)]) for n, l in enumerate(labels)}
        self.label_list.clear()
        for n, label in enumerate(labels):
            it = QListWidgetItem(f"{n + 1}  {label}" if n < 9 else label)
            it.setData(Qt.ItemDataRole.UserRole, label)
            it.setForeground(QColor(self.colours[label]))
            self.label_list.addItem(it)
        self.set_label(labels[0] if labels else "")

    def set_label(self, label: str) -> None:
        """Choose the label for new boxes; relabel the selected box."""
        if label not in self.labels:
            return
        self.current_label = label
        for i in range(self.label_list.count()):
            it = self.label_list.item(i)
            it.setSelected(it.data(Qt.ItemDataRole.UserRole) == label)
        box = self.canvas.selected()
        if box is not None and box.label != label and not self.read_only:
            before = box.state()
            after = dict(before, label=label, colour=self.colour(label), predicted=False)
            self.undo_stack.push(_SetBox(self.canvas, box, before, after, "relabel box"))
            self.changed.emit()

    def _number(self, n: int) -> None:
        if self.label_search.hasFocus():
            return
        if n <= len(self.labels):
            self.set_label(self.labels[n - 1])

    def _filter_labels(self, text: str) -> None:
        needle = text.strip().lower()
        for i in range(self.label_list.count()):
            it = self.label_list.item(i)
            it.setHidden(bool(needle) and needle not in it.data(Qt.ItemDataRole.UserRole).lower())

    def _pick_first_label(self) -> None:
        for i in range(self.label_list.count()):
            it = self.label_list.item(i)
            if not it.isHidden():
                self.set_label(it.data(Qt.ItemDataRole.UserRole))
                break
        self.label_search.clear()
        self.canvas.setFocus()

    # ---- edits ----------------------------------------------------------------------------------

    def delete_selected(self) -> None:
        box = self.canvas.selected()
        if box is not None and not self.read_only:
            self.undo_stack.push(_RemoveBoxes(self.canvas, [box], "delete box"))
            self.changed.emit()

    def nudge(self, dx: float, dy: float) -> None:
        box = self.canvas.selected()
        if box is None or self.read_only:
            return
        before = box.state()
        r = QRectF(box.rect()).translated(dx, dy)
        img = self.canvas.image_rect()
        r.moveLeft(min(max(r.left(), 0), img.width() - r.width()))
        r.moveTop(min(max(r.top(), 0), img.height() - r.height()))
        self.undo_stack.push(_SetBox(self.canvas, box, before, dict(before, rect=r, predicted=False), "nudge box", merge_id=7))
        self.changed.emit()

    def accept_predictions(self) -> None:
        predicted = [b for b in self.canvas.boxes if b.predicted]
        if not predicted or self.read_only:
            return
        self.undo_stack.beginMacro("accept predicted boxes")
        for b in predicted:
            before = b.state()
            self.undo_stack.push(_SetBox(self.canvas, b, before, dict(before, predicted=False), "accept"))
        self.undo_stack.endMacro()
        self.changed.emit()

    def accept_selected(self) -> None:
        box = self.canvas.selected()
        if box is not None and box.predicted and not self.read_only:
            before = box.state()
            self.undo_stack.push(_SetBox(self.canvas, box, before, dict(before, predicted=False), "accept box"))
            self.changed.emit()

    def zoomed(self) -> None:
        """Past the reduced decode's resolution, show the full image (decoded in the background),
        or, for a large photo, the part in view at the resolution the zoom needs."""
        if not self.path or self.canvas.image_size == (0, 0):
            return
        if self._tiled():
            self._view_moved()
            return
        full = self.cache.request(self.path, self.pixel_limit, full=True)
        if full is not None:
            self._decoded(full)

    def _tiled(self) -> bool:
        w, h = self.canvas.image_size
        return w * h > TILED_ABOVE_PIXELS

    def _view_moved(self, *_args) -> None:
        if self.path and self._tiled():
            self._tile_timer.start()  # once the wheel or the pan pauses

    def _request_tile(self) -> None:
        """A tile for the view, unless the first view or the tile shown already has the pixels."""
        c = self.canvas
        if not self.path or not self._tiled() or c.pixmap.pixmap().isNull():
            return
        first_view = c.pixmap.pixmap().width() / c.image_size[0]
        view = c.transform().m11()  # screen pixels per image pixel
        if view <= first_view * 1.1:  # the first view is sharp enough here
            return
        scale = needed_scale(view)
        visible = c.visible_rect()
        if c.detail_rect is not None and c.detail_scale >= scale and c.detail_rect.contains(visible):
            return
        self.tiles.request(self.path, self.pixel_limit, wanted_region(visible, c.image_rect()), scale)

    def _tile_ready(self, tile) -> None:
        if tile.path == self.path and tile.image is not None:
            self.canvas.set_detail(tile.image, tile.rect, tile.scale)
            self.tile_shown.emit(tile)

    # ---- side list ------------------------------------------------------------------------------

    def _refresh_list(self) -> None:
        self.box_list.blockSignals(True)
        self.box_list.clear()
        for b in self.canvas.boxes:
            r = b.rect()
            it = QListWidgetItem(f"{b.label}{' (model)' if b.predicted else ''}  {r.width():.0f}×{r.height():.0f} at {r.x():.0f},{r.y():.0f}")
            it.setData(Qt.ItemDataRole.UserRole, b.uid)
            it.setForeground(QColor(b.colour))
            self.box_list.addItem(it)
            it.setSelected(b.isSelected())
        self.box_list.blockSignals(False)

    def _select_in_list(self, box) -> None:
        self.box_list.blockSignals(True)
        for i in range(self.box_list.count()):
            it = self.box_list.item(i)
            it.setSelected(box is not None and it.data(Qt.ItemDataRole.UserRole) == box.uid)
        self.box_list.blockSignals(False)

    def _list_selection(self) -> None:
        items = self.box_list.selectedItems()
        if not items:
            return
        uid = items[0].data(Qt.ItemDataRole.UserRole)
        self.canvas.select(next((b for b in self.canvas.boxes if b.uid == uid), None))
