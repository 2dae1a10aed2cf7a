"""The workbench's window, without its behaviour: the banners, the header (lease, active time,
today's count and pay, the instructions), the item's place, the buttons, the File menu and the
keyboard shortcuts. workbench.py drives it."""

from __future__ import annotations

import time
from datetime import datetime, timezone

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QHBoxLayout, QLabel, QMainWindow, QPushButton, QStackedWidget, QToolButton, QVBoxLayout, QWidget,
)

from annotator.core.workspace import ProjectCard
from annotator.ui.media_retry import MediaRetry
from annotator.ui.pay_line import PayLine
from annotator.ui.shortcuts import add_action, shortcuts_dialog

LEASE_WARNING_SECONDS = 120


class InputWatcher(QObject):
    """Notes the time of the last keyboard or mouse input anywhere in the app."""

    INPUT = {QEvent.Type.KeyPress, QEvent.Type.MouseButtonPress, QEvent.Type.MouseMove, QEvent.Type.Wheel}

    def __init__(self):
        super().__init__()
        self.last = time.monotonic()

    def eventFilter(self, obj, event) -> bool:
        if event.type() in self.INPUT:
            self.last = time.monotonic()
        return False


class WorkbenchView(QMainWindow):
    closed_to = Signal(str)  # "picker", "login" or "quit": where the person goes next

    def __init__(self, actor, card: ProjectCard, worker, parent=None):
        super().__init__(parent)
        self.actor, self.card, self.worker = actor, card, worker
        self.leaving_to = "picker"  # the window's own close button: back to the projects
        self.today = 0
        self.setWindowTitle(f"Annotator — {card.name} — {actor.name}")

        self.banner = QLabel()
        self.banner.setObjectName("banner")
        self.banner.setWordWrap(True)
        self.banner.hide()
        self.media_retry = MediaRetry(self)
        self.offline_banner = QLabel()
        self.offline_banner.setObjectName("offlineBanner")
        self.offline_banner.setWordWrap(True)
        self.offline_banner.hide()
        # Lasting: an answer not submitted, or a journal that cannot be written. The next item's
        # display must not wipe it out, as it would a status line.
        self.warning = QLabel()
        self.warning.setObjectName("banner")
        self.warning.setWordWrap(True)
        self.warning.hide()
        title = QLabel(card.name)
        title.setObjectName("title")
        self.lease_label = QLabel()
        self.active_label = QLabel()
        self.today_label = QLabel()
        self.pay_line = PayLine(actor, worker, card.project_id)
        header = QHBoxLayout()
        header.addWidget(title)
        header.addStretch(1)
        for w in (self.lease_label, self.active_label, self.today_label, self.pay_line):
            header.addWidget(w)
            header.addSpacing(16)
        self.instructions_button = QToolButton()
        self.instructions_button.setText("▸ Instructions (F2)")
        self.instructions_button.setCheckable(True)
        self.instructions_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.instructions = QLabel(card.instructions or "No instructions for this project.")
        self.instructions.setObjectName("instructions")
        self.instructions.setWordWrap(True)
        self.instructions.setVisible(False)
        self.instructions_button.toggled.connect(self._toggle_instructions)

        self.stack = QStackedWidget()
        self.message = QLabel("Claiming an item…")
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setWordWrap(True)
        self.stack.addWidget(self.message)

        self.submit_button = QPushButton("Submit  (Ctrl+Enter)")
        self.submit_button.setObjectName("primary")
        self.skip_button = QPushButton("Skip")
        self.release_button = QPushButton("Release")
        self.extend_button = QPushButton("Extend time")
        self.status = QLabel()
        self.status.setWordWrap(True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.status, 1)
        for b in (self.extend_button, self.release_button, self.skip_button, self.submit_button):
            buttons.addWidget(b)

        body = QWidget()
        layout = QVBoxLayout(body)
        layout.addWidget(self.banner)
        layout.addWidget(self.offline_banner)
        layout.addWidget(self.warning)
        layout.addLayout(header)
        layout.addWidget(self.instructions_button, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.instructions)
        layout.addWidget(self.stack, 1)
        layout.addLayout(buttons)
        self.setCentralWidget(body)
        self.actions_list: list[QAction] = []
        self._shortcut_hints = [("Pick label 1–9", "1 … 9"), ("Search labels", "Ctrl+F"), ("Play / pause audio", "Ctrl+Space"),
                                ("Seek audio ∓2 s", "Ctrl+← / Ctrl+→")]

    def _action(self, text: str, key: str, slot, button: QPushButton | None = None, extra: tuple[str, ...] = ()) -> None:
        self.actions_list.append(add_action(self, text, key, slot, button=button, extra=extra))

    def _file_menu(self) -> None:
        menu = self.menuBar().addMenu("&File")
        self.open_bundle_action = menu.addAction("Open offline bundle…", QKeySequence("Ctrl+O"), self.choose_bundle)
        self.checkin_action = menu.addAction("Check in…", self.check_in)
        self.checkin_action.setEnabled(False)
        menu.addSeparator()
        # Close goes back to the project picker; Log out and Quit are their own choices.
        menu.addAction("Close project", QKeySequence("Ctrl+W"), lambda: self.leave("picker"))
        menu.addAction("Log out", lambda: self.leave("login"))
        menu.addAction("Quit", QKeySequence("Ctrl+Q"), lambda: self.leave("quit"))

    def leave(self, to: str) -> None:
        """Close the window; `closed_to` tells the app where the person goes: "picker",
        "login" or "quit"."""
        self.leaving_to = to
        self.close()

    def show_times(self, current, active_seconds: float) -> None:
        """The active-time clock, and the lease's countdown (a warning near its end)."""
        self.active_label.setText(f"Active {clock(active_seconds)}")
        if current is None:
            self.lease_label.setText("")
            return
        left = (current.lease_until - datetime.now(timezone.utc)).total_seconds()
        if left <= 0:
            self.lease_label.setText("Time limit passed — submit soon or extend")
            self.lease_label.setObjectName("leaseWarning")
        else:
            self.lease_label.setText(f"Time left {clock(left)}")
            self.lease_label.setObjectName("leaseWarning" if left < LEASE_WARNING_SECONDS else "")
        self.lease_label.style().unpolish(self.lease_label)
        self.lease_label.style().polish(self.lease_label)

    def _set_today(self, n: int) -> None:
        self.today = n
        self.today_label.setText(f"Today {n}")

    def _set_buttons(self, on: bool) -> None:
        for b in (self.submit_button, self.skip_button, self.release_button, self.extend_button):
            b.setEnabled(on)

    def _toggle_instructions(self, on: bool) -> None:
        self.instructions.setVisible(on)
        self.instructions_button.setText(("▾" if on else "▸") + " Instructions (F2)")

    # ---- connection --------------------------------------------------------------------------

    def _connection_lost(self, reason: str) -> None:
        self.banner.setText(f"Connection to the database lost ({reason}). Reconnecting… "
                            "Your work stays here and on this computer, and is sent when the connection is back.")
        self.banner.show()

    def _connection_restored(self) -> None:
        self.banner.hide()

    # ---- shortcuts --------------------------------------------------------------------------

    def show_shortcuts(self) -> None:
        self.shortcuts_dialog = shortcuts_dialog(self, self.actions_list, self._shortcut_hints)
        self.shortcuts_dialog.show()


def clock(seconds: float) -> str:
    seconds = max(0, int(seconds))
    if seconds >= 86400:  # an offline lease: days, not 167 hours
        d, rest = divmod(seconds, 86400)
        return f"{d} d {rest // 3600} h"
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"
