"""The queue benchmark's set-up: its annotators (a PostgreSQL login each), and databases loaded
with items in bulk, as the floors of ../shared/bench load theirs."""

from __future__ import annotations

import time
from pathlib import Path

from sqlalchemy import select

from annotator.core.auth import Actor
from annotator.core.projects import ProjectSpec, create_project
from annotator.db import Database, migrate
from annotator.db.engine import make_engine
from annotator.db.models import User
from benchmarks.common import fresh_pg_schema

OPERATOR = Actor.local_operator()
PASSWORD = "bench-password"


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
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            for info in infos:  # a login outlives the schema: no setting of an earlier probe may time its claims
                c.exec_driver_sql(f'ALTER ROLE "{info.name}" RESET ALL')
        return [Actor(i.id, i.name, i.role) for i in infos]
    with db.write() as s:
        # One cheap hash for all: argon2 per user would dominate the set-up, not the benchmark.
        from annotator.core.auth import hash_password

        h = hash_password(PASSWORD)
        s.add_all(User(name=f"bench{i}", password_hash=h, role="annotator", active=True) for i in range(n))
    with db.read() as s:
        return [Actor(u.id, u.name, u.role) for u in s.scalars(select(User).order_by(User.id))]


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
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
        # The checkpoint that the load's log volume started is finished now, not in the middle of
        # the paced run: its closing sync held every commit on the disk for up to half a second
        # (ten claims at once, the run's whole p99). The floor's smaller load starts one too, whose
        # sync comes minutes after its ten-second run.
        c.exec_driver_sql("CHECKPOINT")
    db.dispose()
    return url, load


def settle_after_load(db: Database, tables: tuple[str, ...] = ("items",)) -> None:
    """ANALYZE after the bulk load, as the floor does to its tables (no VACUUM)."""
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

