"""`annotator offline` and `annotator conflict` as a lead runs them: real processes, a real
database file, and a bundle worked on as the laptop's app works on it."""

import json
import re

from annotator.config import sqlite_url
from annotator.core import queue
from annotator.core.auth import login
from annotator.db import open_database
from tests.e2e.test_cli import run


def team_database(tmp_path, items=4):
    db = tmp_path / "team.sqlite3"
    run("db", "upgrade", db=db)
    run("user", "add", "lena", "--password-stdin", db=db, stdin="secret-1\n")
    run("project", "create", "intents", "--kind", "text_categories", "--labels", "billing,delivery", db=db)
    texts = tmp_path / "texts.csv"
    texts.write_text("id,text\n" + "".join(f"t{n},message {n}\n" for n in range(items)), encoding="utf-8")
    run("import", "intents", str(texts), db=db)
    return db


def answer_in_bundle(bundle, label: str) -> list[str]:
    """Log in to the bundle as lena and answer every item in it, as the app does offline."""
    database = open_database(sqlite_url(bundle))
    answered = []
    try:
        with database.write() as s:
            actor = login(s, "lena", "secret-1")
        while True:
            with database.write() as s:
                try:
                    item = queue.claim_next(s, actor, "intents")
                except Exception:  # nothing left in the bundle
                    break
            with database.write() as s:
                queue.submit(s, actor, item.assignment_id, {"label": label}, 0.5)
            answered.append(item.external_id)
    finally:
        database.dispose()
    return answered


def conflict_ids(db) -> list[int]:
    listing = run("conflict", "list", db=db).stdout
    return [int(n) for n in re.findall(r"^│ (\d+) ", listing, re.M)]


def test_check_out_work_offline_check_in_and_resolve_the_conflicts(tmp_path):
    db = team_database(tmp_path)
    bundle = tmp_path / "lena.annot"
    out = run("offline", "checkout", "intents", "--user", "lena", "--count", "3", "--out", str(bundle), db=db).stdout
    assert re.search(r"Checked out 3 item\(s\) for lena to .*lena\.annot", " ".join(out.split()))
    assert "│ lena │ intents │ 3 " in run("offline", "list", db=db).stdout and " out " in run("offline", "list", db=db).stdout

    answered = answer_in_bundle(bundle, "delivery")
    assert len(answered) == 3
    # Meanwhile a lead corrects one of the items the laptop has: its answer comes back as a conflict.
    run("item", "edit", "intents", answered[0], "--payload", json.dumps({"text": "message, corrected"}), db=db)

    first = run("offline", "checkin", str(bundle), db=db).stdout
    assert "2 submitted" in first and "1 conflict" in first, first
    assert "conflict: " in first and answered[0] in first
    again = run("offline", "checkin", str(bundle), db=db).stdout
    assert "Nothing changed: its 3 answers and drafts are already in the database" in " ".join(again.split())
    assert " checked in " in run("offline", "list", db=db).stdout

    [conflict] = conflict_ids(db)
    assert answered[0] in run("conflict", "list", db=db).stdout
    assert f"Conflict {conflict}" in run("conflict", "accept", str(conflict), "--comment", "still right", db=db).stdout
    assert conflict_ids(db) == []
    assert str(conflict) in run("conflict", "list", "--all", db=db).stdout
    exported = tmp_path / "out.jsonl"
    run("export", "intents", str(exported), db=db)
    labels = {r["id"]: [a["answer"] for a in r["answers"]] for r in map(json.loads, exported.read_text().splitlines())}
    assert all(labels[x] == [{"label": "delivery"}] for x in answered), labels


def test_a_revoked_checkout_gives_its_items_back_and_late_work_is_dismissed(tmp_path):
    db = team_database(tmp_path, items=2)
    bundle = tmp_path / "lena.annot"
    run("offline", "checkout", "intents", "--user", "lena", "--count", "2", "--out", str(bundle), db=db)
    bundle_id = re.search(r"│ ([0-9a-f-]{8,}) *│\s*$", run("offline", "list", db=db).stdout, re.M).group(1)
    revoked = run("offline", "revoke", bundle_id, db=db).stdout
    assert f"Revoked {bundle_id}: 2 claim(s) expired" in " ".join(revoked.split())
    answer_in_bundle(bundle, "billing")  # the laptop did not know
    late = run("offline", "checkin", str(bundle), db=db).stdout
    assert "2 conflict" in late, late
    for conflict in conflict_ids(db):
        run("conflict", "dismiss", str(conflict), "--comment", "the checkout was revoked", db=db)
    assert conflict_ids(db) == []
    refused = run("conflict", "dismiss", "999", "--comment", "x", db=db, ok=False)
    assert refused.returncode == 1 and "999" in refused.stderr and "Traceback" not in refused.stderr
