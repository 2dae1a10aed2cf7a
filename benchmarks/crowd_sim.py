"""A simulated crowd on a text-categories project, through the real services on SQLite.

20 annotators: good (90% right), noisy (65%) and spammers (uniformly random), on 2,000 items
with overlap 3 and 10% gold. Reports how many gold items it takes to pause each spammer,
majority-vote and Dawid–Skene accuracy against the truth, and Dawid–Skene's time on 100,000
answers.

usage: python benchmarks/crowd_sim.py [--runs 20] [--full-runs 3] [--items 2000]
       python benchmarks/crowd_sim.py --month-on DEMO.sqlite3   (a month of work on the demo's
       intents project, reviewed by the lead as it goes, for the dashboard to show)
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
from sqlalchemy import insert, select  # noqa: E402

from annotator.core import queue  # noqa: E402
from annotator.core.aggregate import compute  # noqa: E402
from annotator.core.auth import Actor, hash_password  # noqa: E402
from annotator.core.projects import ProjectSpec, create_project  # noqa: E402
from annotator.db import open_database  # noqa: E402
from annotator.db.models import Assignment, GoldAnswer, Item, User  # noqa: E402
from annotator.errors import NothingLeft, UserPaused  # noqa: E402
from benchmarks.common import Measure, print_table, report  # noqa: E402

LABELS = ["billing", "delivery", "returns", "account", "technical"]
CROWD = [("good", 0.9)] * 12 + [("noisy", 0.65)] * 5 + [("spammer", None)] * 3
OPERATOR = Actor.local_operator()


def build(path: Path, items: int, gold_items: int, rng: random.Random):
    db = open_database(f"sqlite:///{path}")
    with db.write() as s:
        pid = create_project(s, OPERATOR, ProjectSpec(
            name="crowd", kind="text_categories", config={"labels": LABELS}, overlap=3, gold_rate=0.1,
            min_gold_accuracy=0.5, min_scored_items=8, lease_seconds=600,
        )).id
        truth = {f"i{n}": rng.choice(LABELS) for n in range(items)}
        gold = {f"g{n}": rng.choice(LABELS) for n in range(gold_items)}
        s.execute(insert(Item), [{"project_id": pid, "external_id": k, "payload": {"text": f"message {k}"}, "open_slots": 3,
                                  "is_gold": False, "confidence": -1.0} for k in truth])
        ids = s.scalars(insert(Item).returning(Item.id, sort_by_parameter_order=True),
                        [{"project_id": pid, "external_id": k, "payload": {"text": f"message {k}"}, "open_slots": 0,
                          "is_gold": True, "confidence": -1.0} for k in gold]).all()
        s.execute(insert(GoldAnswer), [{"item_id": i, "answer": {"label": gold[k]}} for i, k in zip(ids, gold)])
        h = hash_password("sim")
        s.add_all(User(name=f"{kind}{n}", password_hash=h, role="annotator", active=True) for n, (kind, _) in enumerate(CROWD))
    with db.read() as s:
        users = [Actor(u.id, u.name, u.role) for u in s.scalars(select(User).order_by(User.id))]
    return db, users, {**truth, **gold}


def answer(kind: str, accuracy: float | None, true_label: str, rng: random.Random) -> str:
    if accuracy is None or rng.random() >= accuracy:
        return rng.choice(LABELS) if accuracy is None else rng.choice([l for l in LABELS if l != true_label])
    return true_label


def simulate(seed: int, items: int, stop_when_spammers_paused: bool) -> dict:
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory() as tmp:
        db, users, truth = build(Path(tmp) / "crowd.sqlite3", items, 200, rng)
        active = set(range(len(users)))
        paused_at: dict[int, int] = {}
        gold_seen = [0] * len(users)
        while active:
            for n in sorted(active):
                kind, accuracy = CROWD[n]
                user = users[n]
                try:
                    with db.write() as s:
                        c = queue.claim_next(s, user, "crowd")
                        label = answer(kind, accuracy, truth[c.external_id], rng)
                        queue.submit(s, user, c.assignment_id, {"label": label}, 5.0)
                    if c.external_id.startswith("g"):
                        gold_seen[n] += 1
                except UserPaused:
                    paused_at[n] = gold_seen[n]
                    active.discard(n)
                except NothingLeft:
                    active.discard(n)
            spammers = [n for n, (k, _) in enumerate(CROWD) if k == "spammer"]
            if stop_when_spammers_paused and all(n in paused_at for n in spammers):
                break
        result = {"seed": seed, "paused": {users[n].name: g for n, g in paused_at.items()}}
        if not stop_when_spammers_paused:
            with db.read() as s:
                rows = s.execute(select(Assignment.item_id, Assignment.user_id, Assignment.answer, Item.external_id)
                                 .join(Item, Item.id == Assignment.item_id)
                                 .where(Item.is_gold.is_(False), Assignment.status.in_(("submitted", "approved")))).all()
            answers: dict[int, list] = {}
            external = {}
            for item_id, user_id, ans, ext in rows:
                answers.setdefault(item_id, []).append((user_id, ans))
                external[item_id] = ext
            config = {"labels": LABELS}
            for method in ("majority", "dawid-skene"):
                consensus = compute("text_categories", config, answers, method)
                right = sum(1 for i, (a, _) in consensus.items() if a["label"] == truth[external[i]])
                result[method] = right / len(consensus)
        db.dispose()
        return result


DS_FLOOR = r"""
import sqlite3, sys
import numpy as np
from annotator.core.dawid_skene import dawid_skene
c = sqlite3.connect(sys.argv[1])
rows = c.execute("SELECT item_id, user_id, json_extract(answer, '$.label') FROM assignments"
                 " WHERE status IN ('submitted', 'approved') AND answer IS NOT NULL").fetchall()
