"""Waveform envelopes: the fast paths (memory-mapped WAV, two-thread FLAC) agree with a plain
reference computed from the decoded samples, and the cache returns the same envelope."""

import numpy as np
import pytest
import soundfile

from annotator.media import envelope as env_mod
from tests.helpers import shared


def reference(path, spb=env_mod.SAMPLES_PER_BIN):
    data, _ = soundfile.read(str(path), dtype="int16", always_2d=True)
    bins = -(-len(data) // spb)
    pad = np.zeros((bins * spb - len(data), data.shape[1]), dtype=data.dtype)
    full = np.concatenate([data, pad]) if len(pad) else data
    blocks = full.reshape(bins, spb, -1)
    mins, maxs = blocks.min(axis=1) / 32768, blocks.max(axis=1) / 32768
    if len(pad):  # the last bin covers only real samples
        last = data[(bins - 1) * spb:]
        mins[-1], maxs[-1] = last.min(axis=0) / 32768, last.max(axis=0) / 32768
    return mins, maxs


@pytest.mark.parametrize("name", ["sb_spk1_snt1.wav", "sr_english.wav", "sr_audio-stereo-16-bit-44100Hz.flac"])
def test_real_clips_match_the_reference(name):
    path = shared("audio", name)
    e = env_mod.envelope(path)
    mins, maxs = reference(path)
    assert e.complete and e.frames == soundfile.info(str(path)).frames
    np.testing.assert_allclose(e.mins, mins, atol=1e-4)
    np.testing.assert_allclose(e.maxs, maxs, atol=1e-4)


def test_a_long_stereo_flac_decoded_in_two_threads_matches_and_fills_in_order(tmp_path):
    rate, seconds = 44_100, 130  # three chunks: both threads have work
    t = np.arange(rate * seconds) / rate
    signal = np.stack([np.sin(2 * np.pi * 3 * t), 0.5 * np.sin(2 * np.pi * 5 * t)], axis=1) * np.linspace(0, 0.9, len(t))[:, None]
    path = tmp_path / "long.flac"
    soundfile.write(path, signal.astype(np.float32), rate, subtype="PCM_16")
    filled = [e.filled for e in env_mod.compute_chunks(path)]
    assert filled == sorted(filled) and len(filled) >= 2
    e = env_mod.envelope(path, cache_dir=tmp_path / "cache")
    mins, maxs = reference(path)
    np.testing.assert_allclose(e.mins, mins, atol=1e-4)
    np.testing.assert_allclose(e.maxs, maxs, atol=1e-4)
    again = env_mod.envelope(path, cache_dir=tmp_path / "cache")
    np.testing.assert_array_equal(again.maxs, e.maxs)
    assert again.duration == pytest.approx(seconds)


def test_an_unreadable_file_is_a_clear_error(tmp_path):
    bad = tmp_path / "noise.flac"
    bad.write_bytes(b"fLaC not really")
    with pytest.raises(env_mod.MediaError, match="noise.flac"):
        list(env_mod.compute_chunks(bad))
