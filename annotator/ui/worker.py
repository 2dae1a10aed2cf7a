"""The one background worker: every database call (and the disk work that goes with it) runs
here, one at a time, and its result comes back to the UI thread by signal. The UI never holds
a session and never waits. A lost connection is retried until it comes back; the job waits in
the queue meanwhile, so nothing is dropped."""

from __future__ import annotations

import logging
import queue
import time
from dataclasses import dataclass
from typing import Any, Callable

from PySide6.QtCore import QThread, Signal

log = logging.getLogger(__name__)
RETRY_SECONDS = 2.0


_LOGIN = "login"  # a job's `write` for a log-in, which opens the database as the person


# What a job can change, as it announces it: every open view that shows one of them redraws.
WORK = "work"  # answers, reviews and what follows from them (rates, pay)
ITEMS = "items"  # items imported or edited
CONFLICTS = "conflicts"


@dataclass
class _Job:
    fn: Callable[[Any], Any]
    on_done: Callable[[Any], None] | None
    on_error: Callable[[Exception], None] | None
    write: bool
    announces: frozenset[str] = frozenset()


def _is_connection_loss(exc: Exception) -> bool:
    from sqlalchemy.exc import DBAPIError, OperationalError

    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    if isinstance(exc, OperationalError):
        text = str(exc.orig).lower()
        return any(s in text for s in ("connection", "server closed", "could not connect", "terminating", "unable to open"))
    return False


class DbWorker(QThread):
    connection_lost = Signal(str)
    connection_restored = Signal()
    opened = Signal(str)  # the database's description, once it is open
    offline = Signal(object)  # a BundleStatus, when the database is an offline bundle
    # After a job that announces what it changed has succeeded (after its own on_done): the
    # views subscribe and redraw themselves, so no window has to be told by another.
    changed = Signal(object)  # frozenset of WORK, ITEMS, CONFLICTS
    _result = Signal(object, object, object)  # callback, value, is_error

    def __init__(self, url: str, parent=None):
        super().__init__(parent)
        self.url = url
        self.db = None
        self._jobs: queue.Queue[_Job | None] = queue.Queue()
        self._stopping = False
        self._result.connect(self._deliver)  # this QThread object lives in the UI thread

    # ---- UI thread -----------------------------------------------------------------------------

    def call(self, fn: Callable[[Any], Any], on_done=None, on_error=None, *, write: bool = True,
             announces: frozenset[str] = frozenset()) -> None:
        """Run fn(session) in a transaction on the worker; on_done(result) or on_error(exc)
        run later on the UI thread, and `changed(announces)` after a success."""
        self._jobs.put(_Job(fn, on_done, on_error, write, frozenset(announces)))

    def call_db(self, fn: Callable[[Any], Any], on_done=None, on_error=None, *,
                announces: frozenset[str] = frozenset()) -> None:
        """Run fn(database) on the worker, for work that manages its own transactions."""
        self._jobs.put(_Job(fn, on_done, on_error, None, frozenset(announces)))  # type: ignore[arg-type]

    def log_in(self, name: str, password: str, on_done=None, on_error=None) -> None:
        """Open the database as this person (on PostgreSQL, their own login: docs/adr/0009);
        on_done(actor) or on_error(exc) later on the UI thread."""
        from annotator.core.auth import log_in

        self._jobs.put(_Job(lambda url: log_in(url, name, password), on_done, on_error, write=_LOGIN))

    def stop(self) -> None:
        """Finish what is queued (drafts, releases), then stop."""
        self._stopping = True
        self._jobs.put(None)
        self.wait()

    def idle(self) -> bool:
        return self._jobs.empty()

    def _deliver(self, callback, value, is_error) -> None:
        if callback is not None:
            callback(value)
        elif is_error:
            log.error("background database call failed: %s", value)

    # ---- worker thread ---------------------------------------------------------------------------

    def run(self) -> None:
        from annotator.db import open_database
        from annotator.db.logins import is_team_url

        # A team database is opened by the log-in, as the person: there is nobody to connect as before.
        while self.db is None and not is_team_url(self.url):
            try:
                self.db = open_database(self.url)
                self.opened.emit(self.db.describe())
                self._prepare_bundle()
            except Exception as exc:  # an unreachable server at start: wait for it
                if self._stopping:
                    return
                self.connection_lost.emit(str(exc).splitlines()[0])
                time.sleep(RETRY_SECONDS)
        while True:
            job = self._jobs.get()
            if job is None:
                break
            self._run(job)
        if self.db is not None:
            self.db.dispose()

    def _prepare_bundle(self) -> None:
        """An offline bundle's media are unpacked here, once, before any item is shown."""
        if not self.db.is_sqlite:
            return
        from annotator.config import data_dir
        from annotator.core import offline

        try:
            with self.db.read() as session:  # an ordinary database: one cheap read, no write lock
                if not offline.is_bundle(session):
                    return
            with self.db.write() as session:
                offline.unpack_media(session, data_dir() / "bundle-media")
                status = offline.bundle_status(session)
        except Exception as exc:  # a damaged bundle: the items say so when they cannot load
            log.error("could not unpack the bundle's media: %s", exc)
            return
        self.offline.emit(status)

    def _log_in(self, job: _Job) -> None:
        """No retries: the person is waiting at the log-in window, which shows why it failed."""
        try:
            db, actor = job.fn(self.url)
        except Exception as exc:
            self._result.emit(job.on_error, exc, True)
            return
        if self.db is not None and self.db is not db:
            self.db.dispose()
        self.db = db
        self.opened.emit(db.describe())
        self._result.emit(job.on_done, actor, False)

    def _run(self, job: _Job) -> None:
        if job.write == _LOGIN:
            self._log_in(job)
            return
        if self.db is None:
            from annotator.errors import AuthenticationFailed

            self._result.emit(job.on_error, AuthenticationFailed("Log in first."), True)
            return
        lost = False
        while True:
            try:
                if job.write is None:
                    value = job.fn(self.db)
                elif job.write:
                    value = self.db.run(job.fn)
                else:
                    with self.db.read() as session:
                        value = job.fn(session)
            except Exception as exc:
                if _is_connection_loss(exc) and not self._stopping:
                    if not lost:
                        lost = True
                        self.connection_lost.emit(str(getattr(exc, "orig", exc)).splitlines()[0])
                    time.sleep(RETRY_SECONDS)
                    continue
                if lost:
                    self.connection_restored.emit()
                self._result.emit(job.on_error, exc, True)
                return
            if lost:
                self.connection_restored.emit()
            self._result.emit(job.on_done, value, False)
            if job.announces:
                self.changed.emit(job.announces)
            return

