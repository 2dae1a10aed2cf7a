"""A data folder that cannot be written (read-only, or a full disk) must not stop a submit: the
journal is a safety net. The answer goes to the database, and a lasting warning says where and
why the computer could not keep it."""

import os
import subprocess

import pytest
from PySide6.QtCore import Qt

from annotator.db.models import Assignment
from tests.ui.desk import close, open_workbench

REASONS = {"read-only": "Read-only file system", "full": "No space left on device"}


@pytest.fixture(params=sorted(REASONS))
def broken_data_dir(request, tmp_path, monkeypatch):
    """The data folder on a small tmpfs of its own, mounted read-only or filled up."""
    if os.geteuid() != 0:
        pytest.skip("the read-only and the full folder are tmpfs mounts, which need root (CI runs as root)")
    mount = tmp_path / "data"
    mount.mkdir()
    options = "size=256k" + (",ro" if request.param == "read-only" else "")
    subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(mount)], check=True)
    try:
        if request.param == "full":
            with open(mount / "filler", "wb", buffering=0) as filler:
                try:
                    while True:
                        filler.write(b"\0" * 4096)
                except OSError:
                    pass
        monkeypatch.setenv("ANNOTATOR_DATA_DIR", str(mount))
        yield mount, REASONS[request.param]
    finally:
        subprocess.run(["umount", "--lazy", str(mount)], check=True)


def test_a_submit_goes_through_and_a_lasting_warning_says_the_journal_cannot_be_written(
        qtbot, db, db_url, text_project, broken_data_dir):
    folder, reason = broken_data_dir
    bench, worker = open_workbench(qtbot, db_url, text_project)
    first = bench.current
    qtbot.keyClick(bench.widget, Qt.Key.Key_2)
    qtbot.keyClick(bench, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: bench.today == 1, timeout=10_000)
    assert bench.warning.isVisible()
    assert str(folder) in bench.warning.text() and reason in bench.warning.text()
    with db.read() as s:
        assert s.get(Assignment, first.assignment_id).answer == {"label": "delivery"}
    qtbot.waitUntil(lambda: bench.current is not None, timeout=10_000)
    assert bench.current.assignment_id != first.assignment_id
    second = bench.current
    qtbot.keyClick(bench.widget, Qt.Key.Key_1)
    qtbot.keyClick(bench, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: bench.today == 2, timeout=10_000)
    qtbot.waitUntil(lambda: bench.current is not None, timeout=10_000)
    assert bench.warning.isVisible() and reason in bench.warning.text()  # the next item did not wipe it out
    with db.read() as s:
        assert s.get(Assignment, second.assignment_id).answer == {"label": "billing"}
    close(bench, worker)


def test_an_answer_stored_nowhere_comes_back_on_screen(qtbot, db, db_url, text_project, broken_data_dir):
    """The journal cannot keep the answer and the database refuses it (a lead removed its label
    meanwhile): the workbench goes back to the item, with the answer, and says why."""
    from annotator.core.auth import Actor
    from annotator.core.projects import update_project

    bench, worker = open_workbench(qtbot, db_url, text_project)
    first = bench.current
    qtbot.waitUntil(lambda: bench.ahead.held is not None, timeout=10_000)
    with db.write() as s:
        update_project(s, Actor.local_operator(), "intents", config={"labels": ["billing", "returns"]})
    qtbot.keyClick(bench.widget, Qt.Key.Key_2)  # "delivery", which the project no longer has
    qtbot.keyClick(bench, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: bench.warning.isVisible() and "was not submitted" in bench.warning.text(), timeout=10_000)
    qtbot.waitUntil(lambda: bench.current is not None and bench.current.assignment_id == first.assignment_id,
                    timeout=10_000)
    assert bench.widget.answer() == {"label": "delivery"}  # the answer is on screen again
    assert first.external_id in bench.warning.text() and broken_data_dir[1] in bench.warning.text()
    with db.read() as s:
        assert s.get(Assignment, first.assignment_id).answer is None
    close(bench, worker)
