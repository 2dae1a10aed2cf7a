"""The queue benchmark's load: annotators claiming and submitting, as threads on PostgreSQL
(each their own login) or as processes on SQLite, timed as the person waits; and the floors of
../shared/bench, run as they are."""

from __future__ import annotations

import multiprocessing as mp
import os
import random
import re
import subprocess
import sys
import threading
import time

from sqlalchemy import func, select

from annotator.core import queue, queue_direct
from annotator.core.auth import Actor
from annotator.db import Database
from annotator.db.models import Assignment, Item, Membership
from annotator.errors import NothingLeft
from annotator.ui.heap import settle
from benchmarks.common import SHARED_BENCH, pct
from benchmarks.queue_setup import REALISTIC, REALISTIC_GIVE_BACK, REALISTIC_IDLE, own_databases

SESSION_PATH = os.environ.get("QUEUE_BENCH_PATH") == "session"


# ---- the cycle -------------------------------------------------------------------------------


def cycle(db: Database, actor: Actor, claims: list, submits: list) -> bool:
    t0 = time.perf_counter()
    try:
        if SESSION_PATH:  # for comparison: the session code the direct path falls back to
            c = db.run(lambda s: queue.claim_next(s, actor, "p"))
        else:
            c = queue_direct.claim(db, actor, "p")  # what the app's workbench calls
    except NothingLeft:
        return False
    t1 = time.perf_counter()
    if SESSION_PATH:
        db.run(lambda s: queue.submit(s, actor, c.assignment_id, {"label": "a"}, 1.0))
    else:
        queue_direct.submit(db, actor, c.assignment_id, {"label": "a"}, 1.0)
    t2 = time.perf_counter()
    claims.append(t1 - t0)
    submits.append(t2 - t1)
    return True


class Annotator:
    """One annotator's loop. As the workbench runs it (`workbench=True`), Submit hands in the
    answer and claims the next item in one call, queue_direct.submit_and_claim, which on the
    common path is one transaction; its time is what the annotator waits for the next item, and
    goes in as the claim's (the submit has no time of its own). Otherwise claim and submit are
    separate calls, timed apart."""

    def __init__(self, db: Database, actor: Actor, workbench: bool):
        self.db, self.actor, self.workbench = db, actor, workbench
        self.current: queue.ClaimedItem | None = None

    def cycle(self, claims: list, submits: list) -> bool:
        if not self.workbench:
            return cycle(self.db, self.actor, claims, submits)
        if self.current is None:  # the first item of the session, before the loop's rhythm
            try:
                self.current = queue_direct.claim(self.db, self.actor, "p")
            except NothingLeft:
                return False
        t0 = time.perf_counter()
        done = queue_direct.submit_and_claim(self.db, self.actor, self.current.assignment_id, {"label": "a"}, 1.0, "p")
        claims.append(time.perf_counter() - t0)
        self.current = done.next
        return done.next is not None


class RealisticAnnotator(Annotator):
    """The workbench's loop with what a working day adds: a skip or a release now and then, and,
    for a few, one long pause that lets their lease run out (someone else's claim frees it)."""

    def __init__(self, db: Database, actor: Actor, workbench: bool, idles: bool, seed: int):
        super().__init__(db, actor, workbench=True)
        self.rng = random.Random(seed)
        self.idle_at = time.perf_counter() + 8 if idles else None

    def cycle(self, claims: list, submits: list) -> bool:
        if self.current is None:
            return super().cycle(claims, submits)
        if self.idle_at is not None and time.perf_counter() > self.idle_at:
            self.idle_at = None
            time.sleep(REALISTIC["lease_seconds"] + 2)  # the lease runs out; the next claim resumes or moves on
            return self._claim(claims)
        r = self.rng.random()
        if r < REALISTIC_GIVE_BACK:
            give_back = queue.skip if r < REALISTIC_GIVE_BACK / 2 else queue.release
            assignment = self.current.assignment_id
            self.db.run(lambda s: give_back(s, self.actor, assignment))
            return self._claim(claims)
        return super().cycle(claims, submits)

    def _claim(self, claims: list) -> bool:
        t0 = time.perf_counter()  # the person waits for the next item
        try:
            self.current = queue_direct.claim(self.db, self.actor, "p")
        except NothingLeft:
            return False
        claims.append(time.perf_counter() - t0)
        return True


def warm_pools(dbs: list[Database]) -> None:
    """Open a session pool connection of each (the fallbacks use them) before the clock starts:
    an app connects once per session, so connection set-up is not part of a claim. The direct
    path's connections, one per thread, open in each thread's untimed first cycle."""
    from contextlib import ExitStack

    with ExitStack() as stack:
        for db in dbs:
            stack.enter_context(db.engine.connect())


def join_project(db: Database, actors: list[Actor], dbs: dict[int, Database] | None = None) -> None:
    """Each annotator's first claim ever, before the clock starts. On SQLite the first claim on a
    project makes the membership (the session path, tens of ms); a team's annotators have long
    since made theirs, so leaving 32 of them in a 960-claim run would make them the p99."""
    with db.read() as s:
        members = set(s.scalars(select(Membership.user_id)))
    for actor in actors:
        if actor.id not in members:
            cycle((dbs or {}).get(actor.id, db), actor, [], [])


