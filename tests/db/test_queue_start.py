"""Where a claim starts its search. On PostgreSQL the app's claims start just after the item the
same user last took (queue_pg.Hint), to skip the claimed items' dead index entries; every
change that can open an item up behind that point bumps the project's queue epoch, which sends
the next claim back to the front. These tests hold the claim order to its rule (priority, then
uncertainty, then id) through such changes, on both backends."""

import json

import pytest
from sqlalchemy import select, text

from annotator.core import queue, queue_direct
from annotator.core.predictions import import_predictions
from annotator.core.projects import update_project
from annotator.db.models import Item, Project
from annotator.errors import NothingLeft
from tests.helpers import (add_texts, connected_as, copy_plain_items, index_scan_pages, make_project, make_user,
                           open_slots)


def predict(db, operator, tmp_path, confidences: dict[str, float], name="preds.jsonl"):
    path = tmp_path / name
    path.write_text("\n".join(json.dumps({"external_id": k, "prediction": {"label": "b"}, "confidence": c})
                              for k, c in confidences.items()) + "\n", encoding="utf-8")
    with db.write() as s:
        import_predictions(s, operator, "p", path)


def texts(n: int, **extra) -> list[dict]:
    return [{"id": f"i{k}", "text": f"text {k}", **extra} for k in range(n)]


def submit_and_next(db, user, claimed):
    done = queue_direct.submit_and_claim(connected_as(db, user), user, claimed.assignment_id, {"label": "a"}, 1.0, "p")
    assert done.outcome.accepted
    return done.next


def epoch(db) -> int:
    with db.read() as s:
        return s.scalar(select(Project.queue_epoch).where(Project.name == "p"))


def test_a_skipped_item_behind_where_claims_start_comes_next(db, operator, tmp_path):
    make_project(db, "p")
    add_texts(db, operator, texts(6), tmp_path)
    ann, bob = make_user(db, "ann"), make_user(db, "bob")
    bobs = queue_direct.claim(connected_as(db, bob), bob, "p")  # i0
    first = queue_direct.claim(connected_as(db, ann), ann, "p")  # i1
    ahead = submit_and_next(db, ann, first)  # i2: ann's claims now start after it
    assert (bobs.external_id, first.external_id, ahead.external_id) == ("i0", "i1", "i2")
    before = epoch(db)
    with connected_as(db, bob).write() as s:
        queue.skip(s, bob, bobs.assignment_id)  # i0 is open again, ahead of where ann's claims start
    assert submit_and_next(db, ann, ahead).external_id == "i0"
    assert epoch(db) == before + 1
    cat = make_user(db, "cat")
    assert queue_direct.claim(connected_as(db, cat), cat, "p").external_id == "i3"


def test_items_imported_with_a_higher_priority_come_next(db, operator, tmp_path):
    make_project(db, "p")
    add_texts(db, operator, texts(4), tmp_path)
    ann = make_user(db, "ann")
    current = queue_direct.claim(connected_as(db, ann), ann, "p")
    current = submit_and_next(db, ann, current)
    assert current.external_id == "i1"
    add_texts(db, operator, [{"id": "urgent", "text": "now", "priority": 5}], tmp_path, name="urgent.jsonl")
    assert submit_and_next(db, ann, current).external_id == "urgent"
    bob = make_user(db, "bob")
    assert queue_direct.claim(connected_as(db, bob), bob, "p").external_id == "i2"


def test_new_predictions_reorder_the_queue_at_once(db, operator, tmp_path):
    make_project(db, "p")
    add_texts(db, operator, texts(5), tmp_path)
    predict(db, operator, tmp_path, {"i0": 0.5, "i1": 0.6, "i2": 0.7, "i3": 0.8, "i4": 0.9})
    ann = make_user(db, "ann")
    current = submit_and_next(db, ann, queue_direct.claim(connected_as(db, ann), ann, "p"))
    assert current.external_id == "i1"  # ann's claims now start after confidence 0.6
    predict(db, operator, tmp_path, {"i3": 0.1}, name="again.jsonl")  # the model is now unsure of i3
    assert submit_and_next(db, ann, current).external_id == "i3"
    with db.read() as s:
        order = s.scalars(select(Item.external_id).where(Item.open_slots > 0)
                          .order_by(Item.priority.desc(), Item.confidence, Item.id)).all()
    assert order == ["i2", "i4"]


