"""The log-in window and what follows it: a wrong password, a team server's own logins, and
closing a project or logging out, back to the picker and the log-in."""

import pytest
from PySide6.QtCore import Qt

from annotator.core.auth import Actor
from annotator.core.projects import ProjectSpec, create_project
from annotator.ui.app import AppController
from tests.ui.desk import log_in, type_log_in


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # the shared PostgreSQL trusts every password
def test_a_wrong_password_gets_a_clear_message(qtbot, db_url, text_project, settings):
    controller = AppController(db_url, settings)
    log_in(qtbot, controller, password="nope")
    qtbot.waitUntil(lambda: "Wrong user name or password" in controller.login.error.text(), timeout=10_000)
    assert controller.login.isVisible() and controller.picker is None
    controller.worker.stop()


def test_the_log_in_window_logs_in_to_a_team_server_as_the_person(qtbot, team_url, names, settings, tmp_path):
    """On a server that checks passwords, the window's password is the connection's own: a wrong
    one is refused by the server, a role that is no Annotator user is told whom to ask, and the
    right one opens the person's projects, with a URL that holds no password."""
    from annotator.core.members import add_member
    from annotator.core.users import add_user
    from annotator.db import Database
    from annotator.db.logins import with_login

    owner = Database(team_url)
    ann, stranger = names("ann"), names("stranger")
    with owner.write() as s:
        add_user(s, Actor.local_operator(), ann, "her own secret")
        create_project(s, Actor.local_operator(), ProjectSpec(name="intents", kind="text_categories",
                                                              config={"labels": ["a", "b"]}))
        add_member(s, Actor.local_operator(), ann, "intents")
    with owner.engine.begin() as c:  # a login of the server's own, made outside Annotator
        c.exec_driver_sql(f"CREATE ROLE {stranger} LOGIN PASSWORD 'his secret'")
    owner.dispose()
    desktop_url = with_login(team_url, "", None)  # what a desktop keeps: the server and database only
    assert "throwaway" not in desktop_url
    controller = AppController(desktop_url, settings)
    log_in(qtbot, controller, ann, "not it")
    qtbot.waitUntil(lambda: "Wrong user name or password" in controller.login.error.text(), timeout=20_000)
    assert controller.picker is None
    type_log_in(controller.login, stranger, "his secret")
    qtbot.waitUntil(lambda: "no Annotator user" in controller.login.error.text(), timeout=20_000)
    assert "ask your admin" in controller.login.error.text() and controller.picker is None
    type_log_in(controller.login, ann, "her own secret")
    qtbot.waitUntil(lambda: bool(controller.picker is not None and controller.picker.cards), timeout=20_000)
    assert [c.name for c in controller.picker.cards] == ["intents"] and controller.actor.name == ann
    controller.shutdown()


def test_closing_a_project_goes_back_to_the_picker_and_log_out_to_the_log_in(qtbot, db, controller, text_project):
    log_in(qtbot, controller)
    qtbot.waitUntil(lambda: bool(controller.picker is not None and controller.picker.cards), timeout=10_000)
    qtbot.keyClick(controller.picker.table, Qt.Key.Key_Return)
    bench = controller.workbench
    with qtbot.waitSignal(bench.item_shown, timeout=10_000):
        pass
    first = bench.current.assignment_id
    qtbot.keyClick(bench, Qt.Key.Key_W, Qt.KeyboardModifier.ControlModifier)  # File → Close project
    assert controller.workbench is None and controller.picker.isVisible()
    qtbot.waitUntil(lambda: bool(controller.picker.cards), timeout=10_000)
    qtbot.keyClick(controller.picker.table, Qt.Key.Key_Return)
    bench = controller.workbench
    with qtbot.waitSignal(bench.item_shown, timeout=10_000):
        pass
    assert bench.current.assignment_id == first  # the item held is taken up again, not another
    bench.leave("login")  # File → Log out
    assert controller.workbench is None and controller.login.isVisible() and controller.actor is None
    qtbot.addWidget(controller.login)
