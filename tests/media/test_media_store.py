"""Projects whose media live in a store (issue 18): a real SeaweedFS for S3, a real folder for the
shared-folder kind, real images, and two desktops simulated by two data folders with their own
caches on one database. No desktop reads another's paths."""

from __future__ import annotations

import hashlib
import os
import shutil
import time
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from annotator.core import audit, queue, queue_direct
from annotator.core.media_admin import record_verified, verify
from annotator.core.importing import import_items
from annotator.core.media_access import localize
from annotator.core.stats import queue_status
from annotator.db.models import Item
from annotator.errors import BadInput
from annotator.media.store import StoreError, object_key
from tests.helpers import connected_as, make_project, make_user, shared

PHOTOS = ["hopper.jpg", "hopper_orientation_3.jpg", "hopper_orientation_6.jpg"]


def photo_folder(tmp_path: Path, names=PHOTOS) -> Path:
    folder = tmp_path / "photos"
    folder.mkdir(exist_ok=True)
    for name in names:
        shutil.copy(shared("images", name), folder / name)
    return folder


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def boxes_project(db, store: str) -> None:
    make_project(db, "p", kind="image_boxes", media_store=store)


def test_two_desktops_work_one_image_project_through_s3_with_no_shared_path(db, operator, tmp_path, s3_server,
                                                                            s3_bucket, desktop):
    boxes_project(db, f"s3://{s3_bucket}/team")
    desktop("lead")
    folder = photo_folder(tmp_path)
    steps = []
    with db.write() as s:
        report = import_items(s, operator, "p", folder, progress=lambda n, total, what: steps.append(what))
    assert report.added == 3 and sum("uploaded" in w for w in steps) == 3
    keys = {o["Key"] for o in s3_server.client().list_objects_v2(Bucket=s3_bucket)["Contents"]}
    assert keys == {f"team/{object_key(sha(folder / n))}" for n in PHOTOS}
    with db.read() as s:
        names = {i.payload["image"] for i in s.scalars(select(Item))}
    assert names == set(PHOTOS)  # the original names, for display and export

    shutil.rmtree(folder)  # the second desktop has no path to the lead's files at all
    second = desktop("annotator")
    ann = make_user(db, "ann")
    claimed = localize(connected_as(db, ann), ann, queue_direct.claim(connected_as(db, ann), ann, "p"))
    local = Path(claimed.payload["image"])
    assert claimed.media_error == "" and local.is_relative_to(second)
    assert sha(local) in {key.rsplit("/", 1)[1] for key in keys}  # the verified bytes of one of the objects
    assert claimed.payload["original_name"] in PHOTOS


def test_the_same_import_again_uploads_only_what_is_missing(db, operator, tmp_path, s3_server, s3_bucket, desktop):
    boxes_project(db, f"s3://{s3_bucket}")
    desktop("lead")
    folder = photo_folder(tmp_path)
    from annotator.media.desktop import store_for

    store_for(f"s3://{s3_bucket}").put(sha(folder / PHOTOS[0]), folder / PHOTOS[0])  # an upload cut short
    steps = []
    with db.write() as s:
        import_items(s, operator, "p", folder, progress=lambda n, total, what: steps.append(what))
    assert sum("uploaded" in w for w in steps) == 2 and sum("already stored" in w for w in steps) == 1


def test_an_unknown_bucket_is_one_line_naming_the_store_and_the_import_writes_nothing(db, operator, tmp_path, s3_bucket,
                                                                                      desktop):
    boxes_project(db, "s3://no-such-bucket-here/x")
    desktop("lead")
    with pytest.raises(StoreError, match="The bucket 'no-such-bucket-here' of s3://no-such-bucket-here/x does not exist"):
        with db.write() as s:
            import_items(s, operator, "p", photo_folder(tmp_path))
    with db.read() as s:
        assert s.scalar(select(Item.id)) is None


