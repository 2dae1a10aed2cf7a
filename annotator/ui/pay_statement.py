"""A person's pay statement, per project and period: what they handed in and how it was
judged, each line of pay, and the reason for every rejection. Annotators see their own; a lead
may name anyone on the project."""

from __future__ import annotations

from datetime import datetime, timezone

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox, QDialog, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QPushButton, QTableWidgetItem, QVBoxLayout,
    QWidget,
)

from annotator.core.money import recent_periods, shown
from annotator.core.pay_statement import Statement, statement
from annotator.core.pay_text import active_time
from annotator.core.workspace import my_projects
from annotator.ui.combos import refill
from annotator.ui.tables import read_only_table


class StatementWindow(QDialog):
    shown_statement = Signal(object)  # Statement, once drawn

    def __init__(self, actor, worker, parent=None):
        super().__init__(parent)
        self.actor, self.worker = actor, worker
        self.setWindowTitle(f"Annotator — pay statement for {actor.name}")
        self.project = QComboBox()
        self.period = QComboBox()
        self.person = QLineEdit(actor.name)
        self.person.setVisible(actor.has("lead"))  # a lead reads anyone's; an annotator only their own
        self.person.editingFinished.connect(self.refresh)
        self.project.currentIndexChanged.connect(self._project_changed)
        self.period.currentIndexChanged.connect(lambda _: self.refresh())
        bar = QHBoxLayout()
        for label, widget in (("Project", self.project), ("Period", self.period)):
            bar.addWidget(QLabel(label))
            bar.addWidget(widget, 1)
        if actor.has("lead"):
            bar.addWidget(QLabel("Person"))
            bar.addWidget(self.person)
        self.heading = QLabel()
        self.heading.setObjectName("title")
        self.counts = QLabel()
        lines_box = QWidget()
        lines_box.setMaximumWidth(360)  # the amounts beside their names, not across the window
        self.lines = QFormLayout(lines_box)
        self.lines.setContentsMargins(0, 4, 0, 4)
        self.line_labels = {}
        for key in ("Rewards", "Bonuses", "Gold bonus", "Top-up", "Total"):
            value = QLabel()
            value.setAlignment(Qt.AlignmentFlag.AlignRight)
            self.line_labels[key] = value
            self.lines.addRow(key, value)
        self.rate = QLabel()
        self.rate.setWordWrap(True)
        self.bonus_reasons = QLabel()
        self.bonus_reasons.setWordWrap(True)
        self.rejections = read_only_table(("Rejected item", "The lead's reason"), stretch_all=False)
        self.rejections.horizontalHeader().setStretchLastSection(True)
        self.rejections.setWordWrap(True)
        self.status = QLabel("Loading…")
        close = QPushButton("Close")
        close.clicked.connect(self.close)
        bottom = QHBoxLayout()
        bottom.addWidget(self.status, 1)
        bottom.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.heading)
        layout.addWidget(self.counts)
        layout.addWidget(lines_box)
        layout.addWidget(self.bonus_reasons)
        layout.addWidget(self.rate)
        layout.addWidget(self.rejections, 1)
        layout.addLayout(bottom)
        self.resize(640, 560)
        self.cards = []
        self.worker.call(lambda s: [c for c in my_projects(s, actor) if c.pay is not None], self._projects,
                         self._failed, write=False)

    def _projects(self, cards) -> None:
        self.cards = cards
        if not cards:
            self.status.setText("None of your projects pays anything yet.")
            return
        refill(self.project, [c.name for c in cards])
        self._project_changed()

    def _project_changed(self, *_args) -> None:
        card = self.cards[self.project.currentIndex()] if self.cards else None
        if card is None:
            return
        refill(self.period, recent_periods(card.pay.terms.period, datetime.now(timezone.utc)))
        self.refresh()

    def refresh(self) -> None:
        if not self.cards:
            return
        project, period, person = self.project.currentText(), self.period.currentText(), self.person.text().strip()
        self.status.setText("Loading…")
        self.worker.call(lambda s: statement(s, self.actor, person or self.actor.name, project, period),
                         self._show, self._failed, write=False)

    def _show(self, st: Statement) -> None:
        s, cur = st.settlement, st.settlement.currency
        self.heading.setText(f"{st.user} on {st.project}, {st.period}")
        self.counts.setText(f"Handed in {st.submitted} · approved {s.approved} · waiting for review {st.pending} · "
                            f"rejected {st.rejected}")
        values = {"Rewards": s.rewards, "Bonuses": s.bonuses, "Gold bonus": s.rule_bonus, "Top-up": s.top_up,
                  "Total": s.total}
        for key, amount in values.items():
            self.line_labels[key].setText(shown(amount, cur))
        self.line_labels["Total"].setStyleSheet("font-weight: bold")
        notes = [f"Bonus {shown(a, cur)}: {reason}" for a, reason in st.bonus_lines]
        if st.terms.bonus is not None:
            accuracy = "no gold scored yet" if s.gold_accuracy is None else f"your gold accuracy is {s.gold_accuracy:.0%}"
            notes.append(f"Gold bonus: {shown(st.terms.bonus, cur)} an approved item when gold accuracy is at least "
                         f"{st.terms.bonus_min_gold:.0%} ({accuracy}).")
        self.bonus_reasons.setText("\n".join(notes))
        self.bonus_reasons.setVisible(bool(notes))
        rate = s.rate()
        floor = st.terms.floor
        text = f"Active time {active_time(s.active_seconds)}"
        if rate is not None:
            text += f": {shown(rate, cur)} an hour from rewards"
        if floor is not None:
            text += f". The project's floor is {shown(floor, cur)} an hour"
            text += "; the top-up brings you to it." if s.top_up else "; you are above it."
        self.rate.setText(text)
        self.rejections.setRowCount(len(st.rejections))
        for r, (item, comment) in enumerate(st.rejections):
            self.rejections.setItem(r, 0, QTableWidgetItem(item))
            reason = QTableWidgetItem(comment)
            reason.setToolTip(comment)
            self.rejections.setItem(r, 1, reason)
        self.rejections.resizeColumnToContents(0)
        self.rejections.resizeRowsToContents()
        self.status.setText("Rewards are paid for approved work; work waiting for review is paid once approved.")
        self.shown_statement.emit(st)

    def _failed(self, exc: Exception) -> None:
        self.status.setText(str(exc))
