"""The workbench on an offline bundle: the same app and widget, no media root, no team
database, a title that says so, and File → Check in."""

from __future__ import annotations

import shutil

from PySide6.QtCore import Qt
from sqlalchemy import select

from annotator.config import sqlite_url
from annotator.core import offline
from annotator.core.auth import Actor
from annotator.db.models import Assignment
from annotator.ui.app import AppController
from tests.helpers import VOC_LABELS, shared
from tests.ui.test_app import log_in
from tests.ui.test_image_boxes import drag, image_project, ready


def test_annotate_a_bundle_with_no_media_root_and_check_in_from_the_menu(qtbot, db, db_url, tmp_path, settings):
    files = [shared("voc-sample", f"{n}.jpg") for n in ("2011_000003", "2011_000006", "2011_000025")]
    actor = image_project(db, tmp_path, files, labels=VOC_LABELS)
    bundle = tmp_path / "laptop" / "photos.annot"
    bundle.parent.mkdir()
    offline.checkout(db, Actor.local_operator(), "photos", actor.name, 2, bundle)
    shutil.move(tmp_path / "photos", tmp_path / "photos-elsewhere")  # the media root is out of reach

    controller = AppController(sqlite_url(bundle), settings)
    log_in(qtbot, controller, actor.name)
    qtbot.waitUntil(lambda: bool(controller.picker is not None and controller.picker.cards), timeout=10_000)
    qtbot.keyClick(controller.picker.table, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: controller.workbench is not None and controller.workbench.current is not None, timeout=10_000)
    bench = controller.workbench
    qtbot.waitUntil(lambda: "OFFLINE: 2 of 2 items left" in bench.windowTitle(), timeout=10_000)
    assert bench.offline_banner.isVisible() and bench.checkin_action.isEnabled()
    w = ready(qtbot, bench)
    assert not w.error.isVisible() and w.canvas.image_size[0] > 100  # decoded from the bundle's own copy

    first = bench.current
    drag(w.canvas, (40, 40), (160, 140))
    assert len(w.answer()["boxes"]) == 1
    with qtbot.waitSignal(bench.item_shown, timeout=10_000):
        qtbot.keyClick(bench, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: "OFFLINE: 1 of 2 items left" in bench.windowTitle(), timeout=10_000)

    bench.check_in()
    dialog = bench.checkin_dialog
    dialog.url.setText(db_url)
    dialog.ok.click()
    qtbot.waitUntil(lambda: "submitted" in dialog.result.text() or "Not checked in" in dialog.result.text(), timeout=20_000)
    assert dialog.result.text().startswith("1 submitted"), dialog.result.text()
    with db.read() as s:
        stored = s.scalar(select(Assignment).where(Assignment.uid == first.assignment_uid))
    assert stored.status == "approved" and len(stored.answer["boxes"]) == 1
    controller.shutdown()


def test_file_open_offline_bundle_switches_the_app_to_it(qtbot, db, db_url, text_project, settings, tmp_path):
    bundle = tmp_path / "ann.annot"
    offline.checkout(db, Actor.local_operator(), "intents", "ann", 3, bundle)
    controller = AppController(db_url, settings)
    log_in(qtbot, controller)
    qtbot.waitUntil(lambda: bool(controller.picker is not None and controller.picker.cards), timeout=10_000)
    qtbot.keyClick(controller.picker.table, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: controller.workbench is not None, timeout=10_000)
    assert not controller.workbench.checkin_action.isEnabled()  # online: nothing to check in

    controller.workbench.open_bundle_requested.emit(str(bundle))
    qtbot.waitUntil(lambda: controller.login is not None and controller.login.isVisible(), timeout=10_000)
    assert "ann.annot" in controller.login.db_label.text()
    controller.login.user.setText("ann")
    controller.login.password.setText("secret")
    controller.login.submit()
    qtbot.waitUntil(lambda: bool(controller.picker is not None and controller.picker.cards), timeout=10_000)
    assert [c.name for c in controller.picker.cards] == ["intents"]
    controller.shutdown()
