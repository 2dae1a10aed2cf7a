"""One driver connection per thread, outside any pool, for the queue's direct paths.

A claim or a submit is a handful of statements; checking a connection out of SQLAlchemy's pool
and resetting it on the way back cost as much again in Python. The app's database work runs
on one worker thread, and each benchmark or test thread is one annotator, so a connection per
thread is what the pool would have handed out anyway. Threads that have ended leave their
connection behind: those are closed when the next one opens, and all of them by close_all()."""

from __future__ import annotations

import threading
from typing import Any, Callable


class ThreadConnections:
    def __init__(self, connect: Callable[[], Any]):
        self._connect = connect
        self._local = threading.local()
        self._opened: list[tuple[threading.Thread, Any]] = []
        self._lock = threading.Lock()

    def get(self) -> Any:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._connect()
            self._local.conn = conn
            with self._lock:
                for entry in [e for e in self._opened if not e[0].is_alive()]:
                    _close(entry[1])
                    self._opened.remove(entry)
                self._opened.append((threading.current_thread(), conn))
        return conn

    def discard(self) -> None:
        """This thread's connection is broken: close it; the next get() opens another."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            return
        self._local.conn = None
        with self._lock:
            self._opened = [e for e in self._opened if e[1] is not conn]
        _close(conn)

    def close_all(self) -> None:
        with self._lock:
            for _thread, conn in self._opened:
                _close(conn)
            self._opened.clear()
        self._local = threading.local()


def _close(conn: Any) -> None:
    try:
        conn.close()
    except Exception:  # noqa: BLE001 - already broken; closing is best effort
        pass
