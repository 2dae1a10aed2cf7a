"""Project dialogs for leads: create and edit with the kind's validation; import and export in
the background with progress, and a Cancel that changes nothing."""

import pytest
from sqlalchemy import func, select

from annotator.core.auth import Actor
from annotator.db.models import Item, Project
from annotator.ui.projects import ProjectsWindow
from tests.helpers import make_project, make_user, open_slots, shared
from tests.ui.workers import worker_as


@pytest.fixture
def window(qtbot, db, db_url):
    lead = make_user(db, "lead", "lead")
    worker = worker_as(qtbot, db_url, lead)
    w = ProjectsWindow(lead, worker)
    qtbot.addWidget(w)
    w.show()
    yield w
    worker.stop()


def test_create_and_edit_a_project_with_validation(qtbot, db, window):
    dialog = window.new()
    dialog.name.setText("birds")
    dialog.kind.setCurrentIndex(dialog.kind.findData("image_boxes"))
    dialog.labels.setText("")  # image boxes need labels: the kind refuses
    dialog.save()
    qtbot.waitUntil(lambda: "labels" in dialog.error.text(), timeout=10_000)
    dialog.labels.setText("robin, wren, jay")
    dialog.overlap.setValue(3)
    with qtbot.waitSignal(dialog.saved, timeout=10_000):
        dialog.save()
    qtbot.waitUntil(lambda: window.list.count() == 1, timeout=10_000)
    window.list.setCurrentRow(0)
    edit = window.edit()
    assert not edit.kind.isEnabled() and edit.labels.text() == "robin, wren, jay"
    edit.gold_rate.setValue(0.1)
    edit.instructions.setPlainText("Box every bird.")
    with qtbot.waitSignal(edit.saved, timeout=10_000):
        edit.save()
    with db.read() as s:
        p = s.scalars(select(Project)).one()
    assert (p.kind, p.overlap, p.gold_rate, p.config["labels"], p.instructions) == (
        "image_boxes", 3, 0.1, ["robin", "wren", "jay"], "Box every bird.")


def test_more_answers_per_item_hands_answered_items_out_again(qtbot, db, window, tmp_path):
    """The lead raises "Answers per item" from 1 to 2: an item already answered once is open for
    one more answer, an untouched one for two."""
    from annotator.core import queue_direct
    from tests.helpers import add_texts, connected_as

    make_project(db, "texts")
    add_texts(db, Actor.local_operator(), [{"id": "t1", "text": "one"}, {"id": "t2", "text": "two"}], tmp_path,
              project="texts")
    ann = make_user(db, "ann")
    first = queue_direct.claim(connected_as(db, ann), ann, "texts")
    assert first.external_id == "t1"
    queue_direct.submit(connected_as(db, ann), ann, first.assignment_id, {"label": "a"}, 2.0)
    window.refresh()
    qtbot.waitUntil(lambda: window.list.count() == 1, timeout=10_000)
    window.list.setCurrentRow(0)
    edit = window.edit()
    assert edit.overlap.value() == 1
    edit.overlap.setValue(2)
    with qtbot.waitSignal(edit.saved, timeout=10_000):
        edit.save()
    assert open_slots(db) == {"t1": 1, "t2": 2}


def test_import_with_progress_and_cancel_that_changes_nothing(qtbot, db, window):
    import json

    labels = json.loads(shared("text", "banking77_categories.json").read_text(encoding="utf-8"))
    make_project(db, "bank", config={"labels": labels})
    window.refresh()
    qtbot.waitUntil(lambda: window.list.count() == 1, timeout=10_000)
    window.list.setCurrentRow(0)
    dialog = window.transfer("import")
    dialog.path.setText(str(shared("text", "banking77_test.csv")))
    dialog.take.setCurrentIndex(dialog.take.findData("gold"))
    import time

    window.worker.call(lambda s: time.sleep(0.3))  # the worker is busy, so Cancel lands before the import runs
    with qtbot.waitSignal(dialog.finished_with, timeout=10_000) as cancelled:
        dialog.start()
        dialog.cancel()  # the lead presses Cancel
    assert "Cancelled" in cancelled.args[0]
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(Item)) == 0
    with qtbot.waitSignal(dialog.finished_with, timeout=10_000) as done:
        dialog.start()
    assert done.args[0].startswith("Imported ") and dialog.bar.value() == dialog.bar.maximum()
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(Item)) > 3000


def test_export_in_the_background(qtbot, db, window, tmp_path):
    make_project(db, "texts")
    csv_in = tmp_path / "in.csv"
    csv_in.write_text("id,text\n1,first\n2,second\n", encoding="utf-8")
    from annotator.core.importing import import_items

    with db.write() as s:
        import_items(s, Actor.local_operator(), "texts", csv_in)
    window.refresh()
    qtbot.waitUntil(lambda: window.list.count() == 1, timeout=10_000)
    window.list.setCurrentRow(0)
    dialog = window.transfer("export")
    out = tmp_path / "out.csv"
    dialog.path.setText(str(out))
    dialog.format.setCurrentText("csv")
    with qtbot.waitSignal(dialog.finished_with, timeout=10_000) as done:
        dialog.start()
    assert "Exported 2 item(s)" in done.args[0] and out.read_text(encoding="utf-8").startswith("id,text,answers")


