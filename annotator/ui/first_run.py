"""The log-in window's first-run panel: on a local database with no accounts yet, it offers to
make the first admin account from the name and password typed above, or to open the demo."""

from __future__ import annotations

from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout


class FirstRunPanel(QFrame):
    def __init__(self, login):
        super().__init__(login)
        self.login = login
        self.setObjectName("firstRun")
        self.setStyleSheet("#firstRun { background: #eef4ff; border-radius: 4px; }")
        text = QLabel("No one has an account on this database yet. Type a name and a password above to make "
                      "the first one, an admin, or open the demo to look around.")
        text.setWordWrap(True)
        self.create_button = QPushButton("Create admin account")
        self.create_button.setObjectName("primary")
        self.create_button.clicked.connect(self.create_admin)
        self.demo_button = QPushButton("Open the demo")
        self.demo_button.clicked.connect(self.open_demo)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.demo_button)
        row.addWidget(self.create_button)
        layout = QVBoxLayout(self)
        layout.addWidget(text)
        layout.addLayout(row)
        self.hide()

    def check(self) -> None:
        """Ask the database (on the worker) whether anyone has an account; a team database
        always has its owner, who makes the first admin with `annotator user add`."""
        self.hide()
        if self.login.worker is None or not self.login.url.startswith("sqlite"):
            return  # no database to ask (a window made on its own), or a team one
        from annotator.core.first_run import has_accounts

        url = self.login.url
        self.login.worker.call(has_accounts, lambda known: self._answer(known, url), lambda _exc: None, write=False)

    def _answer(self, known: bool, url: str) -> None:
        if known or self.login.url != url:  # answered for a database the window has left since
            return
        self.show()
        self.login.resize(self.login.width(), self.login.sizeHint().height())  # room for the whole text

    def create_admin(self) -> None:
        name, password = self.login.user.text().strip(), self.login.password.text()
        if not name or not password:
            self.login.error.setText("Type the admin's name and a password above first.")
            return
        from annotator.core.first_run import create_first_admin

        def made(_info) -> None:
            self.hide()
            self.login.submit()  # and log in with them

        self.login.error.setText("Creating the account…")
        self.login.worker.call(lambda s: create_first_admin(s, name, password), made,
                               lambda exc: self.login.error.setText(str(exc)))

    def open_demo(self) -> None:
        from annotator.core.first_run import open_demo

        def ready(result) -> None:
            url, summary = result
            self.login.use_database(url)
            self.login.user.setText("annotator")
            self.login.password.clear()
            self.login.password.setFocus()
            names = ", ".join(name for name, _password, _role in summary.users)
            self.login.error.setText(f"The demo is open. Log in as {names}: each password is the name.")

        self.login.error.setText("Making the demo…")
        self.login.worker.call_db(lambda _db: open_demo(), ready, lambda exc: self.login.error.setText(str(exc)))
