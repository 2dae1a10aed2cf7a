"""Offline bundles (DESIGN §5), on both backends: check out, work in the bundle through the
same services, check in; conflicts are kept; refusals change nothing."""

from __future__ import annotations

import json
import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from annotator.config import sqlite_url
from annotator.core import conflicts, offline, queue
from annotator.core.auth import login
from annotator.core.importing import import_items
from annotator.core.items import edit_item
from annotator.db import open_database
from annotator.db.base import utcnow
from annotator.db.models import (
    Assignment,
    AuditEvent,
    BundleMedia,
    Conflict,
    GoldAnswer,
    Item,
    OfflineBundle,
)
from annotator.errors import BadInput, BundleRefused
from annotator.media.images import load_upright
from tests.helpers import (
    as_person,
    connected_as,
    make_project,
    make_user,
    score_gold,
    shared,
)


def add_texts(db, operator, rows, tmp_path, *, gold=False, project="p"):
    path = tmp_path / ("gold.jsonl" if gold else "items.jsonl")
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    with db.write() as s:
        import_items(s, operator, project, path, gold=gold)


def text_project(db, operator, tmp_path, n=6, **fields):
    make_project(db, "p", **fields)
    add_texts(db, operator, [{"id": f"t{i}", "text": f"text {i}"} for i in range(n)], tmp_path)


def snapshot(db):
    """Everything a check-in could change."""
    with db.read() as s:
        work = s.execute(select(Assignment.uid, Assignment.status, Assignment.answer, Assignment.draft,
                                Assignment.active_seconds, Assignment.gold_score).order_by(Assignment.uid)).all()
        return (work, s.scalar(select(func.count()).select_from(Conflict)),
                s.scalar(select(func.count()).select_from(AuditEvent)))


def open_bundle(path):
    return open_database(sqlite_url(path))


def work_offline(path, name, answers: dict[int, dict], *, draft=None, seconds=12.5, project="p"):
    """Log in to the bundle as the user and answer items in claim order: answers[n] for the
    n-th item, a draft for the one after, through the same queue services the app uses."""
    bundle = open_bundle(path)
    try:
        with bundle.write() as s:
            actor = login(s, name, "secret")
        done = {}
        for n in range(len(answers) + (1 if draft else 0)):
            with bundle.write() as s:
                item = queue.claim_next(s, actor, project)
            with bundle.write() as s:
                if n in answers:
                    queue.submit(s, actor, item.assignment_id, answers[n], seconds)
                    done[item.external_id] = answers[n]
                else:
                    queue.save_draft(s, actor, item.assignment_id, draft, seconds)
        return done
    finally:
        bundle.dispose()


def test_round_trip_brings_answers_times_and_drafts_back_once(db, operator, tmp_path):
    text_project(db, operator, tmp_path, n=6)
    ann = make_user(db, "ann")
    out = tmp_path / "ann.annot"
    # Checked out an hour ago, so the 12.5 s reported per item fit in the time since the claim.
    report = offline.checkout(*as_person(db, "ann"), "p", "ann", 5, out, now=utcnow() - timedelta(hours=1))
    assert report.items == 5 and out.is_file()
    assert not list(tmp_path.glob(".*partial*"))
    with db.read() as s:
        held = s.scalars(select(Assignment).where(Assignment.user_id == ann.id)).all()
        assert {a.status for a in held} == {"claimed"} and all(a.offline and a.bundle_id == report.bundle_id for a in held)
        # The project's offline lease (7 days by default), not the 30-minute online one.
        assert all(a.lease_until - a.claimed_at >= timedelta(days=7) - timedelta(seconds=5) for a in held)

    done = work_offline(out, "ann", {0: {"label": "a"}, 1: {"label": "b"}, 2: {"label": "c"}}, draft={"label": "b"})
    with open_bundle(out).read() as s:
        status = offline.bundle_status(s)
    assert (status.left, status.total) == (2, 5)

    result = offline.checkin(*as_person(db, "ann"), out)
    assert (result.submitted, result.drafts_saved, result.conflicts, result.not_started) == (3, 1, 0, 1)
    with db.read() as s:
        rows = {i.external_id: a for a, i in s.execute(
            select(Assignment, Item).join(Item, Item.id == Assignment.item_id).where(Assignment.user_id == ann.id))}
        for external_id, answer in done.items():
            assert rows[external_id].answer == answer and rows[external_id].status == "approved"  # review policy: none
            assert rows[external_id].active_seconds == 12.5
            assert rows[external_id].submitted_at is not None
        assert [a.draft for a in rows.values() if a.status == "claimed" and a.draft] == [{"label": "b"}]
        assert s.get(OfflineBundle, report.bundle_id).checked_in_at is not None

    before = snapshot(db)
    again = offline.checkin(*as_person(db, "ann"), out)
    assert again.changed_nothing and "Nothing changed" in again.summary()
    assert snapshot(db) == before


