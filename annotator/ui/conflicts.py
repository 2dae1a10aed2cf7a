"""The review window's conflicts panel: answers that could not be applied when they arrived
(offline work against a revoked checkout, a changed item, a slot someone else holds). The lead
accepts the answer or dismisses it with a reason; until then it stays listed."""

from __future__ import annotations

import json

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QPushButton,
    QTableWidgetItem,
    QVBoxLayout,
)

from annotator.core import conflicts
from annotator.ui.tables import read_only_table
from annotator.ui.worker import CONFLICTS, WORK

COLUMNS = ("Project", "Item", "Annotator", "Why", "Answer", "Arrived")


class ConflictsDialog(QDialog):
    changed = Signal()  # a conflict was resolved: the review queue and the count redraw

    def __init__(self, actor, worker, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Conflicts waiting for a lead")
        self.actor, self.worker = actor, worker
        self.rows: list[conflicts.ConflictRow] = []
        self.table = read_only_table(COLUMNS, stretch_all=False)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.accept_button = QPushButton("Accept the answer")
        self.dismiss_button = QPushButton("Dismiss…")
        self.accept_button.clicked.connect(self.accept_selected)
        self.dismiss_button.clicked.connect(self.dismiss_selected)
        self.message = QLabel()
        self.message.setWordWrap(True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.message, 1)
        buttons.addWidget(self.accept_button)
        buttons.addWidget(self.dismiss_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        self.resize(1100, 420)
        self.reload()

    def reload(self) -> None:
        self.worker.call(lambda s: conflicts.list_conflicts(s, self.actor), self._show,
                         lambda exc: self.message.setText(str(exc)), write=False)

    def _show(self, rows: list[conflicts.ConflictRow]) -> None:
        self.rows = rows
        self.table.setRowCount(len(rows))
        for r, c in enumerate(rows):
            values = (c.project, c.external_id, c.user, c.reason, json.dumps(c.answer, ensure_ascii=False)[:200],
                      f"{c.created_at:%Y-%m-%d %H:%M}")
            for col, value in enumerate(values):
                cell = QTableWidgetItem(value)
                cell.setToolTip(value)
                self.table.setItem(r, col, cell)
        self.table.resizeColumnsToContents()
        self.table.setColumnWidth(3, min(self.table.columnWidth(3), 420))
        self.table.resizeRowsToContents()  # the reason wraps onto a second line rather than being cut
        if not rows:
            self.message.setText("No open conflicts.")

    def selected(self) -> conflicts.ConflictRow | None:
        index = self.table.currentIndex()
        return self.rows[index.row()] if index.isValid() and index.row() < len(self.rows) else None

    def accept_selected(self) -> None:
        row = self.selected()
        if row is not None:
            self._resolve(lambda s: conflicts.accept_conflict(s, self.actor, row.id), f"{row.external_id}: ")

    def dismiss_selected(self, comment: str | None = None) -> None:
        row = self.selected()
        if row is None:
            return
        if not isinstance(comment, str):
            comment, ok = QInputDialog.getText(self, "Dismiss", f"Why is {row.user}'s answer set aside?")
            if not ok:
                return
        if not comment.strip():
            self.message.setText("Dismissing needs a reason.")
            return
        self._resolve(lambda s: conflicts.dismiss_conflict(s, self.actor, row.id, comment),
                      f"{row.external_id}: dismissed")

    def _resolve(self, fn, note: str) -> None:
        def done(outcome):
            self.message.setText(note + (outcome or ""))
            self.changed.emit()
            self.reload()

        self.worker.call(fn, done, lambda exc: self.message.setText(f"Not done: {exc}"), announces={WORK, CONFLICTS})
