"""Lead and admin windows beside the review queue: people (accounts, paused annotators) and the
audit trail. Every action goes through the background worker and the role-checked services."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMainWindow,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from annotator.core import audit, quality, users
from annotator.ui.tables import read_only_table


def _fill(table: QTableWidget, rows: list[list[str]]) -> None:
    table.setRowCount(len(rows))
    for r, values in enumerate(rows):
        for c, v in enumerate(values):
            cell = QTableWidgetItem(v)
            cell.setToolTip(v)  # long reasons and details are cut in the cell, whole here
            table.setItem(r, c, cell)
    # Short columns fit their contents; the last (reason, details) takes the rest.
    header = table.horizontalHeader()
    for c in range(table.columnCount() - 1):
        header.setSectionResizeMode(c, QHeaderView.ResizeMode.ResizeToContents)
    header.setSectionResizeMode(table.columnCount() - 1, QHeaderView.ResizeMode.Stretch)


class PeopleWindow(QMainWindow):
    changed = Signal()  # after any change, once the lists are fresh again

    def __init__(self, actor, worker, parent=None):
        super().__init__(parent)
        self.actor, self.worker = actor, worker
        self.setWindowTitle("Annotator — people")
        self.status = QLabel()
        self.status.setWordWrap(True)

        self.users = read_only_table(["name", "role", "active", "since"])
        add = QPushButton("Add user…")
        add.clicked.connect(self.add_user)
        role = QPushButton("Change role…")
        role.clicked.connect(self.change_role)
        toggle = QPushButton("Deactivate / reactivate")
        toggle.clicked.connect(self.toggle_active)
        password = QPushButton("Reset password…")
        password.clicked.connect(self.reset_password)
        user_buttons = QHBoxLayout()
        for b in (add, role, toggle, password):
            user_buttons.addWidget(b)
        user_buttons.addStretch(1)
        users_tab = QWidget()
        ul = QVBoxLayout(users_tab)
        ul.addWidget(self.users)
        ul.addLayout(user_buttons)

        self.paused = read_only_table(["annotator", "project", "since", "reason"])
        reinstate = QPushButton("Reinstate")
        reinstate.clicked.connect(self.reinstate_selected)
        paused_tab = QWidget()
        pl = QVBoxLayout(paused_tab)
        pl.addWidget(self.paused)
        pl.addWidget(reinstate, 0, Qt.AlignmentFlag.AlignLeft)

        self.history_user = QLineEdit()
        self.history_user.setPlaceholderText("annotator name")
        self.history_user.returnPressed.connect(lambda: self.show_history(self.history_user.text().strip()))
        show = QPushButton("Show history")
        show.clicked.connect(lambda: self.show_history(self.history_user.text().strip()))
        history_bar = QHBoxLayout()
        history_bar.addWidget(self.history_user, 1)
        history_bar.addWidget(show)
        self.history_box = QVBoxLayout()
        history_tab = QWidget()
        hl = QVBoxLayout(history_tab)
        hl.addLayout(history_bar)
        hl.addLayout(self.history_box, 1)
        self.history_plots = None

        self.tabs = QTabWidget()
        self.tabs.addTab(users_tab, "Users")
        self.tabs.addTab(paused_tab, "Paused annotators")
        self.tabs.addTab(history_tab, "History")
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.addWidget(self.tabs)
        layout.addWidget(self.status)
        self.setCentralWidget(body)
        self.resize(1000, 600)
        self.user_rows: list = []
        self.paused_rows: list = []
        self.refresh()

    def refresh(self) -> None:
        def load(s):
            return quality.paused_members(s, self.actor), (users.list_users(s, self.actor) if self.actor.has("admin") else [])

        self.worker.call(load, self._show, self._failed, write=False)

    def _show(self, result) -> None:
        self.paused_rows, self.user_rows = result
        _fill(self.paused, [[m.user, m.project, f"{m.since:%Y-%m-%d %H:%M}", m.reason] for m in self.paused_rows])
        _fill(self.users, [[u.name, u.role, "yes" if u.active else "no", f"{u.created_at:%Y-%m-%d}"] for u in self.user_rows])
        self.tabs.setTabEnabled(0, self.actor.has("admin"))
        if not self.actor.has("admin"):
            self.tabs.setCurrentIndex(1)
        self.changed.emit()

    def _failed(self, exc: Exception) -> None:
        self.status.setText(str(exc))

    def _run(self, fn, message: str) -> None:
        self.worker.call(fn, lambda _: (self.status.setText(message), self.refresh()), self._failed)

    def _selected_user(self):
        rows = self.users.selectionModel().selectedRows()
        return self.user_rows[rows[0].row()] if rows else None

    history_shown = Signal(object)

    def show_history(self, name: str) -> None:
        """Gold accuracy, approval rate and items per hour over time (pyqtgraph, loaded on demand)."""
        if not name:
            return
        from annotator.core.stats import annotator_history

        self.worker.call(lambda s: annotator_history(s, self.actor, name), self._draw_history, self._failed, write=False)

    def _draw_history(self, h) -> None:
        import pyqtgraph as pg

        if self.history_plots is None:
            self.history_plots = [pg.PlotWidget(background="w", title=t) for t in (
                "Gold score per gold item (dots) and running mean of 20 (line)", "Approval rate, cumulative, by day",
                "Items per active hour, by day")]
            for p in self.history_plots:
                self.history_box.addWidget(p)
        gold_plot, approval_plot, speed_plot = self.history_plots
        for p in self.history_plots:
            p.clear()
        scores = [g for _, g in h.gold]
        if scores:
            running = [sum(scores[max(0, i - 19): i + 1]) / len(scores[max(0, i - 19): i + 1]) for i in range(len(scores))]
            gold_plot.plot(list(range(len(scores))), scores, pen=None, symbol="o", symbolSize=5, symbolBrush="#2ca02c")
            gold_plot.plot(list(range(len(scores))), running, pen=pg.mkPen("#2ca02c", width=2))
        if h.approval:
            approval_plot.plot(list(range(len(h.approval))), [r for _, r in h.approval], pen=pg.mkPen("#1f77b4", width=2), symbol="o")
            approval_plot.getAxis("bottom").setTicks([[(i, d[5:]) for i, (d, _) in enumerate(h.approval)]])
        if h.items_per_hour:
            speed_plot.addItem(pg.BarGraphItem(x=list(range(len(h.items_per_hour))), height=[v for _, v in h.items_per_hour],
                                               width=0.6, brush="#ff7f0e"))
            speed_plot.getAxis("bottom").setTicks([[(i, d[5:]) for i, (d, _) in enumerate(h.items_per_hour)]])
        self.status.setText(f"{h.user}: {len(scores)} gold item(s) scored, {len(h.items_per_hour)} working day(s).")
        self.history_shown.emit(h)

    def reinstate_selected(self) -> None:
        rows = self.paused.selectionModel().selectedRows()
        if not rows:
            self.status.setText("Select a paused annotator first.")
            return
        m = self.paused_rows[rows[0].row()]
        self._run(lambda s: quality.reinstate(s, self.actor, m.user, m.project), f"{m.user} is reinstated on {m.project}.")

    def add_user(self, name: str | None = None, password: str | None = None, role: str | None = None) -> None:
        if name is None:
            name, ok = QInputDialog.getText(self, "Add user", "Name:")
            if not ok or not name.strip():
                return
            role, ok = QInputDialog.getItem(self, "Add user", "Role:", ["annotator", "lead", "admin"], 0, False)
            if not ok:
                return
            password, ok = QInputDialog.getText(self, "Add user", "Password:", QLineEdit.EchoMode.Password)
            if not ok:
                return
        self._run(lambda s: users.add_user(s, self.actor, name, password, role or "annotator"), f"Added {name}.")

    def change_role(self, role: str | None = None) -> None:
        u = self._selected_user()
        if u is None:
            return
        if role is None:
            role, ok = QInputDialog.getItem(self, "Role", f"Role of {u.name}:", ["annotator", "lead", "admin"], 0, False)
            if not ok:
                return
        self._run(lambda s: users.set_role(s, self.actor, u.name, role), f"{u.name} is now {role}.")

    def toggle_active(self) -> None:
        u = self._selected_user()
        if u is not None:
            self._run(lambda s: users.set_active(s, self.actor, u.name, not u.active),
                      f"{u.name} is {'deactivated' if u.active else 'active again'}.")

    def reset_password(self, password: str | None = None) -> None:
        u = self._selected_user()
        if u is None:
            return
        if password is None:
            password, ok = QInputDialog.getText(self, "Reset password", f"New password for {u.name}:", QLineEdit.EchoMode.Password)
            if not ok:
                return
        self._run(lambda s: users.set_password(s, self.actor, u.name, password), f"Password of {u.name} reset.")


class AuditWindow(QMainWindow):
    loaded = Signal()

    def __init__(self, actor, worker, parent=None):
        super().__init__(parent)
        self.actor, self.worker = actor, worker
        self.setWindowTitle("Annotator — audit trail")
        self.who = QLineEdit()
        self.who.setPlaceholderText("actor")
        self.action = QLineEdit()
        self.action.setPlaceholderText("action, e.g. review.* or membership.pause")
        self.entity = QComboBox()
        for e in ("", "assignment", "project", "user", "membership"):
            self.entity.addItem(e or "any entity", e or None)
        self.entity_id = QLineEdit()
        self.entity_id.setPlaceholderText("entity id")
        search = QPushButton("Search")
        search.clicked.connect(self.search)
        export = QPushButton("Export CSV…")
        export.clicked.connect(lambda: self.export())
        bar = QHBoxLayout()
        for w in (self.who, self.action, self.entity, self.entity_id, search, export):
            bar.addWidget(w)
        self.table = read_only_table(["id", "time", "actor", "action", "entity", "details"])
        self.status = QLabel()
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.addLayout(bar)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.status)
        self.setCentralWidget(body)
        self.resize(1200, 700)
        self.rows: list = []
        self.search()

    def filters(self) -> dict:
        f = {"actor": self.who.text().strip() or None, "action": self.action.text().strip() or None,
             "entity_type": self.entity.currentData(), "entity_id": self.entity_id.text().strip() or None}
        return {k: v for k, v in f.items() if v}

    def search(self) -> None:
        filters = self.filters()
        self.worker.call(lambda s: audit.list_events(s, self.actor, **filters), self._show,
                         lambda exc: self.status.setText(str(exc)), write=False)

    def _show(self, rows) -> None:
        import json

        self.rows = rows
        _fill(self.table, [[str(r.id), f"{r.at:%Y-%m-%d %H:%M:%S}", r.actor, r.action,
                            f"{r.entity_type} {r.entity_id or ''}", json.dumps(r.details, default=str)[:200]] for r in rows])
        self.status.setText(f"{len(rows)} event(s), newest first" + (" (first 500)" if len(rows) == 500 else ""))
        self.loaded.emit()

    def export(self, path: str | None = None) -> None:
        if path is None:
            path, _ = QFileDialog.getSaveFileName(self, "Export audit events", "audit.csv", "CSV (*.csv)")
            if not path:
                return
        filters = self.filters()
        self.worker.call(lambda s: audit.export_csv(s, self.actor, Path(path), **filters),
                         lambda n: self.status.setText(f"Exported {n} event(s) to {path}."),
                         lambda exc: self.status.setText(str(exc)), write=False)
