"""The box canvas's undoable edits: adding, removing and changing boxes, on Qt's undo stack."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtGui import QUndoCommand

if TYPE_CHECKING:
    from annotator.tasks.image_boxes.widget.canvas import BoxItem, Canvas


class AddBoxes(QUndoCommand):
    def __init__(self, canvas: "Canvas", boxes: list["BoxItem"], text: str = "add box"):
        super().__init__(text)
        self.canvas, self.boxes = canvas, boxes

    def redo(self) -> None:
        for b in self.boxes:
            self.canvas.attach(b)

    def undo(self) -> None:
        for b in self.boxes:
            self.canvas.detach(b)


class RemoveBoxes(AddBoxes):
    def redo(self) -> None:
        super().undo()

    def undo(self) -> None:
        super().redo()


class SetBox(QUndoCommand):
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
