"""Store-backed media in the app (issue 18): the lead's desktop imports into a real SeaweedFS or a
real shared folder; the annotator's, with a data folder and cache of its own and no path to the
lead's files, paints the photo or draws the clip's waveform, and says what is wrong when it cannot."""

import json
import shutil

import pytest
from PySide6.QtCore import Qt

from annotator.core.auth import Actor
from annotator.core.importing import import_items
from annotator.db.models import Assignment
from tests.helpers import make_project, make_user, shared
from tests.ui.desk import close, open_workbench, submit_and_check_stored
from tests.ui.test_image_boxes import image_project, ready


def test_a_store_backed_clip_plays_on_a_second_desktop_and_its_transcript_is_stored(qtbot, db, db_url, tmp_path,
                                                                                    s3_bucket, desktop):
    clips = tmp_path / "clips"
    clips.mkdir()
    shutil.copy(shared("audio", "sb_spk1_snt1.wav"), clips)
    make_project(db, "speech", kind="transcription", media_store=f"s3://{s3_bucket}/speech")
    desktop("lead")
    (tmp_path / "clips.jsonl").write_text(json.dumps({"id": "c1", "audio": str(clips / "sb_spk1_snt1.wav")}) + "\n")
    with db.write() as s:
        import_items(s, Actor.local_operator(), "speech", tmp_path / "clips.jsonl")
    shutil.rmtree(clips)
    desktop("annotator")
    actor = make_user(db, "tom")
    bench, worker = open_workbench(qtbot, db_url, actor, project="speech")
    w = bench.widget
    qtbot.waitUntil(lambda: w.envelope is not None and w.envelope.complete, timeout=10_000)
    assert w.envelope.duration == pytest.approx(2.87, abs=0.05) and bench.current.media_error == ""
    qtbot.keyClicks(w.text, "the child almost hurt the small dog")
    submit_and_check_stored(qtbot, db, bench, {"text": "the child almost hurt the small dog"})
    close(bench, worker)


def test_a_store_backed_photo_paints_on_a_second_desktop_and_a_missing_one_says_where(qtbot, db, db_url, tmp_path,
                                                                                      s3_server, s3_bucket, desktop):
    """The lead's desktop imports into SeaweedFS; the annotator's, with a cache of its own and no
    path to the lead's files, paints the first photo and, for one deleted from the store, says
    which object is missing where, and Skip works."""
    from annotator.media.store import object_key
    from tests.media.test_media_store import sha

    desktop("lead")
    files = [shared("images", "hopper.jpg"), shared("images", "hopper_orientation_3.jpg")]
    actor = image_project(db, tmp_path, files, media_store=f"s3://{s3_bucket}/team")
    shutil.rmtree(tmp_path / "photos")
    gone = sha(files[1])
    s3_server.client().delete_object(Bucket=s3_bucket, Key=f"team/{object_key(gone)}")
    desktop("annotator")
    bench, worker = open_workbench(qtbot, db_url, actor, project="photos")
    w = ready(qtbot, bench)
    assert w.canvas.image_size == (128, 128) and not w.error.isVisible()
    first = bench.current
    qtbot.keyClick(bench, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)  # submit
    qtbot.waitUntil(lambda: bench.current is not None and bench.current.assignment_id != first.assignment_id,
                    timeout=10_000)
    qtbot.waitUntil(w.error.isVisible, timeout=10_000)
    assert f"missing from s3://{s3_bucket}/team/{object_key(gone)}" in w.error.text() and "Ctrl+Shift+K" in w.error.text()
    missing = bench.current
    qtbot.keyClick(bench, Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)

    def skipped():
        with db.read() as s:
            return s.get(Assignment, missing.assignment_id).skipped

    qtbot.waitUntil(skipped, timeout=10_000)
    close(bench, worker)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # the store's part; the database's is the same on both
def test_the_store_going_down_shows_a_banner_and_the_photo_comes_when_it_is_back(qtbot, db, db_url, tmp_path, desktop,
                                                                                 monkeypatch):
    """A store of its own, halted before the annotator's desktop fetches anything: the item
    says the store cannot be reached, a banner says it is tried again, and once the store is
    back the photo paints without the annotator doing anything."""
    from tests.s3_server import ThrowawaySeaweed, point_this_desktop_at

    own = ThrowawaySeaweed()
    try:
        point_this_desktop_at(own, monkeypatch)
        monkeypatch.setattr("annotator.ui.media_retry.DELAYS", (1,))  # the waits are the policy's, shortened
        own.client().create_bucket(Bucket="flaky")
        desktop("lead")
        actor = image_project(db, tmp_path, [shared("images", "hopper.jpg")], media_store="s3://flaky")
        desktop("annotator")
        own.halt()
        bench, worker = open_workbench(qtbot, db_url, actor, project="photos")
        w = ready(qtbot, bench)
        assert "cannot be reached" in w.error.text()
        qtbot.waitUntil(bench.banner.isVisible, timeout=10_000)
        assert "Trying again" in bench.banner.text() and "answers and drafts are not affected" in bench.banner.text()
        own.start()
        qtbot.waitUntil(lambda: w.canvas.image_size == (128, 128), timeout=60_000)
        qtbot.waitUntil(lambda: not bench.banner.isVisible(), timeout=10_000)
        assert not w.error.isVisible()
        close(bench, worker)
    finally:
        own.stop()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # a desktop's own setting; no database in it
