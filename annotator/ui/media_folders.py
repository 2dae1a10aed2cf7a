"""The log-in window's Media folders: where this desktop mounts each project's shared media
folder, the same setting as `annotator media map`. Kept in this desktop's data folder, never in
the database, and open before log-in: a desktop that cannot find its media should not need the
database to say where they are."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from annotator.errors import AnnotatorError
from annotator.media.desktop import folder_maps, map_folder
from annotator.media.store import normalize_url


class MediaFoldersDialog(QDialog):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Media folders on this desktop")
        intro = QLabel("A project whose media are on a shared folder names the folder as the lead's desktop sees it. "
                       "Where this desktop mounts the same folder elsewhere, say where.")
        intro.setWordWrap(True)
        self.table = QTableWidget(0, 2)
        self.table.setHorizontalHeaderLabels(["The project's folder", "On this desktop"])
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.store = QLineEdit()
        self.store.setPlaceholderText("file:///srv/share/media, or the folder as the project gives it")
        self.local = QLineEdit()
        self.local.setPlaceholderText("where it is mounted here")
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        local_row = QHBoxLayout()
        local_row.addWidget(self.local, 1)
        local_row.addWidget(browse)
        form = QFormLayout()
        form.addRow("Project's folder", self.store)
        form.addRow("Mounted here at", local_row)
        self.add_button = QPushButton("Add")
        self.add_button.clicked.connect(self.add)
        self.remove_button = QPushButton("Remove")
        self.remove_button.clicked.connect(self.remove_selected)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.add_button)
        row.addWidget(self.remove_button)
        self.error = QLabel()
        self.error.setObjectName("error")
        self.error.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.table, 1)
        layout.addLayout(form)
        layout.addLayout(row)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.resize(720, 360)
        self._fill()

    def _fill(self) -> None:
        maps = folder_maps()
        self.table.setRowCount(len(maps))
        for n, (store, local) in enumerate(sorted(maps.items())):
            self.table.setItem(n, 0, QTableWidgetItem(store))
            self.table.setItem(n, 1, QTableWidgetItem(local))

    def _browse(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Where this desktop mounts the folder", self.local.text())
        if path:
            self.local.setText(path)

    def add(self) -> None:
        store, local = self.store.text().strip(), self.local.text().strip()
        if store.startswith("s3://"):
            self.error.setText(f"{store} is object storage: this desktop reaches it through its AWS configuration, "
                               "and needs no folder.")
            return
        if not store or not local:
            self.error.setText("Give the project's folder and where it is mounted on this desktop.")
            return
        try:
            map_folder(normalize_url(store), local)
        except (AnnotatorError, OSError) as exc:
            self.error.setText(str(exc))
            return
        self.error.setText("")
        self.store.clear()
        self.local.clear()
        self._fill()

    def remove_selected(self) -> None:
        for row in sorted({i.row() for i in self.table.selectedIndexes()}, reverse=True):
            map_folder(self.table.item(row, 0).text(), None)
        self._fill()