def test_a_changed_object_is_refused_and_a_missing_one_named_and_skip_still_works(db, operator, tmp_path, s3_server,
                                                                                  s3_bucket, desktop):
    boxes_project(db, f"s3://{s3_bucket}")
    desktop("lead")
    folder = photo_folder(tmp_path, PHOTOS[:2])
    with db.write() as s:
        import_items(s, operator, "p", folder)
    client = s3_server.client()
    first, second = (object_key(sha(folder / n)) for n in PHOTOS[:2])
    client.put_object(Bucket=s3_bucket, Key=first, Body=b"not the photo")  # changed behind our back
    client.delete_object(Bucket=s3_bucket, Key=second)
    desktop("annotator")
    ann = make_user(db, "ann")
    me = connected_as(db, ann)
    errors = {}
    for _ in range(2):
        claimed = localize(me, ann, queue_direct.claim(me, ann, "p"))
        errors[claimed.external_id] = claimed.media_error
        with me.write() as s:
            queue.skip(s, ann, claimed.assignment_id)  # Skip works on an item that cannot be shown
    messages = " | ".join(errors.values())
    assert "does not match its hash" in messages and f"missing from s3://{s3_bucket}/{second}" in messages
    from annotator.media.desktop import media_cache

    assert not media_cache().path(first.rsplit("/", 1)[1]).exists()  # the changed bytes were never kept

    # Both are flagged for the lead, by whom and with what was wrong; each report is in the trail.
    lead = make_user(db, "lead", role="lead")
    with connected_as(db, lead).read() as s:
        faults = {f.external_id: f for f in queue_status(s, lead, "p").media_faults}
        trail = {(e.action, e.details["sha256"]) for e in audit.list_events(s, lead, action="media.*")}
    by_kind = {f.kind: f for f in faults.values()}
    assert set(by_kind) == {"missing", "mismatch"} and {f.reported_by for f in faults.values()} == {"ann"}
    assert by_kind["mismatch"].sha256 == first.rsplit("/", 1)[1] and "does not match" in by_kind["mismatch"].detail
    assert trail == {("media.mismatch", first.rsplit("/", 1)[1]), ("media.missing", second.rsplit("/", 1)[1])}
    if not db.is_sqlite:  # the annotator's login reads none of it
        with pytest.raises(DBAPIError, match="permission denied"), connected_as(db, ann).read() as s:
            s.execute(text("SELECT count(*) FROM media_faults"))

    # The lead puts the photos back; a verify finds them whole and clears both flags.
    for name in PHOTOS[:2]:
        client.upload_file(str(folder / name), s3_bucket, object_key(sha(folder / name)))
    with connected_as(db, lead).read() as s:
        verified = verify(s, lead, "p")
    with connected_as(db, lead).write() as s:
        assert verified.problems == [] and record_verified(s, lead, verified) == 2
    with connected_as(db, lead).read() as s:
        assert queue_status(s, lead, "p").media_faults == []


def test_a_verify_flags_what_it_finds_for_the_queue_status(db, operator, tmp_path, s3_server, s3_bucket, desktop):
    boxes_project(db, f"s3://{s3_bucket}")
    desktop("lead")
    folder = photo_folder(tmp_path, PHOTOS[:2])
    with db.write() as s:
        import_items(s, operator, "p", folder)
    gone = object_key(sha(folder / PHOTOS[1]))
    s3_server.client().delete_object(Bucket=s3_bucket, Key=gone)
    with db.read() as s:
        verified = verify(s, operator, "p")
    with db.write() as s:
        assert record_verified(s, operator, verified) == 0
    with db.read() as s:
        (fault,) = queue_status(s, operator, "p").media_faults
    assert (fault.external_id, fault.kind, fault.reported_by) == (PHOTOS[1], "missing", "media verify")
    assert fault.detail == f"s3://{s3_bucket}/{gone}: no such object in the store (media verify)"


