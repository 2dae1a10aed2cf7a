"""The lead's review queue: a table of submitted work (keyset-paged, so 100k rows scroll), the
selected item in its kind's widget, read-only, with the other answers, the gold answer and the
model's prediction over it, and decisions on keys: A approve, R reject, F fix, J/K next/previous."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMainWindow,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from annotator.core import media_access, review
from annotator.core.queue_items import ShownItem
from annotator.ui.review_model import ReviewModel
from annotator.ui.shortcuts import add_action
from annotator.ui.task_widgets import make_task_widget
from annotator.ui.worker import CONFLICTS, ITEMS, WORK

OVERLAY_COLOURS = ["#1f77b4", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"]


class ReviewWindow(QMainWindow):
    decided = Signal(int, str)  # assignment id, new status
    detail_shown = Signal(object)

    def __init__(self, actor, worker, parent=None):
        super().__init__(parent)
        self.actor, self.worker = actor, worker
        self.setWindowTitle(f"Annotator — review queue — {actor.name}")
        self.detail: review.ReviewDetail | None = None
        self.widgets: dict[str, Any] = {}
        self.fixing = False
        # The first page is asked for before the window is built, so the database works while
        # Qt lays the window out. These are the filter boxes' defaults.
        self.model = ReviewModel(actor, worker, self)
        self._load({"statuses": ("submitted",), "sort": "submitted_at", "descending": False})

        self.project = QComboBox()
        self.project.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.project.addItem("All projects", None)
        self.annotator = QLineEdit()
        self.annotator.setPlaceholderText("annotator")
        self.status_filter = QComboBox()
        for label, value in (("Waiting", ("submitted",)), ("Approved", ("approved",)), ("Rejected", ("rejected",)),
                             ("All decided and waiting", ("submitted", "approved", "rejected"))):
            self.status_filter.addItem(label, value)
        self.sort = QComboBox()
        for label, value in (("Oldest first", ("submitted_at", False)), ("Newest first", ("submitted_at", True)),
                             ("Lowest gold score", ("gold_score", False)), ("Highest gold score", ("gold_score", True))):
            self.sort.addItem(label, value)
        self.since = QLineEdit()
        self.since.setPlaceholderText("from YYYY-MM-DD")
        self.until = QLineEdit()
        self.until.setPlaceholderText("to YYYY-MM-DD")
        self.min_gold = QLineEdit()
        self.min_gold.setPlaceholderText("gold ≥ %")
        self.max_gold = QLineEdit()
        self.max_gold.setPlaceholderText("gold ≤ %")
        for w in (self.since, self.until, self.min_gold, self.max_gold):
            w.setMaximumWidth(120)
            w.returnPressed.connect(self.reload)
        apply = QPushButton("Apply")
        apply.clicked.connect(self.reload)
        self.conflicts_button = QPushButton("Conflicts")
        self.conflicts_button.setToolTip("Answers that could not be applied (offline check-ins, lost leases)")
        self.conflicts_button.clicked.connect(self.show_conflicts)
        self.annotator.returnPressed.connect(self.reload)
        filters = QHBoxLayout()
        for w in (QLabel("Project"), self.project, self.annotator, QLabel("Status"), self.status_filter, self.since,
                  self.until, self.min_gold, self.max_gold, QLabel("Sort"), self.sort, apply):
            filters.addWidget(w)
        filters.addStretch(1)
        filters.addWidget(self.conflicts_button)

        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.selectionModel().currentRowChanged.connect(self._row_changed)

        self.info = QLabel("Select a row.")
        self.info.setWordWrap(True)
        self.stack = QStackedWidget()
        self.placeholder = QLabel("The selected item appears here.")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.stack.addWidget(self.placeholder)
        self.message = QLabel()
        self.message.setWordWrap(True)
        buttons = QHBoxLayout()
        self.approve_button = QPushButton("Approve (A)")
        self.reject_button = QPushButton("Reject (R)")
        self.fix_button = QPushButton("Fix (F)")
        self.bulk_button = QPushButton("Approve selected")
        for b in (self.approve_button, self.reject_button, self.fix_button, self.bulk_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.addWidget(self.info)
        right_layout.addWidget(self.stack, 1)
        right_layout.addWidget(self.message)
        right_layout.addLayout(buttons)
        split = QSplitter()
        split.addWidget(self.table)
        split.addWidget(right)
        split.setSizes([520, 760])
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.addLayout(filters)
        layout.addWidget(split, 1)
        self.setCentralWidget(body)

        self._key("Approve", "A", self.approve, self.approve_button)
        self._key("Reject with a comment", "R", self.reject, self.reject_button)
        self._key("Fix: edit a copy, Ctrl+Enter saves it", "F", self.start_fix, self.fix_button)
        self._key("Save the fix", "Ctrl+Return", self.save_fix)
        self._key("Next", "J", lambda: self.move(1))
        self._key("Previous", "K", lambda: self.move(-1))
        self._key("Approve the selected rows", "Ctrl+Shift+A", self.bulk_approve, self.bulk_button)
        self.resize(1280, 800)
        self._load_projects()
        self._count_conflicts()
        worker.changed.connect(self._data_changed)

    def _key(self, text: str, key: str, slot, button: QPushButton | None = None) -> None:
        action = add_action(self, text, key, slot, button=button)
        self.decision_actions = getattr(self, "decision_actions", [])
        if key != "Ctrl+Return":
            self.decision_actions.append(action)

    def _load_projects(self) -> None:
        from annotator.core.projects import project_names

        def show(projects):
            for name in projects:
                self.project.addItem(name, name)

        self.worker.call(lambda s: project_names(s, self.actor), show, write=False)

    def _data_changed(self, what) -> None:
        """New work from elsewhere (an import, a check-in) joins the queue; the window's own
        decisions update their rows in place and announce themselves to the other views."""
        if ITEMS in what:
            self.reload()
        elif CONFLICTS in what:
            self._count_conflicts()

    def reload(self) -> None:
        sort, descending = self.sort.currentData()
        filters = {"statuses": self.status_filter.currentData(), "sort": sort, "descending": descending}
        if self.project.currentData():
            filters["project"] = self.project.currentData()
        if self.annotator.text().strip():
            filters["annotator"] = self.annotator.text().strip()
        try:
            filters.update(self._range_filters())
        except ValueError as exc:
            self.message.setText(str(exc))
            return
        self._load(filters)
        self._count_conflicts()

    def _load(self, filters: dict[str, Any]) -> None:
        """The first page, then the lazy duties of opening the queue: work past its auto-approve
        delay approved, as MTurk would have, and gold that a team database keeps unscored scored
        (docs/adr/0009). The page comes first, so the lead reads it while they run; if they
        changed anything, the queue is read again."""
        from annotator.core.quality import score_pending_gold

        self.model.reload(**filters)
        actor = self.actor

        def duties(s) -> int:
            return score_pending_gold(s, actor) + review.auto_approve(s, actor)

        # Read again with the filters shown by then: the lead may have changed them meanwhile.
        self.worker.call(duties, lambda changed: changed and self.model.reload(**self.model.filters),
                         self._duties_failed)

    def _duties_failed(self, exc: Exception) -> None:
        self.message.setText(f"Could not approve the work past its delay, or score the gold waiting: {exc}")

    def _count_conflicts(self) -> None:
        from annotator.core.conflicts import list_conflicts

        def show(rows):
            self.conflicts_button.setText(f"Conflicts ({len(rows)})" if rows else "Conflicts")
            self.conflicts_button.setObjectName("warning" if rows else "")
            self.conflicts_button.style().polish(self.conflicts_button)

        self.worker.call(lambda s: list_conflicts(s, self.actor), show, write=False)

    def show_conflicts(self) -> None:
        from annotator.ui.conflicts import ConflictsDialog

        self.conflicts_dialog = ConflictsDialog(self.actor, self.worker, self)
        self.conflicts_dialog.changed.connect(self.reload)
        self.conflicts_dialog.show()

    def _range_filters(self) -> dict[str, Any]:
        """Dates (the whole 'to' day included) and gold scores in percent; a clear message if malformed."""
        from datetime import datetime, timedelta, timezone

        out: dict[str, Any] = {}
        for box, key in ((self.since, "since"), (self.until, "until")):
            text = box.text().strip()
            if text:
                try:
                    day = datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=timezone.utc)
                except ValueError:
                    raise ValueError(f"'{text}' is not a date like 2026-11-23.") from None
                out[key] = day + timedelta(days=1) if key == "until" else day
        for box, key in ((self.min_gold, "min_gold_score"), (self.max_gold, "max_gold_score")):
            text = box.text().strip().rstrip("%")
            if text:
                try:
                    out[key] = float(text) / 100
                except ValueError:
                    raise ValueError(f"'{box.text()}' is not a percentage.") from None
        return out

    # ---- the selected row ---------------------------------------------------------------------

    def current_row(self) -> review.ReviewRow | None:
        index = self.table.currentIndex()
        return self.model.rows[index.row()] if index.isValid() and index.row() < len(self.model.rows) else None

    def _end_fix(self) -> None:
        self.fixing = False
        for action in self.decision_actions:
            action.setEnabled(True)
        if self.detail is not None and self.detail.kind in self.widgets:
            self.widgets[self.detail.kind].set_read_only(True)

    def _row_changed(self, current, _previous) -> None:
        row = self.current_row()
        if row is None:
            return
        if self.fixing:
            self._end_fix()
        actor = self.actor
        self.worker.call_db(lambda db: media_access.review_detail(db, actor, row.assignment_id), self._show_detail,
                            lambda exc: self.message.setText(str(exc)))

    def _widget_for(self, kind: str):
        if kind not in self.widgets:
            widget, why_not = make_task_widget(kind, self)
            if widget is None:
                self.message.setText(why_not)
                return None
            self.stack.addWidget(widget)
            self.widgets[kind] = widget
        return self.widgets[kind]

    def _show_detail(self, d: review.ReviewDetail) -> None:
        row = self.current_row()
        if row is None or row.assignment_id != d.assignment_id:
            return  # the lead moved on
        self.detail = d
        w = self._widget_for(d.kind)
        if w is None:  # the message says why
            return
        w.load(ShownItem(d.external_id, d.payload, d.config, d.answer, media_root=d.media_root,
                         pixel_limit=d.pixel_limit, media_error=d.media_error), d.media_root)
        w.set_read_only(True)
        overlays = [(name, ans, OVERLAY_COLOURS[n % len(OVERLAY_COLOURS)]) for n, (name, ans) in enumerate(d.others)]
        if d.gold_answer is not None:
            overlays.append(("gold", d.gold_answer, "#2ca02c"))
        if d.prediction is not None:
            overlays.append(("model", d.prediction, "#d62728"))
        w.show_overlay(overlays)
        self.stack.setCurrentWidget(w)
        gold = "—" if d.annotator_gold_accuracy is None else f"{d.annotator_gold_accuracy:.0%}"
        rate = "—" if d.annotator_approval_rate is None else f"{d.annotator_approval_rate:.0%}"
        score = "" if d.gold_score is None else f" · this gold item scored {d.gold_score:.0%}"
        history = "; ".join(f"{dec} by {who}" + (f": “{c}”" if c else "") for dec, who, c in d.history)
        legend = " · ".join(f'<span style="color:{colour}">■ {name}</span>' for name, _, colour in overlays)
        self.info.setText(
            f"<b>{d.project}</b> · item {d.external_id} · by <b>{d.annotator}</b> ({d.status}) · "
            f"{d.active_seconds:.0f} s active{score}<br>{d.annotator}: gold accuracy {gold}, approval rate {rate}"
            + (f"<br>Overlays: {legend}" if legend else "")
            + (f"<br>History: {history}" if history else "")
        )
        self.message.setText("")
        self.detail_shown.emit(d)

    def move(self, step: int) -> None:
        row = self.table.currentIndex().row() if self.table.currentIndex().isValid() else -1
        target = max(0, min(self.model.rowCount() - 1, row + step))
        if self.model.rowCount():
            self.table.selectRow(target)

    # ---- decisions ----------------------------------------------------------------------------

    def _decide(self, fn, assignment_id: int, status: str, note: str) -> None:
        def done(_):
            self.model.set_status(assignment_id, status)
            self.message.setText(note)
            self.decided.emit(assignment_id, status)

        self.worker.call(fn, done, lambda exc: self.message.setText(f"Not done: {exc}"), announces={WORK})

    def approve(self) -> None:
        row = self.current_row()
        if row is None:
            return
        self._decide(lambda s: review.approve(s, self.actor, row.assignment_id), row.assignment_id, "approved",
                     f"Approved {row.external_id}.")
        self.move(1)

    def reject(self, comment: str | None = None) -> None:
        row = self.current_row()
        if row is None:
            return
        if not isinstance(comment, str):
            comment, ok = QInputDialog.getText(self, "Reject", f"What was wrong with {row.annotator}'s answer? They will read this.")
            if not ok:
                return
        if not comment.strip():
            self.message.setText("A rejection needs a comment.")
            return
        self._decide(lambda s: review.reject(s, self.actor, row.assignment_id, comment), row.assignment_id, "rejected",
                     f"Rejected {row.external_id}; the item is open for someone else.")
        self.move(1)

    def start_fix(self) -> None:
        if self.detail is None:
            return
        self.fixing = True
        for action in self.decision_actions:  # the widget's own editing keys take over
            action.setEnabled(False)
        w = self.widgets[self.detail.kind]
        w.set_read_only(False)
        w.focus_input()
        self.message.setText("Fixing: edit the answer, then Ctrl+Enter saves it as the accepted answer.")

    def save_fix(self) -> None:
        row = self.current_row()
        if not self.fixing or row is None or self.detail is None:
            return
        answer = self.widgets[self.detail.kind].answer()
        self._end_fix()
        self._decide(lambda s: review.fix(s, self.actor, row.assignment_id, answer), row.assignment_id, "approved",
                     f"Fixed {row.external_id}: your answer is the accepted one.")

    def bulk_approve(self) -> None:
        ids = sorted({row.assignment_id for i in self.table.selectionModel().selectedRows()
                      if (row := self.model.rows[i.row()]) is not None})
        if not ids:
            return

        def done(n):
            for assignment_id in ids:
                self.model.set_status(assignment_id, "approved")
            self.message.setText(f"Approved {n} submission(s).")

        self.worker.call(lambda s: review.bulk_approve(s, self.actor, ids), done, lambda exc: self.message.setText(str(exc)),
                         announces={WORK})
