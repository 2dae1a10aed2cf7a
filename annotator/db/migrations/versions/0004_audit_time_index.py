"""the audit trail's time index goes: nothing searches the trail by time (the audit window and
its export filter by actor, action and entity, newest first, by id, which follows time), and
every claim and submit paid to keep it: on SQLite one more page in the log for each

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 10:30:00
"""
from alembic import op


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_events_at')


def downgrade() -> None:
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.create_index('ix_audit_events_at', ['at'], unique=False)
