"""The desktop app's speed: cold start to the login window, submit → next text item, and the
waveform of a one-hour 44.1 kHz stereo recording (WAV and FLAC), cached reopen, pan/zoom frames.

usage: python benchmarks/ui_bench.py [--quick]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
import soundfile  # noqa: E402

from benchmarks.common import Measure, PaintClock, pct, qt_floors, report  # noqa: E402
from benchmarks.display import Xvfb, cold_start  # noqa: E402

ANNOTATOR = str(Path(sys.executable).with_name("annotator"))


def write_hour(path: Path, fmt: str, seconds: int) -> None:
    rate = 44_100
    with soundfile.SoundFile(str(path), "w", rate, 2, subtype="PCM_16", format=fmt) as f:
        block = rate * 60
        t = np.arange(block) / rate
        rng = np.random.default_rng(1)
        for minute in range(seconds // 60):
            tone = 0.3 * np.sin(2 * np.pi * (220 + minute) * t) * (0.5 + 0.5 * np.sin(2 * np.pi * t / 7))
            noise = 0.05 * rng.standard_normal(block)
            f.write(np.stack([tone + noise, tone * 0.8 + noise], axis=1).astype(np.float32))


def widget_frames(path: Path, cache: Path) -> dict:
    """Load the hour into the real widget, then pan and zoom, timing each repaint."""
    from types import SimpleNamespace

    from PySide6.QtWidgets import QApplication

    from annotator.tasks.transcription.widget import TranscriptionWidget

    app = QApplication.instance() or QApplication([])
    w = TranscriptionWidget(cache_dir=cache)
    w.resize(1280, 500)
    w.show()
    item = SimpleNamespace(payload={"audio": str(path)}, draft=None, prediction=None, config={})
    t = time.perf_counter()
    w.load(item)
    app.processEvents()
    painted = time.perf_counter() - t
    deadline = time.time() + 60
    while (w.envelope is None or not w.envelope.complete) and time.time() < deadline:
        app.processEvents()
        time.sleep(0.005)
    ready = time.perf_counter() - t
    frames = []
    duration = w.envelope.duration
    vb = w.plot.getPlotItem().vb
    spans = [duration, duration / 4, 600, 60, 10, 2]
    for span in spans:
        for step in range(10):
            start = (duration - span) * step / 10
            t0 = time.perf_counter()
            vb.setXRange(start, start + span, padding=0)
            w.plot.viewport().repaint()
            frames.append(time.perf_counter() - t0)
    w.close()
    w.deleteLater()
    app.processEvents()
    return {"load_to_first_paint_s": round(painted, 4), "load_to_complete_s": round(ready, 3),
            "frame_p50_ms": round(pct(frames, 0.5), 2), "frame_p95_ms": round(pct(frames, 0.95), 2),
            "frame_max_ms": round(max(frames) * 1000, 2)}


def bare_text_swap(items: int) -> dict:
    """The floor for submit → next: the same texts put into a bare QTextBrowser and painted. It
    leaves out the database: the workbench shows an item it claimed ahead."""
    from PySide6.QtWidgets import QApplication, QTextBrowser

    app = QApplication.instance() or QApplication([])
    view = QTextBrowser()
    view.resize(1280, 600)
    view.show()
    clock = PaintClock(view)
    times = []
    for n in range(items):
        t = time.perf_counter()
        view.setPlainText(f"Customer message number {n} about an order")
        while not clock.painted_since(t):
            app.processEvents()
        times.append(clock.ends[-1] - t)
    view.close()
    return {"items": items, "p50_ms": round(pct(times, 0.5), 3), "p95_ms": round(pct(times, 0.95), 3)}


def widget_envelope(path: Path, cache: Path) -> dict:
    """Through the real widget: load() until the redraw of the complete envelope, then a reopen
    from the cache until its redraw. The plot's paints are timed where they end."""
    from types import SimpleNamespace

    from PySide6.QtWidgets import QApplication

    from annotator.tasks.transcription.widget import TranscriptionWidget

    app = QApplication.instance() or QApplication([])
    out = {}
    for run in ("complete_s", "cached_reopen_s"):
        w = TranscriptionWidget(cache_dir=cache)
        w.resize(1280, 500)
        w.show()
        app.processEvents()
        clock = PaintClock(w.plot)
        item = SimpleNamespace(payload={"audio": str(path)}, draft=None, prediction=None, config={})
        t = time.perf_counter()
        w.load(item)
        deadline = time.time() + 120
        while (w.envelope is None or not w.envelope.complete) and time.time() < deadline:
            app.processEvents()
        done = time.perf_counter()
        while not clock.painted_since(done):  # the redraw of the complete envelope
            app.processEvents()
        out[run] = round(clock.ends[-1] - t, 4)
        w.close()
        w.deleteLater()
        app.processEvents()
    return out