def test_released_unfinished_items_go_back_to_the_queue(db, operator, tmp_path):
    text_project(db, operator, tmp_path, n=3)
    make_user(db, "ann")
    bob = make_user(db, "bob")
    out = tmp_path / "ann.annot"
    offline.checkout(*as_person(db, "ann"), "p", "ann", 3, out)
    work_offline(out, "ann", {0: {"label": "a"}})
    result = offline.checkin(*as_person(db, "ann"), out, release_unfinished=True)
    assert (result.submitted, result.released) == (1, 2)
    with connected_as(db, bob).write() as s:
        assert queue.claim_next(s, bob, "p").external_id in {"t1", "t2"}


def test_gold_travels_unmarked_without_its_answers_and_is_scored_at_checkin(db, operator, tmp_path):
    pid = make_project(db, "p", kind="image_boxes", gold_rate=1.0, min_gold_accuracy=0.9, min_scored_items=2)
    with db.write() as s:
        import_items(s, operator, "p", shared("voc-sample"), gold=True)
        golds = {i.external_id: g.answer for i, g in s.execute(select(Item, GoldAnswer).join(GoldAnswer))}
    make_user(db, "ann")
    out = tmp_path / "ann.annot"
    assert offline.checkout(*as_person(db, "ann"), pid, "ann", 3, out).media_files == 3

    raw = out.read_bytes()
    for answer in golds.values():
        for box in answer["boxes"]:
            assert json.dumps(box).encode() not in raw and json.dumps(box, separators=(",", ":")).encode() not in raw
    bundle = open_bundle(out)
    with bundle.write() as s:
        assert s.scalar(select(func.count()).select_from(GoldAnswer)) == 0
        assert s.scalar(select(func.count()).where(Item.is_gold)) == 0
        assert s.scalar(select(func.count()).select_from(BundleMedia)) == 3
        assert offline.unpack_media(s, tmp_path / "media") == 3
    with bundle.write() as s:  # the workbench's path: the image loads from the unpacked copy, upright
        actor = login(s, "ann", "secret")
        claimed = [queue.claim_next(s, actor, "p", holding=())]
        image = load_upright(Path(claimed[0].media_root) / claimed[0].payload["image"], claimed[0].pixel_limit)
        assert image.size[0] > 100
    bundle.dispose()

    # One right answer, two wrong: scored as online, and the accuracy rule pauses ann.
    items = {}
    bundle = open_bundle(out)
    with bundle.read() as s:
        for a, i in s.execute(select(Assignment, Item).join(Item, Item.id == Assignment.item_id).order_by(Assignment.id)):
            items[a.id] = i.external_id
    with bundle.write() as s:
        actor = login(s, "ann", "secret")
        for n, (aid, external_id) in enumerate(items.items()):
            answer = golds[external_id] if n < 1 else {"boxes": []}
            queue.submit(s, actor, aid, answer, 30.0)
    bundle.dispose()
    offline.checkin(*as_person(db, "ann"), out)
    score_gold(db)
    with db.read() as s:
        scores = sorted(s.scalars(select(Assignment.gold_score)).all())
        assert scores[-1] == 1.0 and scores[0] < 0.5
        from annotator.db.models import Membership

        assert s.scalar(select(Membership.state).where(Membership.project_id == pid)) == "paused"


