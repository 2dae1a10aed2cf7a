"""The project picker: the projects this user may work on, with their standing on each."""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidgetItem,
    QVBoxLayout,
)

from annotator.core.money import shown
from annotator.core.pay_text import minutes, terms_line
from annotator.core.workspace import ProjectCard, my_projects
from annotator.ui.tables import read_only_table
from annotator.ui.worker import ITEMS, WORK

COLUMNS = ("Project", "Kind", "Open items", "Done by you", "Gold accuracy", "Approval rate", "Pays", "Est. time",
           "Your rate", "Status")
STATUS = COLUMNS.index("Status")
NUMBERS = {2, 3, 4, 5, 6, 7, 8}
log = logging.getLogger(__name__)


def _pct(v: float | None) -> str:
    return "—" if v is None else f"{v:.0%}"


def _pay_columns(card: ProjectCard) -> tuple[str, str, str]:
    """What the project pays, the time an item should take, and the rate this person has had."""
    if card.pay is None:
        return "—", "—", "—"
    terms, cur = card.pay.terms, card.pay.terms.currency
    pays = f"{shown(terms.hourly, cur)}/h" if terms.hourly is not None else shown(terms.reward, cur)
    rate = "—" if card.pay.rate is None else f"{shown(card.pay.rate, cur)}/h"
    return pays, minutes(terms.estimate_seconds), rate


def _pay_tip(card: ProjectCard) -> str:
    if card.pay is None:
        return "This project pays nothing."
    rate = card.pay.terms.per_hour_at(card.pay.terms.estimate_seconds or 0)
    at_estimate = f" At the estimate that is {shown(rate, card.pay.terms.currency)} an hour." if rate else ""
    yours = " Your rate is your approved pay per active hour over the last 90 days." if card.pay.rate else ""
    return terms_line(card.pay.terms) + "." + at_estimate + yours


class ProjectPicker(QDialog):
    chosen = Signal(object)  # ProjectCard
    review_requested = Signal()
    people_requested = Signal()
    audit_requested = Signal()
    dashboard_requested = Signal()
    projects_requested = Signal()
    statement_requested = Signal()
    pay_report_requested = Signal()

    def __init__(self, actor, worker, parent=None):
        super().__init__(parent)
        self.actor, self.worker = actor, worker
        self.cards: list[ProjectCard] = []
        self.setWindowTitle(f"Annotator — projects for {actor.name}")
        title = QLabel(f"Hello {actor.name}. Pick a project to work on.")
        title.setObjectName("title")
        self.table = read_only_table(COLUMNS, stretch_all=False)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.horizontalHeader().setSectionResizeMode(STATUS, QHeaderView.ResizeMode.Stretch)
        self.table.doubleClicked.connect(self.open_selected)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.status = QLabel("Loading projects…")
        self.status.setWordWrap(True)
        self.open_button = QPushButton("Start working")
        self.open_button.setObjectName("primary")
        self.open_button.setEnabled(False)
        self.open_button.clicked.connect(self.open_selected)
        refresh = QPushButton("Refresh")
        refresh.clicked.connect(self.refresh)
        row = QHBoxLayout()
        row.addWidget(self.status, 1)
        row.addWidget(refresh)
        my_pay = QPushButton("My pay…")
        my_pay.setToolTip("Your statement: what you handed in, what it earned, and any rejection's reason")
        my_pay.clicked.connect(self.statement_requested.emit)
        row.addWidget(my_pay)
        # Leads and admins only; annotators never see the lead tools (and the services refuse them).
        self.review_button = QPushButton("Review queue…") if actor.has("lead") else None
        self.lead_buttons = []
        if self.review_button is not None:
            self.review_button.clicked.connect(self.review_requested.emit)
            people = QPushButton("People…")
            people.clicked.connect(self.people_requested.emit)
            trail = QPushButton("Audit trail…")
            trail.clicked.connect(self.audit_requested.emit)
            board = QPushButton("Dashboard…")
            board.clicked.connect(self.dashboard_requested.emit)
            projects = QPushButton("Projects…")
            projects.clicked.connect(self.projects_requested.emit)
            payroll = QPushButton("Pay report…")
            payroll.clicked.connect(self.pay_report_requested.emit)
            self.lead_buttons = [self.review_button, board, projects, payroll, people, trail]
            for b in self.lead_buttons:
                row.addWidget(b)
        row.addWidget(self.open_button)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(self.table, 1)
        layout.addLayout(row)
        self.resize(1200, 420)
        self.refresh()
        worker.changed.connect(self._data_changed)

    def _data_changed(self, what) -> None:
        if what & {ITEMS, WORK}:  # open items, the person's own count, rates and pay
            self.refresh()

    def refresh(self) -> None:
        self.worker.call(lambda s: my_projects(s, self.actor), self._show, self._failed, write=False)

    def _show(self, cards: list[ProjectCard]) -> None:
        self.cards = cards
        self.table.setRowCount(len(cards))
        for r, c in enumerate(cards):
            status = f"Paused: {c.paused_reason}" if c.paused else "Active"
            values = (c.name, c.kind.replace("_", " "), str(c.open_items), str(c.my_done), _pct(c.gold_accuracy),
                      _pct(c.approval_rate), *_pay_columns(c), status)
            for col, value in enumerate(values):
                cell = QTableWidgetItem(value)
                if col in NUMBERS:
                    cell.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                if c.paused:
                    cell.setForeground(Qt.GlobalColor.darkRed)
                cell.setToolTip(status if col == STATUS else _pay_tip(c) if col in (6, 7, 8) else value)
                self.table.setItem(r, col, cell)
        self.table.resizeColumnsToContents()
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.status.setText(f"{len(cards)} project(s). Double-click or press Enter to start.")
        if cards:
            self.table.selectRow(0)
        log.info("projects listed: %s", ", ".join(c.name for c in cards))

    def _failed(self, exc: Exception) -> None:
        self.status.setText(f"Cannot list projects: {exc}")

    def _selection_changed(self) -> None:
        card = self.selected()
        self.open_button.setEnabled(card is not None and not card.paused)
        if card is not None and card.paused:
            self.status.setText(f"You are paused on {card.name}: {card.paused_reason}. A lead can reinstate you.")

    def selected(self) -> ProjectCard | None:
        rows = self.table.selectionModel().selectedRows()
        return self.cards[rows[0].row()] if rows else None

    def open_selected(self) -> None:
        card = self.selected()
        if card is None:
            return
        if card.paused:
            self.status.setText(f"You are paused on {card.name}: {card.paused_reason}. A lead can reinstate you.")
            return
        self.chosen.emit(card)
        self.accept()

    def keyPressEvent(self, event) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.open_selected()
            return
        super().keyPressEvent(event)