def test_an_item_that_opens_up_behind_without_a_bump_is_still_handed_out(db, operator, tmp_path):
    """As when a claim rolls back after another user's search passed the locked item: nothing
    tells the others, so it comes to them when the items after where they start run out."""
    make_project(db, "p")
    add_texts(db, operator, texts(5), tmp_path)
    ann = make_user(db, "ann")
    current = submit_and_next(db, ann, queue_direct.claim(connected_as(db, ann), ann, "p"))  # i0 done, i1 held
    with db.write() as s:  # i0 open again with no answer and no bump: a rolled-back claim's state
        s.execute(text("DELETE FROM assignments WHERE item_id = (SELECT id FROM items WHERE external_id = 'i0')"))
        s.execute(text("UPDATE items SET open_slots = 1 WHERE external_id = 'i0'"))
    seen = [current.external_id]
    while current is not None:
        current = submit_and_next(db, ann, current)
        if current is not None:
            seen.append(current.external_id)
    assert sorted(seen) == ["i0", "i1", "i2", "i3", "i4"]  # each once; on PostgreSQL i0 comes last
    with pytest.raises(NothingLeft):
        queue_direct.claim(connected_as(db, ann), ann, "p")


def test_with_overlap_above_one_the_order_is_kept_exactly(db, operator, tmp_path):
    """Where claims start is only remembered for overlap 1: with more, an item another user was
    taking when the search passed it keeps slots open for this user."""
    make_project(db, "p", overlap=2)
    add_texts(db, operator, texts(4), tmp_path)
    ann, bob = make_user(db, "ann"), make_user(db, "bob")
    held_by_bob = queue_direct.claim(connected_as(db, bob), bob, "p")  # i0, one of its two slots
    assert held_by_bob.external_id == "i0"
    current = queue_direct.claim(connected_as(db, ann), ann, "p")
    assert current.external_id == "i0"  # its second slot
    assert [submit_and_next(db, ann, current).external_id] == ["i1"]


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)  # SQLite removes index entries at once
def test_a_claim_starts_after_the_users_last_item_not_at_the_dead_front(db, operator):
    """After 3,000 claims the claim index starts with 3,000 dead entries until VACUUM. The
    statement the app runs, with the start the app kept for this user, reads a few index pages;
    from the front it reads past them all."""
    pid = make_project(db, "p")
    copy_plain_items(db, pid, 20_000)
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
        c.exec_driver_sql("ALTER TABLE items SET (autovacuum_enabled = false)")  # no VACUUM but the test's
        c.exec_driver_sql("VACUUM ANALYZE items")
        c.exec_driver_sql(f"UPDATE items SET open_slots = 0 WHERE project_id = {pid} AND id < "
                          f"(SELECT min(id) + 3000 FROM items WHERE project_id = {pid})")
    try:
        ann = make_user(db, "ann")
        current = queue_direct.claim(connected_as(db, ann), ann, "p")  # a first claim here: the session path, from the front
        current = submit_and_next(db, ann, current)
        assert current.external_id == "i3001"
        mine = connected_as(db, ann)
        hint = queue_direct._start_hints.get(mine, "p", ann.id)
        assert hint is not None and hint.item_id > 0

        def index_pages(start) -> int:
            """The claim index's pages that ann's queue_claim reads, counted by the server for the
            transaction, which is rolled back."""
            with mine.driver_connection() as conn, conn.transaction(force_rollback=True):
                pages = "SELECT pg_stat_get_xact_blocks_fetched('ix_items_claim'::regclass)"
                before = conn.execute(pages).fetchone()[0]
                conn.execute("SELECT * FROM queue_claim('p', 'explained', %s, NULL, %s, %s)",
                             ([current.assignment_id], start and start.epoch, start and start.item_id))
                return conn.execute(pages).fetchone()[0] - before

        assert index_pages(hint) <= 6  # the root, an inner page and the leaf it starts on, and the hint's check
        assert index_pages(None) > 10  # from the front
        assert submit_and_next(db, ann, current).external_id == "i3002"
    finally:
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.exec_driver_sql("ALTER TABLE items RESET (autovacuum_enabled)")  # the schema serves the next tests


