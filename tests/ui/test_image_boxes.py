"""The image-box canvas with real mouse and key events, real images and a real database."""

import json
import shutil

import numpy as np
import pytest
from PIL import Image, ImageOps
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtTest import QTest

from annotator.core.auth import Actor
from annotator.core.exporting import export_results
from annotator.core.importing import import_items
from annotator.db.models import Assignment
from tests.helpers import VOC_LABELS, make_project, make_user, shared
from tests.ui.desk import close, open_workbench


def vp(canvas, x, y) -> QPoint:
    return canvas.mapFromScene(QPointF(x, y))


def drag(canvas, start, end, button=Qt.MouseButton.LeftButton):
    port = canvas.viewport()
    QTest.mousePress(port, button, Qt.KeyboardModifier.NoModifier, vp(canvas, *start))
    for t in (0.25, 0.5, 0.75, 1.0):
        x = start[0] + (end[0] - start[0]) * t
        y = start[1] + (end[1] - start[1]) * t
        QTest.mouseMove(port, vp(canvas, x, y))
    QTest.mouseRelease(port, button, Qt.KeyboardModifier.NoModifier, vp(canvas, *end))


def image_project(db, tmp_path, files, name="photos", labels=None, **fields):
    make_project(db, name, kind="image_boxes", config={"labels": labels or ["face", "hat", "background"]}, **fields)
    folder = tmp_path / name
    folder.mkdir()
    for f in files:
        shutil.copy(f, folder / f.name)
    with db.write() as s:
        import_items(s, Actor.local_operator(), name, folder)
    return make_user(db, f"{name}-ann")


def ready(qtbot, bench):
    w = bench.widget
    qtbot.waitUntil(lambda: w.canvas.image_size != (0, 0) or w.error.isVisible(), timeout=10_000)
    bench.resize(1280, 800)
    w.canvas.fit()
    return w


def test_draw_move_resize_relabel_delete_then_undo_everything(qtbot, db, db_url, tmp_path):
    actor = image_project(db, tmp_path, [shared("voc-sample", "2011_000003.jpg")], labels=VOC_LABELS)
    bench, worker = open_workbench(qtbot, db_url, actor, project="photos")
    w = ready(qtbot, bench)
    c = w.canvas
    assert c.image_size == (500, 338)
    qtbot.keyClick(w.canvas, Qt.Key.Key_2)  # number keys pick labels
    assert w.current_label == VOC_LABELS[1]
    w.set_label("person")
    drag(c, (190, 110), (310, 330))
    assert len(c.boxes) == 1
    box = c.boxes[0]
    r = box.rect()
    assert (r.x(), r.y(), r.width(), r.height()) == pytest.approx((190, 110, 120, 220), abs=2)
    drag(c, (250, 200), (270, 210))  # move from the middle
    assert box.rect().x() == pytest.approx(210, abs=3) and box.rect().y() == pytest.approx(120, abs=3)
    right = box.rect().right()
    drag(c, (right, 220), (right + 30, 220))  # resize by the right edge
    assert box.rect().width() == pytest.approx(150, abs=3)
    w.set_label("dog")  # relabel the selected box
    assert box.label == "dog"
    qtbot.keyClick(c, Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier)
    assert box.rect().x() == pytest.approx(220, abs=2)
    drag(c, (480, 10), (900, 900))  # drawn past the edge: clamped to the image
    assert c.boxes[1].rect().right() == pytest.approx(500, abs=0.5) and c.boxes[1].rect().bottom() == pytest.approx(338, abs=0.5)
    qtbot.keyClick(c, Qt.Key.Key_Delete)
    assert len(c.boxes) == 1 and w.box_list.count() == 1
    while w.undo_stack.canUndo():
        w.undo_stack.undo()
    assert c.boxes == []
    w.undo_stack.redo()
    assert len(c.boxes) == 1
    close(bench, worker)


def test_submitted_boxes_are_stored_in_image_pixels(qtbot, db, db_url, tmp_path):
    actor = image_project(db, tmp_path, [shared("voc-sample", "2011_000006.jpg")], labels=VOC_LABELS)
    bench, worker = open_workbench(qtbot, db_url, actor, project="photos")
    w = ready(qtbot, bench)
    w.set_label("person")
    drag(w.canvas, (10, 20), (110, 220))
    item = bench.current
    qtbot.keyClick(bench, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: bench.today == 1, timeout=10_000)
    with db.read() as s:
        boxes = s.get(Assignment, item.assignment_id).answer["boxes"]
    assert len(boxes) == 1 and boxes[0]["label"] == "person"
    assert (boxes[0]["x"], boxes[0]["y"], boxes[0]["w"], boxes[0]["h"]) == pytest.approx((10, 20, 100, 200), abs=2)
    close(bench, worker)


