"""Media stores (issue 18), on a real SeaweedFS started here: importing 1,000 photos of 12 MP into
an S3-backed project (checked, hashed and uploaded) beside boto3's own parallel put of the same
bytes; the first view of an uncached photo (fetched into the cache, hashed, decoded for the
screen) beside a bare GET and decode; and the cache over 5,000 items with a small cap.

The photos are offline_bench's: distinct 4000×3000 JPEGs of about 3 MB."""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from io import BytesIO
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from annotator.config import sqlite_url  # noqa: E402
from annotator.core.auth import Actor  # noqa: E402
from annotator.core.importing import import_items  # noqa: E402
from annotator.core.projects import ProjectSpec, create_project  # noqa: E402
from annotator.db import open_database  # noqa: E402
from annotator.media import file_sha256  # noqa: E402
from annotator.media.cache import MediaCache  # noqa: E402
from annotator.media.images import load_upright  # noqa: E402
from annotator.media.store import S3Store, object_key  # noqa: E402
from benchmarks.common import Measure, report  # noqa: E402
from benchmarks.offline_bench import make_photos  # noqa: E402
from tests.s3_server import ThrowawaySeaweed  # noqa: E402

SCREEN = 1920  # the longest side the workbench decodes a first view at


def bare_put(client, bucket: str, files: list[Path]) -> float:
    """The floor: boto3's own upload of the same files, eight at a time, nothing else."""
    start = time.perf_counter()
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda p: client.upload_file(str(p), bucket, p.name), files))
    return time.perf_counter() - start


def bare_first_view(client, bucket: str, key: str) -> tuple[float, float]:
    """(GET seconds, decode seconds) with nothing of ours: bytes from the store, Pillow's draft decode."""
    from PIL import Image

    t0 = time.perf_counter()
    data = client.get_object(Bucket=bucket, Key=key)["Body"].read()
    t1 = time.perf_counter()
    img = Image.open(BytesIO(data))
    img.draft("RGB", (SCREEN, SCREEN))
    img.load()
    return t1 - t0, time.perf_counter() - t1


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--photos", type=int, default=1000)
    ap.add_argument("--quick", action="store_true", help="100 photos, for a smoke run")
    a = ap.parse_args()
    count = 100 if a.quick else a.photos
    tmp = Path(tempfile.mkdtemp(prefix="annot-media-"))
    server = ThrowawaySeaweed()
    os.environ.update(ANNOTATOR_S3_ENDPOINT=server.endpoint, AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench",
                      AWS_DEFAULT_REGION="us-east-1", ANNOTATOR_DATA_DIR=str(tmp / "desktop"))
    try:
        photos = tmp / "photos"
        total_bytes = make_photos(photos, count)
        files = sorted(photos.glob("*.jpg"))
        client = server.client()
        for bucket in ("ours", "floor"):
            client.create_bucket(Bucket=bucket)

        floor_s = bare_put(client, "floor", files)
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

        # First views of photos not in the cache: a fresh cache for each, as on a new desktop.
        store = S3Store("s3://ours")
        ours_views, floor_gets, floor_decodes = [], [], []
        for n, path in enumerate(files[:20]):
            sha = file_sha256(path)
            cache = MediaCache(tmp / f"cache-{n}")
            t0 = time.perf_counter()
            local = cache.get(store, sha)
            load_upright(local, 178_956_970, max_side=SCREEN)
            ours_views.append(time.perf_counter() - t0)
            get_s, decode_s = bare_first_view(client, "ours", object_key(sha))
            floor_gets.append(get_s)
            floor_decodes.append(decode_s)
        ours_view = statistics.median(ours_views) * 1000
        floor_view = (statistics.median(floor_gets) + 1.3 * statistics.median(floor_decodes)) * 1000

        # The cache over 5,000 items with a cap: the objects are small here, the cap scaled to them.
        small = tmp / "small"
        small.mkdir()
        cache_store = S3Store("s3://ours")
        cap = 1024**3 // 5000 * 200  # room for 200 of the 5,000 items, as 1 GB holds a few hundred photos
        cache = MediaCache(tmp / "capped", cap)
        peak = 0
        blobs = []
        for n in range(5000):
            blob = small / f"{n}.bin"
            blob.write_bytes(os.urandom(1024**3 // 5000 // 4) + n.to_bytes(4, "big"))
            blobs.append((file_sha256(blob), blob))
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda b: cache_store.put(*b), blobs))
        for sha, _ in blobs:
            cache.get(cache_store, sha)
            peak = max(peak, cache.size())

        mb = total_bytes / 1e6
        measures = [
            Measure(f"import of {count} photos of 12 MP into an S3 store (checked, hashed, uploaded)", round(mb / ours_s, 1),
                    round(mb / floor_s, 1), "MB/s", target=0.8, higher_is_better=True,
                    note="floor: boto3's upload_file of the same files, 8 at a time"),
            Measure("first view of an uncached 12 MP photo from the store, median of 20", round(ours_view, 1),
                    round(floor_view, 1), "ms", target=1.0,
                    note="floor: a bare GET plus 1.3 × a bare draft decode, as the issue's target says"),
            Measure("cache over 5,000 items, peak size", round(peak / 1e6, 1), None, "MB", limit=round(cap / 1e6, 1)),
        ]
        print(f"results: {report('media', measures, {'photos': count, 'photo_mb_each': round(mb / count, 2)})}")
    finally:
        server.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