def test_a_yolo_folder_in_and_coco_out_from_the_window(qtbot, db, window, tmp_path):
    """The lead imports a real YOLO folder as gold and exports it as COCO, both in the background."""
    import json

    make_project(db, "doors", kind="image_boxes", config={"labels": ["closed_door", "opened_door", "bus", "number"]})
    window.refresh()
    qtbot.waitUntil(lambda: window.list.count() == 1, timeout=10_000)
    window.list.setCurrentRow(0)
    dialog = window.transfer("import")
    dialog.path.setText(str(shared("yolo", "lsconv_unif_dims")))
    dialog.format.setCurrentText("yolo")
    dialog.take.setCurrentIndex(dialog.take.findData("gold"))
    with qtbot.waitSignal(dialog.finished_with, timeout=20_000) as done:
        dialog.start()
    assert done.args[0].startswith("Imported 5 item(s)")
    out = tmp_path / "doors.json"
    export = window.transfer("export")
    export.path.setText(str(out))
    export.format.setCurrentText("coco")
    export.holds.setCurrentText("gold")
    with qtbot.waitSignal(export.finished_with, timeout=20_000) as exported:
        export.start()
    assert "Exported 5 item(s)" in exported.args[0]
    coco = json.loads(out.read_text(encoding="utf-8"))
    assert [c["name"] for c in coco["categories"]] == ["closed_door", "opened_door", "bus", "number"]
    assert len(coco["images"]) == 5 and len(coco["annotations"]) > 5


def test_an_mturk_batch_input_with_its_columns_named_in_the_window(qtbot, db, window, tmp_path):
    make_project(db, "tweets", config={"labels": ["complaint", "praise"]})
    batch = tmp_path / "Batch_input.csv"
    batch.write_text("tweet_text,tweet_author\nrefund please,@ann\n", encoding="utf-8")
    window.refresh()
    qtbot.waitUntil(lambda: window.list.count() == 1, timeout=10_000)
    window.list.setCurrentRow(0)
    dialog = window.transfer("import")
    dialog.path.setText(str(batch))
    dialog.mapping.setText("text=tweet_text")
    with qtbot.waitSignal(dialog.finished_with, timeout=20_000) as done:
        dialog.start()
    assert done.args[0].startswith("Imported 1 item(s)")
    with db.read() as s:
        (item,) = s.scalars(select(Item)).all()
    assert item.payload["text"] == "refund please" and item.payload["meta"]["tweet_author"] == "@ann"


def test_a_label_studio_export_comes_in_as_its_annotators_answers_from_the_window(qtbot, db, window):
    """The lead names who Label Studio's annotator is here; the work waits in review."""
    from annotator.db.models import Assignment

    make_project(db, "tweets", config={"labels": ["Positive", "Negative"]})
    make_user(db, "sergey")
    window.refresh()
    qtbot.waitUntil(lambda: window.list.count() == 1, timeout=10_000)
    window.list.setCurrentRow(0)
    dialog = window.transfer("import")
    dialog.path.setText(str(shared("labelstudio", "lssdk_test_export_csv__csv_test_history.json")))
    dialog.take.setCurrentIndex(dialog.take.findData("answers"))
    with qtbot.waitSignal(dialog.finished_with, timeout=20_000) as failed:
        dialog.start()
    assert "no active Annotator user for sergei@heartex.test (1 answer)" in failed.args[0]
    dialog.annotators.setText("sergei@heartex.test=sergey")
    with qtbot.waitSignal(dialog.finished_with, timeout=20_000) as done:
        dialog.start()
    assert done.args[0].startswith("Imported 1 item(s), with 1 answer(s) by their annotators for review")
    with db.read() as s:
        assert s.scalars(select(Assignment.status)).all() == ["submitted"]


def test_an_import_is_announced_and_the_open_picker_counts_the_new_items(qtbot, db, db_url, window, tmp_path):
    """No window tells another: the worker announces the import, and the picker redraws."""
    from annotator.ui.picker import ProjectPicker

    make_project(db, "tweets", config={"labels": ["complaint", "praise"]})
    picker = ProjectPicker(window.actor, window.worker)
    qtbot.addWidget(picker)
    qtbot.waitUntil(lambda: len(picker.cards) == 1 and picker.cards[0].open_items == 0, timeout=10_000)
    source = tmp_path / "tweets.jsonl"
    source.write_text('{"id": "t1", "text": "refund please"}\n{"id": "t2", "text": "love it"}\n', encoding="utf-8")
    window.refresh()
    qtbot.waitUntil(lambda: window.list.count() == 1, timeout=10_000)
    window.list.setCurrentRow(0)
    dialog = window.transfer("import")
    dialog.path.setText(str(source))
    with qtbot.waitSignal(dialog.finished_with, timeout=20_000):
        dialog.start()
    qtbot.waitUntil(lambda: picker.cards and picker.cards[0].open_items == 2, timeout=10_000)
