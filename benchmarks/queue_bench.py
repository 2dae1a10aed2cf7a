"""The work queue's claim+submit cycle on PostgreSQL and SQLite, beside the bare-driver floors
of ../shared/bench run in the same session, on the same machine.

usage: python benchmarks/queue_bench.py [--pg URL] [--quick] [--skip-floors]

Prints ours, the floor and the ratio for each target, and writes them to
benchmarks/results/queue.json. What the runs and the probes behind them found, what was tried
and what was dropped, is in benchmarks/results/queue_findings.md.
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
