"""The PostgreSQL floor's claim, paced as our paced run is: 32 threads, one claim and submit a
second each. No target rests on it. The target compares our paced claim with the shared floor's
one thread, which runs back to back and so never pays what a claim after an idle second pays on
these machines (the client's thread and the server's process both waking); this row shows what
that costs the floor itself.

The statements are those of ../shared/bench/pg_claim_floor.py, run on the tables its last run
left, vacuumed first so that the claims made there leave no dead entries to read past.
"""

from __future__ import annotations

import random
import threading
import time

from annotator.ui.heap import settle
from benchmarks.common import pct

CLAIM = """
with c as (select id from item where project = 1 and open_slots > 0
           and not exists (select 1 from asg where asg.item_id = item.id and asg.user_id = %(u)s)
           order by priority desc, id limit 1 for update skip locked)
update item set open_slots = open_slots - 1 from c where item.id = c.id returning item.id"""


def _cycle(conn, user: int) -> float | None:
    """The floor's claim (timed, as it times it) and submit; None when no item is left."""
    t0 = time.perf_counter()
    with conn.transaction():
        row = conn.execute(CLAIM, {"u": user}).fetchone()
        if row is None:
            return None
        conn.execute("insert into asg (item_id, user_id, status) values (%s, %s, 'claimed') returning id", (row[0], user))
        assignment = conn.execute("select lastval()").fetchone()[0]
    claimed = time.perf_counter() - t0
    with conn.transaction():
        conn.execute("update asg set status = 'submitted', answer = '{\"label\": \"a\"}' where id = %s", (assignment,))
    return claimed


def paced_floor(url: str, threads: int = 32, seconds: float = 30, every: float = 1.0) -> dict:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE item")
        conn.execute("VACUUM ANALYZE asg")
    settle()  # as our paced run does: neither pays for a full collection of this process's heap
    claims: list[float] = []
    lock = threading.Lock()
    clock: dict[str, float] = {}
    ready = threading.Barrier(threads, action=lambda: clock.update(stop=time.perf_counter() + seconds))

    def worker(user: int) -> None:
        with psycopg.connect(url) as conn:
            _cycle(conn, user)  # untimed, as our run's first cycle: the connection's first statements
            ready.wait()
            due = time.perf_counter() + random.uniform(0, every)
            while due < clock["stop"]:
                time.sleep(max(0.0, due - time.perf_counter()))
                due += every
                took = _cycle(conn, user)
                if took is None:
                    return
                with lock:
                    claims.append(took)

    # user ids above the floor's own, so that every item is new to them
    pool = [threading.Thread(target=worker, args=(1000 + u,)) for u in range(threads)]
    for th in pool:
        th.start()
    for th in pool:
        th.join()
    return {"cycles_per_s": round(len(claims) / seconds, 1), "claim_p50_ms": round(pct(claims, 0.5), 3), "claim_p99_ms": round(pct(claims, 0.99), 3)}
