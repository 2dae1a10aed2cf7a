"""Media stores (issue 18), on a real SeaweedFS started here: importing 1,000 photos of 12 MP into
an S3-backed project (checked, hashed and uploaded) beside boto3's own parallel put of the same
bytes; the first view of an uncached photo (fetched into the cache, hashed, decoded for the
screen, as its bytes arrive) beside a bare GET and decode; submit → next photo painted in the workbench, store-backed,
beside the same with the photos as local files; and the cache over 5,000 items of 1 MB with a
1 GB cap, its size and this process's memory.

The photos are offline_bench's: distinct 4000×3000 JPEGs of about 3 MB.

Each measure starts with the machine's disk done with the last one's writes (os.sync): an
upload of 3 GB leaves gigabytes of dirty pages, and the kernel then throttles whoever writes
next; a desktop's cache would pay for the floor's upload, or for our own import."""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from annotator.config import sqlite_url  # noqa: E402
from annotator.core.auth import Actor  # noqa: E402
from annotator.core.importing import import_items  # noqa: E402
from annotator.core.projects import ProjectSpec, create_project  # noqa: E402
from annotator.db import open_database  # noqa: E402
from annotator.media import file_sha256  # noqa: E402
from annotator.media.cache import MediaCache  # noqa: E402
from annotator.media.store import S3Store, object_key  # noqa: E402
from benchmarks.canvas_floors import rss_mb, wait  # noqa: E402
from benchmarks.common import Measure, in_fresh_process, qt_floors, report  # noqa: E402
from benchmarks.offline_bench import make_photos  # noqa: E402
from tests.s3_server import ThrowawaySeaweed  # noqa: E402

def bare_put(client, bucket: str, files: list[Path]) -> float:
    """The floor: boto3's own upload of the same files, eight at a time, nothing else."""
    start = time.perf_counter()
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda p: client.upload_file(str(p), bucket, p.name), files))
    return time.perf_counter() - start


def bare_get(client, bucket: str, key: str) -> float:
    """Seconds for the object's bytes from the store, with nothing of ours."""
    t0 = time.perf_counter()
    client.get_object(Bucket=bucket, Key=key)["Body"].read()
    return time.perf_counter() - t0


def first_views(app, store_url: str, files: list[Path], tmp: Path) -> list[float]:
    """Seconds from asking for each photo, in a cache of its own, until the canvas has painted it.
    Run in a fresh process, so that the first is a desktop's first: imports, connection and all."""
    from annotator.tasks.image_boxes.widget import ImageBoxesWidget

    store = S3Store(store_url)

    widget = ImageBoxesWidget()
    widget.resize(1280, 800)
    widget.show()
    ready: list[str] = []
    full: list[str] = []
    widget.image_ready.connect(lambda decoded: (full if decoded.full else ready).append(decoded.path))
    times = []
    for n, path in enumerate(files):
        # A person looks at a photo for seconds: its full-resolution decode, for zooming in, is done.
        wait(app, lambda: not ready or (bool(full) and full[-1] == ready[-1]))
        sha = file_sha256(path)
        cache = MediaCache(tmp / f"cache-{n}")
        item = SimpleNamespace(payload={}, config={"labels": ["car"]}, prediction=None, draft=None, confidence=None,
                               pixel_limit=178_956_970)
        t0 = time.perf_counter()
        # As the workbench: the worker thread fetches, handing the bytes to the widget as they arrive.
        fetched: list[Path] = []
        fetch = threading.Thread(target=lambda: fetched.append(cache.get(store, sha, widget.arrival_watcher(item))))
        fetch.start()
        wait(app, lambda: not fetch.is_alive())
        local = str(fetched[0])
        item.payload["image"] = local
        widget.load(item)
        wait(app, lambda: bool(ready) and ready[-1] == local)
        widget.canvas.viewport().repaint()
        times.append(time.perf_counter() - t0)
    widget.close()
    return times