def test_an_item_a_lead_changed_becomes_a_conflict_kept_once(db, operator, tmp_path):
    text_project(db, operator, tmp_path, n=2)
    make_user(db, "ann")
    out = tmp_path / "ann.annot"
    offline.checkout(*as_person(db, "ann"), "p", "ann", 2, out)
    work_offline(out, "ann", {0: {"label": "a"}, 1: {"label": "b"}})
    with db.write() as s:
        edit_item(s, operator, "p", "t0", {"text": "text 0, corrected"})
    result = offline.checkin(*as_person(db, "ann"), out)
    assert (result.submitted, result.conflicts) == (1, 1)
    assert "changed the item" in result.conflict_reasons[0]
    before = snapshot(db)
    assert offline.checkin(*as_person(db, "ann"), out).changed_nothing
    assert snapshot(db) == before
    with db.read() as s:
        rows = conflicts.list_conflicts(s, operator)
    assert [(r.external_id, r.user, r.answer) for r in rows] == [("t0", "ann", {"label": "a"})]


def test_a_revoked_checkout_frees_its_slots_and_late_work_is_a_conflict(db, operator, tmp_path):
    text_project(db, operator, tmp_path, n=2)
    make_user(db, "ann")
    bob = make_user(db, "bob")
    lead = make_user(db, "lee", "lead")
    out = tmp_path / "ann.annot"
    report = offline.checkout(*as_person(db, "ann"), "p", "ann", 2, out)
    work_offline(out, "ann", {0: {"label": "a"}, 1: {"label": "c"}})
    with db.write() as s:
        assert offline.revoke(s, lead, report.bundle_id) == 2
    with connected_as(db, bob).write() as s:  # the slot is back in the queue at once
        queue.claim_next(s, bob, "p")
    result = offline.checkin(*as_person(db, "ann"), out)
    assert result.conflicts == 2 and result.submitted == 0
    assert all("expired the lease" in r for r in result.conflict_reasons)

    # The lead accepts one (its slot is still free) and dismisses the other, with a reason.
    with db.read() as s:
        rows = {r.external_id: r for r in conflicts.list_conflicts(s, lead)}
    with db.write() as s:
        ids = sorted(r.id for r in rows.values())
        conflicts.accept_conflict(s, lead, ids[0])
        conflicts.dismiss_conflict(s, lead, ids[1], "bob redid it online")
    with db.read() as s:
        assert conflicts.list_conflicts(s, lead) == []
        approved = s.scalars(select(Assignment).where(Assignment.status == "approved")).all()
        assert len(approved) == 1 and approved[0].answer in ({"label": "a"}, {"label": "c"})


def test_a_slot_someone_else_took_after_the_lease_ran_out_is_a_conflict(db, operator, tmp_path):
    text_project(db, operator, tmp_path, n=2, offline_lease_seconds=3600)
    make_user(db, "ann")
    bob = make_user(db, "bob")
    out = tmp_path / "ann.annot"
    start = utcnow()
    offline.checkout(*as_person(db, "ann"), "p", "ann", 2, out, now=start)
    work_offline(out, "ann", {0: {"label": "a"}, 1: {"label": "b"}})
    with connected_as(db, bob).write() as s:  # two hours on: the leases ran out, and bob takes one of the items
        taken = queue.claim_next(s, bob, "p", now=start + timedelta(hours=2))
    result = offline.checkin(*as_person(db, "ann"), out, now=start + timedelta(hours=3))
    # The item nobody took is accepted, as a late submit online would be; the other is kept.
    assert (result.submitted, result.conflicts) == (1, 1)
    assert result.conflict_reasons[0].startswith(taken.external_id) and "someone else holds the slot" in result.conflict_reasons[0]


