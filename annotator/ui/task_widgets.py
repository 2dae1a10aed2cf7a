"""Making a kind's widget, guarded: a kind whose widget this build lacks, or a broken plugin,
gives a message to show in its place, not a crash. The workbench and the review window both
make theirs here."""

from __future__ import annotations

from annotator.tasks import registry
from annotator.ui.task_widget import TaskWidget


def make_task_widget(kind: str, parent) -> tuple[TaskWidget | None, str]:
    """(the widget, "") or (None, why it cannot be shown)."""
    try:
        cls = registry.get(kind).widget_class()
        widget = cls(parent)
    except Exception as exc:  # a kind without a widget in this build, or a broken plugin
        return None, f"This build cannot show {kind} items: {exc}"
    from annotator.config import data_dir

    widget.cache_dir = data_dir() / "envelopes"
    return widget, ""
