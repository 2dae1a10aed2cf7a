"""Audio playback through sounddevice, imported lazily: without PortAudio the rest of the app
works and the widget says playback is unavailable."""

from __future__ import annotations

import threading

import numpy as np


def playback_status() -> str:
    """Whether this desktop can play audio: PortAudio's version and the library it came from,
    or why not (for `annotator about`, and for whoever asks why a clip is silent)."""
    from ctypes.util import find_library  # what sounddevice loads PortAudio by (the frozen app points it at its own)

    try:
        import sounddevice
    except OSError as exc:  # sounddevice raises this when it finds no PortAudio
        return f"unavailable: {exc} (on Linux: apt-get install libportaudio2)"
    outputs = [d for d in sounddevice.query_devices() if d["max_output_channels"] > 0]
    return (f"{sounddevice.get_portaudio_version()[1]}, from {find_library('portaudio')}; "
            f"{len(outputs)} output device(s)")


class Player:
    def __init__(self):
        self.available = False
        self.reason = ""
        try:
            import sounddevice  # noqa: F401  (PortAudio is loaded here)

            self._sd = sounddevice
            self._sd.query_devices(kind="output")
            self.available = True
        except Exception as exc:  # no PortAudio, or no output device
            self.reason = f"Playback unavailable: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"
        self.samples: np.ndarray | None = None
        self.samplerate = 16000
        self.position = 0.0  # in frames
        self.speed = 1.0
        self.loop: tuple[float, float] | None = None  # seconds
        self.playing = False
        self._stream = None
        self._lock = threading.Lock()

    def load(self, path: str) -> None:
        import soundfile

        self.stop()
        data, self.samplerate = soundfile.read(path, dtype="float32", always_2d=True)
        self.samples = data
        self.position = 0.0

    @property
    def seconds(self) -> float:
        return self.position / self.samplerate

    def seek(self, seconds: float) -> None:
        if self.samples is None:
            return
        with self._lock:
            self.position = float(np.clip(seconds * self.samplerate, 0, len(self.samples) - 1))

    def toggle(self) -> None:
        self.pause() if self.playing else self.play()

    def play(self) -> None:
        if not self.available or self.samples is None:
            return
        if self._stream is None:
            self._stream = self._sd.OutputStream(samplerate=self.samplerate, channels=self.samples.shape[1],
                                                 dtype="float32", callback=self._callback)
        self.playing = True
        self._stream.start()

    def pause(self) -> None:
        self.playing = False
        if self._stream is not None:
            self._stream.stop()

    def stop(self) -> None:
        self.pause()
        if self._stream is not None:
            self._stream.close()
            self._stream = None

    def _callback(self, out, frames, _time, _status) -> None:
        with self._lock:
            idx = self.position + np.arange(frames) * self.speed
            end = len(self.samples)
            if self.loop:
                a, b = (x * self.samplerate for x in self.loop)
                if b > a:
                    idx = a + np.mod(idx - a, b - a)
            valid = idx < end
            out[:] = 0
            if valid.any():
                out[valid] = self.samples[idx[valid].astype(np.int64)]
            self.position = float(idx[-1] + self.speed) if len(idx) else self.position
            if not valid.all() and not self.loop:
                self.position = float(end - 1)
                self.playing = False