def test_with_overlap_above_one_a_slot_given_back_behind_the_full_items_comes_next(db, operator, tmp_path):
    """The items before the first one with a free slot are all full, until a skip gives one of
    them a slot back: the next claim of a user who has not answered it takes it."""
    make_project(db, "p", overlap=2)
    add_texts(db, operator, texts(6), tmp_path)
    ann, bob, cat = make_user(db, "ann"), make_user(db, "bob"), make_user(db, "cat")
    anns = queue_direct.claim(connected_as(db, ann), ann, "p")
    bobs = queue_direct.claim(connected_as(db, bob), bob, "p")
    cats = queue_direct.claim(connected_as(db, cat), cat, "p")
    assert (anns.external_id, bobs.external_id, cats.external_id) == ("i0", "i0", "i1")  # i0 is full
    anns = submit_and_next(db, ann, anns)
    assert anns.external_id == "i1"  # i1 is full too
    with connected_as(db, bob).write() as s:
        queue.skip(s, bob, bobs.assignment_id)  # i0 has a slot again
    assert submit_and_next(db, cat, cats).external_id == "i0"
    assert submit_and_next(db, ann, anns).external_id == "i2"


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)  # SQLite removes index entries at once
def test_a_vacuum_clears_claimed_items_out_of_the_claim_index(db, operator):
    """Each claim leaves a dead entry at the front of the claim index, which every later claim
    reads past until VACUUM removes it. PostgreSQL's vacuum skips its index pass while under 2%
    of the table's pages hold dead rows: here 3,000 claims in 200,000 items, in a big project
    a day's work. The migration makes it always clean the queue tables' indexes."""
    pid = make_project(db, "p")
    copy_plain_items(db, pid, 200_000)
    first_page = ("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT id FROM items WHERE project_id = %s AND open_slots > 0"
                  " ORDER BY priority DESC, confidence, id LIMIT 1" % pid)
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
        c.exec_driver_sql("ALTER TABLE items SET (autovacuum_enabled = false)")  # only this test's VACUUM runs
        try:
            c.exec_driver_sql("VACUUM ANALYZE items")
            # What 3,000 claims leave behind: the items' old row versions, still in the claim index.
            c.exec_driver_sql(f"UPDATE items SET open_slots = 0 WHERE project_id = {pid} AND external_id IN "
                              f"({', '.join(repr(f'i{i}') for i in range(3000))})")
            before = "\n".join(c.exec_driver_sql(first_page).scalars())
            c.exec_driver_sql("VACUUM items")  # as autovacuum does, with the table's own settings
            after = "\n".join(c.exec_driver_sql(first_page).scalars())
        finally:
            c.exec_driver_sql("ALTER TABLE items RESET (autovacuum_enabled)")  # the schema serves the next tests

    assert index_scan_pages(before, "ix_items_claim") > 10, before  # it reads past the dead entries
    assert index_scan_pages(after, "ix_items_claim") <= 4, after  # the root, an inner page and the first leaf


def answered(conn, user_id: int, project_id: int, items: str) -> None:
    """Approved answers by this user to the items whose ids the query `items` gives, in bulk."""
    conn.exec_driver_sql(
        "INSERT INTO assignments (uid, item_id, user_id, project_id, status, claimed_at, lease_until, submitted_at,"
        " active_seconds, answer, is_gold, needs_review, skipped, offline)"
        f" SELECT 'old-{user_id}-' || id, id, {user_id}, {project_id}, 'approved', now(), now(), now(), 1, '{{}}',"
        f" false, false, false, false FROM items WHERE id IN ({items})")


def flush_counts(mine) -> None:
    """The statistics this connection's server process holds back (for up to a second), sent now:
    the flag is taken up when the process next goes idle, which is at the end of this statement."""
    with mine.driver_connection() as conn:
        conn.execute("SELECT pg_stat_force_next_flush()")


