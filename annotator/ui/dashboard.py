"""The lead's dashboard (pyqtgraph): throughput per day, the queue's burn-down (open, claimed,
submitted, approved), agreement per label, gold accuracy per annotator, and active hours with
items per active hour (for fair-pay reports). It redraws when told something changed, never by polling."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QGridLayout, QHBoxLayout, QLabel, QMainWindow, QPushButton, QVBoxLayout, QWidget

from annotator.core import stats


class DashboardWindow(QMainWindow):
    refreshed = Signal(object)  # stats.Dashboard

    def __init__(self, actor, worker, parent=None):
        super().__init__(parent)
        import pyqtgraph as pg  # deferred: only leads who open the dashboard pay for it

        self.pg, self.actor, self.worker = pg, actor, worker
        self.setWindowTitle("Annotator — dashboard")
        pg.setConfigOptions(antialias=True, background="w", foreground="#333")
        self.project = QComboBox()
        self.project.currentIndexChanged.connect(lambda _: self.refresh())
        refresh = QPushButton("Refresh")
        refresh.clicked.connect(self.refresh)
        bar = QHBoxLayout()
        bar.addWidget(QLabel("Project"))
        bar.addWidget(self.project, 1)
        bar.addWidget(refresh)
        self.status = QLabel()
        self.media_faults = QLabel()  # items whose store object is missing or changed: the lead's to fix
        self.media_faults.setObjectName("warning")
        self.media_faults.setWordWrap(True)
        self.media_faults.setStyleSheet("background: #fdecea; color: #8a1c10; padding: 6px;")
        self.media_faults.hide()
        self.plots = {
            "throughput": pg.PlotWidget(title="Answers per day"),
            "burn": pg.PlotWidget(title="Queue burn-down (answer slots)"),
            "agreement": pg.PlotWidget(title="Agreement per label"),
            "gold": pg.PlotWidget(title="Gold accuracy per annotator (last 20)"),
            "hours": pg.PlotWidget(title="Active hours (blue) and items per active hour (orange) per annotator"),
        }
        grid = QGridLayout()
        for n, key in enumerate(self.plots):
            last = n == len(self.plots) - 1 and len(self.plots) % 2
            grid.addWidget(self.plots[key], n // 2, n % 2, 1, 2 if last else 1)  # the odd one out spans the row
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.addLayout(bar)
        layout.addWidget(self.media_faults)
        layout.addLayout(grid, 1)
        layout.addWidget(self.status)
        self.setCentralWidget(body)
        self.resize(1280, 800)
        self.data: stats.Dashboard | None = None
        from annotator.core.projects import project_names

        self.worker.call(lambda s: project_names(s, self.actor), self._projects, write=False)
        worker.changed.connect(self._data_changed)

    def _data_changed(self, _what) -> None:
        """A decision, an import or a check-in: every figure here may have moved."""
        self.refresh()

    def _projects(self, projects) -> None:
        for name in projects:
            self.project.addItem(name, name)

    def refresh(self) -> None:
        name = self.project.currentData()
        if name:
            self.worker.call_db(lambda db: stats.dashboard_concurrently(db, self.actor, name), self._draw,
                                lambda exc: self.status.setText(str(exc)))

    def _bars(self, plot, labels: list[str], values: list[float], colour: str, offset: float = 0.0, width: float = 0.6) -> None:
        pg = self.pg
        xs = [i + offset for i in range(len(values))]
        plot.addItem(pg.BarGraphItem(x=xs, height=values, width=width, brush=colour))
        step = max(1, len(labels) // 10)  # at most about ten labels, so they never overlap
        plot.getAxis("bottom").setTicks([[(i, label) for i, label in enumerate(labels) if i % step == 0]])

    def _draw(self, d: stats.Dashboard) -> None:
        self.data = d
        for plot in self.plots.values():
            plot.clear()
        days = [day for day, _ in d.per_day]
        self._bars(self.plots["throughput"], [day[5:] for day in days], [n for _, n in d.per_day], "#4a6cf7")
        if d.burn_down:
            plot = self.plots["burn"]
            plot.addLegend(offset=(-10, 10))
            xs = list(range(len(d.burn_down)))
            for column, (name, colour) in enumerate((("open", "#d62728"), ("claimed", "#ff7f0e"),
                                                     ("submitted", "#1f77b4"), ("approved", "#2ca02c")), start=1):
                plot.plot(xs, [row[column] for row in d.burn_down], pen=self.pg.mkPen(colour, width=2), name=name)
            step = max(1, len(xs) // 8)
            plot.getAxis("bottom").setTicks([[(i, row[0][5:]) for i, row in enumerate(d.burn_down) if i % step == 0]])
        labels = [l for l, v in d.agreement_per_label.items() if v is not None]
        self._bars(self.plots["agreement"], labels, [d.agreement_per_label[l] for l in labels], "#9467bd")
        people = d.annotators
        self._bars(self.plots["gold"], [a.user for a in people], [a.gold_accuracy or 0.0 for a in people], "#2ca02c")
        self._bars(self.plots["hours"], [a.user for a in people], [a.active_hours for a in people], "#1f77b4", -0.2, 0.4)
        per_hour = [(a.items_per_hour or 0.0) / 100 for a in people]  # in hundreds, to share the axis
        self.plots["hours"].addItem(self.pg.BarGraphItem(x=[i + 0.2 for i in range(len(people))], height=per_hour,
                                                         width=0.4, brush="#ff7f0e"))
        self.status.setText(f"{d.project}: {sum(n for _, n in d.per_day)} answers over {len(days)} day(s); "
                            "items per active hour are drawn in hundreds.")
        self._show_media_faults(d)
        self.refreshed.emit(d)

    def _show_media_faults(self, d: stats.Dashboard) -> None:
        faults = d.media_faults
        self.media_faults.setVisible(bool(faults))
        if not faults:
            return
        shown = "; ".join(f"{f.external_id} ({'missing' if f.kind == 'missing' else 'changed since import'})"
                          for f in faults[:5])
        more = f", and {len(faults) - 5} more" if len(faults) > 5 else ""
        self.media_faults.setText(
            f"{len(faults)} item(s) cannot be shown because their media object is missing or changed: {shown}{more}. "
            f"Re-import their files, then run `annotator media verify {d.project}`; "
            f"`annotator queue status {d.project}` lists them all.")
