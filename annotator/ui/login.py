"""The login dialog: which database, who you are. Remembers the last user and database."""

from __future__ import annotations

from PySide6.QtCore import QSettings, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
)

from annotator.ui.first_run import FirstRunPanel
from annotator.ui.settings import LAST_DATABASE, LAST_USER


class LoginDialog(QDialog):
    """Emits `logged_in(actor)`; the password check runs on the worker (argon2 and the database)."""

    logged_in = Signal(object)
    database_changed = Signal(str)

    def __init__(self, url: str, worker, settings: QSettings, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Annotator — log in")
        self.worker, self.settings, self.url = worker, settings, url
        self.db_label = QLabel()
        self.db_label.setWordWrap(True)
        self._show_url(url)
        change = QPushButton("Change…")
        change.clicked.connect(self._change_database)
        db_row = QHBoxLayout()
        db_row.addWidget(self.db_label, 1)
        db_row.addWidget(change)
        self.user = QLineEdit(settings.value(LAST_USER, "", str))
        self.user.setObjectName("user")
        self.password = QLineEdit()
        self.password.setObjectName("password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.error = QLabel()
        self.error.setObjectName("error")
        self.error.setWordWrap(True)
        form = QFormLayout()
        form.addRow("Database", db_row)
        form.addRow("User", self.user)
        form.addRow("Password", self.password)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Log in")
        buttons.accepted.connect(self.submit)
        buttons.rejected.connect(self.reject)
        self.ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.media_button = buttons.addButton("Media folders…", QDialogButtonBox.ButtonRole.ActionRole)
        self.media_button.clicked.connect(self.open_media_folders)
        title = QLabel("Annotator")
        title.setObjectName("title")
        self.first_run = FirstRunPanel(self)  # shown only on a local database no one has an account on
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addLayout(form)
        layout.addWidget(self.first_run)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.resize(520, 260)
        (self.password if self.user.text() else self.user).setFocus()
        self.first_run.check()

    def _show_url(self, url: str) -> None:
        import re

        shown = re.sub(r"://([^:/@]+):[^@/]*@", r"://\1:***@", url)  # hide a password; no SQLAlchemy import at start-up
        # As a person would write it: no driver name, no empty user (the log-in gives the user).
        shown = shown.replace("postgresql+psycopg://", "postgresql://").replace("://@", "://")
        self.db_label.setText(shown)
        self.db_label.setToolTip(shown)

    def _change_database(self) -> None:
        text, ok = QInputDialog.getText(
            self, "Database", "A PostgreSQL URL (postgresql://user@host/db), or leave empty to choose a SQLite file or bundle:",
            text="" if self.url.startswith("sqlite") else self.url,
        )
        if not ok:
            return
        if not text.strip():
            path, _ = QFileDialog.getOpenFileName(self, "Database file", "", "Annotator databases (*.sqlite3 *.annot);;All files (*)")
            if not path:
                return
            text = path
        from annotator.config import normalise_url

        self.use_database(normalise_url(text.strip()))

    def use_database(self, url: str) -> None:
        """Log in to another database from here on (the app restarts its worker on it)."""
        self.url = url
        self._show_url(url)
        self.database_changed.emit(url)
        self.first_run.check()

    def open_media_folders(self) -> None:
        from annotator.ui.media_folders import MediaFoldersDialog

        self.media_folders = MediaFoldersDialog(self)
        self.media_folders.show()

    def submit(self) -> None:
        name, password = self.user.text().strip(), self.password.text()
        if not name or not password:
            self.error.setText("Enter your user name and password.")
            return
        self.ok_button.setEnabled(False)
        self.error.setText("Checking…")
        self.worker.log_in(name, password, self._ok, self._failed)

    def _ok(self, actor) -> None:
        self.settings.setValue(LAST_USER, actor.name)
        self.settings.setValue(LAST_DATABASE, self.url)
        self.error.setText("")
        self.logged_in.emit(actor)
        self.accept()

    def _failed(self, exc: Exception) -> None:
        self.ok_button.setEnabled(True)
        from annotator.errors import AnnotatorError

        self.error.setText(str(exc) if isinstance(exc, AnnotatorError) else f"Cannot log in: {exc}")
        self.password.selectAll()
        self.password.setFocus()
