"""The review queue's table model: submitted work a page at a time by keyset, read on the worker,
with the queue's full height known at once so the scrollbar can be dragged anywhere."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt, Signal

from annotator.core import review

COLUMNS = ("id", "project", "item", "annotator", "status", "submitted", "gold", "seconds")
PAGE = 200
FIRST_PAGE = 40  # a screenful and a bit: what the lead sees first comes back fastest


def _cells(r: review.ReviewRow) -> tuple[str, ...]:
    """A row's text, formatted once: the view asks for every visible cell on each paint."""
    return (str(r.assignment_id), r.project, r.external_id, r.annotator, r.status,
            f"{r.submitted_at:%Y-%m-%d %H:%M}" if r.submitted_at else "",
            "—" if r.gold_score is None else f"{r.gold_score:.0%}", f"{r.active_seconds:.0f}")


class ReviewModel(QAbstractTableModel):
    """Rows arrive a page at a time from the worker. The first page comes by keyset and shows
    at once; the count follows and gives the table its full height, so the scrollbar can be
    dragged anywhere. A row not loaded yet shows "…" and asks for its page by offset."""

    loaded = Signal()

    def __init__(self, actor, worker, parent=None):
        super().__init__(parent)
        self.actor, self.worker = actor, worker
        self.rows: list[review.ReviewRow | None] = []
        self.cursor = None
        self.done = True
        self.loading = False
        self.total: int | None = None
        self.pending: set[int] = set()  # pages asked for by offset
        self.filters: dict[str, Any] = {}
        self._generation = 0
        self._text: dict[int, tuple[str, ...]] = {}  # row → its formatted cells

    def reload(self, **filters) -> None:
        """Start again with these filters."""
        self.beginResetModel()
        self._text = {}
        self.rows, self.cursor, self.done, self.filters, self.total = [], None, False, filters, None
        self.pending = set()
        self._generation += 1
        self.endResetModel()
        self._fetch()
        generation, actor = self._generation, self.actor
        self.worker.call(lambda s: review.review_count(s, actor, **filters), lambda n: self._counted(generation, n),
                         self._failed, write=False)

    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent=QModelIndex()) -> int:
        return len(COLUMNS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return COLUMNS[section]
        return None

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        # The tooltip is the cell's whole text, for a column too narrow to show it.
        if role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole) or not index.isValid():
            return None
        r = self.rows[index.row()]
        if r is None:
            if role == Qt.ItemDataRole.ToolTipRole:
                return None
            self._want_page(index.row() // PAGE)
            return "…"
        cells = self._text.get(index.row())
        if cells is None:
            cells = self._text[index.row()] = _cells(r)
        return cells[index.column()]

    def canFetchMore(self, parent=QModelIndex()) -> bool:
        return not parent.isValid() and not self.done and not self.loading and self.total is None

    def fetchMore(self, parent=QModelIndex()) -> None:
        self._fetch()

    def _fetch(self) -> None:
        if self.loading or self.done:
            return
        self.loading = True
        generation, cursor, filters, actor = self._generation, self.cursor, dict(self.filters), self.actor
        limit = FIRST_PAGE if cursor is None else PAGE

        def page(s):
            return review.review_queue(s, actor, after=cursor, limit=limit, **filters)

        self.worker.call(page, lambda p: self._arrived(generation, p), self._failed, write=False)

    def _arrived(self, generation: int, page: review.ReviewPage) -> None:
        self.loading = False
        if generation != self._generation:
            return  # the filters changed meanwhile
        if self.total is None and page.rows:
            self.beginInsertRows(QModelIndex(), len(self.rows), len(self.rows) + len(page.rows) - 1)
            self.rows.extend(page.rows)
            self.endInsertRows()
        elif page.rows:  # the count came first: fill the placeholders
            start = next((n for n, r in enumerate(self.rows) if r is None), len(self.rows))
            self._fill(start, page.rows)
        self.cursor, self.done = page.next_cursor, page.next_cursor is None
        self.loaded.emit()

    def _counted(self, generation: int, total: int) -> None:
        if generation != self._generation or total <= len(self.rows):
            if generation == self._generation:
                self.total = total
            return
        self.total = total
        self.beginInsertRows(QModelIndex(), len(self.rows), total - 1)
        self.rows.extend([None] * (total - len(self.rows)))
        self.endInsertRows()
        self.loaded.emit()

    def _want_page(self, number: int) -> None:
        if number in self.pending:
            return
        self.pending.add(number)
        generation, filters, actor = self._generation, dict(self.filters), self.actor

        def page(s):
            return review.review_queue(s, actor, offset=number * PAGE, limit=PAGE, **filters)

        self.worker.call(page, lambda p: self._jumped(generation, number, p), self._failed, write=False)

    def _jumped(self, generation: int, number: int, page: review.ReviewPage) -> None:
        if generation != self._generation:
            return
        self.pending.discard(number)
        self._fill(number * PAGE, page.rows)
        self.loaded.emit()

    def _fill(self, start: int, rows: list) -> None:
        rows = rows[: max(0, len(self.rows) - start)]
        if rows:
            self.rows[start : start + len(rows)] = rows
            for n in range(start, start + len(rows)):
                self._text.pop(n, None)
            self.dataChanged.emit(self.index(start, 0), self.index(start + len(rows) - 1, len(COLUMNS) - 1))

    def _failed(self, exc: Exception) -> None:
        self.loading = False
        self.done = True
        self.loaded.emit()

    def set_status(self, assignment_id: int, status: str) -> None:
        """Update a row in place after a decision: no reload."""
        for n, r in enumerate(self.rows):
            if r is not None and r.assignment_id == assignment_id:
                import dataclasses

                self.rows[n] = dataclasses.replace(r, status=status)
                self._text.pop(n, None)
                self.dataChanged.emit(self.index(n, 0), self.index(n, len(COLUMNS) - 1))
                return
