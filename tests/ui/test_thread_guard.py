"""The guard fails a test that leaves a thread or a pool task running, and stops what it finds."""

import threading

from PySide6.QtCore import QRunnable, QThread, QThreadPool


class _Wait(QRunnable):
    def __init__(self, gate: threading.Event):
        super().__init__()
        self.gate = gate

    def run(self) -> None:
        self.gate.wait(10)


def test_a_pool_task_still_running_is_reported_until_it_ends(no_threads_left):
    gate = threading.Event()
    pool = QThreadPool()
    pool.start(_Wait(gate))
    QThreadPool.globalInstance().start(_Wait(gate))
    assert no_threads_left.running() == ["1 task(s) in a thread pool", "1 task(s) in the global thread pool"]
    gate.set()
    pool.waitForDone()
    QThreadPool.globalInstance().waitForDone()
    assert no_threads_left.running() == []


def test_a_qthread_still_running_is_reported_and_stopped(no_threads_left):
    thread = QThread()
    thread.start()  # an event loop that runs until quit()
    assert no_threads_left.running() == ["QThread thread"]
    no_threads_left.stop_all()
    assert not thread.isRunning() and no_threads_left.running() == []
