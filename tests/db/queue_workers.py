"""Annotator workers for the concurrency tests: each claims and submits as fast as it can (half
of them as the workbench does, claiming the next item with each submit), abandons a few claims
(a crashed client) and submits them late, at the end."""

from __future__ import annotations

import random
import time

from sqlalchemy import func, select

from annotator.core import queue_direct
from annotator.core.auth import Actor
from annotator.db import Database
from annotator.db.engine import make_engine
from annotator.db.models import Assignment, Item
from annotator.errors import NothingLeft
from tests.helpers import connected_as

LABELS = ("a", "b", "c")


def project_done(db: Database, overlap: int) -> bool:
    with db.read() as s:
        items = s.scalar(select(func.count()).select_from(Item).where(Item.is_gold.is_(False)))
        finished = s.scalar(
            select(func.count()).select_from(Assignment).where(Assignment.status.in_(("submitted", "approved")))
        )
    return finished >= items * overlap


def work(url: str, user: tuple[int, str], overlap: int, seconds: float, abandon: float, seed: int, db: Database | None = None):
    own_db = db is None
    db = db or Database(url)
    actor = Actor(user[0], user[1], "annotator")
    rng = random.Random(seed)
    label = LABELS[seed % 3]
    # Half the annotators work as the workbench does: Submit claims the next item in the same call.
    workbench = seed % 2 == 1
    result = {"claims": [], "accepted": [], "conflicts": [], "abandoned": []}
    deadline = time.monotonic() + seconds
    following = None
    try:
        while time.monotonic() < deadline:
            if following is not None:
                c, following = following, None
            else:
                try:
                    c = queue_direct.claim(connected_as(db, actor), actor, "p", holding=tuple(result["abandoned"]))
                except NothingLeft:
                    if project_done(db, overlap):
                        break
                    time.sleep(0.05)
                    continue
            result["claims"].append((c.assignment_id, c.external_id))
            if len(result["abandoned"]) < 2 and rng.random() < abandon:
                result["abandoned"].append(c.assignment_id)
                continue
            if workbench:
                done = queue_direct.submit_and_claim(connected_as(db, actor), actor, c.assignment_id, {"label": label}, 1.0, "p",
                                                     holding=tuple(result["abandoned"]))
                out, following = done.outcome, done.next
            else:
                out = queue_direct.submit(connected_as(db, actor), actor, c.assignment_id, {"label": label}, 1.0)
            result["accepted" if out.accepted else "conflicts"].append((c.assignment_id, c.assignment_uid, label))
        if following is not None:  # out of time with an item in hand: it is answered too
            result["claims"].append((following.assignment_id, following.external_id))
            out = queue_direct.submit(connected_as(db, actor), actor, following.assignment_id, {"label": label}, 1.0)
            result["accepted" if out.accepted else "conflicts"].append(
                (following.assignment_id, following.assignment_uid, label))
        for aid in result["abandoned"]:  # the crashed client comes back and submits
            out = queue_direct.submit(connected_as(db, actor), actor, aid, {"label": label}, 1.0)
            result["accepted" if out.accepted else "conflicts"].append((aid, None, label))
    finally:
        if own_db:
            db.dispose()
    return result


def process_main(args, out_queue):
    out_queue.put(work(*args))


def shared_pg_database(url: str, threads: int) -> Database:
    return Database(url, engine=make_engine(url, pool_size=threads, max_overflow=4))
