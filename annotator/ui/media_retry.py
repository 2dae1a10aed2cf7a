"""The workbench's answer to a media store that does not answer: a banner, and the item's media
tried again with a growing delay, while the annotator works on whatever this desktop has. An
answer or a draft never depends on the store."""

from __future__ import annotations

import dataclasses

from PySide6.QtCore import QObject, QTimer

from annotator.core.media_access import localize

DELAYS = (2, 4, 8, 15, 30, 60)  # seconds between tries; the last repeats


class MediaRetry(QObject):
    def __init__(self, workbench):
        super().__init__(workbench)
        self.bench = workbench
        self.tries = 0
        self.timer = QTimer(self, singleShot=True)
        self.timer.timeout.connect(self._try_again)

    def watch(self, item) -> None:
        """Called for each item shown: starts retrying when its store did not answer."""
        if not getattr(item, "media_unreachable", False):
            if self.tries:
                self.bench.banner.hide()
            self.tries = 0
            self.timer.stop()
            return
        delay = DELAYS[min(self.tries, len(DELAYS) - 1)]
        self.bench.banner.setText(f"{item.media_error} Trying again in {delay} s. Skip to go on with other items; "
                                  "your answers and drafts are not affected.")
        self.bench.banner.show()
        self.tries += 1
        self.timer.start(delay * 1000)

    def _try_again(self) -> None:
        item = self.bench.current
        if item is None or not getattr(item, "media_unreachable", False):
            return
        plain = dataclasses.replace(item, media_error="", media_unreachable=False)
        actor = self.bench.actor
        self.bench.worker.call_db(lambda db: localize(db, actor, plain), self._fetched, lambda _exc: self.watch(item))

    def _fetched(self, item) -> None:
        current = self.bench.current
        if current is None or current.assignment_id != item.assignment_id:
            return  # the annotator moved on; the next item brings its own
        self.bench.current = item
        if not item.media_unreachable and self.bench.widget is not None:
            self.bench.widget.load(item.shown(), item.media_root)
        self.watch(item)
