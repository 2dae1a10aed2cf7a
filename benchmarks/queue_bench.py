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

Where the SQLite run's time goes, timed per hold of the write lock (BEGIN IMMEDIATE to the end
of COMMIT) in each process: the lock is held nearly all the time, by one process for a long run
of cycles while the others sleep in the busy handler, so cycles a second are one over that
process's whole cycle, its hold and the short gap before its next BEGIN. Moving work from the
hold into the gap gains nothing for that reason, and handing the lock to a waiting process
costs more than the gap: a process woken on the other core starts running tens of microseconds
later, a large part of a hold (a pipe's ping-pong between two processes shows it). The hold is
longer with 8 processes than with one, in every part of its distribution; COMMIT (the log pages
a cycle writes, and now and then a checkpoint) is its largest part. A cycle that had to wait
for the lock waited through the busy handler's sleeps, of a millisecond and more: the claim p99
falls among those waits or just below them, by how often the lock changes hands, which is why
it swings from run to run. Also tried: SQLite 3.51 (pysqlite3-binary) in place of the system's
3.40, slower; no automatic checkpoint at all, no faster (the growing log slows each COMMIT).
Most of a checkpoint is its sync of the log, whose bytes are the pages the cycles wrote (14 of
2 KB a cycle; the floor's 5 of 4 KB, in two commits): 1 KB pages halve those bytes and made one
process faster, but 8 processes no faster, so new databases keep 2 KB pages. Nor did a thread
in each process checkpointing now and then beside the automatic checkpoint (kept, so that the
log still restarts): one process a little faster, 8 processes slower. Of the pages beyond one
per b-tree, most are SQLite rebalancing an index's last three leaves: rows added in key order
(as every index here gets them) overflow the last leaf again soon after each rebalance once its
neighbours are nearly full. The floor's index does it too, far less often: its 4 KB leaves hold
twice the rows, and it gets one row a cycle, the audit trail's index two. Timed block by block
against the app as it is, in one process: random bytes for the uids drawn a few kilobytes at a
time saved nothing (a uid's cost is its arithmetic and text, not the system call); the frozen
ClaimedItem, the configuration's JSON and the uid together come to a few per cent of a cycle.
Dropping both the review index and the audit trail's entity index (their readers would scan)
left 8 processes still short of the target, and so did both drops with all of those Python cuts
at once (uids made ahead, the ClaimedItem built without its frozen setter, the configuration's
JSON cached). In two rounds beside the floor: as is 0.277 and 0.290, the drops 0.310 and 0.321;
in two more: as is 0.299 and 0.288, the Python cuts alone 0.309 and 0.298, the drops with the
cuts 0.333 and 0.330. The b-trees a cycle writes, and so its log pages, count for more than its
Python.
4 KB pages (the floor's, and SQLite's default) were worse than 2 KB: 0.274 and 0.276 beside
0.283 and 0.291.
The floor gets no more cycles a second from 8 processes than from one, and neither do we, so
the ratio is in effect one process's cycle against the floor's. That is best compared by the
instructions it runs (valgrind's callgrind), which vary far less from run to run than time:
what cut them was SQLite work the cycle did not need (Python rules called back from the
submit's statement, an IN-list constraint checked through a temporary index, UPDATE … FROM's
temporary copy of the joined row). The run of the same statements alone (sqlite_replay.py: no
application code between them, on the app's own connection, foreign keys on as the floor's) comes
out above the target's ratio: the schema's b-tree writes (the assignments' six indexes and three
foreign keys, the audit trail's two rows and their index) leave a little room, and the
application's Python in the same transaction (checking the answer, JSON, the records it keeps and
the objects handed to the workbench, the layers between) takes more than that room. That Python
was cut where it was only overhead: numbered parameters (sqlite3 builds and hashes a string for
each named one, each execution) and context managers written as classes. A prototype with no
layers at all, the same statements and results, was faster but not by enough, and it was a
second copy of the SQLite queue's rules.

On PostgreSQL the server's two cores bound the saturated run; a claim's update of the item
cannot be HOT (`open_slots` is in the claim index's predicate), so it writes every index of
`items`. The floor's rate swings between runs far more than ours, and our ratio is lowest when
the floor runs fastest: both are then bound by the server's CPU, and a cycle of ours runs more
statements, each started anew by the executor (its plan's nodes built, and its cached plan
checked, on every call). Waiting on log flushes is a small part of the floor's time (it commits
twice a cycle, we once): it ran only a little faster with synchronous_commit off.

A paced claim pays the machine's wake-up after an idle second, which the floor's one thread, run
back to back, does not: hence our back-to-back run, and the floor's own claim paced as ours
(pg_paced_floor.py), printed beside it. Tried and dropped: a project-wide claim front for overlap
above 1 (the first item with a free slot, kept per queue epoch), which skipped the dead front in
a quiet run (9 index pages a claim instead of 40). In the realistic run give-backs bumped the epoch
about fifty times a second, and each claim after a bump searched the dead front twice, to take
an item and to set the front again: more index pages a claim than before, and fewer cycles a
second.

The realistic run, timed statement by statement (pg_stat_statements on a cluster of its own):
each give-back bumped the project's epoch, so the project's row had a new version fifty times a
second, and every claim's foreign-key check on that row (FOR KEY SHARE) took 0.9 ms where the
user's and the item's took 0.02. Only overlap-1 projects read the epoch, so only theirs moves now
(migration 0018): the check takes 0.04 ms, and the run gained 4 to 12% in three pairs of runs.
Dropping the assignments' and earnings' foreign keys to projects as well gained a few per cent
more in one run, within the runs' spread, so they stay. What is left is the server reading past entries no vacuum has removed: the claim's
search of the dead front (about 270 buffers a claim) and, in the claim's first statement, the
expired leases' index and the user's released work (about 210).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, func, select, text  # noqa: E402

from annotator.db import Database  # noqa: E402
from annotator.db.engine import make_engine  # noqa: E402
from annotator.db.models import Assignment, Item  # noqa: E402
from benchmarks.common import Measure, drop_pg_schema, print_table, report  # noqa: E402
from benchmarks.pg_paced_floor import paced_floor  # noqa: E402
from benchmarks.queue_runs import (  # noqa: E402
    duplicates, history, join_project, run_floor, run_processes, run_threads)
from benchmarks.queue_setup import (  # noqa: E402
    REALISTIC, make_users, pg_prepare, settle_after_load, sqlite_prepare)
from benchmarks.sqlite_replay import replay_processes  # noqa: E402

# The saturated runs' targets are met, or not, by what the app does: the workbench's Submit
# hands in the answer and claims the next item in one call (queue_direct.submit_and_claim).
# The same runs with separate claim and submit calls are printed beside them.
WORKBENCH_LABEL = "submit + next, as the workbench"
PG_DEFAULT = os.environ.get("ANNOTATOR_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


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
        Measure(f"PostgreSQL 32 paced at {big:,} items, claim p50, beside the floor paced",
                pg[f"paced_{big}"]["claim_p50_ms"], floor("pg_32_paced", "claim_p50_ms"), "ms",
                note="no target: the floor's own claim, paced as ours, pays the same wake-up"),
        Measure(f"PostgreSQL one annotator back to back at {big:,} items, claim p50",
                pg["one_annotator_back_to_back"]["claim_p50_last_500_ms"], floor("pg_1_thread", "claim_p50_ms"), "ms",
                note="no target: the paced claim above is the target; both back to back"),
        Measure("SQLite 8 processes saturated, submit + next", sq["saturated"]["cycles_per_s"],
                floor("sqlite_8_procs", "cycles_per_s"), "cycles/s", 0.35, higher_is_better=True),
        Measure("SQLite 8 processes saturated, claim p99", sq["saturated"]["claim_p99_ms"],
                floor("sqlite_8_procs", "claim_p99_ms"), "ms", 3.0),
        Measure("SQLite 8 processes saturated, submit + next's statements alone", sq["statements_alone"]["cycles_per_s"],
                floor("sqlite_8_procs", "cycles_per_s"), "cycles/s",
                note="no target: the same statements with no application code between them (sqlite_replay.py)"),
        Measure("items handed out twice, all runs", dupes, None, "items", limit=0),
    ]


# ---- main ------------------------------------------------------------------------------------


def sqlite_runs(quick: bool, skip_floors: bool, results: dict, rows: list) -> None:
    """Ours, 8 processes, and the floor's between our two runs, so that the floor and the
    workbench's run each follow a run of the same kind. All three come first, before the
    PostgreSQL runs: the server goes on writing their pages back for a while after they end, and
    a SQLite run made then was slower than one made before them."""
    tmp = Path(tempfile.mkdtemp(prefix="annot-bench-"))
    sq_items = 20_000 if quick else 100_000
    for key, workbench, label in (("saturated_separate_calls", False, "claim, then submit"),
                                  ("saturated", True, WORKBENCH_LABEL)):
        if workbench and not skip_floors:
            results["floors"]["sqlite_8_procs"] = run_floor(
                "sqlite_claim_floor.py", [str(tmp / "floor.sqlite3"), "--items", str(sq_items), "--procs", "8", "--seconds", "10"])
        url, load, actors = fresh_sqlite(tmp / f"{key}.sqlite3", sq_items)  # a fresh database for each
        sq = run_processes(url, actors, 4 if quick else 10, workbench=workbench)
        db = Database(url)
        sq["duplicates"] = duplicates(db)
        db.dispose()
        results["sqlite"][key] = {"items": sq_items, "load_s": round(load, 1), **sq}
        rows.append([f"SQLite {sq_items:,} items, 8 processes saturated: {label}", sq["cycles_per_s"],
                     sq["claim_p50_ms"], sq["claim_p99_ms"], sq["submit_p50_ms"] or "(in the claim)", sq["duplicates"]])
    # The workbench's statements alone, as the run above makes them: what the schema allows.
    # Shorter, because it would run out of items in ten seconds.
    url, _, actors = fresh_sqlite(tmp / "replay.sqlite3", sq_items)
    replayed = replay_processes(url, "p", [(a.id, a.name) for a in actors], 2 if quick else 5)
    results["sqlite"]["statements_alone"] = {"items": sq_items, **replayed}
    rows.append([f"SQLite {sq_items:,} items, 8 processes saturated: the same statements alone",
                 replayed["cycles_per_s"], "", "", "", ""])
    shutil.rmtree(tmp, ignore_errors=True)


def fresh_sqlite(path: Path, items: int) -> tuple[str, float, list]:
    """A database loaded with `items`, and its 8 annotators, each already a member."""
    url, load = sqlite_prepare(path, items)
    db = Database(url)
    actors = make_users(db, 8)
    join_project(db, actors)
    db.dispose()
    return url, load, actors


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
    sqlite_runs(a.quick, a.skip_floors, results, rows)

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

    if not a.skip_floors:
        floor_url = pg_base.replace("postgresql+psycopg://", "postgresql://")
        results["floors"]["pg_1_thread"] = run_floor("pg_claim_floor.py", [floor_url, "--items", str(big), "--threads", "1", "--seconds", "10"])
        results["floors"]["pg_32_threads"] = run_floor("pg_claim_floor.py", [floor_url, "--items", str(big), "--threads", "32", "--seconds", "20"])
        if "error" not in results["floors"]["pg_32_threads"]:  # on the tables that run left
            results["floors"]["pg_32_paced"] = paced_floor(floor_url, seconds=secs)
        with create_engine(pg_base, isolation_level="AUTOCOMMIT").connect() as c:
            c.execute(text("DROP TABLE IF EXISTS asg; DROP TABLE IF EXISTS item"))
        for name, f in results["floors"].items():
            if "error" not in f:
                rows.append([f"floor: {name}", f["cycles_per_s"], f["claim_p50_ms"], f["claim_p99_ms"], "", f.get("duplicates", "")])

    print_table("Work queue: claim+submit", ["run", "cycles/s", "claim p50 ms", "claim p99 ms", "submit p50 ms", "duplicates"], rows)
    pg = results["pg"]
    results["claim_p50_1M_over_10k"] = round(pg[f"paced_{big}"]["claim_p50_ms"] / pg["paced_10000"]["claim_p50_ms"], 2)
    print(f"results: {report('queue', measures(results, big), results)}")


if __name__ == "__main__":
    main()