def cache_over(client, tmp: Path, items: int, cap: int = 1024**3, size: int = 1024**2) -> dict:
    """Objects of 1 MB through a cache capped at 1 GB, fetched one after another as a desktop's
    claims fetch them: its largest size, what is on disk after, and this process's memory."""
    client.create_bucket(Bucket="cache")
    block = os.urandom(size - 4)

    def put(n: int) -> str:
        blob = block + n.to_bytes(4, "big")
        sha = hashlib.sha256(blob).hexdigest()
        client.put_object(Bucket="cache", Key=object_key(sha), Body=blob)
        return sha

    with ThreadPoolExecutor(8) as pool:
        shas = list(pool.map(put, range(items)))
    store = S3Store("s3://cache")
    cache = MediaCache(tmp / "capped", cap)
    peak, rss = 0, {}
    for n, sha in enumerate(shas, 1):
        cache.get(store, sha)
        peak = max(peak, cache.size())
        if n in (min(1000, items), items):
            rss[n] = rss_mb()
    disk = sum(p.stat().st_size for p in (tmp / "capped").rglob("*") if p.is_file())
    return {"items": items, "cap_mb": round(cap / 1e6, 1), "peak_mb": round(peak / 1e6, 1),
            "disk_mb": round(disk / 1e6, 1), "rss_growth_mb": round(rss[items] - rss[min(1000, items)], 1)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--photos", type=int, default=1000)
    ap.add_argument("--quick", action="store_true", help="100 photos, for a smoke run")
    a = ap.parse_args()
    count = 100 if a.quick else a.photos
    tmp = Path(tempfile.mkdtemp(prefix="annot-media-"))
    server = ThrowawaySeaweed()
    os.environ.update(ANNOTATOR_S3_ENDPOINT=server.endpoint, AWS_ACCESS_KEY_ID=server.ACCESS_KEY,
                      AWS_SECRET_ACCESS_KEY=server.ACCESS_KEY,
                      AWS_DEFAULT_REGION="us-east-1", ANNOTATOR_DATA_DIR=str(tmp / "desktop"))
    try:
        photos = tmp / "photos"
        total_bytes = make_photos(photos, count)
        files = sorted(photos.glob("*.jpg"))
        client = server.client()
        for bucket in ("ours", "floor"):
            client.create_bucket(Bucket=bucket)

        floor_s = bare_put(client, "floor", files)
        os.sync()
        db = open_database(sqlite_url(tmp / "team.sqlite3"))
        operator = Actor.local_operator()
        with db.write() as s:
            create_project(s, operator, ProjectSpec(name="photos", kind="image_boxes", config={"labels": ["car"]},
                                                    media_store="s3://ours"))
        start = time.perf_counter()
        with db.write() as s:
            import_items(s, operator, "photos", photos)
        ours_s = time.perf_counter() - start
        db.dispose()
        os.sync()

        # First views of photos not in the cache, as on a new desktop: fetched into a fresh
        # cache and hashed, decoded by the workbench's canvas and painted.
        views = in_fresh_process("benchmarks.media_bench", "first_views", "s3://ours", files[:20], tmp)
        # The floor's GETs are of twenty other photos, as cold in the store as ours were: the same
        # objects again would come from the store's own cache, warmed by our fetches.
        # Without boto3's CRC check of the body, as ours reads (it checks the sha256 instead).
        reader = server.client(response_checksum_validation="when_required")
        gets = [bare_get(reader, "ours", object_key(file_sha256(path))) for path in files[20:40]]
        decode_to_paint = qt_floors(["jpeg_12mp"], image12=files[0])["jpeg_12mp"]["decode_to_paint_p50_ms"]
        ours_view, ours_first = statistics.median(views) * 1000, views[0] * 1000
        floor_view = statistics.median(gets) * 1000 + 1.3 * decode_to_paint
        floor_first = gets[0] * 1000 + 1.3 * decode_to_paint

        # Submit → next photo painted, steady state: store-backed, and the same photos as files.
        client.create_bucket(Bucket="workbench")
        steps = 15 if a.quick else 100  # the p95 is the 5th worst: of 40 it was the 2nd, and flapped
        # Each in a process of its own, so that neither pays the other's cold start.
        os.sync()
        by_file = in_fresh_process("benchmarks.canvas_bench", "submit_to_next", files[:8], tmp, steps)
        by_store = in_fresh_process("benchmarks.canvas_bench", "submit_to_next", files[:8], tmp, steps, "s3://workbench")

        cache = cache_over(client, tmp, 1000 if a.quick else 5000)

        mb = total_bytes / 1e6
        mb = total_bytes / 1e6
        measures = [
            Measure(f"import of {count} photos of 12 MP into an S3 store (checked, hashed, uploaded)", round(mb / ours_s, 1),
                    round(mb / floor_s, 1), "MB/s", target=0.8, higher_is_better=True,
                    note="floor: boto3's upload_file of the same files, 8 at a time"),
            Measure("first view of an uncached 12 MP photo from the store, painted, median of 20", round(ours_view, 1),
                    round(floor_view, 1), "ms", target=1.0,
                    note="floor: a bare GET plus 1.3 × the shared decode-to-paint floor, as the issue's target says"),
            Measure("first view of an uncached 12 MP photo from the store, painted, the first", round(ours_first, 1),
                    round(floor_first, 1), "ms", note="ours: a fresh process's first (imports, first connection); "
                    "floor: the first bare GET of this process plus 1.3 × decode-to-paint"),
            Measure("submit → next 12 MP photo painted, store-backed, median", by_store["p50_ms"], by_file["p50_ms"],
                    "ms", target=1.1, note="floor: the same photos as local files, the same workbench, the same run"),
            Measure("submit → next 12 MP photo painted, store-backed, p95", by_store["p95_ms"], by_file["p95_ms"],
                    "ms", target=1.1, note="floor: as above"),
            Measure("project opened → first 12 MP photo painted, store-backed, the cache cold", by_store["first_ms"],
                    by_file["first_ms"], "ms", note="floor: the same with local files; each in a fresh process"),
            Measure(f"cache over {cache['items']:,} items of 1 MB, largest size", cache["peak_mb"], None, "MB",
                    limit=cache["cap_mb"], note=f"on disk at the end: {cache['disk_mb']} MB"),
            Measure(f"cache over {cache['items']:,} items, memory growth after the cap is reached", cache["rss_growth_mb"],
                    None, "MB", limit=16, note="resident memory at the last item minus at the 1,000th"),
        ]
        extra = {"photos": count, "photo_mb_each": round(mb / count, 2), "submit_by_file": by_file,
                 "submit_by_store": by_store, "cache": cache}
        print(f"results: {report('media', measures, extra)}")
    finally:
        server.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
