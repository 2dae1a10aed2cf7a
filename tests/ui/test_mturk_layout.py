"""An MTurk HIT layout as a project's instructions: the workbench shows each item's own ${var}."""

from annotator.core.auth import Actor
from annotator.core.importing import import_items
from annotator.core.projects import update_project
from tests.helpers import make_project, make_user
from tests.ui.desk import close, open_workbench


def test_the_workbench_fills_the_hit_layout_with_the_items_values(qtbot, db, db_url, tmp_path):
    batch = tmp_path / "Batch_input.csv"
    batch.write_text("tweet_text,tweet_author\nrefund please,@ann\n", encoding="utf-8")
    make_project(db, "tweets", config={"labels": ["complaint", "praise"]})
    with db.write() as s:
        import_items(s, Actor.local_operator(), "tweets", batch, mapping={"text": "tweet_text"})
        update_project(s, Actor.local_operator(), "tweets",
                       instructions="<p>Is this tweet by <b>${tweet_author}</b> a complaint?</p>")
    bench, worker = open_workbench(qtbot, db_url, make_user(db, "kim"), project="tweets")
    qtbot.waitUntil(lambda: bench.current is not None, timeout=10_000)
    assert bench.instructions.text() == "<p>Is this tweet by <b>@ann</b> a complaint?</p>"
    close(bench, worker)
