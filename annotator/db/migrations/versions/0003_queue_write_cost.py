"""the audit trail's action index goes: the audit window filters actions with LIKE, which a
plain index serves on neither backend, and every claim and submit paid to keep it

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 08:00:00
"""
from alembic import op


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_events_action')


def downgrade() -> None:
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.create_index('ix_audit_events_action', ['action'], unique=False)
