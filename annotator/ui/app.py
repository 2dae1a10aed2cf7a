"""The desktop app: log in, pick a project, work. Heavy imports (pyqtgraph, SQLAlchemy models,
the task widgets) wait until they are needed, so the login window shows at once."""

from __future__ import annotations

import logging
import os
import sys
import time
from datetime import datetime, timezone

from PySide6.QtCore import QEvent, QObject, QSettings, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from annotator.resources import resources_dir


log = logging.getLogger(__name__)


def make_settings() -> QSettings:
    return QSettings("Annotator", "Annotator")


class AppController(QObject):
    """Owns the worker and moves the user from login to picker to workbench."""

    def __init__(self, url: str, settings: QSettings | None = None):
        super().__init__()
        from annotator.ui.settings import upgrade

        self.settings = upgrade(settings or make_settings())
        self.url = url
        self.worker = None
        self.actor = None
        self.login = self.picker = self.workbench = self.review = self.dashboard = None
        self.closing = False  # shut down: a worker not started yet never starts

    def start(self) -> None:
        """The login window paints first; the worker, whose first job imports SQLAlchemy and
        opens the database, starts after that paint (it would share the interpreter with it)."""
        from annotator.ui.worker import DbWorker

        self.worker = DbWorker(self.url)
        self.start_login()
        worker = self.worker

        def start_worker() -> None:
            if self.worker is worker and not self.closing and not worker.isRunning() and not worker.isFinished():
                worker.start()

        after_first_paint(self.login, start_worker)
        after_first_paint(self.login, lambda: log.info("log-in window painted"))
        QTimer.singleShot(2000, start_worker)  # a window that is never painted (not exposed) still logs in

    def start_login(self) -> None:
        from annotator.ui.login import LoginDialog

        self.login = LoginDialog(self.url, self.worker, self.settings)
        self.login.database_changed.connect(self._restart_worker)
        self.login.logged_in.connect(self._logged_in)
        self.login.rejected.connect(self.quit)
        self.login.show()

    def _start_worker(self, url: str) -> None:
        from annotator.ui.worker import DbWorker

        self.url = url
        self.worker = DbWorker(url)
        self.worker.start()

    def _restart_worker(self, url: str) -> None:
        self.worker.stop()
        self._start_worker(url)
        self.login.worker = self.worker

    def _logged_in(self, actor) -> None:
        from annotator.config import data_dir
        from annotator.core.journal import Journal

        self.actor = actor
        self.journal = Journal(data_dir(), self.url, actor.name)
        self._replay_journal()
        self._tell_about_rejections()
        self.show_picker()

    def _replay_journal(self) -> None:
        """Answers a crash or a lost connection left on this computer are submitted now."""
        from annotator.core import queue_direct

        for entry in self.journal.pending():
            if entry.kind != "submit":
                continue

            def job(db, entry=entry):
                out = queue_direct.submit(db, self.actor, entry.assignment_id, entry.answer, entry.active_seconds)
                self.journal.clear(entry.assignment_id)
                return out

            self.worker.call_db(job, None, lambda exc: None)

    def _tell_about_rejections(self) -> None:
        from annotator.core.review import my_rejections

        from annotator.ui.settings import rejections_seen

        key = rejections_seen(self.actor.name)
        since_text = self.settings.value(key, "", str)
        since = datetime.fromisoformat(since_text) if since_text else None
        self.settings.setValue(key, datetime.now(timezone.utc).isoformat())

        def show(rejections) -> None:
            if not rejections:
                return
            lines = [f"• {r.project}, item {r.external_id} — {r.reviewer or 'a lead'}: “{r.comment}”" for r in rejections[:10]]
            more = f"\n…and {len(rejections) - 10} more." if len(rejections) > 10 else ""
            self.rejection_box = QMessageBox(QMessageBox.Icon.Information, "Feedback from your leads",
                                             f"{len(rejections)} of your answers were rejected since you last worked:\n\n"
                                             + "\n".join(lines) + more)
            self.rejection_box.show()

        self.worker.call(lambda s: my_rejections(s, self.actor, since=since), show, write=False)

    def show_picker(self) -> None:
        from annotator.ui.picker import ProjectPicker

        self.picker = ProjectPicker(self.actor, self.worker)
        self.picker.chosen.connect(self.open_project)
        self.picker.review_requested.connect(self.open_review)
        self.picker.people_requested.connect(self.open_people)
        self.picker.audit_requested.connect(self.open_audit)
        self.picker.dashboard_requested.connect(self.open_dashboard)
        self.picker.projects_requested.connect(self.open_projects)
        self.picker.statement_requested.connect(self.open_statement)
        self.picker.pay_report_requested.connect(self.open_pay_report)
        self.picker.rejected.connect(lambda: self.workbench is None and self.quit())
        self.picker.show()
        from annotator.ui.heap import settle

        after_first_paint(self.picker, settle)  # the log-in's imports (SQLAlchemy, the models) are in

    def open_project(self, card) -> None:
        from annotator.ui.workbench import Workbench

        self.workbench = Workbench(self.actor, card, self.worker, self.journal)
        self.workbench.open_bundle_requested.connect(self.open_bundle)
        self.workbench.closed_to.connect(self._left_workbench)
        self.workbench.show()
        self.workbench.start()

    def _left_workbench(self, to: str) -> None:
        """Closing a project goes back to the picker; Log out to the log-in window; Quit quits."""
        if self.closing or self.workbench is None:
            return
        self.workbench = None
        if to == "quit":
            QTimer.singleShot(0, self.quit)
        elif to == "login":  # a fresh worker, as at start: the next person's connection is their own
            self.actor = None
            self.worker.stop()
            self._start_worker(self.url)
            self.start_login()
        else:
            self.show_picker()

    def open_bundle(self, path: str) -> None:
        """File → Open offline bundle: leave this database (drafts saved, claims ahead given
        back) and log in to the bundle, which opens like any database."""
        from annotator.config import sqlite_url

        windows = (self.workbench, self.picker)
        self.workbench = self.picker = None  # so the workbench's close goes nowhere of its own
        for window in windows:
            if window is not None:
                window.hide()
                window.close()
        self.worker.stop()
        self._start_worker(sqlite_url(path))
        self.start_login()

    def open_projects(self) -> None:
        from annotator.ui.projects import ProjectsWindow

        self.projects = ProjectsWindow(self.actor, self.worker)
        self.projects.show()

    def open_statement(self) -> None:
        from annotator.ui.pay_statement import StatementWindow

        self.statement = StatementWindow(self.actor, self.worker)
        self.statement.show()

    def open_pay_report(self) -> None:
        from annotator.ui.pay_report import PayReportWindow

        self.pay_report = PayReportWindow(self.actor, self.worker)
        self.pay_report.show()

    def open_people(self) -> None:
        from annotator.ui.people import PeopleWindow

        self.people = PeopleWindow(self.actor, self.worker)
        self.people.show()

    def open_dashboard(self) -> None:
        from annotator.ui.dashboard import DashboardWindow

        self.dashboard = DashboardWindow(self.actor, self.worker)
        self.dashboard.show()

    def open_review(self) -> None:
        from annotator.ui.review import ReviewWindow

        self.review = ReviewWindow(self.actor, self.worker)  # its decisions are announced by the worker
        self.review.show()

    def open_audit(self) -> None:
        from annotator.ui.people import AuditWindow

        self.audit = AuditWindow(self.actor, self.worker)
        self.audit.show()

    def quit(self) -> None:
        QApplication.instance().quit()

    def shutdown(self) -> None:
        self.closing = True
        if self.workbench is not None:
            self.workbench.close()
        if self.worker is not None:
            self.worker.stop()


