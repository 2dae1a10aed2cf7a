"""`make bench`: run every benchmark in turn. Each prints its table and writes benchmarks/results/NAME.json."""

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHES = ["queue_bench.py", "crowd_sim.py", "ui_bench.py", "canvas_bench.py", "review_bench.py", "lead_bench.py",
           "offline_bench.py"]

if __name__ == "__main__":
    failed = [b for b in BENCHES if subprocess.run([sys.executable, str(HERE / b), *sys.argv[1:]]).returncode != 0]
    sys.exit(1 if failed else 0)