def test_a_shared_folder_mapped_per_desktop_and_a_file_changed_there_is_caught(db, operator, tmp_path, desktop):
    share = tmp_path / "share"
    share.mkdir()
    boxes_project(db, str(share))
    desktop("lead")
    folder = photo_folder(tmp_path, PHOTOS[:1])
    with db.write() as s:
        import_items(s, operator, "p", folder)
    elsewhere = tmp_path / "mounted-elsewhere"
    share.rename(elsewhere)  # the second desktop mounts the share at a path of its own
    desktop("annotator")
    from annotator.media.desktop import map_folder

    from annotator.db.models import Project

    with db.read() as s:
        digest = s.scalar(select(Item.media_sha256))
        url = s.scalar(select(Project.media_store))
    ann = make_user(db, "ann")
    me = connected_as(db, ann)
    unmapped = localize(me, ann, queue_direct.claim(me, ann, "p"))
    assert "is not there" in unmapped.media_error and "annotator media map" in unmapped.media_error
    map_folder(url, str(elsewhere))
    claimed = localize(me, ann, queue_direct.claim(me, ann, "p"))  # the same live claim, back after a restart
    assert claimed.media_error == "" and sha(Path(claimed.payload["image"])) == digest

    desktop("third")  # a fresh cache, and the file on the share changed since import
    map_folder(url, str(elsewhere))
    (elsewhere / object_key(digest)).write_bytes(b"changed on the share")
    again = localize(me, ann, queue_direct.claim(me, ann, "p"))
    assert "does not match its hash" in again.media_error


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # PostgreSQL locks rows, not the database
def test_other_desktops_write_while_an_import_uploads(db, operator, tmp_path, desktop):
    """The objects go up before the import's write transaction begins: on SQLite that
    transaction locks the whole file, and an upload of a big folder takes minutes."""
    import sqlite3

    from annotator.core.importing import import_into

    share = tmp_path / "share"
    share.mkdir()
    boxes_project(db, str(share))
    desktop("lead")
    while_uploading = []

    def progress(done, total, what):
        if not while_uploading:  # another desktop's answer, saved during the upload
            other = sqlite3.connect(db.engine.url.database, timeout=0.5)
            try:
                other.execute("BEGIN IMMEDIATE")
                other.execute("ROLLBACK")
                while_uploading.append("written")
            except sqlite3.OperationalError as exc:
                while_uploading.append(str(exc))
            finally:
                other.close()

    report = import_into(db, operator, "p", photo_folder(tmp_path), progress=progress)
    assert while_uploading == ["written"] and report.added == 3
    assert len(list(share.rglob("*.jpg"))) == 0 and sum(1 for p in share.rglob("*") if p.is_file()) == 3


def test_media_by_url_need_a_store(db, operator, tmp_path):
    make_project(db, "p", kind="image_boxes")
    csv_file = tmp_path / "batch.csv"
    csv_file.write_text("id,image\nx,https://example.invalid/a.jpg\n")
    with pytest.raises(BadInput, match="line 2.*media given by URL need a project with a media store"), db.write() as s:
        import_items(s, operator, "p", csv_file)


def test_media_given_by_url_are_fetched_and_stored_and_keep_their_url(db, operator, tmp_path, s3_bucket, desktop):
    """An MTurk batch file names its media by URL: fetched, checked, uploaded, the URL kept."""
    import http.server
    import threading
    from functools import partial

    served = photo_folder(tmp_path, PHOTOS[:2])
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                             partial(http.server.SimpleHTTPRequestHandler, directory=str(served)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_port}"
        batch = tmp_path / "Batch_123_batch_results.csv"
        batch.write_text("id,image\n" + "".join(f"{n},{base}/{name}\n" for n, name in enumerate(PHOTOS[:2])))
        boxes_project(db, f"s3://{s3_bucket}")
        desktop("lead")
        with db.write() as s:
            assert import_items(s, operator, "p", batch).added == 2
        missing = tmp_path / "missing.csv"
        missing.write_text(f"id,image\nz,{base}/not-there.jpg\n")
        with pytest.raises(BadInput, match=r"missing.csv, line 2.*not-there.jpg could not be fetched"), db.write() as s:
            import_items(s, operator, "p", missing)
    finally:
        server.shutdown()
        thread.join()
        server.server_close()
    with db.read() as s:
        items = {i.payload["image"]: i.media_sha256 for i in s.scalars(select(Item))}
    assert items == {f"{base}/{name}": sha(served / name) for name in PHOTOS[:2]}
    desktop("annotator")
    ann = make_user(db, "ann")
    claimed = localize(connected_as(db, ann), ann, queue_direct.claim(connected_as(db, ann), ann, "p"))
    assert claimed.media_error == "" and sha(Path(claimed.payload["image"])) == items[claimed.payload["original_name"]]


def test_work_goes_on_from_the_cache_when_the_store_goes_down(db, operator, tmp_path, desktop, monkeypatch):
    """A store of its own, stopped mid-session: the item already fetched still shows, the next
    says the store cannot be reached, and answers are stored as ever."""
    from tests.s3_server import ThrowawaySeaweed, point_this_desktop_at

    own = ThrowawaySeaweed()
    try:
        point_this_desktop_at(own, monkeypatch)
        own.client().create_bucket(Bucket="going-down")
        make_project(db, "p", kind="image_boxes", media_store="s3://going-down", overlap=2)
        desktop("lead")
        with db.write() as s:
            import_items(s, operator, "p", photo_folder(tmp_path, PHOTOS[:2]))
        desktop("annotator")
        ann = make_user(db, "ann")
        me = connected_as(db, ann)
        first = localize(me, ann, queue_direct.claim(me, ann, "p"))
        assert first.media_error == ""
    finally:
        own.stop()
    again = localize(me, ann, queue_direct.claim(me, ann, "p"))  # a restart: the same item, from the cache
    assert again.assignment_id == first.assignment_id and again.media_error == ""
    assert queue_direct.submit(me, ann, first.assignment_id, {"boxes": []}, 3.0).accepted
    following = localize(me, ann, queue_direct.claim(me, ann, "p"))
    assert "cannot be reached" in following.media_error and "s3://going-down" in following.media_error


