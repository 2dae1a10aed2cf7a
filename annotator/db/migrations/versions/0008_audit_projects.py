"""The review queue's index carries project_id and user_id on PostgreSQL, so that a lead's page
walk stays index-only under the row-level security that reads them. And audit_events.project_id: the project an event is about, so that on a team database a lead
reads the audit trail of the projects they lead and no other (issue 17). On PostgreSQL a trigger
fills it for every event, whoever writes it, and the row-level security of leads reads it;
admins read the whole trail. SQLite has the column and no use for it: the file is its own
boundary.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 23:30:00
"""
import sqlalchemy as sa
from alembic import op

from annotator.db.migrations.team_sql import run, run_part

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('audit_events', sa.Column('project_id', sa.Integer(), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        run_part("0008_audit_projects.sql")
        _review_index(include="INCLUDE (project_id, user_id)")


def _review_index(include: str) -> None:
    op.execute("DROP INDEX ix_assignments_review")
    op.execute(f"CREATE INDEX ix_assignments_review ON assignments (status, submitted_at, id) {include}"
               " WHERE submitted_at IS NOT NULL")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _review_index(include="")
        run("""
        DROP POLICY IF EXISTS leads_read ON audit_events;
        DROP POLICY IF EXISTS admins_read ON audit_events;
        DROP POLICY IF EXISTS leads_write ON audit_events;
        DROP POLICY IF EXISTS writers ON audit_events;
        CREATE POLICY writers ON audit_events FOR INSERT TO annotator_leads, annotator_admins, annotator_definer
            WITH CHECK (true);
        CREATE POLICY readers ON audit_events FOR SELECT TO annotator_leads, annotator_admins USING (true);
        DROP TRIGGER IF EXISTS audit_events_project ON audit_events;
        DROP FUNCTION IF EXISTS audit_events_project();
        DROP FUNCTION IF EXISTS annotator_project_of(text, text, jsonb);
        """)
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_column('project_id')
