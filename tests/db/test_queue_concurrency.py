"""The queue under real concurrency: 32 threads on PostgreSQL, 8 processes on SQLite, with leases
expiring mid-run. No item over its overlap, no user twice on an item, no submit lost."""

import multiprocessing
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import func, select, text, update

from annotator.core.importing import import_items
from annotator.db import Database
from annotator.db.models import Assignment, Conflict, Item, Project
from tests.db import queue_workers
from tests.helpers import connected_as, make_project, make_user


def setup_project(db, operator, tmp_path, items, overlap):
    make_project(db, "p", overlap=overlap)
    path = tmp_path / "items.csv"
    path.write_text("id,text\n" + "".join(f"i{n},text number {n}\n" for n in range(items)), encoding="utf-8")
    with db.write() as s:
        import_items(s, operator, "p", path)
        # A one-second lease (below what a project may set) so abandoned claims expire mid-run.
        s.execute(update(Project).values(lease_seconds=1))


OVER_LIMIT = text(
    "SELECT count(*) FROM (SELECT item_id FROM assignments WHERE status IN ('claimed', 'submitted', 'approved') "
    "GROUP BY item_id HAVING count(*) > :overlap) t"
)


class OverlapWatcher(threading.Thread):
    """Samples the overlap invariant while the workers run."""

    def __init__(self, db, overlap):
        super().__init__(daemon=True)
        self.db, self.overlap, self.violations, self.samples = db, overlap, 0, 0
        self.stop = threading.Event()

    def run(self):
        while not self.stop.is_set():
            with self.db.read() as s:
                self.violations += s.execute(OVER_LIMIT, {"overlap": self.overlap}).scalar()
            self.samples += 1
            time.sleep(0.02)


def check_invariants(db, results, items, overlap):
    with db.read() as s:
        per_item = s.execute(
            select(Assignment.item_id, func.count())
            .where(Assignment.status.in_(("submitted", "approved")))
            .group_by(Assignment.item_id)
        ).all()
        assert len(per_item) == items and all(n == overlap for _, n in per_item), "every item ends with `overlap` answers"
        assert s.execute(OVER_LIMIT, {"overlap": overlap}).scalar() == 0
        stored = {a.id: a for a in s.scalars(select(Assignment))}
        conflict_uids = set(s.scalars(select(Conflict.assignment_uid)))
        assert s.scalar(select(func.count()).select_from(Item).where(Item.open_slots != 0)) == 0
    accepted = [a for r in results for a in r["accepted"]]
    for aid, _, label in accepted:  # no submit lost
        assert stored[aid].status in ("submitted", "approved") and stored[aid].answer == {"label": label}
    for aid, _, _ in (c for r in results for c in r["conflicts"]):  # no conflict dropped
        assert stored[aid].uid in conflict_uids
    assert len(accepted) == items * overlap
    for r in results:  # no user gets an item twice (a resumed assignment is the same one)
        by_item = {}
        for aid, external_id in r["claims"]:
            assert by_item.setdefault(external_id, aid) == aid
    return sum(len(r["abandoned"]) for r in results)


@pytest.mark.parametrize("overlap,items", [(1, 240), (3, 100)], ids=["postgresql-overlap1", "postgresql-overlap3"])
def test_32_threads_on_postgresql(pg_schema_url, operator, tmp_path, overlap, items):
    from tests.conftest import _truncate_all

    _truncate_all(pg_schema_url)
    db = queue_workers.shared_pg_database(pg_schema_url, 36)
    try:
        setup_project(db, operator, tmp_path, items, overlap)
        users = [make_user(db, f"w{n}") for n in range(32)]
        watcher = OverlapWatcher(db, overlap)
        watcher.start()
        with ThreadPoolExecutor(32) as pool:
            futures = [pool.submit(queue_workers.work, pg_schema_url, (u.id, u.name), overlap, 60, 0.05, n, db)
                       for n, u in enumerate(users)]
            results = [f.result() for f in futures]
        watcher.stop.set()
        watcher.join()
        assert watcher.samples > 0 and watcher.violations == 0
        abandoned = check_invariants(db, results, items, overlap)
        assert abandoned > 0, "the run must include abandoned claims whose leases expire"
    finally:
        db.dispose()


@pytest.mark.parametrize("overlap,items", [(1, 160), (3, 80)], ids=["sqlite-overlap1", "sqlite-overlap3"])
def test_8_processes_on_sqlite(sqlite_template, operator, tmp_path, overlap, items):
    import shutil

    path = tmp_path / "queue.sqlite3"
    shutil.copy(sqlite_template, path)
    url = f"sqlite:///{path}"
    db = Database(url)
    try:
        setup_project(db, operator, tmp_path, items, overlap)
        users = [make_user(db, f"w{n}") for n in range(8)]
        watcher = OverlapWatcher(db, overlap)
        watcher.start()
        ctx = multiprocessing.get_context("spawn")
        out = ctx.Queue()
        procs = [ctx.Process(target=queue_workers.process_main, args=((url, (u.id, u.name), overlap, 60, 0.05, n), out))
                 for n, u in enumerate(users)]
        for p in procs:
            p.start()
        results = [out.get(timeout=120) for _ in procs]
        for p in procs:
            p.join(timeout=30)
        watcher.stop.set()
        watcher.join()
        assert all(p.exitcode == 0 for p in procs)
        assert watcher.violations == 0
        check_invariants(db, results, items, overlap)
    finally:
        db.dispose()


def test_the_sqlite_app_path_does_not_pile_up_connections_from_ended_threads(tmp_path):
    """Each thread claims on SQLite through a connection of its own; a long session in which
    threads come and go must not keep one open file per thread that ever claimed."""
    from annotator.core import queue_direct
    from annotator.core.auth import Actor
    from annotator.db import migrate

    db = Database(f"sqlite:///{tmp_path / 'a.sqlite3'}")
    migrate.upgrade(db.engine)
    make_project(db, "p")
    items = tmp_path / "items.jsonl"
    items.write_text("".join(f'{{"id": "i{n}", "text": "t"}}\n' for n in range(30)), encoding="utf-8")
    with db.write() as s:
        import_items(s, Actor.local_operator(), "p", items)
    ann = make_user(db, "ann")
    done = []
    path = str(tmp_path / "a.sqlite3")

    def files_open() -> int:
        fds = Path("/proc/self/fd")
        return sum(1 for fd in fds.iterdir() if _target(fd) == path)

    def one_item():
        c = queue_direct.claim(connected_as(db, ann), ann, "p")
        done.append(queue_direct.submit(connected_as(db, ann), ann, c.assignment_id, {"label": "a"}, 1.0).accepted)

    def in_a_thread():
        t = threading.Thread(target=one_item)
        t.start()
        t.join()

    for _ in range(2):  # the first claim also opens the pool's connection (it makes the membership),
        in_a_thread()  # and SQLite keeps a closed connection's descriptor for the next one to reuse
    before = files_open()
    for _ in range(20):
        in_a_thread()
    assert done == [True] * 22
    assert files_open() == before  # each new thread's connection replaces the one of the thread that ended
    db.dispose()


def _target(fd) -> str:
    try:
        return os.readlink(fd)
    except OSError:  # closed between listing and reading
        return ""
