"""Image boxes: the task widget around the canvas (canvas.py), with the label list, the box list,
the keys and the undo stack. Scene coordinates are pixels of the upright (EXIF-transposed)
full-resolution image, whatever resolution is on screen, so boxes are stored in exactly the
pixels a user of the exported data will see. Photos are decoded off the UI thread (decoding.py).

Mouse: drag on the image draws a box; drag a box to move it, its edges or corners to resize;
wheel zooms at the cursor; middle button or Space+drag pans. Keys: 1–9 pick the label (and
relabel the selected box), Del deletes, arrows nudge (Shift: 10 px), F fits, H hides boxes,
Enter accepts all predicted boxes, A accepts the selected one."""

from __future__ import annotations

from typing import Any, Callable

from PySide6.QtCore import QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QKeySequence, QShortcut
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QListWidget, QListWidgetItem, QSplitter, QVBoxLayout, QWidget

from annotator.media.arriving import ArrivingBytes
from annotator.tasks.image_boxes.widget.canvas import BoxItem, Canvas
from annotator.tasks.image_boxes.widget.commands import RemoveBoxes, SetBox
from annotator.tasks.image_boxes.widget.decoding import Decoded, ImageCache
from annotator.ui.image_tiles import TILED_ABOVE_PIXELS, TileLoader, needed_scale, wanted_region
from annotator.ui.task_widget import TaskWidget

PALETTE = ["#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#42d4f4", "#f032e6", "#bfef45",
           "#fabed4", "#469990", "#dcbeff", "#9a6324", "#800000", "#aaffc3", "#808000", "#000075"]


class ImageBoxesWidget(TaskWidget):
    image_ready = Signal(object)  # Decoded: tests and benchmarks wait on it
    tile_shown = Signal(object)  # tiles.Tile of a large photo, laid over the first view
    bytes_arriving = Signal(object, int)  # ArrivingBytes and the pixel limit, from the worker thread to the decoder

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
        # Emitted on the thread that fetches; the decode is started from this one.
        self.bytes_arriving.connect(self.cache.expect, Qt.ConnectionType.QueuedConnection)
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

    def arrival_watcher(self, item: Any) -> Callable[[ArrivingBytes], None]:
        limit = self._pixel_limit_of(item)
        return lambda arriving: self.bytes_arriving.emit(arriving, limit)

    def _pixel_limit_of(self, item: Any) -> int:
        return getattr(item, "pixel_limit", None) or self.pixel_limit

    def load(self, item: Any, media_root: str | None = None) -> None:
        self.path = self.media_paths(item, media_root)[0]
        self.pixel_limit = self._pixel_limit_of(item)
        media_error = getattr(item, "media_error", "")  # the project's store could not give this desktop the image
        # The decode is asked for first: it runs on its own thread while this one resets the canvas.
        decoded = None if media_error else self.cache.request(self.path, self.pixel_limit)
        config = item.config
        if list(config.get("labels", [])) != self.labels:
            self._set_labels(list(config.get("labels", [])), config.get("colors") or {})
        self.item = item
        self.undo_stack.clear()
        self.canvas.clear_boxes()
        self.error.hide()
        self._pending_boxes = ((item.draft or {}).get("boxes", []), bool(item.prediction and not item.draft))
        self.canvas.set_image(None, (0, 0))
        if item.prediction and not item.draft:
            boxes = item.prediction.get("boxes", [])
            conf = f" ({item.confidence:.0%} sure)" if item.confidence is not None else ""
            self.model_note.setText(f"{len(boxes)} box(es) from the model{conf}, dashed: Enter accepts all, A the selected one, Del removes.")
            self.model_note.show()
        else:
            self.model_note.hide()
        if media_error:
            self.error.setText(f"Cannot show this image: {media_error}\nSkip it with Ctrl+Shift+K.")
            self.error.show()
            return
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

    def stop(self) -> None:
        """The window is closing: decodes still running end first, so none reports to a widget
        that is gone (the workbench closes its window, not this widget)."""
        self.cache.wait()
        self.tiles.wait()

    def closeEvent(self, event) -> None:
        self.stop()
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
            self.undo_stack.push(SetBox(self.canvas, box, before, after, "relabel box"))
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
            self.undo_stack.push(RemoveBoxes(self.canvas, [box], "delete box"))
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
        self.undo_stack.push(SetBox(self.canvas, box, before, dict(before, rect=r, predicted=False), "nudge box", merge_id=7))
        self.changed.emit()

    def accept_predictions(self) -> None:
        predicted = [b for b in self.canvas.boxes if b.predicted]
        if not predicted or self.read_only:
            return
        self.undo_stack.beginMacro("accept predicted boxes")
        for b in predicted:
            before = b.state()
            self.undo_stack.push(SetBox(self.canvas, b, before, dict(before, predicted=False), "accept"))
        self.undo_stack.endMacro()
        self.changed.emit()

    def accept_selected(self) -> None:
        box = self.canvas.selected()
        if box is not None and box.predicted and not self.read_only:
            before = box.state()
            self.undo_stack.push(SetBox(self.canvas, box, before, dict(before, predicted=False), "accept box"))
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
