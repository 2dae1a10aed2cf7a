"""`make bench`: run every benchmark in turn (each prints its table and writes
benchmarks/results/NAME.json), then print one table of every measure: ours, the floor of the
same run, the ratio and its target."""

import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from benchmarks.common import RESULTS, print_measures  # noqa: E402

BENCHES = ["queue_bench.py", "crowd_sim.py", "ui_bench.py", "canvas_bench.py", "review_bench.py", "lead_bench.py",
           "offline_bench.py", "media_bench.py", "formats_bench.py", "pay_bench.py",
           "dist_bench.py"]


def summary() -> list[tuple[str, dict]]:
    rows = []
    for bench in BENCHES:
        path = RESULTS / f"{bench.removesuffix('_bench.py').removesuffix('.py')}.json"
        if not path.exists():
            continue
        for name, measure in json.loads(path.read_text()).get("measures", {}).items():
            rows.append((f"{path.stem}: {name}", measure))
    return rows


if __name__ == "__main__":
    only = [a for a in sys.argv[1:] if a.endswith(".py")]
    args = [a for a in sys.argv[1:] if not a.endswith(".py")]
    failed = [b for b in (only or BENCHES) if subprocess.run([sys.executable, str(HERE / b), *args]).returncode != 0]
    print_measures("Every benchmark: ours beside the floor of the same run", summary())
    if failed:
        print(f"failed: {', '.join(failed)}")
    sys.exit(1 if failed else 0)
