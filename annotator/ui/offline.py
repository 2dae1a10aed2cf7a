"""File → Check in: send an offline bundle's work to the team database, on the worker thread,
and show what happened (submitted, unchanged, conflicts)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QVBoxLayout,
)

from annotator.ui.worker import CONFLICTS, ITEMS, WORK


class CheckinDialog(QDialog):
    finished_checkin = Signal(object)  # the CheckinReport

    def __init__(self, actor, worker, status, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Check in offline work")
        self.actor, self.worker, self.status = actor, worker, status
        self.url = QLineEdit(status.source_url)
        self.url.setObjectName("team_url")
        self.url.setPlaceholderText("postgresql://user:password@host/db, or the path of the team's SQLite file")
        self.password = QLineEdit()
        self.password.setObjectName("team_password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText(f"{actor.name}'s password on the team database")
        self.release = QCheckBox("I am done with this bundle: give the items I did not start back to the queue")
        intro = QLabel(f"{status.total - status.left} of {status.total} items of {status.project} are answered. "
                       "Checking in submits them and saves your drafts in the team database. It is safe to repeat.")
        intro.setWordWrap(True)
        self.result = QLabel()
        self.result.setObjectName("result")
        self.result.setWordWrap(True)
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)
        self.busy.hide()
        form = QFormLayout()
        form.addRow("Team database", self.url)
        form.addRow("Your password", self.password)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Close)
        self.ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok.setText("Check in")
        self.buttons.accepted.connect(self.start)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.release)
        layout.addWidget(self.busy)
        layout.addWidget(self.result)
        layout.addWidget(self.buttons)
        self.resize(620, 260)

    def start(self) -> None:
        from annotator.config import normalise_url

        text = self.url.text().strip()
        if not text:
            self.result.setText("Enter the team database: its URL, or the path of its SQLite file.")
            return
        team_url, name, release = normalise_url(text), self.actor.name, self.release.isChecked()
        password = self.password.text()
        self.ok.setEnabled(False)
        self.busy.show()
        self.result.setText("Checking in…")

        def job(bundle_db):
            from annotator.core.auth import log_in
            from annotator.core.offline import checkin

            path = Path(bundle_db.engine.url.database)
            team, actor = log_in(team_url, name, password)  # as this person, on the team database too
            try:
                return checkin(team, actor, path, release_unfinished=release)
            finally:
                team.dispose()

        self.worker.call_db(job, self._done, self._failed, announces={WORK, ITEMS, CONFLICTS})

    def _done(self, report) -> None:
        self.busy.hide()
        self.ok.setEnabled(True)
        lines = [report.summary()] + [f"• conflict: {r}" for r in report.conflict_reasons[:10]]
        if report.conflicts:
            lines.append("A lead will look at the conflicts; nothing you did is lost.")
        self.result.setText("\n".join(lines))
        self.finished_checkin.emit(report)

    def _failed(self, exc: Exception) -> None:
        self.busy.hide()
        self.ok.setEnabled(True)
        self.result.setText(f"Not checked in: {exc}")
