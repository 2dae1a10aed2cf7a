"""Helpers shared by the benchmarks: percentiles, tables, JSON results."""

from __future__ import annotations

import json
import platform
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

RESULTS = Path(__file__).resolve().parent / "results"
SHARED_BENCH = Path(__file__).resolve().parent.parent.parent / "shared" / "bench"


def pct(values: list[float], q: float) -> float:
    """The q-quantile in milliseconds (nearest rank, as the floors compute it)."""
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))] * 1000


def print_table(title: str, columns: list[str], rows: list[list]) -> None:
    table = Table(*columns, title=title)
    for row in rows:
        table.add_row(*(f"{v:,.2f}" if isinstance(v, float) else f"{v:,}" if isinstance(v, int) else str(v) for v in row))
    Console(width=max(Console().width, 140)).print(table)  # long row labels, even in a pipe


def write_results(name: str, data: dict) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    data = {"benchmark": name, "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "machine": platform.node(),
            "cpus": __import__("os").cpu_count(), **data}
    path.write_text(json.dumps(data, indent=2, default=str) + "\n")
    return path


def fresh_pg_schema(base_url: str, schema: str) -> str:
    """An empty schema of its own for a benchmark; the URL that works inside it."""
    from sqlalchemy import create_engine, text

    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        c.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    return f"{base_url}?options=-csearch_path%3D{schema}"


def drop_pg_schema(base_url: str, schema: str) -> None:
    from sqlalchemy import create_engine, text

    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    admin.dispose()


def wait_for(app, condition, timeout: float = 60, step: float = 0.0002) -> None:
    """Run the Qt event loop until `condition()` holds; a benchmark that never gets there fails."""
    end = time.time() + timeout
    while not condition() and time.time() < end:
        app.processEvents()
        time.sleep(step)
    if not condition():
        raise TimeoutError("the window did not get there")


# ---- ours beside a floor of the same run -----------------------------------------------------


class Measure:
    """One figure of ours beside the floor measured in the same run on the same bytes. The ratio
    is ours / floor; `target` bounds it (at most, or at least when `higher_is_better`)."""

    def __init__(self, name: str, ours: float, floor: float | None, unit: str, target: float | None = None,
                 higher_is_better: bool = False, note: str = "", limit: float | None = None):
        self.name, self.ours, self.floor, self.unit = name, ours, floor, unit
        self.target, self.higher_is_better, self.note = target, higher_is_better, note
        self.limit = limit  # the few absolute targets (memory): ours must stay at or under it

    @property
    def ratio(self) -> float | None:
        return round(self.ours / self.floor, 3) if self.floor and self.floor > 0 else None

    @property
    def met(self) -> bool | None:
        if self.limit is not None:
            return self.ours <= self.limit
        if self.target is None or self.ratio is None:
            return None
        return self.ratio >= self.target if self.higher_is_better else self.ratio <= self.target

    def as_json(self) -> dict:
        if self.limit is not None:
            target = f"ours <= {self.limit} {self.unit}"
        else:
            target = None if self.target is None else f"ratio {'>=' if self.higher_is_better else '<='} {self.target}"
        return {"ours": self.ours, "floor": self.floor, "ratio": self.ratio, "unit": self.unit, "target": target,
                "met": self.met, "note": self.note}


def report(benchmark: str, measures: list[Measure], details: dict) -> Path:
    """Print ours, the floor and the ratio of each measure, and write them with the details."""
    print_measures(benchmark, [(m.name, m.as_json()) for m in measures])
    return write_results(benchmark, {"measures": {m.name: m.as_json() for m in measures}, **details})


def print_measures(title: str, rows: list[tuple[str, dict]]) -> None:
    def fmt(v):
        return "—" if v is None else f"{v:,.3f}" if isinstance(v, float) and abs(v) < 10 else f"{v:,.1f}" if isinstance(v, float) else str(v)

    print_table(title, ["measure", "ours", "floor", "unit", "ratio", "target", "met"], [
        [name, fmt(m["ours"]), fmt(m["floor"]), m["unit"], fmt(m["ratio"]), m["target"] or "—",
         {True: "yes", False: "NO", None: "—"}[m["met"]]] for name, m in rows])


def qt_floors(only: list[str], env: dict | None = None, **files: Path) -> dict:
    """Run ../shared/bench/qt_floors.py with this interpreter on the benchmark's own files (and,
    for the cold start, on the same display as ours)."""
    import os
    import subprocess
    import sys
    import tempfile

    out = Path(tempfile.mkdtemp(prefix="floors-")) / "floors.json"
    args = [sys.executable, str(SHARED_BENCH / "qt_floors.py"), "--json", str(out), "--only", ",".join(only)]
    for name, path in files.items():
        args += [f"--{name}", str(path)]
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL, env={**os.environ, **(env or {})})
    return json.loads(out.read_text())


class PaintClock:
    """When a scroll area's viewport (a QGraphicsView, a QTextBrowser, a pyqtgraph plot) last
    finished painting: the filter runs the paint itself, then notes the time, so a clock stopped
    here has the pixels drawn."""

    def __init__(self, view):
        from PySide6.QtCore import QEvent, QObject

        clock = self

        class _Filter(QObject):
            def eventFilter(self, obj, event) -> bool:
                if event.type() == QEvent.Type.Paint:
                    view.viewportEvent(event)
                    clock.ends.append(time.perf_counter())
                    return True
                return False

        self.ends: list[float] = []
        self._filter = _Filter()
        view.viewport().installEventFilter(self._filter)

    def painted_since(self, t: float) -> bool:
        return bool(self.ends) and self.ends[-1] >= t


def in_fresh_process(module: str, function: str, *args) -> dict:
    """`function(app, *args)` (or `function(*args)`) of `module`, in a new process with a
    QApplication: a first, cold time. Paths and lists of paths pass as such; the rest as JSON."""
    import subprocess
    import sys

    def paths(a) -> bool:
        return isinstance(a, list) and bool(a) and all(isinstance(x, Path) for x in a)

    def plain(a):
        return str(a) if isinstance(a, Path) else [str(x) for x in a] if paths(a) else a

    code = (
        "import inspect, json, sys; from pathlib import Path; sys.path.insert(0, %r)\n"
        "from PySide6.QtWidgets import QApplication; app = QApplication([])\n"
        "import importlib; f = getattr(importlib.import_module(%r), %r); args = json.loads(%r); kinds = json.loads(%r)\n"
        "args = [Path(a) if k == 'path' else [Path(x) for x in a] if k == 'paths' else a for a, k in zip(args, kinds)]\n"
        "wants_app = list(inspect.signature(f).parameters)[0] == 'app'\n"
        "print('RESULT', json.dumps(f(app, *args) if wants_app else f(*args)))"
    ) % (str(Path(__file__).resolve().parent.parent), module, function, json.dumps([plain(a) for a in args]),
         json.dumps(["path" if isinstance(a, Path) else "paths" if paths(a) else "value" for a in args]))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=1800)
    line = next((l for l in out.stdout.splitlines() if l.startswith("RESULT ")), None)
    if line is None:
        raise RuntimeError(out.stderr[-3000:])
    return json.loads(line[7:])