class _FirstPaint(QObject):
    def __init__(self, widget, then):
        super().__init__(widget)
        self.then = then
        widget.installEventFilter(self)

    def eventFilter(self, obj, event) -> bool:
        if event.type() == QEvent.Type.Paint and self.then is not None:
            then, self.then = self.then, None
            QTimer.singleShot(0, then)  # once this paint is done
            obj.removeEventFilter(self)
        return False


def after_first_paint(widget, then) -> None:
    """Call `then()` once `widget` has painted for the first time."""
    _FirstPaint(widget, then)


def apply_style(app: QApplication) -> None:
    qss = resources_dir() / "style.qss"
    if qss.exists():
        app.setStyleSheet(qss.read_text(encoding="utf-8"))


def run(url: str) -> int:
    if os.environ.get("ANNOTATOR_LOG"):  # ANNOTATOR_LOG=info: what the app shows and does, on stderr
        logging.basicConfig(level=os.environ["ANNOTATOR_LOG"].upper(), format="%(asctime)s %(name)s: %(message)s")
    app = QApplication.instance() or QApplication(sys.argv)
    app.setApplicationName("Annotator")
    app.setOrganizationName("Annotator")
    apply_style(app)
    controller = AppController(url)
    controller.start()
    app.aboutToQuit.connect(controller.shutdown)
    if os.environ.get("ANNOTATOR_STARTUP_PROBE"):
        # benchmarks/ui_bench.py: report when the login window has painted, then leave.
        def probe() -> None:
            print(f"login-shown {time.time():.6f}", flush=True)
            app.quit()

        after_first_paint(controller.login, probe)
    return app.exec()
