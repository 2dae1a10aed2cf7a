"""The transcription widget's waveform data, off the UI thread: a clip's min/max envelope
computed (or read from the cache) in the background, and the pyramid of halving resolutions
that any zoom draws from."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, QRunnable, Signal


class Pyramid:
    """The envelope at halving resolutions, so any view draws about two points per pixel
    whether it shows two seconds or the whole hour."""

    def __init__(self, mins: np.ndarray, maxs: np.ndarray, seconds_per_bin: float):
        self.spb = seconds_per_bin
        self.levels = [(mins, maxs)]
        while len(self.levels[-1][0]) > 2048:
            a, b = self.levels[-1]
            n = len(a) // 2 * 2
            self.levels.append((np.minimum(a[:n:2], a[1:n:2]), np.maximum(b[:n:2], b[1:n:2])))

    def view(self, x0: float, x1: float, pixels: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        level = 0
        while level + 1 < len(self.levels) and (x1 - x0) / (self.spb * 2**level) > 2 * pixels:
            level += 1
        mins, maxs = self.levels[level]
        width = self.spb * 2**level
        i0 = max(0, int(x0 / width) - 1)
        i1 = min(len(mins), int(x1 / width) + 2)
        if i1 <= i0:
            return np.empty(0), np.empty(0), np.empty(0)
        return np.arange(i0, i1) * width, mins[i0:i1], maxs[i0:i1]


class EnvelopeSignals(QObject):
    progress = Signal(object, object)  # token, Envelope (partially filled)
    failed = Signal(object, str)


class EnvelopeJob(QRunnable):
    """Computes (or loads from the cache) a clip's envelope off the UI thread, reporting as it fills."""

    def __init__(self, token: object, path: str, cache_dir: Path | None, sha256: str | None):
        super().__init__()
        self.token, self.path, self.cache_dir, self.sha256 = token, path, cache_dir, sha256
        self.signals = EnvelopeSignals()

    def run(self) -> None:
        from annotator.media import envelope as env_mod

        try:
            key = env_mod.cache_key(Path(self.path), self.sha256) if self.cache_dir else None
            cached = env_mod.load_cached(self.cache_dir, key) if key else None
            if cached is not None:
                self.signals.progress.emit(self.token, cached)
                return
            last, env = 0.0, None
            for env in env_mod.compute_chunks(self.path):
                now = time.monotonic()
                if now - last > 0.05:  # ~20 updates a second is plenty for the eye
                    self.signals.progress.emit(self.token, env)
                    last = now
            if env is not None:
                if key:
                    env_mod.save_cached(self.cache_dir, key, env)
                self.signals.progress.emit(self.token, env)
        except Exception as exc:
            self.signals.failed.emit(self.token, str(exc))
