"""A team database that enforces who may do what (PostgreSQL only; docs/adr/0009): group roles,
grants, row-level security, the audit trail's writer, and the queue, offline and user
functions that an annotator's login writes through. SQLite is its own boundary: nothing changes.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 12:00:00
"""
from alembic import op

from annotator.db.migrations.team_sql import run, run_part

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

PARTS = ("0007_roles.sql", "0007_queue.sql", "0007_answers.sql", "0007_offline.sql", "0007_users.sql")
FUNCTIONS = ("queue_", "user_", "annotator_")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for part in PARTS:
        run_part(part)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    run("""
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
