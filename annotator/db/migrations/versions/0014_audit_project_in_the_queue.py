"""The queue's claim and submit name the project of their audit events themselves (PostgreSQL
only), so the trigger that works out an event's project (0008) runs only for other writers.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 23:30:00
"""
from alembic import op

from annotator.db.migrations.team_sql import run, run_part

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        run_part("0014_audit_project_in_the_queue.sql")


def downgrade() -> None:
    # The functions' events name the same project the trigger would; only the trigger's
    # condition needs undoing for the trigger to run for every event again.
    if op.get_bind().dialect.name == "postgresql":
        run("DROP TRIGGER audit_events_project ON audit_events;"
            " CREATE TRIGGER audit_events_project BEFORE INSERT ON audit_events FOR EACH ROW"
            " EXECUTE FUNCTION audit_events_project();")
