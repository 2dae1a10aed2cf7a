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


def open_review_window(app, actor, worker):
    """Open the review window as a lead does; return it and the seconds until its first page
    was on screen. It returns once the count has given the table its full height."""
    from annotator.ui.review import ReviewWindow

    t = time.perf_counter()
    win = ReviewWindow(actor, worker)
    win.resize(1280, 800)
    win.show()
    wait_for(app, lambda: len(win.model.rows) > 0)
    win.table.viewport().repaint()
    first = time.perf_counter() - t
    wait_for(app, lambda: win.model.total is not None)
    bar = win.table.verticalScrollBar()
    wait_for(app, lambda: bar.maximum() >= win.model.total - 100)  # the view lays out the count's rows
    return win, first


def jump_to_row(app, win, row: int) -> float:
    """Drag the scrollbar so `row` is on screen; seconds until that row's page is drawn."""
    t = time.perf_counter()
    win.table.verticalScrollBar().setValue(row)
    win.table.viewport().repaint()
    wait_for(app, lambda: win.model.rows[row] is not None, timeout=10)
    win.table.viewport().repaint()
    return time.perf_counter() - t
