"""The read-only, row-selecting tables the lead and picker windows list things in."""

from __future__ import annotations

from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget


def read_only_table(headers: list[str] | tuple[str, ...], *, stretch_all: bool = True) -> QTableWidget:
    """One row selected at a time, no editing, no row numbers. With `stretch_all` the columns
    share the width; otherwise they keep their own and the caller sizes them."""
    t = QTableWidget(0, len(headers))
    t.setHorizontalHeaderLabels(list(headers))
    t.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    t.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    t.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    t.verticalHeader().hide()
    if stretch_all:
        t.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
    return t
