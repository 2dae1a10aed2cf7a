"""`annotator media …` and `project create --media-store` as a lead and an admin run them: real
processes, a real database file, a real SeaweedFS and real photos."""

import shutil

from annotator.media.store import object_key
from tests.e2e.test_cli import run
from tests.helpers import shared
from tests.media.test_media_store import PHOTOS, sha


def photos(tmp_path):
    folder = tmp_path / "photos"
    folder.mkdir()
    for name in PHOTOS:
        shutil.copy(shared("images", name), folder / name)
    return folder


def test_import_into_a_store_then_verify_finds_a_missing_object(tmp_path, s3_server, s3_bucket, desktop):
    desktop("lead")
    db = tmp_path / "team.sqlite3"
    run("db", "upgrade", db=db)
    run("project", "create", "signs", "--kind", "image_boxes", "--labels", "stop,yield",
        "--media-store", f"s3://{s3_bucket}/signs", db=db)
    folder = photos(tmp_path)
    assert "Imported 3 item(s)" in run("import", "signs", str(folder), db=db).stdout
    assert "matches its hash" in run("media", "verify", "signs", db=db).stdout
    gone = sha(folder / PHOTOS[1])
    s3_server.client().delete_object(Bucket=s3_bucket, Key=f"signs/{object_key(gone)}")
    result = run("media", "verify", "signs", db=db, ok=False)
    assert result.returncode == 1
    assert "1 object(s) of signs are not right" in result.stdout and gone[:12] in result.stdout
    assert "missing" in result.stdout
    status = run("queue", "status", "signs", db=db).stdout  # the lead's queue status lists it
    assert "1 item(s) whose media cannot be shown" in status and PHOTOS[1] in status and gone[:12] in status
    s3_server.client().upload_file(str(folder / PHOTOS[1]), s3_bucket, f"signs/{object_key(gone)}")
    assert "flags are cleared" in run("media", "verify", "signs", db=db).stdout
    assert "whose media cannot be shown" not in run("queue", "status", "signs", db=db).stdout


def test_an_existing_project_migrates_into_a_store_and_only_then_points_at_it(tmp_path, s3_server, s3_bucket, desktop):
    desktop("lead")
    db = tmp_path / "team.sqlite3"
    run("db", "upgrade", db=db)
    run("project", "create", "signs", "--kind", "image_boxes", "--labels", "stop", db=db)
    folder = photos(tmp_path)
    run("import", "signs", str(folder), db=db)
    refused = run("media", "migrate", "signs", "--to", "s3://no-such-bucket-anywhere", db=db, ok=False)
    assert refused.returncode != 0 and "does not exist" in refused.stdout + refused.stderr
    untouched = run("media", "verify", "signs", db=db, ok=False)
    assert "by path, in no store" in untouched.stdout + untouched.stderr  # still files by path
    moved = run("media", "migrate", "signs", "--to", f"s3://{s3_bucket}/moved", db=db)
    assert "3 object(s) uploaded" in moved.stdout
    shutil.rmtree(folder)  # the files by path are no longer needed
    assert "matches its hash" in run("media", "verify", "signs", db=db).stdout
