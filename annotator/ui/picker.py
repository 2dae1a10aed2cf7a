"""The project picker: the projects this user may work on, with their standing on each."""

from __future__ import annotations

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

from annotator.core.workspace import ProjectCard, my_projects
from annotator.ui.tables import read_only_table

COLUMNS = ("Project", "Kind", "Open items", "Done by you", "Gold accuracy", "Approval rate", "Status")


def _pct(v: float | None) -> str:
    return "—" if v is None else f"{v:.0%}"


class ProjectPicker(QDialog):
    chosen = Signal(object)  # ProjectCard
    review_requested = Signal()
    people_requested = Signal()
    audit_requested = Signal()
    dashboard_requested = Signal()
    projects_requested = Signal()

    def __init__(self, actor, worker, parent=None):
        super().__init__(parent)
        self.actor, self.worker = actor, worker
        self.cards: list[ProjectCard] = []
        self.setWindowTitle(f"Annotator — projects for {actor.name}")
        title = QLabel(f"Hello {actor.name}. Pick a project to work on.")
        title.setObjectName("title")
        self.table = read_only_table(COLUMNS, stretch_all=False)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.horizontalHeader().setSectionResizeMode(6, QHeaderView.ResizeMode.Stretch)
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
            self.lead_buttons = [self.review_button, board, projects, people, trail]
            for b in self.lead_buttons:
                row.addWidget(b)
        row.addWidget(self.open_button)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(self.table, 1)
        layout.addLayout(row)
        self.resize(1000, 420)
        self.refresh()

    def refresh(self) -> None:
        self.worker.call(lambda s: my_projects(s, self.actor), self._show, self._failed, write=False)

    def _show(self, cards: list[ProjectCard]) -> None:
        self.cards = cards
        self.table.setRowCount(len(cards))
        for r, c in enumerate(cards):
            status = f"Paused: {c.paused_reason}" if c.paused else "Active"
            values = (c.name, c.kind.replace("_", " "), str(c.open_items), str(c.my_done), _pct(c.gold_accuracy),
                      _pct(c.approval_rate), status)
            for col, value in enumerate(values):
                cell = QTableWidgetItem(value)
                if col in (2, 3, 4, 5):
                    cell.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                if c.paused:
                    cell.setForeground(Qt.GlobalColor.darkRed)
                cell.setToolTip(status if col == 6 else value)
                self.table.setItem(r, col, cell)
        self.table.resizeColumnsToContents()
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.status.setText(f"{len(cards)} project(s). Double-click or press Enter to start.")
        if cards:
            self.table.selectRow(0)

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
