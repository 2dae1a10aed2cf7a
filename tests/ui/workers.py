"""The app's database worker, started and logged in as a person, as the log-in window does:
on PostgreSQL it then works as their own login (docs/adr/0009)."""

from __future__ import annotations

from annotator.ui.worker import DbWorker


def worker_as(qtbot, url: str, actor, password: str = "secret") -> DbWorker:
    worker = DbWorker(url)
    worker.start()
    logged_in, failed = [], []
    worker.log_in(actor.name, password, logged_in.append, failed.append)
    qtbot.waitUntil(lambda: bool(logged_in or failed), timeout=20_000)
    if failed:
        worker.stop()
        raise failed[0]
    return worker
