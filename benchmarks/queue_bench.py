"""The work queue's claim+submit cycle on PostgreSQL and SQLite, beside the bare-driver floors
of ../shared/bench run in the same session, on the same machine.

usage: python benchmarks/queue_bench.py [--pg URL] [--quick] [--skip-floors]

Tried on SQLite and dropped (docs/adr/0006): a file lock to queue the writers (the kernel wakes
every waiter), polling BEGIN IMMEDIATE with short sleeps instead of SQLite's busy handler, a
checkpointer thread with the automatic checkpoint off (the log never restarts), memory-mapped
reads, and moving the Python work out of the write lock (a wider gap between COMMIT and the next
BEGIN loses more races, and the busy handler's sleeps raise the p99). Tried again with the
parameters made before BEGIN and the rows made objects after COMMIT, which cut the hold of the
lock by a quarter: no more cycles a second, and the p99 went from about 1 ms to 40 ms; with a
file lock or a polling wait in front of it, fewer cycles still. Also without a measurable
effect on 8 processes' throughput: a larger automatic checkpoint, and dropping the assignments'
review and status indexes. Measured since by one process's CPU time: each index a cycle writes
costs a few per cent, whatever its form (the audit trail's entity index, the review queue's),
and each serves a reader; a partial (user, status) index of open work only saved nothing. Kept:
2 KB pages for new databases, one transaction for submit-and-next.

On PostgreSQL the server's two cores bound the saturated run; a claim's update of the item
cannot be HOT (`open_slots` is in the claim index's predicate), so it writes every index of
`items`. A paced claim pays the machine's wake-up after an idle second, which the floor's one
thread, run back to back, does not: hence the back-to-back run printed beside it. Tried and
dropped: a project-wide claim front for overlap above 1 (the first item with a free slot, kept
per queue epoch), which skipped the dead front in a quiet run (9 index pages a claim instead of
40). In the realistic run give-backs bump the epoch about fifty times a second, and each claim
after a bump searched the dead front twice, to take an item and to set the front again: more
index pages a claim than before, and fewer cycles a second.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, func, select, text  # noqa: E402

from annotator.core import queue, queue_direct  # noqa: E402
from annotator.core.auth import Actor  # noqa: E402
from annotator.core.projects import ProjectSpec, create_project  # noqa: E402
from annotator.db import Database, migrate  # noqa: E402
from annotator.db.engine import make_engine  # noqa: E402
from annotator.db.models import Assignment, Item, Membership, User  # noqa: E402
from annotator.errors import NothingLeft  # noqa: E402
from benchmarks.common import SHARED_BENCH, Measure, drop_pg_schema, fresh_pg_schema, pct, print_table, report  # noqa: E402

SESSION_PATH = os.environ.get("QUEUE_BENCH_PATH") == "session"
# The saturated runs' targets are met, or not, by what the app does: the workbench's Submit
# hands in the answer and claims the next item in one call (queue_direct.submit_and_claim).
# The same runs with separate claim and submit calls are printed beside them.
WORKBENCH_LABEL = "submit + next, as the workbench"
PG_DEFAULT = os.environ.get("ANNOTATOR_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
OPERATOR = Actor.local_operator()


# ---- set-up ----------------------------------------------------------------------------------


def make_users(db: Database, n: int) -> list[Actor]:
    """n annotators. On PostgreSQL each is a login of their own, made by `annotator user add`'s
    service and a member of the project, and works through their own connections (ADR 9)."""
    if not db.is_sqlite:
        from annotator.core.members import add_member
        from annotator.core.users import add_user

        with db.write() as s:
            infos = [add_user(s, OPERATOR, f"bench{i}", PASSWORD, "annotator") for i in range(n)]
            for info in infos:
                add_member(s, OPERATOR, info.name, "p")
        return [Actor(i.id, i.name, i.role) for i in infos]
    with db.write() as s:
        # One cheap hash for all: argon2 per user would dominate the set-up, not the benchmark.
        from annotator.core.auth import hash_password

        h = hash_password(PASSWORD)
        s.add_all(User(name=f"bench{i}", password_hash=h, role="annotator", active=True) for i in range(n))
    with db.read() as s:
        return [Actor(u.id, u.name, u.role) for u in s.scalars(select(User).order_by(User.id))]


PASSWORD = "bench-password"


def own_databases(db: Database, actors: list[Actor]) -> dict[int, Database]:
    """Each annotator's own connection to the database, as their desktop has: on PostgreSQL their
    login (the server acts for session_user); on SQLite the file."""
    if db.is_sqlite:
        return {a.id: db for a in actors}
    from annotator.db.logins import with_login

    return {a.id: Database(url, engine=make_engine(url, pool_size=2, max_overflow=2))
            for a in actors for url in [with_login(db.url, a.name, PASSWORD)]}


# The realistic run: three answers per item, one item in ten gold, leases of 10 s that the idle
# annotators let expire mid-run, and skips and releases (REALISTIC_GIVE_BACK of the cycles).
REALISTIC = {"overlap": 3, "gold_rate": 0.1, "lease_seconds": 10}
REALISTIC_GOLD_ITEMS = 3_000
REALISTIC_GIVE_BACK = 0.05  # of the cycles, half skips and half releases
REALISTIC_IDLE = 2  # annotators who walk away once, for longer than the lease


def pg_prepare(base_url: str, schema: str, items: int, realistic: bool = False) -> tuple[str, float]:
    url = fresh_pg_schema(base_url, schema)
    db = Database(url)
    migrate.upgrade(db.engine)
    spec = ProjectSpec(name="p", kind="text_categories", config={"labels": ["a", "b"]}, **(REALISTIC if realistic else {}))
    with db.write() as s:
        pid = create_project(s, OPERATOR, spec).id
    slots = spec.overlap
    gold = REALISTIC_GOLD_ITEMS if realistic else 0
    t = time.perf_counter()
    raw = db.engine.raw_connection()
    try:
        cur = raw.driver_connection.cursor()
        with cur.copy(
            "COPY items (project_id, external_id, payload, priority, confidence, open_slots, is_gold, done_by_model,"
            " spot_check, version, created_at) FROM STDIN"
        ) as cp:
            for i in range(items):
                cp.write_row((pid, f"i{i}", '{"text": "item %d"}' % i, 0, -1.0, slots, False, False, False, 1, "2026-01-01T00:00:00Z"))
            for i in range(gold):  # gold items hold no ordinary slots; each user sees each once
                cp.write_row((pid, f"g{i}", '{"text": "gold %d"}' % i, 0, -1.0, 0, True, False, False, 1, "2026-01-01T00:00:00Z"))
        if gold:
            cur.execute("INSERT INTO gold_answers (item_id, answer) SELECT id, '{\"label\": \"a\"}' FROM items WHERE is_gold")
        raw.commit()
    finally:
        raw.close()
    load = time.perf_counter() - t
    settle_after_load(db)
    db.dispose()
    return url, load


def settle_after_load(db: Database, tables: tuple[str, ...] = ("items",)) -> None:
    """ANALYZE after the bulk load, and nothing more: the floor does the same to its tables
    (no VACUUM, no CHECKPOINT), so both start from the same kind of state."""
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
        for table in tables:
            c.exec_driver_sql(f"ANALYZE {table}")


def sqlite_prepare(path: Path, items: int) -> tuple[str, float]:
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    url = f"sqlite:///{path}"
    db = Database(url)
    migrate.upgrade(db.engine)
    with db.write() as s:
        pid = create_project(s, OPERATOR, ProjectSpec(name="p", kind="text_categories", config={"labels": ["a", "b"]})).id
    t = time.perf_counter()
    raw = db.engine.raw_connection()
    try:
        cur = raw.driver_connection.cursor()
        cur.execute("BEGIN")
        cur.executemany(
            "INSERT INTO items (project_id, external_id, payload, priority, confidence, open_slots, is_gold,"
            " done_by_model, spot_check, version, created_at) VALUES (?, ?, ?, 0, -1.0, 1, 0, 0, 0, 1, '2026-01-01 00:00:00')",
            ((pid, f"i{i}", '{"text": "item %d"}' % i) for i in range(items)),
        )
        cur.execute("COMMIT")
        cur.execute("ANALYZE")
    finally:
        raw.close()
    load = time.perf_counter() - t
    db.dispose()
    return url, load


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


def measures(results: dict, big: int) -> list[Measure]:
    """The issue's targets, as ratios to the floors of this same run."""
    pg, sq, fl = results["pg"], results["sqlite"], results["floors"]

    def floor(run: str, key: str) -> float | None:
        return fl[run][key] if run in fl and "error" not in fl[run] else None

    dupes = sum(r.get("duplicates") or 0 for k, r in [*pg.items(), *sq.items()] if k != "history")
    return [
        Measure("PostgreSQL 32 saturated, submit + next", pg["saturated"]["cycles_per_s"],
                floor("pg_32_threads", "cycles_per_s"), "cycles/s", 0.6, higher_is_better=True),
        Measure("PostgreSQL 32 saturated, realistic", pg["realistic"]["cycles_per_s"],
                floor("pg_32_threads", "cycles_per_s"), "cycles/s", 0.45, higher_is_better=True,
                note="overlap 3, gold 0.1, 5% skips and releases, leases expiring mid-run"),
        Measure(f"PostgreSQL 32 paced at {big:,} items, claim p50", pg[f"paced_{big}"]["claim_p50_ms"],
                floor("pg_1_thread", "claim_p50_ms"), "ms", 1.8, note="floor: 1 thread"),
        Measure(f"PostgreSQL 32 paced at {big:,} items, claim p99", pg[f"paced_{big}"]["claim_p99_ms"],
                floor("pg_1_thread", "claim_p99_ms"), "ms", 3.0, note="floor: 1 thread"),
        Measure(f"PostgreSQL one annotator back to back at {big:,} items, claim p50",
                pg["one_annotator_back_to_back"]["claim_p50_last_500_ms"], floor("pg_1_thread", "claim_p50_ms"), "ms",
                note="no target: the paced claim above is the target; both back to back"),
        Measure("SQLite 8 processes saturated, submit + next", sq["saturated"]["cycles_per_s"],
                floor("sqlite_8_procs", "cycles_per_s"), "cycles/s", 0.35, higher_is_better=True),
        Measure("SQLite 8 processes saturated, claim p99", sq["saturated"]["claim_p99_ms"],
                floor("sqlite_8_procs", "claim_p99_ms"), "ms", 3.0),
        Measure("items handed out twice, all runs", dupes, None, "items", limit=0),
    ]


