"""The first start on a local database no one has an account on: the log-in window offers the
first admin account, or the demo, instead of a door no one can pass."""

import pytest

from annotator.ui.app import AppController


@pytest.fixture
def controller(tmp_path, settings):
    app = AppController(f"sqlite:///{tmp_path / 'empty.sqlite3'}", settings)
    yield app
    app.shutdown()


def test_the_first_admin_account_is_made_and_logged_in(qtbot, controller):
    controller.start()
    login = controller.login
    qtbot.addWidget(login)
    qtbot.waitUntil(login.first_run.isVisible, timeout=20_000)
    login.first_run.create_admin()
    assert "Type the admin's name" in login.error.text()  # nothing typed yet
    login.user.setText("dana")
    login.password.setText("a long passphrase")
    with qtbot.waitSignal(login.logged_in, timeout=20_000) as done:
        login.first_run.create_admin()
    assert (done.args[0].name, done.args[0].role) == ("dana", "admin")


def test_the_demo_opens_from_the_log_in_window(qtbot, controller):
    controller.start()
    login = controller.login
    qtbot.addWidget(login)
    qtbot.waitUntil(login.first_run.isVisible, timeout=20_000)
    with qtbot.waitSignal(login.database_changed, timeout=60_000) as changed:
        login.first_run.open_demo()
    assert changed.args[0].endswith("demo.sqlite3") and "Log in as admin, lead, annotator" in login.error.text()
    login.password.setText("annotator")
    with qtbot.waitSignal(login.logged_in, timeout=20_000) as done:
        login.submit()
    assert done.args[0].name == "annotator" and not login.first_run.isVisible()


def test_a_database_with_accounts_shows_no_first_run_panel(qtbot, tmp_path, settings):
    from annotator.core.auth import Actor
    from annotator.core.users import add_user
    from annotator.db import open_database

    url = f"sqlite:///{tmp_path / 'used.sqlite3'}"
    db = open_database(url)
    with db.write() as s:
        add_user(s, Actor.local_operator(), "ann", "correct-horse", "annotator")
    db.dispose()
    app = AppController(url, settings)
    try:
        app.start()
        qtbot.addWidget(app.login)
        delivered = []
        # Delivered on the UI thread after the panel's own answer, which was asked first.
        app.worker.call(lambda s: None, lambda _: delivered.append(True), write=False)
        qtbot.waitUntil(lambda: bool(delivered), timeout=20_000)
        assert not app.login.first_run.isVisible()
    finally:
        app.shutdown()
