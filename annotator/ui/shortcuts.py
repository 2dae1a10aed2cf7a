"""Window shortcuts as actions, and the dialog that lists them: one helper for the workbench and
the review window, so a key and the button it presses are declared once."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDialog, QPushButton, QTableWidget, QTableWidgetItem, QVBoxLayout


def add_action(window, text: str, key: str, slot, *, button: QPushButton | None = None,
               extra: tuple[str, ...] = ()) -> QAction:
    """A window-wide shortcut (and its other keys) that runs `slot`, as does `button` if given."""
    action = QAction(text, window)
    action.setShortcuts([QKeySequence(key), *map(QKeySequence, extra)])
    action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
    action.triggered.connect(slot)
    window.addAction(action)
    if button is not None:
        button.clicked.connect(slot)
    return action


def shortcuts_dialog(parent, actions: list[QAction], hints: list[tuple[str, str]]) -> QDialog:
    """Every action's keys, then the hints of keys a widget takes itself (1–9 for labels, say)."""
    dialog = QDialog(parent)
    dialog.setWindowTitle("Keyboard shortcuts")
    rows = [(a.text(), " or ".join(s.toString(QKeySequence.SequenceFormat.NativeText) for s in a.shortcuts()))
            for a in actions] + hints
    table = QTableWidget(len(rows), 2)
    table.setHorizontalHeaderLabels(["Action", "Keys"])
    table.verticalHeader().hide()
    for r, (text, keys) in enumerate(rows):
        table.setItem(r, 0, QTableWidgetItem(text))
        table.setItem(r, 1, QTableWidgetItem(keys))
    table.resizeColumnsToContents()
    layout = QVBoxLayout(dialog)
    layout.addWidget(table)
    dialog.resize(560, 420)
    return dialog
