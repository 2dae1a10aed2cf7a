"""Min/max envelopes of audio files for waveform display: computed once, in chunks (so a view
can fill in as they arrive), and cached on disk by the file's sha256. Never raw samples."""

from __future__ import annotations

import hashlib
import os
import struct
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np
import soundfile

from annotator.media import MediaError

SAMPLES_PER_BIN = 256
CHUNK_BINS = 8192  # bins computed per step: ~2 M samples


@dataclass
class Envelope:
    """mins/maxs: bins × channels, as float32 in -1..1; `filled` bins are computed so far."""

    mins: np.ndarray
    maxs: np.ndarray
    samplerate: int
    samples_per_bin: int
    frames: int
    filled: int

    @property
    def duration(self) -> float:
        return self.frames / self.samplerate

    @property
    def complete(self) -> bool:
        return self.filled >= len(self.mins)


def cache_key(path: Path, sha256: str | None) -> str:
    """The file's sha256 when the caller knows it (items record it at import); otherwise its
    path, size and modification time, which is free where hashing an hour of audio is not."""
    if sha256:
        return sha256
    st = path.stat()
    return hashlib.sha256(f"{path.resolve()}|{st.st_size}|{st.st_mtime_ns}".encode()).hexdigest()


def _wav_pcm16_data(path: Path) -> tuple[int, int, int, int] | None:
    """(offset, frames, channels, samplerate) of a plain 16-bit PCM WAV's data, else None."""
    with open(path, "rb") as fh:
        head = fh.read(12)
        if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            return None
        fmt = None
        while True:
            chunk = fh.read(8)
            if len(chunk) < 8:
                return None
            cid, size = chunk[:4], struct.unpack("<I", chunk[4:])[0]
            if cid == b"fmt ":
                body = fh.read(size)
                audio_format, channels, rate = struct.unpack("<HHI", body[:8])
                bits = struct.unpack("<H", body[14:16])[0]
                fmt = (audio_format, channels, rate, bits)
                if size % 2:
                    fh.read(1)
            elif cid == b"data":
                if fmt is None or fmt[0] != 1 or fmt[3] != 16:
                    return None
                frames = size // (2 * fmt[1])
                return fh.tell(), frames, fmt[1], fmt[2]
            else:
                fh.seek(size + (size % 2), os.SEEK_CUR)


def compute_chunks(path: str | Path, *, samples_per_bin: int = SAMPLES_PER_BIN) -> Iterator[Envelope]:
    """Yield the same Envelope object after each chunk, more of it filled each time."""
    path = Path(path)
    try:
        info = soundfile.info(str(path))
    except Exception as exc:
        raise MediaError(f"{path}: not a readable audio file ({exc})") from None
    bins = max(1, -(-info.frames // samples_per_bin))
    env = Envelope(np.zeros((bins, info.channels), np.float32), np.zeros((bins, info.channels), np.float32),
                   info.samplerate, samples_per_bin, info.frames, 0)
    wav = _wav_pcm16_data(path)
    if wav is not None:  # memory-mapped int16: no decoding at all
        offset, frames, channels, _ = wav
        data = np.memmap(path, dtype="<i2", mode="r", offset=offset, shape=(frames, channels))
        for start in range(0, bins, CHUNK_BINS):
            stop = min(bins, start + CHUNK_BINS)
            block = np.asarray(data[start * samples_per_bin: stop * samples_per_bin])
            _reduce(env, start, block, 1 / 32768)
            yield env
        return
    # Compressed audio: decoding is the cost, so two threads decode the two halves at once
    # (libsndfile runs without the GIL). `filled` only ever counts the finished prefix.
    chunks = list(range(0, bins, CHUNK_BINS))
    halves = [chunks[: (len(chunks) + 1) // 2], chunks[(len(chunks) + 1) // 2:]]
    done: set[int] = set()
    lock = threading.Lock()
    errors: list[BaseException] = []

    def decode(starts: list[int]) -> None:
        try:
            with soundfile.SoundFile(str(path)) as sf:
                if starts:
                    sf.seek(starts[0] * samples_per_bin)
                for start in starts:
                    # 16-bit integers: the cheapest form libsndfile hands over, and all a display needs.
                    block = sf.read(CHUNK_BINS * samples_per_bin, dtype="int16", always_2d=True)
                    if len(block):
                        _reduce(env, start, block, 1 / 32768, track=False)
                    with lock:
                        done.add(start)
        except BaseException as exc:  # re-raised in the caller's thread
            errors.append(exc)

    threads = [threading.Thread(target=decode, args=(h,), daemon=True) for h in halves if h]
    for t in threads:
        t.start()
    prefix = 0
    while prefix < len(chunks):
        with lock:
            advanced = False
            while prefix < len(chunks) and chunks[prefix] in done:
                prefix += 1
                advanced = True
        if errors:
            raise MediaError(f"{path}: cannot decode ({errors[0]})")
        if advanced:
            env.filled = min(bins, chunks[prefix - 1] + CHUNK_BINS)
            yield env
        elif not any(t.is_alive() for t in threads):
            break
        else:
            time.sleep(0.005)
    for t in threads:
        t.join()
    env.filled = bins


def _reduce(env: Envelope, start: int, block: np.ndarray, scale: float, *, track: bool = True) -> None:
    n = len(block) // env.samples_per_bin
    if n:
        # One channel at a time, made contiguous: a 2-D row reduction is ~10× faster than
        # reducing the middle axis of (bins, samples, channels).
        for c in range(block.shape[1]):
            column = np.ascontiguousarray(block[: n * env.samples_per_bin, c]).reshape(n, env.samples_per_bin)
            env.mins[start:start + n, c] = column.min(axis=1) * scale
            env.maxs[start:start + n, c] = column.max(axis=1) * scale
    rest = block[n * env.samples_per_bin:]
    if len(rest):
        env.mins[start + n] = rest.min(axis=0) * scale
        env.maxs[start + n] = rest.max(axis=0) * scale
        n += 1
    if track:
        env.filled = start + n


def load_cached(cache_dir: Path, key: str) -> Envelope | None:
    path = cache_dir / f"{key}.npz"
    if not path.exists():
        return None
    try:
        with np.load(path) as z:
            meta = z["meta"]
            return Envelope(z["mins"], z["maxs"], int(meta[0]), int(meta[1]), int(meta[2]), len(z["mins"]))
    except Exception:  # a damaged cache file is recomputed, never fatal
        return None


def save_cached(cache_dir: Path, key: str, env: Envelope) -> None:
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = cache_dir / f"{key}.tmp.npz"
    np.savez(tmp, mins=env.mins, maxs=env.maxs, meta=np.array([env.samplerate, env.samples_per_bin, env.frames]))
    tmp.replace(cache_dir / f"{key}.npz")


def envelope(path: str | Path, cache_dir: Path | None = None, sha256: str | None = None) -> Envelope:
    """The whole envelope, from the cache or computed (and then cached)."""
    path = Path(path)
    key = cache_key(path, sha256) if cache_dir else ""
    if cache_dir:
        cached = load_cached(cache_dir, key)
        if cached is not None:
            return cached
    env = None
    for env in compute_chunks(path):
        pass
    if cache_dir and env is not None:
        save_cached(cache_dir, key, env)
    return env
