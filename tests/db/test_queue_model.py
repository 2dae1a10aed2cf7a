"""A Hypothesis state machine drives the real queue and an in-memory model of its rules side by
side (claims and submits through the session code and the app's direct path, the workbench's
submit-and-next, skips, releases, clocks running past leases) and compares them. Each example
draws its project: overlap 1, 2 or 3, items with priorities and model confidences (some with
none), and a review policy (none, all, or a sample of none or all of the work); the annotators
report fractional seconds, some of them more than the time since the claim."""

import json
import shutil
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import select

from annotator.core import queue, queue_direct
from annotator.core.auth import Actor
from annotator.core.importing import import_items
from annotator.db import Database
from annotator.db.base import utcnow
from annotator.db.models import Assignment, Item
from annotator.errors import AssignmentClosed, NothingLeft
from tests.helpers import connected_as, dispose_logins, make_project, make_user

N_ITEMS, N_USERS, LEASE = 5, 3, 60
# (policy, share sampled): with a share of 0 or 1 the sample is known in advance, so it is checked.
POLICIES = [("none", 0.0), ("all", 0.0), ("sample", 0.0), ("sample", 1.0)]


class Model:
    def __init__(self, now, overlap, ranks, policy):
        self.now = now
        self.overlap = overlap
        self.slots = {f"i{n}": overlap for n in range(N_ITEMS)}
        self.rank = ranks  # item -> its place in the claim order
        self.policy = policy
        self.asg = {}  # (item, user) -> dict(status, skipped, lease, order, claimed_at, seconds)
        self.order = 0

    def expire(self):
        for a in self.asg.values():
            if a["status"] == "claimed" and a["lease"] < self.now:
                a["status"] = "expired"
                self.slots[a["item"]] += 1

    def claim(self, user):
        self.expire()
        mine = sorted((a for a in self.asg.values() if a["user"] == user and not a["skipped"]
                       and a["status"] in ("claimed", "expired", "released")),
                      key=lambda a: (a["status"] != "claimed", a["order"]))
        for a in mine:
            if a["status"] == "claimed":  # handed back with the full time limit from now, never less
                a["lease"] = max(a["lease"], self.now + timedelta(seconds=LEASE))
                return a["item"]
            if self.slots[a["item"]] > 0:
                self.slots[a["item"]] -= 1
                a.update(status="claimed", lease=self.now + timedelta(seconds=LEASE))
                return a["item"]
        for item in sorted(self.slots, key=self.rank.get):
            if self.slots[item] > 0 and (item, user) not in self.asg:
                self.slots[item] -= 1
                self.order += 1
                self.asg[(item, user)] = dict(item=item, user=user, status="claimed", skipped=False,
                                              lease=self.now + timedelta(seconds=LEASE), order=self.order,
                                              claimed_at=self.now, seconds=0.0, review=False)
                return item
        return None

    def submit(self, item, user, seconds):
        a = self.asg[(item, user)]
        if a["skipped"]:
            return "closed"
        if a["status"] in ("submitted", "approved"):
            return "accepted"  # the same answer again: a retry
        if a["status"] in ("expired", "released"):
            if self.slots[item] <= 0:
                return "conflict"
            self.slots[item] -= 1
        policy, share = self.policy
        a["status"] = "approved" if policy == "none" else "submitted"
        a["review"] = policy == "all" or (policy == "sample" and share == 1.0)
        # Clamped to the time since the first claim, to the millisecond.
        a["seconds"] = min(max(0.0, seconds), (self.now - a["claimed_at"]).total_seconds())
        return "accepted"

    def give_back(self, item, user, skip):
        a = self.asg[(item, user)]
        if a["status"] not in ("claimed", "expired"):
            return "closed"
        if a["status"] == "claimed":
            self.slots[item] += 1
        a.update(status="released", skipped=skip)
        return "ok"


# What an annotator's clock may report: fractions of a second, nothing, and far too much.
SECONDS = st.one_of(st.floats(0, 90, allow_nan=False), st.sampled_from([0.0, 0.0004, 1.2345, 10**6]))


