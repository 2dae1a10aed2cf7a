"""A Hypothesis state machine drives the real queue and an in-memory model of its rules side by
side (claims and submits through the session code and the app's direct path, the workbench's
submit-and-next, skips, releases, clocks running past leases) and compares them."""

import shutil
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
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

N_ITEMS, N_USERS, OVERLAP, LEASE = 5, 3, 2, 60


class Model:
    def __init__(self, now):
        self.now = now
        self.slots = {f"i{n}": OVERLAP for n in range(N_ITEMS)}
        self.asg = {}  # (item, user) -> dict(status, skipped, lease, order)
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
        for item in sorted(self.slots, key=lambda i: int(i[1:])):
            if self.slots[item] > 0 and (item, user) not in self.asg:
                self.slots[item] -= 1
                self.order += 1
                self.asg[(item, user)] = dict(item=item, user=user, status="claimed", skipped=False,
                                              lease=self.now + timedelta(seconds=LEASE), order=self.order)
                return item
        return None

    def submit(self, item, user):
        a = self.asg[(item, user)]
        if a["skipped"]:
            return "closed"
        if a["status"] == "submitted":
            return "accepted"
        if a["status"] in ("expired", "released"):
            if self.slots[item] <= 0:
                return "conflict"
            self.slots[item] -= 1
        a["status"] = "submitted"
        return "accepted"

    def give_back(self, item, user, skip):
        a = self.asg[(item, user)]
        if a["status"] not in ("claimed", "expired"):
            return "closed"
        if a["status"] == "claimed":
            self.slots[item] += 1
        a.update(status="released", skipped=skip)
        return "ok"


def machine_for(fresh_url):
    class QueueMachine(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            self.db = Database(fresh_url())
            operator = Actor.local_operator()
            make_project(self.db, "p", overlap=OVERLAP, lease_seconds=LEASE, review_policy="all")
            with self.db.write() as s:
                path = self.tmp / "items.csv"
                import_items(s, operator, "p", path)
            self.users = [make_user(self.db, f"u{n}") for n in range(N_USERS)]
            self.model = Model(utcnow())
            self.ids = {}  # (item, user) -> assignment id

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
        @rule(index=st.integers(0, 50))
        def submit_and_next(self, index):
            """The workbench's Submit: the answer, then the next item, in one call."""
            item, user = self._pick(index)
            expected = self.model.submit(item, user)
            expected_next = None if expected == "closed" else self.model.claim(user)
            try:
                done = queue_direct.submit_and_claim(connected_as(self.db, self.users[user]), self.users[user], self.ids[(item, user)], {"label": "a"},
                                                     1.0, "p", now=self.model.now)
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
        @rule(index=st.integers(0, 50))
        def submit(self, index):
            item, user = self._pick(index)
            expected = self.model.submit(item, user)
            try:
                with connected_as(self.db, self.users[user]).write() as s:
                    out = queue.submit(s, self.users[user], self.ids[(item, user)], {"label": "a"}, 1.0, now=self.model.now)
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
            with self.db.read() as s:
                slots = dict(s.execute(select(Item.external_id, Item.open_slots)).all())
                rows = s.execute(select(Assignment.item_id, Assignment.user_id, Assignment.status, Item.external_id)
                                 .join(Item, Item.id == Assignment.item_id)).all()
            # The database expires leases lazily, at the next claim; compare after the model's
            # own lazy expiry, which runs at the same moments.
            assert slots == self.model.slots
            user_index = {u.id: n for n, u in enumerate(self.users)}
            statuses = {(ext, user_index[uid]): status for _, uid, status, ext in rows}
            model = {k: v["status"] for k, v in self.model.asg.items()}
            assert statuses == model
            live = {}
            for (ext, _), status in statuses.items():
                live[ext] = live.get(ext, 0) + (status in ("claimed", "submitted"))
            assert all(n <= OVERLAP for n in live.values())

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
    (tmp_path / "items.csv").write_text("id,text\n" + "".join(f"i{n},t{n}\n" for n in range(N_ITEMS)))
    Machine = machine_for(fresh_url)
    Machine.tmp = tmp_path
    run_state_machine_as_test(
        Machine,
        settings=settings(max_examples=examples, stateful_step_count=30, deadline=None,
                          suppress_health_check=list(HealthCheck)),
    )
