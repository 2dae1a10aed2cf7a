"""A real X server on a free display, and the app's cold start timed on it: for the UI
benchmark, the frozen app's benchmark and its smoke test."""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import time
from pathlib import Path


class Xvfb:
    """Xvfb on the first free display from :90, stopped by its own process id. Entering gives
    the environment a Qt app needs to use it."""

    def __enter__(self) -> dict:
        if shutil.which("Xvfb") is None:
            raise SystemExit("a real X server is needed: apt-get install xvfb libxcb-cursor0")
        number = next(n for n in range(90, 200) if not Path(f"/tmp/.X{n}-lock").exists())
        self.proc = subprocess.Popen(["Xvfb", f":{number}", "-screen", "0", "1920x1080x24", "-nolisten", "tcp"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        socket = Path(f"/tmp/.X11-unix/X{number}")
        deadline = time.time() + 10
        while not socket.exists() and time.time() < deadline:
            time.sleep(0.05)
        return {"DISPLAY": f":{number}", "QT_QPA_PLATFORM": "xcb"}

    def __exit__(self, *exc) -> None:
        self.proc.terminate()
        self.proc.wait(10)


def cold_start(exe: str, db_url: str, runs: int, display: dict) -> dict:
    """`exe --db URL gui` in a fresh process, until the log-in window's first paint, on a real X
    server: the first start (the page cache cold for this executable), then the median of `runs`."""
    times = []
    for _ in range(runs + 1):
        env = {**os.environ, **display, "ANNOTATOR_STARTUP_PROBE": "1"}
        t0 = time.time()
        out = subprocess.run([exe, "--db", db_url, "gui"], capture_output=True, text=True, env=env, timeout=60)
        line = next((l for l in out.stdout.splitlines() if l.startswith("login-shown")), None)
        if line is None:
            raise RuntimeError(out.stderr[-2000:])
        times.append(float(line.split()[1]) - t0)
    return {"runs": runs, "first_s": round(times[0], 4), "median_s": round(statistics.median(times[1:]), 4),
            "max_s": round(max(times[1:]), 4)}
