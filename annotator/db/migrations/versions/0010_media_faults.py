"""media_faults: items whose store object a desktop or `annotator media verify` could not have
as imported (missing, or bytes that do not match the hash), for the lead's queue status (issue
18). On PostgreSQL annotators write them only through media_report_fault.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 16:10:00
"""
import sqlalchemy as sa
from alembic import op

import annotator.db.base
from annotator.db.migrations.team_sql import run, run_part

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'media_faults',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('project_id', sa.Integer(), nullable=False),
        sa.Column('item_id', sa.Integer(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('detail', sa.Text(), nullable=False),
        sa.Column('reported_by', sa.Integer(), nullable=True),
        sa.Column('first_seen', annotator.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column('last_seen', annotator.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column('reports', sa.Integer(), nullable=False),
        sa.Column('resolved_at', annotator.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint("kind IN ('missing', 'mismatch')", name=op.f('ck_media_faults_kind')),
        sa.ForeignKeyConstraint(['item_id'], ['items.id'], name=op.f('fk_media_faults_item_id_items'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_media_faults_project_id_projects'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['reported_by'], ['users.id'], name=op.f('fk_media_faults_reported_by_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_media_faults')),
    )
    with op.batch_alter_table('media_faults', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_media_faults_project_id'), ['project_id'], unique=False)
        batch_op.create_index('ux_media_faults_open', ['item_id', 'kind'], unique=True,
                              postgresql_where=sa.text('resolved_at IS NULL'),
                              sqlite_where=sa.text('resolved_at IS NULL'))
    if op.get_bind().dialect.name == "postgresql":
        run_part("0010_media_faults.sql")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        run("DROP FUNCTION IF EXISTS media_report_fault(int, text, text, timestamptz);")
    op.drop_table('media_faults')
