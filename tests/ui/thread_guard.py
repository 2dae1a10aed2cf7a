"""Notes every QThread and QThreadPool that a test starts, so that a guard can fail the test when
one is still running at its end (as napari's `dangling_qthreads` and `dangling_qthread_pool` do).
A thread left running reports to widgets that are gone, and races the next test."""

from __future__ import annotations

from PySide6.QtCore import QThread, QThreadPool


def _alive(obj) -> bool:
    try:
        obj.objectName()  # raises once Qt has deleted the object
    except RuntimeError:
        return False
    return True


class ThreadGuard:
    def __init__(self, monkeypatch):
        self.threads: list[QThread] = []
        self.pools: list[QThreadPool] = []
        start_thread, start_task, try_task = QThread.start, QThreadPool.start, QThreadPool.tryStart

        def thread_start(thread, *args, **kwargs):
            self.threads.append(thread)
            return start_thread(thread, *args, **kwargs)

        def pool_start(pool, *args, **kwargs):
            if all(p is not pool for p in self.pools):
                self.pools.append(pool)
            return start_task(pool, *args, **kwargs)

        def pool_try_start(pool, *args, **kwargs):
            if all(p is not pool for p in self.pools):
                self.pools.append(pool)
            return try_task(pool, *args, **kwargs)

        monkeypatch.setattr(QThread, "start", thread_start)
        monkeypatch.setattr(QThreadPool, "start", pool_start)
        monkeypatch.setattr(QThreadPool, "tryStart", pool_try_start)

    def running(self) -> list[str]:
        """What is still running, one line each."""
        out = [f"{type(t).__name__} thread" for t in self.threads if _alive(t) and t.isRunning()]
        for pool in self.pools:
            if _alive(pool) and pool.activeThreadCount() > 0:
                name = "the global thread pool" if pool is QThreadPool.globalInstance() else "a thread pool"
                out.append(f"{pool.activeThreadCount()} task(s) in {name}")
        return out

    def stop_all(self) -> None:
        """Stop what a failing test left, so that it does not spill into the next one."""
        for t in self.threads:
            if _alive(t) and t.isRunning():
                if hasattr(t, "stop"):
                    t.stop()
                else:
                    t.quit()
                    t.wait(5000)
        for pool in self.pools:
            if _alive(pool):
                pool.clear()
                pool.waitForDone(5000)