def test_wrong_credentials_at_import_are_one_line_naming_the_store_and_the_import_writes_nothing(
        db, operator, tmp_path, s3_bucket, desktop, monkeypatch):
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret")
    boxes_project(db, f"s3://{s3_bucket}/team")
    desktop("lead")
    with pytest.raises(StoreError) as refused, db.write() as s:
        import_items(s, operator, "p", photo_folder(tmp_path))
    assert str(refused.value) == (f"s3://{s3_bucket}/team refused this desktop's credentials "
                                  "(403 Forbidden: a wrong key or secret, or no right to the bucket).")
    with db.read() as s:
        assert s.scalar(select(Item.id)) is None


def test_the_cache_stays_under_its_cap_dropping_the_least_recently_used(tmp_path):
    from annotator.media.cache import MediaCache
    from annotator.media.store import FolderStore

    share = tmp_path / "share"
    store = FolderStore(share.as_uri())
    digests = []
    for n in range(7):
        blob = tmp_path / f"blob{n}"
        blob.write_bytes(bytes([n]) * 1000)
        digests.append(sha(blob))
        store.put(digests[-1], blob)
    cache = MediaCache(tmp_path / "cache", cap_bytes=3500)
    for n in (0, 1, 2, 1, 0, 2):  # last used in the order 1, 0, 2
        cache.get(store, digests[n])
    for d in digests[3:5]:
        cache.get(store, d)
        assert cache.size() <= 3500
    kept = {d for d in digests if cache.path(d).exists()}
    assert kept == {digests[2], digests[3], digests[4]}  # 1 then 0 went, the least recently used

    restarted = MediaCache(tmp_path / "cache", cap_bytes=3500)  # the order survives a restart
    os.utime(restarted.path(digests[2]), (time.time() + 5, time.time() + 5))  # 2 used last, by the other run
    restarted.get(store, digests[5])
    assert {d for d in digests if restarted.path(d).exists()} == {digests[2], digests[4], digests[5]}
    assert restarted.size() == 3000


def test_a_checkout_packs_the_stores_objects_into_the_bundle(db, operator, tmp_path, s3_bucket, desktop):
    from annotator.core import offline
    from tests.helpers import as_person

    boxes_project(db, f"s3://{s3_bucket}")
    desktop("lead")
    folder = photo_folder(tmp_path, PHOTOS[:2])
    with db.write() as s:
        import_items(s, operator, "p", folder)
    shutil.rmtree(folder)
    desktop("laptop")
    make_user(db, "ann")
    out = tmp_path / "ann.annot"
    assert offline.checkout(*as_person(db, "ann"), "p", "ann", 2, out).media_files == 2
    import sqlite3

    with sqlite3.connect(out) as bundle:
        packed = {hashlib.sha256(data).hexdigest() for (data,) in bundle.execute("SELECT data FROM bundle_media")}
    assert packed == {sha(shared("images", n)) for n in PHOTOS[:2]}


def test_a_fetch_goes_on_when_the_window_that_wanted_its_bytes_is_gone(tmp_path):
    """The workbench closed mid-claim: handing it the arriving bytes fails, the object still
    lands in the cache, verified, and no half-written file is left behind."""
    from annotator.media.cache import MediaCache
    from annotator.media.store import FolderStore

    photo = shared("images", "hopper.jpg")
    store = FolderStore((tmp_path / "share").as_uri())
    store.put(sha(photo), photo)
    cache = MediaCache(tmp_path / "cache")

    def closed_window(arriving):
        raise RuntimeError("Internal C++ object (ImageBoxesWidget) already deleted.")

    path = cache.get(store, sha(photo), closed_window)
    assert path.read_bytes() == photo.read_bytes()
    assert [p.name for p in path.parent.iterdir()] == [path.name]