def machine_for(fresh_url):
    class QueueMachine(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            self.db = Database(fresh_url())
            self.ids = {}  # (item, user) -> assignment id

        @initialize(overlap=st.sampled_from([1, 2, 3]), policy=st.sampled_from(POLICIES),
                    priorities=st.lists(st.integers(0, 2), min_size=N_ITEMS, max_size=N_ITEMS),
                    confidences=st.lists(st.one_of(st.none(), st.sampled_from([0.1, 0.5, 0.9])),
                                         min_size=N_ITEMS, max_size=N_ITEMS))
        def a_project(self, overlap, policy, priorities, confidences):
            make_project(self.db, "p", overlap=overlap, lease_seconds=LEASE, review_policy=policy[0],
                         review_sample=policy[1])
            path = self.tmp / "items.jsonl"
            with path.open("w") as f:
                for n, (priority, confidence) in enumerate(zip(priorities, confidences)):
                    row = {"id": f"i{n}", "text": f"t{n}", "priority": priority}
                    if confidence is not None:
                        row.update(prediction={"label": "a"}, confidence=confidence)
                    f.write(json.dumps(row) + "\n")
            with self.db.write() as s:
                import_items(s, Actor.local_operator(), "p", path)
            # Highest priority first, then the least sure (no confidence counts as least), then import order.
            ranks = {f"i{n}": (-p, -1.0 if c is None else c, n)
                     for n, (p, c) in enumerate(zip(priorities, confidences))}
            self.users = [make_user(self.db, f"u{n}") for n in range(N_USERS)]
            self.model = Model(utcnow(), overlap, ranks, policy)

        def teardown(self):
            dispose_logins(self.db)
            self.db.dispose()

        @rule(user=st.integers(0, N_USERS - 1))
        def claim(self, user):
            expected = self.model.claim(user)
            try:
                got = queue_direct.claim_in_session(connected_as(self.db, self.users[user]), self.users[user], "p", now=self.model.now)
            except NothingLeft:
                got = None
            assert (got.external_id if got else None) == expected
            if got:
                self.ids[(got.external_id, user)] = got.assignment_id

        @rule(user=st.integers(0, N_USERS - 1))
        def claim_in_the_app(self, user):
            """The app's claim (queue_direct), which takes the common case itself."""
            expected = self.model.claim(user)
            try:
                got = queue_direct.claim(connected_as(self.db, self.users[user]), self.users[user], "p", now=self.model.now)
            except NothingLeft:
                got = None
            assert (got.external_id if got else None) == expected
            if got:
                self.ids[(got.external_id, user)] = got.assignment_id

        @precondition(lambda self: self.ids)
        @rule(index=st.integers(0, 50), seconds=SECONDS)
        def submit_and_next(self, index, seconds):
            """The workbench's Submit: the answer, then the next item, in one call."""
            item, user = self._pick(index)
            expected = self.model.submit(item, user, seconds)
            expected_next = None if expected == "closed" else self.model.claim(user)
            try:
                done = queue_direct.submit_and_claim(connected_as(self.db, self.users[user]), self.users[user],
                                                     self.ids[(item, user)], {"label": "a"}, seconds, "p",
                                                     now=self.model.now)
            except AssignmentClosed:
                got, got_next = "closed", None
            else:
                got = "accepted" if done.outcome.accepted else "conflict"
                got_next = done.next.external_id if done.next else None
                if done.next:
                    self.ids[(done.next.external_id, user)] = done.next.assignment_id
            assert (got, got_next) == (expected, expected_next)

        def _pick(self, data_index):
            keys = sorted(self.ids)
            return keys[data_index % len(keys)]

        @precondition(lambda self: self.ids)
        @rule(index=st.integers(0, 50), seconds=SECONDS, in_the_app=st.booleans())
        def submit(self, index, seconds, in_the_app):
            item, user = self._pick(index)
            expected = self.model.submit(item, user, seconds)
            who = connected_as(self.db, self.users[user])
            try:
                if in_the_app:
                    out = queue_direct.submit(who, self.users[user], self.ids[(item, user)], {"label": "a"}, seconds,
                                              now=self.model.now)
                else:
                    with who.write() as s:
                        out = queue.submit(s, self.users[user], self.ids[(item, user)], {"label": "a"}, seconds,
                                           now=self.model.now)
                got = "accepted" if out.accepted else "conflict"
            except AssignmentClosed:
                got = "closed"
            assert got == expected

        @precondition(lambda self: self.ids)
        @rule(index=st.integers(0, 50), skip=st.booleans())
        def give_back(self, index, skip):
            item, user = self._pick(index)
            expected = self.model.give_back(item, user, skip)
            try:
                with connected_as(self.db, self.users[user]).write() as s:
                    (queue.skip if skip else queue.release)(s, self.users[user], self.ids[(item, user)], now=self.model.now)
                got = "ok"
            except AssignmentClosed:
                got = "closed"
            assert got == expected

        @rule(seconds=st.sampled_from([5, 30, 61, 200]))
        def time_passes(self, seconds):
            self.model.now += timedelta(seconds=seconds)

        @invariant()
        def same_slots_and_statuses(self):
            if not hasattr(self, "model"):
                return
            with self.db.read() as s:
                slots = dict(s.execute(select(Item.external_id, Item.open_slots)).all())
                rows = s.execute(select(Assignment.user_id, Assignment.status, Item.external_id,
                                        Assignment.active_seconds, Assignment.needs_review)
                                 .join(Item, Item.id == Assignment.item_id)).all()
            # The database expires leases lazily, at the next claim; compare after the model's
            # own lazy expiry, which runs at the same moments.
            assert slots == self.model.slots
            user_index = {u.id: n for n, u in enumerate(self.users)}
            statuses = {(ext, user_index[uid]): status for uid, status, ext, _, _ in rows}
            model = {k: v["status"] for k, v in self.model.asg.items()}
            assert statuses == model
            for uid, status, ext, seconds, review in rows:
                expected = self.model.asg[(ext, user_index[uid])]
                if status in ("submitted", "approved"):
                    assert abs(seconds - expected["seconds"]) <= 0.0005 + 1e-9, (ext, seconds, expected["seconds"])
                    assert round(seconds, 3) == seconds
                    assert bool(review) == expected["review"]
            live = {}
            for (ext, _), status in statuses.items():
                live[ext] = live.get(ext, 0) + (status in ("claimed", "submitted", "approved"))
            assert all(n <= self.model.overlap for n in live.values())

    return QueueMachine


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_queue_matches_its_model(backend, request, tmp_path):
    if backend == "sqlite":
        template = request.getfixturevalue("sqlite_template")
        counter = iter(range(10**6))

        def fresh_url():
            path = tmp_path / f"model-{next(counter)}.sqlite3"
            shutil.copy(template, path)
            return f"sqlite:///{path}"
        examples = 40
    else:
        url = request.getfixturevalue("pg_schema_url")
        from tests.conftest import _truncate_all

        def fresh_url():
            _truncate_all(url)
            return url
        examples = 15
    Machine = machine_for(fresh_url)
    Machine.tmp = tmp_path
    run_state_machine_as_test(
        Machine,
        settings=settings(max_examples=examples, stateful_step_count=30, deadline=None,
                          suppress_health_check=list(HealthCheck)),
    )
