"""The packaged migrations build exactly the models, on both backends."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from annotator.db import Database, migrate, open_database
from annotator.db.models import Base
from annotator.errors import SchemaOutOfDate


def test_migrations_match_the_models(db):
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "include_object": migrate.include_object})
        diff = compare_metadata(context, Base.metadata)
    assert diff == []
    assert migrate.current_revision(db.engine) == migrate.head_revision()


def test_the_claim_index_is_partial_and_ordered(db):
    indexes = {ix["name"]: ix for ix in inspect(db.engine).get_indexes("items")}
    assert "ix_items_claim" in indexes
    with db.engine.connect() as conn:
        if db.is_sqlite:
            sql = conn.exec_driver_sql("select sql from sqlite_master where name='ix_items_claim'").scalar()
        else:
            sql = conn.exec_driver_sql("select indexdef from pg_indexes where indexname='ix_items_claim'").scalar()
    assert "priority DESC" in sql and "open_slots > 0" in sql


def test_a_new_sqlite_file_is_upgraded_when_first_opened(tmp_path):
    path = tmp_path / "fresh.sqlite3"
    db = open_database(f"sqlite:///{path}")
    try:
        assert migrate.is_current(db.engine)
        assert {"users", "projects", "items", "assignments", "audit_events"} <= set(inspect(db.engine).get_table_names())
        with db.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 1000
    finally:
        db.dispose()


def test_a_shared_postgresql_database_is_not_upgraded_behind_the_team(pg_schema_url):
    from sqlalchemy import create_engine, text

    schema = "annot_empty_" + pg_schema_url.rsplit("%3D", 1)[1][-8:]
    base = pg_schema_url.rsplit("?", 1)[0]
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        with pytest.raises(SchemaOutOfDate, match="annotator db upgrade"):
            open_database(f"{base}?options=-csearch_path%3D{schema}")
        db = open_database(f"{base}?options=-csearch_path%3D{schema}", upgrade=True)
        assert migrate.is_current(db.engine)
        db.dispose()
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def test_database_describes_itself_without_password():
    db = Database("postgresql+psycopg://someone:hunter2@127.0.0.1:5432/test")
    assert "hunter2" not in db.describe()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_sqlite_checks_an_assignments_status_without_a_temporary_index(db):
    """Every claim inserts an assignment and every submit changes its status: SQLite checks the
    status constraint as plain comparisons (migration 0016), never by building a temporary index
    of the allowed values, and the constraint still refuses a status outside them."""
    from sqlalchemy.exc import IntegrityError

    insert = ("INSERT INTO assignments (uid, item_id, user_id, project_id, status, claimed_at, lease_until,"
              " active_seconds, is_gold, needs_review, skipped, offline) VALUES (?, ?, ?, ?, ?, '', '', 0, 0, 0, 0, 0)")
    with db.engine.connect() as conn:
        program = [row[1] for row in conn.exec_driver_sql("EXPLAIN " + insert, ("u", 1, 1, 1, "claimed"))]
        assert "OpenEphemeral" not in program
        conn.exec_driver_sql("PRAGMA foreign_keys = OFF")  # the constraint alone, with no item or user to point at
        with pytest.raises(IntegrityError, match="ck_assignments_status"):
            conn.exec_driver_sql(insert, ("u", 1, 1, 1, "finished"))
