"""The queue's conformance scenarios: one table, run on both backends, each step checked against
the same outcome. On SQLite the rules are annotator/queue_rules.py and the session code; on
PostgreSQL they are the server's functions (migration 0007). A rule changed on one backend and
not the other fails here.

A step is (seconds since the start, who, action, arguments, expected outcome). Assignments are
named by (who, item): each user has each item at most once."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from annotator.core import conflicts, queue, queue_direct
from annotator.core.importing import import_items
from annotator.db.base import utcnow
from annotator.db.models import Assignment, Conflict
from annotator.errors import AnnotatorError, AssignmentClosed, NothingLeft, NotYourAssignment
from tests.helpers import connected_as, make_project, make_user

LEASE = 60


@dataclass
class Scenario:
    name: str
    steps: list[tuple]
    items: list[dict[str, Any]] = field(default_factory=lambda: [{"id": "x"}])
    project: dict[str, Any] = field(default_factory=dict)
    people: tuple[str, ...] = ("ann", "bob", "cid")


SCENARIOS = [
    Scenario(
        "claims come highest priority first, then least sure (none counts as least), then in import order",
        items=[{"id": "a"}, {"id": "b", "priority": 1}, {"id": "c", "confidence": 0.2},
               {"id": "d", "confidence": 0.9}, {"id": "e", "priority": 1, "confidence": 0.5}, {"id": "f"}],
        steps=[(0, "ann", "claim", (), "b"), (1, "ann", "submit", ("b", "a", 1), "approved"),
               (1, "ann", "claim", (), "e"), (2, "ann", "submit", ("e", "a", 1), "approved"),
               (2, "ann", "claim", (), "a"), (2, "bob", "claim", (), "f"), (2, "cid", "claim", (), "c"),
               (3, "cid", "submit", ("c", "a", 1), "approved"), (3, "cid", "claim", (), "d")],
    ),
    Scenario(
        "with overlap 2 two people get an item, a third gets the next, and nobody gets one twice",
        items=[{"id": "x"}, {"id": "y"}], project={"overlap": 2},
        steps=[(0, "ann", "claim", (), "x"), (0, "bob", "claim", (), "x"), (0, "cid", "claim", (), "y"),
               (1, "ann", "submit", ("x", "a", 1), "approved"), (1, "ann", "claim", (), "y"),
               (2, "ann", "submit", ("y", "a", 1), "approved"), (2, "ann", "claim", (), "nothing")],
    ),
    Scenario(
        "a restart hands back the live claim, with the full time limit from now",
        steps=[(0, "ann", "claim", (), ("x", LEASE)), (50, "ann", "claim", (), ("x", LEASE)),
               (60, "bob", "claim", (), "nothing")],
    ),
    Scenario(
        "a lease run out frees the slot for someone else; its owner's late answer is kept as a conflict",
        steps=[(0, "ann", "claim", (), "x"), (0, "ann", "draft", ("x", "b", 5), "ok"),
               (61, "bob", "claim", (), ("x", LEASE)), (62, "ann", "submit", ("x", "a", 30), "conflict"),
               (62, "ann", "draft_of", ("x",), "a"), (63, "bob", "submit", ("x", "b", 2), "approved")],
    ),
    Scenario(
        "a lease run out and not yet taken comes back to its owner with the draft and a full lease",
        steps=[(0, "ann", "claim", (), "x"), (0, "ann", "draft", ("x", "b", 5), "ok"),
               (90, "ann", "claim", (), ("x", LEASE)), (90, "ann", "draft_of", ("x",), "b"),
               (91, "ann", "submit", ("x", "b", 9), "approved")],
    ),
    Scenario(
        "a late answer is accepted when nobody took the slot",
        steps=[(0, "ann", "claim", (), "x"), (70, "ann", "submit", ("x", "a", 65), "approved"),
               (70, "ann", "seconds_of", ("x",), 65.0)],
    ),
    Scenario(
        "reported seconds are clamped to the time since the claim and kept to the millisecond",
        items=[{"id": "x"}, {"id": "y"}],
        steps=[(0, "ann", "claim", (), "x"), (10, "ann", "submit", ("x", "a", 500), "approved"),
               (10, "ann", "seconds_of", ("x",), 10.0), (10, "ann", "claim", (), "y"),
               (15, "ann", "submit", ("y", "a", 1.23456), "approved"), (15, "ann", "seconds_of", ("y",), 1.235)],
    ),
    Scenario(
        "a skipped item is never offered again; a released one comes back",
        items=[{"id": "x"}, {"id": "y"}],
        steps=[(0, "ann", "claim", (), "x"), (1, "ann", "skip", ("x",), "ok"), (1, "ann", "claim", (), "y"),
               (2, "ann", "release", ("y",), "ok"), (2, "ann", "claim", (), "y"),
               (3, "ann", "submit", ("x", "a", 1), "closed"), (3, "ann", "skip", ("x",), "closed"),
               (3, "bob", "claim", (), "x")],
    ),
    Scenario(
        "a retried submit of the same answer is harmless; a different second answer is refused",
        steps=[(0, "ann", "claim", (), "x"), (1, "ann", "submit", ("x", "a", 1), "approved"),
               (2, "ann", "submit", ("x", "a", 1), "approved"), (2, "ann", "submit", ("x", "b", 1), "closed"),
               (2, "ann", "answer_of", ("x",), "a"), (3, "ann", "draft", ("x", "b", 1), "closed")],
    ),
    Scenario(
        "nobody can submit, skip or extend another person's work",
        steps=[(0, "ann", "claim", (), "x"), (1, "bob", "submit", ("x", "a", 1, "ann"), "not yours"),
               (1, "bob", "skip", ("x", "ann"), "not yours"), (1, "bob", "extend", ("x", "ann"), "not yours"),
               (2, "ann", "submit", ("x", "a", 1), "approved")],
    ),
    Scenario(
        "a lease is extended by one lease at a time, to at most four leases from now, never shortened",
        steps=[(0, "ann", "claim", (), ("x", LEASE)), (10, "ann", "extend", ("x",), 2 * LEASE - 10),
               (10, "ann", "extend", ("x",), 3 * LEASE - 10), (10, "ann", "extend", ("x",), 4 * LEASE - 10),
               (10, "ann", "extend", ("x",), 4 * LEASE), (10, "ann", "extend", ("x",), 4 * LEASE)],
    ),
    Scenario(
        "with review of all work, an answer waits for a lead, flagged for review",
        items=[{"id": "x"}], project={"review_policy": "all"},
        steps=[(0, "ann", "claim", (), "x"), (1, "ann", "submit", ("x", "a", 1), "submitted"),
               (1, "ann", "needs_review", ("x",), True)],
    ),
    Scenario(
        "with a review sample of none, an answer waits for the auto-approve delay, unflagged",
        items=[{"id": "x"}], project={"review_policy": "sample", "review_sample": 0.0},
        steps=[(0, "ann", "claim", (), "x"), (1, "ann", "submit", ("x", "a", 1), "submitted"),
               (1, "ann", "needs_review", ("x",), False)],
    ),
    Scenario(
        # Found by a stress run (issue 17): a conflict left open beside a newer accepted answer,
        # which a lead accepting it later filed over the newer one.
        "a newer answer supersedes the conflict an older one made, and accepting it is refused",
        steps=[(0, "ann", "claim", (), "x"), (1, "ann", "release", ("x",), "ok"), (1, "bob", "claim", (), "x"),
               (2, "ann", "submit", ("x", "a", 1), "conflict"), (3, "bob", "release", ("x",), "ok"),
               (3, "ann", "claim", (), "x"), (4, "ann", "submit", ("x", "b", 1), "approved"),
               (5, "lee", "accept_conflict", (), "refused"), (5, "ann", "answer_of", ("x",), "b")],
        people=("ann", "bob", "lee"),
    ),
]


def _apply(db, users, handles, who, action, args, now):
    """Runs one step as its person's login; returns its outcome in the table's terms."""
    user = users[who]
    as_them = connected_as(db, user)

    def assignment(item, owner=None):
        return handles[(owner or who, item)]

    try:
        if action == "claim":
            got = queue_direct.claim(as_them, user, "p", now=now)
            handles[(who, got.external_id)] = got.assignment_id
            return got.external_id, round((got.lease_until - now).total_seconds())
        if action == "submit":
            item, label, seconds, *owner = args
            out = queue_direct.submit(as_them, user, assignment(item, *owner), {"label": label}, seconds, now=now)
            return out.status if out.accepted else "conflict"
        if action in ("skip", "release"):
            item, *owner = args
            with as_them.write() as s:
                getattr(queue, action)(s, user, assignment(item, *owner), now=now)
            return "ok"
        if action == "extend":
            item, *owner = args
            with as_them.write() as s:
                return round((queue.extend_lease(s, user, assignment(item, *owner), now=now) - now).total_seconds())
        if action == "draft":
            item, label, seconds = args
            with as_them.write() as s:
                queue.save_draft(s, user, assignment(item), {"label": label}, seconds, now=now)
            return "ok"
        if action == "accept_conflict":
            with db.read() as s:
                conflict_id = s.scalar(select(Conflict.id).order_by(Conflict.id.desc()))
            with as_them.write() as s:
                conflicts.accept_conflict(s, user, conflict_id)
            return "accepted"
    except NothingLeft:
        return "nothing"
    except NotYourAssignment:
        return "not yours"
    except AssignmentClosed:
        return "closed"
    except AnnotatorError as exc:
        return "refused" if "already resolved" in str(exc) else repr(exc)
    # What the database holds (read as the superuser: the checks are of outcomes, not of access).
    with db.read() as s:
        stored = s.get(Assignment, assignment(args[0]))
        return {"draft_of": lambda: (stored.draft or {}).get("label"), "answer_of": lambda: stored.answer["label"],
                "seconds_of": lambda: stored.active_seconds, "needs_review": lambda: bool(stored.needs_review)}[action]()


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_the_queue_behaves_the_same_on_both_backends(db, operator, tmp_path, scenario):
    make_project(db, "p", lease_seconds=LEASE, **scenario.project)
    path = tmp_path / "items.jsonl"
    path.write_text("".join(json.dumps({"text": "t", **row} | ({"prediction": {"label": "a"}} if "confidence" in row else {}))
                            + "\n" for row in scenario.items))
    with db.write() as s:
        import_items(s, operator, "p", path)
    users = {name: make_user(db, name, "lead" if name == "lee" else "annotator") for name in scenario.people}
    handles: dict[tuple[str, str], int] = {}
    start = utcnow()
    for n, (at, who, action, args, expected) in enumerate(scenario.steps):
        got = _apply(db, users, handles, who, action, args, start + timedelta(seconds=at))
        if isinstance(got, tuple) and not isinstance(expected, tuple):
            got = got[0]  # the item alone, where the table does not check the lease
        assert got == expected, f"step {n}: {who} {action} {args} at +{at}s"