def submit_to_next(db_url: str, items: int) -> dict:
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from annotator.config import data_dir
    from annotator.core.auth import Actor
    from annotator.core.journal import Journal
    from annotator.core.workspace import my_projects
    from annotator.db import open_database
    from annotator.ui.workbench import Workbench
    from annotator.ui.worker import DbWorker

    from annotator.core.importing import import_items
    from annotator.core.projects import ProjectSpec, create_project

    app = QApplication.instance() or QApplication([])
    db = open_database(db_url)
    # A project of its own: no gold to fail (the demo's would pause an annotator who always picks 1).
    texts = Path(data_dir()) / "bench_texts.csv"
    texts.write_text("id,text\n" + "".join(f"b{n},Customer message number {n} about an order\n" for n in range(items + 20)))
    with db.write() as s:
        create_project(s, Actor.local_operator(), ProjectSpec(name="UI bench", kind="text_categories",
                                                               config={"labels": ["billing", "delivery", "other"]}))
        import_items(s, Actor.local_operator(), "UI bench", texts)
    with db.read() as s:
        from annotator.db.models import User

        user = s.query(User).filter(User.name == "annotator").one()
        actor = Actor(user.id, user.name, user.role)
        card = next(c for c in my_projects(s, actor) if c.name == "UI bench")
    db.dispose()
    worker = DbWorker(db_url)
    worker.start()
    bench = Workbench(actor, card, worker, Journal(data_dir(), db_url, actor.name))
    bench.show()
    shown = []
    bench.item_shown.connect(lambda _: shown.append(time.perf_counter()))
    bench.start()

    def wait(cond, timeout=10):
        end = time.time() + timeout
        while not cond() and time.time() < end:
            app.processEvents()
            time.sleep(0.001)

    wait(lambda: bench.current is not None)
    clock = PaintClock(bench.widget.text)
    times = []
    for _ in range(items):
        wait(lambda: bench.ahead.held is not None)  # a person takes seconds per item; the claim-ahead is back
        QTest.keyClick(bench.widget, Qt.Key.Key_1)
        before = len(shown)
        t = time.perf_counter()
        QTest.keyClick(bench, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
        wait(lambda: len(shown) > before and clock.painted_since(shown[-1]))  # the new text's pixels
        times.append(clock.ends[-1] - t)
    bench.close()
    worker.stop()
    bench.deleteLater()
    app.processEvents()
    return {"items": items, "p50_ms": round(pct(times, 0.5), 2), "p95_ms": round(pct(times, 0.95), 2),
            "max_ms": round(max(times) * 1000, 2)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    a = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="annot-ui-"))
    os.environ["ANNOTATOR_DATA_DIR"] = str(tmp / "data")
    subprocess.run([ANNOTATOR, "demo", "--no-gui"], check=True, capture_output=True)
    db_url = f"sqlite:///{tmp / 'data' / 'demo.sqlite3'}"
    seconds = 300 if a.quick else 3600
    wav, flac = tmp / "hour.wav", tmp / "hour.flac"
    write_hour(wav, "WAV", seconds)
    write_hour(flac, "FLAC", seconds)
    with Xvfb() as display:
        results = {"cold_start": cold_start(ANNOTATOR, db_url, 3 if a.quick else 7, display)}
        floors = {"cold_start": qt_floors(["cold_start"], env=display)["cold_start"]}
    floors.update(qt_floors(["wav_envelope", "flac_decode"], wav=wav, flac=flac))
    items = 30 if a.quick else 100
    results["submit_to_next"] = submit_to_next(db_url, items)
    results["bare_text_swap"] = bare_text_swap(items)
    results["wav_widget"] = widget_envelope(wav, tmp / "cache-wav")
    results["flac_widget"] = widget_envelope(flac, tmp / "cache-flac")
    results["widget"] = widget_frames(wav, tmp / "cache2")
    results["audio_seconds"] = seconds
    results["floors"] = floors
    r = results
    measures = [
        Measure("cold start to the login window's first paint (Xvfb)", r["cold_start"]["median_s"] * 1000,
                floors["cold_start"]["median_s"] * 1000, "ms", 1.5, note="floor: a bare PySide6 form, the same way"),
        Measure("submit → next text item painted, p95", r["submit_to_next"]["p95_ms"],
                r["bare_text_swap"]["p95_ms"], "ms", note="floor: the same text into a bare QTextBrowser"),
        Measure(f"WAV envelope, {seconds // 60} min stereo, complete through the widget", r["wav_widget"]["complete_s"] * 1000,
                floors["wav_envelope"]["complete_s"] * 1000, "ms", 1.5, note="floor: numpy.memmap min/max"),
        Measure(f"FLAC envelope, {seconds // 60} min stereo, complete through the widget", r["flac_widget"]["complete_s"] * 1000,
                floors["flac_decode"]["complete_s"] * 1000, "ms", 1.3, note="floor: soundfile decode, two threads"),
        Measure("cached envelope reopen through the widget (WAV)", r["wav_widget"]["cached_reopen_s"] * 1000, None, "ms",
                limit=100),
        Measure("cached envelope reopen through the widget (FLAC)", r["flac_widget"]["cached_reopen_s"] * 1000, None,
                "ms", limit=100),
        Measure("pan/zoom frame of the hour, p95", r["widget"]["frame_p95_ms"], None, "ms", limit=16,
                note="one frame at 60 Hz: a frame never waits for the envelope"),
    ]
    print(f"results: {report('ui', measures, results)}")
    import shutil

    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
