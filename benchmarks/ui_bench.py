"""The desktop app's speed: cold start to the login window, submit → next text item, and the
waveform of a one-hour 44.1 kHz stereo recording (WAV and FLAC), cached reopen, pan/zoom frames.

usage: python benchmarks/ui_bench.py [--quick]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
import soundfile  # noqa: E402

from benchmarks.common import pct, print_table, write_results  # noqa: E402

ANNOTATOR = str(Path(sys.executable).with_name("annotator"))


def cold_start(db_url: str, runs: int) -> dict:
    times = []
    for _ in range(runs):
        env = {**os.environ, "ANNOTATOR_STARTUP_PROBE": "1"}
        t0 = time.time()
        out = subprocess.run([ANNOTATOR, "--db", db_url, "gui"], capture_output=True, text=True, env=env, timeout=60)
        line = next((l for l in out.stdout.splitlines() if l.startswith("login-shown")), None)
        if line is None:
            raise RuntimeError(out.stderr[-2000:])
        times.append(float(line.split()[1]) - t0)
    return {"runs": runs, "median_s": round(statistics.median(times), 3), "max_s": round(max(times), 3)}


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


def envelope_times(path: Path, cache: Path) -> dict:
    from annotator.media import envelope as env

    t = time.perf_counter()
    first = None
    e = None
    for e in env.compute_chunks(path):
        if first is None:
            first = time.perf_counter() - t
    full = time.perf_counter() - t
    key = env.cache_key(path, None)
    env.save_cached(cache, key, e)
    t = time.perf_counter()
    cached = env.load_cached(cache, key)
    reopen = time.perf_counter() - t
    assert cached is not None and cached.complete
    return {"first_chunk_s": round(first, 4), "complete_s": round(full, 3), "cached_reopen_s": round(reopen, 4),
            "bins": len(e.mins)}


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
    times = []
    for _ in range(items):
        wait(lambda: bench.ahead is not None)  # a person takes seconds per item; the claim-ahead is back
        QTest.keyClick(bench.widget, Qt.Key.Key_1)
        before = len(shown)
        t = time.perf_counter()
        QTest.keyClick(bench, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
        wait(lambda: len(shown) > before)
        app.processEvents()  # the frame that shows it
        times.append(time.perf_counter() - t)
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
    results = {"cold_start": cold_start(db_url, 3 if a.quick else 7)}
    results["submit_to_next"] = submit_to_next(db_url, 30 if a.quick else 100)
    seconds = 300 if a.quick else 3600
    wav, flac = tmp / "hour.wav", tmp / "hour.flac"
    write_hour(wav, "WAV", seconds)
    write_hour(flac, "FLAC", seconds)
    results["wav"] = envelope_times(wav, tmp / "cache")
    results["flac"] = envelope_times(flac, tmp / "cache")
    results["widget"] = widget_frames(wav, tmp / "cache2")
    results["audio_seconds"] = seconds
    targets = {
        "cold start to login <= 0.6 s": results["cold_start"]["median_s"] <= 0.6,
        "submit -> next text item p95 <= 30 ms": results["submit_to_next"]["p95_ms"] <= 30,
        "WAV envelope complete <= 0.5 s": results["wav"]["complete_s"] <= 0.5,
        "FLAC envelope complete <= 2.5 s": results["flac"]["complete_s"] <= 2.5,
        "cached envelope reopen <= 100 ms": max(results["wav"]["cached_reopen_s"], results["flac"]["cached_reopen_s"]) <= 0.1,
        "pan/zoom frame <= 16 ms (p95)": results["widget"]["frame_p95_ms"] <= 16,
    }
    results["targets"] = targets
    rows = [
        ["cold start to login window (median / max)", f"{results['cold_start']['median_s']} / {results['cold_start']['max_s']} s"],
        ["submit → next text item (p50 / p95)", f"{results['submit_to_next']['p50_ms']} / {results['submit_to_next']['p95_ms']} ms"],
        [f"WAV envelope, {seconds // 60} min stereo 44.1 kHz: first chunk / complete", f"{results['wav']['first_chunk_s']} / {results['wav']['complete_s']} s"],
        ["FLAC envelope: first chunk / complete", f"{results['flac']['first_chunk_s']} / {results['flac']['complete_s']} s"],
        ["cached envelope reopen (WAV / FLAC)", f"{results['wav']['cached_reopen_s'] * 1000:.1f} / {results['flac']['cached_reopen_s'] * 1000:.1f} ms"],
        ["widget: load → first paint / complete", f"{results['widget']['load_to_first_paint_s'] * 1000:.1f} ms / {results['widget']['load_to_complete_s']} s"],
        ["pan/zoom frame (p50 / p95 / max)", f"{results['widget']['frame_p50_ms']} / {results['widget']['frame_p95_ms']} / {results['widget']['frame_max_ms']} ms"],
    ]
    print_table("Desktop app", ["measure", "value"], rows)
    print_table("Targets", ["target", "met"], [[k, "yes" if v else "NO"] for k, v in targets.items()])
    print(f"results: {write_results('ui', results)}")
    import shutil

    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
