"""Both windows make a kind's widget the same guarded way: a kind whose widget cannot be made
gives a message in its place, never a crash."""

from annotator.tasks import registry
from annotator.ui.task_widgets import make_task_widget


def test_a_widget_that_cannot_be_made_is_a_message(qtbot, monkeypatch):
    kind = registry.get("text_categories")

    def broken():
        raise ImportError("No module named 'a_missing_dependency'")

    monkeypatch.setattr(kind, "widget_class", broken)
    widget, why = make_task_widget("text_categories", None)
    assert widget is None and why == ("This build cannot show text_categories items: "
                                      "No module named 'a_missing_dependency'")
    monkeypatch.undo()
    widget, why = make_task_widget("text_categories", None)
    qtbot.addWidget(widget)
    assert why == "" and widget.cache_dir is not None and widget.cache_dir.name == "envelopes"
