"""Projects for leads: create and edit (the task kind checks the configuration), and import and
export that run on the background worker with a progress bar and a Cancel that undoes all."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QMainWindow,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from annotator.core.export_formats import FORMATS as EXPORT_FORMATS
from annotator.core.pay import set_pay
from annotator.core.projects import ProjectSpec, create_project, list_projects, update_project
from annotator.formats.sources import IMPORT_FORMATS
from annotator.errors import AnnotatorError
from annotator.tasks import registry
from annotator.ui.pay_fields import PayFields
from annotator.ui.worker import ITEMS, WORK


class Cancelled(AnnotatorError):
    pass


class ProjectDialog(QDialog):
    saved = Signal(object)  # ProjectInfo

    def __init__(self, actor, worker, project=None, parent=None):
        super().__init__(parent)
        self.actor, self.worker, self.project = actor, worker, project
        self.setWindowTitle("Edit project" if project else "New project")
        self.name = QLineEdit(project.name if project else "")
        self.kind = QComboBox()
        for name in registry.names():
            self.kind.addItem(name.replace("_", " "), name)
        self.labels = QLineEdit(", ".join(project.config.get("labels", [])) if project else "")
        self.labels.setPlaceholderText("comma-separated, e.g. cat, dog, bird")
        self.overlap = QSpinBox(minimum=1, maximum=20, value=project.overlap if project else 1)
        self.gold_rate = QDoubleSpinBox(minimum=0, maximum=1, singleStep=0.05, value=project.gold_rate if project else 0.0)
        self.min_gold = QDoubleSpinBox(minimum=0, maximum=1, singleStep=0.05,
                                       value=(project.min_gold_accuracy or 0.0) if project else 0.0)
        self.min_gold.setSpecialValueText("none")
        self.min_approval = QDoubleSpinBox(minimum=0, maximum=1, singleStep=0.05,
                                           value=(project.min_approval_rate or 0.0) if project else 0.0)
        self.min_approval.setSpecialValueText("none")
        self.review = QComboBox()
        for p in ("none", "sample", "all"):
            self.review.addItem(p, p)
        self.sample = QDoubleSpinBox(minimum=0, maximum=1, singleStep=0.05, value=project.review_sample if project else 0.1)
        self.auto_hours = QSpinBox(minimum=0, maximum=24 * 60, value=(project.auto_approve_seconds // 3600) if project else 72)
        self.lease_minutes = QSpinBox(minimum=1, maximum=24 * 60, value=(project.lease_seconds // 60) if project else 30)
        self.training = QCheckBox("Show the correct answer after a gold item (training)")
        self.instructions = QPlainTextEdit(project.instructions if project else "")
        self.media_store = QLineEdit((project.media_store or "") if project else "")
        self.media_store.setPlaceholderText("s3://bucket/prefix, or a shared folder; empty: files by path")
        if project:  # moving the files is an admin's `annotator media migrate`, not an edit
            self.media_store.setReadOnly(True)
            self.media_store.setToolTip("An admin moves a project's media with `annotator media migrate`.")
        if project:
            self.kind.setCurrentIndex(self.kind.findData(project.kind))
            self.kind.setEnabled(False)  # a project's kind cannot change
            self.review.setCurrentIndex(self.review.findData(project.review_policy))
            self.training.setChecked(project.training_mode)
        form = QFormLayout()
        for label, w in (("Name", self.name), ("Kind", self.kind), ("Labels", self.labels), ("Answers per item", self.overlap),
                         ("Gold rate", self.gold_rate), ("Minimum gold accuracy", self.min_gold),
                         ("Minimum approval rate", self.min_approval), ("Review", self.review), ("Review sample", self.sample),
                         ("Auto-approve after (hours)", self.auto_hours), ("Time limit (minutes)", self.lease_minutes),
                         ("", self.training), ("Media store", self.media_store), ("Instructions", self.instructions)):
            form.addRow(label, w)
        self.pay = PayFields(worker, project.id if project else None)
        self.error = QLabel()
        self.error.setObjectName("error")
        self.error.setWordWrap(True)
        save = QPushButton("Save")
        save.setObjectName("primary")
        save.clicked.connect(self.save)
        columns = QHBoxLayout()
        columns.addLayout(form, 3)
        columns.addWidget(self.pay, 2, Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(self)
        layout.addLayout(columns)
        layout.addWidget(self.error)
        layout.addWidget(save, 0, Qt.AlignmentFlag.AlignRight)

    def values(self) -> dict:
        kind = self.kind.currentData()
        config = dict(self.project.config) if self.project else {}
        labels = [l.strip() for l in self.labels.text().split(",") if l.strip()]
        if labels or kind != "transcription":
            config["labels"] = labels
        return {
            "name": self.name.text().strip(), "kind": kind, "config": config, "overlap": self.overlap.value(),
            "gold_rate": self.gold_rate.value(), "min_gold_accuracy": self.min_gold.value() or None,
            "min_approval_rate": self.min_approval.value() or None, "review_policy": self.review.currentData(),
            "review_sample": self.sample.value(), "auto_approve_seconds": self.auto_hours.value() * 3600,
            "lease_seconds": self.lease_minutes.value() * 60, "training_mode": self.training.isChecked(),
            "instructions": self.instructions.toPlainText().strip(),
            **({} if self.project else {"media_store": self.media_store.text().strip() or None}),
        }

    def save(self) -> None:
        values, pay = self.values(), self.pay.values()
        if self.project:
            values.pop("kind")

        def fn(s):  # the project and its pay in one transaction: both saved, or neither
            if self.project:
                info = update_project(s, self.actor, self.project.id, **values)
            else:
                info = create_project(s, self.actor, ProjectSpec(**values))
            if pay is not None:
                set_pay(s, self.actor, info.name, **pay)
            return info
        self.worker.call(fn, self._saved, lambda exc: self.error.setText(str(exc)))

    def _saved(self, info) -> None:
        self.saved.emit(info)
        self.accept()


class _Progress(QObject):
    """Carries progress from the worker thread to the dialog (a queued signal)."""

    step = Signal(int, int, str)


class TransferDialog(QDialog):
    """Import into, or export from, one project on the worker, with progress and Cancel.
    A cancelled import is rolled back whole; a cancelled export leaves no file."""

    finished_with = Signal(str)

    def __init__(self, actor, worker, project_name: str, mode: str, parent=None):
        super().__init__(parent)
        self.actor, self.worker, self.project_name, self.mode = actor, worker, project_name, mode
        self.setWindowTitle(f"{'Import into' if mode == 'import' else 'Export'} {project_name}")
        self.path = QLineEdit()
        browse = QPushButton("Choose…")
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.path, 1)
        row.addWidget(browse)
        self.take = QComboBox()  # what the source's answers become: the core's names, in words
        for words, take in (("predictions for annotators to check", "predictions"), ("gold answers", "gold"),
                            ("its annotators' answers, for review (Label Studio)", "answers")):
            self.take.addItem(words, take)
        self.annotators = QLineEdit()
        self.annotators.setPlaceholderText("Label Studio: who each annotator is here, as hakan@example.com=hakan")
        self.format = QComboBox()  # the core's names; the import's first entry is "detect it"
        self.format.addItems(["detect", *IMPORT_FORMATS, "mturk-results"] if mode == "import"
                             else ["jsonl", "csv", "mturk", *EXPORT_FORMATS])
        self.holds = QComboBox()  # what a COCO, YOLO, VOC, Label Studio or subtitle export holds for each item
        self.holds.addItems(["best", "approved", "consensus", "all", "gold"])
        self.holds.setToolTip("best: the approved answer, or else the consensus")
        self.images = QLineEdit()
        self.images.setPlaceholderText("COCO: the images' folder, if not beside the file")
        self.mapping = QLineEdit()
        self.mapping.setPlaceholderText("MTurk batch input: field=column, as image=image_url")
        self.bar = QProgressBar()
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.start_button = QPushButton("Import" if mode == "import" else "Export")
        self.start_button.setObjectName("primary")
        self.start_button.clicked.connect(self.start)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.start_button)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("A folder (media, Pascal VOC or YOLO), a COCO or Label Studio .json, an .srt or "
                                ".vtt, or a CSV (MTurk's too) or JSONL file" if mode == "import" else "Export to"))
        layout.addLayout(row)
        options = QFormLayout()
        options.addRow("Format", self.format)
        if mode == "import":
            options.addRow("Its answers come in as", self.take)
            options.addRow("Annotators", self.annotators)
            options.addRow("Images", self.images)
            options.addRow("Columns", self.mapping)
        else:
            options.addRow("Each item holds", self.holds)
        layout.addLayout(options)
        layout.addWidget(self.bar)
        layout.addWidget(self.message)
        layout.addLayout(buttons)
        self.resize(620, 220)
        self._cancel = False
        self._running = False
        self.progress = _Progress()
        self.progress.step.connect(self._step)

    def _browse(self) -> None:
        if self.mode == "import":
            path = QFileDialog.getExistingDirectory(self, "Folder to import") or QFileDialog.getOpenFileName(
                self, "File to import", "", "Items (*.csv *.jsonl *.json)")[0]
        else:
            fmt = self.format.currentText()
            suffix = {"coco": "json", "labelstudio": "json", "mturk": "csv"}.get(fmt, fmt)
            folder = fmt in ("yolo", "voc", "srt", "vtt")
            suggested = f"{self.project_name}-{fmt}" if folder else f"{self.project_name}.{suffix}"
            path = QFileDialog.getSaveFileName(self, "Export to", suggested)[0]
        if path:
            self.path.setText(path)

    def start(self) -> None:
        path = self.path.text().strip()
        if not path:
            self.message.setText("Choose a file or folder first.")
            return
        self._cancel, self._running = False, True
        self.start_button.setEnabled(False)
        self.message.setText("Working…")
        emit = self.progress.step.emit

        def report(done: int, total: int, what: str) -> None:
            if self._cancel:
                raise Cancelled("Cancelled: nothing was changed.")
            emit(done, total, what)

        actor, name, take, fmt = self.actor, self.project_name, self.take.currentData(), self.format.currentText()
        holds, images = self.holds.currentText(), self.images.text().strip() or None
        pairs = [p.strip() for p in self.mapping.text().split(",") if p.strip()]
        people = [p.strip() for p in self.annotators.text().split(",") if p.strip()]
        if self.mode == "import":
            from annotator.core.importing import import_into
            from annotator.core.mturk_results import apply_mturk_decisions
            from annotator.formats.mturk import looks_like_results

            def job(db):  # the media are uploaded before the write transaction begins
                source = Path(path)
                if fmt == "mturk-results" or (fmt == "detect" and looks_like_results(source)):
                    with db.write() as s:  # one transaction: every mark of the file, or none
                        done = apply_mturk_decisions(s, actor, name, source)
                    return (f"Approved {done.approved} and rejected {done.rejected} assignment(s); "
                            f"{done.unchanged} already so.")
                from annotator.core.imported_answers import parse_annotators
                from annotator.formats.mturk import parse_mapping

                r = import_into(db, actor, name, source, gold=take == "gold", progress=report,
                                fmt=None if fmt == "detect" else fmt, images=Path(images) if images else None,
                                mapping=parse_mapping(pairs, path) or None, answers=take == "answers",
                                annotators=parse_annotators(people, path))
                notes = "".join(f" Note: {note}." for note in r.notes)
                handed = f", with {r.answers} answer(s) by their annotators for review" if r.answers else ""
                return f"Imported {r.added} item(s){handed}; {r.already_present} already present.{notes}"
            self.worker.call_db(job, self._done, self._failed, announces={ITEMS, WORK})
        elif fmt == "mturk":
            from annotator.core.mturk_results import export_mturk_results

            def results(db):
                return f"Exported {export_mturk_results(db, actor, name, Path(path), progress=report)} assignment(s) to {path}."
            self.worker.call_db(results, self._done, self._failed)
        elif fmt in ("coco", "yolo", "voc", "labelstudio", "srt", "vtt"):
            from annotator.core.export_formats import export_as

            def boxes(db):
                count = export_as(db, actor, name, Path(path), fmt, holds=holds, progress=report)
                return f"Exported {count} item(s) to {path}."
            self.worker.call_db(boxes, self._done, self._failed)
        else:
            from annotator.core.exporting import export_from

            def rows(db):
                return f"Exported {export_from(db, actor, name, Path(path), fmt, progress=report)} item(s) to {path}."
            self.worker.call_db(rows, self._done, self._failed)

    def _step(self, done: int, total: int, what: str) -> None:
        self.bar.setMaximum(max(total, 1))
        self.bar.setValue(done)
        self.message.setText(what[-80:])

    def cancel(self) -> None:
        if self._running:
            self._cancel = True
        else:
            self.reject()

    def _done(self, message: str) -> None:
        self._running = False
        self.start_button.setEnabled(True)
        self.bar.setValue(self.bar.maximum())
        self.message.setText(message)
        self.finished_with.emit(message)

    def _failed(self, exc: Exception) -> None:
        self._running = False
        self.start_button.setEnabled(True)
        self.message.setText(str(exc))
        self.finished_with.emit(str(exc))


class ProjectsWindow(QMainWindow):
    def __init__(self, actor, worker, parent=None):
        super().__init__(parent)
        self.actor, self.worker = actor, worker
        self.setWindowTitle("Annotator — projects")
        self.list = QListWidget()
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.projects: list = []
        buttons = QHBoxLayout()
        for text, slot in (("New…", self.new), ("Edit…", self.edit), ("Import…", lambda: self.transfer("import")),
                           ("Export…", lambda: self.transfer("export"))):
            b = QPushButton(text)
            b.clicked.connect(slot)
            buttons.addWidget(b)
        buttons.addStretch(1)
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.addWidget(self.list, 1)
        layout.addLayout(buttons)
        self.setCentralWidget(body)
        self.resize(700, 420)
        self.refresh()

    def refresh(self) -> None:
        self.worker.call(lambda s: list_projects(s, self.actor), self._show, write=False)

    def _show(self, projects) -> None:
        self.projects = projects
        self.list.clear()
        for p in projects:
            self.list.addItem(f"{p.name}  ·  {p.kind.replace('_', ' ')}  ·  {p.item_count} items  ·  overlap {p.overlap}")

    def selected(self):
        row = self.list.currentRow()
        return self.projects[row] if 0 <= row < len(self.projects) else None

    def new(self) -> ProjectDialog:
        self.dialog = ProjectDialog(self.actor, self.worker, parent=self)
        self.dialog.saved.connect(lambda _: self.refresh())
        self.dialog.show()
        return self.dialog

    def edit(self) -> ProjectDialog | None:
        p = self.selected()
        if p is None:
            return None
        self.dialog = ProjectDialog(self.actor, self.worker, p, parent=self)
        self.dialog.saved.connect(lambda _: self.refresh())
        self.dialog.show()
        return self.dialog

    def transfer(self, mode: str) -> TransferDialog | None:
        p = self.selected()
        if p is None:
            return None
        self.dialog = TransferDialog(self.actor, self.worker, p.name, mode, parent=self)
        self.dialog.finished_with.connect(lambda _: self.refresh())
        self.dialog.show()
        return self.dialog