def assignment_blocks_read(db) -> int:
    """Blocks of `assignments` and its indexes read so far, as the server's statistics count them."""
    with db.read() as s:
        return s.scalar(text("SELECT heap_blks_hit + heap_blks_read + idx_blks_hit + idx_blks_read"
                             " FROM pg_statio_user_tables WHERE schemaname = current_schema() AND relname = 'assignments'"))


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)  # SQLite's claims take no hint
def test_a_claim_checks_its_hint_by_key_on_a_connection_planned_when_the_table_was_young(db, operator):
    """Each direct connection plans the claim once (generically) and keeps the plan. One made
    while `assignments` was empty must still check the start hint by the (item, user) key: by
    the user's (user_id, status) range instead, every later claim read the user's whole history."""
    pid = make_project(db, "p")
    copy_plain_items(db, pid, 10_000)
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
        c.exec_driver_sql("ANALYZE items")  # as after an import
    # The statistics of a young table: a pilot in which each of 20 people answered one item.
    pilots = [make_user(db, f"pilot{n}") for n in range(20)]
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
        for n, pilot in enumerate(pilots):
            answered(c, pilot.id, pid, f"SELECT id FROM items WHERE external_id = 'i{9_999 - n}'")
        c.exec_driver_sql("ANALYZE assignments")
    ann = make_user(db, "ann")
    mine = connected_as(db, ann)
    first = queue_direct.claim(mine, ann, "p")  # planned now, with those statistics
    queue_direct.submit(mine, ann, first.assignment_id, {"label": "a"}, 1.0)
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
        c.exec_driver_sql("ALTER TABLE assignments SET (autovacuum_enabled = false)")  # no reader but the claim
        try:
            # a long history: 5,000 items after the first one, answered by ann
            first_item = c.exec_driver_sql("SELECT item_id FROM assignments WHERE id = %s" % first.assignment_id).scalar()
            c.exec_driver_sql(f"UPDATE items SET open_slots = 0 WHERE id IN (SELECT id FROM items WHERE project_id = {pid}"
                              f" AND id > {first_item} ORDER BY id LIMIT 5000)")
            answered(c, ann.id, pid, f"SELECT id FROM items WHERE project_id = {pid} AND id > {first_item} AND open_slots = 0")
            # the next claim's item becomes the hint: its assignment is the newest of ann's
            second = queue_direct.claim(mine, ann, "p")
            queue_direct.submit(mine, ann, second.assignment_id, {"label": "a"}, 1.0)
            flush_counts(mine)
            before = assignment_blocks_read(db)
            claimed = queue_direct.claim(mine, ann, "p")
            flush_counts(mine)
            read = assignment_blocks_read(db) - before
        finally:
            c.exec_driver_sql("ALTER TABLE assignments RESET (autovacuum_enabled)")
    assert (second.external_id, claimed.external_id) == ("i5001", "i5002")  # past the answered ones
    assert read < 60, f"the claim read {read} blocks of assignments: the user's history, not a key"


def test_a_give_back_moves_the_epoch_only_of_a_project_whose_claims_take_hints(db, operator, tmp_path):
    """With overlap above 1 claims always search from the front, so a skip there leaves the
    project's row alone: every give-back of the project would otherwise queue on it."""
    make_project(db, "p", overlap=2)
    add_texts(db, operator, texts(3), tmp_path)
    ann = make_user(db, "ann")
    anns = queue_direct.claim(connected_as(db, ann), ann, "p")
    before = epoch(db)
    with connected_as(db, ann).write() as s:
        queue.skip(s, ann, anns.assignment_id)
    assert epoch(db) == before
    bob = make_user(db, "bob")
    assert queue_direct.claim(connected_as(db, bob), bob, "p").external_id == "i0"  # the slot is back


def test_raising_the_overlap_hands_answered_items_out_again(db, operator, tmp_path):
    make_project(db, "p")
    add_texts(db, operator, texts(2), tmp_path)
    ann, bob = make_user(db, "ann"), make_user(db, "bob")
    last = submit_and_next(db, ann, queue_direct.claim(connected_as(db, ann), ann, "p"))
    assert queue_direct.submit_and_claim(connected_as(db, ann), ann, last.assignment_id, {"label": "a"}, 1.0,
                                         "p").next is None
    with pytest.raises(NothingLeft):
        queue_direct.claim(connected_as(db, bob), bob, "p")
    with db.write() as s:
        update_project(s, operator, "p", overlap=2)
    got = queue_direct.claim(connected_as(db, bob), bob, "p")
    assert [got.external_id, submit_and_next(db, bob, got).external_id] == ["i0", "i1"]
    cat = make_user(db, "cat")
    with pytest.raises(NothingLeft):  # each has its two answers, or one and bob's claim
        queue_direct.claim(connected_as(db, cat), cat, "p")


def test_lowering_the_overlap_closes_items_that_have_enough_answers(db, operator, tmp_path):
    make_project(db, "p", overlap=3)
    add_texts(db, operator, texts(2), tmp_path)
    ann, bob = make_user(db, "ann"), make_user(db, "bob")
    anns = queue_direct.claim(connected_as(db, ann), ann, "p")
    assert anns.external_id == "i0"
    queue_direct.submit(connected_as(db, ann), ann, anns.assignment_id, {"label": "a"}, 1.0)
    before = epoch(db)
    with db.write() as s:
        update_project(s, operator, "p", overlap=1)
    assert epoch(db) == before + 1  # claims of an overlap-1 project take hints: an older one is void
    assert open_slots(db) == {"i0": 0, "i1": 1}
    assert queue_direct.claim(connected_as(db, bob), bob, "p").external_id == "i1"
