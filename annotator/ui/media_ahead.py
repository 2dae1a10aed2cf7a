"""The media of the item claimed ahead, brought to this desktop in the background: for a
store-backed project the object is fetched through the cache, checked and (by the widget's
prefetch) decoded, before the person gets to the item.

That work waits until the item on screen has been painted. A Submit shows the held item at once
and claims the one after it; fetched straight away, that item's download, hashing and decode
ran beside the paint of the one just shown, on the same two cores and under the same
interpreter lock, and made the slow Submits slower. A person spends seconds on an item, so the
media are still local long before they are needed; if the person gets there first, the wait
ends and the fetch goes at once."""

from __future__ import annotations

from typing import Any, Callable

from PySide6.QtCore import QObject, QTimer

AFTER_PAINT_MS = 100  # well after a Submit's paint, and well before a person moves on


class MediaAhead(QObject):
    def __init__(self, fetch: Callable[[Any, Callable[[Any], None]], None], parent: QObject):
        """`fetch(item, then)` sends the item's media job to the worker and calls `then` with
        the item (its media local, or its media_error set) when it is done."""
        super().__init__(parent)
        self._fetch = fetch
        self._pending: tuple[Any, Callable[[Any], None]] | None = None
        self.timer = QTimer(self, singleShot=True, interval=AFTER_PAINT_MS, timeout=self.hurry)

    def bring(self, item: Any, then: Callable[[Any], None], *, waited_for: bool) -> None:
        """Fetch the item's media after the paint on screen, or at once when the person is
        waiting for it (`waited_for`); `then(item)` when they are here. None passes straight on."""
        if item is None:
            then(None)
            return
        self._pending = (item, then)
        if waited_for:
            self.hurry()
        else:
            self.timer.start()

    @property
    def pending(self) -> Any:
        """The item whose fetch waits for the paint, if one does."""
        return None if self._pending is None else self._pending[0]

    def hurry(self) -> None:
        """The person is waiting for the item (or the paint is done): fetch it now."""
        self.timer.stop()
        if self._pending is not None:
            (item, then), self._pending = self._pending, None
            self._fetch(item, then)

    def drop(self) -> None:
        """The window closes: a fetch not yet sent is not sent (its claim is given back)."""
        self.timer.stop()
        self._pending = None