@pytest.mark.parametrize("orientation", [3, 6, 8])
def test_an_exif_rotated_photo_box_lands_on_the_same_object_after_export(qtbot, db, db_url, tmp_path, orientation):
    rotated = shared("images", f"hopper_orientation_{orientation}.jpg")
    actor = image_project(db, tmp_path, [rotated])
    bench, worker = open_workbench(qtbot, db_url, actor, project="photos")
    w = ready(qtbot, bench)
    assert w.canvas.image_size == (128, 128)
    drag(w.canvas, (40, 20), (90, 70))  # a box around the face, as seen upright
    qtbot.keyClick(bench, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: bench.today == 1, timeout=10_000)
    with db.write() as s:
        export_results(s, Actor.local_operator(), "photos", tmp_path / "out.jsonl")
    row = json.loads((tmp_path / "out.jsonl").read_text().splitlines()[0])
    b = row["answers"][0]["answer"]["boxes"][0]
    crop = (round(b["x"]), round(b["y"]), round(b["x"] + b["w"]), round(b["y"] + b["h"]))
    upright = ImageOps.exif_transpose(Image.open(tmp_path / "photos" / rotated.name)).convert("L")
    reference = Image.open(shared("images", "hopper.jpg")).convert("L")
    diff = np.abs(np.asarray(upright.crop(crop), float) - np.asarray(reference.crop(crop), float)).mean()
    assert diff < 12, "the exported box must cover the same pixels as on the upright reference"
    close(bench, worker)


def test_predicted_boxes_are_dashed_until_accepted(qtbot, db, db_url, tmp_path):
    make_project(db, "pred", kind="image_boxes", config={"labels": ["face"]})
    img = shared("images", "hopper.jpg")
    (tmp_path / "p.jsonl").write_text(json.dumps({"id": "h", "image": str(img), "confidence": 0.4,
                                                  "prediction": {"boxes": [{"label": "face", "x": 30, "y": 20, "w": 60, "h": 70}]}}) + "\n")
    with db.write() as s:
        import_items(s, Actor.local_operator(), "pred", tmp_path / "p.jsonl")
    actor = make_user(db, "pia")
    bench, worker = open_workbench(qtbot, db_url, actor, project="pred")
    w = ready(qtbot, bench)
    assert len(w.canvas.boxes) == 1 and w.canvas.boxes[0].predicted
    assert w.canvas.boxes[0].pen().style() == Qt.PenStyle.DashLine and "from the model" in w.model_note.text()
    assert w.answer() == {"boxes": []}
    qtbot.keyClick(w.canvas, Qt.Key.Key_Return)
    assert not w.canvas.boxes[0].predicted and w.answer()["boxes"][0]["w"] == 60
    w.undo_stack.undo()
    assert w.canvas.boxes[0].predicted
    close(bench, worker)


def test_a_corrupt_image_shows_an_error_and_can_be_skipped(qtbot, db, db_url, tmp_path):
    actor = image_project(db, tmp_path, [shared("images", "hopper.jpg")])
    # The file goes bad after import (a disk error, a partial sync).
    path = next((tmp_path / "photos").glob("*.jpg"))
    path.write_bytes(path.read_bytes()[:400])
    bench, worker = open_workbench(qtbot, db_url, actor, project="photos")
    w = ready(qtbot, bench)
    assert w.error.isVisible() and "Cannot show this image" in w.error.text() and "Ctrl+Shift+K" in w.error.text()
    item = bench.current
    qtbot.keyClick(bench, Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: bench.current is None, timeout=10_000)

    def skipped():
        with db.read() as s:
            return s.get(Assignment, item.assignment_id).skipped

    qtbot.waitUntil(skipped, timeout=10_000)
    close(bench, worker)


def test_an_image_over_the_pixel_limit_is_refused_with_a_message(qtbot, db, db_url, tmp_path):
    actor = image_project(db, tmp_path, [shared("images", "hopper.jpg")])
    from annotator.core.projects import update_project

    with db.write() as s:  # the lead lowers the limit after the import
        update_project(s, Actor.local_operator(), "photos", pixel_limit=10_000)
    bench, worker = open_workbench(qtbot, db_url, actor, project="photos")
    w = ready(qtbot, bench)
    assert w.error.isVisible() and "limit of 10,000" in w.error.text()
    close(bench, worker)


def test_read_only_review_overlays_each_answer_in_its_own_colour(qtbot, db, db_url, tmp_path):
    actor = image_project(db, tmp_path, [shared("voc-sample", "2011_000003.jpg")], labels=VOC_LABELS)
    bench, worker = open_workbench(qtbot, db_url, actor, project="photos")
    w = ready(qtbot, bench)
    w.set_read_only(True)
    w.show_overlay([
        ("ana", {"boxes": [{"label": "person", "x": 191, "y": 107, "w": 122, "h": 222}]}, "#1f77b4"),
        ("ben", {"boxes": [{"label": "person", "x": 365, "y": 83, "w": 135, "h": 250}]}, "#ff7f0e"),
        ("gold", {"boxes": [{"label": "person", "x": 190, "y": 108, "w": 123, "h": 221},
                            {"label": "person", "x": 365, "y": 83, "w": 135, "h": 250}]}, "#2ca02c"),
    ])
    overlays = w.canvas.overlays
    assert len(overlays) == 4
    assert {o.overlay for o in overlays} == {"ana", "ben", "gold"}
    assert {o.pen().color().name() for o in overlays} == {"#1f77b4", "#ff7f0e", "#2ca02c"}
    drag(w.canvas, (20, 20), (120, 120))  # read-only: no new box
    assert w.canvas.boxes == [] and w.answer() == {"boxes": []}
    close(bench, worker)


