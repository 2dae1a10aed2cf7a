"""What the pointer is on, and what a drag does to a box, in the image's own pixels and without
Qt: the canvas asks these functions, and they are tested on their own."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

MIN_BOX = 2.0  # a drag shorter than this, both ways, is a click, not a box


@dataclass(frozen=True)
class Box:
    """A rectangle in image pixels, left <= right and top <= bottom."""

    left: float
    top: float
    right: float
    bottom: float

    @classmethod
    def spanning(cls, x0: float, y0: float, x1: float, y1: float) -> "Box":
        """The box two corners span, whichever way the drag went."""
        return cls(min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))

    @classmethod
    def at(cls, x: float, y: float, w: float, h: float) -> "Box":
        return cls.spanning(x, y, x + w, y + h)

    @property
    def width(self) -> float:
        return self.right - self.left

    @property
    def height(self) -> float:
        return self.bottom - self.top

    def big_enough(self) -> bool:
        return self.width >= MIN_BOX and self.height >= MIN_BOX


def clamp(box: Box, width: float, height: float) -> Box:
    """The part of the box on the image; an empty box at the origin if none of it is."""
    left, top = max(box.left, 0.0), max(box.top, 0.0)
    right, bottom = min(box.right, width), min(box.bottom, height)
    if right <= left or bottom <= top:
        return Box(0.0, 0.0, 0.0, 0.0)
    return Box(left, top, right, bottom)


def hit(boxes: Sequence[Box], x: float, y: float, tolerance: float) -> tuple[int | None, str]:
    """The smallest box within `tolerance` of the point (so a box inside another stays
    reachable), by its index, and the part of it: "move", or the edges held ("t", "br", …)."""
    order = sorted(range(len(boxes)), key=lambda i: boxes[i].width * boxes[i].height)
    for i in order:
        b = boxes[i]
        if not (b.left - tolerance <= x <= b.right + tolerance and b.top - tolerance <= y <= b.bottom + tolerance):
            continue
        edges = ""
        if abs(y - b.top) <= tolerance:
            edges += "t"
        elif abs(y - b.bottom) <= tolerance:
            edges += "b"
        if abs(x - b.left) <= tolerance:
            edges += "l"
        elif abs(x - b.right) <= tolerance:
            edges += "r"
        return i, edges or "move"
    return None, ""


def moved(box: Box, dx: float, dy: float, width: float, height: float) -> Box:
    """The box moved by (dx, dy), kept whole on the image."""
    left = min(max(box.left + dx, 0.0), width - box.width)
    top = min(max(box.top + dy, 0.0), height - box.height)
    return Box(left, top, left + box.width, top + box.height)


def resized(box: Box, edges: str, dx: float, dy: float, width: float, height: float) -> Box:
    """The box with the held edges moved; dragged past the opposite edge, it turns over."""
    left = box.left + dx if "l" in edges else box.left
    right = box.right + dx if "r" in edges else box.right
    top = box.top + dy if "t" in edges else box.top
    bottom = box.bottom + dy if "b" in edges else box.bottom
    return clamp(Box.spanning(left, top, right, bottom), width, height)


@dataclass
class Drag:
    """A press held on the canvas: drawing a new box, or moving or resizing one."""

    mode: str  # "draw", "move", or the edges held
    start: tuple[float, float]  # where it began, in image pixels
    box: Any = None  # the box item drawn or changed (None until a drawn box is big enough)
    before: dict | None = None  # the box's state when the press began, for undo
    original: Box | None = None  # its rectangle then
