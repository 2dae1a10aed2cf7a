"""The frozen app's smoke test, as a person would use it: start dist/annotator/annotator on a
virtual display, wait for the log-in window's first paint, log in to a fresh demo database,
open the support-intents project, pick a label, submit, and quit. Keys go in through xdotool,
so nothing in the app knows it is being tested; the app's log (ANNOTATOR_LOG=info) says when
each window is ready. Exits 0 when the answer is in the database and the app quit cleanly.

usage: python packaging/smoke.py [dist/annotator/annotator] [--screenshot PNG]
"""

from __future__ import annotations

import argparse
import os
import queue
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.display import Xvfb  # noqa: E402

PROJECT = "Demo: support intents"
WAIT_S = 60


class App:
    """The frozen app under a display, its log read line by line on a thread of its own."""

    def __init__(self, exe: Path, db: Path, env: dict):
        self.proc = subprocess.Popen([str(exe), "--db", str(db)], env=env, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, text=True)
        self.lines: queue.Queue[str] = queue.Queue()
        self.log: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stderr:
            self.lines.put(line.rstrip())

    def wait_for(self, text: str) -> str:
        """The first log line from now on that holds `text`; fails after WAIT_S or if the app exits."""
        deadline = time.time() + WAIT_S
        while time.time() < deadline:
            try:
                line = self.lines.get(timeout=0.5)
            except queue.Empty:
                if self.proc.poll() is not None:
                    fail(f"the app exited ({self.proc.returncode}) while waiting for {text!r}", self.log)
                continue
            self.log.append(line)
            if text in line:
                return line
        fail(f"no {text!r} within {WAIT_S} s", self.log)


def fail(why: str, log: list[str]) -> None:
    print("\n".join(log[-40:]), file=sys.stderr)
    raise SystemExit(f"smoke test failed: {why}")


def xdotool(env: dict, *args: str) -> str:
    return subprocess.run(["xdotool", *args], env=env, check=True, capture_output=True, text=True, timeout=WAIT_S).stdout


def focus(env: dict, title: str) -> None:
    """Give the window named `title` the keyboard (there is no window manager to do it)."""
    window = xdotool(env, "search", "--sync", "--name", title).split()[0]
    xdotool(env, "windowfocus", "--sync", window)


def submitted(db: Path, user: str) -> int:
    with sqlite3.connect(db) as con:
        return con.execute(
            "SELECT count(*) FROM assignments a JOIN users u ON u.id = a.user_id JOIN items i ON i.id = a.item_id "
            "JOIN projects p ON p.id = i.project_id WHERE u.name = ? AND p.name = ? AND a.status = 'submitted'",
            (user, PROJECT)).fetchone()[0]


def drive(app: App, env: dict, started: float, screenshot: str | None) -> tuple[float, str, int]:
    """Log in, open the project, pick a label, submit, quit: (seconds to the log-in window's
    paint, the log line of the item shown, the app's exit code)."""
    app.wait_for("log-in window painted")
    painted = time.time() - started
    focus(env, "log in")
    xdotool(env, "type", "--delay", "20", "annotator")
    xdotool(env, "key", "Tab")
    xdotool(env, "type", "--delay", "20", "annotator")
    xdotool(env, "key", "Return")
    app.wait_for("projects listed")
    focus(env, "projects for annotator")
    xdotool(env, "type", "--delay", "20", PROJECT)  # the table's type-ahead selects the row
    xdotool(env, "key", "Return")
    first = app.wait_for("item shown")
    focus(env, PROJECT)
    xdotool(env, "key", "1")  # the first label
    if screenshot:
        subprocess.run(["import", "-window", "root", screenshot], env=env, check=True, timeout=WAIT_S)
    xdotool(env, "key", "ctrl+Return")
    app.wait_for("handed in: accepted")
    xdotool(env, "key", "ctrl+q")
    return painted, first, app.proc.wait(WAIT_S)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("exe", nargs="?", default=str(ROOT / "dist" / "annotator" / "annotator"))
    ap.add_argument("--screenshot", help="a PNG of the screen with the item shown (ImageMagick's import)")
    a = ap.parse_args()
    exe = Path(a.exe).resolve()
    if shutil.which("xdotool") is None:
        raise SystemExit("the smoke test types through xdotool: apt-get install xdotool")
    with tempfile.TemporaryDirectory() as tmp, Xvfb() as display:
        # Its own data, settings and cache folders: a first start on a fresh desktop.
        env = {**os.environ, **display, "ANNOTATOR_DATA_DIR": tmp, "XDG_CONFIG_HOME": f"{tmp}/config",
               "XDG_CACHE_HOME": f"{tmp}/cache", "ANNOTATOR_LOG": "info"}
        env.pop("ANNOTATOR_DATABASE_URL", None)
        subprocess.run([str(exe), "demo", "--no-gui"], env=env, check=True, stdout=subprocess.DEVNULL)
        db = Path(tmp) / "demo.sqlite3"
        before = submitted(db, "annotator")
        about = subprocess.run([str(exe), "about"], env=env, check=True, capture_output=True, text=True).stdout
        audio = next(line for line in about.splitlines() if line.startswith("Audio playback"))
        bundle = (exe.parent / "_internal").is_dir()  # PyInstaller's; the source tree's command has the system's
        if bundle and sys.platform.startswith("linux") and str(exe.parent) not in audio:
            raise SystemExit(f"smoke test failed: the bundled PortAudio was not used: {audio}")

        started = time.time()
        app = App(exe, db, env)
        try:
            painted, first, code = drive(app, env, started, a.screenshot)
        finally:
            if app.proc.poll() is None:  # a failed step leaves no app behind
                app.proc.kill()
                app.proc.wait(WAIT_S)
        after = submitted(db, "annotator")
        if after != before + 1:
            fail(f"{after - before} answers in the database after one submit", app.log)
        if code != 0:
            fail(f"the app exited with {code}", app.log)
        print(f"smoke test passed: log-in painted after {painted:.2f} s; item {first.split('item shown: ')[1]} handed in; "
              f"{audio}")


if __name__ == "__main__":
    main()
