"""A team database that enforces who may do what (PostgreSQL only; docs/adr/0009): group roles,
grants, row-level security, the audit trail's writer, and the queue, offline and user
functions that an annotator's login writes through. SQLite is its own boundary: nothing changes.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 12:00:00
"""
from pathlib import Path

from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

PARTS = ("0007_roles.sql", "0007_queue.sql", "0007_answers.sql", "0007_offline.sql", "0007_users.sql")
FUNCTIONS = ("queue_", "user_", "annotator_")


def _run(sql: str) -> None:
    bind = op.get_bind()
    schema = bind.exec_driver_sql("SELECT quote_ident(current_schema())").scalar()
    # psycopg's own cursor with no parameters: the functions' text has % and : that any parameter
    # parsing would take for placeholders.
    bind.connection.dbapi_connection.cursor().execute(sql.replace("@schema@", schema))


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    here = Path(__file__).with_name("team")
    for part in PARTS:
        _run((here / part).read_text(encoding="utf-8"))


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    _run("""
    DO $$
    DECLARE f regprocedure; t text;
    BEGIN
        FOR f IN SELECT p.oid::regprocedure FROM pg_proc p WHERE p.pronamespace = current_schema()::regnamespace
                 AND (p.proname LIKE 'queue\\_%' OR p.proname LIKE 'user\\_%' OR p.proname LIKE 'annotator\\_%') LOOP
            EXECUTE format('DROP FUNCTION %s CASCADE', f);
        END LOOP;
        FOREACH t IN ARRAY ARRAY['projects', 'items', 'gold_answers', 'assignments', 'memberships', 'reviews',
                                 'conflicts', 'consensus', 'offline_bundles', 'users', 'audit_events'] LOOP
            EXECUTE format('ALTER TABLE %I DISABLE ROW LEVEL SECURITY', t);
        END LOOP;
    END $$;
    DROP TRIGGER IF EXISTS audit_events_actor ON audit_events;
    DROP FUNCTION IF EXISTS audit_events_actor();
    DROP TYPE IF EXISTS queue_claimed, queue_submitted;
    DROP TABLE IF EXISTS server_settings;
    """)