def test_the_log_in_windows_media_folders_map_a_share_mounted_elsewhere(qtbot, db, db_url, tmp_path, desktop):
    """The annotator's desktop mounts the lead's share at another path: set in the log-in
    window, before any database is open, the photo paints; removed, the item says where to map."""
    from PySide6.QtCore import QSettings

    from annotator.media.desktop import folder_maps
    from annotator.ui.login import LoginDialog

    share = tmp_path / "share"
    share.mkdir()
    desktop("lead")
    actor = image_project(db, tmp_path, [shared("images", "hopper.jpg")], media_store=str(share))
    mounted = tmp_path / "mounted-here"
    share.rename(mounted)
    desktop("annotator")
    login = LoginDialog(db_url, None, QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(login)
    qtbot.mouseClick(login.media_button, Qt.MouseButton.LeftButton)
    folders = login.media_folders
    folders.store.setText("s3://bucket/x")
    qtbot.mouseClick(folders.add_button, Qt.MouseButton.LeftButton)
    assert "object storage" in folders.error.text() and folder_maps() == {}
    folders.store.setText(str(share))  # the folder as the project names it
    folders.local.setText(str(mounted))
    qtbot.mouseClick(folders.add_button, Qt.MouseButton.LeftButton)
    assert folders.error.text() == "" and folders.table.rowCount() == 1
    assert folder_maps() == {share.resolve().as_uri(): str(mounted.resolve())}

    bench, worker = open_workbench(qtbot, db_url, actor, project="photos")
    w = ready(qtbot, bench)
    assert w.canvas.image_size == (128, 128) and not w.error.isVisible()
    close(bench, worker)

    folders.table.selectRow(0)
    qtbot.mouseClick(folders.remove_button, Qt.MouseButton.LeftButton)
    assert folder_maps() == {} and folders.table.rowCount() == 0


def test_the_leads_dashboard_names_the_items_whose_media_an_annotator_could_not_have(qtbot, db, db_url, tmp_path,
                                                                                      desktop):
    """An object gone from the shared folder: the annotator's desktop says where and reports it,
    and the lead's dashboard names the item, on both backends (on PostgreSQL through the server's
    function, as the annotator's own login)."""
    from annotator.core import queue_direct
    from annotator.core.media_access import localize
    from annotator.media.store import object_key
    from annotator.ui.dashboard import DashboardWindow
    from tests.helpers import connected_as
    from tests.media.test_media_store import sha
    from tests.ui.workers import worker_as

    share = tmp_path / "share"
    share.mkdir()
    desktop("lead")
    photo = shared("images", "hopper.jpg")
    ann = image_project(db, tmp_path, [photo], media_store=str(share))
    lead = make_user(db, "lead", role="lead")
    (share / object_key(sha(photo))).unlink()
    desktop("annotator")
    me = connected_as(db, ann)
    claimed = localize(me, ann, queue_direct.claim(me, ann, "photos"))
    assert f"missing from {share / object_key(sha(photo))}" in claimed.media_error

    worker = worker_as(qtbot, db_url, lead)
    board = DashboardWindow(lead, worker)
    qtbot.addWidget(board)
    qtbot.waitUntil(lambda: board.project.count() == 1, timeout=10_000)
    with qtbot.waitSignal(board.refreshed, timeout=10_000):
        board.refresh()
    assert not board.media_faults.isHidden()
    assert "1 item(s) cannot be shown" in board.media_faults.text() and "hopper.jpg (missing)" in board.media_faults.text()
    worker.stop()


def test_a_photo_paints_from_its_bytes_as_they_arrive_and_one_that_fails_its_hash_is_never_kept(qtbot, tmp_path,
                                                                                               s3_bucket):
    """The fetch hands the canvas's decoder the object's bytes as they come from SeaweedFS (as
    the workbench's worker does), so the first view is decoded while the object downloads: it
    paints even with the cache's file gone. An object whose bytes no longer match their hash is
    refused by the fetch, and what was decoded from it is thrown away, not kept for its path."""
    import threading
    from types import SimpleNamespace

    from annotator.media.cache import HashMismatch, MediaCache
    from annotator.media.store import S3Store
    from annotator.tasks.image_boxes.widget import ImageBoxesWidget
    from tests.media.test_media_store import sha

    photo, other = shared("voc-sample", "2011_000003.jpg"), shared("images", "hopper.jpg")
    store = S3Store(f"s3://{s3_bucket}/team")
    store.put(sha(photo), photo)
    store.put(sha(other), photo)  # the wrong bytes under hopper's key: a store changed behind our back
    cache = MediaCache(tmp_path / "cache")
    widget = ImageBoxesWidget()
    qtbot.addWidget(widget)
    widget.resize(800, 600)
    widget.show()
    shown = []
    widget.image_ready.connect(lambda decoded: shown.append(decoded.path))

    def fetched(digest):
        item = SimpleNamespace(payload={}, config={"labels": ["car"]}, prediction=None, draft=None, confidence=None,
                               pixel_limit=178_956_970)
        outcome = []

        def fetch():
            try:
                outcome.append(cache.get(store, digest, widget.arrival_watcher(item)))
            except HashMismatch as exc:
                outcome.append(exc)

        thread = threading.Thread(target=fetch)
        thread.start()
        qtbot.waitUntil(lambda: not thread.is_alive(), timeout=10_000)
        item.payload["image"] = str(cache.path(digest))
        return item, outcome[0]

    item, path = fetched(sha(photo))
    path.unlink()  # read from the file, the photo could not be shown now
    with qtbot.waitSignal(widget.image_ready, check_params_cb=lambda d: d.path == str(path), timeout=10_000):
        widget.load(item)
    assert widget.canvas.image_size == (500, 338) and not widget.error.isVisible()

    item, refused = fetched(sha(other))
    assert isinstance(refused, HashMismatch)
    qtbot.waitUntil(lambda: not widget.cache.pending, timeout=10_000)
    assert item.payload["image"] not in widget.cache.items and item.payload["image"] not in shown
    assert not widget.cache.arriving
