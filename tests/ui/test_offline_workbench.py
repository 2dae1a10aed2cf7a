"""The workbench on an offline bundle: the same app and widget, no media root, no team
database, a title that says so, and File → Check in."""

from __future__ import annotations

import shutil

from PySide6.QtCore import Qt
from sqlalchemy import select

from annotator.config import sqlite_url
from annotator.core import offline
from annotator.db.models import Assignment
from annotator.ui.app import AppController
from tests.helpers import VOC_LABELS, as_person, shared
from tests.ui.desk import log_in, type_log_in
from tests.ui.test_image_boxes import drag, image_project, ready


def test_annotate_a_bundle_with_no_media_root_and_check_in_from_the_menu(qtbot, db, db_url, tmp_path, settings):
    files = [shared("voc-sample", f"{n}.jpg") for n in ("2011_000003", "2011_000006", "2011_000025")]
    actor = image_project(db, tmp_path, files, labels=VOC_LABELS)
    bundle = tmp_path / "laptop" / "photos.annot"
    bundle.parent.mkdir()
    offline.checkout(*as_person(db, actor.name), "photos", actor.name, 2, bundle)
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
    dialog.password.setText("secret")
    dialog.ok.click()
    qtbot.waitUntil(lambda: "submitted" in dialog.result.text() or "Not checked in" in dialog.result.text(), timeout=20_000)
    assert dialog.result.text().startswith("1 submitted"), dialog.result.text()
    with db.read() as s:
        stored = s.scalar(select(Assignment).where(Assignment.uid == first.assignment_uid))
    assert stored.status == "approved" and len(stored.answer["boxes"]) == 1
    controller.shutdown()


def test_file_open_offline_bundle_switches_the_app_to_it(qtbot, db, db_url, text_project, settings, tmp_path):
    bundle = tmp_path / "ann.annot"
    offline.checkout(*as_person(db, "ann"), "intents", "ann", 3, bundle)
    controller = AppController(db_url, settings)
    log_in(qtbot, controller)
    qtbot.waitUntil(lambda: bool(controller.picker is not None and controller.picker.cards), timeout=10_000)
    qtbot.keyClick(controller.picker.table, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: controller.workbench is not None, timeout=10_000)
    assert not controller.workbench.checkin_action.isEnabled()  # online: nothing to check in

    controller.workbench.open_bundle_requested.emit(str(bundle))
    qtbot.waitUntil(lambda: controller.login is not None and controller.login.isVisible(), timeout=10_000)
    assert "ann.annot" in controller.login.db_label.text()
    type_log_in(controller.login, "ann")
    qtbot.waitUntil(lambda: bool(controller.picker is not None and controller.picker.cards), timeout=10_000)
    assert [c.name for c in controller.picker.cards] == ["intents"]
    controller.shutdown()


def test_a_lead_resolves_offline_conflicts_from_the_review_window(qtbot, db, db_url, text_project, tmp_path):
    from annotator.core.conflicts import list_conflicts
    from annotator.ui.review import ReviewWindow
    from tests.db.test_offline import work_offline
    from tests.helpers import as_person, connected_as, make_user
    from tests.ui.workers import worker_as

    lead = make_user(db, "lee", "lead")
    bundle = tmp_path / "ann.annot"
    report = offline.checkout(*as_person(db, "ann"), "intents", "ann", 2, bundle)
    work_offline(bundle, "ann", {0: {"label": "billing"}, 1: {"label": "returns"}}, project="intents")
    with connected_as(db, lead).write() as s:
        offline.revoke(s, lead, report.bundle_id)
    assert offline.checkin(*as_person(db, "ann"), bundle).conflicts == 2

    worker = worker_as(qtbot, db_url, lead)
    window = ReviewWindow(lead, worker)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.conflicts_button.text() == "Conflicts (2)", timeout=10_000)
    window.conflicts_button.click()
    dialog = window.conflicts_dialog
    qtbot.waitUntil(lambda: dialog.table.rowCount() == 2, timeout=10_000)
    assert "expired the lease" in dialog.table.item(0, 3).text()
    dialog.table.selectRow(0)
    dialog.accept_button.click()
    qtbot.waitUntil(lambda: dialog.table.rowCount() == 1, timeout=10_000)
    dialog.table.selectRow(0)
    dialog.dismiss_selected("done again online")
    qtbot.waitUntil(lambda: dialog.table.rowCount() == 0, timeout=10_000)
    qtbot.waitUntil(lambda: window.conflicts_button.text() == "Conflicts", timeout=10_000)
    with db.read() as s:
        assert list_conflicts(s, lead) == []
        assert len(list_conflicts(s, lead, open_only=False)) == 2
        assert s.scalar(select(Assignment).where(Assignment.status == "approved")) is not None
    worker.stop()