items, workers, labels = (np.unique(np.array(col), return_inverse=True) for col in zip(*rows))
fit = dawid_skene(items[1], workers[1], labels[1], len(items[0]), len(workers[0]), len(labels[0]))
c.execute("CREATE TABLE IF NOT EXISTS floor_consensus (item_id INTEGER PRIMARY KEY, label TEXT, confidence REAL)")
with c:
    c.executemany("INSERT OR REPLACE INTO floor_consensus VALUES (?, ?, ?)",
                  zip(items[0].tolist(), labels[0][fit.labels].tolist(), fit.confidence.tolist()))
"""


def ds_timing(tmp: Path, n_answers: int = 100_000) -> dict:
    """`annotator aggregate --method dawid-skene` on a project of 100,000 answers (3 per item, 60
    annotators): the database read, the EM and the consensus write, in a process of its own.
    The floor is a bare script: the answers read with sqlite3, the same NumPy EM
    (core/dawid_skene.py, which is bare NumPy), the consensus written with one executemany."""
    import subprocess
    import uuid

    rng = np.random.default_rng(0)
    n_items, n_workers, k = n_answers // 3, 60, len(LABELS)
    truth = rng.integers(0, k, n_items)
    path = tmp / "ds.sqlite3"
    db = open_database(f"sqlite:///{path}")
    with db.write() as s:
        pid = create_project(s, OPERATOR, ProjectSpec(name="ds", kind="text_categories", config={"labels": LABELS},
                                                      overlap=3)).id
        h = hash_password("x")
        s.add_all(User(name=f"w{n}", password_hash=h, role="annotator", active=True) for n in range(n_workers))
    with db.read() as s:
        user_ids = s.scalars(select(User.id).order_by(User.id)).all()
    db.dispose()
    import sqlite3

    c = sqlite3.connect(path)
    with c:
        c.executemany("INSERT INTO items (project_id, external_id, payload, priority, confidence, open_slots, is_gold,"
                      " done_by_model, spot_check, version, created_at) VALUES (?, ?, '{}', 0, -1, 0, 0, 0, 0, 1,"
                      " '2026-11-01 00:00:00.000000')", ((pid, f"i{n}") for n in range(n_items)))
        first = c.execute("SELECT min(id) FROM items").fetchone()[0]
        right = rng.random(n_items * 3) < 0.8
        wrong = rng.integers(0, k, n_items * 3)
        rows = []
        for n in range(n_items * 3):
            item = n // 3
            label = LABELS[truth[item] if right[n] else wrong[n]]
            rows.append((str(uuid.uuid4()), first + item, user_ids[(item * 7 + n % 3 * 13) % n_workers], pid,
                         '{"label": "%s"}' % label))
        c.executemany("INSERT INTO assignments (uid, item_id, user_id, project_id, status, claimed_at, lease_until,"
                      " submitted_at, active_seconds, answer, is_gold, needs_review, skipped, offline) VALUES (?, ?, ?, ?,"
                      " 'approved', '2026-11-01 00:00:00.000000', '2026-11-01 00:30:00.000000',"
                      " '2026-11-01 00:01:00.000000', 10, ?, 0, 0, 0, 0)", rows)
    c.close()
    annotator = str(Path(sys.executable).with_name("annotator"))
    t = time.perf_counter()
    out = subprocess.run([annotator, "--db", str(path), "aggregate", "ds", "--method", "dawid-skene"], check=True,
                         capture_output=True, text=True)
    ours = time.perf_counter() - t
    t = time.perf_counter()
    subprocess.run([sys.executable, "-c", DS_FLOOR, str(path)], check=True, capture_output=True, text=True,
                   env={**__import__("os").environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)})
    floor = time.perf_counter() - t
    return {"answers": n_items * 3, "cli_seconds": round(ours, 3), "floor_seconds": round(floor, 3),
            "cli_output": out.stdout.strip()}


def simulate_month(path: Path, project: str = "Demo: support intents", days: int = 30, seed: int = 7) -> int:
    """A month of a small crowd's work on the demo database, back-dated day by day through the
    real services: claims, answers at each person's accuracy, gold scoring and pauses, and a
    lead approving and rejecting as they go (the rest auto-approves after the project's delay)."""
    import csv
    from datetime import timedelta

    from annotator.core import review
    from annotator.core.demo import demo_dir
    from annotator.core.users import add_user
    from annotator.db.base import utcnow
    from annotator.errors import QueueError

    truth = {}
    for name in ("texts.csv", "texts_gold.csv"):
        truth.update({row["id"]: row["label"] for row in csv.DictReader((demo_dir() / name).open(encoding="utf-8"))})
    labels = sorted(set(truth.values()))
    rng = random.Random(seed)
    db = open_database(f"sqlite:///{path}")
    crowd = [("sim-ada", 0.93), ("sim-bo", 0.9), ("sim-cy", 0.88), ("sim-dee", 0.8), ("sim-eli", 0.7), ("sim-fay", None)]
    actors = []
    with db.write() as s:
        lead = Actor(s.scalar(select(User.id).where(User.name == "lead")), "lead", "lead")
        for name, _ in crowd:
            existing = s.scalar(select(User.id).where(User.name == name))
            info_id = existing or add_user(s, OPERATOR, name, name, "annotator").id
            actors.append(Actor(info_id, name, "annotator"))
    start = utcnow() - timedelta(days=days)
    done = 0
    for day in range(days):
        for actor, (_, accuracy) in zip(actors, crowd):
            when = start + timedelta(days=day, hours=9 + rng.uniform(0, 2))
            for _ in range(rng.randint(2, 7)):
                try:
                    with db.write() as s:
                        claimed = queue.claim_next(s, actor, project, now=when)
                        right = truth.get(claimed.external_id, labels[0])
                        given = right if accuracy is not None and rng.random() < accuracy else rng.choice(labels)
                        seconds = rng.uniform(8, 40)
                        when += timedelta(seconds=seconds + rng.uniform(2, 20))
                        queue.submit(s, actor, claimed.assignment_id, {"label": given}, seconds, now=when)
                        done += 1
                except QueueError:
                    break
        evening = start + timedelta(days=day, hours=18)
        with db.write() as s:  # the lead reviews some of the day's work
            page = review.review_queue(s, lead, project=project, limit=40)
            for row in page.rows:
                if rng.random() < 0.5:
                    right = truth.get(row.external_id)
                    if row.answer and right and row.answer.get("label") != right:
                        review.reject(s, lead, row.assignment_id, f"This one is {right}.", now=evening)
                    else:
                        review.approve(s, lead, row.assignment_id, now=evening)
            review.auto_approve(s, lead, project=project, now=evening)
    db.dispose()
    return done


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--full-runs", type=int, default=3)
    ap.add_argument("--items", type=int, default=2000)
    ap.add_argument("--month-on", type=Path, help="add a simulated month of work to this demo database, then stop")
    a = ap.parse_args()
    if a.month_on:
        print(f"{simulate_month(a.month_on)} answers over 30 days added to {a.month_on}")
        return
    pause_runs = [simulate(seed, a.items, True) for seed in range(a.runs)]
    spammer_names = [f"spammer{n}" for n, (k, _) in enumerate(CROWD) if k == "spammer"]
    per_run_ok = [all(r["paused"].get(name, 10**9) <= 20 for name in spammer_names) for r in pause_runs]
    gold_to_pause = [r["paused"].get(name) for r in pause_runs for name in spammer_names]
    good_paused = sum(1 for r in pause_runs for name in r["paused"] if name.startswith("good"))
    full = [simulate(1000 + seed, a.items, False) for seed in range(a.full_runs)]
    with tempfile.TemporaryDirectory() as tmp:
        timing = ds_timing(Path(tmp))
    results = {
        "pause": {"runs": a.runs, "runs_all_spammers_within_20": sum(per_run_ok), "share": sum(per_run_ok) / a.runs,
                  "gold_to_pause": gold_to_pause, "good_annotators_paused": good_paused},
        "accuracy": [{k: r[k] for k in ("seed", "majority", "dawid-skene")} for r in full],
        "dawid_skene_timing": timing,
    }
    mv = float(np.mean([r["majority"] for r in full]))
    ds = float(np.mean([r["dawid-skene"] for r in full]))
    results["targets"] = {
        "every spammer paused within 20 gold items in >= 95% of runs": sum(per_run_ok) / a.runs >= 0.95,
        "Dawid-Skene accuracy >= majority vote": ds >= mv,
    }
    g = [x for x in gold_to_pause if x is not None]
    print_table("Crowd simulation (20 annotators: 12 good, 5 noisy, 3 spammers)", ["measure", "value"], [
        ["runs with every spammer paused within 20 gold", f"{sum(per_run_ok)}/{a.runs}"],
        ["gold items to pause a spammer: median / max", f"{int(np.median(g))} / {max(g)}" if g else "-"],
        ["good annotators paused (all runs)", good_paused],
        ["majority-vote accuracy (mean of full runs)", f"{mv:.4f}"],
        ["Dawid-Skene accuracy (mean of full runs)", f"{ds:.4f}"],
    ])
    print_table("Targets", ["target", "met"], [[k, "yes" if v else "NO"] for k, v in results["targets"].items()])
    measures = [Measure("Dawid–Skene through `annotator aggregate`, 100,000 answers: read, EM, consensus write",
                        timing["cli_seconds"], timing["floor_seconds"], "s",
                        note="floor: sqlite3 read, the same NumPy EM, one executemany")]
    print(f"results: {report('crowd_sim', measures, results)}")


if __name__ == "__main__":
    main()