def test_a_bundle_from_another_database_or_tampered_with_is_refused(db, operator, tmp_path):
    text_project(db, operator, tmp_path, n=3)
    make_user(db, "ann")
    out = tmp_path / "ann.annot"
    offline.checkout(*as_person(db, "ann"), "p", "ann", 2, out)
    work_offline(out, "ann", {0: {"label": "a"}})
    before = snapshot(db)

    other = open_database(sqlite_url(tmp_path / "other.sqlite3"))
    with pytest.raises(BundleRefused, match="another database"):
        offline.checkin(other, operator, out)
    other.dispose()

    tampered = tmp_path / "tampered.annot"
    tampered.write_bytes(out.read_bytes())
    with sqlite3.connect(tampered) as conn:  # point a claim at an item that was never checked out
        conn.execute("UPDATE items SET id = 9999 WHERE id = (SELECT min(id) FROM items)")
    with pytest.raises(BundleRefused, match="changed outside Annotator"):
        offline.checkin(*as_person(db, "ann"), tampered)

    not_a_bundle = tmp_path / "photo.annot"
    not_a_bundle.write_bytes(b"\xff\xd8\xff\xe0 not a database" * 100)
    with pytest.raises(BundleRefused, match="not an Annotator offline bundle"):
        offline.checkin(*as_person(db, "ann"), not_a_bundle)
    assert snapshot(db) == before


def test_a_checkout_cut_short_leaves_nothing_behind(db, operator, tmp_path):
    text_project(db, operator, tmp_path, n=6)
    make_user(db, "ann")
    before, files = snapshot(db), set(tmp_path.iterdir())
    out = tmp_path / "ann.annot"

    def interrupt(done, total):
        if done == 3:
            raise KeyboardInterrupt  # Ctrl+C halfway through writing the bundle

    with pytest.raises(KeyboardInterrupt):
        offline.checkout(*as_person(db, "ann"), "p", "ann", 5, out, progress=interrupt)
    assert set(tmp_path.iterdir()) <= files  # no bundle, no half-written one
    assert snapshot(db) == before
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(OfflineBundle)) == 0


def test_a_missing_media_file_is_named_and_the_checkout_undone(db, operator, tmp_path):
    media = tmp_path / "media"
    media.mkdir()
    for name, source in (("a.jpg", "hopper.jpg"), ("b.jpg", "hopper_orientation_3.jpg")):
        (media / name).write_bytes(shared("images", source).read_bytes())
    make_project(db, "p", kind="image_boxes", media_root=str(media))
    with db.write() as s:
        import_items(s, operator, "p", media)
    make_user(db, "ann")
    (media / "b.jpg").unlink()
    before = snapshot(db)
    with pytest.raises(BadInput, match=r"b\.jpg.*cannot be read"):
        offline.checkout(*as_person(db, "ann"), "p", "ann", 2, tmp_path / "ann.annot")
    assert snapshot(db) == before
    assert not (tmp_path / "ann.annot").exists() and not list(tmp_path.glob(".*partial*"))


def test_annotators_cannot_check_out_for_others_or_revoke(db, operator, tmp_path):
    text_project(db, operator, tmp_path, n=2)
    ann = make_user(db, "ann")
    make_user(db, "bob")
    from annotator.errors import AnnotatorError, PermissionDenied

    with pytest.raises((PermissionDenied, AnnotatorError), match="each person checks out their own|lead role"):
        offline.checkout(connected_as(db, ann), ann, "p", "bob", 1, tmp_path / "bob.annot")
    report = offline.checkout(connected_as(db, ann), ann, "p", "ann", 1, tmp_path / "ann.annot")  # their own work
    with db.write() as s, pytest.raises(PermissionDenied):
        offline.revoke(s, ann, report.bundle_id)
    with db.read() as s, pytest.raises(PermissionDenied):
        conflicts.list_conflicts(s, ann)


def test_work_on_an_item_deleted_meanwhile_is_reported_not_fatal(db, operator, tmp_path):
    text_project(db, operator, tmp_path, n=2)
    make_user(db, "ann")
    out = tmp_path / "ann.annot"
    offline.checkout(*as_person(db, "ann"), "p", "ann", 2, out)
    work_offline(out, "ann", {0: {"label": "a"}, 1: {"label": "b"}})
    with db.write() as s:  # a lead removes one item from the project (its claims go with it)
        s.delete(s.scalar(select(Item).where(Item.external_id == "t1")))
    result = offline.checkin(*as_person(db, "ann"), out)
    assert (result.submitted, result.deleted) == (1, 1) and "deleted since the checkout" in result.summary()
