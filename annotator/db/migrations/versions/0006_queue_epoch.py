"""projects.queue_epoch: counts the changes that can put an open item ahead of the items
already claimed (a slot given back, items added, a new priority or confidence), so that a
claim on PostgreSQL can start where its process last took an item while it is unchanged,
instead of reading past every claimed item's dead index entry. See docs/adr/0007.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27 12:00:00
"""
import sqlalchemy as sa
from alembic import op


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('projects', schema=None) as batch_op:
        batch_op.add_column(sa.Column('queue_epoch', sa.Integer(), server_default=sa.text('0'), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('projects', schema=None) as batch_op:
        batch_op.drop_column('queue_epoch')
