"""Refilling a choice list without each item it passes through counting as the person's choice."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox


def refill(combo: QComboBox, texts: list[str]) -> None:
    """Replace the choices; the first is selected, and no change signal fires on the way."""
    combo.blockSignals(True)
    combo.clear()
    combo.addItems(texts)
    combo.blockSignals(False)
