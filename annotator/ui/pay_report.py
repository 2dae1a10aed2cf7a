"""The lead's pay report: per project and period, a row per person and currency (approved
items, active hours, rewards, bonuses, top-up, total, rate), saved as the payroll CSV; a
pyqtgraph plot of each person's effective hourly rate against the floor; and a warning when
the project's reward, at its median active time, pays below the floor."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox, QFileDialog, QHBoxLayout, QLabel, QMainWindow, QPushButton, QTableWidgetItem, QVBoxLayout, QWidget,
)

from annotator.core.money import recent_periods, shown
from annotator.core.pay_text import active_time
from annotator.core.pay_report import PayReport, Underpaying, pay_report, underpaying, write_pay_csv
from annotator.core.workspace import my_projects
from annotator.ui.combos import refill
from annotator.ui.tables import read_only_table
from annotator.ui.worker import WORK

COLUMNS = ("Person", "Currency", "Approved", "Active time", "Rewards", "Bonuses", "Gold bonus", "Top-up", "Total",
           "Rate / h")
BELOW, ABOVE, FLOOR = "#d62728", "#2ca02c", "#555555"


class PayReportWindow(QMainWindow):
    drawn = Signal(object)  # PayReport, its table and plot drawn
    warned = Signal(object)  # Underpaying | None, once the project-wide check is back
    saved = Signal(str)

    def __init__(self, actor, worker, parent=None):
        super().__init__(parent)
        import pyqtgraph as pg  # deferred: only leads who open the report pay for it

        self.pg, self.actor, self.worker = pg, actor, worker
        self.setWindowTitle("Annotator — pay report")
        pg.setConfigOptions(antialias=True, background="w", foreground="#333")
        self.project = QComboBox()
        self.period = QComboBox()
        self.project.currentIndexChanged.connect(self._project_changed)
        self.period.currentIndexChanged.connect(lambda _: self.refresh())
        self.save_button = QPushButton("Save payroll CSV…")
        self.save_button.setEnabled(False)
        self.save_button.clicked.connect(lambda: self.save_csv())
        bar = QHBoxLayout()
        for label, widget in (("Project", self.project), ("Period", self.period)):
            bar.addWidget(QLabel(label))
            bar.addWidget(widget, 1)
        bar.addWidget(self.save_button)
        self.warning = QLabel()
        self.warning.setWordWrap(True)
        self.warning.setStyleSheet("background: #fff4e5; color: #663c00; padding: 6px;")
        self.warning.hide()
        self.table = read_only_table(COLUMNS)
        self.plot = pg.PlotWidget(title="Effective hourly rate per person (rewards per active hour) and the floor")
        self.status = QLabel("Loading…")
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.addLayout(bar)
        layout.addWidget(self.warning)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.status)
        self.setCentralWidget(body)
        self.resize(1100, 760)
        self.cards, self.report = [], None
        worker.changed.connect(self._data_changed)
        self.worker.call(lambda s: [c for c in my_projects(s, actor) if c.pay is not None], self._projects,
                         self._failed, write=False)

    def _projects(self, cards) -> None:
        self.cards = cards
        if not cards:
            self.status.setText("No project you lead pays anything yet: set its pay in Projects… or "
                                "`annotator pay set`.")
            return
        refill(self.project, [c.name for c in cards])
        self._project_changed()

    def _project_changed(self, *_args) -> None:
        if not self.cards:
            return
        card = self.cards[self.project.currentIndex()]
        refill(self.period, recent_periods(card.pay.terms.period, datetime.now(timezone.utc)))
        self.refresh()

    def _data_changed(self, what) -> None:
        if WORK in what and self.cards:  # an approval earns, a rejection of pending work does not
            self.refresh()

    def refresh(self) -> None:
        project, period = self.project.currentText(), self.period.currentText()
        if not project:
            return
        self.status.setText("Loading…")

        self.worker.call(lambda s: pay_report(s, self.actor, project, period), self._show, self._failed, write=False)

    def _show(self, report: PayReport) -> None:
        self.report = report
        self.table.setRowCount(len(report.rows))
        for r, row in enumerate(report.rows):
            s, cur = row.settlement, row.settlement.currency
            rate = s.rate()
            values = (row.person, cur, str(s.approved), active_time(s.active_seconds), shown(s.rewards, cur), shown(s.bonuses, cur),
                      shown(s.rule_bonus, cur), shown(s.top_up, cur), shown(s.total, cur),
                      "—" if rate is None else shown(rate, cur))
            for col, value in enumerate(values):
                cell = QTableWidgetItem(value)
                if col >= 2:
                    cell.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                if col == 7 and s.top_up:
                    cell.setForeground(Qt.GlobalColor.darkRed)
                self.table.setItem(r, col, cell)
        self._plot(report)
        totals = ", ".join(shown(t, c) for c, t in report.total.items()) or "nothing"
        self.status.setText(f"{report.project}, {report.period}: {totals} to {len(report.rows)} person(s).")
        self.save_button.setEnabled(bool(report.rows))
        self.drawn.emit(report)
        # The project-wide check reads every approved item's time: it follows, the table first.
        self.worker.call(lambda s: underpaying(s, self.actor, report.project), lambda w: self._warn(report, w),
                         self._failed, write=False)

    def _warn(self, report: PayReport, warning: Underpaying | None) -> None:
        cur = report.terms.currency
        self.warning.setVisible(warning is not None)
        if warning is not None:
            self.warning.setText(
                f"Underpaying: the median approved item took {warning.median_seconds:.0f} s, so a reward of "
                f"{shown(report.terms.reward, cur)} pays {shown(warning.implied_rate, cur)} an hour, below the floor "
                f"of {shown(warning.floor, cur)}. A reward of {shown(warning.fair_reward, cur)} would meet it; "
                "until then the top-ups make up the difference.")
        self.warned.emit(warning)

    def _plot(self, report: PayReport) -> None:
        pg, plot = self.pg, self.plot
        plot.clear()
        floor = report.terms.floor
        rated = [(row.person, float(row.settlement.rate() or 0)) for row in report.rows]
        colours = [BELOW if floor is not None and rate < float(floor) else ABOVE for _, rate in rated]
        if rated:
            plot.addItem(pg.BarGraphItem(x=list(range(len(rated))), height=[r for _, r in rated], width=0.6,
                                         brushes=colours))
        step = max(1, len(rated) // 12)
        plot.getAxis("bottom").setTicks([[(i, name) for i, (name, _) in enumerate(rated) if i % step == 0]])
        plot.getAxis("left").setLabel(f"{report.terms.currency} per active hour")
        if floor is not None:
            line = pg.InfiniteLine(pos=float(floor), angle=0, pen=pg.mkPen(FLOOR, width=2, style=Qt.PenStyle.DashLine),
                                   label=f"floor {shown(floor, report.terms.currency)}",
                                   labelOpts={"position": 0.95, "color": FLOOR})
            plot.addItem(line)

    def save_csv(self, path: str | None = None) -> None:
        if self.report is None:
            return
        path = path or QFileDialog.getSaveFileName(self, "Save the payroll CSV",
                                                   f"pay-{self.report.project}-{self.report.period}.csv",
                                                   "CSV (*.csv)")[0]
        if not path:
            return
        report = self.report
        self.worker.call(lambda s: write_pay_csv(s, self.actor, report, Path(path)),
                         lambda n: (self.status.setText(f"Saved {n} row(s) to {path}."), self.saved.emit(path)),
                         self._failed)

    def _failed(self, exc: Exception) -> None:
        self.status.setText(str(exc))
