"""UI test fixtures: an isolated QSettings, a demo-like database on each backend, and a guard
that fails any test leaving a QThread or a QThreadPool task running (as napari's does)."""

import json

import pytest
from PySide6.QtCore import QSettings

from annotator.core.auth import Actor
from annotator.core.importing import import_items
from annotator.ui.app import AppController
from tests.helpers import make_project, make_user
from tests.ui.thread_guard import ThreadGuard


@pytest.fixture(autouse=True)
def no_threads_left(qapp, monkeypatch):
    """Set up before the test's own fixtures, so it checks after qtbot has closed its widgets."""
    guard = ThreadGuard(monkeypatch)
    yield guard
    running = guard.running()
    guard.stop_all()
    assert not running, "left running: " + ", ".join(running)


@pytest.fixture
def controller(db_url, settings):
    """The whole app on this database; shut down (its worker stopped) even when a test fails."""
    app = AppController(db_url, settings)
    yield app
    app.shutdown()


@pytest.fixture
def settings(tmp_path):
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("ANNOTATOR_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


@pytest.fixture
def text_project(db, tmp_path):
    """A text-categories project with five items and an annotator 'ann' (password 'secret')."""
    make_project(db, "intents", config={"labels": ["billing", "delivery", "returns"]}, instructions="Pick the intent.")
    rows = [{"id": f"t{n}", "text": f"Message number {n}: where is my parcel?"} for n in range(5)]
    path = tmp_path / "texts.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    with db.write() as s:
        import_items(s, Actor.local_operator(), "intents", path)
    return make_user(db, "ann")
