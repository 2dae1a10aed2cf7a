"""The workbench: one claimed item in its kind's widget, with Submit, Skip, Release and Extend;
drafts autosave, active time is measured, and the next item is claimed ahead (claim_ahead.py).
What the window looks like is workbench_view.py's."""

from __future__ import annotations

import dataclasses
import logging
import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QApplication

from annotator.core import queue, queue_direct
from annotator.core.journal import Entry, Journal
from annotator.core.media_access import localize
from annotator.core.workspace import ProjectCard, today_count
from annotator.errors import AnnotatorError, NothingLeft, QueueError
from annotator.formats.mturk import fill_template
from annotator.tasks import registry
from annotator.ui.claim_ahead import Ahead, ClaimAhead
from annotator.ui.heap import settle
from annotator.ui.media_ahead import MediaAhead
from annotator.ui.task_widgets import make_task_widget
from annotator.ui.workbench_view import InputWatcher, WorkbenchView

AUTOSAVE_MS = 1500  # a draft reaches the database within 2 s of a change
IDLE_SECONDS = 60  # the active-time clock stops after a minute without input
log = logging.getLogger(__name__)


class Workbench(WorkbenchView):
    item_shown = Signal(object)  # ClaimedItem: tests and benchmarks wait on it
    status_changed = Signal(str)
    open_bundle_requested = Signal(str)  # File → Open offline bundle: the app switches databases

    def __init__(self, actor, card: ProjectCard, worker, journal: Journal, cache_dir: Path | None = None, parent=None):
        super().__init__(actor, card, worker, parent)
        self.journal = journal
        self.kind = registry.get(card.kind)
        self.current: queue.ClaimedItem | None = None
        self.ahead = ClaimAhead()  # the next item, claimed while this one is worked on
        self.media_ahead = MediaAhead(self._fetch_media, self)  # and its media, after the paint
        self._waiting_feedback = False
        self._journal_trouble = False  # the lasting warning is about the journal
        self._settled = False  # heap.settle() once the first item is on screen
        self.active_seconds = 0.0
        self.offline = None  # a BundleStatus when this database is an offline bundle
        self.widget = self._make_widget()
        if self.widget is not None:
            self.stack.addWidget(self.widget)
            self.widget.changed.connect(self._changed)
        self._action("Submit and take the next item", "Ctrl+Return", self.submit, self.submit_button, extra=("Ctrl+Enter",))
        self._action("Skip this item (you will not see it again)", "Ctrl+Shift+K", self.skip, self.skip_button)
        self._action("Release this item (give it back for now)", "Ctrl+Shift+R", self.release, self.release_button)
        self._action("Extend the time limit", "Ctrl+E", self.extend, self.extend_button)
        self._action("Undo", "Ctrl+Z", lambda: self.widget and self.widget.undo_stack.undo())
        self._action("Redo", "Ctrl+Shift+Z", lambda: self.widget and self.widget.undo_stack.redo(), extra=("Ctrl+Y",))
        self._action("Show or hide the instructions", "F2", self.instructions_button.toggle)
        self._action("Keyboard shortcuts", "F1", self.show_shortcuts)

        self._file_menu()
        self.watcher = InputWatcher()
        QApplication.instance().installEventFilter(self.watcher)
        self.autosave = QTimer(self, singleShot=True, interval=AUTOSAVE_MS, timeout=self.save_draft)
        self.tick = QTimer(self, interval=1000, timeout=self._tick)
        self.tick.start()
        worker.connection_lost.connect(self._connection_lost)
        worker.connection_restored.connect(self._connection_restored)
        self._set_buttons(False)
        self.resize(1280, 800)

    # ---- set-up -----------------------------------------------------------------------------

    def _make_widget(self):
        widget, why_not = make_task_widget(self.card.kind, self)
        if widget is None:
            self.message.setText(why_not)
        return widget

    def start(self) -> None:
        self.worker.call(lambda s: today_count(s, self.actor), self._set_today, write=False)
        self.pay_line.refresh()
        self.refresh_offline()
        self.claim()

    # ---- offline bundles ----------------------------------------------------------------------

    def refresh_offline(self) -> None:
        from annotator.core.offline import bundle_status

        self.worker.call(bundle_status, self._set_offline, write=False)

    def _set_offline(self, status) -> None:
        self.offline = status
        self.checkin_action.setEnabled(status is not None)
        if status is None:
            self.setWindowTitle(f"Annotator — {self.card.name} — {self.actor.name}")
            return
        self.setWindowTitle(f"Annotator — {self.card.name} — {self.actor.name} — OFFLINE: "
                            f"{status.left} of {status.total} items left")
        self.offline_banner.setText(
            f"Working offline from a bundle: {status.left} of {status.total} items left. Your work is saved in the "
            "bundle file; check it in (File → Check in…) when you are back online.")
        self.offline_banner.show()

    def choose_bundle(self) -> None:
        from PySide6.QtWidgets import QFileDialog

        path, _ = QFileDialog.getOpenFileName(self, "Open offline bundle", "", "Offline bundles (*.annot);;All files (*)")
        if path:
            self.open_bundle_requested.emit(path)

    def check_in(self) -> None:
        from annotator.ui.offline import CheckinDialog

        if self.offline is None:
            return
        self.save_draft()  # the draft on screen goes in too
        self.checkin_dialog = CheckinDialog(self.actor, self.worker, self.offline, self)
        self.checkin_dialog.show()

    # ---- claiming ---------------------------------------------------------------------------

    def claim(self) -> None:
        self._set_buttons(False)
        self.stack.setCurrentWidget(self.message)
        self.message.setText("Claiming an item…")
        actor, project = self.actor, self.card.project_id
        self.worker.call_db(lambda db: localize(db, actor, queue_direct.claim(db, actor, project)), self._show,
                            self._claim_failed)

    def _claim_failed(self, exc: Exception) -> None:
        self.current = None
        self.stack.setCurrentWidget(self.message)
        if isinstance(exc, NothingLeft):
            self.message.setText(f"{exc}\n\nThank you! Check back later or pick another project.")
        elif isinstance(exc, QueueError):
            self.message.setText(str(exc))
        else:
            self.message.setText(f"Cannot claim an item: {exc}")
        self.status_changed.emit(self.message.text())

    def _show(self, item: queue.ClaimedItem) -> None:
        self.current = item
        if "${" in (self.card.instructions or ""):  # an MTurk HIT layout: this item's ${var} filled in
            self.instructions.setText(fill_template(self.card.instructions, item.payload))
        self.active_seconds = item.active_seconds
        self._waiting_feedback = False
        self.submit_button.setText("Submit  (Ctrl+Enter)")
        if self.widget is None:
            return
        self.widget.set_read_only(False)
        self.widget.load(item.shown(), item.media_root)
        self.stack.setCurrentWidget(self.widget)
        self.widget.focus_input()  # after it is on screen, or the keys go nowhere
        self._set_buttons(True)
        self._tick()
        self.status.setText("Draft restored from your last session." if item.draft else "")
        self.media_retry.watch(item)
        log.info("item shown: %s, assignment %s", item.external_id, item.assignment_id)
        if not self._settled:  # the kind's widget and its imports are in: out of the collector's way
            self._settled = True
            QTimer.singleShot(0, settle)
        self.item_shown.emit(item)
        self._claim_ahead()

    def _claim_ahead(self) -> None:
        if self.current is None or not self.ahead.start():
            return
        holding = (self.current.assignment_id,)
        actor, project = self.actor, self.card.project_id
        self.worker.call_db(lambda db: queue_direct.claim(db, actor, project, holding=holding),
                            lambda item: self._with_media(item, self._ahead_arrived),
                            lambda _exc: self._ahead_arrived(None))

    def _with_media(self, item: queue.ClaimedItem | None, then) -> None:
        """`then(item)` once the item's media are on this desktop (media_ahead.py)."""
        self.media_ahead.bring(item, then, waited_for=self.ahead.state is Ahead.WANTED)

    def _fetch_media(self, item: queue.ClaimedItem, then) -> None:
        actor = self.actor
        watch = None if self.widget is None else self.widget.arrival_watcher(item)  # a decode during the download
        self.worker.call_db(lambda db: localize(db, actor, item, watch), then,
                            lambda exc: then(dataclasses.replace(item, media_error=str(exc))))

    def _ahead_arrived(self, item: queue.ClaimedItem | None) -> None:
        """The item claimed ahead (None: none came) is shown at once if the annotator is
        waiting for it, else kept for the next Submit."""
        if self.ahead.arrived(item):  # the annotator is waiting for it
            if item is not None:
                self._show(item)
            else:
                self.claim()  # says why there is nothing, or finds what there is
            return
        if item is not None and self.widget is not None:
            self.widget.prefetch(item.shown(), item.media_root)  # decode its media while this one is worked on

    def _advance(self) -> None:
        step, item = self.ahead.advance()
        if step == "show":
            self._show(item)
        elif step == "wait":  # the next item is on its way; it is shown when it comes
            self.media_ahead.hurry()
            self._set_buttons(False)
            self.stack.setCurrentWidget(self.message)
            self.message.setText("Claiming an item…")
        else:
            self.claim()

    # ---- actions -----------------------------------------------------------------------------

    def submit(self) -> None:
        if self._waiting_feedback:  # the correct answer was shown; move on
            self._advance()
            return
        if self.current is None or self.widget is None or not self.submit_button.isEnabled():
            return
        answer = self.widget.answer()
        try:
            self.kind.validate_answer(self.current.config, answer)  # the check the server makes
        except AnnotatorError as exc:
            self.status.setText(str(exc))
            return
        self.autosave.stop()
        item, seconds = self.current, self.active_seconds
        actor, journal, project = self.actor, self.journal, self.card.project_id
        entry = Entry(item.assignment_id, answer, seconds, "submit")
        # The item after the one shown next is claimed with this submit, in the same call (one
        # transaction on the common path), rather than by a claim of its own after it.
        following = None if self.card.training_mode else self.ahead.take_with_next()
        unkept: dict[str, str] = {}  # why the journal could not keep this answer, when it could not

        def job(db):
            try:
                journal.write(entry)  # on disk before the database sees it
            except OSError as exc:  # a safety net only: the submit goes ahead without it
                unkept["why"] = f"{journal.dir}: {exc.strerror or exc}"
            if following is not None:
                out = queue_direct.submit_and_claim(db, actor, item.assignment_id, answer, seconds, project,
                                                    holding=(following.assignment_id,))
            else:
                out = queue_direct.submit(db, actor, item.assignment_id, answer, seconds)
            journal.clear(item.assignment_id)
            return out

        def stored(outcome, wait: bool) -> None:
            self._journal_kept(unkept.get("why"))
            self._submitted(outcome, wait)

        def failed(exc: Exception) -> None:
            self._submit_failed(exc, item, answer, unkept.get("why"))

        if self.card.training_mode:
            self._set_buttons(False)
            self.worker.call_db(job, lambda out: stored(out, wait=True), failed)
            return
        if following is not None:
            def done(out: queue_direct.SubmittedAndNext) -> None:
                stored(out.outcome, wait=False)
                self._with_media(out.next, self._ahead_arrived)

            def failed_and_nothing_next(exc: Exception) -> None:
                failed(exc)
                self._ahead_arrived(None)

            self.worker.call_db(job, done, failed_and_nothing_next)
        else:
            self.worker.call_db(job, lambda out: stored(out, wait=False), failed)
        self.current = None
        if following is not None:
            self._show(following)
        else:
            self._advance()

    def _journal_kept(self, why_not: str | None) -> None:
        if why_not is not None:
            self._warn(f"Answers cannot be kept on this computer ({why_not}), so each one goes straight to the "
                       "database, and a crash before it is stored would lose it. Free some disk space, or make "
                       "the folder writable.", journal=True)
        elif self._journal_trouble:
            self.warning.hide()
            self._journal_trouble = False

    def _warn(self, text: str, journal: bool = False) -> None:
        self.warning.setText(text)
        self.warning.show()
        self._journal_trouble = journal
        self.status_changed.emit(text)

    def _submitted(self, outcome, wait: bool) -> None:
        log.info("handed in: %s", "accepted" if outcome.accepted else outcome.message)
        self._set_today(self.today + (1 if outcome.accepted else 0))
        self.pay_line.refresh()
        if self.offline is not None:
            self.refresh_offline()
        if not outcome.accepted:
            self.status.setText(outcome.message)
        if wait:
            if outcome.correct_answer is not None and self.widget is not None:
                self.widget.set_read_only(True)
                self.widget.show_overlay([("Correct answer", outcome.correct_answer, "#2e7d32")])
                self.status.setText(f"Training item: your score {outcome.score:.0%}. Press Ctrl+Enter for the next item.")
                self._waiting_feedback = True
                self.submit_button.setText("Next  (Ctrl+Enter)")
                self.submit_button.setEnabled(True)
                self.current = None
            else:
                self.current = None
                self._advance()

    def _submit_failed(self, exc: Exception, item: queue.ClaimedItem | None = None, answer: dict | None = None,
                       unkept: str | None = None) -> None:
        if item is None:  # a skip, a release or an extension
            self.status.setText(f"Not done: {exc}")
            self.status_changed.emit(self.status.text())
            return
        if unkept is None:
            self._warn(f"Item {item.external_id} was not submitted: {exc}. Your answer is kept on this computer "
                       "and is sent again at your next log-in.")
            return
        # Stored nowhere: never move on from it. It comes back with the answer on screen.
        self._warn(f"Item {item.external_id} was not submitted ({exc}), and this computer could not keep it "
                   f"({unkept}). It is back on screen with your answer: submit it again.")
        if self.current is not None:
            self.save_draft()
        self._show(_replace(item, draft=answer))

    def _give_back(self, skip: bool) -> None:
        if self.current is None:
            return
        item = self.current
        fn = queue.skip if skip else queue.release
        self.autosave.stop()
        self.worker.call(lambda s: fn(s, self.actor, item.assignment_id), None, self._submit_failed)
        self.current = None
        self._advance()

    def skip(self) -> None:
        self._give_back(True)

    def release(self) -> None:
        self._give_back(False)

    def extend(self) -> None:
        if self.current is None:
            return
        item = self.current

        def done(until):
            if self.current is not None and self.current.assignment_id == item.assignment_id:
                self.current = _replace(self.current, lease_until=until)
                self._tick()

        self.worker.call(lambda s: queue.extend_lease(s, self.actor, item.assignment_id), done, self._submit_failed)

    # ---- drafts, time ------------------------------------------------------------------------

    def _changed(self) -> None:
        if self.current is not None and not self._waiting_feedback:
            self.autosave.start()

    def save_draft(self) -> None:
        if self.current is None or self.widget is None or self._waiting_feedback:
            return
        item, draft, seconds = self.current, self.widget.answer(), self.active_seconds
        self.worker.call(lambda s: queue.save_draft(s, self.actor, item.assignment_id, draft, seconds), None,
                         lambda exc: self.status.setText(f"Draft not saved: {exc}"))

    def _tick(self) -> None:
        if self.current is not None and time.monotonic() - self.watcher.last < IDLE_SECONDS:
            self.active_seconds += self.tick.interval() / 1000 if self.sender() is self.tick else 0
        self.show_times(self.current, self.active_seconds)

    def closeEvent(self, event) -> None:
        """Save the draft and give back the item claimed ahead; the worker finishes both."""
        self.tick.stop()
        self.autosave.stop()
        self.save_draft()
        # Jobs run in order, so this runs after any claim-ahead still in flight.
        keep = (self.current.assignment_id,) if self.current is not None else ()
        self.ahead.drop()  # an item still on its way is given back with the rest
        self.media_ahead.drop()
        self.worker.call(lambda s: queue.release_held(s, self.actor, self.card.project_id, keep=keep))
        QApplication.instance().removeEventFilter(self.watcher)
        if self.widget is not None:
            self.widget.stop()
        self.closed_to.emit(self.leaving_to)  # before the close: the picker shows before the app sees no window
        super().closeEvent(event)


def _replace(item: Any, **changes) -> Any:
    import dataclasses

    return dataclasses.replace(item, **changes)
