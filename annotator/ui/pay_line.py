"""The workbench's line of pay: what approved work earned today, and how much waits for review.
Read on the worker after each hand-in; hidden on a project that pays nothing."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel

from annotator.core.money import shown
from annotator.core.workspace import today_pay


class PayLine(QLabel):
    def __init__(self, actor, worker, project_id: int, parent=None):
        super().__init__(parent)
        self.actor, self.worker, self.project_id = actor, worker, project_id
        self.setObjectName("pay")
        self.hide()

    def refresh(self) -> None:
        self.worker.call(lambda s: today_pay(s, self.actor, self.project_id), self._show, self._failed, write=False)

    def _show(self, today) -> None:
        if today is None:
            self.hide()
            return
        waiting = f" (+{today.pending} waiting for review)" if today.pending else ""
        self.setText(f"Earned today {shown(today.earned, today.currency)}{waiting}")
        self.setToolTip("Approved work earns its reward; work waiting for review earns when it is approved.")
        self.show()

    def _failed(self, exc: Exception) -> None:  # an offline bundle has no pay: nothing to show
        self.hide()
