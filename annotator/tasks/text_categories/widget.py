"""Text categories: the text, readable (wrapped, scrollable, right-to-left aware), and a button
per label with number keys 1–9; a search box finds labels in long lists."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut, QUndoCommand
from PySide6.QtWidgets import (
    QGridLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from annotator.ui.task_widget import TaskWidget


class _Select(QUndoCommand):
    def __init__(self, widget: "TextCategoriesWidget", before: set[str], after: set[str]):
        super().__init__(f"select {', '.join(sorted(after)) or 'nothing'}")
        self.widget, self.before, self.after = widget, before, after

    def redo(self) -> None:
        self.widget._apply(self.after)

    def undo(self) -> None:
        self.widget._apply(self.before)


class TextCategoriesWidget(TaskWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.labels: list[str] = []
        self.multi = False
        self.selected: set[str] = set()
        self.prediction: set[str] = set()
        self.buttons: dict[str, QPushButton] = {}

        self.text = QTextBrowser()
        self.text.setObjectName("itemText")
        self.text.setOpenLinks(False)
        self.text.setLineWrapMode(QTextBrowser.LineWrapMode.WidgetWidth)
        self.model_note = QLabel()
        self.model_note.setObjectName("modelNote")
        self.model_note.hide()
        self.overlay = QLabel()
        self.overlay.setObjectName("overlay")
        self.overlay.setWordWrap(True)
        self.overlay.hide()
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search labels (Ctrl+F), Enter picks the first match")
        self.search.textChanged.connect(self._filter)
        self.search.returnPressed.connect(self._pick_first_match)
        self.grid = QGridLayout()
        self.grid.setSpacing(6)
        buttons = QWidget()
        buttons.setLayout(self.grid)

        layout = QVBoxLayout(self)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.model_note)
        layout.addWidget(self.overlay)
        layout.addWidget(self.search)
        layout.addWidget(buttons)
        for n in range(1, 10):
            QShortcut(QKeySequence(str(n)), self, activated=lambda n=n: self._press_number(n),
                      context=Qt.ShortcutContext.WidgetWithChildrenShortcut)
        QShortcut(QKeySequence("Ctrl+F"), self, activated=self.search.setFocus,
                  context=Qt.ShortcutContext.WidgetWithChildrenShortcut)

    # ---- TaskWidget -------------------------------------------------------------------------------

    def load(self, item: Any, media_root: str | None = None) -> None:
        config = item.config
        if config.get("labels") != self.labels or bool(config.get("multi")) != self.multi:
            self._build_buttons(list(config.get("labels", [])), bool(config.get("multi")))
        self.text.setPlainText(item.payload.get("text", ""))
        self.text.verticalScrollBar().setValue(0)
        self.prediction = self._as_set(item.prediction) if item.prediction else set()
        if self.prediction:
            conf = f" ({item.confidence:.0%} sure)" if item.confidence is not None else ""
            self.model_note.setText(f"Model suggests: {', '.join(sorted(self.prediction))}{conf} — preselected, check it")
            self.model_note.show()
        else:
            self.model_note.hide()
        self.clear_overlay()
        self.undo_stack.clear()
        start = self._as_set(item.draft) if item.draft else set(self.prediction)
        self._apply(start)
        self.search.clear()

    def answer(self) -> dict[str, Any]:
        if self.multi:
            return {"labels": [l for l in self.labels if l in self.selected]}
        return {"label": next(iter(self.selected))} if self.selected else {}

    def set_answer(self, answer: dict[str, Any] | None) -> None:
        self._apply(self._as_set(answer) if answer else set())

    def set_read_only(self, read_only: bool) -> None:
        super().set_read_only(read_only)
        for b in self.buttons.values():
            b.setEnabled(not read_only)
        self.search.setEnabled(not read_only)

    def show_overlay(self, overlays: list[tuple[str, dict[str, Any], str]]) -> None:
        if not overlays:
            self.overlay.hide()
            return
        parts = []
        for who, answer, colour in overlays:
            chosen = ", ".join(sorted(self._as_set(answer))) or "nothing"
            parts.append(f'<span style="color:{colour}"><b>{who}:</b> {chosen}</span>')
        self.overlay.setText("<br>".join(parts))
        self.overlay.show()

    # ---- labels -----------------------------------------------------------------------------------

    def _as_set(self, answer: dict[str, Any] | None) -> set[str]:
        if not answer:
            return set()
        if "labels" in answer:
            return set(answer["labels"])
        return {answer["label"]} if answer.get("label") else set()

    def _build_buttons(self, labels: list[str], multi: bool) -> None:
        for b in self.buttons.values():
            b.deleteLater()
        self.buttons.clear()
        self.labels, self.multi = labels, multi
        columns = 3 if len(labels) > 6 else 2
        for n, label in enumerate(labels):
            key = f"{n + 1}  " if n < 9 else ""
            b = QPushButton(f"{key}{label}")
            b.setCheckable(True)
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            b.setProperty("label", label)
            b.clicked.connect(lambda _=False, label=label: self.toggle(label))
            self.grid.addWidget(b, n // columns, n % columns)
            self.buttons[label] = b
        self.search.setVisible(len(labels) > 9)

    def toggle(self, label: str) -> None:
        if self.read_only or label not in self.buttons:
            return
        before = set(self.selected)
        if self.multi:
            after = before ^ {label}
        else:
            after = set() if before == {label} else {label}
        self.undo_stack.push(_Select(self, before, after))
        self.changed.emit()

    def _apply(self, selection: set[str]) -> None:
        self.selected = set(selection)
        for label, b in self.buttons.items():
            b.setChecked(label in self.selected)
            b.setProperty("predicted", label in self.prediction)
            b.style().unpolish(b)
            b.style().polish(b)

    def _press_number(self, n: int) -> None:
        if self.search.hasFocus():
            return
        visible = [l for l in self.labels if self.buttons[l].isVisible()] if self.search.text() else self.labels
        if n <= len(visible):
            self.toggle(visible[n - 1])

    def _filter(self, text: str) -> None:
        needle = text.strip().lower()
        for label, b in self.buttons.items():
            b.setVisible(not needle or needle in label.lower())

    def _pick_first_match(self) -> None:
        for label in self.labels:
            if self.buttons[label].isVisible():
                self.toggle(label)
                self.search.clear()
                self.setFocus()
                return
