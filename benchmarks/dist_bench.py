"""The desktop build's start: the frozen app (dist/annotator/annotator, from `make dist`) beside
the source tree's `annotator`, each from a fresh process until the log-in window's first paint on
a real X server. The first start of each comes after the kernel's page cache is dropped, where
this machine allows it (root), so it reads every file from disk as after a reboot; the warm
figure is the median of the starts after it. The floor is the source tree's start, measured the
same way in the same run: the ratio is what freezing costs or saves.

usage: python benchmarks/dist_bench.py [--runs N]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import Measure, report  # noqa: E402
from benchmarks.display import Xvfb, cold_start  # noqa: E402

FROZEN = ROOT / "dist" / "annotator" / "annotator"
SOURCE = Path(sys.executable).with_name("annotator")


def drop_page_cache() -> bool:
    """Empty the kernel's page cache, so the next start reads from disk (root only)."""
    try:
        os.sync()
        Path("/proc/sys/vm/drop_caches").write_text("3\n")
        return True
    except OSError:
        return False


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=7)
    a = ap.parse_args()
    if not FROZEN.exists():  # `make bench` on a tree never built: nothing to time, and no failure
        print(f"dist_bench: skipped, no frozen app at {FROZEN} (`make dist` builds it and runs this)")
        return
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "ANNOTATOR_DATA_DIR": tmp}
        subprocess.run([str(SOURCE), "demo", "--no-gui"], check=True, capture_output=True, env=env)
        db_url = f"sqlite:///{tmp}/demo.sqlite3"
        os.environ["ANNOTATOR_DATA_DIR"] = tmp
        results = {}
        with Xvfb() as display:
            for name, exe in (("frozen", FROZEN), ("source", SOURCE)):
                dropped = drop_page_cache()
                results[name] = {**cold_start(str(exe), db_url, a.runs, display), "page_cache_dropped": dropped}
    frozen, source = results["frozen"], results["source"]
    first = "from disk" if frozen["page_cache_dropped"] else "first in this run"
    measures = [
        Measure(f"frozen app's first start to the log-in window ({first})", frozen["first_s"] * 1000,
                source["first_s"] * 1000, "ms", note="floor: the source tree's `annotator`, the same way"),
        Measure("frozen app's warm start to the log-in window, median", frozen["median_s"] * 1000,
                source["median_s"] * 1000, "ms", note="floor: the source tree's `annotator`, the same way"),
    ]
    files = [f for f in FROZEN.parent.rglob("*") if f.is_file() and not f.is_symlink()]  # Qt's links counted once
    results["size_mb"] = round(sum(f.stat().st_size for f in files) / 1e6, 1)
    print(f"the frozen folder: {results['size_mb']} MB")
    print(f"results: {report('dist', measures, results)}")


if __name__ == "__main__":
    main()
