"""MTurk's batch results CSV out, in MTurk's own columns, and back with a lead's Approve and
Reject marks as review decisions: all of them or none, on both backends, with real MTurk files
for the reader's quirks."""

from __future__ import annotations

import csv
import re

import pytest
from sqlalchemy import select

from annotator.core import queue_direct
from annotator.core.importing import import_items
from annotator.core.mturk_results import apply_mturk_decisions, export_mturk_results
from annotator.db.models import Assignment
from annotator.errors import BadInput
from annotator.formats.mturk import FIXED, read_decisions
from tests.helpers import connected_as, make_project, make_user, shared

MTURK_TIME = re.compile(r"^[A-Z][a-z]{2} [A-Z][a-z]{2} \d{2} \d{2}:\d{2}:\d{2} UTC \d{4}$")


def handed_in(db, operator, tmp_path) -> None:
    """Three texts, reviewed by a lead (policy all); ann answers two and bob one."""
    make_project(db, "intents", config={"labels": ["billing", "card"]}, review_policy="all")
    source = tmp_path / "in.csv"
    source.write_text("id,text\nt1,my card is lost\nt2,  refund please  \nt3,charge twice\n", encoding="utf-8")
    with db.write() as s:
        import_items(s, operator, "intents", source)
    for name, count in (("ann", 2), ("bob", 1)):
        person = make_user(db, name)
        me = connected_as(db, person)
        for _ in range(count):
            item = queue_direct.claim(me, person, "intents")
            queue_direct.submit(me, person, item.assignment_id, {"label": "card"}, 0.0)


def rows_of(path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_the_results_file_has_mturks_columns_and_values(db, operator, tmp_path):
    handed_in(db, operator, tmp_path)
    out = tmp_path / "Batch_1_batch_results.csv"
    assert export_mturk_results(db, operator, "intents", out) == 3
    assert out.read_bytes().count(b"\r\n") == 4  # MTurk's line endings
    rows = rows_of(out)
    assert list(rows[0])[:len(FIXED)] == FIXED and list(rows[0])[-2:] == ["Approve", "Reject"]
    assert {r["WorkerId"] for r in rows} == {"ann", "bob"} and {r["AssignmentStatus"] for r in rows} == {"Submitted"}
    assert all(MTURK_TIME.match(r["AcceptTime"]) and MTURK_TIME.match(r["SubmitTime"]) for r in rows)
    assert {r["LifetimeApprovalRate"] for r in rows} == {"100% (0/0)"}
    assert {r["Input.text"] for r in rows} == {"my card is lost", "  refund please  ", "charge twice"}
    assert {r["Answer.label"] for r in rows} == {"card"}
    with db.read() as s:
        uids = set(s.scalars(select(Assignment.uid)))
    assert {r["AssignmentId"] for r in rows} == uids


def test_a_leads_marks_come_back_as_decisions_once_and_all_or_nothing(db, operator, tmp_path):
    handed_in(db, operator, tmp_path)
    out = tmp_path / "results.csv"
    export_mturk_results(db, operator, "intents", out)
    rows = rows_of(out)
    by_worker = sorted(rows, key=lambda r: r["WorkerId"])
    by_worker[0]["Approve"] = "x"
    by_worker[2]["Reject"] = "The card question is billing."
    edited = tmp_path / "edited.csv"
    with edited.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(by_worker)

    broken = tmp_path / "broken.csv"  # one id that is nobody's: the whole file is refused
    by_worker[1]["AssignmentId"], by_worker[1]["Approve"] = "3ZZZNOSUCHASSIGNMENT", "x"
    with broken.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(by_worker)
    with pytest.raises(BadInput, match=r"broken.csv, line 3.*1 AssignmentId\(s\) are not assignments of intents: "
                                       r"line 3 \(3ZZZNOSUCHASSIGNMENT\); nothing was applied"):
        with db.write() as s:
            apply_mturk_decisions(s, operator, "intents", broken)
    with db.read() as s:
        assert set(s.scalars(select(Assignment.status))) == {"submitted"}

    with db.write() as s:
        done = apply_mturk_decisions(s, operator, "intents", edited)
    assert (done.approved, done.rejected, done.unchanged) == (1, 1, 0)
    with db.read() as s:
        status = {a.uid: a.status for a in s.scalars(select(Assignment))}
    assert status[by_worker[0]["AssignmentId"]] == "approved" and status[by_worker[2]["AssignmentId"]] == "rejected"
    with db.write() as s:
        again = apply_mturk_decisions(s, operator, "intents", edited)
    assert (again.approved, again.rejected, again.unchanged) == (0, 0, 2)


def test_real_mturk_results_files_read_with_their_quirks(tmp_path):
    """A 140-column header over 138-field rows (no Approve or Reject at all), quoted and CRLF;
    and a qualification batch with minimal quoting: nothing marked, nothing to apply."""
    assert read_decisions(shared("mturk", "p808_Batch_257568_batch_results.csv")) == []
    assert read_decisions(shared("mturk", "p808_Batch_256535_batch_results.csv")) == []
    rows = rows_of(shared("mturk", "p808_Batch_256535_batch_results.csv"))
    rows[0]["Approve"], rows[0]["Reject"] = "x", "Too fast"
    marked = tmp_path / "marked.csv"
    with marked.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    with pytest.raises(BadInput, match=r"marked.csv, line 2: both Approve and Reject are filled in"):
        read_decisions(marked)
