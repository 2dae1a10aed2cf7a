"""Engines and sessions. One `Database` per URL: `write()` for a unit of work that changes
something (SQLite takes its write lock up front with BEGIN IMMEDIATE, so two writers never
deadlock upgrading a read lock), `read()` for queries."""

from __future__ import annotations

import random
import time
from contextlib import contextmanager
from typing import Callable, Iterator, TypeVar

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from annotator.db.thread_connections import ThreadConnections

SQLITE_BUSY_TIMEOUT_MS = 30_000
T = TypeVar("T")
# PostgreSQL: serialization failure, deadlock detected, lock not available. Each means
# "another transaction got there first"; the whole action is safe to run again.
TRANSIENT_PG_CODES = {"40001", "40P01", "55P03"}


def is_transient(exc: DBAPIError) -> bool:
    code = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
    if code in TRANSIENT_PG_CODES:
        return True
    return "database is locked" in str(exc.orig)


def _is_disconnect(exc: BaseException) -> bool:
    try:
        import psycopg
    except ImportError:  # a SQLite-only install
        return False
    return isinstance(exc, psycopg.OperationalError) or getattr(exc, "connection_invalidated", False)


def make_engine(url: str, **kwargs) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, **kwargs)
        _configure_sqlite(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def _sqlite_pragmas(dbapi_conn) -> None:
    # Autocommit at the driver level; SQLAlchemy's "begin" event issues BEGIN itself, the
    # documented way to control SQLite's transaction mode.
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    # 2 KB pages for a new database (an existing one keeps its own): every page a transaction
    # touches goes to the log whole, and is written again by the next checkpoint; a claim and a
    # submit touch a dozen pages for a few hundred bytes of rows, so smaller pages mean fewer
    # bytes a cycle (benchmarks/results/queue_findings.md). Must come before WAL mode, which
    # fixes the size.
    cur.execute("PRAGMA page_size=2048")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    # A checkpoint copies the log into the file and syncs it, in whichever writer passes the
    # threshold: every 40 MB of log instead of every 4 MB, so one claim in ten times fewer
    # waits for a sync. The log is cut back to 64 MB after each checkpoint, so it never grows
    # without bound.
    cur.execute("PRAGMA wal_autocheckpoint=10000")
    cur.execute("PRAGMA journal_size_limit=67108864")
    cur.close()


def _configure_sqlite(engine: Engine) -> None:
    event.listen(engine, "connect", lambda dbapi_conn, _record: _sqlite_pragmas(dbapi_conn))

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")


def _plan_for_the_hot_path(dbapi_conn) -> None:
    """The direct connections run only the queue's claim and submit: point lookups and ordered
    index scans, planned once per connection, generically (planning cost more than running them).
    A plan made once lives until the table's statistics change, so it must not be one that
    only suits a small table: with statistics from when `assignments` held 50 rows the planner
    chose sequential scans, and with none, bitmap scans; either way a user's claim re-read all
    the assignments they had ever had (1 ms at their first item, 5 ms at their 5,000th), and
    the submit merge-joined its assignment to every item up to it. These statements touch a
    handful of rows by key, so: nested loops over plain index scans only (which also mark the
    dead index entries they meet, so that later scans skip them). And no JIT: a disabled path
    still costs 10^10 in the planner's sums, and such a cost would compile every execution."""
    for setting in ("plan_cache_mode = force_generic_plan", "enable_bitmapscan = off", "enable_seqscan = off",
                    "enable_mergejoin = off", "enable_hashjoin = off", "jit = off"):
        dbapi_conn.execute(f"SET {setting}")


class DriverConnection:
    """Database.driver_connection's context: a class rather than a generator, because the queue's
    direct paths enter one on every claim and submit."""

    __slots__ = ("_pool_of", "_own", "_fairy")

    def __init__(self, pool_of: Engine | None, own: ThreadConnections):
        self._pool_of, self._own, self._fairy = pool_of, own, None

    def __enter__(self):
        if self._pool_of is not None:
            self._fairy = self._pool_of.raw_connection()
            return self._fairy.driver_connection
        return self._own.get()

    def __exit__(self, exc_type, exc, tb) -> None:
        if self._fairy is not None:
            self._fairy.close()
        elif exc is not None and _is_disconnect(exc):
            self._own.discard()


class Database:
    """The connection to one database, with the session factories every caller uses."""

    def __init__(self, url: str, engine: Engine | None = None):
        self.url = url
        self.engine = engine or make_engine(url)
        writer = self.engine.execution_options(sqlite_begin="IMMEDIATE") if self.is_sqlite else self.engine
        self._read = sessionmaker(self.engine, expire_on_commit=False)
        self._write = sessionmaker(writer, expire_on_commit=False)
        self._own = ThreadConnections(self._connect_directly)  # the direct path's, one per thread
        self._in_memory = self.is_sqlite and self.engine.url.database in (None, "", ":memory:")

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @property
    def backend(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One user action: one transaction, committed on success, rolled back on any error."""
        with self._write.begin() as session:
            yield session

    def run(self, action: Callable[[Session], T], *, attempts: int = 5) -> T:
        """Run one user action in a write transaction, retrying it when the database reports
        a transient conflict (a deadlock, a serialization failure, a busy SQLite file)."""
        for attempt in range(1, attempts + 1):
            try:
                with self.write() as session:
                    return action(session)
            except DBAPIError as exc:
                if attempt == attempts or not is_transient(exc):
                    raise
                time.sleep(random.uniform(0, 0.01 * 2**attempt))
        raise AssertionError("unreachable")

    @contextmanager
    def read(self) -> Iterator[Session]:
        with self._read() as session:
            yield session

    def driver_connection(self) -> DriverConnection:
        """This thread's own driver connection (psycopg's or sqlite3's) for the queue's direct
        paths, in autocommit mode: the caller sends its own BEGIN, or one statement that is its
        own transaction (see db/thread_connections.py). On PostgreSQL it is not pinged first: a
        broken connection raises, is thrown away, and the caller falls back to `run`, which
        pings. An in-memory SQLite database has one connection's worth of data: the pool's."""
        return DriverConnection(self.engine if self._in_memory else None, self._own)

    def _connect_directly(self):
        if self.is_sqlite:
            import sqlite3

            # check_same_thread off only so that dispose() can close it; one thread uses it.
            conn = sqlite3.connect(self.engine.url.database, timeout=SQLITE_BUSY_TIMEOUT_MS / 1000,
                                   isolation_level=None, check_same_thread=False)
            _sqlite_pragmas(conn)
            return conn
        # The hot statements are prepared on first use and planned once, generically: a claim is
        # a nine-part statement whose planning (about 1 ms) cost more than running it, and
        # psycopg's default waits five uses per connection before preparing, after which the
        # server plans each of the next five afresh.
        cargs, cparams = self.engine.dialect.create_connect_args(self.engine.url)
        conn = self.engine.dialect.loaded_dbapi.connect(*cargs, **cparams, autocommit=True, prepare_threshold=0)
        _plan_for_the_hot_path(conn)
        return conn

    def dispose(self) -> None:
        self._own.close_all()
        self.engine.dispose()

    def describe(self) -> str:
        """The URL without a password, for titles and messages."""
        return self.engine.url.render_as_string(hide_password=True)
