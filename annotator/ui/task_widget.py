"""The base of every kind's widget: shows one item, reports `answer()`, emits `changed`, keeps
its own undo stack, can be read-only (review) and can overlay other answers (gold feedback)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from PySide6.QtCore import Signal
from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import QWidget

from annotator.media.arriving import ArrivingBytes


class TaskWidget(QWidget):
    """What a window may ask of every kind's widget. The abilities some kinds lack (prefetch,
    stop, a cache) have do-nothing defaults here, so no caller has to ask whether they exist."""

    changed = Signal()
    cache_dir: Path | None = None  # where a kind may keep what it derives from media (waveforms)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.undo_stack = QUndoStack(self)
        self.read_only = False

    def load(self, item: Any, media_root: str | None = None) -> None:
        """Show an item (a queue_items.ShownItem); starts from its draft if it has one."""
        raise NotImplementedError

    def answer(self) -> dict[str, Any]:
        raise NotImplementedError

    def set_answer(self, answer: dict[str, Any] | None) -> None:
        raise NotImplementedError

    def set_read_only(self, read_only: bool) -> None:
        self.read_only = read_only

    def show_overlay(self, overlays: list[tuple[str, dict[str, Any], str]]) -> None:
        """Show other answers over this one: (who, answer, colour), e.g. ("correct answer", gold, "#2e7d32")."""

    def clear_overlay(self) -> None:
        self.show_overlay([])

    def focus_input(self) -> None:
        """Give the keyboard to the part that takes this kind's keys. Called once the widget is
        on screen: Qt drops the focus given to a hidden widget of a window not yet active."""
        self.setFocus()

    def media_paths(self, item: Any, media_root: str | None) -> list[str]:
        return []

    def prefetch(self, item: Any, media_root: str | None = None) -> None:
        """Start preparing the next item's media (decoding, say) while this one is worked on."""

    def arrival_watcher(self, item: Any) -> Callable[[ArrivingBytes], None] | None:
        """Where the item's media bytes go as they arrive from the project's store, before the
        item is shown: called on the worker thread that fetches them, so that a decode can start
        during the download. None: this kind reads its media once they are in the cache."""
        return None

    def stop(self) -> None:
        """Stop anything that goes on by itself (playback) before the window closes."""
