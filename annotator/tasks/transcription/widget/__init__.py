"""Transcription: a waveform of the whole clip (a min/max envelope computed in the background
and cached, never raw samples), a playhead with click-to-seek, a region that loops, playback
at 0.5–2× speed, and the transcript box."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QEvent, QObject, Qt, QThreadPool, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut, QUndoCommand
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
)

from annotator.tasks.transcription.widget.waveform import EnvelopeJob, Pyramid
from annotator.ui.playback import Player
from annotator.ui.task_widget import TaskWidget

SEEK_STEP = 2.0


class _TextEdit(QUndoCommand):
    """Typing, merged into one undo step per burst."""

    def __init__(self, widget: "TranscriptionWidget", before: str, after: str):
        super().__init__("edit transcript")
        self.widget, self.before, self.after, self.at = widget, before, after, time.monotonic()
        self.first = True

    def id(self) -> int:
        return 1

    def mergeWith(self, other) -> bool:
        if other.at - self.at > 1.5:
            return False
        self.after, self.at = other.after, other.at
        return True

    def redo(self) -> None:
        if self.first:
            self.first = False
            return
        self.widget._set_text(self.after)

    def undo(self) -> None:
        self.widget._set_text(self.before)


class _PlaybackKeysFirst(QObject):
    """The transcript box would take Ctrl+Space and Ctrl+←/→ for itself (word moves), so that
    the playback shortcuts never fired while the transcriber types. Let them through."""

    KEYS = {Qt.Key.Key_Space, Qt.Key.Key_Left, Qt.Key.Key_Right}

    def __init__(self, editor):
        super().__init__(editor)
        editor.installEventFilter(self)

    def eventFilter(self, obj, event) -> bool:
        if (event.type() == QEvent.Type.ShortcutOverride and event.key() in self.KEYS
                and event.modifiers() == Qt.KeyboardModifier.ControlModifier):
            event.ignore()  # not claimed by the editor: the window's shortcut runs
            return True
        return False


class TranscriptionWidget(TaskWidget):
    envelope_ready = Signal()

    def __init__(self, parent=None, cache_dir: Path | None = None):
        super().__init__(parent)
        import pyqtgraph as pg  # deferred: only a transcription project pays for it

        self.pg = pg
        self.cache_dir = cache_dir
        self.player = Player()
        self.envelope = None
        self._token = None
        self._last_text = ""
        self._applying = False
        self.path: str | None = None

        self.plot = pg.PlotWidget(background="#1e1f22")
        self.plot.setMouseEnabled(x=True, y=False)
        self.plot.hideAxis("left")
        self.plot.setYRange(-1, 1)
        self.plot.setMenuEnabled(False)
        # Drawn from Pyramid, only what the view needs: a vertical stroke from each bin's min to
        # its max (dense strokes read as a filled band, and strokes are far cheaper to raster
        # than one huge jagged polygon), outlined by the min and max curves.
        self.band = pg.PlotCurveItem(pen=pg.mkPen((122, 162, 247, 170), width=1), connect="pairs")
        self.plot.addItem(self.band)
        self.curve_min = self.plot.plot(pen=pg.mkPen("#7aa2f7", width=1))
        self.curve_max = self.plot.plot(pen=pg.mkPen("#7aa2f7", width=1))
        # Where bins are wider than pixels (a short clip, a deep zoom) the strokes would show
        # gaps; a filled band is cheap there because it has few vertices.
        # Its own (invisible) edges, fed only while sparse, so dense views never rebuild its path.
        self._fill_lo, self._fill_hi = pg.PlotCurveItem(pen=None), pg.PlotCurveItem(pen=None)
        self.fill = pg.FillBetweenItem(self._fill_lo, self._fill_hi, brush=pg.mkBrush(122, 162, 247, 150))
        self.plot.addItem(self.fill)
        self.pyramid: Pyramid | None = None
        self.plot.getPlotItem().vb.sigXRangeChanged.connect(self._redraw)
        self.playhead = pg.InfiniteLine(0, pen=pg.mkPen("#f7768e", width=2))
        self.plot.addItem(self.playhead)
        self.region = pg.LinearRegionItem(brush=pg.mkBrush(255, 200, 80, 50))
        self.region.hide()
        self.region.sigRegionChanged.connect(self._region_changed)
        self.plot.addItem(self.region)
        self.plot.scene().sigMouseClicked.connect(self._clicked)

        self.play_button = QPushButton("▶ Play")
        self.play_button.clicked.connect(self.toggle_play)
        self.speed = QComboBox()
        for s in ("0.5×", "0.75×", "1×", "1.25×", "1.5×", "2×"):
            self.speed.addItem(s, float(s[:-1]))
        self.speed.setCurrentText("1×")
        self.speed.currentIndexChanged.connect(lambda _: setattr(self.player, "speed", self.speed.currentData()))
        self.loop_button = QPushButton("Loop selection")
        self.loop_button.setCheckable(True)
        self.loop_button.toggled.connect(self._loop_toggled)
        self.time_label = QLabel("0:00.0 / 0:00.0")
        self.status = QLabel(self.player.reason)
        self.status.setObjectName("playbackStatus")
        self.segment_label = QLabel()
        controls = QHBoxLayout()
        for w in (self.play_button, self.speed, self.loop_button, self.time_label):
            controls.addWidget(w)
        controls.addStretch(1)
        controls.addWidget(self.segment_label)
        controls.addWidget(self.status)

        self.text = QPlainTextEdit()
        self.text.setObjectName("transcript")
        self.text.setPlaceholderText("Type what is said…")
        self.text.textChanged.connect(self._text_changed)
        self._playback_keys = _PlaybackKeysFirst(self.text)
        self.overlay = QLabel()
        self.overlay.setObjectName("overlay")
        self.overlay.setWordWrap(True)
        self.overlay.hide()

        layout = QVBoxLayout(self)
        layout.addWidget(self.plot, 3)
        layout.addLayout(controls)
        layout.addWidget(self.overlay)
        layout.addWidget(self.text, 2)

        ctx = Qt.ShortcutContext.WidgetWithChildrenShortcut
        QShortcut(QKeySequence("Ctrl+Space"), self, activated=self.toggle_play, context=ctx)
        QShortcut(QKeySequence("Ctrl+Left"), self, activated=lambda: self.seek_by(-SEEK_STEP), context=ctx)
        QShortcut(QKeySequence("Ctrl+Right"), self, activated=lambda: self.seek_by(SEEK_STEP), context=ctx)
        self._tick = QTimer(self, interval=50, timeout=self._update_playhead)
        self._tick.start()

    # ---- TaskWidget ---------------------------------------------------------------------------

    def media_paths(self, item: Any, media_root: str | None) -> list[str]:
        from annotator.media import resolve

        return [str(resolve(media_root, item.payload["audio"]))]

    def prefetch(self, item: Any, media_root: str | None = None) -> None:
        """Warm the envelope cache for the item claimed ahead, so it shows at once."""
        if self.cache_dir is None:
            return
        job = EnvelopeJob(object(), self.media_paths(item, media_root)[0], self.cache_dir, None)
        QThreadPool.globalInstance().start(job)

    def load(self, item: Any, media_root: str | None = None) -> None:
        self.player.stop()
        self.path = self.media_paths(item, media_root)[0]
        start, end = item.payload.get("start"), item.payload.get("end")
        self.segment = (float(start), float(end)) if start is not None and end is not None else None
        self.segment_label.setText(f"Segment {self.segment[0]:.1f}–{self.segment[1]:.1f} s" if self.segment else "")
        self.curve_min.setData([], [])
        self.curve_max.setData([], [])
        self.band.setData([], [])
        self.pyramid = None
        self.envelope = None
        if getattr(item, "media_error", ""):  # the project's store could not give this desktop the audio
            self.status.setText(f"Cannot play this item: {item.media_error} Skip it with Ctrl+Shift+K.")
            return
        self._token = object()
        job = EnvelopeJob(self._token, self.path, self.cache_dir, None)
        job.signals.progress.connect(self._envelope_progress)
        job.signals.failed.connect(self._envelope_failed)
        QThreadPool.globalInstance().start(job)
        if self.player.available:
            try:
                self.player.load(self.path)
            except Exception as exc:
                self.status.setText(f"Cannot play this file: {exc}")
        if self.segment:
            self.region.setRegion(self.segment)
            self.region.show()
            self.player.seek(self.segment[0])
        else:
            self.region.hide()
        text = (item.draft or {}).get("text")
        if text is None:
            text = item.payload.get("draft") or (item.prediction or {}).get("text", "")
        self.undo_stack.clear()
        self._set_text(text)
        self.clear_overlay()

    def focus_input(self) -> None:
        self.text.setFocus()

    def answer(self) -> dict[str, Any]:
        return {"text": self.text.toPlainText().strip()}

    def set_answer(self, answer: dict[str, Any] | None) -> None:
        self._set_text((answer or {}).get("text", ""))

    def set_read_only(self, read_only: bool) -> None:
        super().set_read_only(read_only)
        self.text.setReadOnly(read_only)

    def show_overlay(self, overlays: list[tuple[str, dict[str, Any], str]]) -> None:
        if not overlays:
            self.overlay.hide()
            return
        self.overlay.setText("<br>".join(f'<span style="color:{c}"><b>{who}:</b> {a.get("text", "")}</span>' for who, a, c in overlays))
        self.overlay.show()

    # ---- waveform ------------------------------------------------------------------------------

    def _envelope_progress(self, token, env) -> None:
        if token is not self._token:
            return  # an older clip's envelope
        self.envelope = env
        n = env.filled
        # Mix channels for display: the outermost extent of any channel.
        self.pyramid = Pyramid(env.mins[:n].min(axis=1), env.maxs[:n].max(axis=1), env.samples_per_bin / env.samplerate)
        if self.plot.getPlotItem().vb.viewRange()[0][1] < env.duration * 0.99 and n < len(env.mins):
            self.plot.setXRange(0, env.duration, padding=0.01)
        self._redraw()
        if n == len(env.mins):
            self.plot.setXRange(0, env.duration, padding=0.01)
            self.time_label.setText(f"0:00.0 / {self._fmt(env.duration)}")
            self.envelope_ready.emit()

    def _redraw(self, *_args) -> None:
        if self.pyramid is None:
            return
        x0, x1 = self.plot.getPlotItem().vb.viewRange()[0]
        pixels = max(200, self.plot.width())
        x, lo, hi = self.pyramid.view(max(0.0, x0), x1, pixels)
        sparse = len(x) < pixels / 2
        self.curve_min.setData(x, lo)
        self.curve_max.setData(x, hi)
        if sparse:
            self._fill_lo.setData(x, lo)
            self._fill_hi.setData(x, hi)
            self.band.setData([], [])
        else:
            strokes = np.empty(2 * len(x), dtype=np.float32)
            strokes[0::2], strokes[1::2] = lo, hi
            self.band.setData(np.repeat(x, 2), strokes)
            if self.fill.isVisible():
                self._fill_lo.setData([], [])
                self._fill_hi.setData([], [])
        self.fill.setVisible(sparse)

    def _envelope_failed(self, token, message: str) -> None:
        if token is self._token:
            self.status.setText(f"No waveform: {message}")

    # ---- playback ------------------------------------------------------------------------------

    def toggle_play(self) -> None:
        if not self.player.available:
            self.status.setText(self.player.reason)
            return
        self.player.toggle()
        self.play_button.setText("⏸ Pause" if self.player.playing else "▶ Play")

    def seek(self, seconds: float) -> None:
        """Move the playhead (playback, where there is any, goes on from there). It moves without
        PortAudio too: the transcriber still marks a place in the waveform."""
        seconds = max(0.0, seconds)
        if self.envelope is not None:
            seconds = min(seconds, self.envelope.duration)
        self.player.seek(seconds)
        self.playhead.setValue(seconds)
        if self.envelope is not None:
            self.time_label.setText(f"{self._fmt(seconds)} / {self._fmt(self.envelope.duration)}")

    def seek_by(self, delta: float) -> None:
        self.seek(self.playhead.value() + delta)

    def _clicked(self, event) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return
        point = self.plot.getPlotItem().vb.mapSceneToView(event.scenePos())
        self.seek(point.x())

    def _region_changed(self) -> None:
        if self.loop_button.isChecked():
            self.player.loop = tuple(self.region.getRegion())

    def _loop_toggled(self, on: bool) -> None:
        if on and not self.region.isVisible():
            left, right = self.plot.getPlotItem().vb.viewRange()[0]
            centre = self.player.seconds
            span = max(1.0, (right - left) / 10)
            self.region.setRegion((centre, centre + span))
            self.region.show()
        self.player.loop = tuple(self.region.getRegion()) if on else None

    def _update_playhead(self, force: bool = False) -> None:
        if not (self.player.playing or force):
            if self.play_button.text() != "▶ Play" and not self.player.playing:
                self.play_button.setText("▶ Play")
            return
        seconds = self.player.seconds
        self.playhead.setValue(seconds)
        if self.envelope is not None:
            self.time_label.setText(f"{self._fmt(seconds)} / {self._fmt(self.envelope.duration)}")

    @staticmethod
    def _fmt(seconds: float) -> str:
        return f"{int(seconds // 60)}:{seconds % 60:04.1f}"

    # ---- transcript ----------------------------------------------------------------------------

    def _set_text(self, text: str) -> None:
        self._applying = True
        self.text.setPlainText(text)
        self._last_text = text
        self._applying = False
        self.changed.emit()

    def _text_changed(self) -> None:
        if self._applying:
            return
        new = self.text.toPlainText()
        self.undo_stack.push(_TextEdit(self, self._last_text, new))
        self._last_text = new
        self.changed.emit()

    def stop(self) -> None:
        self.player.stop()

    def closeEvent(self, event) -> None:
        self.player.stop()
        super().closeEvent(event)
