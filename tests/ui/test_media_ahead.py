"""The media of the item claimed ahead are fetched after the paint of the item on screen, and at
once when the person is already waiting for that item (ui/media_ahead.py)."""

import shutil

import pytest
from PySide6.QtCore import QObject, Qt

from annotator.ui.media_ahead import MediaAhead
from tests.helpers import shared
from tests.ui.desk import close, open_workbench
from tests.ui.test_image_boxes import image_project, ready


def test_a_fetch_waits_for_the_paint_and_goes_at_once_when_hurried_or_never_when_dropped(qtbot):
    owner = QObject()
    sent, arrived = [], []
    ahead = MediaAhead(lambda item, then: (sent.append(item), then(item)), owner)
    ahead.bring("next", arrived.append, waited_for=False)
    assert sent == [] and ahead.pending == "next"  # not beside the paint of the item just shown
    qtbot.waitUntil(lambda: sent == ["next"], timeout=2_000)
    assert arrived == ["next"] and ahead.pending is None

    ahead.bring("after", arrived.append, waited_for=False)
    ahead.hurry()  # the person pressed Submit again before it went
    assert sent == ["next", "after"] and ahead.pending is None

    ahead.bring("waited", arrived.append, waited_for=True)
    assert sent[-1] == "waited"

    ahead.bring("closing", arrived.append, waited_for=False)
    ahead.drop()
    assert not ahead.timer.isActive() and ahead.pending is None
    ahead.hurry()  # nothing left to send
    assert "closing" not in sent

    ahead.bring(None, arrived.append, waited_for=False)  # nothing claimed ahead: said at once
    assert arrived[-1] is None


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # the store's part; the queue's is tested on both
def test_a_submit_before_the_next_photos_fetch_went_brings_it_at_once(qtbot, db, db_url, tmp_path, s3_bucket, desktop):
    desktop("lead")
    files = [shared("images", "hopper.jpg"), shared("images", "hopper_orientation_3.jpg"),
             shared("images", "hopper_orientation_6.jpg")]
    actor = image_project(db, tmp_path, files, media_store=f"s3://{s3_bucket}/team")
    shutil.rmtree(tmp_path / "photos")
    desktop("annotator")
    bench, worker = open_workbench(qtbot, db_url, actor, project="photos")
    bench.media_ahead.timer.setInterval(60_000)  # a paint that never ends: only the Submit can send it
    ready(qtbot, bench)
    first = bench.current
    qtbot.waitUntil(lambda: bench.media_ahead.pending is not None, timeout=10_000)  # claimed ahead, not yet fetched
    qtbot.keyClick(bench, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert bench.media_ahead.pending is None  # the person waits for it: fetched now, not after the delay
    qtbot.waitUntil(lambda: bench.current is not None and bench.current.assignment_id != first.assignment_id,
                    timeout=10_000)
    w = ready(qtbot, bench)
    assert w.canvas.image_size == (128, 128) and not w.error.isVisible()
    close(bench, worker)
