"""A person at their desk, in the UI tests: logging in through the window, a workbench open on
a project with the person's own worker, and Ctrl+Enter on the item on screen."""

from PySide6.QtCore import Qt

from annotator.core.workspace import my_projects
from annotator.db.models import Assignment
from annotator.ui.workbench import Workbench
from tests.ui.workers import worker_as


def log_in(qtbot, controller, name="ann", password="secret"):
    controller.start()
    qtbot.addWidget(controller.login)
    type_log_in(controller.login, name, password)


def type_log_in(login, name, password="secret"):
    """A name and password typed into the log-in window on screen, and Log in pressed."""
    login.user.setText(name)
    login.password.setText(password)
    login.submit()


def open_workbench(qtbot, db_url, actor, project="intents", data_dir=None):
    from annotator.config import data_dir as dd
    from annotator.core.journal import Journal

    worker = worker_as(qtbot, db_url, actor)
    with worker_db(db_url, actor) as s:
        card = next(c for c in my_projects(s, actor) if c.name == project)
    bench = Workbench(actor, card, worker, Journal(dd(), db_url, actor.name))
    qtbot.addWidget(bench)
    bench.show()
    with qtbot.waitSignal(bench.item_shown, timeout=10_000):
        bench.start()
    return bench, worker


class worker_db:
    """A read as this person's own connection."""

    def __init__(self, url, actor):
        from annotator.db import Database
        from annotator.db.logins import is_team_url, with_login

        self.db = Database(with_login(url, actor.name, "secret") if is_team_url(url) else url)

    def __enter__(self):
        self.cm = self.db.read()
        return self.cm.__enter__()

    def __exit__(self, *exc):
        self.cm.__exit__(*exc)
        self.db.dispose()


def close(bench, worker):
    bench.close()
    worker.stop()


def submit_and_check_stored(qtbot, db, bench, answer) -> None:
    """Ctrl+Enter on the item on screen, and its answer is in the database as shown."""
    item = bench.current
    qtbot.keyClick(bench, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: bench.today == 1, timeout=10_000)
    with db.read() as s:
        assert s.get(Assignment, item.assignment_id).answer == answer
