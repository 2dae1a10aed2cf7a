"""The annotator's desktop, driven with real key presses on a real database."""

import json
import time

import pytest
from PySide6.QtCore import Qt, QTimer
from sqlalchemy import select

from annotator.core.auth import Actor
from annotator.core.importing import import_items
from annotator.db.models import Assignment, Item
from annotator.ui.app import AppController
from tests.helpers import connected_as, make_project, make_user, shared
from tests.ui.desk import close, log_in, open_workbench, submit_and_check_stored
from tests.ui.workers import worker_as


def test_log_in_pick_a_project_answer_with_the_keyboard_and_get_the_next(qtbot, db, controller, text_project, settings):
    """The first item's number keys work at once, even when the item reaches the window before
    the window system has made it active (as on a loaded machine)."""
    import threading

    from PySide6.QtCore import QCoreApplication

    log_in(qtbot, controller)
    qtbot.waitUntil(lambda: bool(controller.picker is not None and controller.picker.cards), timeout=10_000)
    picker = controller.picker
    assert [c.name for c in picker.cards] == ["intents"] and picker.cards[0].open_items == 5
    qtbot.keyClick(picker.table, Qt.Key.Key_Return)
    bench = controller.workbench
    claimed = threading.Event()
    controller.worker.call(lambda s: claimed.set())  # runs after the workbench's first claim
    assert claimed.wait(10)
    QCoreApplication.sendPostedEvents()  # the item is shown; the window's activation is still pending
    assert bench.current is not None and not bench.isActiveWindow()
    qtbot.waitUntil(bench.isActiveWindow, timeout=10_000)
    first = bench.current
    assert "Message number" in bench.widget.text.toPlainText()
    qtbot.keyClick(bench.widget, Qt.Key.Key_2)  # "delivery"
    assert bench.widget.answer() == {"label": "delivery"}
    qtbot.waitUntil(lambda: bench.ahead.held is not None, timeout=10_000)  # claimed ahead in the background
    with qtbot.waitSignal(bench.item_shown, timeout=10_000):
        qtbot.keyClick(bench, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert bench.current.assignment_id != first.assignment_id
    qtbot.waitUntil(lambda: bench.today == 1, timeout=10_000)
    with db.read() as s:
        stored = s.get(Assignment, first.assignment_id)
    assert stored.status == "approved" and stored.answer == {"label": "delivery"}
    assert settings.value("login/last_user") == "ann"


def test_quick_submits_never_show_an_item_twice_and_hand_each_answer_in(qtbot, db, db_url, text_project):
    """Submit claims the item after the next in the same call. An annotator who submits again
    before that call has come back waits for its item rather than being given one twice."""
    import threading

    bench, worker = open_workbench(qtbot, db_url, text_project)
    shown = [bench.current.external_id]
    bench.item_shown.connect(lambda item: shown.append(item.external_id))
    qtbot.waitUntil(lambda: bench.ahead.held is not None, timeout=10_000)
    gate = threading.Event()
    worker.call(lambda s: gate.wait(10))  # the database is slow: what follows queues behind this
    for _ in range(2):
        qtbot.keyClick(bench.widget, Qt.Key.Key_2)
        qtbot.keyClick(bench, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert bench.current is None and bench.message.text() == "Claiming an item…"
    gate.set()
    qtbot.waitUntil(lambda: len(shown) == 3 and bench.today == 2, timeout=10_000)
    qtbot.waitUntil(lambda: bench.ahead.held is not None, timeout=10_000)
    qtbot.keyClick(bench.widget, Qt.Key.Key_1)
    with qtbot.waitSignal(bench.item_shown, timeout=10_000):
        qtbot.keyClick(bench, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: bench.today == 3, timeout=10_000)
    assert len(shown) == 4 and len(set(shown)) == 4, shown
    with db.read() as s:
        answered = s.execute(select(Item.external_id, Assignment.status).join(Item, Item.id == Assignment.item_id)
                             .where(Assignment.answer.is_not(None))).all()
    assert sorted(x for x, _ in answered) == sorted(shown[:3]) and {st for _, st in answered} == {"approved"}
    close(bench, worker)


def test_closing_mid_item_keeps_the_draft_and_reopening_restores_it(qtbot, db, db_url, text_project):
    bench, worker = open_workbench(qtbot, db_url, text_project)
    item = bench.current
    qtbot.keyClick(bench.widget, Qt.Key.Key_3)
    close(bench, worker)  # saves the draft, releases the claim-ahead, drains the worker
    with db.read() as s:
        assert s.get(Assignment, item.assignment_id).draft == {"label": "returns"}
        held = s.scalars(select(Assignment.status).where(Assignment.user_id == text_project.id)).all()
    assert sorted(held) == ["claimed", "released"]
    bench, worker = open_workbench(qtbot, db_url, text_project)
    assert bench.current.assignment_id == item.assignment_id
    assert bench.widget.answer() == {"label": "returns"} and "Draft restored" in bench.status.text()
    close(bench, worker)


def test_drafts_autosave_within_two_seconds(qtbot, db, db_url, text_project):
    bench, worker = open_workbench(qtbot, db_url, text_project)
    item = bench.current
    qtbot.keyClick(bench.widget, Qt.Key.Key_1)

    def saved():
        with db.read() as s:
            return s.get(Assignment, item.assignment_id).draft == {"label": "billing"}

    qtbot.waitUntil(saved, timeout=2_500)
    close(bench, worker)


def test_undo_and_redo_a_label_choice(qtbot, db_url, text_project):
    bench, worker = open_workbench(qtbot, db_url, text_project)
    qtbot.keyClick(bench.widget, Qt.Key.Key_1)
    qtbot.keyClick(bench.widget, Qt.Key.Key_3)
    assert bench.widget.answer() == {"label": "returns"}
    qtbot.keyClick(bench, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert bench.widget.answer() == {"label": "billing"}
    qtbot.keyClick(bench, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert bench.widget.answer() == {"label": "returns"}
    close(bench, worker)


def test_a_paused_user_sees_why(qtbot, db, db_url, text_project, settings):
    with db.write() as s:
        from annotator.core.quality import pause

        pause(s, Actor.local_operator(), "ann", "intents", "gold accuracy 40% is below 70%")
    controller = AppController(db_url, settings)
    log_in(qtbot, controller)
    qtbot.waitUntil(lambda: bool(controller.picker is not None and controller.picker.cards), timeout=10_000)
    picker = controller.picker
    assert picker.cards[0].paused
    from annotator.ui.picker import STATUS

    assert "Paused: gold accuracy 40% is below 70%" in picker.table.item(0, STATUS).text()
    assert "A lead can reinstate you" in picker.status.text()
    assert not picker.open_button.isEnabled()
    controller.shutdown()


def test_the_event_loop_keeps_running_while_the_database_is_slow(qtbot, db_url, text_project):
    """The window's timers and input go on while a database call is still running."""
    import threading

    worker = worker_as(qtbot, db_url, text_project)
    gate, running = threading.Event(), threading.Event()
    done = []

    def slow(_session):
        running.set()
        gate.wait(10)
        return "slow result"

    worker.call(slow, done.append)  # returns at once: the call has not even started, or waits on the gate
    assert running.wait(10) and not done
    ticks = []
    timer = QTimer(interval=1, timeout=lambda: ticks.append(1))
    timer.start()
    qtbot.waitUntil(lambda: len(ticks) >= 20, timeout=5_000)  # the event loop runs while the call is held
    assert not done and not gate.is_set()
    gate.set()
    qtbot.waitUntil(lambda: bool(done), timeout=5_000)
    timer.stop()
    worker.stop()
    assert done == ["slow result"]


def test_transcribe_a_real_clip_and_submit(qtbot, db, db_url, tmp_path):
    clip = shared("audio", "sb_spk1_snt1.wav")
    make_project(db, "speech", kind="transcription")
    (tmp_path / "clips.jsonl").write_text(json.dumps({"id": "c1", "audio": str(clip)}) + "\n")
    with db.write() as s:
        import_items(s, Actor.local_operator(), "speech", tmp_path / "clips.jsonl")
    actor = make_user(db, "tom")
    bench, worker = open_workbench(qtbot, db_url, actor, project="speech")
    w = bench.widget
    qtbot.waitUntil(lambda: w.envelope is not None and w.envelope.complete, timeout=10_000)
    assert w.envelope.duration == pytest.approx(2.87, abs=0.05)
    qtbot.keyClicks(w.text, "the child almost hurt the small dog")
    w.seek(1.0)
    assert w.playhead.value() == pytest.approx(1.0) and w.time_label.text() == "0:01.0 / 0:02.9"
    qtbot.keyClick(w.text, Qt.Key.Key_Right, Qt.KeyboardModifier.ControlModifier)  # 2 s on, held at the end
    assert w.playhead.value() == pytest.approx(w.envelope.duration)
    if w.player.available:
        assert w.player.seconds == pytest.approx(w.envelope.duration, abs=0.01)
    else:  # no PortAudio here: the waveform works and Play says why there is no sound
        w.toggle_play()
        assert w.status.text().startswith("Playback unavailable: ")
    submit_and_check_stored(qtbot, db, bench, {"text": "the child almost hurt the small dog"})
    close(bench, worker)


def test_training_mode_shows_the_correct_answer_after_a_gold_item(qtbot, db, db_url, tmp_path):
    make_project(db, "training", config={"labels": ["yes", "no"]}, gold_rate=1.0, training_mode=True)
    path = tmp_path / "gold.jsonl"
    path.write_text(json.dumps({"id": "g1", "text": "Is the sky blue?", "answer": {"label": "yes"}}) + "\n")
    with db.write() as s:
        import_items(s, Actor.local_operator(), "training", path, gold=True)
    actor = make_user(db, "trainee")
    bench, worker = open_workbench(qtbot, db_url, actor, project="training")
    qtbot.keyClick(bench.widget, Qt.Key.Key_2)  # "no": wrong
    qtbot.keyClick(bench, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: bench.widget.overlay.isVisible(), timeout=10_000)
    assert "Correct answer" in bench.widget.overlay.text() and "yes" in bench.widget.overlay.text()
    assert "your score 0%" in bench.status.text()
    close(bench, worker)


# The keys the README's table promises, as F1 must show them.
DOCUMENTED_KEYS = {
    "Submit and take the next item": "Ctrl+Return or Ctrl+Enter",
    "Skip this item (you will not see it again)": "Ctrl+Shift+K",
    "Release this item (give it back for now)": "Ctrl+Shift+R",
    "Extend the time limit": "Ctrl+E",
    "Undo": "Ctrl+Z",
    "Redo": "Ctrl+Shift+Z or Ctrl+Y",
    "Show or hide the instructions": "F2",
    "Keyboard shortcuts": "F1",
    "Pick label 1–9": "1 … 9",
    "Search labels": "Ctrl+F",
    "Play / pause audio": "Ctrl+Space",
    "Seek audio ∓2 s": "Ctrl+← / Ctrl+→",
}


def test_the_shortcuts_dialog_shows_the_documented_keys(qtbot, db_url, text_project):
    bench, worker = open_workbench(qtbot, db_url, text_project)
    qtbot.keyClick(bench, Qt.Key.Key_F1)
    table = bench.shortcuts_dialog.layout().itemAt(0).widget()
    shown = {table.item(r, 0).text(): table.item(r, 1).text() for r in range(table.rowCount())}
    assert shown == DOCUMENTED_KEYS
    bench.shortcuts_dialog.close()
    qtbot.keyClick(bench, Qt.Key.Key_F2)  # and a listed key does what the dialog says
    assert bench.instructions.isVisible()
    close(bench, worker)


def test_a_lost_connection_shows_a_banner_keeps_the_answer_and_sends_it_when_back(qtbot, pg_schema_url, operator, tmp_path, data_dir):
    from sqlalchemy.engine import make_url

    from annotator.db import Database
    from tests.conftest import _truncate_all
    from tests.ui.tcp_proxy import TcpProxy

    _truncate_all(pg_schema_url)
    db = Database(pg_schema_url)
    make_project(db, "intents", config={"labels": ["billing", "delivery", "returns"]})
    path = tmp_path / "t.jsonl"
    path.write_text("\n".join(json.dumps({"id": f"t{n}", "text": f"text {n}"}) for n in range(3)) + "\n")
    with db.write() as s:
        import_items(s, operator, "intents", path)
    actor = make_user(db, "ann")
    url = make_url(pg_schema_url)
    proxy = TcpProxy(url.host, url.port or 5432)
    proxy.start()
    proxied = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    bench, worker = open_workbench(qtbot, proxied, actor)
    qtbot.waitUntil(lambda: bench.ahead.held is not None, timeout=10_000)
    item = bench.current
    qtbot.keyClick(bench.widget, Qt.Key.Key_1)
    proxy.stop()  # the network goes away
    qtbot.keyClick(bench, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: bench.banner.isVisible(), timeout=15_000)
    assert "Reconnecting" in bench.banner.text()
    journal = list(bench.journal.dir.glob("*.json"))
    assert [json.loads(p.read_text())["answer"] for p in journal] == [{"label": "billing"}]
    with db.read() as s:
        assert s.get(Assignment, item.assignment_id).status == "claimed"
    proxy.start()  # and comes back
    qtbot.waitUntil(lambda: not bench.banner.isVisible(), timeout=20_000)
    qtbot.waitUntil(lambda: bench.today == 1, timeout=10_000)
    with db.read() as s:
        stored = s.get(Assignment, item.assignment_id)
    assert stored.answer == {"label": "billing"} and stored.status == "approved"
    assert not list(bench.journal.dir.glob("*.json"))
    close(bench, worker)
    proxy.stop()
    db.dispose()


def test_the_worker_delivers_thousands_of_results(qtbot, db_url, text_project):
    """A day's worth of results (None, booleans, objects) crosses the thread boundary intact."""
    worker = worker_as(qtbot, db_url, text_project)
    got = []
    for n in range(3000):
        worker.call(lambda s, n=n: (None if n % 3 == 0 else (n % 2 == 0)), got.append, write=False)
    qtbot.waitUntil(lambda: len(got) == 3000, timeout=30_000)
    worker.stop()
    assert got[:4] == [None, False, True, None]


def test_at_login_the_annotator_reads_new_rejections(qtbot, db, db_url, text_project, settings):
    from annotator.core import queue, review

    lead = make_user(db, "lead", "lead")
    with connected_as(db, text_project).write() as s:
        c = queue.claim_next(s, text_project, "intents")
        queue.submit(s, text_project, c.assignment_id, {"label": "billing"}, 1)
    with db.write() as s:
        review.reject(s, lead, c.assignment_id, "This one asks where the parcel is: delivery.")
    controller = AppController(db_url, settings)
    log_in(qtbot, controller)
    qtbot.waitUntil(lambda: getattr(controller, "rejection_box", None) is not None, timeout=10_000)
    text = controller.rejection_box.text()
    assert "1 of your answers were rejected" in text and "delivery." in text and "lead" in text
    controller.rejection_box.close()
    controller.shutdown()


def test_active_time_stops_after_a_minute_without_input_and_extend_lease_works(qtbot, db, db_url, text_project):
    bench, worker = open_workbench(qtbot, db_url, text_project)
    bench.watcher.last = time.monotonic()
    bench.tick.timeout.emit()
    busy = bench.active_seconds
    assert busy >= 1
    bench.watcher.last = time.monotonic() - 61  # a minute without input
    for _ in range(3):
        bench.tick.timeout.emit()
    assert bench.active_seconds == busy
    before = bench.current.lease_until
    qtbot.keyClick(bench, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: bench.current.lease_until > before, timeout=10_000)
    close(bench, worker)


def test_answers_left_in_the_journal_are_sent_at_the_next_login(qtbot, db, db_url, text_project, settings, data_dir):
    from annotator.core import queue
    from annotator.core.journal import Entry, Journal

    with connected_as(db, text_project).write() as s:
        c = queue.claim_next(s, text_project, "intents")
    Journal(data_dir, db_url, "ann").write(Entry(c.assignment_id, {"label": "returns"}, 12.0, "submit"))  # the app died here
    controller = AppController(db_url, settings)
    log_in(qtbot, controller)

    def sent():
        with db.read() as s:
            return s.get(Assignment, c.assignment_id).answer == {"label": "returns"}

    qtbot.waitUntil(sent, timeout=10_000)
    qtbot.waitUntil(lambda: not Journal(data_dir, db_url, "ann").pending(), timeout=5_000)
    controller.shutdown()


def test_long_label_lists_are_searchable(qtbot, db, db_url, tmp_path):
    labels = [f"intent_{n:02d}" for n in range(20)] + ["card_arrival"]
    make_project(db, "many", config={"labels": labels})
    (tmp_path / "m.jsonl").write_text(json.dumps({"id": "x", "text": "Where is my new card?"}) + "\n")
    with db.write() as s:
        import_items(s, Actor.local_operator(), "many", tmp_path / "m.jsonl")
    actor = make_user(db, "mia")
    bench, worker = open_workbench(qtbot, db_url, actor, project="many")
    w = bench.widget
    assert w.search.isVisible()
    qtbot.keyClick(w, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(w.search, "arriv")
    assert [l for l, b in w.buttons.items() if b.isVisible()] == ["card_arrival"]
    qtbot.keyClick(w.search, Qt.Key.Key_Return)
    assert w.answer() == {"label": "card_arrival"}
    close(bench, worker)
