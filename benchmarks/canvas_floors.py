"""The canvas benchmark's floors and measuring helpers: bare PySide6 and Pillow doing the work
ours does (benchmarks/canvas_bench.py), where ../shared/bench/qt_floors.py has no floor that fits."""

from __future__ import annotations

import time
from pathlib import Path

from PIL import Image

from benchmarks.common import PaintClock, pct


def rss_mb(field: str = "VmRSS") -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def peak_rss_mb() -> float:
    """This process's peak resident memory. Not getrusage's ru_maxrss: Linux keeps that across
    fork and exec, so a child would start from the benchmark's own peak."""
    return rss_mb("VmHWM")


def wait(app, cond, timeout=20.0):
    end = time.time() + timeout
    while not cond() and time.time() < end:
        app.processEvents()
        time.sleep(0.0005)
    return cond()


def bare_reduced_view_peak(path: Path) -> dict:
    """The memory floor: a bare process that shows the same photo reduced, as the floor does."""
    from PySide6.QtGui import QImage, QPixmap

    img = Image.open(path)
    img.draft("RGB", (2000, 2000))
    img = img.convert("RGB")
    qimg = QImage(img.tobytes(), img.width, img.height, img.width * 3, QImage.Format.Format_RGB888)
    QPixmap.fromImage(qimg)
    return {"peak_rss_mb": round(peak_rss_mb(), 1)}


def rss_summary(samples: list[float]) -> dict:
    """Peak, and the least-squares slope over the last 400 items (MB per item): flat is <= 0.1."""
    import numpy as np

    tail = np.array(samples[-400:])
    slope = float(np.polyfit(np.arange(len(tail)), tail, 1)[0]) if len(tail) > 1 else 0.0
    return {"rss_mb_first": round(samples[0], 1), "rss_mb_peak": round(max(samples), 1),
            "rss_mb_end": round(samples[-1], 1), "slope_mb_per_item": round(slope, 4)}


def bare_memory_cycle(twelve: list[Path], items: int) -> dict:
    """The memory floor: the same photos decoded in full and shown one at a time, bare."""
    from PySide6.QtGui import QImage, QPixmap

    samples = []
    for n in range(items):
        img = Image.open(twelve[n % len(twelve)]).convert("RGB")
        qimg = QImage(img.tobytes(), img.width, img.height, img.width * 3, QImage.Format.Format_RGB888)
        pixmap = QPixmap.fromImage(qimg)
        del img, qimg
        samples.append(rss_mb())
        del pixmap
    return {"items": items, **rss_summary(samples)}


def _bare_scene(app, path: Path, boxes: int):
    """As qt_floors.py's scene: the photo reduced, scaled to 4000 × 3000, under plain rectangles."""
    import random

    from PySide6.QtCore import QRectF, Qt
    from PySide6.QtGui import QColor, QImage, QPainter, QPen, QPixmap
    from PySide6.QtWidgets import QGraphicsScene, QGraphicsView

    img = Image.open(path)
    img.draft("RGB", (1400, 1400))
    img = img.convert("RGB")
    qimg = QImage(img.tobytes(), img.width, img.height, img.width * 3, QImage.Format.Format_RGB888)
    scene = QGraphicsScene()
    photo = scene.addPixmap(QPixmap.fromImage(qimg))
    photo.setScale(4000 / img.width)
    pen = QPen(QColor(230, 40, 40))
    pen.setCosmetic(True)
    pen.setWidth(2)
    rng = random.Random(0)
    for _ in range(boxes):
        scene.addRect(QRectF(rng.uniform(0, 3800), rng.uniform(0, 2800), rng.uniform(20, 200), rng.uniform(20, 200)), pen)
    view = QGraphicsView(scene)
    # Scaled smoothly, as ours is: the same picture on screen, not a cheaper one.
    view.setRenderHints(QPainter.RenderHint.SmoothPixmapTransform)
    photo.setTransformationMode(Qt.TransformationMode.SmoothTransformation)
    view.resize(1280, 800)
    view.show()
    view.fitInView(QRectF(0, 0, 4000, 3000))
    wait(app, lambda: False, timeout=0.5)  # exposed and laid out before the clock runs
    return scene, view, photo, pen


def bare_drag_frames(app, path: Path, n_boxes: int = 1000) -> dict:
    """The drag's floor: one plain rectangle moved over the bare scene, each step until painted."""
    from PySide6.QtCore import QRectF

    scene, view, _photo, pen = _bare_scene(app, path, n_boxes)
    target = scene.addRect(QRectF(1800, 1300, 300, 300), pen)
    clock = PaintClock(view)
    frames = []
    for step in range(1, 121):
        t = time.perf_counter()
        target.setPos(step * 2 / view.transform().m11(), step / view.transform().m11())
        wait(app, lambda: clock.painted_since(t), timeout=5)
        frames.append(clock.ends[-1] - t)
    view.close()
    return {"frame_p50_ms": round(pct(frames, 0.5), 3), "frame_p95_ms": round(pct(frames, 0.95), 3)}


def bare_prefetched_swap(app, twelve: list[Path], items: int) -> dict:
    """Submit → next's floor: the next photo, decoded ahead as ours is, put into a bare view and
    painted. The workbench claims and decodes the next item while the person works, so neither
    is in what they wait for."""
    from PySide6.QtCore import QRectF
    from PySide6.QtGui import QImage, QPixmap

    scene, view, photo, _pen = _bare_scene(app, twelve[0], 0)
    decoded = []
    for path in twelve:
        img = Image.open(path)
        img.draft("RGB", (1400, 1400))
        img = img.convert("RGB")
        decoded.append((QImage(img.tobytes(), img.width, img.height, img.width * 3, QImage.Format.Format_RGB888), img))
    clock = PaintClock(view)
    times = []
    for n in range(items):
        qimg, img = decoded[n % len(decoded)]
        t = time.perf_counter()
        photo.setPixmap(QPixmap.fromImage(qimg))
        photo.setScale(4000 / img.width)
        view.fitInView(QRectF(0, 0, 4000, 3000))
        wait(app, lambda: clock.painted_since(t), timeout=5)
        times.append(clock.ends[-1] - t)
    view.close()
    return {"items": items, "p50_ms": round(pct(times, 0.5), 3), "p95_ms": round(pct(times, 0.95), 3)}
