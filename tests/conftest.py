"""Shared fixtures. Database tests run on a real SQLite file and on a real PostgreSQL server, in a
schema of their own that is dropped at the end: the server at ANNOTATOR_TEST_PG_URL when it is
set (CI sets it), else a throwaway one that the session starts and stops (tests/pg_server.py)."""

from __future__ import annotations

import os
import shutil
import uuid
from collections import Counter

import pytest
from sqlalchemy import create_engine, text

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from argon2 import PasswordHasher, profiles  # noqa: E402

from annotator.core import auth  # noqa: E402
from annotator.core.auth import Actor  # noqa: E402
from annotator.db import Database, migrate  # noqa: E402
from annotator.db.models import Base  # noqa: E402
from tests.helpers import shared  # noqa: E402

REQUIRE_PG = os.environ.get("ANNOTATOR_REQUIRE_PG") == "1"

# The passwords the tests set are hashed with argon2's cheapest profile: argon2 hashes all the
# same, checked by the parameters written in each, made in microseconds rather than the sixth of
# a second the app's profile takes on purpose (the suite makes hundreds of users).
auth.PASSWORD_HASHER = PasswordHasher.from_parameters(profiles.CHEAPEST)

_passed_by_backend: Counter[str] = Counter()


@pytest.fixture
def shared_data():
    return shared


def _pg_schema_url(server_url: str, schema: str) -> str:
    sep = "&" if "?" in server_url else "?"
    return f"{server_url}{sep}options=-csearch_path%3D{schema}"


@pytest.fixture(scope="session")
def pg_server_url():
    """The PostgreSQL server the tests use: ANNOTATOR_TEST_PG_URL, or a throwaway one."""
    url = os.environ.get("ANNOTATOR_TEST_PG_URL")
    if url:
        yield url
        return
    from tests.pg_server import ThrowawayPostgres

    server = ThrowawayPostgres()
    try:
        server.start()
    except Exception:
        server.stop()
        raise
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture(scope="session")
def pg_schema_url(pg_server_url):
    """A fresh schema for this test run, migrated once, dropped at the end."""
    schema = f"annot_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(pg_server_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:
        if REQUIRE_PG:
            pytest.fail(f"PostgreSQL at {pg_server_url} is not reachable: {exc}")
        pytest.skip(f"PostgreSQL at {pg_server_url} is not reachable: {exc}")
    url = _pg_schema_url(pg_server_url, schema)
    engine = create_engine(url)
    migrate.upgrade(engine)
    with engine.begin() as conn:  # the tests replay time: the server takes their clocks (migration 0007)
        conn.execute(text("UPDATE server_settings SET trust_client_clock = true"))
    engine.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    """One migrated SQLite file; each test gets a copy, which is much faster than migrating."""
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    db = Database(f"sqlite:///{path}")
    migrate.upgrade(db.engine)
    with db.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    db.dispose()
    return path


def _truncate_all(url: str) -> None:
    engine = create_engine(url)
    # The database's identity stays, as it does in life: the migration made it, and logins cannot.
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables if t.name != "database_info")
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    """The URL of an empty, migrated database on each backend."""
    if request.param == "sqlite":
        path = tmp_path / "annotator.sqlite3"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
    else:
        url = request.getfixturevalue("pg_schema_url")
        _truncate_all(url)
        yield url


@pytest.fixture
def db(db_url):
    from tests.helpers import dispose_logins

    database = Database(db_url)
    yield database
    dispose_logins(database)
    database.dispose()


@pytest.fixture
def operator():
    return Actor.local_operator()


def pytest_runtest_logreport(report):
    if report.when == "call" and report.passed:
        for backend in ("sqlite", "postgresql"):
            if f"[{backend}" in report.nodeid or f"-{backend}]" in report.nodeid or f"-{backend}-" in report.nodeid:
                _passed_by_backend[backend] += 1


def pytest_terminal_summary(terminalreporter):
    # .ci/run reads this line to prove the PostgreSQL tests ran rather than skipped.
    terminalreporter.write_line(
        f"database tests passed: sqlite={_passed_by_backend['sqlite']} postgresql={_passed_by_backend['postgresql']}"
    )

# ---- a cluster that checks passwords (tests/team, and the log-in window's test) -----------------
# A PostgreSQL cluster with scram-sha-256, as a team's server has; the shared test server trusts
# every local connection, so it cannot show who is refused. Each test gets a fresh, migrated
# database on it, and logins of its own (roles are the cluster's).


@pytest.fixture(scope="session")
def scram_server():
    from tests.pg_server import ThrowawayPostgres

    server = ThrowawayPostgres(check_passwords=True)
    try:
        server.start()
    except Exception:
        server.stop()
        raise
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def team_url(scram_server):
    """The superuser's URL of a new, migrated team database (with its password: the owner's)."""
    name = f"team_{uuid.uuid4().hex[:10]}"
    admin = create_engine(scram_server.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = scram_server.url.rsplit("/", 1)[0] + f"/{name}"
    engine = create_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def names():
    """Login names unique to this test: the cluster's roles outlive its databases."""
    tag = uuid.uuid4().hex[:6]
    return lambda person: f"{person}_{tag}"


@pytest.fixture(scope="session")
def s3_server():
    """One SeaweedFS for the session (tests/s3_server.py), stopped by its own process id."""
    from tests.s3_server import ThrowawaySeaweed

    server = ThrowawaySeaweed()
    yield server
    server.stop()


@pytest.fixture
def s3_bucket(s3_server, monkeypatch):
    """A fresh bucket, and this desktop's S3 configuration pointing at the session's server."""
    import uuid

    from tests.s3_server import point_this_desktop_at

    point_this_desktop_at(s3_server, monkeypatch)
    name = f"media-{uuid.uuid4().hex[:12]}"
    s3_server.client().create_bucket(Bucket=name)
    return name


@pytest.fixture
def desktop(tmp_path, monkeypatch):
    """Switches this test between simulated desktops: each has its own data folder and cache."""
    def switch(name: str):
        folder = tmp_path / f"desktop-{name}"
        monkeypatch.setenv("ANNOTATOR_DATA_DIR", str(folder))
        return folder
    return switch