def run_threads(db: Database, actors: list[Actor], seconds: float, paced: float | None,
                workbench: bool = False, realistic: bool = False) -> dict:
    claims: list[float] = []
    submits: list[float] = []
    dbs = own_databases(db, actors)
    join_project(db, actors, dbs)
    warm_pools(list(dbs.values()))
    # The app sets its start-up heap aside from the collector once its window shows (ui/heap.py),
    # so a desktop's full collection walks only what it made since. This process stands in for 32
    # desktops: unsettled, a full collection here walked the modules, the ORM and 32 pools' worth
    # of objects and held every thread at once (benchmarks/results/queue_findings.md).
    settle()
    clock: dict[str, float] = {}

    def start_clock() -> None:
        clock["start"] = time.perf_counter()
        clock["stop"] = clock["start"] + seconds

    # Every thread makes one untimed claim and submit first, all at once, so that each thread's
    # connection has run the statements before the clock starts: a new server process spends
    # tens of ms loading its catalogue caches on its first claim, which an app pays once per
    # login, not once in every hundred claims.
    ready = threading.Barrier(len(actors), action=start_clock)

    def worker(actor: Actor, phase: float) -> None:
        mine = dbs[actor.id]
        if realistic:
            annotator = RealisticAnnotator(mine, actor, True, idles=actor.id % len(actors) < REALISTIC_IDLE, seed=actor.id)
        else:
            annotator = Annotator(mine, actor, workbench)
        annotator.cycle([], [])
        ready.wait()
        stop = clock["stop"]
        nxt = time.perf_counter() + phase
        while time.perf_counter() < stop:
            if paced:
                delay = nxt - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
                nxt += paced
            if not annotator.cycle(claims, submits):
                return

    threads = [threading.Thread(target=worker, args=(a, random.uniform(0, paced or 0))) for a in actors]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    wall = time.perf_counter() - clock["start"]
    for own in set(dbs.values()) - {db}:
        own.dispose()
    return summarise(claims, submits, wall)


def history(db: Database, actor: Actor, n: int) -> dict:
    """One annotator, back to back, n items: does their claim slow down as their own history
    grows (dead index entries, plans made for a young table)? The first 500 against the last."""
    claims: list[float] = []
    submits: list[float] = []
    mine = own_databases(db, [actor])[actor.id]
    for _ in range(n):
        if not cycle(mine, actor, claims, submits):
            break
    if mine is not db:
        mine.dispose()
    first, last = pct(claims[:500], 0.5), pct(claims[-500:], 0.5)
    return {"items": len(claims), "claim_p50_first_500_ms": round(first, 3), "claim_p50_last_500_ms": round(last, 3),
            "ratio": round(last / first, 2)}


def summarise(claims: list[float], submits: list[float], wall: float) -> dict:
    return {
        "cycles": len(claims), "seconds": round(wall, 2), "cycles_per_s": round(len(claims) / wall, 1),
        "claim_p50_ms": round(pct(claims, 0.5), 3), "claim_p95_ms": round(pct(claims, 0.95), 3),
        "claim_p99_ms": round(pct(claims, 0.99), 3),
        "submit_p50_ms": round(pct(submits, 0.5), 3) if submits else None,
        "submit_p99_ms": round(pct(submits, 0.99), 3) if submits else None,
    }


def duplicates(db: Database, overlap: int = 1) -> int:
    """Items held or answered more often than their overlap allows, plus any (item, user) twice."""
    live = ("claimed", "submitted", "approved")
    with db.read() as s:
        over = (select(Assignment.item_id).join(Item, Item.id == Assignment.item_id)
                .where(Assignment.status.in_(live), ~Item.is_gold)
                .group_by(Assignment.item_id).having(func.count() > overlap).subquery())
        twice = (select(Assignment.item_id).group_by(Assignment.item_id, Assignment.user_id)
                 .having(func.count() > 1).subquery())
        return s.scalar(select(func.count()).select_from(over)) + s.scalar(select(func.count()).select_from(twice))


def sqlite_worker(url: str, actor: tuple, workbench: bool, start_at: float, seconds_until: float, out) -> None:
    db = Database(url)
    claims: list[float] = []
    submits: list[float] = []
    annotator = Annotator(db, Actor(*actor), workbench)
    annotator.cycle([], [])  # untimed: opens the connection and claims the session's first item
    time.sleep(max(0.0, start_at - time.time()))
    while time.time() < seconds_until:
        if not annotator.cycle(claims, submits):
            break
    db.dispose()
    out.put((claims, submits))


def run_processes(url: str, actors: list[Actor], seconds: float, workbench: bool = False) -> dict:
    ctx = mp.get_context("spawn")
    out = ctx.Queue()
    start_at = time.time() + 3.0  # let every process start before the clock runs
    procs = [ctx.Process(target=sqlite_worker, args=(url, (a.id, a.name, a.role), workbench, start_at, start_at + seconds,
                                                     out)) for a in actors]
    for p in procs:
        p.start()
    results = [out.get() for _ in procs]
    for p in procs:
        p.join()
    claims = [x for r in results for x in r[0]]
    submits = [x for r in results for x in r[1]]
    return summarise(claims, submits, seconds)



# ---- floors ----------------------------------------------------------------------------------


def run_floor(script: str, args: list[str]) -> dict:
    path = SHARED_BENCH / script
    if not path.exists():
        return {"error": f"{path} not found"}
    out = subprocess.run([sys.executable, str(path), *args], capture_output=True, text=True, timeout=900)
    text_out = out.stdout + out.stderr
    m = re.search(r"= (\d+)/s", text_out)
    c = re.search(r"claim ms p50 ([\d.]+) p95 ([\d.]+) p99 ([\d.]+)", text_out)
    d = re.search(r"duplicates (\d+)", text_out)
    if not (m and c):
        return {"error": text_out[-500:]}
    return {"cycles_per_s": float(m.group(1)), "claim_p50_ms": float(c.group(1)), "claim_p95_ms": float(c.group(2)),
            "claim_p99_ms": float(c.group(3)), "duplicates": int(d.group(1)) if d else None}