# ---- main ------------------------------------------------------------------------------------


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pg", default=PG_DEFAULT)
    ap.add_argument("--quick", action="store_true", help="smaller and shorter, for a smoke run")
    ap.add_argument("--skip-floors", action="store_true")
    a = ap.parse_args()
    big = 100_000 if a.quick else 1_000_000
    secs = 8 if a.quick else 30
    results: dict = {"pg": {}, "sqlite": {}, "floors": {}}
    rows = []
    pg_base = a.pg.replace("postgresql://", "postgresql+psycopg://") if a.pg.startswith("postgresql://") else a.pg

    for items in (10_000, big):
        url, load = pg_prepare(pg_base, "annot_bench", items)
        db = Database(url, engine=make_engine(url, pool_size=34, max_overflow=4))
        actors = make_users(db, 32)
        paced = run_threads(db, actors, secs, paced=1.0)
        paced["duplicates"] = duplicates(db)
        results["pg"][f"paced_{items}"] = {"items": items, "load_s": round(load, 1), **paced}
        rows.append([f"PostgreSQL {items:,} items, 32 paced (1/s)", paced["cycles_per_s"], paced["claim_p50_ms"],
                     paced["claim_p99_ms"], paced["submit_p50_ms"], paced["duplicates"]])
        if items == 10_000:
            hist = history(db, actors[0], 2_000 if a.quick else 5_000)
            results["pg"]["history"] = hist
            rows.append([f"PostgreSQL, one annotator, first 500 → last 500 of {hist['items']:,}", "",
                         f"{hist['claim_p50_first_500_ms']} → {hist['claim_p50_last_500_ms']}", "", "", ""])
        if items == big:
            # The same claims back to back: beside the floor's one thread, which runs back to
            # back too, this tells the machine's wake-up after an idle second (which the paced
            # claims pay, and the floor's do not) from the cost of our claim itself.
            warm = history(db, actors[0], 1_000)
            results["pg"]["one_annotator_back_to_back"] = {"items": items, **warm}
            rows.append([f"PostgreSQL {items:,} items, one annotator back to back (last 500)", "",
                         warm["claim_p50_last_500_ms"], "", "", ""])
            for key, workbench, label in (("saturated_separate_calls", False, "claim, then submit"),
                                          ("saturated", True, WORKBENCH_LABEL)):
                settle_after_load(db, ("items", "assignments"))
                sat = run_threads(db, actors, secs, paced=None, workbench=workbench)
                sat["duplicates"] = duplicates(db)
                results["pg"][key] = {"items": items, **sat}
                rows.append([f"PostgreSQL {items:,} items, 32 saturated: {label}", sat["cycles_per_s"],
                             sat["claim_p50_ms"], sat["claim_p99_ms"], sat["submit_p50_ms"] or "(in the claim)",
                             sat["duplicates"]])
        db.dispose()
    url, load = pg_prepare(pg_base, "annot_bench", big, realistic=True)
    db = Database(url, engine=make_engine(url, pool_size=34, max_overflow=4))
    actors = make_users(db, 32)
    real = run_threads(db, actors, secs, paced=None, realistic=True)
    real["duplicates"] = duplicates(db, overlap=REALISTIC["overlap"])
    with db.read() as s:
        real["expired"] = s.scalar(select(func.count()).select_from(Assignment).where(Assignment.status == "expired"))
        real["gold_answered"] = s.scalar(select(func.count()).select_from(Assignment).join(Item, Item.id == Assignment.item_id)
                                         .where(Item.is_gold, Assignment.answer.is_not(None)))
    results["pg"]["realistic"] = {"items": big, **REALISTIC, **real}
    rows.append([f"PostgreSQL {big:,} items, 32 saturated, realistic (overlap 3, gold 0.1, give-backs, expiries)",
                 real["cycles_per_s"], real["claim_p50_ms"], real["claim_p99_ms"], "(in the claim)", real["duplicates"]])
    db.dispose()
    drop_pg_schema(pg_base, "annot_bench")

    tmp = Path(tempfile.mkdtemp(prefix="annot-bench-"))
    sq_items = 20_000 if a.quick else 100_000
    for key, workbench, label in (("saturated_separate_calls", False, "claim, then submit"),
                                  ("saturated", True, WORKBENCH_LABEL)):
        url, load = sqlite_prepare(tmp / f"{key}.sqlite3", sq_items)  # a fresh database for each
        db = Database(url)
        actors = make_users(db, 8)
        join_project(db, actors)
        db.dispose()
        sq = run_processes(url, actors, 4 if a.quick else 10, workbench=workbench)
        db = Database(url)
        sq["duplicates"] = duplicates(db)
        db.dispose()
        results["sqlite"][key] = {"items": sq_items, "load_s": round(load, 1), **sq}
        rows.append([f"SQLite {sq_items:,} items, 8 processes saturated: {label}", sq["cycles_per_s"],
                     sq["claim_p50_ms"], sq["claim_p99_ms"], sq["submit_p50_ms"] or "(in the claim)", sq["duplicates"]])

    if not a.skip_floors:
        floor_url = pg_base.replace("postgresql+psycopg://", "postgresql://")
        results["floors"]["pg_1_thread"] = run_floor("pg_claim_floor.py", [floor_url, "--items", str(big), "--threads", "1", "--seconds", "10"])
        results["floors"]["pg_32_threads"] = run_floor("pg_claim_floor.py", [floor_url, "--items", str(big), "--threads", "32", "--seconds", "20"])
        results["floors"]["sqlite_8_procs"] = run_floor("sqlite_claim_floor.py", [str(tmp / "floor.sqlite3"), "--items", str(sq_items), "--procs", "8", "--seconds", "10"])
        with create_engine(pg_base, isolation_level="AUTOCOMMIT").connect() as c:
            c.execute(text("DROP TABLE IF EXISTS asg; DROP TABLE IF EXISTS item"))
        for name, f in results["floors"].items():
            if "error" not in f:
                rows.append([f"floor: {name}", f["cycles_per_s"], f["claim_p50_ms"], f["claim_p99_ms"], "", f.get("duplicates")])
    shutil.rmtree(tmp, ignore_errors=True)

    print_table("Work queue: claim+submit", ["run", "cycles/s", "claim p50 ms", "claim p99 ms", "submit p50 ms", "duplicates"], rows)
    pg = results["pg"]
    results["claim_p50_1M_over_10k"] = round(pg[f"paced_{big}"]["claim_p50_ms"] / pg["paced_10000"]["claim_p50_ms"], 2)
    print(f"results: {report('queue', measures(results, big), results)}")


if __name__ == "__main__":
    main()