def test_the_photo_shown_before_is_let_go_once_the_next_is_painted(qtbot):
    """Loading the next photo keeps the last one's pixmaps until the new one is painted (freeing
    them at once stalled the new decode), and nothing piles up after."""
    from types import SimpleNamespace

    from annotator.tasks.image_boxes.widget import ImageBoxesWidget

    widget = ImageBoxesWidget()
    qtbot.addWidget(widget)
    widget.resize(800, 600)
    widget.show()
    canvas = widget.canvas

    def shown(path):
        with qtbot.waitSignal(widget.image_ready, check_params_cb=lambda d: d.path == str(path), timeout=10_000):
            widget.load(SimpleNamespace(payload={"image": str(path)}, config={"labels": ["face"]}, prediction=None,
                                        draft=None, confidence=None, pixel_limit=178_956_970))
            kept = list(canvas.shown_before)  # as load() left it, before any event is handled
        canvas.viewport().repaint()
        qtbot.waitUntil(lambda: not canvas.shown_before, timeout=2_000)
        return kept

    shown(shared("images", "hopper.jpg"))
    kept = shown(shared("voc-sample", "2011_000003.jpg"))
    assert [p.size().toTuple() for p in kept if not p.isNull()] == [(128, 128)]  # hopper's, until the next is painted
    assert canvas.image_size == (500, 338)



def test_a_photo_is_shown_with_exactly_the_pixels_it_decodes_to_first_reduced_then_whole(qtbot, tmp_path):
    """The picture is decoded straight into the QImage that is shown (media/images.py's `into`):
    the canvas shows its first, reduced view, and then its full resolution, with the photo's own
    pixels."""
    from types import SimpleNamespace

    from PySide6.QtGui import QImage

    from annotator.media.images import load_upright
    from annotator.tasks.image_boxes.widget import ImageBoxesWidget
    from annotator.tasks.image_boxes.widget.decoding import SCREEN_SIDE

    path = tmp_path / "terrain.jpg"  # a real photo at 4000 px, so that its first view is reduced
    Image.open(shared("coco", "sahi_terrain", "terrain1.jpg")).resize((4000, 2666)).save(path, quality=90)
    widget = ImageBoxesWidget()
    qtbot.addWidget(widget)
    widget.resize(800, 600)
    widget.show()
    shown = []
    widget.image_ready.connect(lambda decoded: shown.append(widget.canvas.pixmap.pixmap().toImage()))
    widget.load(SimpleNamespace(payload={"image": str(path)}, config={"labels": ["face"]}, prediction=None,
                                draft=None, confidence=None, pixel_limit=178_956_970))
    qtbot.waitUntil(lambda: bool(shown), timeout=10_000)
    widget.canvas.viewport().repaint()  # once the first view is painted, the full resolution is decoded
    qtbot.waitUntil(lambda: len(shown) == 2, timeout=10_000)
    for image, max_side in zip(shown, (SCREEN_SIDE, None)):
        expected = load_upright(path, 178_956_970, max_side).convert("RGBX")
        image = image.convertToFormat(QImage.Format.Format_RGBX8888)
        assert (image.width(), image.height()) == expected.size
        assert image.constBits().tobytes() == expected.tobytes()
    assert [image.width() for image in shown] == [2000, 4000]


def test_closing_the_workbench_ends_the_decodes_of_its_photo_first(qtbot, db, db_url, tmp_path):
    """The workbench closes its window, not the canvas's: the decodes still running end before it
    is gone, so none reports to a widget that no longer exists."""
    big = tmp_path / "terrain.jpg"  # 4000 px: its full-resolution decode takes a while
    Image.open(shared("coco", "sahi_terrain", "terrain1.jpg")).resize((4000, 2666)).save(big, quality=90)
    actor = image_project(db, tmp_path, [big])
    bench, worker = open_workbench(qtbot, db_url, actor, project="photos")
    w = ready(qtbot, bench)
    w.canvas.viewport().repaint()  # the first view is painted: its full resolution is decoded now
    qtbot.waitUntil(lambda: any(full for _path, full in w.cache.pending), timeout=10_000)
    close(bench, worker)
    assert w.cache.full_pool.activeThreadCount() == 0 and w.cache.quick_pool.activeThreadCount() == 0
