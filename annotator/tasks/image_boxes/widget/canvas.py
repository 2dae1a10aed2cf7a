"""The box canvas: a QGraphicsView over the upright photo, whose scene coordinates are the
image's own pixels, and the boxes on it. It turns the mouse and keys into edits; where a press
lands and what a drag does are canvas_geometry's, without Qt."""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QImage, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QGraphicsItem, QGraphicsPixmapItem, QGraphicsRectItem, QGraphicsScene, QGraphicsSimpleTextItem, QGraphicsView

from annotator.tasks.image_boxes import canvas_geometry as geometry
from annotator.tasks.image_boxes.canvas_geometry import Box, Drag
from annotator.tasks.image_boxes.widget.commands import AddBoxes, SetBox

if TYPE_CHECKING:
    from annotator.tasks.image_boxes.widget import ImageBoxesWidget

HANDLE = 7  # pixels on screen that count as a box edge


def as_box(rect: QRectF) -> Box:
    return Box(rect.left(), rect.top(), rect.right(), rect.bottom())


def as_rect(box: Box) -> QRectF:
    return QRectF(box.left, box.top, box.width, box.height)


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
        self.shown_before: list[QPixmap] = []  # let go once the next image is painted (set_image)
        self.boxes: list[BoxItem] = []
        self.overlays: list[BoxItem] = []
        self._drag: Drag | None = None
        self._space = False
        self._pan_from: QPointF | None = None
        self._cursor: QPointF | None = None
        self.boxes_visible = True
        self.scene().selectionChanged.connect(self._selection)  # a bound slot: dropped with the view

    def _selection(self) -> None:
        self.selection_changed.emit(self.selected())

    # image
    def set_image(self, image: QImage | None, full_size: tuple[int, int]) -> None:
        # What was shown (up to a full-resolution photo's 48 MB) is let go after the next image is
        # painted, not now: giving that much back to the kernel holds the process's memory map,
        # and stalls the next photo's decode, which starts at this moment on another thread.
        self.shown_before += [self.pixmap.pixmap(), self.detail.pixmap()]
        del self.shown_before[:-4]  # items skipped faster than they paint keep no more than two
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
        shown = [b for b in self.boxes if b.isVisible()]
        index, part = geometry.hit([as_box(b.rect()) for b in shown], scene.x(), scene.y(),
                                   HANDLE / max(self.transform().m11(), 1e-6))
        return (None, "") if index is None else (shown[index], part)

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
            self._drag = Drag(mode, (start.x(), start.y()), box, box.state(), as_box(box.rect()))
        else:
            self.scene().clearSelection()
            if self.image_rect().contains(start):
                self._drag = Drag("draw", (start.x(), start.y()))

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
        width, height = self.image_size
        if d.mode == "draw":
            drawn = geometry.clamp(Box.spanning(*d.start, pos.x(), pos.y()), width, height)
            if d.box is None:
                if drawn.width < geometry.MIN_BOX and drawn.height < geometry.MIN_BOX:
                    return
                d.box = BoxItem(self.widget.current_label, as_rect(drawn), self.widget.colour(self.widget.current_label))
                self.scene().addItem(d.box)
            d.box.setRect(as_rect(drawn))
            d.box.refresh()
            return
        dx, dy = pos.x() - d.start[0], pos.y() - d.start[1]
        if d.mode == "move":
            after = geometry.moved(d.original, dx, dy, width, height)
        else:
            after = geometry.resized(d.original, d.mode, dx, dy, width, height)
        d.box.setRect(as_rect(after))
        d.box.refresh()

    def mouseReleaseEvent(self, event) -> None:
        if self._pan_from is not None:
            self._pan_from = None
            self.viewport().setCursor(Qt.CursorShape.OpenHandCursor if self._space else Qt.CursorShape.CrossCursor)
            return
        d, self._drag = self._drag, None
        if d is None:
            return super().mouseReleaseEvent(event)
        box = d.box
        if d.mode == "draw":
            if box is None:
                return
            self.scene().removeItem(box)
            if as_box(box.rect()).big_enough():
                self.widget.undo_stack.push(AddBoxes(self, [box]))
                self.select(box)
                self.widget.changed.emit()
            return
        after = box.state()
        if after["rect"] != d.before["rect"]:
            after["predicted"] = False  # editing a prediction accepts it
            self.widget.undo_stack.push(SetBox(self, box, d.before, after, "move box" if d.mode == "move" else "resize box"))
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
        if self._drag is not None and self._drag.mode != "draw":
            return
        pen = QPen(QColor(255, 255, 255, 140), 1, Qt.PenStyle.DashLine)
        pen.setCosmetic(True)
        painter.setPen(pen)
        img = self.image_rect()
        painter.drawLine(QPointF(img.left(), self._cursor.y()), QPointF(img.right(), self._cursor.y()))
        painter.drawLine(QPointF(self._cursor.x(), img.top()), QPointF(self._cursor.x(), img.bottom()))

    def paintEvent(self, event) -> None:
        super().paintEvent(event)
        if self.shown_before and self.image_size != (0, 0):  # the new image is on screen
            QTimer.singleShot(0, self, self.shown_before.clear)
        self.painted.emit()
